"""Rivals: their customer counts, and their quarterly reaction to what they lost."""

from __future__ import annotations

import numpy as np

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
    if quarter_ends and world.links.is_live("rival_reaction"):
        for rival in world.competitors:
            rival.review_quarter()
