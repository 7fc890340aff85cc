"""``sim fit-customers TRANSACTIONS.csv --split DATE``: the command line."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from sim.config import ConfigError
from sim.configstore import CONFIG_DIR
from sim.customers import pipeline, report
from sim.customers.transactions import CDNOW, REQUIRED
from sim.output import timestamp

DEFAULT_REPLICATIONS = 10


def main(argv: Sequence[str]) -> int:
    """Fit, forecast, compare and write; print the two errors and where the files went.

    Raises:
        UserError: bad file, columns, split or name.
        ConfigError: a fit outside the model's ranges, or bad options.
    """
    parser = argparse.ArgumentParser(
        prog="sim fit-customers",
        description="Fit the model's customer world to a transaction log up to --split, "
        "forecast the period after it through the model's weekly step and compare with "
        f"BG/NBD. The log is a CSV with columns {', '.join(REQUIRED)}, or one of: "
        f"{', '.join(CDNOW)} (the CDNOW files shipped with lifetimes).",
    )
    parser.add_argument("transactions", help="CSV file, or cdnow / cdnow-sample")
    parser.add_argument("--split", required=True, help="last date of calibration (YYYY-MM-DD)")
    parser.add_argument("--out", type=Path, help="output folder (new)")
    parser.add_argument("--name", help="config option name (default: a slug of the file stem)")
    parser.add_argument("--replications", type=int, default=DEFAULT_REPLICATIONS)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(list(argv))
    if args.replications < 1:
        raise ConfigError(f"--replications {args.replications}: must be at least 1")
    name = args.name if args.name is not None else report.slug(args.transactions)
    option = report.check_name(name, CONFIG_DIR)
    command = " ".join(["sim fit-customers", *argv])
    outcome = pipeline.analyse(args.transactions, args.split, args.seed, args.replications)
    default = Path("results") / "fit_customers" / f"{timestamp()}_{name}"
    folder = report.write(outcome, args.out or default, name, command, option)
    print(
        f"{outcome.hist.rows.size:,} customers, split {outcome.log.split.date()} "
        f"({outcome.log.calibration_weeks} + {outcome.log.holdout_weeks} weeks)\n"
        f"MAPE of cumulative repeat purchases over the holdout: model "
        f"{outcome.model_mape_cum:.3f}, BG/NBD {outcome.bgnbd_mape_cum:.3f} "
        f"(ratio {outcome.model_mape_cum / outcome.bgnbd_mape_cum:.2f})\n"
        f"results: {(folder / 'holdout.json').resolve()}\n"
        f"config option: {option} (use: sim run {report.GROUP}={name})"
    )
    return 0
