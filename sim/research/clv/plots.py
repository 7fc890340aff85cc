"""The four figures of a CLV analysis, drawn from its tables."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from scipy import stats

from sim.research.clv.compare import Analysis

_SIM: dict[str, Any] = {"color": "black", "marker": "o", "label": "simulator (truth)"}


_BGNBD: dict[str, Any] = {"color": "tab:blue", "marker": "s", "label": "BG/NBD"}


_PARETO: dict[str, Any] = {"color": "tab:orange", "marker": "^", "label": "Pareto/NBD"}


_BANDS = ("0", "1-4", "5-9", "10-19", "20-29", "30-39", "40-59", "60+")


def _frequency_bands(frequency: pd.Series[float]) -> pd.Series[str]:
    edges = [-0.5, 0.5, 4.5, 9.5, 19.5, 29.5, 39.5, 59.5, np.inf]
    return pd.cut(frequency, edges, labels=list(_BANDS)).astype(str)


def plot_holdout(table: pd.DataFrame) -> Figure:
    """Mean holdout purchases by calibration repeat purchases: actual, expected, predicted."""
    fig = Figure(figsize=(7.5, 4.2), layout="constrained")
    ax = fig.add_subplot()
    band = _frequency_bands(table["frequency_cal"])
    columns: dict[str, dict[str, Any]] = {
        "frequency_holdout": {"color": "black", "marker": "o", "label": "actual"},
        "expected_purchases_holdout": {
            "color": "0.5",
            "marker": "o",
            "linestyle": ":",
            "label": "simulator's expectation",
        },
        "predicted_holdout": _BGNBD,
        "predicted_holdout_pareto": _PARETO,
    }
    means = table.groupby(band, sort=False)[[c for c in columns if c in table]].mean()
    order = [b for b in _BANDS if b in means.index]
    means = means.loc[order]
    x = np.arange(len(means))
    for column, style in columns.items():
        if column in means:
            ax.plot(x, means[column], **style)
    counts = band.value_counts()
    ax.set_xticks(x, [f"{b}\n(n={counts[b]})" for b in order])
    ax.set_xlabel("repeat purchases in calibration")
    ax.set_ylabel("mean purchases in the holdout")
    ax.set_title("Holdout purchases by calibration frequency")
    ax.legend(frameon=False)
    return fig


def plot_p_alive(table: pd.DataFrame, score: dict[str, float]) -> Figure:
    """Calibration of P(alive): predicted against the share truly still a customer."""
    fig = Figure(figsize=(5.2, 4.6), layout="constrained")
    ax = fig.add_subplot()
    bins = pd.cut(table["p_alive"], [i / 10 for i in range(11)], include_lowest=True)
    grouped = table.groupby(bins, observed=True).agg(
        predicted=("p_alive", "mean"), actual=("alive_cal_end", "mean"), n=("p_alive", "size")
    )
    ax.plot([0, 1], [0, 1], color="0.7", linewidth=0.8, label="perfect calibration")
    ax.scatter(
        grouped["predicted"],
        grouped["actual"],
        s=20 + 200 * grouped["n"] / grouped["n"].max(),
        color="tab:blue",
        label="BG/NBD, deciles of P(alive)",
        zorder=3,
    )
    ax.set_xlim(0, 1.02)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("BG/NBD P(alive) at the end of calibration")
    ax.set_ylabel("share truly still a customer")
    ax.set_title(
        f"P(alive): AUC {score['p_alive_auc']:.3f}, Brier {score['p_alive_brier']:.3f}"
        f" (constant: {score['p_alive_brier_constant']:.3f})",
        fontsize=10,
    )
    ax.legend(frameon=False, loc="upper left")
    return fig


def plot_rates(table: pd.DataFrame, params: dict[str, float]) -> Figure:
    """Per-customer purchase rates: true vs posterior, and the fitted gamma vs the truth."""
    fig = Figure(figsize=(10, 4.2), layout="constrained")
    left, right = fig.subplots(1, 2)
    top = float(max(table["true_rate"].max(), table["posterior_rate"].max()) * 1.05)
    left.scatter(table["true_rate"], table["posterior_rate"], s=4, alpha=0.35, color="tab:blue")
    left.plot([0, top], [0, top], color="0.5", linewidth=0.8)
    left.set_xlabel("true purchase rate (per week alive)")
    left.set_ylabel("BG/NBD posterior mean rate")
    left.set_title("Each customer's purchase rate")
    right.hist(table["true_rate"], bins=40, density=True, color="0.75", label="simulator (cohort)")
    grid = np.linspace(1e-3, top, 300)
    r, alpha = params["r"], params["alpha"]
    right.plot(
        grid,
        stats.gamma.pdf(grid, r, scale=1 / alpha),
        color="tab:blue",
        label=f"BG/NBD gamma(r={r:.2f}, α={alpha:.2f})",
    )
    right.axvline(float(table["true_rate"].mean()), color="black", linewidth=0.8)
    right.axvline(r / alpha, color="tab:blue", linewidth=0.8, linestyle="--")
    right.set_xlabel("purchase rate (per week alive)")
    right.set_ylabel("density")
    right.set_title("True rates vs the fitted gamma (lines: means)")
    right.legend(loc="center right", framealpha=0.9)
    return fig


def plot_dropout(dropout: pd.DataFrame, hazard: pd.DataFrame) -> Figure:
    """Dropout by purchase number (BG/NBD's clock) and by weeks (Pareto/NBD's clock)."""
    fig = Figure(figsize=(10, 4.2), layout="constrained")
    left, right = fig.subplots(1, 2)
    x = np.arange(len(dropout))
    left.plot(x, dropout["simulated"], **_SIM)
    left.plot(x, dropout["bgnbd"], **_BGNBD)
    left.set_xticks(x, dropout["repeat_purchases"])
    left.set_xlabel("repeat purchases made so far")
    left.set_ylabel("share leaving before the next purchase")
    left.set_title("Dropout per purchase (BG/NBD: a/(a+b+k-1))")
    left.legend(frameon=False)
    if not hazard.empty:
        mid = (hazard["weeks_from"] + hazard["weeks_to"]) / 2
        right.plot(mid, hazard["simulated"], **_SIM)
        if "pareto_nbd" in hazard:
            right.plot(mid, hazard["pareto_nbd"], **_PARETO)
    right.set_xlabel("weeks since the first purchase")
    right.set_ylabel("defections per customer-week")
    right.set_title("Dropout per week (Pareto/NBD: s/(β+t))")
    right.set_ylim(bottom=0)
    right.legend(frameon=False)
    return fig


def write_figures(analysis: Analysis, folder: Path) -> list[Path]:
    """Draw the four figures into ``folder`` (PNG) and return their paths."""
    from sim.plots import save

    folder.mkdir(parents=True, exist_ok=True)
    params = {k: float(v) for k, v in analysis.fits.bgnbd.params_.items()}
    figures = {
        "clv_holdout.png": plot_holdout(analysis.table),
        "clv_p_alive.png": plot_p_alive(analysis.table, analysis.scores),
        "clv_rates.png": plot_rates(analysis.table, params),
        "clv_dropout.png": plot_dropout(analysis.dropout, analysis.hazard),
    }
    return [save(fig, folder / name) for name, fig in figures.items()]
