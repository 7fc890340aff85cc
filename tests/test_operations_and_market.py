"""Operations degrade and recover gradually; rivals have economics; staffing rules adapt.

The behaviours issue 16 asks of operations and the market, each as a paired or
invariant claim over a few small worlds: overload costs customers gradually (no cliff),
demand staffing can plan loads above 1, profit-triggered staffing rehires once profit
recovers, the time standard erodes under sustained pressure, well-treated staff still
quit at the unavoidable rate, and rivals that lose money leave the market.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from sim.config import StaffingConfig, StaffingKind
from sim.model import ServiceProfitChainModel
from sim.policies import staffing
from sim.policies.situation import Situation
from sim.research import dose
from sim.rng import replication_seeds
from sim.runner import run_once
from sim.week import staffing as planning

SEEDS = replication_seeds(4_242, 6)


def runs(values, weeks=208, seeds=SEEDS, n_customers=2_000):
    cfg = dose.world(values, n_customers, weeks)
    return [run_once(cfg, seed=s) for s in seeds]


def test_profit_triggered_rule_rehires_a_step_at_a_time_once_profit_recovers():
    cfg = StaffingConfig(kind=StaffingKind.profit_triggered, profit_target_margin=0.02)
    needs_30 = 30 * 40 * cfg.target_utilisation  # planned hours for 30 staff
    seen = Situation(
        week=13,
        headcount=20,
        target_headcount=20,
        desired_hours=needs_30,
        hours_per_employee=40,
        quarter_ended=True,
        quarter_revenue=100.0,
        quarter_profit=8.0,  # 8% margin: beats the target by more than rehire_margin
    )
    decision = staffing.decide(cfg, seen)
    assert decision.layoffs == 0
    assert decision.target_headcount == 20 + int(np.ceil(cfg.cut_share * 20))
    assert decision.new_vacancies == decision.target_headcount - 20
    # Between the target and the rehire line nothing changes; below it, cuts.
    seen_flat = dataclasses.replace(seen, quarter_profit=3.0)
    assert staffing.decide(cfg, seen_flat).target_headcount == 20
    seen_loss = dataclasses.replace(seen, quarter_profit=-1.0)
    assert staffing.decide(cfg, seen_loss).layoffs > 0
    # Never beyond what the work needs.
    seen_enough = dataclasses.replace(seen, desired_hours=20 * 40 * 0.9)
    assert staffing.decide(cfg, seen_enough).target_headcount == 20


@pytest.mark.slow
def test_profit_triggered_staffing_hires_back_in_a_profitable_world():
    """In a world that makes money, cuts after a bad quarter are undone by later hires."""
    found = runs(
        {
            "staffing.kind": "profit_triggered",
            "staffing.profit_target_margin": 0.08,
            "workforce.n_employees": 0.9,
        },
        weeks=260,
    )
    layoffs = [r.weekly["layoffs"].sum() for r in found]
    hires_after_cut = []
    for r in found:
        w = r.weekly
        cut_weeks = w.index[w["layoffs"] > 0]
        if len(cut_weeks):
            hires_after_cut.append(w.loc[cut_weeks[0] :, "hires"].sum())
    assert sum(x > 0 for x in layoffs) >= 2, "the rule never cut"
    assert hires_after_cut, "the rule never cut"
    assert np.mean(hires_after_cut) > 0


@pytest.mark.slow
def test_a_layoff_costs_customers_gradually_not_by_collapse(ci, report_effect):
    """A 15% layoff without rehiring: the firm shrinks to its smaller capacity, no collapse.

    Before the chain issue the same layoff lost 43% of customers within two years.
    """
    steady = runs({})
    layoff = runs({"staffing.kind": "layoff", "staffing.layoff_week": 26})
    kept = ci(
        [
            a.summary["customers_end"] / b.summary["customers_end"]
            for a, b in zip(layoff, steady, strict=True)
        ]
    )
    report_effect("15% layoff: customers at the end, layoff / steady", kept)
    assert kept.high < 1.0  # it does cost customers
    assert kept.low > 0.7  # about in proportion to the capacity cut, not a collapse


@pytest.mark.slow
def test_demand_staffing_can_plan_loads_above_one(ci):
    """Planning a 115% load runs leaner than planning 90%, and does not cut itself away."""
    lean = runs({"staffing.kind": "demand", "staffing.target_utilisation": 1.15}, n_customers=3_000)
    usual = runs({"staffing.kind": "demand", "staffing.target_utilisation": 0.9}, n_customers=3_000)

    def last_year(results, column):
        return [r.weekly[column].iloc[-52:].mean() for r in results]

    def kept(results, column):
        return [r.weekly[column].iloc[-1] / r.weekly[column].iloc[0] for r in results]

    assert (
        ci(last_year(lean, "employee_headcount"), last_year(usual, "employee_headcount")).high < 0
    )
    assert ci(last_year(lean, "work_pressure"), last_year(usual, "work_pressure")).low > 0
    # Lean, not gutted. The plan alone asks for 0.9 / 1.15 = 78% of the staff; fewer
    # customers (most of them are kept) and a standard that erodes under the planned
    # overload and is then planned for (Oliva and Sterman's capacity rule, ~0.85 after four
    # years) take it to about half. A collapse, as before issue 16, left 17 of 99 staff.
    assert ci(kept(lean, "employee_headcount")).low > 0.3
    assert ci(kept(lean, "customers_focal")).low > 0.6


def test_staff_are_planned_for_the_time_the_current_standard_asks():
    """Oliva and Sterman's capacity management: an eroded standard is staffed for.

    Management plans hours at the time standard it holds now, so once the standard has
    drifted down the plan no longer leaves the slack that would let it recover (SF27's
    hysteresis under hire-to-demand staffing rests on this).
    """
    model = ServiceProfitChainModel(dose.world({"staffing.kind": "demand"}, 1_000, 4), rng=3)
    world = model.world
    now = planning.desired_hours(world)
    world.firm.service_standard *= 0.8
    assert now > 0
    assert planning.desired_hours(world) == pytest.approx(0.8 * now, rel=1e-12)


@pytest.mark.slow
def test_the_time_standard_erodes_under_sustained_pressure_and_not_when_fixed(ci):
    lean = {"workforce.n_employees": 0.75}
    adaptive = runs(lean)
    fixed = runs({**lean, "operations.adaptive_standards": False})
    eroded = [r.weekly["service_standard"].iloc[-52:].mean() for r in adaptive]
    assert ci(eroded).high < 0.995
    assert all(r.weekly["service_standard"].eq(1.0).all() for r in fixed)


@pytest.mark.slow
def test_the_best_treated_staff_still_quit_at_the_unavoidable_rate():
    """Pay far above the market with lavish perks: quits fall, but not to nothing."""
    floor = dose.world({}, 2_000, 1).workforce.quit_floor_per_year
    generous = runs({"hr.wage_premium": 0.6, "hr.perks_per_week": 200.0}, weeks=156)
    turnover = np.mean([r.summary["employee_turnover"] for r in generous])
    baseline = np.mean([r.summary["employee_turnover"] for r in runs({}, weeks=156)])
    assert turnover < baseline
    assert turnover > 0.6 * floor


@pytest.mark.slow
def test_rivals_that_lose_money_leave_the_market_and_free_their_customers():
    # No burn-in, so the rivals' first losing year is recorded.
    losing = runs(
        {"competitors.cost_share": 1.3, "run.burn_in_weeks": 0}, weeks=104, seeds=SEEDS[:3]
    )
    for r in losing:
        w = r.weekly
        assert w["customers_rivals"].iloc[-1] == 0
        assert w["prospects"].max() > w["prospects"].iloc[0]
        assert w["customers_focal"].iloc[-1] > w["customers_focal"].iloc[0]
    viable = runs({}, weeks=104, seeds=SEEDS[:3])
    assert all(r.weekly["customers_rivals"].iloc[-1] > 0 for r in viable)
