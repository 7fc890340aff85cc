"""HTML tables of the debrief: rounds beside the twin, decisions in words.

Plain strings, so they are tested without a browser and rendered with one ``solara.HTML``.
"""

from __future__ import annotations

import html
import math
from typing import Any

import pandas as pd

from sim.dashboard import labels
from sim.dashboard.timeseries import decision_text

__all__ = [
    "ROUND_COLUMNS",
    "decisions_html",
    "decisions_in_words",
    "fmt",
    "round_column_words",
    "rounds_html",
]

# Rounds table columns shown on screen (the CSV has every metric).
ROUND_COLUMNS = (
    "profit",
    "cumulative_profit",
    "customers_focal",
    "customer_satisfaction",
    "employee_satisfaction",
    "employee_headcount",
)
# A round sums its weeks' profit; the other columns are the metrics' own words.
ROUND_WORDS = {"profit": "profit in the round"}


def round_column_words(column: str) -> str:
    """How the rounds tables head a result column.

    >>> round_column_words("profit"), round_column_words("customers_focal")
    ('profit in the round', 'your customers')
    """
    return ROUND_WORDS.get(column, labels.metric(column).text)


def fmt(value: Any) -> str:
    """A table cell: thousands separated, three decimals for 0-1 scores, '-' for none.

    >>> fmt(1234567.8), fmt(0.8766), fmt(float("nan")), fmt(12)
    ('1,234,568', '0.877', '-', '12')
    """
    if isinstance(value, float | int) and not isinstance(value, bool):
        if isinstance(value, float) and not math.isfinite(value):
            return "-"
        if abs(value) >= 100 or float(value).is_integer():
            return f"{value:,.0f}"
        return f"{value:.3f}"
    return html.escape(str(value)) or "-"


def decisions_in_words(text: str) -> str:
    """The rounds CSV's ``decisions`` cell (``key=value; ...``) in words.

    >>> decisions_in_words("hr.perks_per_week=60; staffing.kind=layoff")
    'perks per employee 60; staffing rule layoff'
    """
    if not isinstance(text, str) or not text.strip():
        return ""
    parts = [p.partition("=") for p in text.split("; ") if p]
    return "; ".join(f"{labels.policy(k.strip())} {v.strip()}" for k, _, v in parts)


def rounds_html(
    rounds: pd.DataFrame, decisions: dict[int, str] | None = None, latest_first: bool = True
) -> str:
    """The rounds table: decisions, then each result for the students beside the twin.

    "twin" is the no-change twin: the same world and seed without the decisions.

    Args:
        rounds: A rounds table (``sim.dashboard.session.rounds_table``).
        decisions: Words for each round's decisions (default: from its ``decisions``).
        latest_first: Newest round on top, where the eye is after a step.
    """
    head1 = "<th rowspan=2>round</th><th rowspan=2>decisions at its start</th>" + "".join(
        f"<th colspan=2>{html.escape(round_column_words(c))}</th>" for c in ROUND_COLUMNS
    )
    head2 = "".join("<th>you</th><th class='spc-twin'>twin</th>" for _ in ROUND_COLUMNS)
    body = []
    rows = rounds.iloc[::-1] if latest_first else rounds
    for _, row in rows.iterrows():
        number = int(row["round"])
        said = (decisions or {}).get(number, decisions_in_words(str(row.get("decisions", ""))))
        cells = [f"<td>{number}</td>", f"<td class='spc-words'>{html.escape(said) or '-'}</td>"]
        for c in ROUND_COLUMNS:
            cells.append(f"<td>{fmt(row[f'{c}_students'])}</td>")
            cells.append(f"<td class='spc-twin'>{fmt(row[f'{c}_twin'])}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (
        f"<table class='spc-rounds-table'><thead><tr>{head1}</tr><tr>{head2}</tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table>"
    )


def decisions_html(policy_log: list[tuple[int, dict[str, Any]]], latest_first: bool = True) -> str:
    """The decisions made so far, each with the first week it applied to (weekly.csv's)."""
    rows = [
        f"<tr><td>{week + 1}</td>"
        f"<td class='spc-words'>{html.escape(decision_text(change))}</td></tr>"
        for week, change in policy_log
    ]
    if latest_first:
        rows.reverse()
    return (
        "<table class='spc-rounds-table'><thead><tr><th>from week</th><th>decision</th></tr>"
        f"</thead><tbody>{''.join(rows)}</tbody></table>"
    )
