"""``sim ema``: the model as an EMA Workbench model, experiments, and PRIM scenario discovery.

The command line, checked into one ConfigError line per problem (the first line above
is the command's ``--help`` description).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from sim.config import ConfigError
from sim.output import timestamp, unique_path
from sim.research.ema.run import reanalyse, run
from sim.research.ema.settings import Settings
from sim.research.ema.workbench import base_config
from sim.research.levers import (
    LEVERS_FILE,
    load_levers,
)
from sim.research.uncertainties import UNCERTAINTIES_FILE, load_uncertainties
from sim.units import WEEKS_PER_YEAR

SMALL_WORLD = (
    "market.n_customers=1000",
    "workforce.n_employees=10",
    "run.weeks=104",
    "run.burn_in_weeks=26",
)
DEFAULTS = {"scenarios": 200, "replications": 1}
SMALL_DEFAULTS = {"scenarios": 12, "replications": 1}
POLICIES = ("uniform_service", "tiered_service")


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one-line ConfigErrors, not a usage dump."""

    def error(self, message: str) -> NoReturn:
        raise ConfigError(f"sim ema: {message}")


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="sim ema", description=__doc__.splitlines()[0])
    p.add_argument(
        "--scenarios", type=int, help="Latin-hypercube scenarios (default 200; small: 12)"
    )
    p.add_argument("--replications", type=int, help="seeds per experiment (default 1)")
    p.add_argument(
        "--policies",
        default=",".join(POLICIES),
        help="two policy bundles A,B: of interest are scenarios where B's NPV < A's",
    )
    p.add_argument(
        "--threshold", type=float, default=0.0, help="of interest: NPV(B) - NPV(A) < this"
    )
    p.add_argument(
        "--min-density", type=float, default=0.8, help="PRIM box: most coverage at this density"
    )
    p.add_argument("--root-seed", type=int, default=20240607, help="seeds scenarios and runs")
    p.add_argument("--jobs", type=int, default=-1, help="worker processes (1: sequential)")
    p.add_argument("--small", action="store_true", help="small world, 12 scenarios: a quick look")
    p.add_argument("--uncertainties", type=Path, default=UNCERTAINTIES_FILE)
    p.add_argument("--levers", type=Path, default=LEVERS_FILE)
    p.add_argument("--results-dir", type=Path, default=Path("results"))
    p.add_argument("--out", type=Path, help="output folder (default: a new time-stamped one)")
    p.add_argument(
        "--analyse",
        type=Path,
        metavar="FOLDER",
        help="PRIM again on a finished folder (with --threshold, --min-density); no new runs",
    )
    p.add_argument("overrides", nargs="*", help="world overrides for every run, e.g. market=tight")
    return p


def parse_settings(argv: Sequence[str]) -> Settings:
    """Parse and check the command line; every problem is one ConfigError line."""
    args = _parser().parse_intermixed_args(list(argv))
    defaults = SMALL_DEFAULTS if args.small else DEFAULTS
    scenarios = defaults["scenarios"] if args.scenarios is None else args.scenarios
    replications = defaults["replications"] if args.replications is None else args.replications
    if scenarios < 2:
        raise ConfigError(f"--scenarios={scenarios}: must be a whole number >= 2")
    if replications < 1:
        raise ConfigError(f"--replications={replications}: must be a whole number >= 1")
    if not 0 < args.min_density <= 1:
        raise ConfigError(f"--min-density={args.min_density}: must be a share in (0, 1]")
    if args.jobs == 0:
        raise ConfigError("--jobs=0: give a number of workers, or -1 for all cores")
    names = [p.strip() for p in str(args.policies).split(",") if p.strip()]
    if len(names) != 2 or names[0] == names[1]:
        raise ConfigError(f"--policies={args.policies}: expected two different policies A,B")
    uncertainties = load_uncertainties(args.uncertainties)
    levers = load_levers(args.levers)
    for override in args.overrides:
        key = override.lstrip("+~").split("=", 1)[0]
        if key in ("policy", "seed", "run.point") or key.startswith("hydra"):
            raise ConfigError(f"override '{override}': set by sim ema; use --policies")
        if key in {u.key for u in uncertainties} | {lever.field for lever in levers}:
            raise ConfigError(
                f"override '{override}': {key} is an uncertainty or a lever; "
                "it is sampled, not fixed"
            )
    fixed = [*(SMALL_WORLD if args.small else ()), *args.overrides]
    config = base_config(tuple(fixed), "baseline")
    if config.run.weeks < WEEKS_PER_YEAR:
        raise ConfigError(f"run.weeks={config.run.weeks}: the yearly outcomes need >= 52")
    folder = args.out
    if folder is None:
        stamp = timestamp() + ("_small" if args.small else "")
        folder = unique_path(args.results_dir / "ema" / stamp)
    return Settings(
        scenarios=scenarios,
        replications=replications,
        policies=(names[0], names[1]),
        threshold=args.threshold,
        min_density=args.min_density,
        root_seed=args.root_seed,
        jobs=args.jobs,
        small=args.small,
        fixed=fixed,
        uncertainties=uncertainties,
        levers=levers,
        levers_path=args.levers,
        uncertainties_path=args.uncertainties,
        folder=folder,
        argv=list(argv),
    )


def main(argv: Sequence[str] | None = None) -> int:
    """``sim ema [options] [overrides]``; also ``python -m sim.research.ema``."""
    args = list(sys.argv[1:] if argv is None else argv)
    if "--analyse" in args:
        options = _parser().parse_intermixed_args(args)
        if not 0 < options.min_density <= 1:
            raise ConfigError(f"--min-density={options.min_density}: must be a share in (0, 1]")
        return reanalyse(options.analyse, options.threshold, options.min_density)
    return run(parse_settings(args))
