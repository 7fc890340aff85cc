"""Benchmark: wall time and customer-weeks per second of the full model.

A command, not a timed test: machines here are shared and noisy, so it reports the
best of several repeats and leaves judging to people (or to ratios in one run).
"""

from __future__ import annotations

import argparse
import platform
import time
from collections.abc import Sequence

from sim.config import SimConfig
from sim.model import ServiceProfitChainModel

REFERENCE = {"customers": 10_000, "employees": 100, "competitors": 3, "weeks": 520}


def time_model(customers: int, employees: int, weeks: int, seed: int = 0) -> dict[str, float]:
    """Build and run one model; return build and run seconds."""
    cfg = SimConfig()
    cfg.market.n_customers = customers
    cfg.workforce.n_employees = employees
    cfg.run.weeks = weeks
    start = time.perf_counter()
    model = ServiceProfitChainModel(cfg, rng=seed)
    built = time.perf_counter()
    model.run()
    done = time.perf_counter()
    return {"build_s": built - start, "run_s": done - built, "total_s": done - start}


def main(argv: Sequence[str] | None = None) -> int:
    """Print wall time and customer-weeks per second at the reference size."""
    parser = argparse.ArgumentParser(prog="sim bench", description=__doc__)
    parser.add_argument("--repeats", type=int, default=3, help="best of this many runs")
    parser.add_argument("--customers", type=int, default=REFERENCE["customers"])
    parser.add_argument("--weeks", type=int, default=REFERENCE["weeks"])
    parser.add_argument("--quick", action="store_true", help="one repeat, 104 weeks")
    args = parser.parse_args(list(argv) if argv is not None else None)
    repeats = 1 if args.quick else args.repeats
    weeks = 104 if args.quick else args.weeks
    employees = max(1, round(args.customers * REFERENCE["employees"] / REFERENCE["customers"]))
    print(f"machine: {platform.machine()}, Python {platform.python_version()}, one core")
    print(
        f"size: {args.customers:,} customers, {employees} employees, "
        f"{REFERENCE['competitors']} competitors, {weeks} weeks; best of {repeats}"
    )
    runs = [time_model(args.customers, employees, weeks, seed=i) for i in range(repeats)]
    best = min(runs, key=lambda r: r["total_s"])
    rate = args.customers * weeks / best["run_s"]
    print(
        f"build: {best['build_s']:.3f} s   run: {best['run_s']:.3f} s   "
        f"total: {best['total_s']:.3f} s"
    )
    print(f"customer-weeks per second: {rate:,.0f}  ({1e6 / rate:.3f} us per customer-week)")
    return 0
