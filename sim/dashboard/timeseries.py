"""Stacked weekly time-series charts, and what every dashboard chart shares.

A time-series chart is panels of lines over the week axis, with dashed lines where
decisions took effect (``decision_text`` says a decision in words, for the charts and the
tables). Its option and rows are built here; the charts themselves are listed in
``sim.dashboard.charts``. The colours, axis formatters and row and option types serve all
charts.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from sim.dashboard import labels
from sim.dashboard.session import Snapshot
from sim.units import WEEKS_PER_QUARTER

__all__ = [
    "COLORS",
    "MONEY",
    "NUMBER",
    "PERCENT",
    "SMOOTHING_WEEKS",
    "TWIN_COLOR",
    "Line",
    "Option",
    "Panel",
    "Row",
    "decision_text",
    "time_chart",
]

type Row = list[Any]
type Option = dict[str, Any]

SMOOTHING_WEEKS = 13  # as the run report's chain figure (sim.plots)
TWIN_COLOR = "#333333"
COLORS = ["#1f77b4", "#2ca02c", "#9467bd", "#d62728", "#ff7f0e", "#8c564b", "#17becf"]
MARK_COLOR = "#777777"
# Money and counts are shaped in the browser (k, M); these names select the formatter.
MONEY = "@money"
NUMBER = "@number"
PERCENT = "@percent"


@dataclass(frozen=True)
class Line:
    """One plotted line of a time-series chart.

    Args:
        column: The weekly table's column.
        name: Legend entry.
        twin: Read from the twin's table (dashed) instead of the students'.
        smooth: Plot the 13-week rolling mean.
        scale: Multiply by this (100 for shares shown in %).
        total: Plot the 13-week rolling sum (flows such as quits).
    """

    column: str
    name: str
    twin: bool = False
    smooth: bool = False
    scale: float = 1.0
    total: bool = False

    def values(self, snap: Snapshot) -> np.ndarray[Any, Any]:
        """The line's values, one per week played."""
        y = pd.Series(snap.series(self.column, self.twin), dtype=float)
        if self.smooth:
            y = y.rolling(SMOOTHING_WEEKS, min_periods=1).mean()
        if self.total:
            y = y.rolling(WEEKS_PER_QUARTER, min_periods=1).sum()
        return y.to_numpy() * self.scale


@dataclass(frozen=True)
class Panel:
    """A panel of stacked time series sharing the week axis.

    Args:
        title: Above the panel.
        lines: Its lines (twin lines are left out outside classroom mode).
        axis: Axis label formatter (``MONEY``, ``NUMBER``, ``PERCENT``).
    """

    title: str
    lines: tuple[Line, ...]
    axis: str = NUMBER


def decision_text(change: dict[str, Any]) -> str:
    """A decision in words, for its line on the charts.

    >>> decision_text({"hr.perks_per_week": 60.0, "service.kind": "tiered"})
    'perks per employee 60; service for all customers tiered'
    """
    parts = []
    for key, value in change.items():
        if isinstance(value, list | tuple):
            shown = "/".join(f"{float(v):g}" for v in value)
        elif isinstance(value, bool):
            shown = "yes" if value else "no"
        elif isinstance(value, float):
            shown = f"{value:g}"
        else:
            shown = str(getattr(value, "name", value))
        parts.append(f"{labels.policy(key)} {shown}")
    return "; ".join(parts)


# Decision labels: at most this many characters, each about this wide (10 px text), on a
# week axis at least this wide (a chart beside the sidebar on a 1366-px laptop).
LABEL_CHARS = 40
LABEL_CHAR_PX = 5.6
LABEL_AXIS_PX = 420.0


def _decision_marks(snap: Snapshot, x_max: float | None) -> dict[str, Any]:
    """Dashed lines where decisions took effect, each named with what changed.

    Args:
        snap: The session's snapshot.
        x_max: The week axis' end, to label the lines (horizontally, above them, the
            latest decisions first, leaving out a label that would overlap a later one);
            None: no labels (hovering a line shows its name).
    """
    by_week: dict[int, list[str]] = {}
    for week, change in snap.policy_log:
        by_week.setdefault(week, []).append(decision_text(change))
    data: list[dict[str, Any]] = []
    taken: list[tuple[float, float]] = []  # labelled stretches of the axis, in weeks
    for week, texts in sorted(by_week.items(), reverse=True):
        text = f"from week {week + 1}: " + "; ".join(texts)
        short = text if len(text) <= LABEL_CHARS else text[: LABEL_CHARS - 1] + "…"
        at = week + 0.5  # between the last week before and the first after
        label: dict[str, Any] = {"show": False, "formatter": short}
        if x_max is not None:
            span = len(short) * LABEL_CHAR_PX / LABEL_AXIS_PX * x_max
            # A label starts at its line, or in the right half ends there: on the chart.
            right = at > x_max / 2
            stretch = (at - span, at) if right else (at, at + span)
            if all(stretch[1] < lo or stretch[0] > hi for lo, hi in taken):
                taken.append(stretch)
                label["show"] = True
                if right:
                    label["align"] = "right"
        data.append({"xAxis": at, "name": text, "label": label})
    return {
        "silent": False,
        "symbol": "none",
        "lineStyle": {"type": "dashed", "color": MARK_COLOR, "width": 1},
        "label": {"position": "end", "align": "left", "fontSize": 10, "color": "#444"},
        "tooltip": {"show": True},
        "data": data[::-1],
    }


