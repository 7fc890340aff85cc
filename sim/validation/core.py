"""Building blocks of the validation: facts, checks, scales, worlds and replications.

A *fact* is a row of ``shared/docs/stylized_facts.md``: a claim and the literature's
range. A *check* is what one experiment measured for it: the replication mean, its 95%
t-interval, and whether it passes. Every number in a check comes from runs of the model.
"""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sim.config import SimConfig, validate
from sim.experiments.analysis import t_interval
from sim.rng import replication_seeds
from sim.validation.classes import kind_of

CUSTOMERS_PER_EMPLOYEE = 100  # the default world's ratio (10,000 people, 100 staff)
ROOT_SEED = 20_240_404  # root of every replication seed of the validation

type Values = NDArray[np.float64]
type Plot = Callable[[Any], None]  # draws one fact's figure on a matplotlib Axes


@dataclass(frozen=True)
class Fact:
    """A stylized fact: id, one-line claim, the literature's range and the pass band."""

    fact_id: str
    claim: str
    literature: str
    measure: str
    lo: float = -math.inf
    hi: float = math.inf


@dataclass
class Check:
    """What an experiment measured for one fact."""

    fact: Fact
    values: Values
    conditions: dict[str, bool] = field(default_factory=dict)
    detail: str = ""
    plot: Plot | None = None
    seconds: float = 0.0
    analytic_se: bool = False  # pass = |mean - theory| < 4 SE (theory in fact.lo == fact.hi)

    @property
    def mean(self) -> float:
        """Replication mean of the measured value."""
        return t_interval(self.values)[0]

    @property
    def ci(self) -> tuple[float, float]:
        """95% t-interval of the replication mean."""
        _, lo, hi = t_interval(self.values)
        return lo, hi

    @property
    def standard_error(self) -> float:
        """Standard error of the replication mean."""
        x = self.values[np.isfinite(self.values)]
        return float(x.std(ddof=1) / math.sqrt(x.size)) if x.size > 1 else math.nan

    @property
    def in_range(self) -> bool:
        """The replication mean lies in the pass band (or within 4 SE of the theory)."""
        if self.analytic_se:
            return abs(self.mean - self.fact.lo) < 4.0 * self.standard_error
        return self.fact.lo <= self.mean <= self.fact.hi

    @property
    def ci_inside(self) -> bool:
        """The whole 95% CI lies in the band (analytic checks: within 4 SE of the theory)."""
        if self.analytic_se:
            return self.in_range
        lo, hi = self.ci
        return self.fact.lo <= lo and hi <= self.fact.hi

    @property
    def verdict(self) -> str:
        """``pass``, ``marginal`` or ``fail``.

        Pass: the 95% CI inside the band and every side condition holds. Marginal: the
        mean inside, the CI across an edge, the conditions hold. Fail: otherwise.
        """
        if not all(self.conditions.values()) or not self.in_range:
            return "fail"
        return "pass" if self.ci_inside else "marginal"

    @property
    def passed(self) -> bool:
        """The verdict is ``pass``: the 95% CI lies in the band and the conditions hold."""
        return self.verdict == "pass"

    @property
    def kind(self) -> str:
        """Input read-back, calibration target or validation (``sim.validation.classes``)."""
        return kind_of(self.fact.fact_id)


@dataclass(frozen=True)
class Scale:
    """How big the validation runs are: ``quick`` for the test suite, ``full`` for the docs."""

    name: str
    replications: int
    n_customers: int
    workers: int

    def reps(self, factor: float = 1.0) -> int:
        """Replications of one arm (at least 3, so a t-interval exists)."""
        return max(3, round(self.replications * factor))

    def seeds(self, experiment: str, factor: float = 1.0) -> list[int]:
        """Replication seeds of one experiment, derived before any dispatch."""
        key = sum(ord(ch) * 31**i for i, ch in enumerate(experiment)) % 100_000
        return replication_seeds(ROOT_SEED + key, self.reps(factor))


QUICK = Scale("quick", replications=3, n_customers=3_000, workers=1)
FULL = Scale("full", replications=10, n_customers=10_000, workers=min(2, os.cpu_count() or 1))


def world(
    n_customers: int,
    weeks: int,
    n_employees: int | None = None,
    **overrides: Any,
) -> SimConfig:
    """The default configuration scaled to ``n_customers`` (staff scale with it).

    Other fields are set with ``group__field=value``, e.g. ``market__lapse_per_year=0.2``.
    """
    cfg = SimConfig()
    cfg.market.n_customers = n_customers
    cfg.workforce.n_employees = (
        max(1, n_customers // CUSTOMERS_PER_EMPLOYEE) if n_employees is None else n_employees
    )
    cfg.run.weeks = weeks
    cfg.run.progress = False
    cfg.run.figures = False
    for key, value in overrides.items():
        group, sep, name = key.partition("__")
        node = getattr(cfg, group, None)
        if not sep or node is None or name not in {f.name for f in dataclasses.fields(node)}:
            raise AttributeError(f"world: no config field {key!r}")
        setattr(node, name, value)
    return validate(cfg)


def replicate[T](
    fn: Callable[[SimConfig, int], T],
    cfg: SimConfig,
    seeds: Sequence[int],
    workers: int,
) -> list[T]:
    """Run ``fn(cfg, seed)`` for every seed, in a process pool when ``workers > 1``.

    Seeds are fixed before dispatch, so the pool returns what a serial loop would.
    """
    if workers <= 1 or len(seeds) <= 1:
        return [fn(cfg, s) for s in seeds]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(fn, [cfg] * len(seeds), seeds))


def column(rows: Iterable[dict[str, float]], key: str) -> Values:
    """One measured quantity across replications, as a float array."""
    return np.array([r[key] for r in rows], dtype=np.float64)


def fmt_ci(values: Values, scale: float = 1.0, digits: int = 3) -> str:
    """``mean [lo, hi]`` of a replication sample, for details in the report."""
    m, lo, hi = t_interval(values * scale)
    return f"{m:.{digits}g} [{lo:.{digits}g}, {hi:.{digits}g}]"
