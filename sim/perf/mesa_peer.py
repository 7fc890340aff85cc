"""The weekly customer update written the idiomatic Mesa way: one agent per person.

Each ``PeerCustomer`` holds its own state as attributes and runs ``sim.perf.update``'s
update for itself in ``step()``, with its own draws from the model's seeded stdlib
generator (``self.random``); the model activates all agents with ``shuffle_do`` once a
week. This is the peer most Mesa users would write, so ``sim bench`` reports the model's
speed against it. It uses stdlib draws and scalar ``math`` because those are the fastest
idiomatic choices (NumPy scalar draws cost ~1.6x more per draw, ``shared/docs/stack.md``
section 3), which makes the reported speed-up a conservative one.
"""

from __future__ import annotations

import math
from typing import Any

import mesa

from sim.config import SimConfig
from sim.perf.update import Outcome, UpdateParams, starting_population


class PeerCustomer(mesa.Agent):  # type: ignore[misc]
    """One person: a customer of the firm or outside it, with their own state."""

    def __init__(
        self,
        model: PeerModel,
        customer: bool,
        tenure_weeks: float,
        satisfaction: float,
        expectation: float,
        base_spend: float,
        visit_probability: float,
        cost_to_serve: float,
        switching_cost: float,
        threshold: float,
        satisfaction_bias: float,
    ) -> None:
        super().__init__(model)
        self.customer = customer
        self.tenure_weeks = tenure_weeks
        self.satisfaction = satisfaction
        self.expectation = expectation
        self.failure_scar = 0.0
        self.base_spend = base_spend
        self.visit_probability = visit_probability
        self.cost_to_serve = cost_to_serve
        self.switching_cost = switching_cost
        self.threshold = threshold
        self.satisfaction_bias = satisfaction_bias
        self.lifetime_revenue = 0.0

    def step(self) -> None:
        """This person's week (the numbered steps of ``sim.perf.update``)."""
        model: PeerModel = self.model
        p = model.params
        if not self.customer:
            # 6. Re-acquisition, at last week's reputation.
            if self.random.random() < p.p_join:
                self.customer = True
                self.tenure_weeks = 0.0
                self.failure_scar = 0.0
                self.expectation = model.reputation
                self.satisfaction = min(1.0, max(0.0, model.reputation + self.satisfaction_bias))
                model.outcome.joins += 1
            self.tenure_weeks += 1.0
            return

        # 1. Visit.
        sow = 1.0 - p.share_of_wallet_slope * (1.0 - self.satisfaction)
        self.failure_scar *= p.scar_decay
        if self.random.random() < self.visit_probability * sow:
            # 2. Quality experienced, failure and the failure scar.
            noise = self.random.gauss(0.0, 1.0)
            quality = min(1.0, max(0.0, p.firm_quality + p.quality_noise * noise))
            shortfall = 1.0 - quality
            p_fail = (p.failure_min + (p.failure_max - p.failure_min) * shortfall**2) * math.sqrt(
                self.cost_to_serve
            )
            experienced = quality
            if self.random.random() < min(1.0, max(0.0, p_fail)):
                experienced = quality * (1.0 - p.failure_severity)
                self.failure_scar += 1.0
            # 3. Disconfirmation, satisfaction and expectation.
            d = experienced - self.expectation
            if d < 0:
                d *= p.loss_weight
            felt = min(1.0, max(0.0, experienced + self.satisfaction_bias))
            shift = 0.5 * math.tanh(2.0 * p.disconfirmation_weight * d)
            target = min(1.0, max(0.0, felt + shift))
            self.satisfaction += p.satisfaction_smoothing * (target - self.satisfaction)
            self.expectation += p.expectation_adaptation * (experienced - self.expectation)
            # 4. Spend accounting.
            growth = p.spend_growth_max - (p.spend_growth_max - 1.0) * math.exp(
                -self.tenure_weeks / p.spend_growth_weeks
            )
            revenue = self.base_spend * growth * p.price
            self.lifetime_revenue += revenue
            model.record_visit(experienced, revenue)

        # 5. Defection hazard and draw.
        z = p.retention_steepness * (self.threshold - self.satisfaction)
        satisfaction_hazard = p.defection_min_per_year + (
            p.defection_max_per_year - p.defection_min_per_year
        ) / (1.0 + math.exp(-z))
        hazard = (
            p.pull
            * satisfaction_hazard
            * (
                1.0
                + p.new_customer_hazard_boost * math.exp(-self.tenure_weeks / p.hazard_tenure_weeks)
            )
            * math.exp(-self.switching_cost)
            * (1.0 + p.failure_scar_hazard * self.failure_scar)
        )
        model.outcome.customer_weeks += 1
        model.outcome.satisfaction_sum += self.satisfaction
        if self.random.random() < 1.0 - math.exp(-(hazard + p.lapse_rate) / 52.0):
            self.customer = False
            self.tenure_weeks = 0.0
            model.outcome.defections += 1
        self.tenure_weeks += 1.0


class PeerModel(mesa.Model):  # type: ignore[misc]
    """A market of ``PeerCustomer`` agents and a firm reputation; one step is one week.

    Args:
        config: parameters and size (``market.n_customers``) of the market.
        rng: seed of the model's generators (population and per-agent draws).
    """

    def __init__(self, config: SimConfig | None = None, rng: int = 0) -> None:
        super().__init__(rng=rng)
        cfg = config if config is not None else SimConfig()
        self.params = UpdateParams.from_config(cfg)
        self.reputation = self.params.firm_quality
        self.outcome = Outcome()
        self._experienced_sum = 0.0
        self._visits = 0
        pop = starting_population(cfg, self.rng)
        columns: dict[str, Any] = {
            "customer": pop.customer.tolist(),
            "tenure_weeks": pop.tenure_weeks.tolist(),
            "satisfaction": pop.satisfaction.tolist(),
            "expectation": pop.expectation.tolist(),
            "base_spend": pop.base_spend.tolist(),
            "visit_probability": pop.visit_probability.tolist(),
            "cost_to_serve": pop.cost_to_serve.tolist(),
            "switching_cost": pop.switching_cost.tolist(),
            "threshold": pop.threshold.tolist(),
            "satisfaction_bias": pop.satisfaction_bias.tolist(),
        }
        PeerCustomer.create_agents(self, pop.n, **columns)

    def record_visit(self, experienced: float, revenue: float) -> None:
        """Book one encounter: its quality feeds reputation, its spend the firm's revenue."""
        self._experienced_sum += experienced
        self._visits += 1
        self.outcome.visits += 1
        self.outcome.revenue += revenue

    def step(self) -> None:
        """Every person's week in random order, then the firm's reputation moves."""
        self._experienced_sum, self._visits = 0.0, 0
        self.agents_by_type[PeerCustomer].shuffle_do("step")
        if self._visits:
            mean = self._experienced_sum / self._visits
            self.reputation += self.params.reputation_weight * (mean - self.reputation)

    def run(self, weeks: int) -> Outcome:
        """Advance ``weeks`` weeks and return the accumulated outcome.

        >>> from sim.perf.update import bench_config
        >>> PeerModel(bench_config(300), rng=1).run(2).customer_weeks > 0
        True
        """
        for _ in range(weeks):
            self.step()
        return self.outcome
