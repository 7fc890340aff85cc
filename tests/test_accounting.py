"""Accounting identities and invariants that every run must satisfy, week by week."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim import chain
from sim.config import ServiceKind, SimConfig, StaffingKind
from sim.metrics import COST_LINES
from sim.results import RunResult
from sim.runner import run_once

REL = 1e-9

COUNTS = (
    "customers_focal",
    "customers_rivals",
    "prospects",
    "acquisitions",
    "acquisitions_referral",
    "defections",
    "defections_to_rivals",
    "defections_to_none",
    "visits",
    "employee_headcount",
    "hires",
    "quits",
    "layoffs",
    "failures",
    "recoveries",
    "referrals",
    "negative_stories",
)
MONEY = ("revenue", *COST_LINES, "total_cost", "profit", "cumulative_profit")
UNIT_INTERVAL = (
    "customer_satisfaction",
    "employee_satisfaction",
    "top_box_share",
    "service_quality",
    "experienced_quality",
    "reputation",
    "fatigue",
    "job_insecurity",
    "service_standard",
)


def rival_columns(weekly: pd.DataFrame) -> list[str]:
    return [c for c in weekly.columns if c.startswith("customers_rival_")]


def assert_close(actual, expected, scale, what: str) -> None:
    """|actual - expected| <= REL * scale, elementwise (scale: the size of the sums)."""
    actual, expected = np.asarray(actual, float), np.asarray(expected, float)
    gap = np.abs(actual - expected)
    bad = np.flatnonzero(gap > REL * np.maximum(np.asarray(scale, float), 1.0))
    assert bad.size == 0, f"{what}: first mismatch at row {bad[:1]}, gap {gap[bad[:1]]}"


def check_run(result: RunResult, cfg: SimConfig) -> None:
    """Every identity and invariant of the tables of one finished run."""
    w, ledger, staff = result.weekly, result.customers, result.employees
    assert len(w) == cfg.run.weeks
    assert w["week"].tolist() == list(range(1, cfg.run.weeks + 1))

    # Money: finite; profit = revenue - every cost line; running totals.
    money = w[list(MONEY)].to_numpy()
    assert np.all(np.isfinite(money)), "NaN or inf in a money column"
    costs = w[list(COST_LINES)].sum(axis=1)
    scale = w["revenue"] + costs
    assert_close(w["total_cost"], costs, scale, "total_cost = sum of cost lines")
    assert_close(w["profit"], w["revenue"] - costs, scale, "profit = revenue - costs")
    assert_close(
        w["cumulative_profit"],
        w["profit"].cumsum(),
        scale.cumsum(),
        "cumulative_profit = running sum of profit",
    )
    discount = chain.npv_factor(w["week"].to_numpy(float), cfg.market.discount_rate)
    assert_close(
        w["discounted_profit"],
        (w["profit"] * discount).cumsum(),
        scale.cumsum(),
        "discounted_profit = running sum of discounted profit",
    )

    # Nothing that cannot be negative is.
    for column in (*COUNTS, "revenue", *COST_LINES, "total_cost"):
        assert (w[column] >= 0).all(), f"{column} < 0"
    for column in UNIT_INTERVAL:
        values = w[column].dropna()
        assert values.between(0.0, 1.0).all(), f"{column} outside [0, 1]"
    assert w["capability"].between(0.0, 3.0).all(), "capability outside [0, 3]"
    assert (w["work_pressure"].dropna() >= 0).all()
    assert (w["time_per_customer"].dropna() >= 0).all()

    # Every person is in exactly one state, every week.
    n = cfg.market.n_customers
    people = w["customers_focal"] + w["customers_rivals"] + w["prospects"]
    assert (people == n).all(), "focal + rivals + prospects != n_customers"
    assert (w[rival_columns(w)].sum(axis=1) == w["customers_rivals"]).all()
    assert len(rival_columns(w)) == cfg.competitors.n_competitors

    # Flows add up, and the stocks follow the flows.
    assert (w["defections"] == w["defections_to_rivals"] + w["defections_to_none"]).all()
    assert (w["acquisitions_referral"] <= w["acquisitions"]).all()
    assert (w["recoveries"] <= w["failures"]).all()
    assert (w["failures"] <= w["visits"]).all()
    initial_focal = result.summary["customers_start"]
    focal_before = np.concatenate([[initial_focal], w["customers_focal"]])[: len(w)]
    assert (w["visits"] <= focal_before).all(), "more visits than customers"
    net_customers = (w["acquisitions"] - w["defections"]).cumsum()
    assert (w["customers_focal"] == initial_focal + net_customers).all(), (
        "customers_focal does not follow acquisitions - defections"
    )
    # Staff at week 0: the configured headcount, or whoever is left after the burn-in.
    initial_staff = len(staff) - w["hires"].sum()
    if cfg.run.burn_in_weeks == 0:
        assert initial_staff == cfg.workforce.n_employees
    flows = (w["hires"] - w["quits"] - w["layoffs"]).cumsum()
    assert (w["employee_headcount"] == initial_staff + flows).all(), (
        "headcount does not follow hires - quits - layoffs"
    )

    # The ledgers are complete.
    assert_close(
        ledger["lifetime_revenue"].sum(),
        w["revenue"].sum(),
        w["revenue"].sum(),
        "customer ledger revenue = weekly revenue",
    )
    assert ledger["visits"].sum() == w["visits"].sum()
    # Staff time is part of each ledger's cost, and never more than the wage bill.
    assert (ledger["lifetime_staff_cost"] >= 0).all()
    assert (ledger["lifetime_staff_cost"] <= ledger["lifetime_cost"] * (1 + REL)).all()
    labour = (w["cost_wages"] + w["cost_overtime"]).sum()
    assert ledger["lifetime_staff_cost"].sum() <= labour * (1 + REL)
    # The last completed year's customer P&L adds up to that year's revenue.
    years = len(w) // 52
    if years:
        year = w[(w["week"] > 52 * (years - 1)) & (w["week"] <= 52 * years)]
        assert_close(
            ledger["last_year_revenue"].sum(),
            year["revenue"].sum(),
            year["revenue"].sum(),
            "last year's customer revenue = that year's weekly revenue",
        )
        assert_close(
            ledger["last_year_profit"],
            ledger["last_year_revenue"] - ledger["last_year_cost"],
            ledger["last_year_revenue"] + ledger["last_year_cost"],
            "last_year_profit = revenue - cost",
        )
    else:
        assert (ledger[["last_year_revenue", "last_year_cost"]] == 0).all().all()
    assert ledger["acquisitions"].sum() == initial_focal + w["acquisitions"].sum()
    assert (ledger["status"] == "focal").sum() == (
        w["customers_focal"].iloc[-1] if len(w) else initial_focal
    )
    assert (staff["exit_reason"] == "quit").sum() == w["quits"].sum()
    assert (staff["exit_reason"] == "laid_off").sum() == w["layoffs"].sum()
    assert (staff["exit_reason"] == "active").sum() == result.summary["employees_end"]
    for column in ("satisfaction", "fatigue"):
        assert staff[column].between(0.0, 1.0).all(), f"employee {column}"
    # Capability is relative to a fully experienced employee of average ability: able
    # people (ability up to 1.5) with training (at most doubling it) pass 1.
    assert staff["capability"].between(0.0, 3.0).all(), "employee capability"
    assert staff["ability"].between(0.5, 1.5).all(), "employee ability"
    assert ledger["satisfaction"].between(0.0, 1.0).all()


# ------------------------------------------------------- a few representative runs

SCENARIOS = {
    "baseline": {},
    "layoff": {
        "staffing__kind": StaffingKind.layoff,
        "staffing__layoff_week": 10,
        "staffing__layoff_share": 0.3,
    },
    "profit_triggered": {
        "staffing__kind": StaffingKind.profit_triggered,
        "staffing__profit_target_margin": 0.2,
    },
    "demand": {"staffing__kind": StaffingKind.demand},
    "tiered_empowered": {
        "service__kind": ServiceKind.tiered,
        "service__tier_levels": [1.4, 1.2, 1.0, 0.8, 0.6],
        "service__tier_price": [1.1, 1.0, 1.0, 1.0, 1.2],
        "recovery__empowered": True,
        "recovery__budget_per_incident": 60.0,
    },
    "generous_hr": {
        "hr__wage_premium": 0.2,
        "hr__perks_per_week": 80.0,
        "hr__training_per_week": 40.0,
        "acquisition__referral_reward": 25.0,
        "pricing__new_customer_discount": 0.2,
    },
    "understaffed": {"operations__standard_hours_per_visit": 5.0},
}


@pytest.mark.parametrize("name", SCENARIOS)
def test_identities_hold_every_week(small_config, name):
    # The baseline warms up for the default burn-in; the others briefly, for speed.
    burn_in = {} if name == "baseline" else {"run__burn_in_weeks": 13}
    cfg = small_config(n_customers=2_000, weeks=78, **burn_in, **SCENARIOS[name])
    check_run(run_once(cfg, seed=3), cfg)


def test_scenarios_exercise_the_cost_lines(small_config):
    """Guard against vacuous checks: together the scenarios book every cost line."""
    booked = set()
    for name, overrides in SCENARIOS.items():
        cfg = small_config(n_customers=1_000, weeks=40, run__burn_in_weeks=0, **overrides)
        weekly = run_once(cfg, seed=3).weekly
        booked |= {line for line in COST_LINES if weekly[line].sum() > 0}
        assert weekly["revenue"].sum() > 0, name
    assert booked == set(COST_LINES)


# ------------------------------------------------ hypothesis: small random worlds


@st.composite
def small_worlds(draw) -> tuple[SimConfig, int]:
    cfg = SimConfig()
    cfg.run.progress = False
    cfg.run.figures = False
    cfg.run.weeks = draw(st.integers(0, 30))
    cfg.run.burn_in_weeks = draw(st.sampled_from([0, draw(st.integers(1, 30))]))
    cfg.market.n_customers = draw(st.integers(0, 800))
    cfg.workforce.n_employees = draw(st.integers(0, 10))
    cfg.staffing.kind = draw(st.sampled_from(StaffingKind))
    cfg.staffing.layoff_week = draw(st.integers(0, cfg.run.weeks))
    cfg.staffing.layoff_share = draw(st.floats(0.0, 1.0))
    cfg.staffing.profit_target_margin = draw(st.floats(-0.2, 0.3))
    cfg.service.kind = draw(st.sampled_from(ServiceKind))
    levels = st.floats(0.0, 2.0)
    cfg.service.tier_levels = draw(st.lists(levels, min_size=5, max_size=5))
    cfg.service.tier_price = draw(st.lists(st.floats(0.5, 2.0), min_size=5, max_size=5))
    cfg.hr.wage_premium = draw(st.floats(-0.5, 1.0))
    cfg.hr.perks_per_week = draw(st.floats(0.0, 300.0))
    cfg.hr.fair_process = draw(st.booleans())
    cfg.recovery.empowered = draw(st.booleans())
    cfg.recovery.budget_per_incident = draw(st.floats(0.0, 500.0))
    cfg.competitors.n_competitors = draw(st.integers(1, 4))
    return cfg, draw(st.integers(0, 2**32 - 1))


@settings(max_examples=25, deadline=None)
@given(world=small_worlds())
def test_identities_hold_in_random_small_worlds(world):
    cfg, seed = world
    check_run(run_once(cfg, seed=seed), cfg)
