"""The worked example's folder: experiments, the manifest, and PRIM on the pairs."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.config import ConfigError
from sim.manifest import MANIFEST, read_manifest, revision, versions, write_manifest
from sim.output import timestamp, write_text_atomically
from sim.research.ema.discovery import PrimResult, discover, pairs, stated_conditions
from sim.research.ema.plots import box_figure, tradeoff_figure
from sim.research.ema.report import write_report
from sim.research.ema.settings import PAIRS, PRIM_FILES, Settings
from sim.research.ema.workbench import (
    SCALARS,
    SERIES,
    build_model,
    import_workbench,
    perform,
    policy_sample,
)
from sim.research.uncertainties import load_uncertainties
from sim.rng import replication_seeds


def series_table(
    experiments: pd.DataFrame, outcomes: Mapping[str, np.ndarray[Any, Any]], seeds: Sequence[int]
) -> pd.DataFrame:
    """The time-series outcomes as a tidy table: experiment, policy, scenario, seed, year."""
    n, reps, years = outcomes[SERIES[0]].shape
    index = pd.MultiIndex.from_product(
        [range(n), range(reps), range(1, years + 1)], names=["experiment", "replication", "year"]
    )
    table = pd.DataFrame(
        {s: np.asarray(outcomes[s], dtype=float).ravel() for s in SERIES}, index=index
    )
    table = table.reset_index()
    table.insert(1, "policy", experiments["policy"].astype(str).to_numpy()[table["experiment"]])
    table.insert(2, "scenario", experiments["scenario"].astype(str).to_numpy()[table["experiment"]])
    table.insert(4, "seed", np.asarray(seeds)[table["replication"]])
    return table


def run(settings: Settings) -> int:
    """Experiments, then the analysis; 0 when a box was found."""
    start = time.perf_counter()
    table, n_runs = experiment(settings)
    minutes = (time.perf_counter() - start) / 60
    manifest = load_manifest(settings.folder)
    manifest.update({"runs": n_runs, "experiment_minutes": round(minutes, 2)})
    write_manifest(settings.folder, manifest)
    return analyse(settings, table, n_runs, minutes)


def experiment(settings: Settings) -> tuple[pd.DataFrame, int]:
    """Run the experiments with EMA's evaluators; write them; return the pairs and run count."""
    ema = import_workbench()
    folder = settings.folder
    folder.mkdir(parents=True, exist_ok=True)
    seeds = replication_seeds(settings.root_seed, settings.replications)
    first, second = settings.policies
    model = build_model(settings.fixed, seeds, settings.uncertainties, settings.levers)
    samples = [policy_sample(settings.levers, p, settings.fixed) for p in settings.policies]
    n_runs = settings.scenarios * 2 * len(seeds)
    print(
        f"sim ema: {settings.scenarios} scenarios x {first}, {second} x {len(seeds)} seed(s) "
        f"= {n_runs} runs -> {folder}",
        flush=True,
    )
    write_manifest(folder, new_manifest(settings, seeds))
    experiments, outcomes = perform(
        model, settings.scenarios, samples, settings.root_seed, settings.jobs
    )
    ema.save_results((experiments, outcomes), str(folder / "results.tar.gz"))
    write_text_atomically(folder / "experiments.csv", experiments.to_csv(index=False))
    scalars = experiments[["scenario", "policy"]].astype(str)
    for name in SCALARS:
        scalars[name] = outcomes[name]
    write_text_atomically(folder / "outcomes.csv", scalars.to_csv(index=False))
    write_text_atomically(
        folder / "series.csv", series_table(experiments, outcomes, seeds).to_csv(index=False)
    )
    table = pairs(experiments, outcomes, settings.uncertainties, first, second)
    write_text_atomically(folder / PAIRS, table.to_csv(index=False))
    return table, n_runs


