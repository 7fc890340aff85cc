"""The weekly customer update that ``sim bench`` times three ways, defined once.

It is the customer part of the week (``sim.week.step.advance``: steps 3 and 5-8 for the
firm's customers, 10-12 for everyone, and the ageing of step 14): everything a person
does in a week, with the firm's staff replaced by its baseline quality. Every person in a
market of ``n`` is a customer of the firm (``firm == 0``), of rival ``j`` (``firm == j``)
or a prospect (``-1``).

Luck (common random numbers)
    0. Every person draws their week's numbers whether or not they use them: a visit
       uniform, a quality-noise normal, a failure uniform, a recovery uniform, a churn
       uniform, a shopping uniform and an awareness uniform. As in the model, a person
       then meets the same luck whatever everyone else does, which keeps comparisons of
       policies paired person by person.

A customer of the firm
    1. **Visit** with probability ``chain.visit_chance``: ``visit_probability * (1 -
       share_of_wallet_slope * (1 - satisfaction)) x relative_price ^
       -visit_price_elasticity``, at most 1, where the relative price is the price paid
       (``pricing.price_paid(tenure)``) over the market's (``market_price``: the rivals'
       price index by their customers, 1 if they have none).
    2. **Encounter** (visitors): quality ``clip(firm_quality + quality_noise * noise, 0,
       1)``; failure with ``chain.p_failure(quality, cost_to_serve)``, cutting the
       experience by ``failure_severity``; the recovery policy (``recovery.recover``) may
       fix it (experience back to ``max(quality, expectation) + bonus``, half a scar)
       or not (a whole scar); every customer's scar decays.
    3. **Satisfaction**: every customer's satisfaction relaxes toward their adaptation
       level (``chain.adaptation_level``); a visitor feels the experience less the
       quality-equivalent of paying more than the market (``chain.value_gap``, the
       customer's own price and quality weights, ``value_weight``), and their
       satisfaction moves by the disconfirmation of what is felt outside the zone of
       tolerance, losses weighted (``chain.disconfirmation``,
       ``chain.satisfaction_target``); expectation moves toward
       ``chain.expectation_target``, the experience partly anchored
       (``expectation_anchor_weight``) on the market's quality (``market_quality``: the
       firm's reputation and the rivals' quality, by customers at the start of the
       week); the firm's reputation moves toward the week's mean experience.
    4. **Books** (visitors): revenue ``base_spend x chain.spend_multiplier(tenure) x
       pricing.price_paid(tenure)`` (x ``chain.referred_spend_multiplier(tenure)`` for a
       referred customer); cost = materials + the week's labour bill shared
       in proportion to staff time needed (``standard_hours x cost_to_serve x
       chain.cost_to_serve_multiplier(tenure)``) + recovery cost; lifetime revenue,
       cost and value discounted to the week of acquisition; the value score.
    5. **Defection**: the annual hazard ``chain.competitive_pull(sum over rivals of
       room x exp(utility gap)) x chain.defection_per_year(satisfaction, threshold) x
       chain.tenure_hazard_factor(tenure) x (1 + failure_scar_hazard x scar) x
       exp(-switching_cost) + lapse``, both parts times the person's churn propensity
       (``market.churn_dispersion``; 1 by default); a leaver whose draw falls within the competitive
       part picks a rival by a logit choice (Gumbel draws), the others become prospects.

Word of mouth, over the model's small-world contact network
    W1. **Referrals** (before defection): intenders (satisfaction at or above the referral
        intent) refer at their weekly rate, raised by any referral reward
        (``chain.referral_lift``), to one random contact; a contact who is not a
        customer converts with ``referral_conversion`` (times ``exp(-switching_cost)`` for a
        rival's customer) and joins at once. One convert in ``lift`` (a uniform draw each)
        is a match the referrer chose and joins as a referred customer (a lower hazard,
        a spend premium); the rest were prompted by the reward and join as unreferred
        customers flagged ``referred_by_reward``.
    W2. **Stories** (after defection): customers whose failure was not fixed, and angry
        leavers, tell ``negative_wom_reach`` random contacts; each story lowers a listening
        customer's satisfaction and weighs on a listening shopper's choice; stories fade
        with the scar memory.

A rival's customer or a prospect
    6. **Market**: rivals' customers lapse to prospects at the category lapse rate;
       prospects and rivals' customers shop at their weekly rates (rivals' customers at
       their churn rate times ``competition_intensity``) and choose, by logit,
       between the focal firm (if aware of it: reputation, new-customer price and the
       memory of past dissatisfaction) and the rivals (quality, price, and room, or
       the switching cost of staying). A person won by the firm starts at tenure 0 with
       expectation at reputation, is charged onboarding and a share of marketing.

Then everyone ages a week and each rival's room is set from its customer count.

What is left out is the firm around the customers: employees (who serves, capacity,
work pressure and the quality it allows), tiers, the weekly table and the competitors'
quarterly reactions and exits. Every constant comes from
``SimConfig`` (``UpdateParams.from_config``), every formula from ``sim.chain`` and the
policy modules, and the starting state is the model's (``sim.state.new_population``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sim import chain
from sim.config import PricingConfig, RecoveryConfig, SimConfig
from sim.policies import acquisition, hr
from sim.state import baseline_quality

RECOVERED_SCAR = 0.5  # as ``sim.week.encounters.RECOVERED_SCAR``
VALUE_SCORE_WEIGHT = 1.0 / 26.0  # as ``sim.week.tiers.VALUE_SCORE_WEIGHT``
MAX_UTILITY_GAP = 700.0  # as ``sim.week.defection.MAX_UTILITY_GAP``


@dataclass(frozen=True)
class UpdateParams:
    """Every constant of the weekly customer update (see the module docstring)."""

    # Visits and encounters.
    share_of_wallet_slope: float
    visit_price_elasticity: float
    firm_quality: float
    quality_noise: float
    failure_min: float
    failure_max: float
    failure_severity: float
    recovery: RecoveryConfig
    recovery_cost_per_spend: float
    recovered_quality_bonus: float
    # Satisfaction.
    loss_weight: float
    disconfirmation_weight: float
    satisfaction_smoothing: float
    satisfaction_relaxation: float
    adequate_gap: float
    desired_gap: float
    expectation_adaptation: float
    expectation_anchor_weight: float
    expectation_market_weight: float
    value_weight: float
    reputation_weight: float
    # Word of mouth.
    network_degree: int
    network_rewiring: float
    referral_intent: float
    referral_lift: float
    p_refer: float
    referral_conversion: float
    referred_hazard_multiplier: float
    referral_reward: float
    detractor_satisfaction: float
    story_reach: int
    story_effect: float
    story_attraction: float
    story_decay: float
    # Books.
    spend_growth_max: float
    spend_growth_weeks: float
    referred_spend_premium: float
    referred_premium_weeks: float
    pricing: PricingConfig
    standard_hours_per_visit: float
    new_cost_to_serve: float
    cost_to_serve_weeks: float
    material_share: float
    labour_per_week: float
    discount_rate: float
    onboarding_cost: float
    marketing_per_week: float
    # Defection.
    retention_steepness: float
    defection_min_per_year: float
    defection_max_per_year: float
    new_customer_hazard_boost: float
    hazard_tenure_weeks: float
    failure_scar_hazard: float
    scar_decay: float
    competition_intensity: float
    lapse_rate: float
    # Rivals and the market.
    n_rivals: int
    rival_quality: float
    rival_price: float
    rival_capacity: int
    p_prospect_shops: float
    p_rival_customer_shops: float
    p_lapse: float
    awareness: float

    @classmethod
    def from_config(cls, cfg: SimConfig) -> UpdateParams:
        """The update's constants from a model configuration.

        >>> p = UpdateParams.from_config(SimConfig())
        >>> 0 < p.p_prospect_shops < 1 and p.n_rivals == SimConfig().competitors.n_competitors
        True
        """
        b, o, m, r = cfg.behaviour, cfg.operations, cfg.market, cfg.competitors
        wage = hr.wage_per_week(cfg.hr, cfg.workforce.market_wage_per_week)
        reward = cfg.acquisition.referral_reward
        lift = chain.referral_lift(reward, b.referral_reward_lift, b.referral_reward_scale)
        return cls(
            share_of_wallet_slope=b.share_of_wallet_slope,
            visit_price_elasticity=b.visit_price_elasticity,
            firm_quality=baseline_quality(cfg),
            quality_noise=o.quality_noise,
            failure_min=o.failure_min,
            failure_max=o.failure_max,
            failure_severity=o.failure_severity,
            recovery=cfg.recovery,
            recovery_cost_per_spend=cfg.recovery.cost_per_spend,
            recovered_quality_bonus=cfg.recovery.recovered_quality_bonus,
            loss_weight=b.loss_weight,
            disconfirmation_weight=b.disconfirmation_weight,
            satisfaction_smoothing=b.satisfaction_smoothing,
            satisfaction_relaxation=b.satisfaction_relaxation,
            adequate_gap=b.adequate_gap,
            desired_gap=b.desired_gap,
            expectation_adaptation=b.expectation_adaptation,
            expectation_anchor_weight=b.expectation_anchor_weight,
            expectation_market_weight=b.expectation_market_weight,
            value_weight=b.value_weight,
            reputation_weight=1.0 / o.reputation_weeks,
            network_degree=m.network_degree,
            network_rewiring=m.network_rewiring,
            referral_intent=b.referral_intent_satisfaction,
            referral_lift=lift,
            p_refer=float(chain.weekly_rate(b.referrals_per_promoter_year * lift)),
            referral_conversion=b.referral_conversion,
            referred_hazard_multiplier=b.referred_hazard_multiplier,
            referral_reward=reward,
            detractor_satisfaction=b.detractor_satisfaction,
            story_reach=b.negative_wom_reach,
            story_effect=b.negative_wom_effect,
            story_attraction=b.negative_wom_attraction,
            story_decay=math.exp(-1.0 / b.scar_memory_weeks),
            spend_growth_max=b.spend_growth_max,
            spend_growth_weeks=b.spend_growth_weeks,
            referred_spend_premium=b.referred_spend_premium,
            referred_premium_weeks=b.referred_premium_weeks,
            pricing=cfg.pricing,
            standard_hours_per_visit=o.standard_hours_per_visit,
            new_cost_to_serve=b.new_cost_to_serve,
            cost_to_serve_weeks=b.cost_to_serve_weeks,
            material_share=m.material_share,
            labour_per_week=wage * cfg.workforce.n_employees,
            discount_rate=m.discount_rate,
            onboarding_cost=cfg.acquisition.onboarding_cost,
            marketing_per_week=acquisition.marketing_budget(cfg.acquisition, m.n_customers),
            retention_steepness=b.retention_steepness,
            defection_min_per_year=b.defection_min_per_year,
            defection_max_per_year=b.defection_max_per_year,
            new_customer_hazard_boost=b.new_customer_hazard_boost,
            hazard_tenure_weeks=b.hazard_tenure_weeks,
            failure_scar_hazard=b.failure_scar_hazard,
            scar_decay=math.exp(-1.0 / b.scar_memory_weeks),
            competition_intensity=m.competition_intensity,
            lapse_rate=-math.log(1.0 - m.lapse_per_year),
            n_rivals=r.n_competitors,
            rival_quality=r.quality,
            rival_price=r.price_index,
            rival_capacity=max(1, round(r.capacity_share * m.n_customers)),
            p_prospect_shops=float(chain.weekly_rate(m.prospect_shopping_per_year)),
            p_rival_customer_shops=float(
                chain.weekly_rate(r.churn_per_year * m.competition_intensity)
            ),
            p_lapse=float(chain.weekly_probability(m.lapse_per_year)),
            awareness=acquisition.awareness(cfg.acquisition),
        )

    def price_paid(self, tenure_weeks: float) -> float:
        """The price multiplier at one tenure, as ``pricing.price_paid`` (one tier).

        >>> UpdateParams.from_config(SimConfig()).price_paid(0.0)
        1.0
        """
        pr = self.pricing
        new = tenure_weeks < pr.discount_weeks
        return pr.price_index * (1.0 - (pr.new_customer_discount if new else 0.0))

    def market_price(self, rival_customers: int) -> float:
        """The price customers compare with, as ``World.market_price``.

        The rivals' price index weighted by their customers (all rivals here ask the same
        price), 1 if they have none.

        >>> p = UpdateParams.from_config(SimConfig())
        >>> p.market_price(0), p.market_price(10) == p.rival_price
        (1.0, True)
        """
        return self.rival_price if rival_customers > 0 else 1.0

    def market_quality(
        self, focal_customers: int, reputation: float, rival_customers: int
    ) -> float:
        """Quality the market delivers, as ``World.market_quality``: expectations' anchor.

        The firm's reputation and the rivals' quality weighted by their customers (the
        firm's at the start of the week, the rivals' as last counted).

        >>> p = UpdateParams.from_config(SimConfig())
        >>> p.market_quality(0, 0.7, 0), p.market_quality(5, 0.7, 0)
        (0.7, 0.7)
        >>> round(p.market_quality(1, 0.7, 1), 12) == round((0.7 + p.rival_quality) / 2, 12)
        True
        """
        served = float(focal_customers + rival_customers)
        total = focal_customers * reputation + rival_customers * self.rival_quality
        return total / served if served > 0 else reputation

    def expectation_anchor(
        self, focal_customers: int, reputation: float, rival_customers: int
    ) -> float:
        """The rational part of expectations, as in the model's satisfaction phase."""
        market = self.market_quality(focal_customers, reputation, rival_customers)
        return chain.expectation_anchor(reputation, market, self.expectation_market_weight)

    def room(self, customers: int) -> float:
        """A rival's openness to newcomers, as ``Competitor.room``: 1 with spare capacity.

        >>> p = UpdateParams.from_config(SimConfig())
        >>> p.room(0), p.room(p.rival_capacity)
        (1.0, 0.0)
        """
        spare = (self.rival_capacity - customers) / (0.1 * self.rival_capacity)
        return min(1.0, max(0.0, spare))


