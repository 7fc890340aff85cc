"""A cohort of real customers through the model's own weekly step.

The world is closed: everyone in it is a cohort customer, the firm wins no one
(marketing and base awareness 0, so no shopper considers it; referrals do not convert;
prospects do not shop), so a customer who has dropped out never comes back, and rivals
keep their ordinary offers, so the competitive part of the hazard works as in the
default world. They do not react (``competitors.react`` off): overwriting the cohort at
the split takes every customer they won in the burn-in, which they would read as lost
share and answer with better service at the first quarter's end, a jump in the pull of
rivals that no real firm's customers saw (it raised the CDNOW sample's hazard at
propensity 1 by 7-10% in weeks 13-26 of the holdout). Staff are sized to the cohort's
expected visits at the default world's ratio of habitual visits per employee, so service
(and so satisfaction and the satisfaction-linked dropout) runs at its usual load.

After the burn-in each replication overwrites the cohort's state with draws from the
fitted model's posterior given each customer's calibration history: alive or gone after
the split week, the purchase chance (a quadrature node), turned into the model's
habitual ``visit_probability`` by the mapping's visit factor, and the dropout hazard
per purchase (h F at a node F). The model splits its own hazard into a satisfaction-linked
part (satisfaction against a personal threshold, the switching barrier, remembered
failures) and the personal ``churn_propensity``; the satisfaction-linked part the
burn-in left a row with knows nothing of the customer's history, while the posterior's
F is the customer's whole propensity to leave given it. So each row's
``churn_propensity`` is set so that its hazard per visit at the split equals h F: a
customer who has stayed through many purchases starts with the low dropout the data
imply, and from then on the model's dynamics move it. The hazard a customer faces at a
visit is a little higher than the one set before it, because the visit's experience
moves it; ``forecast`` measures that level in a first pass and divides it out in a
second, so that dropout per visit is the fit's. (Drawing the propensity alone and
keeping the satisfaction-linked part as it fell made the cohort leave about a third more
often per visit than the fit says, CDNOW sample at 1997-09-30.) Tenure is the weeks since
the first purchase. The model then steps through the holdout weeks and every purchase
week of the cohort is counted.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from sim.compose import compose_config
from sim.config import SimConfig
from sim.customers import likelihood
from sim.model import ServiceProfitChainModel, TransactionSink
from sim.rng import replication_seeds
from sim.state import FOCAL, PROSPECT
from sim.units import WEEKS_PER_YEAR
from sim.week import defection

type F64 = NDArray[np.float64]
type I64 = NDArray[np.int64]
type B = NDArray[np.bool_]


def visits_per_employee() -> float:
    """Habitual visits a week per employee in the default world (staffing ratio)."""
    d = SimConfig()
    m = d.market
    return m.n_customers * m.focal_share * m.visits_per_week / d.workforce.n_employees


def closed_world(
    market: dict[str, float],
    people: int,
    focal_share: float,
    expected_visits: float,
    structure: dict[str, float | bool],
) -> SimConfig:
    """The cohort's world: ``people`` rows, the firm winning no one, staff sized to visits.

    ``market`` holds the fitted base's ``market`` settings, ``structure`` further
    settings by their dotted keys (``sim.customers.mapping.STRUCTURE``).
    """
    staff = max(1, round(expected_visits / visits_per_employee()))
    overrides = [f"market.{k}={v!r}" for k, v in market.items()]
    overrides += [
        f"{k}={str(v).lower() if isinstance(v, bool) else v!r}" for k, v in structure.items()
    ]
    overrides += [
        f"market.n_customers={people}",
        f"market.focal_share={min(max(focal_share, 0.0), 1.0)!r}",
        "market.competitor_share=0",
        "market.prospect_shopping_per_year=0",
        "acquisition.marketing_per_1000_people_week=0",
        "acquisition.base_awareness=0",
        "behaviour.referral_conversion=0",
        "competitors.react=false",  # the split's overwrite is no lost share to answer
        f"workforce.n_employees={staff}",
        "run.figures=false",
        "run.progress=false",
    ]
    return compose_config(overrides)


def cohort_model(
    cfg: SimConfig,
    tenure: F64,
    visit_probability: F64 | None,
    alive: B,
    seed: int,
    dropout_hazard: F64 | None = None,
    sink: TransactionSink | None = None,
) -> ServiceProfitChainModel:
    """The cohort's world after its burn-in, overwritten with the cohort's state at the split.

    Row i starts alive or not (``alive``), with ``tenure`` weeks, the habitual chance
    ``visit_probability`` (None: the one the model drew) and, if ``dropout_hazard`` is
    given, the hazard of leaving after a visit (its ``churn_propensity`` is set so that
    the model's hazard per visit equals it now; None: the propensity the model drew).
    ``sink`` receives each week's purchases.
    """
    model = ServiceProfitChainModel(cfg, rng=seed, transaction_sink=sink)
    c = model.customers
    c.firm[:] = np.where(alive, FOCAL, PROSPECT)
    c.tenure_weeks[:] = np.where(alive, tenure, 0.0)
    if visit_probability is not None:
        c.visit_probability[:] = visit_probability
    if dropout_hazard is not None:
        rows = np.flatnonzero(alive)
        c.churn_propensity[rows] = dropout_hazard[rows] / hazard_per_visit(model, rows)
    c.initial_customer[:] = alive
    return model


def run_cohort(
    cfg: SimConfig,
    tenure: F64,
    visit_probability: F64 | None,
    alive: B,
    weeks: int,
    seed: int,
    dropout_hazard: F64 | None = None,
    alive_log: B | None = None,
    chances: F64 | None = None,
) -> B:
    """Purchase weeks of each row over ``weeks`` steps: a (weeks, people) boolean table.

    The cohort starts as ``cohort_model`` sets it. ``alive_log``, if given (weeks,
    people), records who is the firm's customer at the start of each step; ``chances``,
    if given, receives the rows' habitual chances.

    Raises:
        RuntimeError: if anyone gone at the start is the firm's customer again (the world
            is meant to be closed).
    """
    bought = np.zeros((weeks, cfg.market.n_customers), dtype=bool)

    def sink(week: int, ids: I64, amounts: F64) -> None:
        bought[week, ids] = True

    model = cohort_model(cfg, tenure, visit_probability, alive, seed, dropout_hazard, sink)
    c = model.customers
    if chances is not None:
        chances[:] = c.visit_probability
    for week in range(weeks):
        if alive_log is not None:
            alive_log[week] = c.firm == FOCAL
        model.step()
    if np.any((c.firm == FOCAL) & ~alive):
        raise RuntimeError("a customer gone at the split came back: the cohort world is open")
    return bought


def hazard_per_visit(model: ServiceProfitChainModel, rows: I64) -> F64:
    """Each row's hazard of leaving after a visit at propensity 1, as the model has it now.

    The same terms as ``sim.week.defection.defect`` with ``market.dropout_at_visits``:
    the satisfaction-linked rate and the lapse, times the churn multiplier, a visit's
    share of a year at the mean visit chance.
    """
    world = model.world
    m = world.config.market
    rate = defection.competitive_hazard(world, rows, world.prices_paid(rows))
    per_year = (rate + defection.lapse_per_year(world)) * m.churn_multiplier
    hazard = defection.per_visit(per_year, m.visits_per_week) / WEEKS_PER_YEAR
    return np.maximum(hazard, np.finfo(float).tiny)


@dataclass(frozen=True)
class Forecast:
    """The model's holdout forecast, averaged over replications."""

    weekly: F64  # repeat purchase weeks per holdout week
    weekly_by_replication: F64  # (replications, weeks)
    per_customer: F64  # expected holdout purchase weeks per cohort customer
    replications: int
    seeds: list[int]
    # The model's dropout per visit over the fitted process's, in the pass that measured
    # it (before the hazards were divided by it); 1 means the model added nothing.
    visit_dropout_level: float


