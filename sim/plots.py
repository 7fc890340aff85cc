"""Figures of one run, drawn only from the run's tables.

Every ``plot_*`` function takes tables in and gives a ``Figure`` back (optionally
drawing into a figure the caller owns, e.g. a dashboard's). Figures are built from
``matplotlib.figure.Figure`` directly, never through pyplot, so importing this module
neither picks nor changes anybody's backend and leaves no global figure state behind.

Week ``w`` of a policy change means the change took effect at the start of week
``w`` (as in ``PolicyChange.week`` and the model's ``policy_log``): the dashed line sits
at ``w`` weeks elapsed, just before the first row it affected (``week == w + 1``).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator, PercentFormatter
from numpy.typing import NDArray

from sim.kpis import format_money
from sim.results import top_share_of_profit, whale_curve
from sim.units import WEEKS_PER_YEAR

SMOOTHING_WEEKS = 13
DPI = 110

_POLICY_STYLE: dict[str, Any] = {"color": "0.35", "linestyle": "--", "linewidth": 0.9}
_RAW_STYLE: dict[str, Any] = {"color": "0.75", "linewidth": 0.7}

# (metric, panel title in the theory's words, smoothed?, shown as a percentage?)
_CHAIN: tuple[tuple[str, str, bool, bool], ...] = (
    ("employee_satisfaction", "Employee satisfaction", False, False),
    (
        "service_quality",
        "→ Service quality: the value delivered to customers",
        False,
        False,
    ),
    ("customer_satisfaction", "→ Customer satisfaction", False, False),
    (
        "customer_retention_annualised",
        f"→ Customer loyalty: retention, annualised ({SMOOTHING_WEEKS}-week rolling mean)",
        True,
        True,
    ),
    ("profit", f"→ Profit ({SMOOTHING_WEEKS}-week rolling mean)", True, False),
)

_WORKFORCE_FLOWS = ("hires", "quits", "layoffs")


# ---------------------------------------------------------------- helpers


def _new_figure(fig: Figure | None, size: tuple[float, float]) -> Figure:
    """The caller's figure, emptied, or a fresh one."""
    if fig is None:
        return Figure(figsize=size, layout="constrained")
    fig.clear()
    return fig


def _no_data(ax: Axes, why: str = "no data") -> None:
    ax.text(
        0.5,
        0.5,
        why,
        transform=ax.transAxes,
        ha="center",
        va="center",
        color="0.45",
        fontsize=10,
        style="italic",
    )
    # Tick labels on an empty panel would suggest a scale that means nothing.
    ax.set_yticks([])


def _compact(value: float, _pos: object = None) -> str:
    """Short tick labels for money: 1.2M, 350k, -40k, 12."""
    magnitude = abs(value)
    for scale, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if magnitude >= scale:
            # Two decimals, trimmed, so ticks like 1.25M are not shown as 1.2M.
            text = f"{value / scale:,.2f}".rstrip("0").rstrip(".")
            return text + suffix
    return f"{value:,.0f}" if magnitude >= 10 else f"{value:.2g}"


def _numeric(frame: pd.DataFrame, name: str) -> pd.Series[float] | None:
    """A column as floats, or None if it is absent or has no finite value."""
    if name not in frame.columns or frame.empty:
        return None
    values = pd.to_numeric(frame[name], errors="coerce").astype(float)
    values = values.where(np.isfinite(values))
    return None if values.notna().sum() == 0 else values


def _years(weekly: pd.DataFrame) -> NDArray[np.float64]:
    """Time of each row in years, taking the row's ``week`` as weeks elapsed."""
    week = _numeric(weekly, "week")
    if week is None:
        # Without a week column, rows are consecutive weeks 1, 2, ...
        return np.arange(1, len(weekly) + 1, dtype=float) / WEEKS_PER_YEAR
    return week.to_numpy(dtype=float) / WEEKS_PER_YEAR


def _series(weekly: pd.DataFrame, name: str) -> pd.Series[float] | None:
    """A weekly metric indexed by time in years."""
    values = _numeric(weekly, name)
    if values is None:
        return None
    return pd.Series(values.to_numpy(dtype=float), index=_years(weekly), name=name)


def _smooth(values: pd.Series[float], weeks: int = SMOOTHING_WEEKS) -> pd.Series[float]:
    # min_periods=1 keeps the first quarter visible; the raw weekly line drawn
    # behind the smoothed one shows how much noise the early mean still carries.
    return values.rolling(weeks, min_periods=1).mean()


def policy_weeks_of(weekly: pd.DataFrame) -> list[int]:
    """Weeks at whose start a policy changed, from the ``policy_change`` column.

    Args:
        weekly: The weekly table (``week`` and ``policy_change`` columns).

    Returns:
        Week numbers in the convention of ``PolicyChange.week`` (a row flagged with
        ``week == k`` is the first week under the new policy, which began at ``k - 1``).

    >>> policy_weeks_of(pd.DataFrame({"week": [1, 2, 3], "policy_change": [0, 1, 0]}))
    [1]
    """
    flags = _numeric(weekly, "policy_change")
    if flags is None:
        return []
    weeks = _years(weekly) * WEEKS_PER_YEAR
    flagged = weeks[(flags.fillna(0.0) > 0).to_numpy()]
    return sorted({round(w) - 1 for w in flagged})