def bench_config(customers: int, seed: int = 0) -> SimConfig:
    """Default configuration at ``customers`` people, one employee per hundred.

    >>> bench_config(2_000).workforce.n_employees
    20
    """
    cfg = SimConfig(seed=seed)
    cfg.market.n_customers = customers
    cfg.workforce.n_employees = max(1, round(customers / 100))
    return cfg


@dataclass
class Outcome:
    """Counts accumulated over the weeks of one run of the update."""

    customer_weeks: int = 0
    visits: int = 0
    failures: int = 0
    defections: int = 0
    defections_to_rivals: int = 0
    joins: int = 0
    referral_joins: int = 0
    reward_referral_joins: int = 0  # of the referral joins, those prompted by the reward
    stories: int = 0
    satisfaction_sum: float = 0.0
    revenue: float = 0.0
    cost: float = 0.0

    @property
    def defection_rate(self) -> float:
        """Defections per customer-week."""
        return self.defections / max(self.customer_weeks, 1)

    @property
    def visit_rate(self) -> float:
        """Visits per customer-week."""
        return self.visits / max(self.customer_weeks, 1)

    @property
    def mean_satisfaction(self) -> float:
        """Mean satisfaction of the firm's customers at defection time, per customer-week."""
        return self.satisfaction_sum / max(self.customer_weeks, 1)

    @property
    def margin(self) -> float:
        """Share of revenue left after the customers' costs."""
        return 1.0 - self.cost / self.revenue if self.revenue else 0.0
