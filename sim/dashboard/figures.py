"""The dashboard's charts: ``sim.plots`` figures, sized for the screen, with the twin overlaid.

Each function takes a session ``Snapshot`` and returns a ``Figure`` drawn only from the
models' own tables. In classroom mode the no-change twin is drawn over the students' run
(dark dashed lines) so the effect of their decisions is the gap between the two.
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import EngFormatter

from sim import plots
from sim.dashboard.session import Snapshot
from sim.results import whale_curve

__all__ = [
    "CHARTS",
    "DPI",
    "chain_figure",
    "cumulative_profit_figure",
    "customers_figure",
    "png",
    "tier_figure",
    "whale_figure",
    "workforce_figure",
]

DPI = 80
WIDTH = 6.0  # inches: 480 px, half of a laptop screen beside the sidebar
WIDE = 10.0  # the bar chart spans the page: its bars carry two-line labels
TWIN_LABEL = "no-change twin"
_TWIN_STYLE: dict[str, Any] = {"color": "0.15", "linestyle": "--", "linewidth": 1.3}
# Panels of ``plots.plot_chain`` that show a rolling mean; the twin is smoothed alike.
_SMOOTHED = {"customer_retention_annualised", "profit"}


# Margins set by hand (fractions of the figure): a layout engine ("constrained") would
# place them automatically but triples the time to draw, and every chart of every session
# is redrawn at each step.
_MARGINS: dict[str, dict[str, float]] = {
    "chain": {"left": 0.15, "right": 0.97, "top": 0.915, "bottom": 0.065, "hspace": 0.55},
    "single": {"left": 0.15, "right": 0.96, "top": 0.89, "bottom": 0.16},
    "legend_right": {"left": 0.13, "right": 0.7, "top": 0.89, "bottom": 0.16},
    "workforce": {"left": 0.13, "right": 0.96, "top": 0.87, "bottom": 0.12, "hspace": 0.42},
    "bars": {"left": 0.09, "right": 0.98, "top": 0.9, "bottom": 0.22},
}


def _figure(height: float, width: float = WIDTH) -> Figure:
    return Figure(figsize=(width, height), dpi=DPI)


def _fit(fig: Figure, margins: str) -> Figure:
    fig.subplots_adjust(**_MARGINS[margins])
    return fig


def png(fig: Figure) -> bytes:
    """The figure as PNG bytes at the dashboard's resolution."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def _twin_series(twin: pd.DataFrame, metric: str) -> tuple[np.ndarray, np.ndarray] | None:
    if metric not in twin.columns or twin.empty:
        return None
    x = twin["week"].to_numpy(dtype=float) / plots.WEEKS_PER_YEAR
    y = pd.to_numeric(twin[metric], errors="coerce").astype(float)
    if metric in _SMOOTHED:
        y = y.rolling(plots.SMOOTHING_WEEKS, min_periods=1).mean()
    return x, y.to_numpy()


def _overlay(ax: Axes, twin: pd.DataFrame, metric: str, legend: bool = True) -> None:
    series = _twin_series(twin, metric)
    if series is None:
        return
    ax.plot(*series, label=TWIN_LABEL, **_TWIN_STYLE)
    if legend:
        ax.legend(loc="best", fontsize=7, frameon=False)


def chain_figure(snap: Snapshot) -> Figure:
    """The chain, employee satisfaction to profit, with policy changes marked."""
    fig = plots.plot_chain(snap.weekly, snap.policy_weeks, fig=_figure(8.2))
    for ax in fig.axes:
        # Long metric names (customer_retention_annualised) would overlap their neighbours.
        ax.yaxis.label.set_fontsize(6.5)
    if snap.twin_weekly is not None:
        # plot_chain labels each panel's y axis with its metric's column name; the twin
        # joins the first panel's legend, the others keep theirs (weekly vs smoothed).
        for i, ax in enumerate(fig.axes):
            _overlay(ax, snap.twin_weekly, ax.get_ylabel(), legend=i == 0)
    return _fit(fig, "chain")


