"""Measuring one population size: the model, the bare kernel, the Mesa peer, start-up.

Each size runs in a fresh process (``python -m sim.bench --worker``) so that its peak
RSS is its own; heavy imports happen inside the measuring functions, after the base
RSS is read.
"""

from __future__ import annotations

import gc
import json
import math
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from typing import Any

RESULT_TAG = "BENCH_RESULT "


@dataclass
class SizeResult:
    """Timings of one population size, measured in one fresh process."""

    customers: int
    weeks: int
    burn_in_weeks: int
    repeats: int
    build_s: float = math.nan
    burn_in_s: float = math.nan
    weeks_s: float = math.nan
    weeks_cpu_s: float = math.nan
    tables_s: float = math.nan
    total_s: float = math.nan
    total_cpu_s: float = math.nan
    base_rss_mb: float = math.nan
    peak_rss_mb: float = math.nan
    kernel_weeks: int = 0
    kernel_s: float = math.nan
    kernel_cpu_s: float = math.nan
    peer_weeks: int = 0
    peer_build_s: float = math.nan
    peer_s: float = math.nan
    peer_cpu_s: float = math.nan
    roster_s: float = math.nan
    roster_mb: float = math.nan
    outcomes: dict[str, dict[str, float]] = field(default_factory=dict)

    def us_per_cw(self, seconds: float, weeks: int) -> float:
        """Microseconds per customer-week of ``seconds`` spent on ``weeks`` weeks."""
        return 1e6 * seconds / (self.customers * weeks) if weeks else math.nan

    # Rates and ratios use CPU time: on a shared machine a single-threaded process's CPU
    # time leaves out the time it waited for a core, which wall time does not.

    @property
    def model_us(self) -> float:
        """Model's recorded weeks, CPU microseconds per customer-week."""
        return self.us_per_cw(self.weeks_cpu_s, self.weeks)

    @property
    def kernel_us(self) -> float:
        """Bare kernel, CPU microseconds per customer-week."""
        return self.us_per_cw(self.kernel_cpu_s, self.kernel_weeks)

    @property
    def peer_us(self) -> float:
        """Mesa peer, CPU microseconds per customer-week."""
        return self.us_per_cw(self.peer_cpu_s, self.peer_weeks)

    @property
    def bytes_per_customer(self) -> float:
        """Peak RSS above the interpreter and imports, per customer."""
        return (self.peak_rss_mb - self.base_rss_mb) * 2**20 / self.customers


def _rss_mb() -> float:
    """Resident set size of this process now, in MiB (Linux /proc; peak elsewhere)."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return _peak_rss_mb()


def _peak_rss_mb() -> float:
    """Peak resident set size of this process so far, in MiB (Linux reports KiB)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024


def _clock() -> tuple[float, float]:
    """Wall and CPU seconds now."""
    return time.perf_counter(), time.process_time()


def measure_model(customers: int, weeks: int, repeats: int, seed: int = 0) -> dict[str, float]:
    """Time the full model: build, burn-in, recorded weeks and output tables (best of).

    The build alone is timed on a model without burn-in; burn-in is the rest of the
    constructor of the model that is then run.
    """
    from sim.model import ServiceProfitChainModel
    from sim.perf.update import bench_config
    from sim.results import collect

    cfg = bench_config(customers, seed)
    cfg.run.weeks = weeks
    bare = bench_config(customers, seed)
    bare.run.burn_in_weeks = 0
    best: dict[str, float] = {}
    for r in range(repeats):
        gc.collect()
        t0, _ = _clock()
        model = ServiceProfitChainModel(bare)
        t1, _ = _clock()
        del model
        gc.collect()
        t2, c2 = _clock()
        model = ServiceProfitChainModel(cfg)
        t3, c3 = _clock()
        model.run()
        t4, c4 = _clock()
        collect(model)
        t5, c5 = _clock()
        del model
        times = {
            "build_s": t1 - t0,
            "burn_in_s": max(0.0, (t3 - t2) - (t1 - t0)),
            "weeks_s": t4 - t3,
            "weeks_cpu_s": c4 - c3,
            "tables_s": t5 - t4,
            "total_s": t5 - t2,
            "total_cpu_s": c5 - c2,
        }
        best = times if r == 0 else {k: min(v, best[k]) for k, v in times.items()}
    return best


def measure_kernel(customers: int, weeks: int, repeats: int, seed: int = 0) -> dict[str, Any]:
    """Time the bare NumPy kernel over ``weeks`` weeks (best of ``repeats``)."""
    from sim.perf.kernel import CustomerKernel
    from sim.perf.update import bench_config

    best, best_cpu = math.inf, math.inf
    outcome: dict[str, float] = {}
    for _ in range(repeats):
        kernel = CustomerKernel.from_config(bench_config(customers), seed)
        t0, c0 = _clock()
        out = kernel.run(weeks)
        t1, c1 = _clock()
        best, best_cpu = min(best, t1 - t0), min(best_cpu, c1 - c0)
        outcome = _rates(out)
    return {"kernel_s": best, "kernel_cpu_s": best_cpu, "outcome": outcome}


