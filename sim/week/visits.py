"""Phase 3, visits: who comes this week.

The habitual chance falls a little with dissatisfaction (share of wallet) and with the
price paid relative to the market's (visit frequency has a price elasticity).
"""

from __future__ import annotations

from sim import chain
from sim.week.flows import Flows
from sim.week.world import World


def choose_visitors(world: World, flows: Flows) -> None:
    """Draw this week's visitors among the firm's customers."""
    c, focal = world.customers, flows.focal
    # One draw per person, not per visitor, so the same person meets the same luck under
    # every policy (common random numbers stay paired).
    u_visit = world.streams["visits"].random(c.n)
    b = world.config.behaviour
    chance = chain.visit_chance(
        world.habitual_visits(focal),
        c.satisfaction[focal],
        b.share_of_wallet_slope,
        world.prices_paid(focal) / world.market_price(),
        b.visit_price_elasticity,
    )
    flows.visitors = focal[u_visit[focal] < chance]
