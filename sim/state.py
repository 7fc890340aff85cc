"""The model's hot state: one NumPy array per attribute, one row per person.

Mesa agent objects are the roster and the window onto one row (see ``sim.agents``);
the weekly update works on whole columns at once, which is where the speed comes from.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
from numpy.typing import NDArray

from sim import chain
from sim.config import SimConfig

type F64 = NDArray[np.float64]
type I64 = NDArray[np.int64]
type I32 = NDArray[np.int32]
type I8 = NDArray[np.int8]
type B = NDArray[np.bool_]

PROSPECT = -1
FOCAL = 0
NO_TIER = -1

# Exit reasons of employees.
ACTIVE = 0
QUIT = 1
LAID_OFF = 2
EXIT_REASONS = {ACTIVE: "active", QUIT: "quit", LAID_OFF: "laid_off"}

# Arms of an in-run controlled test.
NOT_IN_TRIAL = 0
CONTROL = 1
TREATED = 2
ARMS = {NOT_IN_TRIAL: "", CONTROL: "control", TREATED: "treated"}


@dataclass
class CustomerState:
    """Every person in the market: the focal firm's customers, rivals' and prospects.

    ``firm`` is -1 for a prospect, 0 for the focal firm and c >= 1 for rival c.
    Satisfaction and expectation refer to the focal firm's service.
    """

    firm: I8
    tenure_weeks: F64
    satisfaction: F64
    expectation: F64
    tier: I8
    base_spend: F64
    visit_probability: F64
    cost_to_serve: F64
    price_sensitivity: F64
    quality_sensitivity: F64
    switching_cost: F64
    threshold: F64
    satisfaction_bias: F64
    referred: B  # referred by a customer who chose them: the referred edge (SF32)
    referred_by_reward: B  # referred, but prompted by a reward: no edge
    failure_scar: F64
    negative_stories: F64
    value_score: F64
    service_multiplier: F64
    lifetime_revenue: F64
    lifetime_cost: F64
    lifetime_staff_cost: F64  # the part of lifetime_cost that is staff time
    lifetime_value: F64
    lifetime_visits: I64
    acquisitions: I32
    first_acquired_week: I32
    last_exit_week: I32
    exit_destination: I8
    initial_customer: B
    arm: I8
    regular_server: I32  # employee row of the usual server, -1 for none
    churn_propensity: F64  # persistent factor on the defection hazard (mean one)

    @property
    def n(self) -> int:
        """Number of people in the market."""
        return int(self.firm.size)

    def column_names(self) -> list[str]:
        """Names of all state columns."""
        return [f.name for f in fields(self)]


def baseline_quality(cfg: SimConfig) -> float:
    """Encounter quality of experienced, rested staff at baseline satisfaction and load."""
    o = cfg.operations
    return float(
        chain.service_quality(
            1.0,
            cfg.workforce.satisfaction_baseline,
            0.0,
            1.0,
            effort_effect=o.quality_effort_effect,
            effort_reference=o.quality_effort_reference,
            fatigue_loss=o.quality_fatigue_loss,
            curvature=o.time_effect_curvature,
            ceiling=chain.process_ceiling(
                o.quality_ceiling, o.standardisation, o.standardisation_ceiling_cost
            ),
        )
    )


def _lognormal_mean_one(rng: np.random.Generator, sigma: float, n: int) -> F64:
    """Lognormal draws with mean 1: a multiplicative heterogeneity factor."""
    return rng.lognormal(-0.5 * sigma**2, sigma, n) if sigma > 0 else np.ones(n)


def new_population(cfg: SimConfig, rng: np.random.Generator) -> CustomerState:
    """Draw a heterogeneous population and its starting split between firms."""
    m, b = cfg.market, cfg.behaviour
    n = m.n_customers
    k = cfg.competitors.n_competitors
    u = rng.random(n)
    firm = np.full(n, PROSPECT, dtype=np.int8)
    firm[u < m.focal_share] = FOCAL
    rivals = (u >= m.focal_share) & (u < m.focal_share + m.competitor_share)
    if k > 0:
        firm[rivals] = rng.integers(1, k + 1, int(rivals.sum())).astype(np.int8)
    # Tenures of existing relationships: exponential with a five-year mean; the burn-in
    # reshapes them toward the model's own tenure distribution.
    tenure = np.where(firm >= 0, np.floor(rng.exponential(260.0, n)), 0.0)
    spend = m.spend_median * rng.lognormal(0.0, m.spend_sigma, n)
    visits = np.minimum(m.visits_per_week * _lognormal_mean_one(rng, m.visit_dispersion, n), 1.0)
    cts = _lognormal_mean_one(rng, m.cost_to_serve_sigma, n)
    threshold = np.clip(
        rng.normal(b.retention_threshold_mean, b.retention_threshold_sd, n), 0.0, 1.0
    )
    # Existing customers start where a steady state would have them: expectations at
    # the quality a rested, experienced, normally loaded staff delivers.
    # Some people are harder to please than others, persistently (SF10).
    # Mean added after the draw, so every mean shares the same draws (paired comparisons).
    sd = b.satisfaction_bias_sd
    spread = rng.normal(0.0, sd, n) if sd > 0 else np.zeros(n)
    bias = b.satisfaction_bias_mean + spread
    q0 = baseline_quality(cfg)
    satisfaction = np.clip(rng.normal(q0, 0.03, n) + bias, 0.0, 1.0)
    expectation = np.clip(rng.normal(q0, 0.02, n), 0.0, 1.0)
    qw = cfg.competitors.quality_weight * _lognormal_mean_one(rng, 0.3, n)
    pw = cfg.competitors.price_weight * _lognormal_mean_one(rng, 0.5, n)
    switching = m.switching_cost_mean * _lognormal_mean_one(rng, 0.5, n)
    focal = firm == FOCAL
    # Drawn last, and not at all when the dispersion is 0: the default world's draws (and
    # so its outputs) are those of a model without the factor.
    propensity = _lognormal_mean_one(rng, m.churn_dispersion, n)
    return CustomerState(
        firm=firm,
        tenure_weeks=tenure,
        satisfaction=satisfaction,
        expectation=expectation,
        tier=np.full(n, NO_TIER, dtype=np.int8),
        base_spend=spend,
        visit_probability=visits,
        cost_to_serve=cts,
        price_sensitivity=pw,
        quality_sensitivity=qw,
        switching_cost=switching,
        threshold=threshold,
        satisfaction_bias=bias,
        referred=np.zeros(n, dtype=bool),
        referred_by_reward=np.zeros(n, dtype=bool),
        failure_scar=np.zeros(n),
        negative_stories=np.zeros(n),
        value_score=np.where(focal, spend * visits, 0.0),
        service_multiplier=np.ones(n),
        lifetime_revenue=np.zeros(n),
        lifetime_cost=np.zeros(n),
        lifetime_staff_cost=np.zeros(n),
        lifetime_value=np.zeros(n),
        lifetime_visits=np.zeros(n, dtype=np.int64),
        acquisitions=focal.astype(np.int32),
        first_acquired_week=np.where(focal, 0, -1).astype(np.int32),
        last_exit_week=np.full(n, -1, dtype=np.int32),
        exit_destination=np.full(n, PROSPECT, dtype=np.int8),
        initial_customer=focal.copy(),
        arm=np.zeros(n, dtype=np.int8),
        regular_server=np.full(n, -1, dtype=np.int32),
        churn_propensity=propensity,
    )


def small_world_contacts(n: int, degree: int, rewiring: float, rng: np.random.Generator) -> I32:
    """Contacts of each person: a ring lattice over a random order, partly rewired.

    Returns an ``(n, degree)`` array of contact rows (Watts-Strogatz style, stored as a
    fixed-width table so that word of mouth is one fancy-indexing operation).
    """
    degree = max(0, min(degree, n - 1))
    if n == 0 or degree == 0:
        return np.zeros((n, 0), dtype=np.int32)
    order = rng.permutation(n)
    position = np.empty(n, dtype=np.int64)
    position[order] = np.arange(n)
    steps = np.array([(i // 2 + 1) * (1 if i % 2 == 0 else -1) for i in range(degree)])
    contacts = order[(position[:, None] + steps[None, :]) % n]
    rewire = rng.random((n, degree)) < rewiring
    contacts[rewire] = rng.integers(0, n, int(rewire.sum()))
    self_loops = contacts == np.arange(n)[:, None]
    contacts[self_loops] = (np.nonzero(self_loops)[0] + 1) % n
    result: I32 = contacts.astype(np.int32)
    return result


class EmployeeState:
    """Everyone who has worked for the focal firm; rows are appended on hire.

    Arrays grow by doubling, so hiring is amortised O(1) and no row is ever moved
    out: the ledger at the end is simply every row.
    """

    COLUMNS: tuple[tuple[str, type], ...] = (
        ("tenure_weeks", np.float64),
        ("capability", np.float64),
        ("ability", np.float64),
        ("satisfaction", np.float64),
        ("disposition", np.float64),
        ("fatigue", np.float64),
        ("served_satisfaction", np.float64),
        ("wage_per_week", np.float64),
        ("encounters", np.int64),
        ("hired_week", np.int32),
        ("exit_week", np.int32),
        ("exit_reason", np.int8),
    )

    def __init__(self, capacity: int) -> None:
        self.size = 0
        self._capacity = max(capacity, 8)
        for name, dtype in self.COLUMNS:
            setattr(self, name, np.zeros(self._capacity, dtype=dtype))
        self.tenure_weeks: F64
        self.capability: F64
        self.ability: F64
        self.satisfaction: F64
        self.disposition: F64
        self.fatigue: F64
        self.served_satisfaction: F64
        self.wage_per_week: F64
        self.encounters: I64
        self.hired_week: I32
        self.exit_week: I32
        self.exit_reason: I8

    def add(self, count: int) -> I64:
        """Append ``count`` blank rows and return their indices."""
        if self.size + count > self._capacity:
            new_capacity = max(self._capacity * 2, self.size + count)
            for name, _ in self.COLUMNS:
                old = getattr(self, name)
                grown = np.zeros(new_capacity, dtype=old.dtype)
                grown[: self.size] = old[: self.size]
                setattr(self, name, grown)
            self._capacity = new_capacity
        rows = np.arange(self.size, self.size + count)
        self.size += count
        self.exit_week[rows] = -1
        self.exit_reason[rows] = ACTIVE
        return rows

    def column(self, name: str) -> NDArray[np.generic]:
        """The used part of one column."""
        array: NDArray[np.generic] = getattr(self, name)[: self.size]
        return array
