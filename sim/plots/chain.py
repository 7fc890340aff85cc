"""The service-profit chain over time, one small panel per link."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, PercentFormatter

from sim.plots.base import (
    RAW_STYLE,
    SMOOTHING_WEEKS,
    compact,
    mark_policies,
    new_figure,
    no_data,
    resolve_policy_weeks,
    series,
    smooth,
    time_axis,
)

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
    fig = new_figure(fig, (8.0, 10.5))
    changes = resolve_policy_weeks(weekly, policy_weeks)
    axes = fig.subplots(len(_CHAIN), 1, sharex=True, squeeze=False)[:, 0]
    fig.suptitle("The service-profit chain over time")
    for i, (ax, (metric, title, smoothed, percent)) in enumerate(zip(axes, _CHAIN, strict=True)):
        ax.set_title(title, loc="left", fontsize=10)
        ax.set_ylabel(metric, fontsize=8)
        ax.grid(alpha=0.3)
        values = series(weekly, metric)
        if values is None:
            no_data(ax)
        elif smoothed:
            ax.plot(values.index, values.to_numpy(), label="weekly", **RAW_STYLE)
            ax.plot(
                values.index,
                smooth(values).to_numpy(),
                color=f"C{i}",
                label=f"{SMOOTHING_WEEKS}-week rolling mean",
            )
        else:
            ax.plot(values.index, values.to_numpy(), color=f"C{i}", label="weekly")
        if percent:
            ax.yaxis.set_major_formatter(PercentFormatter(xmax=1.0, decimals=0))
        if metric == "profit":
            ax.yaxis.set_major_formatter(FuncFormatter(compact))
            if values is not None:
                ax.axhline(0.0, color="0.5", linewidth=0.6)
        mark_policies(ax, changes, label=True)
        # One legend for the policy line is enough; later panels only explain smoothing.
        if values is not None and (smoothed or (i == 0 and changes)):
            ax.legend(loc="best", fontsize=7, frameon=False)
    time_axis(axes[-1])
    return fig
