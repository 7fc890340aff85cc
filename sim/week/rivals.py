"""Rivals: their customer counts, their quarterly reaction to what they lost, exits."""

from __future__ import annotations

import numpy as np

from sim.state import NO_TIER, PROSPECT
from sim.units import WEEKS_PER_QUARTER
from sim.week.world import World


def count_customers(world: World) -> None:
    """Each rival's customers now."""
    # One byte-wide comparison per rival is several times cheaper than a bincount,
    # which first widens the whole firm column to int64.
    firm = world.customers.firm
    for rival in world.competitors:
        rival.customers = int(np.count_nonzero(firm == rival.firm_id))


def review_if_quarter_ends(world: World) -> None:
    """At a quarter's end each rival defends lost share or relaxes (see Competitor)."""
    quarter_ends = (world.week + 1) % WEEKS_PER_QUARTER == 0
    if not quarter_ends:
        return
    for rival in world.competitors:
        if world.links.is_live("rival_reaction"):
            rival.review_quarter()
        elif not rival.exited:
            rival.customers_last_quarter = rival.customers
        if rival.exited and rival.customers:
            leave_market(world, rival.firm_id)
            rival.customers = 0


def leave_market(world: World, firm_id: int) -> None:
    """A rival closes: its customers become prospects, free to shop."""
    c = world.customers
    rows = np.flatnonzero(c.firm == firm_id)
    c.firm[rows] = PROSPECT
    c.tenure_weeks[rows] = 0.0
    c.tier[rows] = NO_TIER
