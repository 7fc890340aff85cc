"""Phase 0, decisions: every policy but staffing decides the week from what management sees."""

from __future__ import annotations

from sim.policies import management
from sim.week.world import World


def decide(world: World) -> None:
    """This week's decisions of every policy but staffing (see ``staffing.manage_staff``)."""
    world.decisions = management.decide(world.config, world.situation())
