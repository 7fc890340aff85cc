"""The weekly customer update as a bare NumPy kernel: whole columns, no model around it.

This is the practical speed limit for ``sim bench``: the same arithmetic as the model's
customer part (``sim.perf.update``), with no agents, no employees, no metrics and no
books. Draws are made only where needed, all from one generator.
"""

from __future__ import annotations

import numpy as np

from sim import chain
from sim.config import SimConfig
from sim.perf.update import Outcome, Population, UpdateParams, starting_population


class CustomerKernel:
    """The population's state as arrays, advanced a week at a time by ``step``.

    Args:
        population: starting state (copied arrays are updated in place).
        params: constants of the update.
        rng: the generator every draw comes from.
        reputation: the firm's reputation at the start.
    """

    def __init__(
        self,
        population: Population,
        params: UpdateParams,
        rng: np.random.Generator,
        reputation: float,
    ) -> None:
        self.pop = population
        self.params = params
        self.rng = rng
        self.reputation = reputation
        self.lifetime_revenue = np.zeros(population.n)
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
        params = UpdateParams.from_config(cfg)
        return cls(starting_population(cfg, rng), params, rng, params.firm_quality)

    def step(self) -> None:
        """Advance every person by one week (the update of ``sim.perf.update``)."""
        p, s, rng, out = self.params, self.pop, self.rng, self.outcome
        members = np.flatnonzero(s.customer)
        outside = np.flatnonzero(~s.customer)
        # One uniform per person serves both branches: visit for members, join for others.
        u = rng.random(s.n)

        # 1. Visit.
        sow = 1.0 - p.share_of_wallet_slope * (1.0 - s.satisfaction[members])
        v = members[u[members] < s.visit_probability[members] * sow]

        # 2. Quality experienced, failures and the failure scar.
        quality = np.clip(p.firm_quality + p.quality_noise * rng.standard_normal(v.size), 0, 1)
        failed = rng.random(v.size) < chain.p_failure(
            quality, s.cost_to_serve[v], p.failure_min, p.failure_max
        )
        experienced = np.where(failed, quality * (1.0 - p.failure_severity), quality)
        s.failure_scar[members] *= p.scar_decay
        s.failure_scar[v[failed]] += 1.0

        # 3. Disconfirmation, satisfaction and expectation.
        expect = s.expectation[v]
        d = chain.disconfirmation(experienced, expect, p.loss_weight)
        felt = np.clip(experienced + s.satisfaction_bias[v], 0.0, 1.0)
        target = chain.satisfaction_target(felt, d, p.disconfirmation_weight)
        s.satisfaction[v] = chain.smooth(s.satisfaction[v], target, p.satisfaction_smoothing)
        s.expectation[v] = chain.smooth(expect, experienced, p.expectation_adaptation)

        # 4. Spend accounting.
        revenue = (
            s.base_spend[v]
            * chain.spend_multiplier(s.tenure_weeks[v], p.spend_growth_max, p.spend_growth_weeks)
            * p.price
        )
        self.lifetime_revenue[v] += revenue

        # 5. Defection hazard and draw.
        sat = s.satisfaction[members]
        hazard = (
            p.pull
            * chain.defection_per_year(
                sat,
                s.threshold[members],
                steepness=p.retention_steepness,
                lo=p.defection_min_per_year,
                hi=p.defection_max_per_year,
            )
            * chain.tenure_hazard_factor(
                s.tenure_weeks[members], p.new_customer_hazard_boost, p.hazard_tenure_weeks
            )
            * np.exp(-s.switching_cost[members])
            * (1.0 + p.failure_scar_hazard * s.failure_scar[members])
        )
        leaving = members[rng.random(members.size) < chain.weekly_rate(hazard + p.lapse_rate)]
        s.customer[leaving] = False
        s.tenure_weeks[leaving] = 0.0

        # 6. Re-acquisition, at last week's reputation.
        joiners = outside[u[outside] < p.p_join]
        s.customer[joiners] = True
        s.tenure_weeks[joiners] = 0.0
        s.failure_scar[joiners] = 0.0
        s.expectation[joiners] = self.reputation
        s.satisfaction[joiners] = np.clip(self.reputation + s.satisfaction_bias[joiners], 0, 1)

        # Everyone ages a week; the firm's reputation follows this week's experiences.
        s.tenure_weeks += 1.0
        if v.size:
            self.reputation += p.reputation_weight * (float(experienced.mean()) - self.reputation)
        out.customer_weeks += members.size
        out.visits += v.size
        out.defections += leaving.size
        out.joins += joiners.size
        out.satisfaction_sum += float(sat.sum())
        out.revenue += float(revenue.sum())

    def run(self, weeks: int) -> Outcome:
        """Advance ``weeks`` weeks and return the accumulated outcome."""
        for _ in range(weeks):
            self.step()
        return self.outcome
