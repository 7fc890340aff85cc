"""``sim bench``: which sizes to measure, each in its own process, then the report."""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from sim.bench.measure import (
    RESULT_TAG,
    SizeResult,
    measure_startup,
    run_size,
    run_size_in_subprocess,
)
from sim.bench.report import format_report, machine_summary

SIZES = (1_000, 10_000, 100_000, 1_000_000)
QUICK_SIZES = (1_000, 10_000)
WEEKS = 520
QUICK_WEEKS = 52
PEER_BUDGET = 4_000_000  # customer-weeks given to the Mesa peer per size (~10 s)
QUICK_PEER_BUDGET = 200_000


def _plan(args: argparse.Namespace) -> list[dict[str, Any]]:
    sizes = args.sizes or (QUICK_SIZES if args.quick else SIZES)
    weeks = args.weeks if args.weeks is not None else (QUICK_WEEKS if args.quick else WEEKS)
    budget = QUICK_PEER_BUDGET if args.quick else PEER_BUDGET
    plan = []
    for n in sorted(sizes):
        repeats = 1 if args.quick or n >= 1_000_000 else args.repeats
        peer_weeks = 0 if n > args.peer_max else max(1, min(weeks, budget // n))
        plan.append(
            {
                "customers": n,
                "weeks": weeks,
                "repeats": repeats,
                "kernel_weeks": weeks,
                "peer_weeks": peer_weeks,
            }
        )
    return plan


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark suite and print its tables (``sim bench --help`` for options)."""
    parser = argparse.ArgumentParser(
        prog="sim bench",
        description="Full model vs per-agent Mesa peer vs bare NumPy kernel, per customer-week.",
    )
    parser.add_argument("--quick", action="store_true", help="1k and 10k customers, 52 weeks")
    parser.add_argument(
        "--sizes", type=int, nargs="+", help="customer counts (default 1k 10k 100k 1M)"
    )
    parser.add_argument("--weeks", type=int, help="recorded weeks (default 520; quick 52)")
    parser.add_argument("--repeats", type=int, default=3, help="best of this many (below 1M)")
    parser.add_argument(
        "--peer-max",
        type=int,
        default=1_000_000,
        help="largest size given to the (slow) Mesa peer",
    )
    parser.add_argument(
        "--startup-runs", type=int, help="sim run start-up: best of this many (0 to skip)"
    )
    parser.add_argument("--json", metavar="PATH", help="also write the raw results as JSON")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(list(argv) if argv is not None else None)

    if args.worker:
        result = run_size(json.loads(args.worker))
        print(RESULT_TAG + json.dumps(asdict(result)), flush=True)
        return 0

    print(machine_summary(), flush=True)
    results: list[SizeResult] = []
    for spec in _plan(args):
        started = time.perf_counter()
        results.append(run_size_in_subprocess(spec))
        print(
            f"  measured {spec['customers']:,} customers in {time.perf_counter() - started:.0f} s",
            flush=True,
        )
    runs = args.startup_runs if args.startup_runs is not None else (1 if args.quick else 3)
    startup = measure_startup(runs, breakdown=not args.quick) if runs > 0 else None
    print()
    for line in format_report(results, startup):
        print(line)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(
                {
                    "machine": machine_summary(),
                    "sizes": [asdict(r) for r in results],
                    "startup": startup,
                },
                f,
                indent=2,
            )
    return 0
