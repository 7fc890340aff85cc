"""Benchmark suite: the full model against a per-agent Mesa peer and a bare NumPy kernel.

A command, not a timed test: machines here are shared and noisy, so it takes the best of
several repeats where that is cheap and leaves judging to people, helped by ratios taken
within one run. ``sim bench`` prints, for 1,000 to 1,000,000 customers:

* the full model (``ServiceProfitChainModel``, 520 recorded weeks after the configured
  burn-in): build, burn-in, recorded weeks and output tables timed apart; customer-weeks
  per second of the recorded weeks; peak RSS and RSS per customer. Each size runs in a
  fresh process so that peaks are separate;
* the same weekly customer update (``sim.perf.update``) as one Mesa agent per person
  with ``shuffle_do`` (``sim.perf.mesa_peer``) and as a bare NumPy kernel
  (``sim.perf.kernel``), in the same process right after the model;
* the ratios per customer-week, the scaling exponent of time against customers and the
  start-up cost of ``python -m sim run``.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

SIZES = (1_000, 10_000, 100_000, 1_000_000)
QUICK_SIZES = (1_000, 10_000)
WEEKS = 520
QUICK_WEEKS = 52
PEER_BUDGET = 4_000_000  # customer-weeks given to the Mesa peer per size (~10 s)
QUICK_PEER_BUDGET = 200_000
REFERENCE = {"customers": 10_000, "employees": 100, "competitors": 3, "weeks": 520}
TARGETS = {
    "speedup_vs_peer_at_100k": 30.0,
    "model_over_kernel": 2.0,
    "exponent": 1.1,
    "peak_rss_1m_mb": 4096.0,
    "reference_run_s": 2.0,
}
_RESULT_TAG = "BENCH_RESULT "


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


# --------------------------------------------------------------- measuring


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
        if line.startswith(_RESULT_TAG):
            data = json.loads(line.removeprefix(_RESULT_TAG))
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


def fit_exponent(customers: Sequence[float], seconds: Sequence[float]) -> float:
    """Least-squares slope of log(seconds) against log(customers).

    >>> round(fit_exponent([1e4, 1e5, 1e6], [1.0, 10.0, 100.0]), 6)
    1.0
    """
    xs = [math.log(c) for c in customers]
    ys = [math.log(s) for s in seconds]
    if len(xs) < 2:
        return math.nan
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    return sxy / sxx if sxx else math.nan


# ---------------------------------------------------------------- reporting


def machine_summary() -> str:
    """Cores, CPU model, memory and versions of this machine, in one line."""
    import mesa
    import numpy as np

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            names = [line.split(":", 1)[1].strip() for line in f if line.startswith("model name")]
        cpu = names[0] if names else cpu
    except OSError:
        pass
    memory = ""
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            kib = next(int(line.split()[1]) for line in f if line.startswith("MemTotal:"))
        memory = f", {kib / 2**20:.1f} GiB RAM"
    except (OSError, StopIteration):
        pass
    return (
        f"machine: {os.cpu_count()} cores, {cpu}{memory}; Python {platform.python_version()}, "
        f"NumPy {np.__version__}, Mesa {mesa.__version__}"
    )


def _f(value: float, digits: int = 3) -> str:
    return "-" if not math.isfinite(value) else f"{value:,.{digits}f}"


def _speed(value: float) -> str:
    return "-" if not math.isfinite(value) or value <= 0 else f"{value:,.0f}"


def format_report(results: list[SizeResult], startup: dict[str, float] | None) -> list[str]:
    """The benchmark's printed lines: two tables, the fitted exponent, start-up, targets."""
    lines: list[str] = []
    if not results:
        return lines
    first = results[0]
    lines.append(
        f"full model: {first.weeks} recorded weeks after a {first.burn_in_weeks}-week burn-in "
        "(burn-in timed with the build, not in the rate); 1 employee per 100 customers, "
        f"3 competitors; best of {first.repeats} for all but the largest size; seconds are "
        "wall time, rates CPU time of the recorded weeks"
    )
    lines.append(
        "| customers | build s | burn-in s | weeks s (CPU) | tables s | total s (CPU) "
        "| customer-weeks/s | us/customer-week | peak RSS MB | bytes/customer |"
    )
    lines.append("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        lines.append(
            f"| {r.customers:,} | {_f(r.build_s)} | {_f(r.burn_in_s)} "
            f"| {_f(r.weeks_s)} ({_f(r.weeks_cpu_s)}) | {_f(r.tables_s)} "
            f"| {_f(r.total_s)} ({_f(r.total_cpu_s)}) | {_speed(1.0 / r.model_us * 1e6)} "
            f"| {_f(r.model_us, 4)} | {_f(r.peak_rss_mb, 0)} | {_f(r.bytes_per_customer, 0)} |"
        )
    big = results[-1]
    # Below ~100k agents the allocator reuses freed memory and the RSS growth means little.
    if math.isfinite(big.roster_s) and big.customers >= 100_000:
        lines.append(
            f"customer roster alone ({big.customers:,} Mesa Customer agents on a bare model): "
            f"{big.roster_s:.2f} s, {big.roster_mb:,.0f} MB "
            f"({big.roster_mb * 2**20 / big.customers:,.0f} bytes/agent)"
        )
    lines.append("")
    lines.append(
        "same weekly customer update, CPU us per customer-week "
        "(model = whole step incl. employees, rivals, word of mouth, books):"
    )
    lines.append(
        "| customers | full model | Mesa peer (weeks) | bare kernel (weeks) "
        "| Mesa peer / model | model / kernel |"
    )
    lines.append("|---:|---:|---:|---:|---:|---:|")
    for r in results:
        speedup = r.peer_us / r.model_us
        lines.append(
            f"| {r.customers:,} | {_f(r.model_us, 4)} | {_f(r.peer_us, 4)} ({r.peer_weeks}) "
            f"| {_f(r.kernel_us, 4)} ({r.kernel_weeks}) | {_f(speedup, 1)}x "
            f"| {_f(r.model_us / r.kernel_us, 2)}x |"
        )
    small = results[0]
    if {"peer", "kernel"} <= small.outcomes.keys():
        p, k = small.outcomes["peer"], small.outcomes["kernel"]
        lines.append(
            f"same update check at {small.customers:,}: defections per customer-week "
            f"peer {p['defection_rate']:.5f} / kernel {k['defection_rate']:.5f}; visits "
            f"{p['visit_rate']:.4f} / {k['visit_rate']:.4f}; satisfaction "
            f"{p['mean_satisfaction']:.4f} / {k['mean_satisfaction']:.4f}"
        )
    lines.append("")
    span = [r for r in results if 10_000 <= r.customers <= 1_000_000 and r.weeks_cpu_s > 0]
    exponent = fit_exponent([r.customers for r in span], [r.weeks_cpu_s for r in span])
    if len(span) >= 2:
        lines.append(
            f"scaling exponent of recorded-weeks CPU time vs customers "
            f"({span[0].customers:,}-{span[-1].customers:,}, log-log least squares): "
            f"{exponent:.3f}"
        )
    if startup:
        parts = (
            f"; of which interpreter {startup['python_s']:.2f} s, "
            f"import sim {startup['import_sim_s']:.2f} s"
            if "import_sim_s" in startup
            else ""
        )
        lines.append(
            "sim run start-up (python -m sim run, 1 week, 1,000 customers, no figures): "
            f"{startup['sim_run_s']:.2f} s wall{parts}"
        )
    lines.extend(_target_lines(results, exponent))
    return lines


