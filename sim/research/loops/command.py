"""``sim loops``: the command line, its checks, and the folder it makes or resumes."""

from __future__ import annotations

import argparse
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from sim.config import ConfigError, feedback_links
from sim.experiments.scenario import load_scenario, scenario_names
from sim.launch import LAUNCHERS
from sim.manifest import write_manifest
from sim.output import unique_path
from sim.research.loops.arms import parse_links
from sim.research.loops.report import analyse, attribution_markdown
from sim.research.loops.sweep import MANIFEST, load_manifest, new_manifest, run_loops


def build_parser() -> argparse.ArgumentParser:
    """The command line of ``sim loops``."""
    parser = argparse.ArgumentParser(
        prog="sim loops",
        description="Cut each feedback link in turn and report how much of each policy's "
        "difference to the scenario's baseline it carries.",
    )
    parser.add_argument("scenario", nargs="?", help=f"one of: {', '.join(scenario_names())}")
    parser.add_argument(
        "--links", help=f"comma-separated links to cut (default all): {', '.join(feedback_links())}"
    )
    parser.add_argument("--metric", help="KPI to attribute (default: the scenario's headline)")
    parser.add_argument("--replications", type=int, help="seeds per cell (default: scenario's)")
    parser.add_argument(
        "--smoke",
        "--small",
        action="store_true",
        help="the scenario's smoke world: small, short, 2 replications unless given",
    )
    parser.add_argument("--resume", type=Path, help="finish (and re-analyse) a folder cut short")
    parser.add_argument(
        "--analyse", type=Path, help="only rebuild a folder's tables, figure and report"
    )
    parser.add_argument("--results-dir", type=Path, default=Path("results"))
    parser.add_argument("--launcher", choices=LAUNCHERS, default="joblib")
    parser.add_argument("--jobs", type=int, default=-1, help="joblib workers (-1: all cores)")
    parser.add_argument("overrides", nargs="*", help="overrides for every run, e.g. run.weeks=260")
    return parser


def prepare(args: argparse.Namespace, command: str) -> tuple[Path, dict[str, Any]]:
    """Check the command line and return the folder and the manifest of the sweep.

    Raises:
        ConfigError: one line naming what is wrong and what is allowed.
    """
    if args.resume is not None:
        folder = Path(args.resume)
        manifest = load_manifest(folder)
        if args.scenario and args.scenario != manifest["scenario"]:
            raise ConfigError(
                f"{folder} holds scenario '{manifest['scenario']}', not '{args.scenario}'"
            )
        return folder, manifest
    if not args.scenario:
        raise ConfigError(f"name a scenario; allowed: {', '.join(scenario_names())}")
    scenario = load_scenario(args.scenario)
    links = parse_links(args.links)
    metric = args.metric or scenario.headline
    allowed = list(dict.fromkeys([scenario.headline, *scenario.metrics]))
    if metric not in allowed:
        raise ConfigError(
            f"--metric={metric}: not a metric of {scenario.name}; allowed: {', '.join(allowed)}"
        )
    if args.replications is not None and args.replications < 2:
        raise ConfigError(f"--replications={args.replications}: at least 2 for paired intervals")
    manifest = new_manifest(
        scenario, links, metric, args.smoke, args.replications, args.overrides, command
    )
    from sim.compose import compose_config

    # Every arm's configuration is composed once by run_design; check the world and
    # the policies here so a bad override fails before a folder is made.
    for policy in scenario.policies:
        compose_config([*manifest["fixed_overrides"], f"policy={policy}"])
    name = f"{manifest['created_utc']}_{manifest['git']['revision']}"
    folder = unique_path(
        args.results_dir / "loops" / scenario.name / (name + ("_smoke" if args.smoke else ""))
    )
    folder.mkdir(parents=True)
    write_manifest(folder, manifest, MANIFEST)
    return folder, manifest


def main(argv: Sequence[str] | None = None) -> int:
    """Run a loop attribution (``sim loops``); print the folder and the report's path."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_intermixed_args(args_list)
    command = shlex.join(["sim", "loops", *args_list])
    from sim.errors import UserError

    try:
        if args.analyse is not None:
            folder, manifest = Path(args.analyse), load_manifest(Path(args.analyse))
            report = analyse(folder)
        else:
            folder, manifest = prepare(args, command)
            print(
                f"loops {manifest['scenario']}: {manifest['cells']} runs "
                f"({len(manifest['arms'])} arms x {len(manifest['policies'])} policies x "
                f"{len(manifest['seeds'])} seeds) -> {folder}",
                flush=True,
            )
            run_loops(folder, manifest, args.launcher, args.jobs)
            report = analyse(folder)
    except (ConfigError, UserError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    table = pd.read_csv(folder / "attribution.csv")
    for policy in dict.fromkeys(table["policy"]):
        print(f"\n{policy} vs {manifest['baseline']}:")
        print("\n".join(attribution_markdown(table, str(policy))))
    print(f"\nreport: {report.resolve()}")
    return 0
