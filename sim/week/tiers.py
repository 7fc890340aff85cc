"""Phase 2, tiers: customers are ranked into value quintiles on a schedule.

Tiers exist under every service policy, so profit by value quintile is always reported;
only tiered service treats them differently.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from sim.policies import service
from sim.state import FOCAL
from sim.week.world import World

VALUE_SCORE_WEIGHT = 1.0 / 26.0  # value used for tiering: revenue smoothed over ~half a year


def retier_if_due(world: World) -> None:
    """Re-rank on the service policy's schedule (every ``retier_weeks``)."""
    if world.decisions.service.retier_due(world.week):
        retier(world)


def retier(world: World) -> None:
    """Rank the firm's customers by value score into quintiles (0 = top)."""
    c = world.customers
    focal = c.firm == FOCAL
    c.tier[:] = service.value_quintiles(c.value_score, focal)
    ranked = np.sort(c.value_score[focal])[::-1]
    if ranked.size >= service.N_TIERS:
        idx = (np.arange(1, service.N_TIERS) * ranked.size) // service.N_TIERS
        world.firm.tier_cutoffs = ranked[idx]


def tier_of(world: World, value: NDArray[np.float64]) -> NDArray[np.int8]:
    """The tier a newcomer of this value joins, by the last ranking's cutoffs."""
    # tier_cutoffs are descending; count how many cutoffs exceed each value (a sorted
    # search on the ascending cutoffs counts the same, without a 2-D comparison).
    ascending = world.firm.tier_cutoffs[::-1]
    above = ascending.size - np.searchsorted(ascending, value, side="right")
    return above.astype(np.int8)
