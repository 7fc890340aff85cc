"""The workforce over time: headcount, and hires, quits and layoffs."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from sim.plots.base import (
    SMOOTHING_WEEKS,
    mark_policies,
    new_figure,
    no_data,
    resolve_policy_weeks,
    series,
    smooth,
    time_axis,
)

_WORKFORCE_FLOWS = ("hires", "quits", "layoffs")


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
    fig = new_figure(fig, (8.0, 5.5))
    top, bottom = fig.subplots(2, 1, sharex=True, squeeze=False)[:, 0]
    changes = resolve_policy_weeks(weekly, policy_weeks)
    fig.suptitle("Workforce")

    top.set_title("Employee headcount", loc="left", fontsize=10)
    top.set_ylabel("employee_headcount", fontsize=8)
    top.grid(alpha=0.3)
    headcount = series(weekly, "employee_headcount")
    if headcount is None:
        no_data(top)
    else:
        top.plot(headcount.index, headcount.to_numpy(), color="C0")
        top.yaxis.set_major_locator(MaxNLocator(integer=True))
    mark_policies(top, changes, label=True)
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
        values = series(weekly, name)
        if values is None:
            continue
        bottom.plot(
            values.index,
            (smooth(values) * SMOOTHING_WEEKS).to_numpy(),
            color=f"C{i + 1}",
            label=name,
        )
        drawn += 1
    if drawn == 0:
        no_data(bottom)
    else:
        bottom.legend(loc="best", fontsize=8, frameon=False)
        bottom.yaxis.set_major_locator(MaxNLocator(integer=True))
    mark_policies(bottom, changes, label=False)
    time_axis(bottom)
    return fig
