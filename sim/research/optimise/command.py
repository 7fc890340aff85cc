"""``sim optimise``: search the policy levers for the best KPI under a constraint (Optuna).

The command line, checked into one ConfigError line per problem (the first line above
is the command's ``--help`` description), and the whole run: search, confirm, report.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

import pandas as pd

from sim.config import ConfigError
from sim.kpis import format_short
from sim.launch import LAUNCHERS
from sim.manifest import write_manifest
from sim.output import timestamp, unique_path, write_text_atomically
from sim.research.levers import (
    LEVERS_FILE,
    load_levers,
)
from sim.research.optimise.confirm import best_policy, confirm
from sim.research.optimise.plots import history_figure
from sim.research.optimise.report import (
    new_manifest,
    no_improvement,
    verdict,
    write_best,
    write_report,
)
from sim.research.optimise.search import best_trial, search
from sim.research.optimise.settings import (
    DEFAULTS,
    KPIS,
    SMALL_DEFAULTS,
    SMALL_WORLD,
    Settings,
    base_config,
)


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one-line ConfigErrors, not a usage dump."""

    def error(self, message: str) -> NoReturn:
        raise ConfigError(f"sim optimise: {message}")


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="sim optimise", description=__doc__.splitlines()[0])
    p.add_argument("--kpi", default="npv_profit", help=f"objective; one of: {', '.join(KPIS)}")
    p.add_argument("--minimize", action="store_true", help="minimise the KPI (default: maximise)")
    p.add_argument("--trials", type=int, help="policies to try (default 40; small: 24)")
    p.add_argument("--replications", type=int, help="seeds per trial (default 4; small: 2)")
    p.add_argument("--batch", type=int, help="trials per design sweep (default 4)")
    p.add_argument(
        "--confirm", type=int, help="fresh seeds for best vs baseline (default 20; small: 8)"
    )
    p.add_argument("--max-turnover", type=float, help="constraint: mean employee turnover <= this")
    p.add_argument("--root-seed", type=int, default=20240607, help="seeds every draw of the search")
    p.add_argument("--baseline", default="baseline", help="policy bundle the levers start from")
    p.add_argument("--levers", type=Path, default=LEVERS_FILE, help="levers file")
    p.add_argument("--small", action="store_true", help="small world, few trials: a quick look")
    p.add_argument("--launcher", choices=LAUNCHERS, default="joblib")
    p.add_argument("--jobs", type=int, default=-1, help="joblib workers (-1: all cores)")
    p.add_argument("--results-dir", type=Path, default=Path("results"))
    p.add_argument("--out", type=Path, help="output folder (default: a new time-stamped one)")
    p.add_argument(
        "--resume",
        type=Path,
        help="add --trials more trials to the study in this folder (its study.db), "
        "then confirm the best again",
    )
    p.add_argument("overrides", nargs="*", help="world overrides for every run, e.g. market=tight")
    return p


def _whole(name: str, value: int, least: int) -> int:
    if value < least:
        raise ConfigError(f"{name}={value}: must be a whole number >= {least}")
    return value


# Options a resumed search may change; everything else comes from the folder's manifest.
RESUMABLE = ("--trials", "--batch", "--confirm", "--launcher", "--jobs")


def resume_settings(folder: Path, argv: Sequence[str]) -> Settings:
    """The settings of the search in ``folder``, with this session's trials and workers.

    The search's own command line is read back from the folder's manifest, so the
    levers, world, KPI, constraint and seeds are those of the study in ``study.db``.

    Raises:
        ConfigError: the folder holds no search, or an option that would change the
            search is given (naming it and the allowed ones).
    """
    from dataclasses import replace

    from sim.manifest import read_manifest
    from sim.research.optimise.search import STORAGE

    args = _parser().parse_intermixed_args(list(argv))
    named = {a.split("=", 1)[0] for a in argv if a.startswith("--")} - {"--resume"}
    refused = sorted(named - set(RESUMABLE)) + (["overrides"] if args.overrides else [])
    if refused:
        raise ConfigError(
            f"--resume takes the search from the folder; drop {', '.join(refused)} "
            f"(allowed with --resume: {', '.join(RESUMABLE)})"
        )
    manifest = read_manifest(folder, kind="a sim optimise folder")
    if not (folder / STORAGE).is_file():
        raise ConfigError(f"{folder}: no {STORAGE}; is this a sim optimise folder?")
    original = [str(a) for a in manifest["command"][1:]]
    settings = parse_settings(original)
    defaults = SMALL_DEFAULTS if settings.small else DEFAULTS
    counts = {
        name: _whole(
            f"--{name}", defaults[name] if getattr(args, name) is None else getattr(args, name), 1
        )
        for name in ("trials", "batch", "confirm")
    }
    if counts["confirm"] < 2:
        raise ConfigError(f"--confirm={counts['confirm']}: must be a whole number >= 2")
    if args.jobs == 0:
        raise ConfigError("--jobs=0: give a number of workers, or -1 for all cores")
    return replace(
        settings,
        folder=folder,
        launcher=args.launcher,
        jobs=args.jobs,
        resume=list(argv),
        trials=counts["trials"],
        batch=counts["batch"],
        confirm=counts["confirm"],
    )