def fixed_and_marginal(
    results: list[SizeResult],
) -> tuple[tuple[float, float], tuple[float, float]] | None:
    """Split the model's and the kernel's CPU time per week into fixed and marginal parts.

    Least squares over the sizes from 10,000 up: a fixed part (seconds a week whatever
    the size) and a marginal part (seconds per customer-week); None with fewer than two
    such sizes.

    >>> r = [SizeResult(customers=n, weeks=10, burn_in_weeks=0, repeats=1) for n in (10**4, 10**5)]
    >>> for x in r:
    ...     x.weeks_cpu_s = 10 * (1e-3 + 2e-7 * x.customers)
    >>> (fixed, marginal), _ = fixed_and_marginal(r)
    >>> round(fixed * 1e3, 6), round(marginal * 1e6, 6)
    (1.0, 0.2)
    """
    import numpy as np  # imported late, as above, to keep the workers' base RSS small

    span = [r for r in results if r.customers >= 10_000 and r.weeks_cpu_s > 0]
    if len(span) < 2:
        return None
    n = np.array([r.customers for r in span], dtype=float)
    design = np.column_stack([np.ones_like(n), n])

    def fit(per_week: list[float]) -> tuple[float, float]:
        (fixed, marginal), *_ = np.linalg.lstsq(design, np.array(per_week), rcond=None)
        return float(fixed), float(marginal)

    model = fit([r.weeks_cpu_s / r.weeks for r in span])
    kernel = fit([r.kernel_cpu_s / r.kernel_weeks if r.kernel_weeks else 0.0 for r in span])
    return model, kernel


