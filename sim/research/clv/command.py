"""``sim clv``: the command line, the world it simulates and the replications over seeds."""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from sim.config import ConfigError, SimConfig
from sim.output import timestamp
from sim.research.clv.compare import analyse, replication_summary
from sim.research.clv.report import markdown_recovery, markdown_replications, write_outputs
from sim.research.clv.truth import Windows, load_run_config, read_log, replay, simulate
from sim.units import WEEKS_PER_YEAR

CUSTOMERS_PER_EMPLOYEE = 100  # the default world's staffing ratio (10,000 people, 100 staff)


@dataclass(frozen=True)
class Scale:
    """World size and horizon of one analysis."""

    name: str
    n_customers: int
    years: int
    replications: int


# Default: a cohort of ~2,600 first-time buyers per seed, so that the recovery errors
# are about the models rather than sampling noise; five seeds give their spread.
DEFAULT = Scale("default", 50_000, 3, 5)
SMALL = Scale("small", 10_000, 3, 1)


def _compose(overrides: Sequence[str]) -> SimConfig:
    from sim.compose import compose_config
    from sim.errors import UserError

    try:
        return compose_config(overrides)
    except UserError as exc:
        raise ConfigError(str(exc)) from exc


def build_config(
    scale: Scale, customers: int | None, years: int | None, overrides: Sequence[str]
) -> SimConfig:
    """The world to simulate: the scale's size and horizon unless overridden.

    Staff scale with the market (one employee per 100 people) so service levels match
    the default world's.
    """
    n = customers if customers is not None else scale.n_customers
    weeks = (years if years is not None else scale.years) * WEEKS_PER_YEAR
    given = {o.lstrip("+~").split("=", 1)[0] for o in overrides}
    base = {
        "market.n_customers": n,
        "workforce.n_employees": max(1, n // CUSTOMERS_PER_EMPLOYEE),
        "run.weeks": weeks,
        "run.figures": "false",
        "run.progress": "false",
    }
    own = [f"{k}={v}" for k, v in base.items() if k not in given]
    return _compose([*own, *overrides])


def main(argv: Sequence[str] | None = None) -> int:
    """Run (or replay) the model, fit BTYD models, compare with the truth, write a report.

    Raises:
        ConfigError: bad options, a run folder without a transaction log, a holdout as
            long as the run, a cohort too small to fit.
    """
    parser = argparse.ArgumentParser(
        prog="sim clv",
        description="Fit BG/NBD, Pareto/NBD and Gamma-Gamma (lifetimes) to a simulated "
        "transaction log and compare what they recover with the simulator's truth.",
    )
    parser.add_argument("overrides", nargs="*", help="Hydra overrides, e.g. seed=3")
    parser.add_argument("--run", type=Path, help="analyse this `sim run` folder instead")
    parser.add_argument("--small", action="store_true", help="10,000 people, one seed (for tests)")
    parser.add_argument("--customers", type=int, help="people in the market (default 50,000)")
    parser.add_argument("--years", type=int, help="recorded years (default 3)")
    parser.add_argument(
        "--replications", type=int, help="seeds seed, seed+1, ... (default 5; --small: 1)"
    )
    parser.add_argument("--holdout-weeks", type=int, default=WEEKS_PER_YEAR)
    parser.add_argument("--cohort-weeks", type=int, default=WEEKS_PER_YEAR)
    parser.add_argument("--out", type=Path, help="output folder (new)")
    parser.add_argument("--no-figures", action="store_true")
    given = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(given)
    scale = SMALL if args.small else DEFAULT
    replications = args.replications if args.replications is not None else scale.replications
    command = " ".join(["python -m sim.research.clv", *given])
    start = time.perf_counter()
    if args.run is not None:
        if args.overrides or args.customers or args.years or (args.replications or 1) > 1:
            raise ConfigError(
                "--run analyses one finished run: no overrides, --customers, --years "
                "or --replications"
            )
        cfg = load_run_config(args.run)
        log = read_log(args.run)
        windows = Windows(cfg.run.weeks, args.holdout_weeks, args.cohort_weeks, cfg.run.start_date)
        windows.check()
        print(f"replaying {args.run} to recover its truth ({cfg.run.weeks} weeks)", flush=True)
        analysis = analyse(cfg, windows, replay(args.run, windows, cfg, log), log)
        source = f"run folder {args.run} (replayed in-process for the truth)"
        recoveries = [analysis.recovery.assign(seed=cfg.seed)]
    else:
        for option, value in (
            ("--customers", args.customers),
            ("--years", args.years),
            ("--replications", replications),
        ):
            if value is not None and value < 1:
                raise ConfigError(f"{option} {value}: must be at least 1")
        cfg = build_config(scale, args.customers, args.years, args.overrides)
        windows = Windows(cfg.run.weeks, args.holdout_weeks, args.cohort_weeks, cfg.run.start_date)
        windows.check()
        source = "simulated in-process"
        recoveries = []
        for i in range(replications):
            seeded = dataclasses.replace(cfg, seed=cfg.seed + i)
            print(
                f"seed {seeded.seed}: {cfg.market.n_customers:,} people, {cfg.run.weeks} weeks",
                flush=True,
            )
            result = analyse(seeded, windows, simulate(seeded, windows))
            recoveries.append(result.recovery.assign(seed=seeded.seed))
            if i == 0:
                analysis = result
    table = pd.concat(recoveries, ignore_index=True)
    seconds = time.perf_counter() - start
    name = timestamp() + ("_small" if args.small else "")
    out = args.out if args.out is not None else Path("results") / "clv" / name
    folder = write_outputs(
        analysis,
        out,
        command,
        source,
        seconds,
        figures=not args.no_figures,
        replications=table if replications > 1 else None,
    )
    print(markdown_recovery(analysis.recovery))
    if replications > 1:
        print(markdown_replications(replication_summary(table)))
    print(f"report: {(folder / 'report.md').resolve()}")
    return 0