def parse_settings(argv: Sequence[str]) -> Settings:
    """Parse and check the command line; every problem is one ConfigError line."""
    args = _parser().parse_intermixed_args(list(argv))
    if args.resume is not None:
        return resume_settings(args.resume, argv)
    if args.kpi not in KPIS:
        raise ConfigError(f"--kpi={args.kpi}: unknown KPI; allowed: {', '.join(KPIS)}")
    defaults = SMALL_DEFAULTS if args.small else DEFAULTS
    counts = {
        name: _whole(
            f"--{name}",
            defaults[name] if getattr(args, name) is None else getattr(args, name),
            least,
        )
        for name, least in (("trials", 1), ("replications", 1), ("batch", 1), ("confirm", 2))
    }
    if args.max_turnover is not None and not args.max_turnover > 0:
        raise ConfigError(f"--max-turnover={args.max_turnover}: must be a share > 0")
    if args.jobs == 0:
        raise ConfigError("--jobs=0: give a number of workers, or -1 for all cores")
    levers = load_levers(args.levers)
    touched = {lever.field for lever in levers}
    for override in args.overrides:
        key = override.lstrip("+~").split("=", 1)[0]
        if key in ("policy", "seed", "run.point") or key.startswith("hydra"):
            raise ConfigError(
                f"override '{override}': set by sim optimise; use --baseline for the policy"
            )
        if key in touched:
            raise ConfigError(
                f"override '{override}': {key} is a lever in {args.levers.name}; "
                "fix it there (value: ...) or drop the override"
            )
    fixed = [*(SMALL_WORLD if args.small else ()), *args.overrides]
    base_config(tuple(fixed), args.baseline)
    folder = args.out
    if folder is None:
        stamp = timestamp() + ("_small" if args.small else "")
        folder = unique_path(args.results_dir / "optimise" / stamp)
    return Settings(
        kpi=args.kpi,
        minimize=args.minimize,
        trials=counts["trials"],
        replications=counts["replications"],
        batch=counts["batch"],
        confirm=counts["confirm"],
        max_turnover=args.max_turnover,
        root_seed=args.root_seed,
        baseline=args.baseline,
        levers_path=args.levers,
        levers=levers,
        fixed=fixed,
        launcher=args.launcher,
        jobs=args.jobs,
        small=args.small,
        folder=folder,
        argv=list(argv),
    )


def run(settings: Settings) -> int:
    """Search, confirm and write every output; 0 when a feasible best was found."""
    from sim.plots import save

    start = time.perf_counter()
    settings.folder.mkdir(parents=True, exist_ok=True)
    manifest = new_manifest(settings)
    if settings.resume:
        # The folder's manifest keeps the search as first made; each session is added.
        from sim.manifest import read_manifest

        manifest = read_manifest(settings.folder, kind="a sim optimise folder")
        session = {"command": ["sim optimise", *settings.resume], "trials": settings.trials}
        manifest["resumed"] = [
            *manifest.get("resumed", []),
            {**session, "created_utc": timestamp()},
        ]
    write_manifest(settings.folder, manifest)
    n_runs = settings.trials * settings.replications
    print(
        f"sim optimise: {settings.direction} {settings.kpi}, {settings.trials} "
        f"{'more ' if settings.resume else ''}trials x {settings.replications} seeds "
        f"(+ {2 * settings.confirm} to confirm) -> {settings.folder}",
        flush=True,
    )
    history = search(settings)
    write_text_atomically(settings.folder / "history.csv", history.to_csv(index=False))
    save(history_figure(settings, history), settings.folder / "history.png")
    trial = best_trial(settings, history)
    policy: dict[str, Any] = {}
    summary = pd.DataFrame()
    baseline_best = trial is not None and trial["origin"] == "baseline"
    if trial is not None and not baseline_best:
        policy = best_policy(settings, trial)
        write_best(settings, trial, policy)
        # A resumed search confirms its best in a folder of its own: run_design reuses
        # finished runs, which would otherwise be the previous session's best.
        where = f"confirm-after-{len(history)}-trials" if settings.resume else "confirm"
        per_seed, summary = confirm(settings, policy, settings.folder / where)
        n_runs += 2 * settings.confirm
        write_text_atomically(settings.folder / "comparison_runs.csv", per_seed.to_csv(index=False))
        write_text_atomically(settings.folder / "comparison.csv", summary.to_csv(index=False))
    seconds = time.perf_counter() - start
    report = write_report(settings, history, trial, policy, summary, seconds, n_runs)
    if trial is None:
        print(f"no feasible trial; report: {report}", flush=True)
        return 1
    if baseline_best:
        print(f"{no_improvement(len(history))}\nreport: {report}", flush=True)
        return 0
    head = summary[summary["metric"] == settings.kpi].iloc[0]

    def shown(value: float) -> str:  # as the report writes it: 1,234,567, not 1.235e+06
        return format_short(settings.kpi, float(value), signed=True)

    print(
        f"best: trial {int(trial['trial'])}; {settings.kpi} vs {settings.baseline} "
        f"{shown(head['diff_mean'])} [95% CI {shown(head['diff_ci_low'])}, "
        f"{shown(head['diff_ci_high'])}; n={int(head['n'])}] in {seconds / 60:.1f} min "
        f"({len(history)} trials)",
        flush=True,
    )
    print(verdict(settings, summary), flush=True)
    print(f"report: {report}", flush=True)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """``sim optimise [options] [overrides]``; also ``python -m sim.research.optimise``."""
    return run(parse_settings(list(sys.argv[1:] if argv is None else argv)))
