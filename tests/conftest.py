"""Shared test fixtures: a small-world config factory, paired CIs, hypothesis profiles.

Helpers are handed to tests as session-scoped fixtures (pytest runs with
``--import-mode=importlib``, so test modules cannot import this file by name).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import pytest
from hypothesis import settings
from scipy import stats

from sim.config import SimConfig, validate

settings.register_profile("ci", derandomize=True, deadline=None)
settings.register_profile("dev", deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

CUSTOMERS_PER_EMPLOYEE = 100  # the default world's ratio (10,000 people, 100 staff)


def make_small_config(
    n_customers: int = 2_000,
    weeks: int = 104,
    n_employees: int | None = None,
    **overrides: Any,
) -> SimConfig:
    """A default ``SimConfig`` scaled down to a small, fast world.

    Employees scale at one per 100 people in the market unless given. Any other field
    is set with ``group__field=value``, e.g. ``hr__perks_per_week=100``.
    """
    cfg = SimConfig()
    cfg.market.n_customers = n_customers
    cfg.workforce.n_employees = (
        n_customers // CUSTOMERS_PER_EMPLOYEE if n_employees is None else n_employees
    )
    cfg.run.weeks = weeks
    cfg.run.progress = False
    cfg.run.figures = False
    for key, value in overrides.items():
        group, sep, name = key.partition("__")
        node = getattr(cfg, group, None)
        if not sep or node is None or name not in {f.name for f in fields(node)}:
            raise AttributeError(f"small_config: no config field {key!r}")
        setattr(node, name, value)
    return validate(cfg)


@pytest.fixture(scope="session")
def small_config() -> Callable[..., SimConfig]:
    """The factory ``make_small_config(n_customers=..., weeks=..., group__field=...)``."""
    return make_small_config


@dataclass(frozen=True)
class PairedCI:
    """Mean paired difference (treatment minus control) and its t-based 95% CI."""

    mean: float
    low: float
    high: float
    n: int

    def __str__(self) -> str:
        return f"{self.mean:+.4g} [95% CI {self.low:+.4g}, {self.high:+.4g}; n={self.n}]"


def paired_ci(treatment: Any, control: Any | None = None, level: float = 0.95) -> PairedCI:
    """CI of the mean of ``treatment - control`` over replications (or of one sample).

    >>> ci = paired_ci([3.0, 4.0, 5.0], [1.0, 2.0, 3.0])
    >>> (ci.mean, ci.low, ci.high)
    (2.0, 2.0, 2.0)
    """
    d = np.asarray(treatment, dtype=float)
    if control is not None:
        d = d - np.asarray(control, dtype=float)
    if d.size < 2 or not np.all(np.isfinite(d)):
        raise ValueError(f"paired_ci needs >= 2 finite differences, got {d!r}")
    mean = float(d.mean())
    half = float(stats.t.ppf(0.5 + level / 2, d.size - 1) * d.std(ddof=1) / np.sqrt(d.size))
    return PairedCI(mean, mean - half, mean + half, int(d.size))


@pytest.fixture(scope="session")
def ci() -> Callable[..., PairedCI]:
    """``paired_ci(treatment, control=None)``: mean difference and its 95% t-CI."""
    return paired_ci


# ------------------------------------------------ measured effects, printed at the end

_EFFECTS: list[str] = []


@pytest.fixture(scope="session")
def report_effect() -> Callable[[str, object], None]:
    """Record a measured effect; all of them are printed in the terminal summary."""

    def report(name: str, value: object) -> None:
        _EFFECTS.append(f"{name}: {value}")

    return report


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Print the effects measured by the statistical tests of this session."""
    if _EFFECTS:
        terminalreporter.section("measured effects (paired over seeds)")
        for line in _EFFECTS:
            terminalreporter.write_line(line)
