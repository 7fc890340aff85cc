"""The weekly metrics row: the week's flows and the stocks as the week closes."""

from __future__ import annotations

import numpy as np

from sim import chain
from sim.state import FOCAL
from sim.units import WEEKS_PER_YEAR
from sim.week.flows import Flows, mean_or_zero
from sim.week.world import World

# Work pressure as recorded in the weekly table: demand with no staff at all is infinite
# pressure, which no table or chart can hold; 10x the available hours is overwhelmed enough.
WORK_PRESSURE_CAP = 10.0


def record_week(world: World, flows: Flows) -> None:
    """Write the week's row (nothing is recorded during the burn-in)."""
    if world.warming_up:
        return
    c, emp, firm, books = world.customers, world.employees, world.firm, world.books
    # Row indices, not a boolean mask: gathering by index is ~3x faster.
    focal_now = np.flatnonzero(c.firm == FOCAL)
    sat_now = c.satisfaction[focal_now]
    rivals_now = sum(rival.customers for rival in world.competitors)
    open_rivals = [rival for rival in world.competitors if not rival.exited]
    staff_now = world.staff_rows()
    n_start, defections = flows.at_risk.size, flows.defectors.size
    acquisitions = flows.referral_wins.size + flows.marketing_wins.size
    values: dict[str, float] = {
        "week": world.week + 1,
        "customers_focal": focal_now.size,
        "customers_rivals": rivals_now,
        "prospects": c.n - focal_now.size - rivals_now,
        "acquisitions": acquisitions,
        "acquisitions_referral": flows.referral_wins.size,
        "defections": defections,
        "defections_to_rivals": flows.to_rivals,
        "defections_to_none": defections - flows.to_rivals,
        # Nobody to lose: no defection, so retention 1 (see ``mean_or_zero``).
        "customer_retention_annualised": (
            (1.0 - defections / n_start) ** WEEKS_PER_YEAR if n_start else 1.0
        ),
        "nps": chain.net_promoter_score(sat_now),
        "customer_satisfaction": mean_or_zero(sat_now),
        "top_box_share": chain.top_box_share(sat_now),
        "visits": flows.visitors.size,
        "employee_headcount": world.headcount,
        "hires": flows.hires,
        "quits": flows.quits,
        "layoffs": flows.layoffs,
        "employee_satisfaction": mean_or_zero(emp.satisfaction[staff_now]),
        "internal_service_quality": flows.internal_service_quality,
        "capability": mean_or_zero(emp.capability[staff_now]),
        "fatigue": mean_or_zero(emp.fatigue[staff_now]),
        "job_insecurity": firm.job_insecurity,
        "work_pressure": min(firm.work_pressure, WORK_PRESSURE_CAP),
        "time_per_customer": mean_or_zero(flows.adequacy),
        "service_standard": firm.service_standard,
        "service_quality": mean_or_zero(flows.quality),
        "continuity": flows.continuity,
        "experienced_quality": mean_or_zero(flows.experienced),
        "reputation": firm.reputation,
        "failures": flows.failed.size,
        "recoveries": flows.recoveries,
        "referrals": flows.referrals_made,
        "negative_stories": flows.stories_told,
        "revenue": flows.revenue,
        **flows.costs,
        "total_cost": flows.total_cost,
        "profit": flows.profit,
        "cumulative_profit": books.cumulative_profit,
        "discounted_profit": books.discounted_profit,
        "rival_quality": mean_or_zero(np.array([r.quality for r in open_rivals])),
        "rival_price": mean_or_zero(np.array([r.price_index for r in open_rivals])),
        "policy_change": int(world.policy_changed),
    }
    for rival in world.competitors:
        values[f"customers_rival_{rival.firm_id}"] = rival.customers
    world.metrics.record(values)