def _resolve_policy_weeks(weekly: pd.DataFrame, policy_weeks: Sequence[int] | None) -> list[int]:
    return policy_weeks_of(weekly) if policy_weeks is None else list(policy_weeks)


def _mark_policies(ax: Axes, policy_weeks: Iterable[int], label: bool) -> None:
    for i, week in enumerate(policy_weeks):
        ax.axvline(
            week / WEEKS_PER_YEAR,
            label="policy change" if label and i == 0 else "_nolegend_",
            **_POLICY_STYLE,
        )


def _time_axis(ax: Axes) -> None:
    ax.set_xlabel("years (52 weeks)")


# ---------------------------------------------------------------- figures


def plot_chain(
    weekly: pd.DataFrame,
    policy_weeks: Sequence[int] | None = None,
    fig: Figure | None = None,
) -> Figure:
    """The service-profit chain over time, one small panel per link.

    Panels share the time axis: employee satisfaction → service quality → customer
    satisfaction → customer retention (annualised, 13-week rolling mean) → profit
    (13-week rolling mean). Smoothed panels show the raw weekly values faintly behind.

    Args:
        weekly: The weekly table of a run.
        policy_weeks: Weeks at whose start a policy changed (dashed lines); None reads
            them from the ``policy_change`` column.
        fig: A figure to draw into (it is cleared); None makes a new one.

    Returns:
        The figure.
    """
    fig = _new_figure(fig, (8.0, 10.5))
    changes = _resolve_policy_weeks(weekly, policy_weeks)
    axes = fig.subplots(len(_CHAIN), 1, sharex=True, squeeze=False)[:, 0]
    fig.suptitle("The service-profit chain over time")
    for i, (ax, (metric, title, smoothed, percent)) in enumerate(zip(axes, _CHAIN, strict=True)):
        ax.set_title(title, loc="left", fontsize=10)
        ax.set_ylabel(metric, fontsize=8)
        ax.grid(alpha=0.3)
        values = _series(weekly, metric)
        if values is None:
            _no_data(ax)
        elif smoothed:
            ax.plot(values.index, values.to_numpy(), label="weekly", **_RAW_STYLE)
            ax.plot(
                values.index,
                _smooth(values).to_numpy(),
                color=f"C{i}",
                label=f"{SMOOTHING_WEEKS}-week rolling mean",
            )
        else:
            ax.plot(values.index, values.to_numpy(), color=f"C{i}", label="weekly")
        if percent:
            ax.yaxis.set_major_formatter(PercentFormatter(xmax=1.0, decimals=0))
        if metric == "profit":
            ax.yaxis.set_major_formatter(FuncFormatter(_compact))
            if values is not None:
                ax.axhline(0.0, color="0.5", linewidth=0.6)
        _mark_policies(ax, changes, label=True)
        # One legend for the policy line is enough; later panels only explain smoothing.
        if values is not None and (smoothed or (i == 0 and changes)):
            ax.legend(loc="best", fontsize=7, frameon=False)
    _time_axis(axes[-1])
    return fig


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
    fig = _new_figure(fig, (8.0, 4.5))
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
        values = _series(weekly, name)
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
        _no_data(ax)
    _mark_policies(ax, _resolve_policy_weeks(weekly, policy_weeks), label=True)
    if drawn:
        # Outside the axes: the lines span the whole width, so any inside spot hides one.
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{v:,.0f}"))
    _time_axis(ax)
    return fig


def _lifetime_profit(customers: pd.DataFrame) -> NDArray[np.float64]:
    values = _numeric(customers, "lifetime_profit")
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
    fig = _new_figure(fig, (7.0, 5.0))
    ax = fig.subplots()
    ax.set_title("Whale curve: who earns the profit", loc="left")
    ax.set_xlabel("share of customers, ranked most to least profitable (%)")
    ax.set_ylabel("cumulative share of total lifetime_profit (%)")
    ax.set_xlim(0.0, 100.0)
    ax.grid(alpha=0.3)
    profit = _lifetime_profit(customers)
    total = float(profit.sum())
    if profit.size == 0 or total == 0.0:
        _no_data(ax, "no data" if profit.size == 0 else "no data: total profit is 0")
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
    fig = _new_figure(fig, (7.0, 4.5))
    ax = fig.subplots()
    ax.set_title("Lifetime profit by value quintile", loc="left")
    ax.set_xlabel("value_quintile (ranked by lifetime revenue; 1 = top fifth)")
    ax.set_ylabel("lifetime_profit, total")
    ax.grid(alpha=0.3, axis="y")
    quintile = _numeric(customers, "value_quintile")
    profit = _numeric(customers, "lifetime_profit")
    if quintile is None or profit is None:
        _no_data(ax)
        return fig
    table = pd.DataFrame({"q": quintile, "p": profit}).dropna()
    if table.empty:
        _no_data(ax)
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
    ax.yaxis.set_major_formatter(FuncFormatter(_compact))
    # Room for the labels above (and below) the tallest bars.
    ax.margins(y=0.18)
    return fig