def _target_lines(results: list[SizeResult], exponent: float) -> list[str]:
    by_size = {r.customers: r for r in results}
    lines = ["targets:"]

    def verdict(ok: bool) -> str:
        return "met" if ok else "NOT met"

    if 100_000 in by_size:
        s = by_size[100_000].peer_us / by_size[100_000].model_us
        lines.append(
            f"  model >= {TARGETS['speedup_vs_peer_at_100k']:.0f}x faster than Mesa peer at "
            f"100,000: {_f(s, 1)}x ({verdict(s >= TARGETS['speedup_vs_peer_at_100k'])})"
        )
    limit = TARGETS["model_over_kernel"]
    ratios = {
        r.customers: r.model_us / r.kernel_us
        for r in results
        if r.customers >= 10_000 and r.kernel_us > 0 and r.model_us > 0
    }
    if ratios:
        missed = [n for n, ratio in ratios.items() if ratio > limit]
        listed = ", ".join(f"{ratio:.2f}x at {n:,}" for n, ratio in ratios.items())
        judged = (
            "met at every size"
            if not missed
            else "NOT met at " + ", ".join(f"{n:,}" for n in missed)
        )
        lines.append(f"  model within {limit:.0f}x of bare kernel: {listed} ({judged})")
    split = fixed_and_marginal(results)
    if split:
        (model_fixed, model_marginal), (kernel_fixed, kernel_marginal) = split
        lines.append(
            f"    weekly time = fixed + marginal x customers (fit over sizes >= 10,000): "
            f"model {model_fixed * 1e3:.2f} ms + {model_marginal * 1e6:.4f} us, kernel "
            f"{kernel_fixed * 1e3:.2f} ms + {kernel_marginal * 1e6:.4f} us; marginal ratio "
            f"{model_marginal / kernel_marginal:.2f}x"
            if kernel_marginal > 0
            else "    weekly time split: kernel too fast to fit"
        )
    if math.isfinite(exponent):
        lines.append(
            f"  exponent <= {TARGETS['exponent']}: {exponent:.3f} "
            f"({verdict(exponent <= TARGETS['exponent'])})"
        )
    if 1_000_000 in by_size:
        r = by_size[1_000_000]
        lines.append(
            f"  1,000,000 x {r.weeks} weeks peak RSS < {TARGETS['peak_rss_1m_mb']:.0f} MB: "
            f"{r.peak_rss_mb:,.0f} MB ({verdict(r.peak_rss_mb < TARGETS['peak_rss_1m_mb'])})"
        )
    if REFERENCE["customers"] in by_size and by_size[REFERENCE["customers"]].weeks == 520:
        r = by_size[REFERENCE["customers"]]
        lines.append(
            f"  reference run (10,000 x 520 weeks, build + burn-in + weeks + tables) <= "
            f"{TARGETS['reference_run_s']:.0f} s: {r.total_s:.2f} s wall, "
            f"{r.total_cpu_s:.2f} s CPU ({verdict(r.total_cpu_s <= TARGETS['reference_run_s'])})"
        )
    return lines if len(lines) > 1 else []


# --------------------------------------------------------------------- main


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
        print(_RESULT_TAG + json.dumps(asdict(result)), flush=True)
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


if __name__ == "__main__":
    raise SystemExit(main())
