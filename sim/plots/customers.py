"""Customers: who has them over time, and who earns the profit (whale curve, quintiles)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator
from numpy.typing import NDArray

from sim.kpis import format_money
from sim.plots.base import (
    compact,
    mark_policies,
    new_figure,
    no_data,
    numeric,
    resolve_policy_weeks,
    series,
    time_axis,
)
from sim.results import top_share_of_profit, whale_curve


def plot_customers_by_firm(
    weekly: pd.DataFrame,
    policy_weeks: Sequence[int] | None = None,
    fig: Figure | None = None,
) -> Figure:
    """Customers of the focal firm, of each rival, and prospects over time.

    Args:
        weekly: The weekly table (``customers_focal``, ``customers_rival_<k>``,
            ``prospects``).
        policy_weeks: Weeks at whose start a policy changed; None reads the
            ``policy_change`` column.
        fig: A figure to draw into (it is cleared); None makes a new one.

    Returns:
        The figure.
    """
    fig = new_figure(fig, (8.0, 4.5))
    ax = fig.subplots()
    ax.set_title("Customers by firm", loc="left")
    ax.set_ylabel("customers")
    ax.grid(alpha=0.3)
    rivals = sorted(
        (c for c in weekly.columns if str(c).startswith("customers_rival_")),
        key=lambda c: (len(str(c)), str(c)),
    )
    drawn = 0
    for i, name in enumerate(("customers_focal", *rivals, "prospects")):
        values = series(weekly, name)
        if values is None:
            continue
        # Colour by position, not by what was drawn, so a firm keeps its colour
        # when another firm's column is missing; the focal firm is always C0.
        style: dict[str, Any] = {"color": f"C{i % 10}", "linewidth": 1.2}
        if name == "customers_focal":
            style = {"color": "C0", "linewidth": 2.2}
        elif name == "prospects":
            style = {"color": "0.5", "linestyle": ":"}
        ax.plot(values.index, values.to_numpy(), label=name, **style)
        drawn += 1
    if drawn == 0:
        no_data(ax)
    mark_policies(ax, resolve_policy_weeks(weekly, policy_weeks), label=True)
    if drawn:
        # Outside the axes: the lines span the whole width, so any inside spot hides one.
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{v:,.0f}"))
    time_axis(ax)
    return fig


def _lifetime_profit(customers: pd.DataFrame) -> NDArray[np.float64]:
    values = numeric(customers, "lifetime_profit")
    if values is None:
        return np.empty(0)
    return np.asarray(values.dropna(), dtype=np.float64)


def plot_whale_curve(customers: pd.DataFrame, fig: Figure | None = None) -> Figure:
    """The whale curve: cumulative share of profit against share of customers.

    Customers are ranked from most to least profitable by ``lifetime_profit``. The
    curve rises above 100% when unprofitable customers give back part of what the best
    ones earn; its peak and the share earned by the top 20% are annotated.

    Args:
        customers: The customer ledger (``lifetime_profit``).
        fig: A figure to draw into (it is cleared); None makes a new one.

    Returns:
        The figure.
    """
    fig = new_figure(fig, (7.0, 5.0))
    ax = fig.subplots()
    ax.set_title("Whale curve: who earns the profit", loc="left")
    ax.set_xlabel("share of customers, ranked most to least profitable (%)")
    ax.set_ylabel("cumulative share of total lifetime_profit (%)")
    ax.set_xlim(0.0, 100.0)
    ax.grid(alpha=0.3)
    profit = _lifetime_profit(customers)
    total = float(profit.sum())
    if profit.size == 0 or total == 0.0:
        no_data(ax, "no data" if profit.size == 0 else "no data: total profit is 0")
        return fig
    curve = whale_curve(profit)
    x = curve["customer_share"].to_numpy(dtype=float) * 100.0
    y = curve["profit_share"].to_numpy(dtype=float) * 100.0
    ax.axhline(100.0, color="0.4", linestyle=":", label="100% of total profit")
    ax.axhline(0.0, color="0.6", linewidth=0.6)
    ax.plot(x, y, color="C0", linewidth=2.0, label="whale curve")
    peak = int(np.argmax(y))
    ax.plot(x[peak], y[peak], "o", color="C3")
    ax.annotate(
        f"peak: {y[peak]:.0f}% of profit\nfrom the top {x[peak]:.0f}% of customers",
        (x[peak], y[peak]),
        xytext=(12, 8),
        textcoords="offset points",
        fontsize=8,
        color="C3",
    )
    top20 = top_share_of_profit(profit, 0.2)
    if np.isfinite(top20):
        ax.plot(20.0, 100.0 * top20, "s", color="C1")
        ax.annotate(
            f"top 20% of customers:\n{100.0 * top20:.0f}% of profit",
            (20.0, 100.0 * top20),
            xytext=(10, -30),
            textcoords="offset points",
            fontsize=8,
            color="C1",
            arrowprops={"arrowstyle": "-", "color": "C1", "linewidth": 0.7},
        )
    if total < 0:
        # Shares of a negative total flip the curve's meaning; say so on the figure.
        ax.text(
            0.98,
            0.02,
            "total profit is negative: shares are of a loss",
            transform=ax.transAxes,
            ha="right",
            fontsize=8,
            color="C3",
        )
    top = max(110.0, float(np.nanmax(y)) * 1.12)
    ax.set_ylim(min(0.0, float(np.nanmin(y)) * 1.1) - 5.0, top)
    ax.legend(loc="lower right", fontsize=8, frameon=False)
    return fig


def plot_profit_by_tier(customers: pd.DataFrame, fig: Figure | None = None) -> Figure:
    """Total lifetime profit by value quintile, with the mean per customer on each bar.

    Args:
        customers: The customer ledger (``value_quintile``, 1 = top fifth by lifetime
            revenue, and ``lifetime_profit``).
        fig: A figure to draw into (it is cleared); None makes a new one.

    Returns:
        The figure.
    """
    fig = new_figure(fig, (7.0, 4.5))
    ax = fig.subplots()
    ax.set_title("Lifetime profit by value quintile", loc="left")
    ax.set_xlabel("value_quintile (ranked by lifetime revenue; 1 = top fifth)")
    ax.set_ylabel("lifetime_profit, total")
    ax.grid(alpha=0.3, axis="y")
    quintile = numeric(customers, "value_quintile")
    profit = numeric(customers, "lifetime_profit")
    if quintile is None or profit is None:
        no_data(ax)
        return fig
    table = pd.DataFrame({"q": quintile, "p": profit}).dropna()
    if table.empty:
        no_data(ax)
        return fig
    by = table.groupby(table["q"].astype(int))["p"].agg(["sum", "mean", "count"])
    positions = by.index.to_numpy(dtype=int)
    totals = by["sum"].to_numpy(dtype=float)
    colors = ["C2" if t >= 0 else "C3" for t in totals]
    bars = ax.bar(positions, totals, color=colors, width=0.7)
    ax.bar_label(
        bars,
        labels=[
            f"mean {format_money(m)}\nper customer (n={n:,})"
            for m, n in zip(by["mean"], by["count"], strict=True)
        ],
        padding=3,
        fontsize=8,
    )
    ax.axhline(0.0, color="0.4", linewidth=0.8)
    ax.set_xticks(
        positions,
        [
            f"{q}\n(top fifth)" if q == 1 else f"{q}\n(bottom fifth)" if q == 5 else str(q)
            for q in positions
        ],
    )
    ax.yaxis.set_major_formatter(FuncFormatter(compact))
    # Room for the labels above (and below) the tallest bars.
    ax.margins(y=0.18)
    return fig
