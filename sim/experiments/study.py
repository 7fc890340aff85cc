"""``sim study``: a scenario as a Hydra multirun (policies x replications), then a report.

The sweep is an ordinary Hydra multirun over ``policy=...`` and ``seed=...``, so any
Hydra launcher runs it unchanged (joblib here, submitit on Slurm, Ray on Ray). Every
policy gets the same replication seeds, derived from the scenario's root seed before
anything is dispatched: common random numbers. Aggregation runs from a Hydra callback
when the sweep ends and again with ``sim aggregate <folder>``.
"""

from __future__ import annotations

import argparse
import shutil
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sim.config import ConfigError
from sim.configstore import to_yaml
from sim.experiments.scenario import Scenario, load_scenario, scenario_names
from sim.launch import LAUNCHERS, multirun
from sim.manifest import read_manifest, revision, versions, write_manifest
from sim.output import timestamp
from sim.rng import replication_seeds


def study_overrides(
    scenario: Scenario, smoke: bool, replications: int | None = None
) -> tuple[list[str], list[int]]:
    """The fixed overrides of every run of a study, and its replication seeds."""
    reps = scenario.smoke_replications if smoke else scenario.replications
    reps = replications if replications is not None else reps
    seeds = replication_seeds(scenario.root_seed, reps)
    fixed = [*scenario.world, f"run.name={scenario.name}", "run.figures=false"]
    fixed.append("run.progress=false")
    if smoke:
        # A small world over a horizon long enough for scheduled policies (week 104) to act.
        fixed += [
            f"run.weeks={scenario.smoke_weeks}",
            "run.burn_in_weeks=26",
            "market.n_customers=1500",
            "workforce.n_employees=15",
        ]
    return fixed, seeds


def new_manifest(
    scenario: Scenario,
    smoke: bool,
    extra: list[str],
    launcher: str,
    replications: int | None = None,
) -> dict[str, Any]:
    """Everything needed to reproduce a study run by run."""
    from sim.compose import compose_config

    fixed, seeds = study_overrides(scenario, smoke, replications)
    fixed = [*fixed, *extra]
    base = compose_config([*fixed, f"policy={scenario.baseline}", f"seed={seeds[0]}"])
    for policy in scenario.policies:
        compose_config([*fixed, f"policy={policy}", f"seed={seeds[0]}"])
    cells = [
        {
            "policy": p,
            "replication": r,
            "seed": s,
            "overrides": [*fixed, f"policy={p}", f"seed={s}"],
        }
        for p in scenario.policies
        for r, s in enumerate(seeds)
    ]
    return {
        "scenario": scenario.name,
        "question": scenario.question,
        "spec": scenario.spec,
        "smoke": smoke,
        "baseline": scenario.baseline,
        "policies": scenario.policies,
        "headline": scenario.headline,
        "metrics": scenario.metrics,
        "root_seed": scenario.root_seed,
        "seeds": seeds,
        "fixed_overrides": fixed,
        "cells": cells,
        "base_config": to_yaml(base),
        "launcher": launcher,
        "git": revision(),
        "versions": versions(),
        "created_utc": timestamp(),
        "started_unix": time.time(),
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Run a scenario study (``sim study NAME``)."""
    parser = argparse.ArgumentParser(prog="sim study", description=__doc__)
    parser.add_argument("scenario", help=f"one of: {', '.join(scenario_names())}")
    parser.add_argument(
        "--smoke", action="store_true", help="2 replications of a small world, 120 weeks"
    )
    parser.add_argument("--replications", type=int, help="override the scenario's count")
    parser.add_argument("--resume", type=Path, help="finish a study folder cut short")
    parser.add_argument("--results-dir", type=Path, default=Path("results"))
    parser.add_argument("--launcher", choices=LAUNCHERS, default="joblib")
    parser.add_argument("--jobs", type=int, default=-1, help="joblib workers (-1: all cores)")
    parser.add_argument("overrides", nargs="*", help="extra overrides for every run")
    args = parser.parse_intermixed_args(list(argv) if argv is not None else None)

    scenario = load_scenario(args.scenario)
    if args.resume is not None:
        folder = args.resume
        manifest = read_manifest(folder)
        if manifest["scenario"] != scenario.name:
            raise ConfigError(
                f"{folder} holds scenario '{manifest['scenario']}', not '{scenario.name}'"
            )
        manifest["started_unix"] = time.time()
        write_manifest(folder, manifest)
        # A killed run cannot clean up after itself: drop its hidden partial folder.
        for stale in folder.glob("runs/*/.*.partial-*"):
            shutil.rmtree(stale, ignore_errors=True)
    else:
        if args.replications is not None and args.replications < 1:
            raise ConfigError(f"--replications={args.replications}: a whole number >= 1")
        manifest = new_manifest(
            scenario, args.smoke, list(args.overrides), args.launcher, args.replications
        )
        folder = (
            args.results_dir
            / scenario.name
            / (
                f"{manifest['created_utc']}_{manifest['git']['revision']}"
                + ("_smoke" if args.smoke else "")
            )
        )
        from sim.output import unique_path

        folder = unique_path(folder)
        folder.mkdir(parents=True)
        write_manifest(folder, manifest)
    total = len(manifest["cells"])
    print(f"study {scenario.name}: {total} runs -> {folder}", flush=True)
    print(f"question: {scenario.question}", flush=True)

    sweep = [
        *manifest["fixed_overrides"],
        f"policy={','.join(manifest['policies'])}",
        f"seed={','.join(str(s) for s in manifest['seeds'])}",
    ]
    multirun(
        sweep,
        folder,
        launcher=args.launcher,
        jobs=args.jobs,
        callbacks={"aggregate": "sim.experiments.callbacks.AggregateOnEnd"},
        prog="sim study",
    )
    report = folder / "report.md"
    manifest = read_manifest(folder)
    if "aggregated_utc" not in manifest or not report.is_file():
        # The callback did not run (or failed quietly, as Hydra only warns): do it here,
        # where an error is reported properly.
        from sim.experiments.report import aggregate

        report = aggregate(folder)
        print(f"report: {report.resolve()}")
    return 0
