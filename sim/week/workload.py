"""Phase 4, workload: work pressure, the time given per customer, the eroding standard.

Oliva and Sterman (2001): when the time customers need exceeds the hours staff have,
staff first work overtime and then give each customer less time; the firm's time
standard drifts toward the time actually given (SF27).
"""

from __future__ import annotations

import math

import numpy as np

from sim import chain
from sim.policies import service
from sim.week.flows import Flows
from sim.week.world import World

FATIGUE_PRODUCTIVITY_LOSS = 0.2  # a fully fatigued employee gets 20% less done


def set_workload(world: World, flows: Flows) -> None:
    """Time each visitor needs and is given; overtime; the standard's drift."""
    cfg, c, emp = world.config, world.customers, world.employees
    firm, links = world.firm, world.links
    visitors = flows.visitors
    staff = world.staff_rows()
    tiers = c.tier[visitors]
    levels = world.decisions.service.levels(tiers) * c.service_multiplier[visitors]
    need = (
        cfg.operations.standard_hours_per_visit
        * c.cost_to_serve[visitors]
        * world.tenure_curves(
            chain.cost_to_serve_multiplier,
            c.tenure_weeks[visitors],
            cfg.behaviour.new_cost_to_serve,
            cfg.behaviour.cost_to_serve_weeks,
        )
    )
    desired = need * levels * firm.service_standard
    capability = links.staff("experience", "capability", emp, staff)
    productivity = capability * (1.0 - FATIGUE_PRODUCTIVITY_LOSS * emp.fatigue[staff])
    capacity = float(productivity.sum()) * cfg.operations.hours_per_employee_week
    desired_total = float(desired.sum())
    firm.work_pressure = chain.work_pressure(desired_total, capacity)
    ratio, overtime = chain.time_ratio(
        firm.work_pressure,
        cfg.operations.overtime_max_share,
        cfg.operations.slack_time_max,
        cfg.operations.pressure_time_cut,
    )
    if math.isinf(firm.work_pressure):
        ratio, overtime = 0.0, 0.0
    elif not links.is_live("pressure_to_time"):
        # Overtime still answers the real pressure; only corner-cutting is held.
        ratio = links.baseline.time_ratio
    if math.isfinite(firm.work_pressure):
        world.track_flow("work_pressure", firm.work_pressure)
    tier_index = np.minimum(np.maximum(tiers, 0), service.N_TIERS - 1)  # once, not per use
    desired_by_tier = np.bincount(tier_index, weights=desired, minlength=service.N_TIERS)
    tier_ratio = service.allocate_time(
        desired_by_tier,
        ratio * desired_total,
        world.decisions.service.priority,
        cfg.operations.slack_time_max,
    )
    ratio_given = tier_ratio[tier_index]
    flows.staff, flows.tiers, flows.levels = staff, tiers, levels
    flows.productivity, flows.overtime = productivity, overtime
    flows.given = desired * ratio_given
    flows.adequacy = levels * firm.service_standard * ratio_given
    if (
        cfg.operations.adaptive_standards
        and desired_total > 0
        and links.is_live("standards_erosion")
    ):
        erode_standard(world, ratio)


def erode_standard(world: World, ratio: float) -> None:
    """The goal drifts toward the time actually given (Oliva-Sterman, SF27).

    Down fast under pressure, back up slowly, and never past the original goal (1):
    slack time beyond the goal does not hasten its recovery.
    """
    ops, firm = world.config.operations, world.firm
    actual = min(firm.service_standard * ratio, 1.0)
    tau = (
        ops.standard_erosion_weeks
        if actual < firm.service_standard
        else ops.standard_recovery_weeks
    )
    firm.service_standard += (actual - firm.service_standard) / tau
