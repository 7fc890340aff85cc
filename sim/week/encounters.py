"""Phases 5-6, encounters: each visitor is served, some encounters fail, some are fixed.

Each visitor is served by one employee, more often by those with more productive hours.
Quality comes from the server's capability, satisfaction and energy and from the time
given; a failure loses part of it; recovery on the spot can restore it, but the
failure is still remembered (SF29).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from sim import chain
from sim.lookup import search_right
from sim.state import ACTIVE, TREATED
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
    u_usual = svc.random(c.n)
    if staff.size > 0 and visitors.size > 0:
        weights = np.cumsum(flows.productivity)
        server = staff[
            np.minimum(search_right(weights, u_assign[visitors] * weights[-1]), staff.size - 1)
        ]
        usual = served_by_usual(world, visitors, u_usual[visitors])
        server[usual] = c.regular_server[visitors[usual]]
        ceiling = chain.process_ceiling(
            ops.quality_ceiling, ops.standardisation, ops.standardisation_ceiling_cost
        )
        quality = chain.service_quality(
            links.staff("experience", "capability", emp, server),
            links.staff("employee_satisfaction_to_quality", "satisfaction", emp, server),
            emp.fatigue[server],
            flows.adequacy,
            effort_effect=ops.quality_effort_effect,
            effort_reference=ops.quality_effort_reference,
            fatigue_loss=ops.quality_fatigue_loss,
            curvature=ops.time_effect_curvature,
            ceiling=ceiling,
        )
        quality = np.asarray(quality) + ops.continuity_bonus * usual
        c.regular_server[visitors] = server
        flows.continuity = float(usual.mean()) if usual.size else 0.0
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


def served_by_usual(
    world: World, visitors: NDArray[np.int64], u: NDArray[np.float64]
) -> NDArray[np.bool_]:
    """Visitors whose usual server is still on the staff and serves them this time.

    A customer keeps going back to the person who served them last (relationship
    continuity, Gutek et al. 1999); a quit or layoff breaks the relationship, and the
    next server becomes the usual one.
    """
    regular = world.customers.regular_server[visitors]
    known = regular >= 0
    active = np.zeros(visitors.size, dtype=bool)
    active[known] = world.employees.exit_reason[regular[known]] == ACTIVE
    return active & (u < world.config.operations.continuity_share)


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
