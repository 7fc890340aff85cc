"""``sim validate [--quick] [--out DIR] [--only NAME ...]``: reproduce the stylized facts."""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime
from pathlib import Path

from sim.manifest import revision
from sim.validation.core import FULL, QUICK, Check, Scale
from sim.validation.experiments import EXPERIMENTS
from sim.validation.report import headline, text_table, write_report


def run_all(scale: Scale, only: list[str] | None = None) -> list[Check]:
    """Run the chosen experiments (all by default) and return their checks in order."""
    checks: list[Check] = []
    for name, experiment in EXPERIMENTS.items():
        if only and name not in only:
            continue
        t0 = time.perf_counter()
        new = experiment(scale)
        print(f"  {name}: {time.perf_counter() - t0:.0f} s", flush=True)
        checks += new
    return checks


def main(argv: list[str]) -> int:
    """Run the validation; return 0 when every validation and target check passes, else 1.

    Input read-backs are reported but never decide the exit status: they prove nothing.
    """
    parser = argparse.ArgumentParser(prog="sim validate", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer replications, small worlds")
    parser.add_argument("--out", type=Path, default=None, help="report folder (new)")
    parser.add_argument("--only", nargs="*", choices=sorted(EXPERIMENTS), help="experiments")
    parser.add_argument("--no-figures", action="store_true", help="skip the PNG figures")
    args = parser.parse_args(argv)
    scale = QUICK if args.quick else FULL
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out: Path = args.out or Path("results") / "validation" / f"{stamp}_{scale.name}"
    if out.exists():
        parser.error(f"--out {out}: already exists")
    print(
        f"sim validate ({scale.name}: {scale.replications} replications, "
        f"{scale.n_customers:,} people, {scale.workers} worker(s))",
        flush=True,
    )
    code = revision()  # the code that runs, before the tree can move on
    t0 = time.perf_counter()
    checks = run_all(scale, args.only)
    seconds = time.perf_counter() - t0
    print(text_table(checks))
    report = write_report(checks, out, scale.name, seconds, figures=not args.no_figures, code=code)
    for line in headline(checks):
        print(line)
    print(f"{seconds:.0f} s; report: {report}")
    counted = [c for c in checks if c.kind != "input"]
    return 0 if all(c.passed for c in counted) else 1
