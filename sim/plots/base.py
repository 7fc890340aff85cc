"""What the run figures share: time in years, smoothing, policy-change marks, saving."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from numpy.typing import NDArray

from sim.units import WEEKS_PER_YEAR

SMOOTHING_WEEKS = 13
DPI = 110
POLICY_STYLE: dict[str, Any] = {"color": "0.35", "linestyle": "--", "linewidth": 0.9}
RAW_STYLE: dict[str, Any] = {"color": "0.75", "linewidth": 0.7}


def new_figure(fig: Figure | None, size: tuple[float, float]) -> Figure:
    """The caller's figure, emptied, or a fresh one."""
    if fig is None:
        return Figure(figsize=size, layout="constrained")
    fig.clear()
    return fig


def no_data(ax: Axes, why: str = "no data") -> None:
    """Write ``why`` across an empty panel and drop its meaningless scale."""
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


def compact(value: float, _pos: object = None) -> str:
    """Short tick labels for money: 1.2M, 350k, -40k, 12."""
    magnitude = abs(value)
    for scale, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if magnitude >= scale:
            # Two decimals, trimmed, so ticks like 1.25M are not shown as 1.2M.
            text = f"{value / scale:,.2f}".rstrip("0").rstrip(".")
            return text + suffix
    return f"{value:,.0f}" if magnitude >= 10 else f"{value:.2g}"


def numeric(frame: pd.DataFrame, name: str) -> pd.Series[float] | None:
    """A column as floats, or None if it is absent or has no finite value."""
    if name not in frame.columns or frame.empty:
        return None
    values = pd.to_numeric(frame[name], errors="coerce").astype(float)
    values = values.where(np.isfinite(values))
    return None if values.notna().sum() == 0 else values


def years(weekly: pd.DataFrame) -> NDArray[np.float64]:
    """Time of each row in years, taking the row's ``week`` as weeks elapsed."""
    week = numeric(weekly, "week")
    if week is None:
        # Without a week column, rows are consecutive weeks 1, 2, ...
        return np.arange(1, len(weekly) + 1, dtype=float) / WEEKS_PER_YEAR
    return week.to_numpy(dtype=float) / WEEKS_PER_YEAR


def series(weekly: pd.DataFrame, name: str) -> pd.Series[float] | None:
    """A weekly metric indexed by time in years."""
    values = numeric(weekly, name)
    if values is None:
        return None
    return pd.Series(values.to_numpy(dtype=float), index=years(weekly), name=name)


def smooth(values: pd.Series[float], weeks: int = SMOOTHING_WEEKS) -> pd.Series[float]:
    """The rolling mean over ``weeks`` weeks, from the first week on."""
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
    flags = numeric(weekly, "policy_change")
    if flags is None:
        return []
    weeks = years(weekly) * WEEKS_PER_YEAR
    flagged = weeks[(flags.fillna(0.0) > 0).to_numpy()]
    return sorted({round(w) - 1 for w in flagged})


def resolve_policy_weeks(weekly: pd.DataFrame, policy_weeks: Sequence[int] | None) -> list[int]:
    """The weeks given, or, when None, those the weekly table's ``policy_change`` flags."""
    return policy_weeks_of(weekly) if policy_weeks is None else list(policy_weeks)


def mark_policies(ax: Axes, policy_weeks: Iterable[int], label: bool) -> None:
    """A dashed line at each policy change (labelled once when ``label``)."""
    for i, week in enumerate(policy_weeks):
        ax.axvline(
            week / WEEKS_PER_YEAR,
            label="policy change" if label and i == 0 else "_nolegend_",
            **POLICY_STYLE,
        )


def time_axis(ax: Axes) -> None:
    """Label the x axis as time in years."""
    ax.set_xlabel("years (52 weeks)")


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
