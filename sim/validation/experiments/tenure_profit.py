"""SF3: profit per surviving customer by tenure year, and the tenure effects' ablation."""

from __future__ import annotations

import math
from functools import partial

import numpy as np

from sim.config import SimConfig
from sim.model import ServiceProfitChainModel
from sim.state import FOCAL
from sim.units import WEEKS_PER_YEAR
from sim.validation.core import Check, Fact, Scale, column, fmt_ci, replicate, world
from sim.validation.experiments.shared import Row, plot_lines, timed

COHORT_WEEKS = 52  # SF3: customers first won in the run's first year
PROFILE_YEARS = 5


def _run_cohort(cfg: SimConfig, seed: int) -> Row:
    """Profit per surviving customer by tenure year, and cumulative profit (SF3)."""
    model = ServiceProfitChainModel(cfg, rng=seed)
    c = model.customers
    n_weeks = COHORT_WEEKS + PROFILE_YEARS * WEEKS_PER_YEAR + 1
    cum = np.zeros((n_weeks, c.n), dtype=np.float64)
    first_exit = np.full(c.n, np.iinfo(np.int32).max, dtype=np.int64)
    was_focal = c.firm == FOCAL
    for week in range(n_weeks):
        model.step()
        cum[week] = c.lifetime_revenue - c.lifetime_cost
        now = c.firm == FOCAL
        left = was_focal & ~now & (first_exit == np.iinfo(np.int32).max)
        first_exit[left] = week
        was_focal = now
    a = c.first_acquired_week.astype(np.int64)
    cohort = np.flatnonzero((a >= 0) & (a < COHORT_WEEKS) & ~c.initial_customer)
    a, fx = a[cohort], first_exit[cohort]
    out: Row = {}
    for year in range(1, PROFILE_YEARS + 1):
        end = a + year * WEEKS_PER_YEAR
        alive = fx > end
        gain = cum[end, cohort] - cum[end - WEEKS_PER_YEAR, cohort]
        out[f"profit_y{year}"] = float(gain[alive].mean()) if alive.any() else math.nan
        # Cumulative profit since acquisition, acquisition cost included (cum[a] holds it).
        out[f"cum_y{year}"] = float(cum[end, cohort][alive].mean()) if alive.any() else math.nan
    leavers = fx <= a + WEEKS_PER_YEAR
    out["leaver_y1_cum"] = float(cum[-1, cohort][leavers].mean()) if leavers.any() else math.nan
    out["ratio"] = out[f"profit_y{PROFILE_YEARS}"] / out["profit_y1"]
    return out


def cohort(scale: Scale) -> list[Check]:
    """SF3: profit per surviving customer by tenure year; the tenure effects' ablation."""
    weeks = COHORT_WEEKS + PROFILE_YEARS * WEEKS_PER_YEAR + 1
    n = scale.n_customers * 2
    seeds = scale.seeds("cohort")
    (rows, flat), secs = timed(
        lambda: (
            replicate(_run_cohort, world(n, weeks), seeds, scale.workers),
            replicate(
                _run_cohort,
                world(n, weeks, behaviour__spend_growth_max=1.0, behaviour__new_cost_to_serve=1.0),
                seeds,
                scale.workers,
            ),
        )
    )
    tenure_years = range(1, PROFILE_YEARS + 1)
    years = np.arange(1, PROFILE_YEARS + 1, dtype=np.float64)
    profile = np.array([column(rows, f"profit_y{y}") for y in tenure_years])
    cum = np.array([column(rows, f"cum_y{y}") for y in tenure_years])
    flat_profile = np.array([column(flat, f"profit_y{y}") for y in tenure_years])
    # Break-even: where survivors' cumulative profit (acquisition cost included) crosses 0.
    breakeven = np.array(
        [float(np.interp(0.0, c_, years)) if c_[0] < 0 < c_[-1] else math.nan for c_ in cum.T]
    )
    rise = profile[-1] - profile[0]
    flat_rise = flat_profile[-1] - flat_profile[0]
    leavers = column(rows, "leaver_y1_cum")
    return [
        Check(
            Fact(
                "SF3",
                "Profit per retained customer rises with tenure; new customers lose money at first",
                "breakeven ~2 years (card), 2-3 years (e-tail); +80% from year 1 to 5",
                "years to break even (cumulative profit incl. acquisition cost, survivors)",
                1.5,
                3.0,
            ),
            breakeven,
            seconds=secs,
            conditions={
                "profit per survivor rises every year 1->5": bool(
                    np.all(np.diff(profile.mean(axis=1)) > 0)
                ),
                "customers leaving in year 1 are net-negative": bool(np.mean(leavers) < 0),
                "ablation (flat spend and cost to serve) removes most of the rise": bool(
                    np.mean(flat_rise) < 0.35 * np.mean(rise)
                ),
            },
            detail="profit per survivor by year: "
            + ", ".join(f"{v:.0f}" for v in profile.mean(axis=1))
            + " (ablated: "
            + ", ".join(f"{v:.0f}" for v in flat_profile.mean(axis=1))
            + f"); year-1 leavers' lifetime profit {fmt_ci(leavers)}. Year 1 is a loss even "
            "before acquisition cost, so the year 5 / year 1 ratio is not defined here",
            plot=partial(
                plot_lines,
                {
                    "profit per survivor": (years, profile.mean(axis=1)),
                    "cumulative incl. acquisition": (years, cum.mean(axis=1)),
                    "ablated: profit per survivor": (years, flat_profile.mean(axis=1)),
                },
                xlabel="tenure year",
                ylabel="profit per customer",
            ),
        )
    ]
