"""Phase 7, satisfaction: customers' satisfaction and expectations move; reputation follows.

Satisfaction is an adaptation level plus disconfirmation (Oliver 1980, 1981). Week by
week past episodes fade and every customer's satisfaction relaxes toward the level,
what they expect of the firm as they feel it; an encounter then moves it from where it
is by the part of the experience outside the zone of tolerance (Zeithaml, Berry &
Parasuraman 1993), so meeting expectations changes nothing and contacts hurt more
often than they help (SF11, section 2.2). Losses weigh more than gains. What is felt
is value: quality, less the quality-equivalent of paying more than the market.
Expectations are partly anchored on the market's offer and partly adaptive (SF37), so a
lasting quality gain leaves a lasting, smaller satisfaction gain.
"""

from __future__ import annotations

from sim import chain
from sim.week.flows import Flows, mean_or_zero
from sim.week.world import World


def update_satisfaction(world: World, flows: Flows) -> None:
    """Relax everyone toward their level, move visitors by disconfirmation; reputation."""
    c, b = world.customers, world.config.behaviour
    focal, visitors, experienced = flows.focal, flows.visitors, flows.experienced
    c.satisfaction[focal] = chain.relax(
        c.satisfaction[focal],
        c.expectation[focal],
        c.satisfaction_bias[focal],
        b.satisfaction_relaxation,
    )
    expect = c.expectation[visitors]
    felt = experienced - chain.value_gap(
        flows.price,
        world.market_price(),
        c.price_sensitivity[visitors],
        c.quality_sensitivity[visitors],
        b.value_weight,
    )
    d = chain.disconfirmation(felt, expect, b.loss_weight, b.adequate_gap, b.desired_gap)
    target = chain.satisfaction_target(c.satisfaction[visitors], d, b.disconfirmation_weight)
    c.satisfaction[visitors] = chain.smooth(
        c.satisfaction[visitors], target, b.satisfaction_smoothing
    )
    if world.links.is_live("adaptive_expectations"):
        anchor = chain.expectation_anchor(
            world.perceived_reputation(),
            world.market_quality(focal.size),
            b.expectation_market_weight,
        )
        c.expectation[visitors] = chain.smooth(
            expect,
            chain.expectation_target(experienced, anchor, b.expectation_anchor_weight),
            b.expectation_adaptation,
        )
    if experienced.size:
        world.firm.reputation = float(
            chain.smooth(
                world.firm.reputation,
                mean_or_zero(experienced),
                1.0 / world.config.operations.reputation_weeks,
            )
        )