def analyse(settings: Settings, table: pd.DataFrame, n_runs: int, minutes: float) -> int:
    """PRIM on the pairs, its tables and figures, and the report; 0 when a box was found."""
    from sim.plots import save

    folder = settings.folder
    first, second = settings.policies
    table = table.assign(of_interest=table["difference"] < settings.threshold)
    write_text_atomically(folder / PAIRS, table.to_csv(index=False))
    keys = [u.key for u in settings.uncertainties]
    y = table["of_interest"].to_numpy(dtype=bool)
    result: PrimResult | None = None
    for stale in PRIM_FILES:
        (folder / stale).unlink(missing_ok=True)
    if y.any():
        result = discover(table[keys], y, settings.uncertainties, settings.min_density)
        write_text_atomically(folder / "prim_trajectory.csv", result.trajectory.to_csv(index=False))
        write_text_atomically(folder / "prim_box.csv", result.limits.to_csv(index=False))
        write_text_atomically(folder / "prim_steps.csv", result.steps.to_csv(index=False))
        save(tradeoff_figure(result), folder / "prim_tradeoff.png")
        save(box_figure(result, table, y), folder / "prim_box.png")
    report = write_report(settings, table, result, minutes, n_runs)
    share = float(y.mean())
    print(f"{second} below {first} in {int(y.sum())}/{len(y)} scenarios ({share:.0%})", flush=True)
    if result is None:
        print(f"no scenario of interest, so no PRIM box; report: {report}", flush=True)
        return 1
    s = result.stats
    print(
        f"PRIM box: {stated_conditions(result.limits)}; coverage {s['coverage']:.2f}, "
        f"density {s['density']:.2f}, mass {s['mass']:.2f}",
        flush=True,
    )
    print(f"report: {report}", flush=True)
    return 0


def load_manifest(folder: Path) -> dict[str, Any]:
    """The manifest of a ``sim ema`` folder (which must hold its pairs too)."""
    if not (folder / PAIRS).is_file():
        raise ConfigError(f"{folder}: no {MANIFEST} and {PAIRS}; is this a sim ema folder?")
    return read_manifest(folder, MANIFEST, "a sim ema folder")


def reanalysis_folder(folder: Path, threshold: float, min_density: float) -> Path:
    """Where a reanalysis writes: beside the experiments' own report, never over it.

    >>> reanalysis_folder(Path("ema"), -1000.0, 0.6).as_posix()
    'ema/reanalyses/threshold_-1000_density_0.6'
    """
    return folder / "reanalyses" / f"threshold_{threshold:g}_density_{min_density:g}"


def reanalyse(folder: Path, threshold: float, min_density: float) -> int:
    """PRIM again on a finished folder's pairs (another threshold or density), no new runs.

    The experiments' report, pairs and PRIM files stay as they were; the reanalysis goes to
    its own folder (``reanalysis_folder``).
    """
    manifest = load_manifest(folder)
    if "runs" not in manifest:
        raise ConfigError(f"{folder}: its experiments did not finish; run them again")
    uncertainties = load_uncertainties(Path(manifest["uncertainties_file"]))
    table = pd.read_csv(folder / PAIRS)
    missing = [u.key for u in uncertainties if u.key not in table]
    if missing:
        raise ConfigError(f"{folder / PAIRS}: no column for {', '.join(missing)}")
    policies = manifest["policies"]
    settings = Settings(
        scenarios=int(manifest["scenarios"]),
        replications=len(manifest["seeds"]),
        policies=(str(policies[0]), str(policies[1])),
        threshold=threshold,
        min_density=min_density,
        root_seed=int(manifest["root_seed"]),
        jobs=1,
        small=False,
        fixed=list(manifest["fixed_overrides"]),
        uncertainties=uncertainties,
        levers=[],
        levers_path=Path(manifest["levers_file"]),
        uncertainties_path=Path(manifest["uncertainties_file"]),
        folder=reanalysis_folder(folder, threshold, min_density),
        argv=list(manifest["command"][1:]),
        analysed=[
            *("--analyse", str(folder)),
            *("--threshold", f"{threshold:g}", "--min-density", f"{min_density:g}"),
        ],
    )
    settings.folder.mkdir(parents=True, exist_ok=True)
    print(f"reanalysis of {folder} in {settings.folder}", flush=True)
    return analyse(settings, table, int(manifest["runs"]), float(manifest["experiment_minutes"]))


def new_manifest(settings: Settings, seeds: Sequence[int]) -> dict[str, Any]:
    """``manifest.yaml``: settings, seeds, software versions and the code revision."""
    return {
        "command": ["sim ema", *settings.argv],
        "scenarios": settings.scenarios,
        "policies": list(settings.policies),
        "threshold": settings.threshold,
        "root_seed": settings.root_seed,
        "seeds": [int(s) for s in seeds],
        "fixed_overrides": settings.fixed,
        "uncertainties_file": str(settings.uncertainties_path),
        "levers_file": str(settings.levers_path),
        "git": revision(),
        "versions": versions("ema_workbench"),
        "created_utc": timestamp(),
    }
