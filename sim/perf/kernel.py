"""The weekly customer update as a bare NumPy kernel: whole columns, no model around it.

This is the practical speed limit for ``sim bench``: the arithmetic of the model's
customer part (``sim.perf.update``) over the model's own state columns, with no agents,
no employees, no weekly table and no firm books. It uses the same speed-ups the model
does where they are plain NumPy (tenure curves looked up by week, the switching barrier
computed once, gathers by row index rather than boolean masks), so the ratio of the
two measures what the model adds around the arithmetic.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from sim import chain
from sim.config import SimConfig
from sim.lookup import TenureCurves, WholeWeekTable
from sim.perf.update import (
    MAX_UTILITY_GAP,
    RECOVERED_SCAR,
    VALUE_SCORE_WEIGHT,
    Outcome,
    UpdateParams,
)
from sim.policies import pricing, recovery
from sim.state import FOCAL, PROSPECT, CustomerState, new_population, small_world_contacts
from sim.units import WEEKS_PER_YEAR as WEEKS

type F64 = NDArray[np.float64]
type I64 = NDArray[np.int64]


class CustomerKernel:
    """The market's state as arrays, advanced a week at a time by ``step``.

    Args:
        state: starting state (its arrays are updated in place).
        params: constants of the update.
        rng: the generator every draw comes from.
    """

    def __init__(
        self,
        state: CustomerState,
        params: UpdateParams,
        rng: np.random.Generator,
        contacts: NDArray[np.int32],
    ) -> None:
        self.state = state
        self.contacts = contacts
        self.params = params
        self.rng = rng
        self.week = 0
        self.reputation = params.firm_quality
        self.curves = TenureCurves()
        self.barrier = np.exp(-state.switching_cost)
        base = 1.0 + params.discount_rate
        self.discount = WholeWeekTable(lambda weeks: np.power(base, -weeks / WEEKS))
        self.rival_customers = np.array(
            [np.count_nonzero(state.firm == j) for j in range(1, params.n_rivals + 1)]
        )
        self.outcome = Outcome()

    @classmethod
    def from_config(cls, cfg: SimConfig, seed: int = 0) -> CustomerKernel:
        """Kernel over the model's starting population for ``cfg``.

        >>> from sim.perf.update import bench_config
        >>> k = CustomerKernel.from_config(bench_config(500))
        >>> k.run(3).customer_weeks > 0
        True
        """
        rng = np.random.default_rng(seed)
        state = new_population(cfg, rng)
        m = cfg.market
        contacts = small_world_contacts(state.n, m.network_degree, m.network_rewiring, rng)
        return cls(state, UpdateParams.from_config(cfg), rng, contacts)

    def _discount(self, rows: I64) -> F64:
        """Discount factor from each person's first acquisition to this week."""
        return self.discount(self.week - np.maximum(self.state.first_acquired_week[rows], 0))

    def step(self) -> None:
        """Advance every person by one week (the update of ``sim.perf.update``)."""
        p, s, rng, out = self.params, self.state, self.rng, self.outcome
        n = s.n
        # 0. Everyone's luck for the week.
        u_visit, u_fail, u_recover, u_churn, u_shop, u_aware = rng.random((6, n))
        noise = rng.standard_normal(n)
        rooms = np.array([p.room(int(k)) for k in self.rival_customers])
        rival_customers = int(self.rival_customers.sum())
        market_price = p.market_price(rival_customers)
        focal = np.flatnonzero(s.firm == FOCAL)

        # 1. Visit: less often when dissatisfied or paying more than the market.
        price_focal = pricing.price_paid(p.pricing, s.tenure_weeks[focal], np.ones(focal.size))
        chance = chain.visit_chance(
            s.visit_probability[focal],
            s.satisfaction[focal],
            p.share_of_wallet_slope,
            price_focal / market_price,
            p.visit_price_elasticity,
        )
        visiting = u_visit[focal] < chance
        v = focal[visiting]
        tenure_v = s.tenure_weeks[v]

        # 2. Encounter, failure and recovery.
        quality = np.clip(p.firm_quality + p.quality_noise * noise[v], 0.0, 1.0)
        failed = u_fail[v] < chain.p_failure(
            quality, s.cost_to_serve[v], p.failure_min, p.failure_max
        )
        experienced = np.where(failed, quality * (1.0 - p.failure_severity), quality)
        price_v = price_focal[visiting]
        spend_mult = self.curves(
            chain.spend_multiplier, tenure_v, p.spend_growth_max, p.spend_growth_weeks
        )
        if p.referred_spend_premium > 0:
            ref = np.flatnonzero(s.referred[v])
            spend_mult[ref] *= self.curves(
                chain.referred_spend_multiplier,
                tenure_v[ref],
                p.referred_spend_premium,
                p.referred_premium_weeks,
            )
        revenue = s.base_spend[v] * spend_mult * price_v
        f = np.flatnonzero(failed)
        fixed, recovery_cost = recovery.recover(
            p.recovery, p.recovery_cost_per_spend * revenue[f], u_recover[v[f]]
        )
        mended = f[fixed]
        experienced[mended] = np.minimum(
            1.0, np.maximum(quality[mended], s.expectation[v[mended]]) + p.recovered_quality_bonus
        )
        s.failure_scar[focal] *= p.scar_decay
        s.failure_scar[v[f]] += np.where(fixed, RECOVERED_SCAR, 1.0)

        # 3. Satisfaction, expectation and reputation.
        s.satisfaction[focal] = chain.relax(
            s.satisfaction[focal],
            s.expectation[focal],
            s.satisfaction_bias[focal],
            p.satisfaction_relaxation,
        )
        expect = s.expectation[v]
        felt = experienced - chain.value_gap(
            price_v,
            market_price,
            s.price_sensitivity[v],
            s.quality_sensitivity[v],
            p.value_weight,
        )
        d = chain.disconfirmation(felt, expect, p.loss_weight, p.adequate_gap, p.desired_gap)
        target = chain.satisfaction_target(s.satisfaction[v], d, p.disconfirmation_weight)
        s.satisfaction[v] = chain.smooth(s.satisfaction[v], target, p.satisfaction_smoothing)
        anchor = p.expectation_anchor(focal.size, self.reputation, rival_customers)
        s.expectation[v] = chain.smooth(
            expect,
            chain.expectation_target(experienced, anchor, p.expectation_anchor_weight),
            p.expectation_adaptation,
        )
        if v.size:
            self.reputation += p.reputation_weight * (float(experienced.mean()) - self.reputation)

        # 4. Books.
        need = (
            p.standard_hours_per_visit
            * s.cost_to_serve[v]
            * self.curves(
                chain.cost_to_serve_multiplier, tenure_v, p.new_cost_to_serve, p.cost_to_serve_weeks
            )
        )
        need_total = float(need.sum())
        cost = p.material_share * revenue
        if need_total > 0:
            cost += p.labour_per_week * need / need_total
        np.add.at(cost, f, recovery_cost)
        s.lifetime_revenue[v] += revenue
        s.lifetime_cost[v] += cost
        s.lifetime_value[v] += (revenue - cost) * self._discount(v)
        s.value_score[focal] *= 1.0 - VALUE_SCORE_WEIGHT
        s.value_score[v] += VALUE_SCORE_WEIGHT * revenue / price_v

        # W1. Referrals, then the customers who face defection this week.
        s.negative_stories *= p.story_decay
        referral_wins, prompted = self._referrals(focal)
        focal = np.flatnonzero(s.firm == FOCAL)

        # 5. Defection.
        sat = s.satisfaction[focal]
        tenure_f = s.tenure_weeks[focal]
        price_f = pricing.price_paid(p.pricing, tenure_f, np.ones(focal.size))
        qs, ps = s.quality_sensitivity[focal], s.price_sensitivity[focal]
        gap = np.minimum(
            qs * (p.rival_quality - self.reputation) - ps * (p.rival_price - price_f),
            MAX_UTILITY_GAP,
        )
        attraction = float(rooms.sum()) * np.exp(gap)
        hazard = (
            chain.competitive_pull(attraction, p.competition_intensity)
            * chain.defection_per_year(
                sat,
                s.threshold[focal],
                steepness=p.retention_steepness,
                lo=p.defection_min_per_year,
                hi=p.defection_max_per_year,
            )
            * self.curves(
                chain.tenure_hazard_factor,
                tenure_f,
                p.new_customer_hazard_boost,
                p.hazard_tenure_weeks,
            )
            * np.where(s.referred[focal], p.referred_hazard_multiplier, 1.0)
            * (1.0 + p.failure_scar_hazard * s.failure_scar[focal])
            * self.barrier[focal]
            * s.churn_propensity[focal]
        )
        u = u_churn[focal]
        lapse = p.lapse_rate * s.churn_propensity[focal]
        leaving = u < chain.weekly_rate(hazard + lapse)
        defectors = focal[leaving]
        to_rival = u[leaving] < chain.weekly_rate(hazard[leaving])
        movers = defectors[to_rival]
        s.firm[defectors] = PROSPECT
        if movers.size and rooms.sum() > 0:
            s.firm[movers] = self._choose_rival(movers, rooms)
        else:
            to_rival[:] = False
        s.tenure_weeks[defectors] = 0.0

        # W2. Stories: unfixed failures and angry leavers tell their contacts.
        tellers = np.concatenate(
            [v[f[~fixed]], defectors[s.satisfaction[defectors] < p.detractor_satisfaction]]
        )
        told = self._tell_stories(tellers)

        # 6. The market.
        wins = self._market(u_shop, u_aware, rooms)

        # Everyone ages a week; rivals count their customers.
        s.tenure_weeks += 1.0
        self.rival_customers = np.array(
            [np.count_nonzero(s.firm == j) for j in range(1, p.n_rivals + 1)]
        )
        self.week += 1
        out.customer_weeks += focal.size
        out.visits += v.size
        out.failures += f.size
        out.defections += defectors.size
        out.defections_to_rivals += int(to_rival.sum())
        out.joins += wins + referral_wins
        out.referral_joins += referral_wins
        out.reward_referral_joins += prompted
        out.stories += told
        out.satisfaction_sum += float(sat.sum())
        out.revenue += float(revenue.sum())
        out.cost += float(cost.sum())

    def _choose_rival(self, rows: I64, rooms: F64) -> NDArray[np.int8]:
        """Logit choice of a rival (Gumbel maximum) for customers leaving to one."""
        p, s = self.params, self.state
        utility = np.where(
            rooms > 0,
            (
                p.rival_quality * s.quality_sensitivity[rows]
                - p.rival_price * s.price_sensitivity[rows]
            )[:, None]
            + np.log(np.maximum(rooms, 1e-300))[None, :],
            -np.inf,
        )
        gumbel = -np.log(-np.log(self.rng.random(utility.shape) + 1e-300) + 1e-300)
        return (np.argmax(utility + gumbel, axis=1) + 1).astype(np.int8)

    def _market(self, u_shop: F64, u_aware: F64, rooms: F64) -> int:
        """Rivals' customers lapse, shoppers choose; return how many the firm won."""
        p, s = self.params, self.state
        rival_rows = s.firm > 0
        lapsing = np.flatnonzero(rival_rows & (u_shop >= 1.0 - p.p_lapse))
        shoppers = np.flatnonzero(
            ((s.firm == PROSPECT) & (u_shop < p.p_prospect_shops))
            | (rival_rows & (u_shop < p.p_rival_customer_shops))
        )
        s.firm[lapsing] = PROSPECT
        s.tenure_weeks[lapsing] = 0.0
        if shoppers.size == 0:
            return 0
        qw, pw = s.quality_sensitivity[shoppers], s.price_sensitivity[shoppers]
        memory = np.where(
            s.acquisitions[shoppers] > 0,
            qw * np.minimum(0.0, s.satisfaction[shoppers] - self.reputation),
            0.0,
        )
        new_price = p.pricing.price_index * (1.0 - p.pricing.new_customer_discount)
        utility = np.empty((shoppers.size, p.n_rivals + 1))
        utility[:, 0] = np.where(
            u_aware[shoppers] < p.awareness,
            qw * self.reputation
            - pw * new_price
            - p.story_attraction * s.negative_stories[shoppers]
            + memory,
            -np.inf,
        )
        current = s.firm[shoppers]
        offer = qw * p.rival_quality - pw * p.rival_price
        for j in range(1, p.n_rivals + 1):
            access = np.where(
                current == j, s.switching_cost[shoppers], np.log(max(rooms[j - 1], 1e-300))
            )
            utility[:, j] = offer + access
        gumbel = -np.log(-np.log(self.rng.random(utility.shape) + 1e-300) + 1e-300)
        scores = utility + gumbel
        best = np.argmax(scores, axis=1)
        chose = np.isfinite(scores.max(axis=1))
        moved = shoppers[(best > 0) & chose]
        new_firm = best[(best > 0) & chose].astype(np.int8)
        s.tenure_weeks[moved[s.firm[moved] != new_firm]] = 0.0
        s.firm[moved] = new_firm
        wins = shoppers[(best == 0) & chose]
        self._join(wins, referred=False)
        if wins.size:
            self._charge(wins, p.marketing_per_week / wins.size)
        return int(wins.size)

    def _referrals(self, focal: I64) -> tuple[int, int]:
        """Intenders refer one contact each at their weekly rate; return the wins.

        Of the converts, one in ``referral_lift`` (a draw each) is a match the referrer
        chose and joins as referred; the rest were prompted by the reward. Returns the
        wins and, of them, those the reward prompted.
        """
        p, s, degree = self.params, self.state, self.contacts.shape[1]
        intenders = focal[s.satisfaction[focal] >= p.referral_intent]
        if degree == 0 or intenders.size == 0:
            return 0, 0
        acting = intenders[self.rng.random(intenders.size) < p.p_refer]
        targets = self.contacts[acting, self.rng.integers(0, degree, acting.size)].astype(np.intp)
        eligible = s.firm[targets] != FOCAL
        targets, referrers = targets[eligible], acting[eligible]
        barrier = np.where(s.firm[targets] > 0, self.barrier[targets], 1.0)
        converts = self.rng.random(targets.size) < p.referral_conversion * barrier
        matched = self.rng.random(converts.size)[converts] < 1.0 / p.referral_lift
        targets, first = np.unique(targets[converts], return_index=True)
        matched = matched[first]
        self._join(targets[matched], referred=True)
        self._join(targets[~matched], referred=False)
        s.referred_by_reward[targets[~matched]] = True
        self._charge(referrers[converts][first], p.referral_reward)
        return int(targets.size), int(targets.size - np.count_nonzero(matched))

    def _tell_stories(self, tellers: I64) -> int:
        """Each teller tells ``story_reach`` random contacts; return the stories told."""
        p, s, degree = self.params, self.state, self.contacts.shape[1]
        if tellers.size == 0 or p.story_reach == 0 or degree == 0:
            return 0
        heard = self.contacts[
            np.repeat(tellers, p.story_reach),
            self.rng.integers(0, degree, tellers.size * p.story_reach),
        ]
        listeners, counts = np.unique(heard, return_counts=True)
        s.negative_stories[listeners] += counts
        customers = s.firm[listeners] == FOCAL
        hurt = listeners[customers]
        s.satisfaction[hurt] = chain.clip(
            s.satisfaction[hurt] - p.story_effect * counts[customers], 0.0, 1.0
        )
        return int(heard.size)

    def _charge(self, rows: I64, amount: float) -> None:
        """Book a one-off cost to customers' ledgers (cost and discounted value)."""
        if rows.size and amount:
            self.state.lifetime_cost[rows] += amount
            self.state.lifetime_value[rows] -= amount * self._discount(rows)

    def _join(self, rows: I64, referred: bool) -> None:
        """The firm's new customers start afresh and are charged their onboarding."""
        p, s = self.params, self.state
        s.firm[rows] = FOCAL
        s.tenure_weeks[rows] = 0.0
        s.expectation[rows] = self.reputation
        s.satisfaction[rows] = np.clip(self.reputation + s.satisfaction_bias[rows], 0.0, 1.0)
        s.failure_scar[rows] = 0.0
        s.acquisitions[rows] += 1
        first = s.first_acquired_week[rows] < 0
        s.first_acquired_week[rows[first]] = self.week
        s.value_score[rows] = s.base_spend[rows] * s.visit_probability[rows]
        s.referred[rows] = referred
        s.referred_by_reward[rows] = False
        self._charge(rows, p.onboarding_cost)

    def run(self, weeks: int) -> Outcome:
        """Advance ``weeks`` weeks and return the accumulated outcome."""
        for _ in range(weeks):
            self.step()
        return self.outcome
