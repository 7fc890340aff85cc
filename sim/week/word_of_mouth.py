"""Phases 10-11, word of mouth: customers who intend to refer do; angry ones tell stories.

Referrals reach contacts on the small-world network and convert some of them (less
often a rival's customer, who has a switching cost to overcome). A referral reward
raises the referral rate with diminishing returns; the referrals it adds are weaker
matches, so those customers lack the referred customers' retention and spend edge.
Unrecovered failures and angry defections become negative stories that lower
listeners' satisfaction and deter prospects (TARP).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sim import chain
from sim.state import FOCAL
from sim.week.books import charge
from sim.week.flows import Flows
from sim.week.market import acquire
from sim.week.world import World


def refer(world: World, flows: Flows) -> None:
    """Customers above the intent threshold refer contacts; some convert and join."""
    cfg, c, focal = world.config, world.customers, flows.focal
    b = cfg.behaviour
    wom = world.streams["word_of_mouth"]
    c.negative_stories *= math.exp(-1.0 / b.scar_memory_weeks)
    degree = world.contacts.shape[1]
    intenders = focal[c.satisfaction[focal] >= b.referral_intent_satisfaction]
    if degree == 0 or intenders.size == 0:
        return
    reward = world.decisions.acquisition.referral_reward
    lift = chain.referral_lift(reward, b.referral_reward_lift, b.referral_reward_scale)
    p_refer = chain.weekly_rate(b.referrals_per_promoter_year * lift)
    if not world.links.is_live("referrals"):
        # As many referrals, on average, as the week-0 intenders made.
        p_refer = np.minimum(1.0, p_refer * world.links.baseline.intenders / intenders.size)
    acting = intenders[wom.random(intenders.size) < p_refer]
    targets = world.contacts[acting, wom.integers(0, degree, acting.size)].astype(np.int64)
    eligible = c.firm[targets] != FOCAL
    targets, referrers = targets[eligible], acting[eligible]
    barrier = np.where(c.firm[targets] > 0, np.exp(-c.switching_cost[targets]), 1.0)
    converts = wom.random(targets.size) < b.referral_conversion * barrier
    # Of the referrals made, 1/lift would have been made without a reward: those are
    # the matches the referrer chose; the rest were prompted by the reward.
    matched = wom.random(converts.size)[converts] < 1.0 / lift
    targets, referrers = targets[converts], referrers[converts]
    targets, first = np.unique(targets, return_index=True)
    referrers, matched = referrers[first], matched[first]
    acquire(world, targets[matched], referred=True)
    acquire(world, targets[~matched], referred=False)
    world.customers.referred_by_reward[targets[~matched]] = True
    flows.costs["cost_referral_rewards"] = reward * targets.size
    charge(world, referrers, reward)
    flows.referrals_made, flows.referral_wins = int(acting.size), targets


def tell_stories(world: World, flows: Flows) -> None:
    """Unrecovered failures and angry defectors each tell a few contacts."""
    c, b = world.customers, world.config.behaviour
    unrecovered = flows.visitors[flows.failed[~flows.fixed]]
    defectors = flows.defectors
    angry = defectors[c.satisfaction[defectors] < b.detractor_satisfaction]
    tellers = np.concatenate([unrecovered, angry])
    world.track_flow("storytellers", tellers.size)
    flows.stories_told = _spread(world, tellers)


def _spread(world: World, tellers: NDArray[np.int64]) -> int:
    c, b = world.customers, world.config.behaviour
    reach, degree = b.negative_wom_reach, world.contacts.shape[1]
    if tellers.size == 0 or reach == 0 or degree == 0:
        return 0
    wom = world.streams["word_of_mouth"]
    heard = world.contacts[
        np.repeat(tellers, reach), wom.integers(0, degree, tellers.size * reach)
    ].astype(np.int64)
    # Counting the few stories directly beats a bincount and a scan over everyone.
    listeners, counts = np.unique(heard, return_counts=True)
    weight: NDArray[Any] = counts
    if not world.links.is_live("negative_word_of_mouth"):
        # Who hears still follows who tells; the weight is the week-0 volume.
        weight = counts * (world.links.baseline.storytellers / tellers.size)
    c.negative_stories[listeners] += weight
    is_focal = c.firm[listeners] == FOCAL
    focal_listeners = listeners[is_focal]
    c.satisfaction[focal_listeners] = chain.clip(
        c.satisfaction[focal_listeners] - b.negative_wom_effect * weight[is_focal], 0.0, 1.0
    )
    return int(heard.size)