@dataclass(frozen=True)
class CohortRun:
    """One replication: purchase weeks, who was alive each week, each row's hazard."""

    bought: B  # (weeks, people)
    alive: B  # (weeks, people): the firm's customer at the week's start
    hazard: F64  # each row's fitted hazard per visit (h F), before any level was divided out


def visits_then_leaving(bought: B, alive: B) -> tuple[B, B]:
    """Visits that have a next week, and which of them were followed by leaving.

    ``bought`` and ``alive`` are (weeks, people) tables: purchase weeks, and the firm's
    customer at each week's start. A visit in week w is followed by leaving when the
    row is gone at week w + 1's start; the last week's visits have no next week and are
    left out.
    """
    visits = bought[:-1] & alive[:-1]
    return visits, visits & ~alive[1:]


def dropout_per_visit(runs: list[CohortRun]) -> tuple[float, float]:
    """Leavers after a visit, and the fitted process's expected number, over ``runs``."""
    left = expected = 0.0
    for run in runs:
        visits, leaving = visits_then_leaving(run.bought, run.alive)
        left += float(leaving.sum())
        expected += float((visits * -np.expm1(-run.hazard)[None, :]).sum())
    return left, expected


def visit_dropout_level(runs: list[CohortRun]) -> float:
    """The model's dropout per visit over the fitted process's (1 if nobody left)."""
    left, expected = dropout_per_visit(runs)
    return left / expected if left > 0 and expected > 0 else 1.0


