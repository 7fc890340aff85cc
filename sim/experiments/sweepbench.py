"""Sweep throughput: the showcase study with the serial launcher and with joblib.

A benchmark command (``sim bench-sweep``), not a test: it prints both wall times and
their ratio, measured in one invocation so the ratio is fair on a noisy machine.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence


def time_study(launcher: str, jobs: int, replications: int | None, scenario: str) -> float:
    """Wall time of one whole study (start-up, runs, aggregation) in a fresh process."""
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [
            sys.executable, "-m", "sim", "study", scenario, "--launcher", launcher,
            "--jobs", str(jobs), "--results-dir", tmp,
        ]  # fmt: skip
        if replications is not None:
            cmd += ["--replications", str(replications)]
        start = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True, text=True)
        return time.perf_counter() - start


def main(argv: Sequence[str] | None = None) -> int:
    """Print the serial and joblib wall times of a study and the speed-up."""
    parser = argparse.ArgumentParser(prog="sim bench-sweep", description=__doc__)
    parser.add_argument("--scenario", default="showcase")
    parser.add_argument(
        "--replications", type=int, default=None, help="default: the scenario's own (10)"
    )
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args(list(argv) if argv is not None else None)
    reps = args.replications if args.replications is not None else "all"
    print(f"cores: {os.cpu_count()}; scenario {args.scenario}, replications: {reps}")
    serial = time_study("basic", 1, args.replications, args.scenario)
    print(f"serial launcher (basic):  {serial:7.1f} s", flush=True)
    parallel = time_study("joblib", args.jobs, args.replications, args.scenario)
    print(f"joblib, {args.jobs} workers:       {parallel:7.1f} s")
    print(f"speed-up: {serial / parallel:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
