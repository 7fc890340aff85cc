"""Management: every policy's decision for the week, in one typed object.

A policy module turns its config group and what management sees (a ``Situation``) into
one frozen decision; the phases of the week read decisions, never lever fields. Staffing
is decided inside the staffing phase, once this week's recruits have arrived and the
planned workload is updated; the other policies at the start of the week.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sim.config import SimConfig
from sim.policies import acquisition, hr, pricing, recovery, service, staffing
from sim.policies.situation import Situation

# Every policy group and its decide(config group, situation) -> decision.
POLICIES: dict[str, Callable[[Any, Situation], Any]] = {
    "service": service.decide,
    "staffing": staffing.decide,
    "hr": hr.decide,
    "recovery": recovery.decide,
    "acquisition": acquisition.decide,
    "pricing": pricing.decide,
}


@dataclass(frozen=True)
class Decisions:
    """The week's decisions of every policy but staffing."""

    service: service.ServiceDecision
    hr: hr.HrDecision
    pricing: pricing.PricingDecision
    acquisition: acquisition.AcquisitionDecision
    recovery: recovery.RecoveryDecision


def decide(cfg: SimConfig, situation: Situation) -> Decisions:
    """Ask each policy for this week's decision.

    >>> decide(SimConfig(), Situation(market_wage_per_week=1000.0)).hr.wage_per_week
    1000.0
    """
    return Decisions(
        service=service.decide(cfg.service, situation),
        hr=hr.decide(cfg.hr, situation),
        pricing=pricing.decide(cfg.pricing, situation),
        acquisition=acquisition.decide(cfg.acquisition, situation),
        recovery=recovery.decide(cfg.recovery, situation),
    )
