"""Markdown tables, as every report and generated document writes them."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd


def format_cell(value: Any, digits: int = 4) -> str:
    """A table cell: booleans as true/false, NaN and None as n/a, separators in large numbers.

    Text is kept as it is, so a caller can format a column its own way first.

    >>> format_cell(True), format_cell(float("nan")), format_cell(12345.6), format_cell(0.123456)
    ('true', 'n/a', '12,346', '0.1235')
    """
    if value is None:
        return "n/a"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value):
            return "n/a"
        return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.{digits}g}"
    return str(value)


def markdown_table(frame: pd.DataFrame, digits: int = 4, align: str = "") -> str:
    """A DataFrame as a Markdown table, every cell through ``format_cell``.

    Args:
        frame: The rows; its column names are the header (they may repeat).
        digits: Significant digits of numbers below 1,000.
        align: One letter per column, ``r`` to right-align it (numbers read better so);
            columns without a letter are left-aligned.

    >>> import pandas as pd
    >>> print(markdown_table(pd.DataFrame({"lever": ["perks"], "value": [12.5]}), align="lr"))
    | lever | value |
    |---|---:|
    | perks | 12.5 |
    """
    columns = [str(c) for c in frame.columns]
    marks = [("---:" if align[i : i + 1] == "r" else "---") for i in range(len(columns))]
    head = "| " + " | ".join(columns) + " |"
    rule = "|" + "|".join(marks) + "|"
    body = [
        "| " + " | ".join(format_cell(v, digits) for v in row) + " |"
        for row in frame.itertuples(index=False)
    ]
    return "\n".join([head, rule, *body])
