"""Phase 12, the market: prospects and rivals' customers shop; the focal firm wins some.

Shoppers who know the firm (awareness grows with marketing) compare its perceived
reputation, new-customer price and any bad stories heard with each rival's offer; a
rival's own customers have a switching cost to overcome, and a full rival takes no
newcomers. Winning a customer costs onboarding and a share of the marketing budget.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from sim import chain
from sim.state import FOCAL, PROSPECT
from sim.week.books import charge
from sim.week.flows import Flows
from sim.week.tiers import tier_of
from sim.week.world import World


def shop(world: World, flows: Flows) -> None:
    """Some rivals' customers lapse; shoppers choose a firm (or none) by utility."""
    cfg, c, rivals = world.config, world.customers, world.competitors
    rng = world.streams["acquisition"]
    u = rng.random(c.n)
    u_aware = rng.random(c.n)
    rival_rows = c.firm > 0
    # Focal customers do not shop; testing the two groups against their own rates
    # spares a per-person rate array filled through boolean masks.
    p_prospect = chain.weekly_rate(cfg.market.prospect_shopping_per_year)
    # Competition is a property of the market: where the focal firm's customers are
    # pulled harder by rival offers, rivals' customers look around more too (SF8).
    p_rival = chain.weekly_rate(cfg.competitors.churn_per_year * cfg.market.competition_intensity)
    lapse = chain.weekly_probability(cfg.market.lapse_per_year)
    lapsing = np.flatnonzero(rival_rows & (u >= 1.0 - lapse))
    shoppers = np.flatnonzero(
        ((c.firm == PROSPECT) & (u < p_prospect)) | (rival_rows & (u < p_rival))
    )
    if lapsing.size:
        c.firm[lapsing] = PROSPECT
        c.tenure_weeks[lapsing] = 0.0
    if shoppers.size == 0:
        return
    k = len(rivals)
    qw = c.quality_sensitivity[shoppers]
    pw = c.price_sensitivity[shoppers]
    utility = np.full((shoppers.size, k + 1), -np.inf)
    decided = world.decisions
    aware = u_aware[shoppers] < decided.acquisition.awareness
    new_price = decided.pricing.new_customer_price
    ever = c.acquisitions[shoppers] > 0
    reputation = world.perceived_reputation()
    memory = np.where(ever, qw * np.minimum(0.0, c.satisfaction[shoppers] - reputation), 0.0)
    focal_u = (
        qw * reputation
        - pw * new_price
        - cfg.behaviour.negative_wom_attraction * c.negative_stories[shoppers]
        + memory
    )
    utility[:, 0] = np.where(aware, focal_u, -np.inf)
    current = c.firm[shoppers]
    staying = c.switching_cost[shoppers]
    offers: dict[tuple[float, float], NDArray[np.float64]] = {}  # alike rivals: once
    for j, rival in enumerate(rivals, start=1):
        if rival.exited:
            continue  # a closed rival is no option (its column stays -inf)
        own = current == rival.firm_id
        # A full rival takes no newcomers but keeps its own customers.
        access = np.where(own, staying, math.log(max(rival.room, 1e-300)))
        key = (rival.quality, rival.price_index)
        if key not in offers:
            offers[key] = qw * rival.quality - pw * rival.price_index
        utility[:, j] = offers[key] + access
    gumbel = -np.log(
        -np.log(world.streams["shopping_choice"].random((shoppers.size, k + 1)) + 1e-300) + 1e-300
    )
    scores = utility + gumbel
    best = np.argmax(scores, axis=1)
    anything = np.isfinite(scores.max(axis=1))
    wins = shoppers[(best == 0) & anything]
    movers = (best > 0) & anything
    moved = shoppers[movers]
    new_firm = np.array([0, *[r.firm_id for r in rivals]], dtype=np.int8)[best[movers]]
    changed = c.firm[moved] != new_firm
    c.tenure_weeks[moved[changed]] = 0.0
    c.firm[moved] = new_firm
    acquire(world, wins, referred=False)
    budget = decided.acquisition.marketing_budget
    if wins.size:
        charge(world, wins, budget / wins.size)
    else:
        world.books.unallocated_cost += budget
    flows.marketing_wins = wins.astype(np.int64)


def acquire(world: World, rows: NDArray[np.int64], referred: bool) -> None:
    """The focal firm wins ``rows``: they start with the reputation as expectation."""
    if rows.size == 0:
        return
    c = world.customers
    c.firm[rows] = FOCAL
    c.tenure_weeks[rows] = 0.0
    reputation = world.perceived_reputation()
    c.expectation[rows] = reputation
    c.satisfaction[rows] = chain.clip(reputation + c.satisfaction_bias[rows], 0.0, 1.0)
    c.referred[rows] = referred
    c.referred_by_reward[rows] = False
    c.failure_scar[rows] = 0.0
    c.acquisitions[rows] += 1
    first = c.first_acquired_week[rows] < 0
    c.first_acquired_week[rows[first]] = world.week
    c.value_score[rows] = c.base_spend[rows] * c.visit_probability[rows]
    c.tier[rows] = tier_of(world, c.value_score[rows])
    charge(world, rows, world.decisions.acquisition.onboarding_cost)
