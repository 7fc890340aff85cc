"""The benchmark's printed lines: the two tables, the fitted scaling and the targets."""

from __future__ import annotations

import math
import os
import platform
from collections.abc import Sequence

from sim.bench.measure import SizeResult

REFERENCE = {"customers": 10_000, "employees": 100, "competitors": 3, "weeks": 520}
TARGETS = {
    "speedup_vs_peer_at_100k": 30.0,
    "model_over_kernel": 2.0,
    "exponent": 1.1,
    "peak_rss_1m_mb": 4096.0,
    "reference_run_s": 2.0,
}


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
