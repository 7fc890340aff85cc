"""Soak benchmark: a long sweep of small runs, checked for leaks (``sim bench-soak``).

The sweep runs in a child process through the ordinary design-sweep path (one Hydra
multirun, joblib workers reused across runs), with its own temporary folder. Afterwards
it reports, from the per-run resource records the jobs write:

- memory per worker: RSS after its first runs and after its last runs;
- open file descriptors per worker, first vs last;
- processes of the sweep still alive after it exited (workers must not outlive it);
- temporary files left in its temporary folder or in /dev/shm under its process id;
- runs finished, failed, and partial folders left behind.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

SHM = Path("/dev/shm")


@dataclass
class SoakReport:
    """What a soak found."""

    runs: int
    finished: int
    failed: int
    partial_folders: int
    workers: pd.DataFrame  # one row per worker process
    leaked_processes: int
    leaked_temp_files: list[str]
    wall_seconds: float

    @property
    def max_rss_growth_mb(self) -> float:
        """The largest growth of a worker's memory between its early and late runs."""
        return float(self.workers["rss_growth_mb"].max()) if len(self.workers) else 0.0


def worker_table(resources: Path, window: int = 5) -> pd.DataFrame:
    """Per worker: runs, RSS early and late (median of ``window`` runs), fds, growth.

    The very first run of a worker is left out of the early window: it pays for the
    imports and the first allocations, which are start-up, not a leak.
    """
    records = [json.loads(p.read_text(encoding="utf-8")) for p in resources.glob("*.json")]
    if not records:
        return pd.DataFrame()
    table = pd.DataFrame(records).sort_values("finished_unix")
    rows = []
    for pid, runs in table.groupby("pid", sort=True):
        rss = runs["rss_mb"].to_numpy()
        early = rss[1 : 1 + window] if rss.size > 1 else rss
        late = rss[-window:]
        rows.append(
            {
                "pid": int(str(pid)),
                "runs": len(runs),
                "rss_early_mb": float(np.median(early)),
                "rss_late_mb": float(np.median(late)),
                "rss_growth_mb": float(np.median(late) - np.median(early)),
                "rss_mb_per_run": _slope(rss[1:]),
                "peak_rss_mb": float(runs["peak_rss_mb"].max()),
                "open_files_first": int(runs["open_files"].iloc[0]),
                "open_files_last": int(runs["open_files"].iloc[-1]),
            }
        )
    return pd.DataFrame(rows)


def _slope(values: np.ndarray) -> float:
    """Least-squares growth per run (0 with fewer than two values)."""
    if values.size < 2:
        return 0.0
    return float(np.polyfit(np.arange(values.size), values, 1)[0])


def _session_processes(sid: int) -> list[int]:
    """Process ids whose session is ``sid`` (the soak child started a new session)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text(encoding="ascii")
        except OSError:
            continue
        # Fields after the command name, which may itself contain spaces and parentheses.
        fields = stat[stat.rfind(")") + 2 :].split()
        if int(fields[3]) == sid:
            found.append(int(entry.name))
    return found


def soak(runs: int, jobs: int, customers: int, weeks: int, folder: Path) -> SoakReport:
    """Run the soak sweep in a child process and inspect what it left behind."""
    private_tmp = Path(tempfile.mkdtemp(prefix="sim-soak-tmp-"))
    env = {**os.environ, "TMPDIR": str(private_tmp), "JOBLIB_TEMP_FOLDER": str(private_tmp)}
    cmd = [
        sys.executable, "-m", "sim.experiments.soak", "--child", str(folder),
        "--runs", str(runs), "--jobs", str(jobs),
        "--customers", str(customers), "--weeks", str(weeks),
    ]  # fmt: skip
    start = time.perf_counter()
    child = subprocess.Popen(cmd, env=env, start_new_session=True)
    try:
        code = child.wait()
    except BaseException:
        os.killpg(child.pid, signal.SIGKILL)
        raise
    wall = time.perf_counter() - start
    if code != 0:
        raise RuntimeError(f"the soak sweep exited with status {code}")
    # Reusable joblib workers notice their parent has gone and exit; give them a moment.
    deadline = time.monotonic() + 15
    while _session_processes(child.pid) and time.monotonic() < deadline:
        time.sleep(0.25)
    leaked = _session_processes(child.pid)
    left = [str(p) for p in private_tmp.rglob("*")]
    if SHM.is_dir():
        left += [str(p) for p in SHM.iterdir() if str(child.pid) in p.name]
    shutil.rmtree(private_tmp, ignore_errors=True)
    return SoakReport(
        runs=runs,
        finished=len(list(folder.glob("runs/*/p*/s*/summary.json"))),
        failed=len(list(folder.glob("failures/*.json"))),
        partial_folders=len(list(folder.glob("runs/**/.*partial*"))),
        workers=worker_table(folder / "resources"),
        leaked_processes=len(leaked),
        leaked_temp_files=left,
        wall_seconds=wall,
    )


def _child(folder: Path, runs: int, jobs: int, customers: int, weeks: int) -> int:
    from sim.launch import run_design

    fixed = [
        f"market.n_customers={customers}",
        f"workforce.n_employees={max(1, customers // 100)}",
        f"run.weeks={weeks}",
        "run.burn_in_weeks=10",
    ]
    # One design row with no values: the sweep is the seeds, like a replication study.
    run_design(
        folder, pd.DataFrame(index=[0]), seeds=range(runs), fixed=fixed, jobs=jobs, purpose="soak"
    )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the soak and print its figures; exit 1 if anything leaked or was lost."""
    parser = argparse.ArgumentParser(prog="sim bench-soak", description=__doc__)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--customers", type=int, default=1000)
    parser.add_argument("--weeks", type=int, default=104)
    parser.add_argument("--keep", type=Path, help="keep the sweep folder here")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(list(argv) if argv is not None else None)
    if args.child is not None:
        return _child(args.child, args.runs, args.jobs, args.customers, args.weeks)
    for name in ("runs", "jobs", "customers", "weeks"):
        if getattr(args, name) < 1:
            from sim.config import ConfigError

            raise ConfigError(f"--{name}={getattr(args, name)}: a whole number >= 1")
    holder = tempfile.TemporaryDirectory(prefix="sim-soak-") if args.keep is None else None
    folder = Path(holder.name) / "sweep" if holder is not None else args.keep
    try:
        report = soak(args.runs, args.jobs, args.customers, args.weeks, folder)
    finally:
        if holder is not None:
            holder.cleanup()
    print(
        f"soak: {report.runs} runs ({args.customers} customers x {args.weeks} weeks), "
        f"{args.jobs} workers, {report.wall_seconds:.1f} s"
    )
    print(f"finished {report.finished}, failed {report.failed}, "
          f"partial folders left {report.partial_folders}")  # fmt: skip
    print(report.workers.to_string(index=False, float_format=lambda v: f"{v:.1f}"))
    print(f"largest RSS growth of a worker: {report.max_rss_growth_mb:+.1f} MB")
    print(f"processes alive after the sweep: {report.leaked_processes}")
    print(f"temporary files left: {len(report.leaked_temp_files)}")
    clean = (
        report.finished == report.runs
        and report.failed == 0
        and report.partial_folders == 0
        and report.leaked_processes == 0
        and not report.leaked_temp_files
    )
    return 0 if clean else 1


if __name__ == "__main__":
    raise SystemExit(main())
