"""Phases 5-6, encounters: each visitor is served, some encounters fail, some are fixed.

Each visitor is served by one employee, more often by those with more productive hours.
Quality comes from the server's capability, satisfaction and energy and from the time
given; a failure loses part of it; recovery on the spot can restore it, but the
failure is still remembered (SF29).
"""

from __future__ import annotations

import math

import numpy as np

from sim import chain
from sim.lookup import search_right
from sim.state import TREATED
from sim.week.flows import Flows
from sim.week.world import World

RECOVERED_SCAR = 0.5  # a fixed failure is half as memorable as an unfixed one (SF29)


def serve(world: World, flows: Flows) -> None:
    """Assign servers, then the quality delivered and which encounters fail."""
    cfg, c, emp, links = world.config, world.customers, world.employees, world.links
    ops = cfg.operations
    visitors, staff = flows.visitors, flows.staff
    # Draws are made per person, not per encounter, so the same person meets the same
    # luck under every policy (common random numbers stay paired).
    svc = world.streams["service"]
    u_assign, noise, u_fail = svc.random(c.n), svc.standard_normal(c.n), svc.random(c.n)
    if staff.size > 0 and visitors.size > 0:
        weights = np.cumsum(flows.productivity)
        server = staff[
            np.minimum(search_right(weights, u_assign[visitors] * weights[-1]), staff.size - 1)
        ]
        quality = chain.service_quality(
            links.staff("experience", "capability", emp, server),
            links.staff("employee_satisfaction_to_quality", "satisfaction", emp, server),
            emp.fatigue[server],
            flows.adequacy,
            capability_weight=ops.quality_capability_weight,
            satisfaction_weight=ops.quality_satisfaction_weight,
            energy_weight=ops.quality_energy_weight,
            curvature=ops.time_effect_curvature,
            ceiling=ops.quality_ceiling,
        )
    else:
        server = np.zeros(visitors.size, dtype=np.int64)
        quality = np.zeros(visitors.size)
    quality = chain.clip(quality + ops.quality_noise * noise[visitors], 0, 1)
    prevention = np.where(c.arm[visitors] == TREATED, cfg.trial.failure_prevention, 0.0)
    failed = u_fail[visitors] < (1.0 - prevention) * chain.p_failure(
        quality, c.cost_to_serve[visitors], ops.failure_min, ops.failure_max
    )
    flows.server, flows.quality = server, quality
    flows.experienced = np.where(failed, quality * (1.0 - ops.failure_severity), quality)
    flows.failed = np.flatnonzero(failed)


def recover_failures(world: World, flows: Flows) -> None:
    """Try to fix each failure on the spot; every failure leaves a scar that fades."""
    cfg, c = world.config, world.customers
    u_recover = world.streams["recovery"].random(c.n)
    visitors, f_idx = flows.visitors, flows.failed
    policy = world.decisions.recovery
    fixed, recovery_cost = policy.recover(flows.spend[f_idx], u_recover[visitors[f_idx]])
    recovered_idx = f_idx[fixed]
    flows.experienced[recovered_idx] = np.minimum(
        1.0,
        np.maximum(flows.quality[recovered_idx], c.expectation[visitors[recovered_idx]])
        + policy.recovered_quality_bonus,
    )
    flows.fixed, flows.recovery_cost = fixed, recovery_cost
    flows.costs["cost_recovery"] = float(recovery_cost.sum())
    scar_decay = math.exp(-1.0 / cfg.behaviour.scar_memory_weeks)
    c.failure_scar[flows.focal] *= scar_decay
    c.failure_scar[visitors[f_idx]] += np.where(fixed, RECOVERED_SCAR, 1.0)
