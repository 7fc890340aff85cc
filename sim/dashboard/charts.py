"""The dashboard's charts as data: an ECharts option and the rows it plots.

A chart is split in two: its *option* (axes, series, decision lines: changes only when a
decision is made) and its *rows* (one per week: grow by a few at each step). The browser
keeps the rows it has and receives only the new ones (``sim.dashboard.livechart``), so a
step costs a few numbers on the wire instead of a redrawn image. Every value comes from
the models' own tables; labels come from ``sim.dashboard.labels``.

This module lists the charts (``CHARTS``): the time-series panels of the chain, profit,
customers and staff (built by ``sim.dashboard.timeseries``), the customer-value charts
drawn from the customer ledgers, and the teacher's chart comparing groups.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from sim.dashboard import labels
from sim.dashboard.labels import TWIN, YOU
from sim.dashboard.session import Snapshot
from sim.dashboard.timeseries import (
    COLORS,
    MONEY,
    NUMBER,
    PERCENT,
    SMOOTHING_WEEKS,
    TWIN_COLOR,
    Line,
    Option,
    Panel,
    Row,
    time_chart,
)
from sim.results import whale_curve
from sim.units import WEEKS_PER_QUARTER

__all__ = [
    "CHARTS",
    "Chart",
    "chart_data",
    "group_chart",
]


def _num(value: float) -> float | None:
    """A value for the browser: 4 significant digits, None for a gap."""
    if value is None or not math.isfinite(value):
        return None
    return float(f"{value:.4g}")


def _you_and_twin(column: str, **kw: Any) -> tuple[Line, Line]:
    return Line(column, YOU, **kw), Line(column, TWIN, twin=True, **kw)


def _title(column: str, extra: str = "") -> str:
    label = labels.metric(column)
    return labels.Label(label.text + extra, label.unit).with_unit


_AVG = f", {SMOOTHING_WEEKS}-week average"
_QUARTER = f" per {WEEKS_PER_QUARTER} weeks"

# The chain in its causal order, top to bottom (Heskett et al. 1994).
CHAIN = (
    Panel(_title("employee_satisfaction"), _you_and_twin("employee_satisfaction")),
    Panel("→ " + _title("service_quality"), _you_and_twin("service_quality")),
    Panel("→ " + _title("customer_satisfaction"), _you_and_twin("customer_satisfaction")),
    Panel(
        "→ " + _title("customer_retention_annualised", _AVG),
        _you_and_twin("customer_retention_annualised", smooth=True, scale=100.0),
        PERCENT,
    ),
    Panel("→ " + _title("profit", _AVG), _you_and_twin("profit", smooth=True), MONEY),
)
PROFIT = (Panel(_title("cumulative_profit"), _you_and_twin("cumulative_profit"), MONEY),)
CUSTOMERS = (
    Panel(
        "customers by firm (people)",
        (
            Line("customers_focal", labels.metric("customers_focal").text),
            Line("customers_rivals", labels.metric("customers_rivals").text),
            Line("prospects", labels.metric("prospects").text),
            Line("customers_focal", f"your customers: {TWIN}", twin=True),
        ),
    ),
)
STAFF = (
    Panel(_title("employee_headcount"), _you_and_twin("employee_headcount")),
    Panel(
        f"people joining and leaving{_QUARTER}",
        tuple(Line(c, labels.metric(c).text, total=True) for c in ("hires", "quits", "layoffs")),
    ),
)


# ------------------------------------------------------------- customer value


WHALE_POINTS = 50


def _whale(customers: pd.DataFrame | None) -> np.ndarray[Any, Any] | None:
    """The whale curve sampled at 0, 2, ..., 100% of customers (profit share in %)."""
    if customers is None or "lifetime_profit" not in customers.columns:
        return None
    profit = customers["lifetime_profit"].to_numpy(dtype=float)
    if profit.size == 0 or profit.sum() == 0:
        return None
    curve = whale_curve(profit)
    grid = np.linspace(0.0, 1.0, WHALE_POINTS + 1)
    shares = np.interp(grid, curve["customer_share"], curve["profit_share"])
    return np.asarray(shares, dtype=float) * 100.0


def whale_chart(snap: Snapshot, height: int) -> tuple[Option, list[Row]]:
    """The whale curve: share of profit earned by the most profitable customers."""
    classroom = snap.classroom
    you, twin = _whale(snap.customers), _whale(snap.twin_customers) if classroom else None
    names = [YOU] + ([TWIN] if classroom else [])
    series = [
        {
            "type": "line",
            "name": name,
            "showSymbol": False,
            "animation": False,
            "encode": {"x": 0, "y": i + 1},
            "lineStyle": {"color": TWIN_COLOR, "type": "dashed"}
            if name == TWIN
            else {"color": COLORS[0]},
            "itemStyle": {"color": TWIN_COLOR if name == TWIN else COLORS[0]},
        }
        for i, name in enumerate(names)
    ]
    option: Option = {
        "animation": False,
        "title": {
            "text": "whale curve: share of total profit from the most profitable customers",
            "left": 48,
            "textStyle": {"fontSize": 11, "fontWeight": "normal"},
        },
        "legend": {"top": 18, "left": 44, "itemHeight": 8, "textStyle": {"fontSize": 11}},
        "grid": {"left": 52, "right": 14, "top": 46, "bottom": 34},
        "xAxis": {
            "type": "value",
            "min": 0,
            "max": 100,
            "name": "customers, most profitable first (%)",
            "nameLocation": "middle",
            "nameGap": 20,
        },
        "yAxis": {"type": "value", "scale": True, "axisLabel": {"formatter": PERCENT}},
        "tooltip": {"trigger": "axis", "valueFormatter": NUMBER},
        "series": series,
        "dataset": {"source": []},
    }
    if you is None:
        return option, []
    grid = np.linspace(0.0, 100.0, WHALE_POINTS + 1)
    cols = [grid, you] + (
        [twin if twin is not None else np.full_like(grid, np.nan)] if classroom else []
    )
    return option, [[_num(float(v)) for v in row] for row in zip(*cols, strict=True)]


def _by_quintile(customers: pd.DataFrame | None) -> list[float]:
    if customers is None or customers.empty or "value_quintile" not in customers.columns:
        return [math.nan] * 5
    total = customers.groupby("value_quintile")["lifetime_profit"].sum()
    return [float(total.get(q, 0.0)) for q in range(1, 6)]


def tier_chart(snap: Snapshot, height: int) -> tuple[Option, list[Row]]:
    """Profit from each fifth of customers, ranked by what they spent."""
    classroom = snap.classroom
    names = [YOU] + ([TWIN] if classroom else [])
    series = [
        {
            "type": "bar",
            "name": name,
            "animation": False,
            "encode": {"x": 0, "y": i + 1},
            "itemStyle": {"color": TWIN_COLOR if name == TWIN else COLORS[0]},
        }
        for i, name in enumerate(names)
    ]
    option: Option = {
        "animation": False,
        "title": {
            "text": f"profit from each fifth of customers, top spenders first ({labels.MONEY})",
            "left": 48,
            "textStyle": {"fontSize": 11, "fontWeight": "normal"},
        },
        "legend": {"top": 18, "left": 44, "itemHeight": 8, "textStyle": {"fontSize": 11}},
        "grid": {"left": 60, "right": 14, "top": 46, "bottom": 34},
        "xAxis": {"type": "category"},
        "yAxis": {"type": "value", "axisLabel": {"formatter": MONEY}},
        "tooltip": {"trigger": "axis", "valueFormatter": MONEY},
        "series": series,
        "dataset": {"source": []},
    }
    you = _by_quintile(snap.customers)
    twin = _by_quintile(snap.twin_customers) if classroom else []
    names_q = ["top fifth", "2nd", "3rd", "4th", "bottom fifth"]
    rows = [[names_q[q], _num(you[q])] + ([_num(twin[q])] if classroom else []) for q in range(5)]
    return option, rows


# name -> (tab title, builder). Their order is the tabs' order; "chain" is always shown.
CHARTS: dict[str, tuple[str, Callable[[Snapshot, int], tuple[Option, list[Row]]]]] = {
    "chain": ("The chain", time_chart(CHAIN)),
    "profit": ("Profit", time_chart(PROFIT)),
    "customers": ("Customers", time_chart(CUSTOMERS)),
    "staff": ("Employees", time_chart(STAFF)),
    "whale": ("Whale curve", whale_chart),
    "tiers": ("Value fifths", tier_chart),
}


@dataclass(frozen=True)
class Chart:
    """A chart ready for the browser: its option and its rows."""

    option: Option
    rows: list[Row]


def chart_data(name: str, snap: Snapshot, height: int) -> Chart:
    """Chart ``name`` of ``CHARTS`` for a session's snapshot, ``height`` pixels tall."""
    option, rows = CHARTS[name][1](snap, height)
    return Chart(option, rows)


