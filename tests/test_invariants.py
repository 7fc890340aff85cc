"""Invariants over the whole valid configuration space (hypothesis).

The strategy is built from the schema itself: every field of every group is drawn from
its declared range (only sizes and horizons are kept small), the cross-field rules are
then satisfied by construction, and a few mid-run policy changes are added. Whatever is
drawn, a run must finish with finite outputs everywhere, closed books, conserved
customers, non-negative counts and satisfaction on its scale.
"""

from __future__ import annotations

import dataclasses
import enum
import math
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.config import POLICY_GROUPS, PolicyChange, SimConfig, StaffingKind, validate
from sim.metrics import COST_LINES
from sim.runner import run_once

# Sizes and horizons are capped so an example takes well under a second; every other
# field spans its whole declared range.
CAPS = {
    "market.n_customers": 300,
    "workforce.n_employees": 8,
    "competitors.n_competitors": 4,
    "market.network_degree": 8,
    "run.weeks": 30,
    "run.burn_in_weeks": 12,
    "trial.segment_size": 60,
    "staffing.min_headcount": 8,
    "workforce.recruiting_weeks": 8,
    "negative_wom_reach": 20,
}
FIXED = {"run.point", "run.name", "run.results_dir", "run.start_date", "run.figures"}


def field_strategy(key: str, default: Any, meta: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values of one field across its declared range."""
    lo, hi = meta.get("min"), meta.get("max")
    cap = CAPS.get(key, CAPS.get(key.split(".")[1]))
    if isinstance(default, enum.Enum):
        return st.sampled_from(type(default))
    if isinstance(default, bool):
        return st.booleans()
    if isinstance(default, int):
        top = min(hi, cap) if cap is not None else hi
        return st.integers(int(lo), int(top))
    if isinstance(default, float):
        # Both ends are drawn on purpose: the extremes are where overflow hides.
        return st.one_of(st.sampled_from([float(lo), float(hi)]), st.floats(float(lo), float(hi)))
    if isinstance(default, list):
        top = hi if hi is not None else 10.0
        item = st.floats(float(lo if lo is not None else 0.0), float(top))
        return st.lists(item, min_size=len(default), max_size=len(default))
    return st.just(default)


def group_strategy(group: str) -> st.SearchStrategy[Any]:
    """A whole config group with every field drawn."""
    node = getattr(SimConfig(), group)
    fields = {}
    for f in dataclasses.fields(node):
        key = f"{group}.{f.name}"
        value = getattr(node, f.name)
        fields[f.name] = (
            st.just(value) if key in FIXED else field_strategy(key, value, dict(f.metadata))
        )
    return st.builds(lambda **kw: dataclasses.replace(node, **kw), **fields)


GROUPS = [f.name for f in dataclasses.fields(SimConfig) if f.name not in ("seed", "changes")]


def most_staff(cfg: SimConfig) -> int:
    """The largest staffing.min_headcount the cross-field rule allows."""
    return max(cfg.market.n_customers, cfg.workforce.n_employees, 1)


def repair(cfg: SimConfig) -> SimConfig:
    """Satisfy the cross-field rules (so no draw is wasted on a rejected config)."""
    m, b, o = cfg.market, cfg.behaviour, cfg.operations
    m.competitor_share = min(m.competitor_share, 1.0 - m.focal_share)
    lo, hi = sorted((b.defection_min_per_year, b.defection_max_per_year))
    b.defection_min_per_year, b.defection_max_per_year = lo, hi
    lo, hi = sorted((b.detractor_satisfaction, b.referral_intent_satisfaction))
    b.detractor_satisfaction, b.referral_intent_satisfaction = lo, hi
    lo, hi = sorted((o.failure_min, o.failure_max))
    o.failure_min, o.failure_max = lo, hi
    cfg.staffing.layoff_week = min(cfg.staffing.layoff_week, max(cfg.run.weeks - 1, 0))
    cfg.staffing.min_headcount = min(cfg.staffing.min_headcount, most_staff(cfg))
    if cfg.run.weeks == 0:  # no week for a layoff to happen in
        cfg.staffing.kind = StaffingKind.steady
    if cfg.feedback.cut():  # a cut link is held at its end-of-burn-in value
        cfg.run.burn_in_weeks = max(1, cfg.run.burn_in_weeks)
    return cfg


@st.composite
def valid_configs(draw: st.DrawFn) -> tuple[SimConfig, int]:
    """A config from anywhere in the valid space, plus a seed."""
    groups = {name: draw(group_strategy(name)) for name in GROUPS}
    cfg = repair(SimConfig(**groups))
    changes = []
    for _ in range(draw(st.integers(0, 2))):
        group = draw(st.sampled_from(POLICY_GROUPS))
        drawn = draw(group_strategy(group))
        name = draw(st.sampled_from([f.name for f in dataclasses.fields(drawn)]))
        value = getattr(drawn, name)
        if f"{group}.{name}" == "staffing.layoff_week":  # inside the horizon, as repaired
            value = min(value, max(cfg.run.weeks - 1, 0))
        if f"{group}.{name}" == "staffing.min_headcount":  # no more staff than people
            value = min(value, most_staff(cfg))
        if value is StaffingKind.layoff and cfg.run.weeks == 0:
            continue  # no week for a layoff to happen in
        value = value.name if isinstance(value, enum.Enum) else value
        changes.append(
            PolicyChange(week=draw(st.integers(0, cfg.run.weeks)), set={f"{group}.{name}": value})
        )
    cfg.changes = changes
    return validate(cfg), draw(st.integers(0, 2**32 - 1))


def assert_finite(name: str, values: Any) -> None:
    array = np.asarray(values, dtype=float)
    bad = ~np.isfinite(array)
    assert not bad.any(), f"{name}: {int(bad.sum())} non-finite values"


@pytest.mark.filterwarnings("error::RuntimeWarning")  # overflow or 0/0 on the way is a bug
@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(world=valid_configs())
def test_any_valid_config_runs_with_finite_closed_conserved_outputs(world):
    cfg, seed = world
    result = run_once(cfg, seed=seed)
    weekly = result.weekly
    assert len(weekly) == cfg.run.weeks

    for table_name in ("weekly", "customers", "employees"):
        table = getattr(result, table_name)
        for column in table.select_dtypes("number").columns:
            assert_finite(f"{table_name}.{column}", table[column])
    for key, value in result.summary.items():
        if isinstance(value, float):
            assert math.isfinite(value), f"summary.{key}={value}"

    if len(weekly):
        np.testing.assert_allclose(
            weekly["revenue"] - weekly[list(COST_LINES)].sum(axis=1),
            weekly["profit"],
            rtol=1e-9,
            atol=1e-6 * max(1.0, float(weekly["revenue"].abs().max())),
        )
        population = weekly["customers_focal"] + weekly["customers_rivals"] + weekly["prospects"]
        assert (population == cfg.market.n_customers).all()
        counts = ["customers_focal", "prospects", "employee_headcount", "quits", "hires"]
        assert (weekly[counts].to_numpy() >= 0).all()
        satisfaction = weekly[["customer_satisfaction", "employee_satisfaction"]].to_numpy()
        assert ((satisfaction >= 0) & (satisfaction <= 1)).all()
    assert result.customers["satisfaction"].between(0, 1).all()
    assert result.employees["satisfaction"].between(0, 1).all()
    assert (result.customers["visits"] >= 0).all()


def test_every_number_in_the_schema_is_bounded_both_ways():
    """The space the hypothesis test draws from is the whole valid space: no open ends."""
    open_ended = []
    for group in GROUPS:
        for f in dataclasses.fields(getattr(SimConfig(), group)):
            default = getattr(getattr(SimConfig(), group), f.name)
            numeric = isinstance(default, int | float) and not isinstance(default, bool)
            if numeric and (f.metadata.get("min") is None or f.metadata.get("max") is None):
                open_ended.append(f"{group}.{f.name}")
    assert open_ended == []


@pytest.mark.filterwarnings("error::RuntimeWarning")
def test_every_money_field_at_its_ceiling_keeps_outputs_finite():
    """Wages, spend, perks and budgets all at MONEY_MAX at once (issue: 1e308 gave inf)."""
    from sim.config import MONEY_MAX

    cfg = SimConfig()
    cfg.market.n_customers, cfg.workforce.n_employees, cfg.run.weeks = 500, 5, 104
    cfg.market.spend_median = cfg.market.fixed_cost_per_employee_week = MONEY_MAX
    cfg.workforce.market_wage_per_week = cfg.hr.perks_per_week = MONEY_MAX
    cfg.recovery.budget_per_incident = cfg.acquisition.onboarding_cost = MONEY_MAX
    cfg.acquisition.marketing_per_1000_people_week = cfg.acquisition.referral_reward = MONEY_MAX
    cfg.hr.wage_premium = 2.0
    result = run_once(validate(cfg), seed=3)
    for table_name in ("weekly", "customers", "employees"):
        table = getattr(result, table_name)
        for column in table.select_dtypes("number").columns:
            assert_finite(f"{table_name}.{column}", table[column])
    assert all(math.isfinite(v) for v in result.summary.values() if isinstance(v, float))
