"""SF18 (the cost of replacing an employee) and SF19 (weeks to full productivity)."""

from __future__ import annotations

import math
from functools import partial

import numpy as np

from sim import chain
from sim.config import SimConfig
from sim.model import ServiceProfitChainModel
from sim.units import WEEKS_PER_YEAR
from sim.validation.core import Check, Fact, Scale, column, replicate, world
from sim.validation.experiments.shared import Row, plot_points, timed

# Job and customer knowledge keeps growing for a year or more (workforce.knowledge_*), so
# "full productivity" is looked for over the run's whole horizon, not just the task ramp.
RAMP_WINDOW_WEEKS = 156


def _run_staff(cfg: SimConfig, seed: int) -> Row:
    """Turnover cost per hire and weeks to full productivity, from staff trajectories."""
    model = ServiceProfitChainModel(cfg, rng=seed)
    ramp_loss = 0.0
    by_tenure: dict[int, list[float]] = {}
    for _ in range(cfg.run.weeks):
        e = model.employees  # the table is rebuilt once, after the burn-in
        staff = model.active_employee_rows()
        new = staff[e.hired_week[staff] >= 0]
        # Experience: capability relative to the same person fully experienced (their own
        # ability and training), so differences in ability are not counted as ramp-up.
        full = chain.capability(
            1e9,
            cfg.workforce.new_hire_capability,
            cfg.workforce.learning_weeks,
            ability=e.ability[new],
            standardisation=cfg.operations.standardisation,
            boost=chain.saturating(
                cfg.hr.training_per_week,
                cfg.workforce.training_effect_max,
                cfg.workforce.training_scale_per_week,
            ),
        )
        experience = e.capability[new] / np.maximum(full, 1e-9)
        # Output a hire does not yet deliver, valued at the wage (the ramp-up loss, SF18).
        ramp_loss += float(((1.0 - experience) * e.wage_per_week[new]).sum())
        for t, x in zip(e.tenure_weeks[new].astype(int), experience, strict=True):
            if t < RAMP_WINDOW_WEEKS:
                by_tenure.setdefault(int(t), []).append(float(x))
        model.step()
    w = model.metrics.frame()
    hires = float(w["hires"].sum())
    annual_wage = cfg.workforce.market_wage_per_week * WEEKS_PER_YEAR
    mean_cap = [np.mean(by_tenure.get(t, [math.nan])) for t in range(RAMP_WINDOW_WEEKS)]
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
                "first tenure week at which new hires' mean experience (capability over "
                "their own full capability) reaches 95%",
                4,
                12,
            ),
            ramp,
            seconds=secs,
            plot=partial(plot_points, {"weeks to 95%": ramp}, band=(4, 12), ylabel="weeks"),
        ),
    ]
