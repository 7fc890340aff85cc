"""Study figures, made only from the study's tables (runs.parquet, KPIs, ledgers)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from sim.kpis import KPI
from sim.plots import save
from sim.results import whale_curve

FAN_METRICS = (
    ("customers_focal", "Customers of the focal firm"),
    ("profit", "Profit (13-week rolling mean)"),
    ("customer_satisfaction", "Customer satisfaction"),
    ("employee_satisfaction", "Employee satisfaction"),
    ("employee_headcount", "Employee headcount"),
    ("service_quality", "Service quality"),
)
GRID = np.linspace(0.0, 1.0, 101)


def _colours(policies: list[str]) -> dict[str, tuple[float, float, float, float]]:
    from matplotlib import colormaps

    cmap = colormaps["tab10"]
    return {p: cmap(i % 10) for i, p in enumerate(policies)}


def fan_charts(runs: pd.DataFrame, policies: list[str]) -> Figure:
    """Median and 10-90% band over replications, per policy, for the chain's metrics."""
    fig = Figure(figsize=(11, 9), layout="constrained")
    axes = fig.subplots(3, 2, sharex=True).ravel()
    colours = _colours(policies)
    for ax, (metric, title) in zip(axes, FAN_METRICS, strict=True):
        ax.set_title(title, loc="left", fontsize=10)
        ax.grid(alpha=0.3)
        if runs.empty or metric not in runs:
            continue
        for policy in policies:
            sub = runs[runs["policy"] == policy]
            if sub.empty:
                continue
            table = sub.pivot_table(index="week", columns="replication", values=metric)
            if metric == "profit":
                table = table.rolling(13, min_periods=1).mean()
            years = table.index.to_numpy() / 52.0
            q10, q50, q90 = (table.quantile(q, axis=1).to_numpy() for q in (0.1, 0.5, 0.9))
            ax.fill_between(years, q10, q90, color=colours[policy], alpha=0.18, linewidth=0)
            ax.plot(years, q50, color=colours[policy], linewidth=1.4, label=policy)
    for ax in axes[-2:]:
        ax.set_xlabel("years")
    axes[0].legend(fontsize=8)
    fig.suptitle("Fan charts: median and 10-90% of replications")
    return fig


def direction_colour(metric: str, difference: float) -> str:
    """Green for a change the theory calls better, red for worse, grey where it says neither.

    Lower turnover is good news, so it is green, whatever its sign.

    >>> direction_colour("employee_turnover", -0.05), direction_colour("npv_profit", -1.0)
    ('tab:green', 'tab:red')
    >>> direction_colour("customers_start", 3.0)
    'tab:gray'
    """
    kpi = KPI.get(metric)
    if kpi is None or kpi.higher_is_better is None or difference == 0:
        return "tab:gray"
    return "tab:green" if (difference > 0) == kpi.higher_is_better else "tab:red"


def paired_difference_bars(summary: pd.DataFrame, baseline: str, metrics: list[str]) -> Figure:
    """Paired difference to the baseline with 95% CIs, one panel per metric."""
    has_diffs = not summary.empty and "diff_vs_baseline" in summary
    shown = [m for m in metrics if has_diffs and m in set(summary["metric"])]
    fig = Figure(figsize=(4 * max(1, len(shown)), 3.6), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, max(1, len(shown))))
    for ax, metric in zip(axes, shown, strict=False):
        rows = summary[(summary["metric"] == metric) & (summary["policy"] != baseline)]
        rows = rows.dropna(subset=["diff_vs_baseline"])
        y = np.arange(len(rows))
        err = np.vstack(
            [
                rows["diff_vs_baseline"] - rows["diff_ci_low"],
                rows["diff_ci_high"] - rows["diff_vs_baseline"],
            ]
        )
        colours = [direction_colour(metric, v) for v in rows["diff_vs_baseline"]]
        ax.barh(y, rows["diff_vs_baseline"], xerr=err, color=colours, alpha=0.8, capsize=4)
        ax.set_yticks(y, rows["policy"])
        ax.axvline(0, color="0.3", linewidth=0.8)
        ax.set_title(f"{metric}: vs {baseline}", fontsize=10)
        ax.grid(alpha=0.3, axis="x")
    fig.suptitle("Paired differences to the baseline (95% CI, common random numbers)")
    return fig


def mean_whale_curves(ledgers: dict[str, list[pd.DataFrame]]) -> Figure:
    """Whale curve per policy, averaged over replications on a common grid."""
    fig = Figure(figsize=(7, 4.5), layout="constrained")
    ax = fig.subplots()
    colours = _colours(list(ledgers))
    for policy, frames in ledgers.items():
        curves = []
        for frame in frames:
            wc = whale_curve(frame["lifetime_profit"].to_numpy())
            curves.append(np.interp(GRID, wc["customer_share"], wc["profit_share"]))
        if curves:
            ax.plot(GRID, np.mean(curves, axis=0), label=policy, color=colours[policy])
    ax.axhline(1.0, color="0.4", linewidth=0.8, linestyle=":")
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlabel("customers, most to least profitable")
    ax.set_ylabel("cumulative share of profit")
    ax.set_title("Whale curves (mean over replications)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return fig


def profit_by_tier(ledgers: dict[str, list[pd.DataFrame]]) -> Figure:
    """Mean total lifetime profit by value quintile, per policy (grouped bars)."""
    fig = Figure(figsize=(8, 4.5), layout="constrained")
    ax = fig.subplots()
    policies = list(ledgers)
    colours = _colours(policies)
    width = 0.8 / max(1, len(policies))
    for i, policy in enumerate(policies):
        totals = [
            f.groupby("value_quintile")["lifetime_profit"].sum().reindex(range(1, 6), fill_value=0)
            for f in ledgers[policy]
        ]
        if not totals:
            continue
        mean = pd.concat(totals, axis=1).mean(axis=1)
        ax.bar(np.arange(1, 6) + (i - (len(policies) - 1) / 2) * width, mean, width,
               label=policy, color=colours[policy])  # fmt: skip
    ax.axhline(0, color="0.3", linewidth=0.8)
    ax.set_xticks(range(1, 6), ["Q1 (top)", "Q2", "Q3", "Q4", "Q5"])
    ax.set_ylabel("lifetime profit (mean over replications)")
    ax.set_title("Profit by value quintile")
    ax.grid(alpha=0.3, axis="y")
    ax.legend(fontsize=8)
    return fig


def make_study_figures(
    out: Path,
    runs: pd.DataFrame,
    summary: pd.DataFrame,
    ledgers: dict[str, list[pd.DataFrame]],
    policies: list[str],
    baseline: str,
    metrics: list[str],
) -> list[Path]:
    """Write the study's figures and return their paths."""
    out.mkdir(parents=True, exist_ok=True)
    return [
        save(fan_charts(runs, policies), out / "fan_charts.png"),
        save(paired_difference_bars(summary, baseline, metrics), out / "paired_differences.png"),
        save(mean_whale_curves(ledgers), out / "whale_curves.png"),
        save(profit_by_tier(ledgers), out / "profit_by_tier.png"),
    ]
