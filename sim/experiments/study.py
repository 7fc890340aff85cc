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
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sim.config import ConfigError, SimConfig, StaffingKind
from sim.configstore import to_yaml
from sim.experiments.scenario import MAX_REPLICATIONS, Scenario, load_scenario, scenario_names
from sim.launch import LAUNCHERS, check_launcher, multirun
from sim.manifest import STUDY_KEYS, read_manifest, revision, versions, write_manifest
from sim.output import timestamp
from sim.rng import replication_seeds
from sim.units import WEEKS_PER_YEAR


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


def full_year_after_events(cfg: SimConfig) -> int:
    """Weeks to the end of the year in which the run's last scheduled event happens.

    >>> from sim.config import StaffingKind
    >>> cfg = SimConfig()
    >>> cfg.staffing.kind = StaffingKind.layoff
    >>> full_year_after_events(cfg)  # a layoff in week 104 falls in year 3 (weeks 104-155)
    156
    """
    events = [change.week for change in cfg.changes]
    if cfg.staffing.kind is StaffingKind.layoff:
        events.append(cfg.staffing.layoff_week)
    return (max(events) // WEEKS_PER_YEAR + 1) * WEEKS_PER_YEAR if events else 0


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
    configs = [
        compose_config([*fixed, f"policy={p}", f"seed={seeds[0]}"]) for p in scenario.policies
    ]
    if smoke:
        # The yearly KPIs count whole years only: a short smoke horizon must still hold the
        # whole year in which the last scheduled event (a layoff, a policy change) happens,
        # or the study would report that event as having no effect.
        weeks = max(cfg.run.weeks for cfg in configs)
        needed = max(full_year_after_events(cfg) for cfg in configs)
        if needed > weeks:
            fixed = [*fixed, f"run.weeks={needed}"]
            configs = [
                compose_config([*fixed, f"policy={p}", f"seed={seeds[0]}"])
                for p in scenario.policies
            ]
    base = configs[scenario.policies.index(scenario.baseline)]
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


# Set by the study itself for every run: the scenario's policies and replication seeds.
SET_BY_STUDY = ("seed", "policy")


def check_arguments(args: argparse.Namespace) -> None:
    """Refuse arguments that would be ignored or could not work, before anything is written.

    Raises:
        ConfigError: naming the argument and what is allowed.
    """
    if args.jobs == 0 or args.jobs < -1:
        raise ConfigError(f"--jobs={args.jobs}: allowed: -1 (all cores) or a number >= 1")
    if args.replications is not None and not 1 <= args.replications <= MAX_REPLICATIONS:
        raise ConfigError(
            f"--replications={args.replications}: allowed: a whole number in "
            f"[1, {MAX_REPLICATIONS}]"
        )
    if args.resume is not None:
        given = [
            flag
            for flag, value in (
                ("--smoke", args.smoke),
                ("--replications", args.replications is not None),
                ("overrides", bool(args.overrides)),
            )
            if value
        ]
        if given:
            raise ConfigError(
                f"--resume with {given[0]}: a resumed study keeps the settings in its "
                "manifest; allowed with --resume: --launcher and --jobs"
            )
        return
    for override in args.overrides:
        key = str(override).split("=", 1)[0].lstrip("+~")
        if key in SET_BY_STUDY:
            raise ConfigError(
                f"'{override}': a study sets {key} itself (the scenario's policies and its "
                "root_seed's replication seeds); allowed: overrides of the world, e.g. "
                "market=tight"
            )
    if args.results_dir.exists() and not args.results_dir.is_dir():
        raise ConfigError(f"--results-dir={args.results_dir}: is a file; allowed: a folder")


def unreadable_runs(folder: Path) -> list[Path]:
    """Finished run folders of a study whose Parquet tables cannot be read."""
    import pyarrow.parquet as pq

    broken = []
    for summary in sorted(folder.glob("runs/*/*/summary.json")):
        run = summary.parent
        try:
            for table in run.glob("*.parquet"):
                pq.read_metadata(table)
        except (OSError, ValueError):
            broken.append(run)
    return broken


def main(argv: Sequence[str] | None = None) -> int:
    """Run a scenario study (``sim study NAME``)."""
    parser = argparse.ArgumentParser(prog="sim study", description=__doc__)
    parser.add_argument("scenario", help=f"one of: {', '.join(scenario_names())}")
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="2 replications of a small world, 120 weeks (longer if needed to hold a whole "
        "year after a scheduled layoff or change)",
    )
    parser.add_argument("--replications", type=int, help="override the scenario's count")
    parser.add_argument("--resume", type=Path, help="finish a study folder cut short")
    parser.add_argument("--results-dir", type=Path, default=Path("results"))
    parser.add_argument("--launcher", choices=LAUNCHERS, default="joblib")
    parser.add_argument("--jobs", type=int, default=-1, help="joblib workers (-1: all cores)")
    parser.add_argument("overrides", nargs="*", help="extra overrides for every run")
    args = parser.parse_intermixed_args(list(argv) if argv is not None else None)
    check_launcher(args.launcher)  # a missing plugin or Slurm: one line, nothing written

    scenario = load_scenario(args.scenario)
    check_arguments(args)
    if args.resume is not None:
        folder = args.resume
        manifest = read_manifest(folder, required=STUDY_KEYS)
        if manifest["scenario"] != scenario.name:
            raise ConfigError(
                f"{folder} holds scenario '{manifest['scenario']}', not '{scenario.name}'"
            )
        manifest["started_unix"] = time.time()
        write_manifest(folder, manifest)
        # A killed run cannot clean up after itself: drop its hidden partial folder.
        for stale in folder.glob("runs/*/.*.partial-*"):
            shutil.rmtree(stale, ignore_errors=True)
        # A finished run whose tables cannot be read (a full disk, a copy cut short) is
        # run again rather than skipped.
        for broken in unreadable_runs(folder):
            print(f"{broken}: tables unreadable, running it again", flush=True)
            shutil.rmtree(broken)
    else:
        manifest = new_manifest(
            scenario, args.smoke, list(args.overrides), args.launcher, args.replications
        )
        from sim.compose import compose_config
        from sim.footprint import check_room

        one = compose_config(manifest["cells"][0]["overrides"])
        runs = len(manifest["cells"])
        print(f"study {scenario.name}: " + check_room(one, runs, args.jobs, args.results_dir))
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
    try:
        multirun(
            sweep,
            folder,
            launcher=args.launcher,
            jobs=args.jobs,
            callbacks={"aggregate": "sim.experiments.callbacks.AggregateOnEnd"},
            prog="sim study",
        )
    except KeyboardInterrupt:
        done = len(list(folder.glob("runs/*/*/summary.json")))
        print(
            f"interrupted: {done} of {total} runs finished and are kept in {folder}; "
            f"finish the study with: sim study {args.scenario} --resume {folder}",
            file=sys.stderr,
        )
        raise SystemExit(130) from None
    report = folder / "report.md"
    manifest = read_manifest(folder, required=STUDY_KEYS)
    if "aggregated_utc" not in manifest or not report.is_file():
        # The callback did not run (or failed quietly, as Hydra only warns): do it here,
        # where an error is reported properly.
        from sim.experiments.report import aggregate

        report = aggregate(folder)
        print(f"report: {report.resolve()}")
    return 0
