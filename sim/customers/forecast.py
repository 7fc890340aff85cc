"""A cohort of real customers through the model's own weekly step.

The world is closed: everyone in it is a cohort customer, the firm wins no one
(marketing and base awareness 0, so no shopper considers it; referrals do not convert;
prospects do not shop), so a customer who has dropped out never comes back, and rivals
keep their ordinary offers, so the competitive part of the hazard works as in the
default world. Staff are sized to the cohort's expected visits at the default world's
ratio of habitual visits per employee, so service (and so satisfaction and the
satisfaction-linked dropout) runs at its usual load.

After the burn-in each replication overwrites the cohort's state with draws from the
fitted model's posterior given each customer's calibration history: alive or gone after
the split week, and the purchase chance (a quadrature node), turned into the model's
habitual ``visit_probability`` by the mapping's visit factor. Tenure is the weeks since
the first purchase. The model then steps through the holdout weeks and every purchase
week of the cohort is counted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from sim.compose import compose_config
from sim.config import SimConfig
from sim.model import ServiceProfitChainModel
from sim.rng import replication_seeds
from sim.state import FOCAL, PROSPECT

type F64 = NDArray[np.float64]
type I64 = NDArray[np.int64]
type B = NDArray[np.bool_]


def visits_per_employee() -> float:
    """Habitual visits a week per employee in the default world (staffing ratio)."""
    d = SimConfig()
    m = d.market
    return m.n_customers * m.focal_share * m.visits_per_week / d.workforce.n_employees


def closed_world(
    market: dict[str, float], people: int, focal_share: float, expected_visits: float
) -> SimConfig:
    """The cohort's world: ``people`` rows, the firm winning no one, staff sized to visits."""
    staff = max(1, round(expected_visits / visits_per_employee()))
    overrides = [f"market.{k}={v!r}" for k, v in market.items()]
    overrides += [
        f"market.n_customers={people}",
        f"market.focal_share={min(max(focal_share, 0.0), 1.0)!r}",
        "market.competitor_share=0",
        "market.prospect_shopping_per_year=0",
        "acquisition.marketing_per_1000_people_week=0",
        "acquisition.base_awareness=0",
        "behaviour.referral_conversion=0",
        f"workforce.n_employees={staff}",
        "run.figures=false",
        "run.progress=false",
    ]
    return compose_config(overrides)


def run_cohort(
    cfg: SimConfig,
    tenure: F64,
    visit_probability: F64 | None,
    alive: B,
    weeks: int,
    seed: int,
) -> B:
    """Purchase weeks of each row over ``weeks`` steps: a (weeks, people) boolean table.

    Row i starts the first step alive or not (``alive``), with ``tenure`` weeks and the
    habitual chance ``visit_probability`` (None: the chance the model drew for the row).

    Raises:
        RuntimeError: if anyone gone at the start is the firm's customer again (the world
            is meant to be closed).
    """
    bought = np.zeros((weeks, cfg.market.n_customers), dtype=bool)

    def sink(week: int, ids: I64, amounts: F64) -> None:
        bought[week, ids] = True

    model = ServiceProfitChainModel(cfg, rng=seed, transaction_sink=sink)
    c = model.customers
    c.firm[:] = np.where(alive, FOCAL, PROSPECT)
    c.tenure_weeks[:] = np.where(alive, tenure, 0.0)
    if visit_probability is not None:
        c.visit_probability[:] = visit_probability
    c.initial_customer[:] = alive
    for _ in range(weeks):
        model.step()
    if np.any((c.firm == FOCAL) & ~alive):
        raise RuntimeError("a customer gone at the split came back: the cohort world is open")
    return bought


@dataclass(frozen=True)
class Forecast:
    """The model's holdout forecast, averaged over replications."""

    weekly: F64  # repeat purchase weeks per holdout week
    weekly_by_replication: F64  # (replications, weeks)
    per_customer: F64  # expected holdout purchase weeks per cohort customer
    replications: int
    seeds: list[int]


def draw_state(prob: F64, rng: np.random.Generator) -> tuple[I64, B]:
    """One draw per customer of (node, alive) from its posterior ``prob[i, q, alive]``."""
    flat = prob.reshape(prob.shape[0], -1)
    cum = np.cumsum(flat, axis=1)
    u = rng.random(prob.shape[0]) * cum[:, -1]
    pick = np.minimum((cum < u[:, None]).sum(axis=1), flat.shape[1] - 1)
    return (pick // 2).astype(np.int64), (pick % 2).astype(bool)


def forecast(
    cfg: SimConfig,
    prob: F64,
    p_nodes: F64,
    visit_factor: float,
    tenure_at_start: I64,
    weeks: int,
    seed: int,
    replications: int,
) -> Forecast:
    """Step the cohort through ``weeks`` holdout weeks, ``replications`` times.

    ``prob`` is the posterior (customer, node, alive); ``p_nodes`` the nodes' purchase
    chances, divided by ``visit_factor`` (the model's visit chance per unit of habitual
    chance) to give the habitual ``visit_probability``.
    """
    seeds = replication_seeds(seed, replications)
    per_rep = np.zeros((replications, weeks))
    per_customer = np.zeros(prob.shape[0])
    habitual = np.minimum(p_nodes / visit_factor, 1.0)
    for r, s in enumerate(seeds):
        node, alive = draw_state(prob, np.random.default_rng(s))
        bought = run_cohort(cfg, tenure_at_start.astype(float), habitual[node], alive, weeks, s)
        per_rep[r] = bought.sum(axis=1)
        per_customer += bought.sum(axis=0)
    return Forecast(
        weekly=per_rep.mean(axis=0),
        weekly_by_replication=per_rep,
        per_customer=per_customer / replications,
        replications=replications,
        seeds=list(seeds),
    )


def simulate_new_customers(cfg: SimConfig, weeks: int, seed: int, start_tenure: int = 1) -> B:
    """A log of the model's own new customers: everyone bought first in week 0, alive.

    Every row is a customer from the first step on, with the habitual chance the model
    drew for it and ``start_tenure`` weeks of tenure. Returns the (weeks, people)
    purchase table of weeks 1..weeks.
    """
    n = cfg.market.n_customers
    alive = np.ones(n, dtype=bool)
    return run_cohort(cfg, np.full(n, float(start_tenure)), None, alive, weeks, seed)


def histories_of(bought: B, observed: Sequence[int] | I64) -> tuple[I64, I64, I64]:
    """(x, t_x, n) of simulated customers, row i seen for ``observed[i]`` weeks."""
    n = np.asarray(observed, dtype=np.int64)
    weeks = bought.shape[0]
    week = np.arange(1, weeks + 1)[:, None]
    seen = bought & (week <= n[None, :])
    x = seen.sum(axis=0).astype(np.int64)
    t_x = np.where(x > 0, (seen * week).max(axis=0), 0).astype(np.int64)
    return x, t_x, n