def _week_axis_max(week: int) -> int:
    """The week axis ends at the next whole quarter (at least one)."""
    return max(WEEKS_PER_QUARTER, math.ceil(week / WEEKS_PER_QUARTER) * WEEKS_PER_QUARTER)


def _series_option(
    panels: Sequence[Panel], snap: Snapshot, height: int
) -> tuple[Option, list[Line]]:
    """The option of a stacked time-series chart, and its lines in column order."""
    classroom = snap.classroom
    # Legend, then a band where decision lines are labelled, then the panels.
    legend_h, band_h, gap, bottom, title_h = 18, 18, 16, 24, 14
    top = legend_h + band_h
    plot_h = (height - top - bottom - (len(panels) - 1) * gap - len(panels) * title_h) / len(panels)
    grids, x_axes, y_axes, titles, series = [], [], [], [], []
    lines: list[Line] = []
    x_max = _week_axis_max(snap.week)
    for i, panel in enumerate(panels):
        y0 = top + i * (plot_h + gap + title_h) + title_h
        grids.append({"left": 52, "right": 14, "top": y0, "height": plot_h})
        titles.append(
            {
                "text": panel.title,
                "left": 48,
                "top": y0 - title_h - 1,
                "textStyle": {"fontSize": 11, "fontWeight": "normal"},
            }
        )
        last = i == len(panels) - 1
        x_axes.append(
            {
                "type": "value",
                "gridIndex": i,
                "min": 0,
                "max": x_max,
                "interval": WEEKS_PER_QUARTER if x_max <= 8 * WEEKS_PER_QUARTER else 52,
                "axisLabel": {"show": last, "fontSize": 10},
                "name": "week" if last else "",
                "nameLocation": "middle",
                "nameGap": 18,
                "splitLine": {"show": False},
            }
        )
        y_axes.append(
            {
                "type": "value",
                "gridIndex": i,
                "scale": True,
                "splitNumber": 2,
                "axisLabel": {"fontSize": 10, "formatter": panel.axis},
            }
        )
        color = 0
        marked = False
        for line in panel.lines:
            if line.twin and not classroom:
                continue
            lines.append(line)
            style: dict[str, Any] = {"width": 1.6}
            if line.twin:
                style = {"width": 1.3, "type": "dashed", "color": TWIN_COLOR}
            else:
                style["color"] = (
                    COLORS[(i + color) % len(COLORS)] if len(panels) > 1 else COLORS[color]
                )
                color += 1
            s: dict[str, Any] = {
                "type": "line",
                "name": line.name,
                "xAxisIndex": i,
                "yAxisIndex": i,
                "showSymbol": False,
                "animation": False,
                "lineStyle": style,
                "itemStyle": {"color": style["color"]},
                "encode": {"x": 0, "y": len(lines)},
            }
            if not marked and snap.policy_log:
                s["markLine"] = _decision_marks(snap, x_max=None)
                marked = True
            series.append(s)
    names = list(dict.fromkeys(s["name"] for s in series))
    if snap.policy_log:
        # An empty, axis-less grid as wide as the panels, just above them: its marks'
        # labels sit in the band, level and readable, whatever the panels' heights.
        band = len(panels)
        grids.append({"left": 52, "right": 14, "top": top - 2, "height": 1})
        x_axes.append({"type": "value", "gridIndex": band, "min": 0, "max": x_max, "show": False})
        y_axes.append({"type": "value", "gridIndex": band, "show": False})
        series.append(
            {
                "type": "line",
                "xAxisIndex": band,
                "yAxisIndex": band,
                "data": [],
                "markLine": _decision_marks(snap, x_max=x_max),
            }
        )
    option: Option = {
        "animation": False,
        "grid": grids,
        "title": titles,
        "xAxis": x_axes,
        "yAxis": y_axes,
        "series": series,
        "legend": {
            "data": names,
            "top": 0,
            "left": 44,
            "itemHeight": 8,
            "textStyle": {"fontSize": 11},
        },
        "tooltip": {"trigger": "axis", "valueFormatter": NUMBER},
        "axisPointer": {"link": [{"xAxisIndex": "all"}]},
        "dataset": {"source": []},
    }
    return option, lines


def _rounded(values: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """4 significant digits for a whole table at once, as charts' ``_num`` (NaN stays NaN)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        magnitude = np.floor(np.log10(np.abs(values)))
    factor = 10.0 ** (3 - np.where(np.isfinite(magnitude), magnitude, 0.0))
    return np.asarray(np.round(values * factor) / factor, dtype=float)


def _series_rows(lines: Sequence[Line], snap: Snapshot) -> list[Row]:
    # Vectorised: late in a run a chart has hundreds of rows to send at every step.
    table = _rounded(np.column_stack([snap.series("week"), *(ln.values(snap) for ln in lines)]))
    rows: list[Row] = table.tolist()
    if np.isnan(table).any():
        rows = [[None if v != v else v for v in row] for row in rows]
    return rows


def time_chart(panels: Sequence[Panel]) -> Callable[[Snapshot, int], tuple[Option, list[Row]]]:
    """The ``CHARTS`` builder of a stacked time-series chart of ``panels``."""

    def build(snap: Snapshot, height: int) -> tuple[Option, list[Row]]:
        option, lines = _series_option(panels, snap, height)
        return option, _series_rows(lines, snap)

    return build
