"""Contract tests every policy inherits (in the spirit of Axelrod's strategy tests).

Each policy group has ``decide(config group, situation) -> decision``. For every option
shipped in ``configs/<group>/`` and for situations drawn at random, the decision must be
deterministic, frozen, picklable, leave its config untouched, and stay within the
bounds the phases rely on. A new policy option is covered by adding its YAML file.
"""

from __future__ import annotations

import copy
import dataclasses
import math
import pickle
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.config import POLICY_GROUPS, SimConfig, apply_change
from sim.policies import management
from sim.policies.situation import Situation

CONFIGS = Path(__file__).resolve().parent.parent / "configs"


def options(group: str) -> list[tuple[str, Any]]:
    """(option name, typed config group) for every YAML option of ``group``."""
    found = []
    for path in sorted((CONFIGS / group).glob("*.yaml")):
        values = yaml.safe_load(path.read_text()) or {}
        change = {f"{group}.{key}": value for key, value in values.items()}
        found.append((path.stem, getattr(apply_change(SimConfig(), change, str(path)), group)))
    return found


CASES = [(group, name, cfg) for group in POLICY_GROUPS for name, cfg in options(group)]
IDS = [f"{group}={name}" for group, name, _ in CASES]

situations = st.builds(
    Situation,
    week=st.integers(0, 1040),
    headcount=st.integers(0, 500),
    in_pipeline=st.integers(0, 50),
    target_headcount=st.integers(0, 500),
    desired_hours=st.floats(0, 1e5),
    hours_per_employee=st.floats(1, 80),
    quarter_ended=st.booleans(),
    quarter_revenue=st.floats(-1e7, 1e7),
    quarter_profit=st.floats(-1e7, 1e7),
    market_wage_per_week=st.floats(0, 1e4),
    people_in_market=st.integers(0, 1_000_000),
)


def test_every_policy_group_has_a_decide():
    assert set(management.POLICIES) == set(POLICY_GROUPS)


def test_every_group_ships_options():
    assert all(options(group) for group in POLICY_GROUPS)


@pytest.mark.parametrize(("group", "name", "cfg"), CASES, ids=IDS)
@settings(max_examples=25, deadline=None)
@given(seen=situations)
def test_decision_contract(group: str, name: str, cfg: Any, seen: Situation) -> None:
    decide = management.POLICIES[group]
    before = copy.deepcopy(cfg)
    decision = decide(cfg, seen)
    assert cfg == before, "a policy must not change its config"
    assert decide(cfg, seen) == decision, "the same situation must give the same decision"
    assert dataclasses.is_dataclass(decision)
    field = dataclasses.fields(decision)[0].name
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(decision, field, getattr(decision, field))
    assert pickle.loads(pickle.dumps(decision)) == decision  # sweeps send them to workers
    for value in dataclasses.asdict(decision).values():
        if isinstance(value, float):
            assert math.isfinite(value)
    BOUNDS[group](decision, seen)


def _service(d: Any, seen: Situation) -> None:
    tiers = np.arange(-1, 5, dtype=np.int8)
    assert (d.levels(tiers) >= 0).all()
    assert (d.prices(tiers) > 0).all()
    assert d.retier_weeks >= 1
    assert d.retier_due(0)
    assert not d.priority or d.tiered, "priority only ranks tiers when service is tiered"


def _staffing(d: Any, seen: Situation) -> None:
    assert 0 <= d.layoffs <= seen.headcount
    assert d.target_headcount >= 0
    assert d.new_vacancies >= 0


def _hr(d: Any, seen: Situation) -> None:
    assert d.wage_per_week >= 0
    assert d.pay_ratio > 0
    assert d.perks_per_week >= 0
    assert d.wage_per_week == pytest.approx(seen.market_wage_per_week * d.pay_ratio)


def _recovery(d: Any, seen: Situation) -> None:
    needed = np.array([0.0, 10.0, 1e4])
    fixed, cost = d.recover(needed, np.array([0.0, 0.5, 0.999]))
    assert fixed.dtype == bool
    assert (cost >= 0).all()
    assert d.recovered_quality_bonus >= 0


def _acquisition(d: Any, seen: Situation) -> None:
    assert 0 <= d.awareness <= 1
    assert d.marketing_budget >= 0
    assert d.onboarding_cost >= 0
    assert d.referral_reward >= 0


def _pricing(d: Any, seen: Situation) -> None:
    paid = d.paid(np.array([0.0, 1e3]), np.ones(2))
    assert (paid > 0).all()
    assert 0 < d.new_customer_price <= d.price_index
    assert paid[0] <= paid[1], "a new customer never pays more than an established one"


BOUNDS = {
    "service": _service,
    "staffing": _staffing,
    "hr": _hr,
    "recovery": _recovery,
    "acquisition": _acquisition,
    "pricing": _pricing,
}


def test_the_week_reads_decisions_not_lever_fields():
    """Phases read ``world.decisions``; only the decisions module reads policy configs."""
    week = Path(__file__).resolve().parent.parent / "sim" / "week"
    readers = {
        path.name
        for path in week.glob("*.py")
        for group in POLICY_GROUPS
        if f"config.{group}." in path.read_text() or f"cfg.{group}." in path.read_text()
    }
    assert readers == set(), readers