def group_chart(
    rounds: dict[str, pd.DataFrame], column: str, title: str, axis: str = NUMBER
) -> Chart:
    """The teacher's debrief chart: one line per group, its result minus its twin's, by round.

    Args:
        rounds: Each group's rounds table, by group name.
        column: A ``<metric>_difference`` column of the rounds tables.
        title: The chart's title.
        axis: The value axis' formatter.
    """
    names = list(rounds)
    n_rounds = max((len(t) for t in rounds.values()), default=0)
    rows: list[Row] = []
    for r in range(1, n_rounds + 1):
        row: Row = [r]
        for name in names:
            table = rounds[name]
            if column not in table.columns:
                row.append(None)
                continue
            hit = table.loc[table["round"] == r, column]
            row.append(_num(float(hit.iloc[0])) if len(hit) else None)
        rows.append(row)
    series = [
        {
            "type": "line",
            "name": name,
            "animation": False,
            "encode": {"x": 0, "y": i + 1},
            "symbolSize": 6,
            "lineStyle": {"color": COLORS[i % len(COLORS)], "width": 2},
            "itemStyle": {"color": COLORS[i % len(COLORS)]},
        }
        for i, name in enumerate(names)
    ]
    if series:
        series[0]["markLine"] = {
            "symbol": "none",
            "silent": True,
            "lineStyle": {"color": TWIN_COLOR, "type": "dashed"},
            "label": {"formatter": TWIN, "position": "insideStartTop"},
            "data": [{"yAxis": 0}],
        }
    option: Option = {
        "animation": False,
        "title": {"text": title, "left": 56, "textStyle": {"fontSize": 12, "fontWeight": "normal"}},
        "legend": {"top": 20, "left": 52, "textStyle": {"fontSize": 11}},
        "grid": {"left": 64, "right": 16, "top": 52, "bottom": 34},
        "xAxis": {
            "type": "value",
            "min": 1,
            "max": max(n_rounds, 2),
            "minInterval": 1,
            "name": "round",
            "nameLocation": "middle",
            "nameGap": 20,
        },
        "yAxis": {"type": "value", "scale": True, "axisLabel": {"formatter": axis}},
        "tooltip": {"trigger": "axis", "valueFormatter": axis},
        "series": series,
        "dataset": {"source": []},
    }
    return Chart(option, rows)
