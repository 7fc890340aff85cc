"""The runs of a loop attribution: its manifest and one design sweep per seed.

One multirun per seed, each in its own folder: a sweep cut short then holds complete
seeds (every arm and policy), which the paired attribution needs.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sim.design import DESIGN
from sim.experiments.scenario import Scenario
from sim.experiments.study import study_overrides
from sim.launch import run_design
from sim.manifest import read_manifest, revision, versions, write_manifest
from sim.output import timestamp
from sim.research.loops.arms import loop_design

MANIFEST = "loops.yaml"


def load_manifest(folder: Path) -> dict[str, Any]:
    """The manifest of a loop-attribution folder."""
    return read_manifest(folder, MANIFEST, "a loop-attribution folder")


def new_manifest(
    scenario: Scenario,
    links: list[str],
    metric: str,
    smoke: bool,
    replications: int | None,
    extra: Sequence[str],
    command: str,
) -> dict[str, Any]:
    """Everything needed to rerun a loop attribution, arm by arm."""
    fixed, seeds = study_overrides(scenario, smoke, replications)
    # run_design adds its own output switches.
    fixed = [o for o in fixed if not o.startswith(("run.figures=", "run.progress="))]
    arms, _ = loop_design(links)
    return {
        "scenario": scenario.name,
        "question": scenario.question,
        "metric": metric,
        "baseline": scenario.baseline,
        "policies": list(scenario.policies),
        "links": links,
        "arms": arms,
        "seeds": seeds,
        "root_seed": scenario.root_seed,
        "smoke": smoke,
        "fixed_overrides": last_wins([*fixed, *extra]),
        "cells": len(arms) * len(scenario.policies) * len(seeds),
        "command": command,
        "git": revision(),
        "versions": versions(),
        "created_utc": timestamp(),
    }


def last_wins(overrides: Sequence[str]) -> list[str]:
    """Overrides with only the last value of each key kept, in first-seen order.

    >>> last_wins(["run.weeks=120", "market=tight", "run.weeks=60"])
    ['run.weeks=60', 'market=tight']
    """
    values: dict[str, str] = {}
    for override in overrides:
        key = override.split("=", 1)[0]
        values[key] = override
    return list(values.values())


def seed_folders(folder: Path) -> list[Path]:
    """The design-sweep folders of a loop attribution, one per seed."""
    return sorted(p for p in folder.glob("seed_*") if (p / DESIGN).is_file()) or (
        [folder] if (folder / DESIGN).is_file() else []
    )


def run_loops(folder: Path, manifest: dict[str, Any], launcher: str, jobs: int) -> None:
    """Run (or finish) every arm x policy x seed of ``manifest`` in ``folder``."""
    _, design = loop_design(manifest["links"])
    start = time.time()
    # One multirun per seed, each in its own folder: a sweep cut short then holds
    # complete seeds (every arm and policy), which the paired attribution needs.
    seeds = manifest["seeds"]
    for i, seed in enumerate(seeds, start=1):
        print(f"seed {i} of {len(seeds)} ({seed})", flush=True)
        run_design(
            folder / f"seed_{seed}",
            design,
            [seed],
            fixed=manifest["fixed_overrides"],
            policies=manifest["policies"],
            launcher=launcher,
            jobs=jobs,
            purpose=f"loop attribution of {manifest['scenario']}, seed {seed}",
        )
    manifest.setdefault("sessions", []).append(
        {"wall_seconds": round(time.time() - start, 1), "launcher": launcher, "jobs": jobs}
    )
    write_manifest(folder, manifest, MANIFEST)
