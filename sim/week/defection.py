"""Phase 11, defection: customers leave for a rival or for nobody.

The hazard is a function of satisfaction, scaled by the rivals' pull (a logit of their
offers against the firm's perceived reputation and price), tenure, switching cost,
referral source and remembered failures; a small lapse rate takes anyone out of the
category. A persistent personal propensity (``market.churn_dispersion``) scales both.
With ``market.dropout_at_visits`` only the week's visitors face the hazard, per visit.
Those who go to a rival choose one by its utility.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from sim import chain
from sim.state import FOCAL, NO_TIER, PROSPECT
from sim.week.flows import Flows
from sim.week.world import World

MAX_UTILITY_GAP = 700.0  # exp(700) ~ 1e304: finite even summed over 50 rivals


def defect(world: World, flows: Flows) -> None:
    """Draw who leaves this week, and where each goes (a rival or nobody)."""
    cfg, c = world.config, world.customers
    m = cfg.market
    # The firm's customers now, including this week's referrals.
    focal = flows.at_risk = np.flatnonzero(c.firm == FOCAL)
    price = world.prices_paid(focal)
    rate = competitive_hazard(world, focal, price)
    # Scales the whole hazard exogenously: 1 by default; the SF1 validation knob, and the
    # dropout level of a fitted customer base (sim fit-customers). Each customer's own
    # propensity to leave (market.churn_dispersion; all ones by default) scales both parts.
    propensity = c.churn_propensity[focal]
    rate *= m.churn_multiplier
    rate *= propensity
    lapse = lapse_per_year(world) * m.churn_multiplier * propensity
    u = world.streams["churn"].random(c.n)[focal]
    if m.dropout_at_visits:
        # The decision follows an experience: only this week's visitors may leave.
        rate = per_visit(rate, m.visits_per_week)
        lapse = per_visit(lapse, m.visits_per_week)
        visited = np.zeros(c.n, dtype=bool)
        visited[flows.visitors] = True
        leaving = visited[focal] & (u < chain.weekly_rate(rate + lapse))
    else:
        leaving = u < chain.weekly_rate(rate + lapse)
    defectors = focal[leaving]
    # Those whose draw fell within the competitive part go to a rival.
    to_rival_mask = u[leaving] < chain.weekly_rate(rate[leaving])
    rival_rows = defectors[to_rival_mask]
    if rival_rows.size and world.competitors:
        c.firm[rival_rows] = choose_rival(world, rival_rows, price[leaving][to_rival_mask])
    else:
        to_rival_mask[:] = False
    c.firm[defectors[~to_rival_mask]] = PROSPECT
    c.last_exit_week[defectors] = world.week
    c.exit_destination[defectors] = c.firm[defectors]
    c.tenure_weeks[defectors] = 0.0
    c.tier[defectors] = NO_TIER
    flows.defectors, flows.to_rivals = defectors, int(to_rival_mask.sum())


def competitive_hazard(
    world: World, rows: NDArray[np.int64], price: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Each row's satisfaction-linked defection rate a year, before the churn multiplier.

    The rivals' pull, satisfaction against the row's threshold, tenure, referral,
    remembered failures and the switching barrier; the row's own propensity to leave
    (``churn_propensity``) is not in it.
    """
    cfg, c = world.config, world.customers
    b, m = cfg.behaviour, cfg.market
    attraction = rival_attraction(world, rows, price)
    pull = chain.competitive_pull(attraction, m.competition_intensity)
    sat_hazard = chain.defection_per_year(
        c.satisfaction[rows],
        c.threshold[rows],
        steepness=b.retention_steepness,
        lo=b.defection_min_per_year,
        hi=b.defection_max_per_year,
    )
    rate: NDArray[np.float64] = (
        pull
        * sat_hazard
        * world.tenure_curves(
            chain.tenure_hazard_factor,
            c.tenure_weeks[rows],
            b.new_customer_hazard_boost,
            b.hazard_tenure_weeks,
        )
        * np.where(c.referred[rows], b.referred_hazard_multiplier, 1.0)
        * (1.0 + b.failure_scar_hazard * c.failure_scar[rows])
        * world.switching_barrier[rows]
    )
    return rate


def per_visit(rate: NDArray[np.float64], visits_per_week: float) -> NDArray[np.float64]:
    """A hazard as faced at each visit under ``market.dropout_at_visits``.

    Divided by the mean visit chance, so a customer of average visit chance keeps about
    the same yearly rate. Dividing (not multiplying by 1 / v) keeps a zero hazard zero
    when v is tiny; a huge one becomes certain departure at the visit. With v = 0 no one
    visits.
    """
    v = max(visits_per_week, np.finfo(float).tiny)
    with np.errstate(over="ignore"):
        faced: NDArray[np.float64] = rate / v
    return faced


def lapse_per_year(world: World) -> float:
    """The category lapse as a rate a year, before the multiplier and the propensity."""
    return -math.log(1.0 - world.config.market.lapse_per_year)


def rival_attraction(
    world: World, rows: NDArray[np.int64], price: NDArray[np.float64] | float
) -> NDArray[np.float64]:
    """Sum over rivals of exp(utility of the rival's offer minus the focal firm's)."""
    c = world.customers
    attraction = np.zeros(rows.size)
    # Rivals with the same offer have the same utility gap: one exp per distinct offer,
    # weighted by their summed room. (Rivals start alike and react alike, so in the
    # default world this is one exp instead of three.)
    rooms: dict[tuple[float, float, bool], float] = {}
    for rival in world.competitors:
        if rival.room > 0:
            offer = (rival.quality, rival.price_index, rival.targeting)
            rooms[offer] = rooms.get(offer, 0.0) + rival.room
    if not rooms:
        return attraction
    # Gather the sensitivities once and work in place: fewer passes and temporaries.
    qs, ps = c.quality_sensitivity[rows], c.price_sensitivity[rows]
    reputation = world.perceived_reputation()
    for (quality, price_index, targeting), room in rooms.items():
        u = qs * (quality - reputation)
        u -= ps * (price_index - price)
        if targeting:
            u += world.config.competitors.targeting_utility * (c.tier[rows] == 0)
        # Extreme (valid) sensitivities can put a utility gap past exp's range; capped,
        # the rival's pull is still total, and inf/inf never turns it into NaN.
        np.minimum(u, MAX_UTILITY_GAP, out=u)
        np.exp(u, out=u)
        u *= room
        attraction += u
    return attraction


def choose_rival(
    world: World, rows: NDArray[np.int64], price: NDArray[np.float64]
) -> NDArray[np.int8]:
    """Each defector's rival: a logit choice over the rivals with room."""
    c, rivals = world.customers, world.competitors
    utility = np.full((rows.size, len(rivals)), -np.inf)
    qs, ps = c.quality_sensitivity[rows], c.price_sensitivity[rows]
    for j, rival in enumerate(rivals):
        if rival.room <= 0:
            continue
        column = qs * rival.quality - ps * rival.price_index + math.log(rival.room)
        if rival.targeting:
            column += world.config.competitors.targeting_utility * (c.tier[rows] == 0)
        utility[:, j] = column
    gumbel = -np.log(
        -np.log(world.streams["churn_choice"].random((rows.size, len(rivals))) + 1e-300) + 1e-300
    )
    best = np.argmax(utility + gumbel, axis=1)
    return np.array([r.firm_id for r in rivals], dtype=np.int8)[best]