def measure_roster(customers: int) -> dict[str, float]:
    """Time and memory of the model's customer roster alone: one ``Customer`` agent per row.

    Measured on a bare Mesa model, so it isolates what the roster costs the build.
    """
    import mesa

    from sim.agents import Customer

    gc.collect()
    before = _rss_mb()
    model = mesa.Model(rng=0)
    t0 = time.perf_counter()
    for row in range(customers):
        Customer(model, row)
    seconds = time.perf_counter() - t0
    grown = _rss_mb() - before
    model.remove_all_agents()
    return {"roster_s": seconds, "roster_mb": grown}


def measure_peer(customers: int, weeks: int, seed: int = 0) -> dict[str, Any]:
    """Build the per-agent Mesa peer and time ``weeks`` weeks of it (one repeat: it is slow)."""
    from sim.perf.mesa_peer import PeerModel
    from sim.perf.update import bench_config

    t0, _ = _clock()
    model = PeerModel(bench_config(customers), rng=seed)
    t1, c1 = _clock()
    out = model.run(weeks)
    t2, c2 = _clock()
    return {
        "peer_build_s": t1 - t0,
        "peer_s": t2 - t1,
        "peer_cpu_s": c2 - c1,
        "outcome": _rates(out),
    }


def _rates(out: Any) -> dict[str, float]:
    return {
        "defection_rate": out.defection_rate,
        "visit_rate": out.visit_rate,
        "mean_satisfaction": out.mean_satisfaction,
    }


def run_size(spec: dict[str, Any]) -> SizeResult:
    """Measure one size in this process: the model first (for its peak RSS), then the rest."""
    from sim.config import SimConfig

    n = int(spec["customers"])
    result = SizeResult(
        customers=n,
        weeks=int(spec["weeks"]),
        burn_in_weeks=SimConfig().run.burn_in_weeks,
        repeats=int(spec["repeats"]),
        kernel_weeks=int(spec["kernel_weeks"]),
        peer_weeks=int(spec["peer_weeks"]),
    )
    result.base_rss_mb = _rss_mb()
    if result.weeks:
        for key, value in measure_model(n, result.weeks, result.repeats).items():
            setattr(result, key, value)
    result.peak_rss_mb = _peak_rss_mb()
    gc.collect()
    if result.kernel_weeks:
        kernel = measure_kernel(n, result.kernel_weeks, result.repeats)
        result.kernel_s, result.kernel_cpu_s = kernel["kernel_s"], kernel["kernel_cpu_s"]
        result.outcomes["kernel"] = kernel["outcome"]
    for key, value in measure_roster(n).items():
        setattr(result, key, value)
    gc.collect()
    if result.peer_weeks:
        peer = measure_peer(n, result.peer_weeks)
        result.peer_build_s, result.peer_s = peer["peer_build_s"], peer["peer_s"]
        result.peer_cpu_s = peer["peer_cpu_s"]
        result.outcomes["peer"] = peer["outcome"]
    return result


def run_size_in_subprocess(spec: dict[str, Any]) -> SizeResult:
    """Run ``run_size`` in a fresh Python process, so its peak RSS is its own."""
    proc = subprocess.run(
        [sys.executable, "-m", "sim.bench", "--worker", json.dumps(spec)],
        capture_output=True,
        text=True,
        check=False,
    )
    for line in proc.stdout.splitlines():
        if line.startswith(RESULT_TAG):
            data = json.loads(line.removeprefix(RESULT_TAG))
            return SizeResult(**data)
    raise RuntimeError(
        f"benchmark worker for {spec['customers']:,} customers failed "
        f"(exit {proc.returncode}): {proc.stderr.strip()[-2000:]}"
    )


def measure_startup(runs: int, breakdown: bool = True) -> dict[str, float]:
    """Wall time of ``python -m sim run`` on a one-week small world, and what it is made of.

    Returns best-of-``runs`` seconds for the whole ``sim run`` (compose, validate, build,
    one week, write the run folder) and, with ``breakdown``, for the bare interpreter and
    ``import sim``.
    """
    with tempfile.TemporaryDirectory(prefix="sim-bench-") as tmp:
        overrides = [
            "run.weeks=1",
            "run.burn_in_weeks=0",
            "market.n_customers=1000",
            "workforce.n_employees=10",
            "run.figures=false",
            "run.progress=false",
            f"run.results_dir={tmp}",
        ]
        commands = {"sim_run_s": [sys.executable, "-m", "sim", "run", *overrides]}
        if breakdown:
            commands["python_s"] = [sys.executable, "-c", "pass"]
            commands["import_sim_s"] = [sys.executable, "-c", "import sim"]
        best = dict.fromkeys(commands, math.inf)
        for _ in range(runs):
            for key, cmd in commands.items():
                t0 = time.perf_counter()
                subprocess.run(cmd, capture_output=True, check=True)
                best[key] = min(best[key], time.perf_counter() - t0)
            shutil.rmtree(os.path.join(tmp, "runs"), ignore_errors=True)
    return best
