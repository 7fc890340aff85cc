"""Phase 0, decisions: management reads its situation and every policy decides the week."""

from __future__ import annotations

from sim.policies import management
from sim.policies.situation import Situation
from sim.units import WEEKS_PER_QUARTER
from sim.week.world import World


def situation(world: World) -> Situation:
    """What management sees now: headcount, the pipeline, planned workload, last quarter."""
    cfg, firm, books, week = world.config, world.firm, world.books, world.week
    return Situation(
        week=week,
        headcount=world.headcount,
        in_pipeline=sum(firm.pipeline.values()),
        target_headcount=firm.target_headcount,
        desired_hours=firm.desired_hours_smoothed,
        hours_per_employee=cfg.operations.hours_per_employee_week,
        quarter_ended=week > 0 and week % WEEKS_PER_QUARTER == 0,
        quarter_revenue=books.quarter_revenue,
        quarter_profit=books.quarter_profit,
        market_wage_per_week=cfg.workforce.market_wage_per_week,
        people_in_market=cfg.market.n_customers,
    )


def decide(world: World) -> None:
    """This week's decisions of every policy but staffing (see ``staffing.manage_staff``)."""
    world.decisions = management.decide(world.config, situation(world))