def plot_workforce(
    weekly: pd.DataFrame,
    policy_weeks: Sequence[int] | None = None,
    fig: Figure | None = None,
) -> Figure:
    """Employee headcount, and hires, quits and layoffs per 13 weeks, over time.

    The flows are 13-week sums (a rolling mean times 13, so the first quarter is not
    understated by a part-empty window).

    Args:
        weekly: The weekly table (``employee_headcount``, ``hires``, ``quits``,
            ``layoffs``).
        policy_weeks: Weeks at whose start a policy changed; None reads the
            ``policy_change`` column.
        fig: A figure to draw into (it is cleared); None makes a new one.

    Returns:
        The figure.
    """
    fig = _new_figure(fig, (8.0, 5.5))
    top, bottom = fig.subplots(2, 1, sharex=True, squeeze=False)[:, 0]
    changes = _resolve_policy_weeks(weekly, policy_weeks)
    fig.suptitle("Workforce")

    top.set_title("Employee headcount", loc="left", fontsize=10)
    top.set_ylabel("employee_headcount", fontsize=8)
    top.grid(alpha=0.3)
    headcount = _series(weekly, "employee_headcount")
    if headcount is None:
        _no_data(top)
    else:
        top.plot(headcount.index, headcount.to_numpy(), color="C0")
        top.yaxis.set_major_locator(MaxNLocator(integer=True))
    _mark_policies(top, changes, label=True)
    if changes and headcount is not None:
        top.legend(loc="best", fontsize=7, frameon=False)

    bottom.set_title(
        f"Hires, quits and layoffs ({SMOOTHING_WEEKS}-week sums)",
        loc="left",
        fontsize=10,
    )
    bottom.set_ylabel(f"people per {SMOOTHING_WEEKS} weeks", fontsize=8)
    bottom.grid(alpha=0.3)
    drawn = 0
    for i, name in enumerate(_WORKFORCE_FLOWS):
        values = _series(weekly, name)
        if values is None:
            continue
        bottom.plot(
            values.index,
            (_smooth(values) * SMOOTHING_WEEKS).to_numpy(),
            color=f"C{i + 1}",
            label=name,
        )
        drawn += 1
    if drawn == 0:
        _no_data(bottom)
    else:
        bottom.legend(loc="best", fontsize=8, frameon=False)
        bottom.yaxis.set_major_locator(MaxNLocator(integer=True))
    _mark_policies(bottom, changes, label=False)
    _time_axis(bottom)
    return fig


# ---------------------------------------------------------------- files


def save(fig: Figure, path: Path, dpi: int = DPI) -> Path:
    """Write a figure as PNG atomically: to a temporary file, then moved into place.

    Readers (a dashboard, a report viewer) never see a half-written image.

    Args:
        fig: The figure.
        path: Where the PNG goes; its folder must exist.
        dpi: Resolution.

    Returns:
        ``path``.
    """
    path = Path(path)
    tmp = path.with_suffix(".tmp.png")
    try:
        fig.savefig(tmp, dpi=dpi, format="png")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def make_run_figures(
    weekly: pd.DataFrame,
    customers: pd.DataFrame,
    out_dir: Path,
    policy_weeks: list[int] | None = None,
) -> list[Path]:
    """Draw and save the standard figures of a run.

    Writes ``chain.png``, ``customers_by_firm.png``, ``whale_curve.png``,
    ``profit_by_tier.png`` and ``workforce.png``. Empty or partial tables give panels
    with a "no data" note rather than an error.

    Args:
        weekly: The weekly table.
        customers: The customer ledger.
        out_dir: Folder for the PNGs (created if missing).
        policy_weeks: Weeks at whose start a policy changed (e.g. the weeks of the
            run's ``policy_log``); None reads the weekly ``policy_change`` column.

    Returns:
        The paths written, in the order above.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    changes = _resolve_policy_weeks(weekly, policy_weeks)
    figures = {
        "chain": plot_chain(weekly, changes),
        "customers_by_firm": plot_customers_by_firm(weekly, changes),
        "whale_curve": plot_whale_curve(customers),
        "profit_by_tier": plot_profit_by_tier(customers),
        "workforce": plot_workforce(weekly, changes),
    }
    return [save(fig, out_dir / f"{name}.png") for name, fig in figures.items()]


# WEEKS_PER_YEAR is defined in sim.units; it stays exported here for the dashboard's charts.
__all__ = [
    "DPI",
    "SMOOTHING_WEEKS",
    "WEEKS_PER_YEAR",
    "make_run_figures",
    "plot_chain",
    "plot_customers_by_firm",
    "plot_profit_by_tier",
    "plot_whale_curve",
    "plot_workforce",
    "policy_weeks_of",
    "save",
]
