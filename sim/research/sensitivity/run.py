"""A sensitivity folder: the design drawn and saved, its runs launched, then analysed.

A folder resumes where it was cut short, and a Sobol design can grow in place (the
designs of N and 2N share their first rows).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.config import ConfigError
from sim.design import read_runs
from sim.launch import run_design
from sim.manifest import read_manifest, revision, versions, write_manifest
from sim.output import timestamp, write_text_atomically
from sim.plots import save
from sim.research.sensitivity.indices import (
    by_year_table,
    indices_table,
    noise,
    unit_sample,
    yearly,
)
from sim.research.sensitivity.plots import by_year_figure, tornado
from sim.research.sensitivity.report import write_report
from sim.research.sensitivity.settings import (
    MANIFEST,
    UNIT_SAMPLE,
    Settings,
    check_settings,
    settings_from_record,
    settings_record,
    world,
)
from sim.research.uncertainties import scale


def load_manifest(folder: Path) -> dict[str, Any]:
    """A sensitivity folder's manifest.

    Raises:
        ConfigError: if the folder holds none.
    """
    return read_manifest(folder, MANIFEST, "a sensitivity folder")


def prepare(settings: Settings, folder: Path, launcher: str) -> dict[str, Any]:
    """Check the settings, draw and save the design and write the manifest."""
    check_settings(settings)
    size = world(settings)
    unit = unit_sample(settings)
    old = folder / UNIT_SAMPLE
    if old.is_file():
        done = pd.read_csv(old).drop(columns="point").to_numpy(dtype=float)
        # Sobol designs of N and 2N share their first N·(k+2) rows, so a resumed folder
        # can grow; anything else would silently mix two designs.
        if len(done) > len(unit) or not np.allclose(unit[: len(done)], done):
            raise ConfigError(
                f"{folder}: the design on disk is not the start of this one; "
                "use a new folder or the settings it was made with"
            )
    sample = pd.DataFrame(unit, columns=[u.key for u in settings.uncertainties])
    sample.insert(0, "point", range(len(sample)))
    manifest = load_manifest(folder) if (folder / MANIFEST).is_file() else {}
    manifest.update(
        {
            "settings": settings_record(settings),
            "seeds": settings.seeds,
            "world": size,
            "points": settings.points,
            "runs": settings.points * settings.replications,
            "launcher": launcher,
            "git": revision(),
            "versions": versions("SALib"),
        }
    )
    # Nothing is written until everything is checked: a refused command leaves no folder.
    folder.mkdir(parents=True, exist_ok=True)
    write_text_atomically(old, sample.to_csv(index=False))
    manifest.setdefault("created_utc", timestamp())
    manifest.setdefault("sessions", [])
    write_manifest(folder, manifest, MANIFEST)
    return manifest


def run_sensitivity(
    settings: Settings, folder: Path, launcher: str = "joblib", jobs: int = -1
) -> Path:
    """Run (or finish) the design in ``folder``, analyse it and write the report."""
    manifest = prepare(settings, folder, launcher)
    unit = pd.read_csv(folder / UNIT_SAMPLE).drop(columns="point").to_numpy(dtype=float)
    design = scale(unit, list(settings.uncertainties))
    runs_dir = folder / "runs" / settings.policy
    todo = [
        (p, s)
        for p in range(settings.points)
        for s in settings.seeds
        if not (runs_dir / f"p{p}" / f"s{s}" / "summary.json").is_file()
    ]
    print(
        f"sensitivity ({settings.method}): {settings.points} points x "
        f"{settings.replications} seeds = {manifest['runs']} runs, {len(todo)} to do -> {folder}",
        flush=True,
    )
    if not todo:
        # Launching would only compose and skip every job: re-analyse straight away.
        return analyse_folder(folder)
    started = time.time()
    try:
        run_design(
            folder,
            design,
            settings.seeds,
            fixed=settings.fixed,
            policies=(settings.policy,),
            launcher=launcher,
            jobs=jobs,
            purpose=f"sensitivity ({settings.method}) of {', '.join(settings.kpis)}",
        )
    finally:
        session = {"launcher": launcher, "jobs": jobs, "runs": len(todo)}
        elapsed = round(time.time() - started, 1)
        manifest["sessions"].append({**session, "wall_seconds": elapsed, "ended": timestamp()})
        write_manifest(folder, manifest, MANIFEST)
    return analyse_folder(folder)


def analyse_folder(folder: Path) -> Path:
    """Compute the indices, figures and report of a sensitivity folder from its runs."""
    manifest = load_manifest(folder)
    settings = settings_from_record(manifest["settings"])
    unit = pd.read_csv(folder / UNIT_SAMPLE).drop(columns="point").to_numpy(dtype=float)
    unit = unit[: settings.points]
    runs = read_runs(folder) if (folder / "design.csv").is_file() else pd.DataFrame()
    if not runs.empty:
        runs = runs[
            (runs["policy"] == settings.policy)
            & (runs["point"] < settings.points)
            & runs["seed"].isin(settings.seeds)
        ]
    missing = sorted(set(range(settings.points)) - set(runs["point"] if not runs.empty else []))
    if missing:
        raise ConfigError(
            f"{folder}: {len(missing)} of {settings.points} design points have no finished run "
            f"(see {folder / 'failures'}); fix the cause and rerun with --resume {folder}"
        )
    indices = indices_table(settings, unit, runs)
    write_text_atomically(folder / "indices.csv", indices.to_csv(index=False))
    noise_table = pd.DataFrame([noise(runs, kpi) for kpi in settings.kpis])
    write_text_atomically(folder / "kpi_noise.csv", noise_table.to_csv(index=False))
    figures: dict[str, str] = {}
    for kpi in settings.kpis:
        name = f"tornado_{kpi}.png"
        save(tornado(indices, kpi, settings), folder / name)
        figures[kpi] = name
    table: pd.DataFrame | None = None
    if settings.by_year is not None:
        values = yearly(folder, runs, settings.by_year, settings.policy)
        table = by_year_table(settings, unit, values)
        write_text_atomically(folder / "indices_by_year.csv", table.to_csv(index=False))
        if not table.empty:
            name = f"by_year_{settings.by_year}.png"
            save(by_year_figure(table, settings), folder / name)
            figures["by_year"] = name
    return write_report(folder, settings, manifest, indices, noise_table, runs, figures, table)
