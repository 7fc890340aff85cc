"""The weekly customer update written the idiomatic Mesa way: one agent per person.

Each ``PeerCustomer`` holds its own state as attributes and runs ``sim.perf.update``'s
update for itself in ``step()``, with its own draws from the model's seeded stdlib
generator (``self.random``); the model activates all agents with ``shuffle_do`` once a
week, then settles the week's labour bill over the visits (the only step that needs the
week's total) and moves its reputation. This is the peer most Mesa users would write, so
``sim bench`` reports the model's speed against it. It uses stdlib draws and scalar
``math`` because those are the fastest idiomatic choices (NumPy scalar draws cost ~1.6x
more per draw, ``shared/docs/stack.md`` section 3), which makes the reported speed-up a
conservative one.

Because agents act one after another, everything a person reads about the firm and the
market (reputation, rivals' room, the market's price and quality) is last week's, as a
weekly report would give it.
"""

from __future__ import annotations

import math
from typing import Any

import mesa
import numpy as np

from sim.config import SimConfig
from sim.perf.update import (
    MAX_UTILITY_GAP,
    RECOVERED_SCAR,
    VALUE_SCORE_WEIGHT,
    Outcome,
    UpdateParams,
)
from sim.policies import recovery
from sim.state import FOCAL, PROSPECT, new_population, small_world_contacts
from sim.units import WEEKS_PER_YEAR

WEEKS = WEEKS_PER_YEAR


def _clip01(x: float) -> float:
    return min(1.0, max(0.0, x))


def _gumbel(u: float) -> float:
    return -math.log(-math.log(u + 1e-300) + 1e-300)