@dataclass(frozen=True)
class Cohort:
    """The replications of one cohort: its world, tenure, horizon, seeds and draws.

    ``draws`` holds, per seed, each row's purchase-chance node, propensity node and
    whether it is alive at the split (``likelihood.Posterior.draw``).
    """

    cfg: SimConfig
    tenure: F64
    weeks: int
    seeds: list[int]
    draws: list[tuple[I64, I64, B]]

    def simulate(self, habitual: F64, hazard: F64, level: float = 1.0) -> list[CohortRun]:
        """Every replication, with habitual chances and fitted hazards per visit by node.

        Each row's hazard is divided by ``level`` when it is set.
        """
        runs = []
        for s, (p_node, f_node, alive) in zip(self.seeds, self.draws, strict=True):
            log = np.zeros((self.weeks, self.cfg.market.n_customers), dtype=bool)
            bought = run_cohort(
                self.cfg,
                self.tenure,
                habitual[p_node],
                alive,
                self.weeks,
                s,
                dropout_hazard=hazard[f_node] / level,
                alive_log=log,
            )
            runs.append(CohortRun(bought, log, hazard[f_node]))
        return runs


def forecast(
    cfg: SimConfig,
    post: likelihood.Posterior,
    visit_factor: float,
    tenure_at_start: I64,
    weeks: int,
    seed: int,
    replications: int,
) -> Forecast:
    """Step the cohort through ``weeks`` holdout weeks, ``replications`` times.

    ``post`` is the fit's posterior; its purchase chances are divided by ``visit_factor``
    (the model's visit chance per unit of habitual chance) to give the habitual
    ``visit_probability``.

    Two passes over the same seeds. Each row's hazard is set before its visits, but a
    visit's own experience moves it (a failure leaves a scar; a bad encounter weighs more
    than a good one), so the model's customers leave after a visit a few per cent more
    often than the fitted h F, which is dropout at the purchase, experience included. The
    first pass measures that level over the holdout; the second divides every row's
    hazard by it, so the cohort's dropout per visit is the fit's while the model still
    decides who leaves and when.
    """
    seeds = replication_seeds(seed, replications)
    habitual = np.minimum(post.grid.p / visit_factor, 1.0)
    hazard = -np.log1p(-post.grid.d)  # h F at each propensity node
    draws = [post.draw(np.random.default_rng(s)) for s in seeds]
    cohort = Cohort(cfg, tenure_at_start.astype(float), weeks, seeds, draws)
    level = visit_dropout_level(cohort.simulate(habitual, hazard))
    runs = cohort.simulate(habitual, hazard, level)
    per_rep = np.array([run.bought.sum(axis=1) for run in runs], dtype=float)
    per_customer = np.sum([run.bought.sum(axis=0) for run in runs], axis=0)
    return Forecast(
        weekly=per_rep.mean(axis=0),
        weekly_by_replication=per_rep,
        per_customer=per_customer / replications,
        replications=replications,
        seeds=list(seeds),
        visit_dropout_level=level,
    )
