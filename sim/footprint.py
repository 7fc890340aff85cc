"""What a run or a sweep will take: memory per run and disk, checked before it starts.

The figures are measured, not modelled (docs/cluster.md, ``sim bench``): peak memory of
one run is about 250 MB plus 0.8 KB per person in the market; a run folder holds about
0.5 MB of tables and figures plus 95 bytes per person (the customer ledger), and a
transaction log about 1.6 bytes per person and week at the default visit rate. The
estimates round up (x 1.5) so a sweep that is refused would not have fitted.
"""

from __future__ import annotations

import math
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from sim.config import ConfigError, SimConfig

MARGIN = 1.5  # estimates are rounded up by half again
MB = 1e6
LARGE_MB = 1000.0  # a run this large (memory or disk) says what it will take before it starts


@dataclass(frozen=True)
class Footprint:
    """Peak memory of one run and the disk one run folder takes, in MB."""

    memory_mb: float
    disk_mb: float


def estimate(cfg: SimConfig) -> Footprint:
    """Measured memory and disk of one run of ``cfg``, rounded up.

    >>> estimate(SimConfig()).memory_mb  # 10,000 people
    387.0
    >>> big = SimConfig()
    >>> big.market.n_customers, big.run.transaction_log = 5_000_000, True
    >>> round(estimate(big).disk_mb / 1000)  # GB: the transaction log dominates
    7
    """
    people, weeks = cfg.market.n_customers, cfg.run.weeks
    memory = 250.0 + 0.0008 * people
    disk = 0.5 + 95e-6 * people
    if cfg.run.transaction_log:
        disk += 1.6e-6 * people * weeks * cfg.market.visits_per_week / 0.5
    return Footprint(round(MARGIN * memory, 1), round(MARGIN * disk, 1))


def available_memory_mb() -> float:
    """Memory the system can still give (Linux ``MemAvailable``; inf where unknown)."""
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024 / MB
    except OSError:
        pass
    return math.inf


def free_disk_mb(folder: Path) -> float:
    """Free space on the file system that ``folder`` is (or would be) on."""
    here = Path(folder).resolve()
    while not here.exists():
        here = here.parent
    return shutil.disk_usage(here).free / MB


def check_room(cfg: SimConfig, runs: int, workers: int, folder: Path) -> str:
    """Refuse a sweep that cannot fit; otherwise say in one line what it will take.

    Args:
        cfg: One run's configuration (every run of the sweep is about this size).
        runs: Runs in the sweep.
        workers: Runs at the same time (-1: one per core).
        folder: Where the results will be written.

    Raises:
        ConfigError: when the disk or the memory cannot hold it, with what would.
    """
    one = estimate(cfg)
    at_once = min(runs, os.cpu_count() or 1) if workers < 1 else min(runs, workers)
    disk, memory = one.disk_mb * runs, one.memory_mb * at_once
    free, spare = free_disk_mb(folder), available_memory_mb()
    if disk > free:
        raise ConfigError(
            f"{'one run needs' if runs == 1 else f'{runs} runs need'} about "
            f"{disk / 1000:,.1f} GB in {folder}, but only "
            f"{free / 1000:,.1f} GB is free; allowed: fewer runs or people, "
            "run.transaction_log=false, or another run.results_dir"
        )
    if one.memory_mb > spare:
        raise ConfigError(
            f"one run of {cfg.market.n_customers:,} people needs about "
            f"{one.memory_mb / 1000:,.1f} GB of memory, but {spare / 1000:,.1f} GB is "
            "available; allowed: fewer people (market.n_customers)"
        )
    if memory > spare:
        raise ConfigError(
            f"{at_once} runs at once need about {memory / 1000:,.1f} GB of memory, but "
            f"{spare / 1000:,.1f} GB is available; allowed: --jobs "
            f"{int(spare // one.memory_mb)} or fewer"
        )
    return (
        f"{runs} run{'s' if runs != 1 else ''}: about {one.memory_mb:,.0f} MB of memory each "
        f"({at_once} at once) and {disk:,.0f} MB on disk"
    )