class PeerCustomer(mesa.Agent):  # type: ignore[misc]
    """One person: a customer of the firm, of a rival, or a prospect, with their own state."""

    def __init__(self, model: PeerModel, **state: Any) -> None:
        super().__init__(model)
        self.row: int = state["row"]
        self.firm: int = state["firm"]
        self.tenure_weeks: float = state["tenure_weeks"]
        self.satisfaction: float = state["satisfaction"]
        self.expectation: float = state["expectation"]
        self.base_spend: float = state["base_spend"]
        self.visit_probability: float = state["visit_probability"]
        self.cost_to_serve: float = state["cost_to_serve"]
        self.price_sensitivity: float = state["price_sensitivity"]
        self.quality_sensitivity: float = state["quality_sensitivity"]
        self.switching_cost: float = state["switching_cost"]
        self.threshold: float = state["threshold"]
        self.satisfaction_bias: float = state["satisfaction_bias"]
        self.churn_propensity: float = state["churn_propensity"]
        self.acquisitions: int = state["acquisitions"]
        self.first_acquired_week: int = state["first_acquired_week"]
        self.value_score: float = state["value_score"]
        self.failure_scar = 0.0
        self.referred = False
        self.referred_by_reward = False
        self.negative_stories = 0.0
        self.lifetime_revenue = 0.0
        self.lifetime_cost = 0.0
        self.lifetime_value = 0.0

    def step(self) -> None:
        """This person's week (the numbered steps of ``sim.perf.update``)."""
        model: PeerModel = self.model
        p = model.params
        # 0. The week's luck, drawn whether used or not.
        r = self.random
        u_visit, u_fail, u_recover = r.random(), r.random(), r.random()
        u_churn, u_shop, u_aware = r.random(), r.random(), r.random()
        noise = r.gauss(0.0, 1.0)
        self.negative_stories *= p.story_decay
        if self.firm == FOCAL:
            self._customer_week(model, p, u_visit, noise, u_fail, u_recover, u_churn)
        if self.firm != FOCAL:  # including this week's leavers, as in the model
            self._market_week(model, p, u_shop, u_aware)
        self.tenure_weeks += 1.0

    def _customer_week(
        self,
        model: PeerModel,
        p: UpdateParams,
        u_visit: float,
        noise: float,
        u_fail: float,
        u_recover: float,
        u_churn: float,
    ) -> None:
        out = model.outcome
        self.failure_scar *= p.scar_decay
        self.value_score *= 1.0 - VALUE_SCORE_WEIGHT
        # 1. Visit: less often when dissatisfied or paying more than the market.
        price = p.price_paid(self.tenure_weeks)
        sow = 1.0 - p.share_of_wallet_slope * (1.0 - self.satisfaction)
        chance = self.visit_probability * sow
        if p.visit_price_elasticity > 0:
            chance *= max(price / model.market_price, 1e-9) ** -p.visit_price_elasticity
        visiting = u_visit < min(chance, 1.0)
        # Episodes fade: satisfaction relaxes toward the adaptation level (step 3).
        level = _clip01(self.expectation + self.satisfaction_bias)
        self.satisfaction += p.satisfaction_relaxation * (level - self.satisfaction)
        if visiting:
            self._encounter(model, p, price, noise, u_fail, u_recover)
        # W1. A customer who intends to refer may refer a contact.
        if self.satisfaction >= p.referral_intent and self.random.random() < p.p_refer:
            self._refer(model, p)
        # 5. Defection (the price is the one paid at the visit: tenure has not moved).
        gap = self.quality_sensitivity * (
            p.rival_quality - model.reputation
        ) - self.price_sensitivity * (p.rival_price - price)
        a = p.competition_intensity * model.total_room * math.exp(min(gap, MAX_UTILITY_GAP))
        pull = a / (1.0 + a)
        z = p.retention_steepness * (self.threshold - self.satisfaction)
        satisfaction_hazard = p.defection_min_per_year + (
            p.defection_max_per_year - p.defection_min_per_year
        ) / (1.0 + math.exp(-z))
        tenure_factor = 1.0 + p.new_customer_hazard_boost * math.exp(
            -self.tenure_weeks / p.hazard_tenure_weeks
        )
        hazard = (
            pull
            * satisfaction_hazard
            * tenure_factor
            * (p.referred_hazard_multiplier if self.referred else 1.0)
            * (1.0 + p.failure_scar_hazard * self.failure_scar)
            * math.exp(-self.switching_cost)
            * self.churn_propensity
        )
        lapse = p.lapse_rate * self.churn_propensity
        out.customer_weeks += 1
        out.satisfaction_sum += self.satisfaction
        if u_churn < 1.0 - math.exp(-(hazard + lapse) / WEEKS):
            out.defections += 1
            model.focal_customers -= 1
            self.tenure_weeks = 0.0
            self.firm = PROSPECT
            if u_churn < 1.0 - math.exp(-hazard / WEEKS) and model.total_room > 0:
                self.firm = self._choose_rival(model, p)
                model.rival_customers[self.firm - 1] += 1
                out.defections_to_rivals += 1
            if self.satisfaction < p.detractor_satisfaction:
                self._tell_stories(model, p)  # W2. an angry leaver

    def _encounter(
        self,
        model: PeerModel,
        p: UpdateParams,
        price: float,
        noise: float,
        u_fail: float,
        u_recover: float,
    ) -> None:
        # 2. Encounter, failure and recovery.
        quality = _clip01(p.firm_quality + p.quality_noise * noise)
        shortfall = 1.0 - quality
        p_fail = _clip01(
            (p.failure_min + (p.failure_max - p.failure_min) * shortfall**2)
            * math.sqrt(self.cost_to_serve)
        )
        growth = p.spend_growth_max - (p.spend_growth_max - 1.0) * math.exp(
            -self.tenure_weeks / p.spend_growth_weeks
        )
        if self.referred:
            growth *= 1.0 + p.referred_spend_premium * math.exp(
                -self.tenure_weeks / p.referred_premium_weeks
            )
        revenue = self.base_spend * growth * price
        experienced, recovery_cost = quality, 0.0
        if u_fail < p_fail:
            experienced = quality * (1.0 - p.failure_severity)
            model.outcome.failures += 1
            needed = p.recovery_cost_per_spend * revenue
            fixed, cost = model.recover(needed, u_recover)
            recovery_cost = cost
            if fixed:
                experienced = min(1.0, max(quality, self.expectation) + p.recovered_quality_bonus)
                self.failure_scar += RECOVERED_SCAR
            else:
                self.failure_scar += 1.0
                self._tell_stories(model, p)  # W2. an unfixed failure
        # 3. Satisfaction and expectation: what is felt is value for money.
        gap = p.value_weight * (price - model.market_price) * self.price_sensitivity
        felt = experienced - gap / max(self.quality_sensitivity, 1e-9)
        d = felt - self.expectation
        d = min(d + p.adequate_gap, 0.0) if d < 0 else max(d - p.desired_gap, 0.0)
        d = round(p.loss_weight * d if d < 0 else d, 12)
        target = _clip01(self.satisfaction + 0.5 * math.tanh(2.0 * p.disconfirmation_weight * d))
        self.satisfaction += p.satisfaction_smoothing * (target - self.satisfaction)
        w = p.expectation_anchor_weight
        anchored = (1.0 - w) * experienced + w * model.expectation_anchor
        self.expectation += p.expectation_adaptation * (anchored - self.expectation)
        # 4. Books (labour is settled once the week's total need is known).
        need = (
            p.standard_hours_per_visit
            * self.cost_to_serve
            * (
                1.0
                + (p.new_cost_to_serve - 1.0) * math.exp(-self.tenure_weeks / p.cost_to_serve_weeks)
            )
        )
        cost = p.material_share * revenue + recovery_cost
        self.lifetime_revenue += revenue
        self.value_score += VALUE_SCORE_WEIGHT * revenue / price
        self._book(cost, revenue - cost)
        model.record_visit(self, experienced, revenue, cost, need)

    def _contact(self, model: PeerModel) -> PeerCustomer:
        mine = model.contacts[self.row]
        pick: int = self.random.randrange(len(mine))
        return model.people[mine[pick]]

    def _refer(self, model: PeerModel, p: UpdateParams) -> None:
        if not model.contacts[self.row]:
            return
        other = self._contact(model)
        if other.firm == FOCAL:
            return
        barrier = math.exp(-other.switching_cost) if other.firm > 0 else 1.0
        if self.random.random() < p.referral_conversion * barrier:
            # One convert in ``lift`` is a match the referrer chose; the rest the reward's.
            matched = self.random.random() < 1.0 / p.referral_lift
            if other.firm > 0:
                model.rival_customers[other.firm - 1] -= 1
            other.firm = FOCAL
            other._join(model, p, referred=matched, by_referral=True)
            other.referred_by_reward = not matched
            model.outcome.joins += 1
            model.outcome.referral_joins += 1
            model.outcome.reward_referral_joins += not matched
            if p.referral_reward:
                self._book(p.referral_reward, -p.referral_reward)

    def _tell_stories(self, model: PeerModel, p: UpdateParams) -> None:
        if not model.contacts[self.row]:
            return
        for _ in range(p.story_reach):
            other = self._contact(model)
            other.negative_stories += 1.0
            if other.firm == FOCAL:
                other.satisfaction = max(0.0, other.satisfaction - p.story_effect)
            model.outcome.stories += 1

    def _book(self, cost: float, value: float) -> None:
        model: PeerModel = self.model
        since = model.week - max(self.first_acquired_week, 0)
        self.lifetime_cost += cost
        self.lifetime_value += value * (1.0 + model.params.discount_rate) ** (-since / WEEKS)

    def _choose_rival(self, model: PeerModel, p: UpdateParams) -> int:
        offer = self.quality_sensitivity * p.rival_quality - self.price_sensitivity * p.rival_price
        best, best_score = 0, -math.inf
        for j, room in enumerate(model.rooms, start=1):
            if room > 0:
                score = offer + math.log(room) + _gumbel(self.random.random())
                if score > best_score:
                    best, best_score = j, score
        return best

    def _market_week(
        self, model: PeerModel, p: UpdateParams, u_shop: float, u_aware: float
    ) -> None:
        # 6. Market: a rival's customer may lapse; shoppers choose a firm.
        if self.firm > 0 and u_shop >= 1.0 - p.p_lapse:
            model.rival_customers[self.firm - 1] -= 1
            self.firm, self.tenure_weeks = PROSPECT, 0.0
            return
        shop = p.p_rival_customer_shops if self.firm > 0 else p.p_prospect_shops
        if u_shop >= shop:
            return
        qw, pw = self.quality_sensitivity, self.price_sensitivity
        best, best_score = -2, -math.inf
        if u_aware < p.awareness:
            memory = (
                qw * min(0.0, self.satisfaction - model.reputation) if self.acquisitions else 0.0
            )
            new_price = p.pricing.price_index * (1.0 - p.pricing.new_customer_discount)
            best_score = (
                qw * model.reputation
                - pw * new_price
                - p.story_attraction * self.negative_stories
                + memory
            )
            best_score += _gumbel(self.random.random())
            best = FOCAL
        offer = qw * p.rival_quality - pw * p.rival_price
        for j, room in enumerate(model.rooms, start=1):
            access = self.switching_cost if self.firm == j else math.log(max(room, 1e-300))
            score = offer + access + _gumbel(self.random.random())
            if score > best_score:
                best, best_score = j, score
        if best == -2 or best == self.firm:
            return
        if self.firm > 0:
            model.rival_customers[self.firm - 1] -= 1
        self.firm, self.tenure_weeks = best, 0.0
        if best == FOCAL:
            self._join(model, p, referred=False, by_referral=False)
        else:
            model.rival_customers[best - 1] += 1

    def _join(self, model: PeerModel, p: UpdateParams, referred: bool, by_referral: bool) -> None:
        self.tenure_weeks = 0.0
        self.referred = referred
        self.referred_by_reward = False
        self.expectation = model.reputation
        self.satisfaction = _clip01(model.reputation + self.satisfaction_bias)
        self.failure_scar = 0.0
        self.acquisitions += 1
        if self.first_acquired_week < 0:
            self.first_acquired_week = model.week
        self.value_score = self.base_spend * self.visit_probability
        model.focal_customers += 1
        if by_referral:  # onboarding only; marketing is shared among the market's wins
            self._book(p.onboarding_cost, -p.onboarding_cost)
        else:
            model.joined.append(self)


