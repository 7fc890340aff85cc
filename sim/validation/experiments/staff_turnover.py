"""SF18 (the cost of replacing an employee) and SF19 (weeks to full productivity)."""

from __future__ import annotations

import math
from functools import partial

import numpy as np

from sim.config import SimConfig
from sim.model import ServiceProfitChainModel
from sim.units import WEEKS_PER_YEAR
from sim.validation.core import Check, Fact, Scale, column, replicate, world
from sim.validation.experiments.shared import Row, plot_points, timed


def _run_staff(cfg: SimConfig, seed: int) -> Row:
    """Turnover cost per hire and weeks to full productivity, from staff trajectories."""
    model = ServiceProfitChainModel(cfg, rng=seed)
    e = model.employees
    ramp_loss = 0.0
    by_tenure: dict[int, list[float]] = {}
    for _ in range(cfg.run.weeks):
        staff = model.active_employee_rows()
        new = staff[e.hired_week[staff] >= 0]
        # Output a hire does not yet deliver, valued at the wage (the ramp-up loss, SF18).
        ramp_loss += float(((1.0 - e.capability[new]) * e.wage_per_week[new]).sum())
        for t, cap in zip(e.tenure_weeks[new].astype(int), e.capability[new], strict=True):
            if t < 30:
                by_tenure.setdefault(int(t), []).append(float(cap))
        model.step()
    w = model.metrics.frame()
    hires = float(w["hires"].sum())
    annual_wage = cfg.workforce.market_wage_per_week * WEEKS_PER_YEAR
    mean_cap = [np.mean(by_tenure.get(t, [math.nan])) for t in range(30)]
    full = next((t for t, v in enumerate(mean_cap) if v >= 0.95), math.nan)
    return {
        "cost_share": (float(w["cost_hiring"].sum()) + ramp_loss) / max(hires, 1.0) / annual_wage,
        "ramp_weeks": float(full),
        "hires": hires,
    }


def staff(scale: Scale) -> list[Check]:
    """SF18 (turnover cost per quit, % of annual wage) and SF19 (ramp-up weeks)."""
    seeds = scale.seeds("staff")
    cfg = world(scale.n_customers * 2, 156)
    rows, secs = timed(lambda: replicate(_run_staff, cfg, seeds, scale.workers))
    secs /= 2
    share, ramp = column(rows, "cost_share") * 100, column(rows, "ramp_weeks")
    return [
        Check(
            Fact(
                "SF18",
                "Replacing a front-line employee costs a sizeable share of the wage",
                "16-21% of annual salary (Boushey & Glynn 2012); accept 15-25%",
                "(hiring cost + ramp-up output lost) per hire, % of annual wage",
                15,
                25,
            ),
            share,
            seconds=secs,
            plot=partial(
                plot_points, {"per hire": share}, band=(15, 25), ylabel="% of annual wage"
            ),
        ),
        Check(
            Fact(
                "SF19",
                "New hires need weeks to reach full productivity",
                "front line ~4 weeks (Mellon 2003); 4-12 weeks",
                "first tenure week at which new hires' mean capability reaches 95%",
                4,
                12,
            ),
            ramp,
            seconds=secs,
            plot=partial(plot_points, {"weeks to 95%": ramp}, band=(4, 12), ylabel="weeks"),
        ),
    ]
