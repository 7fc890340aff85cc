"""What several experiments share: a worker's row, timing, the plots, common worlds."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from sim.config import SimConfig
from sim.experiments.analysis import t_interval
from sim.validation.core import Check, Scale, Values, world

type Row = dict[str, float]


def stripped_world(n_customers: int, weeks: int, defection: float) -> SimConfig:
    """A world with feedback switched off, so closed forms hold.

    No rivals (defection is the constant category lapse), no word of mouth, flat
    spend and cost to serve, no labour or recovery cost (margin = spend x (1 - materials)),
    visits independent of satisfaction, no marketing spend (acquisition cost = onboarding).
    """
    return world(
        n_customers,
        weeks,
        run__burn_in_weeks=0,
        market__focal_share=0.5,
        market__competitor_share=0.0,
        market__lapse_per_year=defection,
        market__network_degree=0,
        competitors__n_competitors=0,
        behaviour__spend_growth_max=1.0,
        behaviour__new_cost_to_serve=1.0,
        behaviour__share_of_wallet_slope=0.0,
        workforce__market_wage_per_week=0.0,
        recovery__cost_per_spend=0.0,
        acquisition__marketing_per_1000_people_week=0.0,
        acquisition__onboarding_cost=150.0,
    )


def plot_points(
    groups: dict[str, Values],
    ax: Any,
    *,
    theory_line: dict[str, float] | None = None,
    band: tuple[float, float] | None = None,
    ylabel: str = "",
) -> None:
    """Replication values per group, their mean and 95% CI, the band or theory."""
    for i, (name, values) in enumerate(groups.items()):
        jitter = np.linspace(-0.12, 0.12, values.size) if values.size > 1 else np.zeros(1)
        ax.scatter(i + jitter, values, s=12, alpha=0.5, color="tab:blue")
        m, lo, hi = t_interval(values)
        if math.isfinite(lo):
            ax.errorbar(i + 0.3, m, yerr=[[m - lo], [hi - m]], fmt="o", color="black", capsize=4)
        if theory_line and name in theory_line:
            ax.hlines(theory_line[name], i - 0.3, i + 0.4, colors="tab:red", linestyles="--")
    if band is not None:
        lo_b, hi_b = band
        ax.axhspan(lo_b, hi_b, color="tab:green", alpha=0.12, label="literature range")
        ax.legend(loc="best", fontsize=8)
    ax.set_xticks(range(len(groups)), list(groups), fontsize=8)
    ax.set_ylabel(ylabel)


def plot_lines(
    series: dict[str, tuple[Values, Values]], ax: Any, *, xlabel: str = "", ylabel: str = ""
) -> None:
    """Mean curves (x, y) per arm."""
    for name, (x, y) in series.items():
        ax.plot(x, y, label=name)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend(loc="best", fontsize=8)


type Experiment = Callable[[Scale], list[Check]]


def timed[T](fn: Callable[[], T]) -> tuple[T, float]:
    """``fn()`` and the seconds it took."""
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


TIGHT: dict[str, Any] = {"market__competition_intensity": 2.5, "market__switching_cost_mean": 0.1}
