"""``sim sensitivity``: the command line, and the settings it makes or resumes."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import pandas as pd

from sim.config import ConfigError
from sim.errors import UserError
from sim.kpis import phrase
from sim.launch import LAUNCHERS
from sim.output import timestamp, unique_path
from sim.research.sensitivity.report import indices_markdown
from sim.research.sensitivity.run import load_manifest, run_sensitivity
from sim.research.sensitivity.settings import (
    BY_YEAR,
    DEFAULT_BY_YEAR,
    DEFAULT_KPIS,
    DEFAULT_REPLICATIONS,
    DEFAULT_SAMPLES,
    DEFAULT_WORLD,
    METHODS,
    SMALL,
    Settings,
    check_settings,
    parse_kpis,
    settings_from_record,
)
from sim.research.uncertainties import UNCERTAINTIES_FILE, load_uncertainties


def build_parser() -> argparse.ArgumentParser:
    """The ``sim sensitivity`` argument parser."""
    parser = argparse.ArgumentParser(
        prog="sim sensitivity",
        description="Global sensitivity (Sobol or Morris) of KPIs to the declared uncertainties.",
    )
    parser.add_argument("--method", choices=METHODS, help="sobol (default) or morris")
    parser.add_argument(
        "--samples",
        type=int,
        help=f"Sobol: base samples N, a power of 2 (default {DEFAULT_SAMPLES['sobol']}; "
        f"N*(k+2)*R runs); Morris: trajectories (default {DEFAULT_SAMPLES['morris']}; "
        "N*(k+1)*R runs)",
    )
    parser.add_argument(
        "--replications", type=int, help=f"seeds per point (default {DEFAULT_REPLICATIONS})"
    )
    parser.add_argument(
        "--kpis", help=f"comma-separated summary KPIs (default {','.join(DEFAULT_KPIS)})"
    )
    parser.add_argument(
        "--by-year",
        help=f"KPI for the per-year indices: {', '.join(BY_YEAR)}, or none "
        f"(default {DEFAULT_BY_YEAR})",
    )
    parser.add_argument("--policy", help="the policy every run uses (default baseline)")
    parser.add_argument(
        "--small",
        action="store_true",
        help=f"a small world: {' '.join(SMALL)} (default: {' '.join(DEFAULT_WORLD)})",
    )
    parser.add_argument(
        "--uncertainties",
        type=Path,
        help="the uncertainties file (default configs/uncertainties.yaml)",
    )
    parser.add_argument("--root-seed", type=int, help="seeds the replications and the sampler")
    parser.add_argument(
        "--resume",
        type=Path,
        help="finish (or re-analyse, or grow with a larger --samples/--replications) a folder",
    )
    parser.add_argument("--results-dir", type=Path, default=Path("results"))
    parser.add_argument("--launcher", choices=LAUNCHERS, default="joblib")
    parser.add_argument("--jobs", type=int, default=-1, help="joblib workers (-1: all cores)")
    parser.add_argument("overrides", nargs="*", help="overrides for every run, e.g. run.weeks=520")
    return parser


def resolve(args: argparse.Namespace) -> tuple[Settings, Path]:
    """Settings and output folder from the command line (or from the folder resumed)."""
    by_year = args.by_year
    if by_year is not None and by_year.lower() == "none":
        by_year = ""
    if args.resume is not None:
        fixed = {
            "--method": args.method,
            "--policy": args.policy,
            "--uncertainties": args.uncertainties,
            "--root-seed": args.root_seed,
            "--small": args.small or None,
            "overrides": args.overrides or None,
        }
        given = [name for name, value in fixed.items() if value is not None]
        if given:
            raise ConfigError(
                f"--resume takes the design from the folder; drop {', '.join(given)} "
                "(allowed with --resume: --samples, --replications, --kpis, --by-year, "
                "--launcher, --jobs)"
            )
        old = settings_from_record(load_manifest(args.resume)["settings"])
        settings = replace(
            old,
            samples=args.samples if args.samples is not None else old.samples,
            replications=args.replications if args.replications is not None else old.replications,
            kpis=parse_kpis(args.kpis) if args.kpis is not None else old.kpis,
            by_year=(by_year or None) if by_year is not None else old.by_year,
        )
        if settings.samples < old.samples or settings.replications < old.replications:
            raise ConfigError(
                f"--resume {args.resume}: --samples/--replications can only grow "
                f"(the folder has {old.samples} and {old.replications})"
            )
        if settings.method == "morris" and settings.samples != old.samples:
            raise ConfigError("--samples: a Morris design cannot grow; start a new folder")
        return settings, args.resume
    method = args.method or "sobol"
    settings = Settings(
        method=method,
        samples=args.samples if args.samples is not None else DEFAULT_SAMPLES[method],
        replications=args.replications if args.replications is not None else DEFAULT_REPLICATIONS,
        kpis=parse_kpis(args.kpis) if args.kpis is not None else DEFAULT_KPIS,
        by_year=(by_year or None) if by_year is not None else DEFAULT_BY_YEAR,
        policy=args.policy or "baseline",
        root_seed=args.root_seed if args.root_seed is not None else 0,
        small=bool(args.small),
        # Stored whole, so a resumed folder keeps its world whatever the defaults become.
        overrides=(*(SMALL if args.small else DEFAULT_WORLD), *args.overrides),
        uncertainties=tuple(load_uncertainties(args.uncertainties or UNCERTAINTIES_FILE)),
    )
    check_settings(settings)
    name = f"{timestamp()}_{method}" + ("_small" if settings.small else "")
    return settings, unique_path(args.results_dir / "sensitivity" / name)


def main(argv: Sequence[str] | None = None) -> int:
    """Run a global sensitivity analysis (``sim sensitivity``); print the report's path."""
    args = build_parser().parse_intermixed_args(list(argv) if argv is not None else None)
    try:
        settings, folder = resolve(args)
        report = run_sensitivity(settings, folder, args.launcher, args.jobs)
    except (ConfigError, UserError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    indices = pd.read_csv(folder / "indices.csv")
    first = settings.kpis[0]
    table = indices[indices["kpi"] == first]
    print(f"\n{phrase(first)}:")
    print("\n".join(indices_markdown(table, settings)))
    print(f"\nreport: {report.resolve()}")
    return 0
