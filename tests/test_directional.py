"""Stylized facts of the chain: paired comparisons over replications (style guide 2.7.6).

Every arm runs the same seeds (common random numbers), and each test asserts that the
95% t-interval of the paired difference excludes zero in the direction the theory
states. Arms share one small world: 3,000 people, 30 employees, the default burn-in,
then 130 recorded weeks (the workload test differs; see its docstring).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest

from sim import chain
from sim.config import StaffingKind
from sim.model import ServiceProfitChainModel
from sim.results import RunResult, collect
from sim.rng import replication_seeds
from sim.runner import run_once
from sim.state import FOCAL

pytestmark = pytest.mark.slow

SEEDS = replication_seeds(2_718, 12)
N_CUSTOMERS = 3_000
SNAPSHOT_WEEK = 52  # when customers are binned by satisfaction box
FOLLOW_UP_WEEKS = 78  # 18 months, the Jones & Sasser window (SF7)
WEEKS = SNAPSHOT_WEEK + FOLLOW_UP_WEEKS
LAYOFF_WEEK = 26
AFTER_LAYOFF = (LAYOFF_WEEK, LAYOFF_WEEK + 51)  # model weeks (0-based steps), inclusive
LONG_TENURE_WEEKS = 156  # three years with the firm before the run starts


@dataclass
class BaselineRun:
    """A steady-staffing run plus the satisfaction-box snapshot taken along the way."""

    result: RunResult
    box: np.ndarray  # satisfaction box of each focal customer at SNAPSHOT_WEEK
    retained: np.ndarray  # still focal FOLLOW_UP_WEEKS later, never having left


def run_baseline(cfg, seed: int) -> BaselineRun:
    model = ServiceProfitChainModel(cfg, rng=seed)
    model.run(SNAPSHOT_WEEK)
    c = model.customers
    cohort = np.flatnonzero(c.firm == FOCAL)
    box = chain.satisfaction_box(c.satisfaction[cohort])
    model.run(FOLLOW_UP_WEEKS)
    c = model.customers
    retained = (c.firm[cohort] == FOCAL) & (c.last_exit_week[cohort] < SNAPSHOT_WEEK)
    return BaselineRun(collect(model), box, retained)


@pytest.fixture(scope="module")
def world(small_config):
    def make(**overrides):
        return small_config(n_customers=N_CUSTOMERS, weeks=WEEKS, **overrides)

    return make


@pytest.fixture(scope="module")
def baseline(world) -> list[BaselineRun]:
    cfg = world()
    return [run_baseline(cfg, s) for s in SEEDS]


def run_arm(cfg) -> list[RunResult]:
    return [run_once(cfg, seed=s) for s in SEEDS]


def weeks_between(weekly: pd.DataFrame, first: int, last: int) -> pd.DataFrame:
    """Rows of model weeks first..last (0-based steps; the table's week = step + 1)."""
    return weekly[(weekly["week"] >= first + 1) & (weekly["week"] <= last + 1)]


# --------------------------------------------------------------- a. perks and quits


def quits_per_employee_year(result: RunResult) -> float:
    w = result.weekly
    return float(w["quits"].sum() / (w["employee_headcount"].sum() / 52.0))


def test_perks_lower_employee_turnover(world, baseline, ci, report_effect):
    perks = run_arm(world(hr__perks_per_week=100.0))
    control = [quits_per_employee_year(b.result) for b in baseline]
    treated = [quits_per_employee_year(r) for r in perks]
    effect = ci(treated, control)
    report_effect(
        "a. perks 100/week: quits per employee-year, perks - none",
        f"{effect} (none {np.mean(control):.3f}, perks {np.mean(treated):.3f})",
    )
    assert effect.high < 0


# ---------------------------------------------------------------- b. the layoff


def survivor_quit_rate(result: RunResult) -> float:
    """Quits per employee-week, in the year after LAYOFF_WEEK, of staff it kept.

    Survivors are everyone on the payroll at the layoff who was not laid off; in the
    steady twin that is everyone on the payroll that week.
    """
    e = result.employees
    first, last = AFTER_LAYOFF
    exit_week = e["exit_week"].where(e["exit_week"] >= 0, last + 1)
    survivors = (e["hired_week"] <= first) & (exit_week >= first) & (e["exit_reason"] != "laid_off")
    at_risk = (np.minimum(exit_week, last) - first + 1)[survivors]
    quits = (e["exit_reason"] == "quit") & exit_week.between(first, last) & survivors
    return float(quits.sum() / at_risk.sum())


def firm_quit_rate_after_layoff(result: RunResult) -> float:
    w = weeks_between(result.weekly, *AFTER_LAYOFF)
    return float(w["quits"].sum() / w["employee_headcount"].sum())


def satisfaction_after_layoff(result: RunResult) -> float:
    return float(weeks_between(result.weekly, *AFTER_LAYOFF)["customer_satisfaction"].mean())


@pytest.fixture(scope="module")
def layoff(world) -> list[RunResult]:
    return run_arm(
        world(
            staffing__kind=StaffingKind.layoff,
            staffing__layoff_share=0.2,
            staffing__layoff_week=LAYOFF_WEEK,
        )
    )


def test_layoff_raises_survivors_quit_rate(baseline, layoff, ci, report_effect):
    assert all(r.weekly["layoffs"].sum() > 0 for r in layoff)
    control = [survivor_quit_rate(b.result) for b in baseline]
    treated = [survivor_quit_rate(r) for r in layoff]
    effect = ci(treated, control)
    report_effect(
        "b. 20% layoff: survivors' quits per employee-week, weeks 27-78",
        f"{effect} (twin {np.mean(control):.4f}, layoff {np.mean(treated):.4f})",
    )
    assert effect.low > 0

    firm_control = [firm_quit_rate_after_layoff(b.result) for b in baseline]
    firm_treated = [firm_quit_rate_after_layoff(r) for r in layoff]
    firm_effect = ci(firm_treated, firm_control)
    report_effect(
        "b. 20% layoff: all staff quits per employee-week, weeks 27-78",
        f"{firm_effect} (twin {np.mean(firm_control):.4f}, layoff {np.mean(firm_treated):.4f})",
    )
    assert firm_effect.low > 0


def test_layoff_lowers_customer_satisfaction_within_a_year(baseline, layoff, ci, report_effect):
    control = [satisfaction_after_layoff(b.result) for b in baseline]
    treated = [satisfaction_after_layoff(r) for r in layoff]
    effect = ci(treated, control)
    report_effect(
        "b. 20% layoff: mean customer satisfaction, weeks 27-78",
        f"{effect} (twin {np.mean(control):.3f}, layoff {np.mean(treated):.3f})",
    )
    assert effect.high < 0


# ------------------------------------------------------ c. workload and quality


WORKLOAD_WEEKS = 26  # the half-year while the extra load lasts


def test_heavier_workload_lowers_service_quality(small_config, ci, report_effect):
    """30% more staff time per visit, from week 0, on the same staff and customers.

    Both arms skip the burn-in: a burn-in under the heavier load would let customers
    leave until the load fits the staff again, and the arms would start unequal.
    Workload is a property of the world, not a policy, so it cannot be switched on
    after a common burn-in. Over a half-year the extra load is still there, which the
    work-pressure check below confirms.
    """

    def arm(hours_factor: float) -> list[RunResult]:
        cfg = small_config(n_customers=N_CUSTOMERS, weeks=WORKLOAD_WEEKS, run__burn_in_weeks=0)
        cfg.operations.standard_hours_per_visit *= hours_factor
        return run_arm(cfg)

    base, heavy = arm(1.0), arm(1.3)

    def mean_of(results: list[RunResult], column: str) -> list[float]:
        return [float(r.weekly[column].mean()) for r in results]

    pressure = ci(mean_of(heavy, "work_pressure"), mean_of(base, "work_pressure"))
    effect = ci(mean_of(heavy, "service_quality"), mean_of(base, "service_quality"))
    report_effect(f"c. +30% hours per visit: work pressure, weeks 1-{WORKLOAD_WEEKS}", pressure)
    report_effect(
        f"c. +30% hours per visit: mean service quality, weeks 1-{WORKLOAD_WEEKS}",
        f"{effect} (base {np.mean(mean_of(base, 'service_quality')):.3f}, "
        f"heavy {np.mean(mean_of(heavy, 'service_quality')):.3f})",
    )
    assert pressure.low > 0, "the manipulation did not raise the workload"
    assert effect.high < 0


# ------------------------------------------------- d. top box vs second box (SF7)


def test_top_box_customers_are_retained_more_than_second_box(baseline, ci, report_effect):
    top = np.array([b.retained[b.box == 5].mean() for b in baseline])
    second = np.array([b.retained[b.box == 4].mean() for b in baseline])
    ratio = ci(top / second)
    defection_ratio = ci((1.0 - second) / (1.0 - top))
    sizes = np.mean([[np.sum(b.box == 5), np.sum(b.box == 4)] for b in baseline], 0)
    report_effect(
        "d. 78-week retention ratio, top box / second box (SF7 expects ~6)",
        f"{ratio} (retained: top {top.mean():.3f}, second {second.mean():.3f}; "
        f"mean group sizes {sizes[0]:.0f} / {sizes[1]:.0f})",
    )
    report_effect("d. 78-week defection ratio, second box / top box", str(defection_ratio))
    # The direction only: top-box customers are kept more. How much more (Jones &
    # Sasser's ~6x) is the SF7 validation check's business (nothing is fitted to it);
    # the measured ratio is printed in the terminal summary.
    assert ratio.low > 1.0


# ---------------------------------------------- e. tenure raises profit per customer


def profit_per_customer_week(ledger: pd.DataFrame, weeks: int) -> tuple[float, float]:
    """Profit per customer-week during the run: long-tenured vs newly won customers.

    Both groups are in their first spell and still customers at the end, so both are
    survivors; they differ in tenure. Long: customers with at least LONG_TENURE_WEEKS
    of tenure when the run began. New: won during the run (their costs include
    onboarding and their share of marketing).
    """
    one_spell = (
        (ledger["status"] == "focal")
        & (ledger["acquisitions"] == 1)
        & (ledger["last_exit_week"] < 0)
    )
    weeks_in_run = weeks - ledger["first_acquired_week"]
    tenure_at_start = ledger["tenure_weeks"] - weeks_in_run
    long = one_spell & ledger["initial_customer"] & (tenure_at_start >= LONG_TENURE_WEEKS)
    new = one_spell & ~ledger["initial_customer"]
    assert long.sum() >= 50, long.sum()
    assert new.sum() >= 50, new.sum()

    def rate(group: pd.Series) -> float:
        return float(ledger["lifetime_profit"][group].sum() / weeks_in_run[group].sum())

    return rate(long), rate(new)


def test_tenure_raises_profit_per_customer(baseline, ci, report_effect):
    rates = np.array([profit_per_customer_week(b.result.customers, WEEKS) for b in baseline])
    effect = ci(rates[:, 0], rates[:, 1])
    report_effect(
        "e. profit per customer-week, tenure >= 3 years - won during the run",
        f"{effect} (long {rates[:, 0].mean():.2f}, new {rates[:, 1].mean():.2f})",
    )
    assert effect.low > 0


# ------------------------------------------------ f. referred customers spend more at first


def spend_per_visit(ledger: pd.DataFrame, weeks: int, source: str) -> float:
    """Revenue per visit over base spend, for customers won in the run's last 26 weeks.

    All are in their first spell and young, so tenure pricing and spend growth are alike in
    both groups; dividing by base spend removes who was won.
    """
    young = (
        (ledger["status"] == "focal")
        & (ledger["acquisitions"] == 1)
        & (ledger["first_acquired_week"] >= weeks - 26)
        & (ledger["referral_source"] == source)
        & (ledger["visits"] > 0)
    )
    g = ledger[young]
    return float((g["lifetime_revenue"] / g["base_spend"]).sum() / g["visits"].sum())


def test_referred_customers_spend_more_at_first(baseline, ci, report_effect):
    """SF32: referred customers' margin starts higher (``referred_spend_premium``)."""
    rates = np.array(
        [
            [spend_per_visit(b.result.customers, WEEKS, s) for s in ("referral", "marketing")]
            for b in baseline
        ]
    )
    effect = ci(rates[:, 0] / rates[:, 1] - 1.0)
    report_effect("f. spend per visit in the first 26 weeks, referred / marketing-won - 1", effect)
    assert effect.low > 0
