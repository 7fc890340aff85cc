"""Phases 9 and 13, employees: they feel their customers' mood, then tire, learn, quit.

Internal service quality (pay, perks, workload, fatigue, job insecurity and the
satisfaction of the customers they serve) moves each employee's satisfaction toward
their own baseline plus its effect; quits follow satisfaction, fatigue and insecurity.
"""

from __future__ import annotations

import math

import numpy as np

from sim import chain
from sim.state import ACTIVE, QUIT
from sim.week.flows import Flows, mean_or_zero
from sim.week.staffing import separate, set_capability
from sim.week.world import World

SERVED_SATISFACTION_WEIGHT = 0.25  # employees feel their customers' mood over ~4 weeks
OVERWHELMED_PRESSURE = 2.0  # how demand with no capacity at all feels to staff


def mirror_customers(world: World, flows: Flows) -> None:
    """Each server's view of customer satisfaction follows the customers they served."""
    emp, c, server, visitors = world.employees, world.customers, flows.server, flows.visitors
    if not (visitors.size and flows.staff.size):
        return
    served = np.bincount(server, minlength=emp.size)[: emp.size]
    mood = np.bincount(server, weights=c.satisfaction[visitors], minlength=emp.size)[: emp.size]
    seen = served > 0
    emp.served_satisfaction[: emp.size][seen] = chain.smooth(
        emp.served_satisfaction[: emp.size][seen],
        mood[seen] / served[seen],
        SERVED_SATISFACTION_WEIGHT,
    )
    emp.encounters[: emp.size] += served


def react(world: World, flows: Flows) -> None:
    """Fatigue, satisfaction, quits, learning and pay of this week's staff."""
    cfg, emp, firm, links = world.config, world.employees, world.firm, world.links
    wf, ops = cfg.workforce, cfg.operations
    staff = flows.staff[emp.exit_reason[flows.staff] == ACTIVE]
    if staff.size == 0:
        firm.job_insecurity *= math.exp(-1.0 / wf.insecurity_weeks)
        return  # no staff: no internal service to rate (see ``mean_or_zero``)
    load = flows.overtime / ops.overtime_max_share if ops.overtime_max_share > 0 else 0.0
    load = min(load, 1.0)
    world.track_flow("overtime_load", load)
    load = links.firm("overtime_fatigue", load, "overtime_load")
    emp.fatigue[staff] = chain.smooth(emp.fatigue[staff], load, 1.0 / ops.fatigue_weeks)
    pressure = firm.work_pressure if math.isfinite(firm.work_pressure) else OVERWHELMED_PRESSURE
    pressure = links.firm("pressure_to_satisfaction", pressure, "work_pressure")
    insecurity = links.firm("layoff_insecurity", firm.job_insecurity, "job_insecurity")
    isq = chain.internal_service_quality(
        world.decisions.hr.pay_ratio,
        world.decisions.hr.perks_per_week,
        pressure,
        emp.fatigue[staff],
        insecurity,
        links.staff("satisfaction_mirror", "served_satisfaction", emp, staff),
        pay_effect=wf.pay_effect,
        perk_effect_max=wf.perk_effect_max,
        perk_scale=wf.perk_scale_per_week,
        workload_effect=wf.workload_effect,
        fatigue_effect=wf.fatigue_effect,
        insecurity_effect=wf.insecurity_effect,
        mirror_effect=wf.customer_mirror_effect,
    )
    training = chain.saturating(
        world.decisions.hr.training_per_week,
        wf.training_satisfaction_max,
        wf.training_scale_per_week,
    )
    isq = isq + training
    target = chain.clip(wf.satisfaction_baseline + emp.disposition[staff] + isq, 0.0, 1.0)
    emp.satisfaction[staff] = chain.smooth(
        emp.satisfaction[staff], target, 1.0 / wf.satisfaction_weeks
    )
    p_quit = chain.p_quit_per_week(
        links.staff("employee_satisfaction_to_quits", "satisfaction", emp, staff),
        emp.fatigue[staff],
        insecurity,
        base_per_year=wf.quit_per_year,
        reference_satisfaction=wf.satisfaction_baseline,
        satisfaction_sensitivity=wf.quit_satisfaction_sensitivity,
        fatigue_sensitivity=wf.quit_fatigue_effect,
        survivor_effect=wf.survivor_quit_effect,
        floor_per_year=wf.quit_floor_per_year,
    )
    quitting = staff[world.streams["employees"].random(staff.size) < p_quit]
    separate(world, quitting, QUIT)
    emp.tenure_weeks[staff] += 1.0
    set_capability(world, staff)
    emp.wage_per_week[staff] = world.decisions.hr.wage_per_week
    firm.job_insecurity *= math.exp(-1.0 / wf.insecurity_weeks)
    flows.quits = int(quitting.size)
    flows.internal_service_quality = mean_or_zero(np.asarray(isq))