def customers_figure(snap: Snapshot) -> Figure:
    """Customers of the focal firm, each rival and prospects."""
    fig = plots.plot_customers_by_firm(snap.weekly, snap.policy_weeks, fig=_figure(3.4))
    if snap.twin_weekly is not None and not snap.twin_weekly.empty and fig.axes:
        ax = fig.axes[0]
        _overlay(ax, snap.twin_weekly, "customers_focal", legend=False)
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    return _fit(fig, "legend_right")


def workforce_figure(snap: Snapshot) -> Figure:
    """Employee headcount, and hires, quits and layoffs per 13 weeks."""
    fig = plots.plot_workforce(snap.weekly, snap.policy_weeks, fig=_figure(4.4))
    if snap.twin_weekly is not None:
        for ax in fig.axes:
            if ax.get_ylabel() == "employee_headcount":
                _overlay(ax, snap.twin_weekly, "employee_headcount")
    return _fit(fig, "workforce")


def cumulative_profit_figure(snap: Snapshot) -> Figure:
    """Cumulative profit to date (the twin's beside it in classroom mode)."""
    fig = _figure(3.4)
    ax = fig.subplots()
    ax.set_title("Cumulative profit", loc="left")
    ax.set_ylabel("cumulative_profit")
    ax.set_xlabel("years (52 weeks)")
    ax.grid(alpha=0.3)
    ax.yaxis.set_major_formatter(EngFormatter(places=1, sep=""))
    weekly = snap.weekly
    if weekly.empty:
        ax.text(0.5, 0.5, "no data yet: press Step", transform=ax.transAxes, ha="center")
        ax.set_yticks([])
        return _fit(fig, "single")
    x = weekly["week"].to_numpy(dtype=float) / plots.WEEKS_PER_YEAR
    label = "students" if snap.twin_weekly is not None else "cumulative_profit"
    ax.plot(x, weekly["cumulative_profit"].to_numpy(dtype=float), color="C0", label=label)
    ax.axhline(0.0, color="0.5", linewidth=0.6)
    for i, week in enumerate(snap.policy_weeks):
        ax.axvline(
            week / plots.WEEKS_PER_YEAR,
            color="0.35",
            linestyle="--",
            linewidth=0.9,
            label="policy change" if i == 0 else "_nolegend_",
        )
    if snap.twin_weekly is not None:
        _overlay(ax, snap.twin_weekly, "cumulative_profit", legend=False)
    ax.legend(loc="best", fontsize=8, frameon=False)
    return _fit(fig, "single")


def whale_figure(snap: Snapshot) -> Figure:
    """The whale curve of the customers served so far."""
    fig = plots.plot_whale_curve(snap.customers, fig=_figure(3.6))
    twin = snap.twin_customers
    if twin is not None and fig.axes and "lifetime_profit" in twin.columns:
        profit = twin["lifetime_profit"].to_numpy(dtype=float)
        if profit.size and profit.sum() != 0:
            curve = whale_curve(profit)
            ax = fig.axes[0]
            ax.plot(
                curve["customer_share"].to_numpy() * 100.0,
                curve["profit_share"].to_numpy() * 100.0,
                label=TWIN_LABEL,
                **_TWIN_STYLE,
            )
            ax.legend(loc="lower right", fontsize=8, frameon=False)
    return _fit(fig, "single")


def tier_figure(snap: Snapshot) -> Figure:
    """Lifetime profit by value quintile (the students' customers)."""
    return _fit(plots.plot_profit_by_tier(snap.customers, fig=_figure(3.6, WIDE)), "bars")


# (title, function) of every chart, in the order the dashboard lays them out.
CHARTS = (
    ("chain", chain_figure),
    ("cumulative_profit", cumulative_profit_figure),
    ("customers_by_firm", customers_figure),
    ("workforce", workforce_figure),
    ("whale_curve", whale_figure),
    ("profit_by_tier", tier_figure),
)
