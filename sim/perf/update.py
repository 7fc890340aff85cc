"""The weekly customer update that ``sim bench`` times three ways, defined once.

Every person in a market of ``n`` is either a customer of the firm or outside it. Each
week, in this order, each person does:

A customer of the firm
    1. **Visit**: visits with probability ``visit_probability * sow`` where
       ``sow = 1 - share_of_wallet_slope * (1 - satisfaction)``.
    2. **Quality experienced** (visitors): ``q = clip(firm_quality + noise * N(0, 1), 0, 1)``;
       the encounter fails with ``chain.p_failure(q, cost_to_serve)`` and a failure cuts
       the experience to ``q * (1 - failure_severity)`` and adds 1 to the failure scar.
    3. **Disconfirmation and satisfaction smoothing** (visitors): losses weigh
       ``loss_weight`` times gains (``chain.disconfirmation``); satisfaction moves toward
       ``chain.satisfaction_target`` of the felt quality (experience plus the person's
       bias), expectation toward the experience (``chain.smooth``).
    4. **Spend accounting** (visitors): ``base_spend * chain.spend_multiplier(tenure) *
       price`` is added to the person's lifetime revenue and the firm's revenue.
    5. **Defection hazard and draw**: the annual hazard is
       ``pull * chain.defection_per_year(satisfaction, threshold) *
       chain.tenure_hazard_factor(tenure) * exp(-switching_cost) *
       (1 + failure_scar_hazard * scar) + lapse``; the person leaves with
       ``chain.weekly_rate(hazard)``; the scar decays by ``exp(-1 / scar_memory_weeks)``.

A person outside the firm
    6. **Re-acquisition**: becomes a customer with probability ``p_join`` (shopping rate x
       awareness x an even split among the firm and its rivals), starting at tenure 0 with
       expectation at the firm's reputation and satisfaction at reputation plus bias.

Then, for everyone, tenure grows by a week, and the firm's reputation moves toward the
week's mean experienced quality (``1 / reputation_weeks``), read by next week's joiners.

Every constant comes from ``SimConfig`` (``UpdateParams.from_config``) and every formula
from ``sim.chain``, as in ``ServiceProfitChainModel.step`` (steps 3, 5-8, 11, 12 and 14),
so the update is the customer part of the model's week. What it leaves out is the firm
around the customers: employees and their capacity (quality is the firm's baseline
quality here), tiers, recovery, word of mouth, rivals' choice model and the books.
Rivals enter only through a constant ``pull``, the model's competitive pull of
``n_competitors`` rivals with the focal firm's own offer and room to spare.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from sim import chain
from sim.config import SimConfig
from sim.policies import acquisition
from sim.state import FOCAL, baseline_quality, new_population

type F64 = NDArray[np.float64]
type B = NDArray[np.bool_]


@dataclass(frozen=True)
class UpdateParams:
    """Every constant of the weekly customer update (see the module docstring)."""

    share_of_wallet_slope: float
    firm_quality: float
    quality_noise: float
    failure_min: float
    failure_max: float
    failure_severity: float
    loss_weight: float
    disconfirmation_weight: float
    satisfaction_smoothing: float
    expectation_adaptation: float
    spend_growth_max: float
    spend_growth_weeks: float
    price: float
    retention_steepness: float
    defection_min_per_year: float
    defection_max_per_year: float
    new_customer_hazard_boost: float
    hazard_tenure_weeks: float
    failure_scar_hazard: float
    scar_decay: float
    pull: float
    lapse_rate: float
    p_join: float
    reputation_weight: float

    @classmethod
    def from_config(cls, cfg: SimConfig) -> UpdateParams:
        """The update's constants from a model configuration.

        >>> p = UpdateParams.from_config(SimConfig())
        >>> 0 < p.pull < 1 and 0 < p.p_join < 1
        True
        """
        b, o, m = cfg.behaviour, cfg.operations, cfg.market
        k = cfg.competitors.n_competitors
        shopping = float(chain.weekly_rate(m.prospect_shopping_per_year))
        return cls(
            share_of_wallet_slope=b.share_of_wallet_slope,
            firm_quality=baseline_quality(cfg),
            quality_noise=o.quality_noise,
            failure_min=o.failure_min,
            failure_max=o.failure_max,
            failure_severity=o.failure_severity,
            loss_weight=b.loss_weight,
            disconfirmation_weight=b.disconfirmation_weight,
            satisfaction_smoothing=b.satisfaction_smoothing,
            expectation_adaptation=b.expectation_adaptation,
            spend_growth_max=b.spend_growth_max,
            spend_growth_weeks=b.spend_growth_weeks,
            price=cfg.pricing.price_index,
            retention_steepness=b.retention_steepness,
            defection_min_per_year=b.defection_min_per_year,
            defection_max_per_year=b.defection_max_per_year,
            new_customer_hazard_boost=b.new_customer_hazard_boost,
            hazard_tenure_weeks=b.hazard_tenure_weeks,
            failure_scar_hazard=b.failure_scar_hazard,
            scar_decay=math.exp(-1.0 / b.scar_memory_weeks),
            pull=float(chain.competitive_pull(float(k), m.competition_intensity)),
            lapse_rate=-math.log(1.0 - m.lapse_per_year),
            p_join=shopping * acquisition.awareness(cfg.acquisition) / (k + 1),
            reputation_weight=1.0 / o.reputation_weeks,
        )


@dataclass
class Population:
    """Starting state of the people in the market, one array per attribute."""

    customer: B
    tenure_weeks: F64
    satisfaction: F64
    expectation: F64
    failure_scar: F64
    base_spend: F64
    visit_probability: F64
    cost_to_serve: F64
    switching_cost: F64
    threshold: F64
    satisfaction_bias: F64

    @property
    def n(self) -> int:
        """Number of people."""
        return int(self.customer.size)


def starting_population(cfg: SimConfig, rng: np.random.Generator) -> Population:
    """Draw the same heterogeneous population the model starts from (``new_population``)."""
    c = new_population(cfg, rng)
    return Population(
        customer=c.firm == FOCAL,
        tenure_weeks=c.tenure_weeks.copy(),
        satisfaction=c.satisfaction.copy(),
        expectation=c.expectation.copy(),
        failure_scar=np.zeros(c.n),
        base_spend=c.base_spend.copy(),
        visit_probability=c.visit_probability.copy(),
        cost_to_serve=c.cost_to_serve.copy(),
        switching_cost=c.switching_cost.copy(),
        threshold=c.threshold.copy(),
        satisfaction_bias=c.satisfaction_bias.copy(),
    )


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
    defections: int = 0
    joins: int = 0
    satisfaction_sum: float = 0.0
    revenue: float = 0.0

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
        """Mean satisfaction of customers after their visit, per customer-week."""
        return self.satisfaction_sum / max(self.customer_weeks, 1)