class PeerModel(mesa.Model):  # type: ignore[misc]
    """A market of ``PeerCustomer`` agents, a firm reputation and rivals; a step is a week.

    Args:
        config: parameters and size (``market.n_customers``) of the market.
        rng: seed of the model's generators (population and per-agent draws).
    """

    def __init__(self, config: SimConfig | None = None, rng: int = 0) -> None:
        super().__init__(rng=rng)
        cfg = config if config is not None else SimConfig()
        self.params = p = UpdateParams.from_config(cfg)
        self.week = 0
        self.reputation = p.firm_quality
        self.outcome = Outcome()
        state = new_population(cfg, self.rng)
        self.rival_customers = [
            int(np.count_nonzero(state.firm == j)) for j in range(1, 1 + p.n_rivals)
        ]
        self.focal_customers = int(np.count_nonzero(state.firm == FOCAL))
        self._take_stock()
        names = [
            "firm",
            "tenure_weeks",
            "satisfaction",
            "expectation",
            "base_spend",
            "visit_probability",
            "cost_to_serve",
            "price_sensitivity",
            "quality_sensitivity",
            "switching_cost",
            "threshold",
            "satisfaction_bias",
            "churn_propensity",
            "acquisitions",
            "first_acquired_week",
            "value_score",
        ]
        columns: dict[str, Any] = {name: getattr(state, name).tolist() for name in names}
        columns["row"] = list(range(state.n))
        m = cfg.market
        network = small_world_contacts(state.n, m.network_degree, m.network_rewiring, self.rng)
        self.contacts: list[list[int]] = network.tolist()
        self.people: list[PeerCustomer] = list(PeerCustomer.create_agents(self, state.n, **columns))

    def _take_stock(self) -> None:
        """Rivals' room, the market's price and quality, read by everyone next week."""
        p, rivals = self.params, sum(self.rival_customers)
        self.rooms = [p.room(k) for k in self.rival_customers]
        self.total_room = sum(self.rooms)
        self.market_price = p.market_price(rivals)
        self.expectation_anchor = p.expectation_anchor(
            self.focal_customers, self.reputation, rivals
        )

    def recover(self, needed: float, draw: float) -> tuple[bool, float]:
        """One failure's recovery under the recovery policy."""
        fixed, cost = recovery.recover(self.params.recovery, np.array([needed]), np.array([draw]))
        return bool(fixed[0]), float(cost[0])

    def record_visit(
        self, agent: PeerCustomer, experienced: float, revenue: float, cost: float, need: float
    ) -> None:
        """Book one encounter; its labour share is settled at the end of the week."""
        self._visits.append((agent, need))
        self._experienced_sum += experienced
        self.outcome.visits += 1
        self.outcome.revenue += revenue
        self.outcome.cost += cost

    def step(self) -> None:
        """Every person's week in random order, then the week's books and reputation."""
        p, out = self.params, self.outcome
        self._visits: list[tuple[PeerCustomer, float]] = []
        self._experienced_sum = 0.0
        self.joined: list[PeerCustomer] = []
        self.agents_by_type[PeerCustomer].shuffle_do("step")
        need_total = sum(need for _, need in self._visits)
        if need_total > 0:
            rate = p.labour_per_week / need_total
            for agent, need in self._visits:
                labour = rate * need
                agent._book(labour, -labour)
                out.cost += labour
        if self.joined:
            charge = p.onboarding_cost + p.marketing_per_week / len(self.joined)
            for agent in self.joined:
                agent._book(charge, -charge)
        out.joins += len(self.joined)
        if self._visits:
            mean = self._experienced_sum / len(self._visits)
            self.reputation += p.reputation_weight * (mean - self.reputation)
        self._take_stock()
        self.week += 1

    def run(self, weeks: int) -> Outcome:
        """Advance ``weeks`` weeks and return the accumulated outcome.

        >>> from sim.perf.update import bench_config
        >>> PeerModel(bench_config(300), rng=1).run(2).customer_weeks > 0
        True
        """
        for _ in range(weeks):
            self.step()
        return self.outcome
