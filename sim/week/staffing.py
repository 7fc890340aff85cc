"""Phase 1, staffing: vacancies arrive, management sets headcount, layoffs happen.

Management plans on the staff hours its customers need at the policy's service levels
(smoothed over about two months) and on last quarter's books; it never sees service
quality or customers directly. If a cost-cutting spiral appears, the model made it.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from sim import chain
from sim.policies import staffing
from sim.state import FOCAL, LAID_OFF, baseline_quality
from sim.week.flows import Flows
from sim.week.world import World

PLANNING_SMOOTHING = 0.125  # management's view of demand: about two months' memory


def desired_hours(world: World, focal: NDArray[np.int64] | None = None) -> float:
    """Staff hours a week that current customers need at the policy's service levels.

    Planned at the time standard the firm holds now, as Oliva and Sterman's (2001)
    lending centre planned capacity: once pressure has worn the standard down, the plan
    staffs for the lower standard and leaves no slack to restore it, which is what makes
    the erosion permanent (SF27). Under steady staffing the plan is not used.
    """
    c, cfg = world.customers, world.config
    if focal is None:
        focal = np.flatnonzero(c.firm == FOCAL)
    levels = world.decisions.service.levels(c.tier[focal]) * c.service_multiplier[focal]
    return float(
        (
            world.habitual_visits(focal)
            * levels
            * world.firm.service_standard
            * cfg.operations.standard_hours_per_visit
            * c.cost_to_serve[focal]
            * world.tenure_curves(
                chain.cost_to_serve_multiplier,
                c.tenure_weeks[focal],
                cfg.behaviour.new_cost_to_serve,
                cfg.behaviour.cost_to_serve_weeks,
            )
        ).sum()
    )


def hire(world: World, count: int, initial: bool = False) -> None:
    """Add ``count`` employees: new hires, or the founding staff with spread tenures."""
    if count <= 0:
        return
    cfg, emp = world.config, world.employees
    rng = world.streams["employees"]
    rows = emp.add(count)
    wf = cfg.workforce
    if initial:
        emp.tenure_weeks[rows] = np.floor(rng.exponential(260.0, count))
    else:
        emp.tenure_weeks[rows] = 0.0
    # Ability is the person's own; better pay draws abler applicants (founders included:
    # they were hired at the firm's pay too).
    mean_ability = chain.applicant_ability(world.decisions.hr.pay_ratio, wf.applicant_pay_effect)
    emp.ability[rows] = np.clip(rng.normal(mean_ability, wf.ability_sd, count), 0.5, 1.5)
    set_capability(world, rows)
    emp.disposition[rows] = rng.normal(0.0, wf.satisfaction_disposition_sd, count)
    emp.satisfaction[rows] = chain.clip(wf.satisfaction_baseline + emp.disposition[rows], 0, 1)
    emp.fatigue[rows] = 0.0
    emp.served_satisfaction[rows] = baseline_quality(cfg) if initial else world.firm.reputation
    emp.wage_per_week[rows] = world.decisions.hr.wage_per_week
    emp.hired_week[rows] = world.week - emp.tenure_weeks[rows].astype(np.int32)
    world.roster.join(rows)


def set_capability(world: World, rows: NDArray[np.int64]) -> None:
    """Capability of ``rows`` from their tenure, ability, the process and training."""
    cfg, emp = world.config, world.employees
    wf = cfg.workforce
    emp.capability[rows] = chain.capability(
        emp.tenure_weeks[rows],
        wf.new_hire_capability,
        wf.learning_weeks,
        knowledge_weight=wf.knowledge_weight,
        knowledge_weeks=wf.knowledge_weeks,
        ability=emp.ability[rows],
        standardisation=cfg.operations.standardisation,
        boost=chain.saturating(
            world.decisions.hr.training_per_week,
            wf.training_effect_max,
            wf.training_scale_per_week,
        ),
    )


def separate(world: World, rows: NDArray[np.int64], reason: int) -> None:
    """Employees leave (quit or laid off); they stay in the ledger with their exit."""
    emp = world.employees
    emp.exit_reason[rows] = reason
    emp.exit_week[rows] = world.week
    world.roster.leave(rows)


def manage_staff(world: World, flows: Flows) -> None:
    """Hire who was recruited, apply the staffing rule, lay off, open vacancies."""
    cfg, week, firm, books = world.config, world.week, world.firm, world.books
    wage = world.decisions.hr.wage_per_week
    arriving = firm.pipeline.pop(week, 0)
    hire(world, arriving)
    flows.costs["cost_hiring"] = arriving * cfg.workforce.hire_cost_weeks_of_wage * wage
    firm.desired_hours_smoothed = float(
        chain.smooth(
            firm.desired_hours_smoothed, desired_hours(world, flows.focal), PLANNING_SMOOTHING
        )
    )
    seen = world.situation()
    decision = staffing.decide(cfg.staffing, seen)
    if seen.quarter_ended:
        books.quarter_revenue = 0.0
        books.quarter_profit = 0.0
    firm.target_headcount = decision.target_headcount
    if decision.layoffs > 0:
        staff = world.staff_rows()
        before = staff.size
        chosen = world.streams["employees"].choice(staff, decision.layoffs, replace=False)
        separate(world, np.sort(chosen), LAID_OFF)
        flows.costs["cost_severance"] = decision.layoffs * cfg.workforce.severance_weeks * wage
        shock = chain.layoff_shock(
            decision.layoffs / before,
            cfg.workforce.layoff_shock_scale,
            world.decisions.hr.fair_process,
        )
        firm.job_insecurity = 1.0 - (1.0 - firm.job_insecurity) * (1.0 - shock)
        # Vacancies beyond the new target are withdrawn.
        firm.pipeline.clear()
    if decision.new_vacancies > 0:
        start = week + max(1, cfg.workforce.recruiting_weeks)
        firm.pipeline[start] = firm.pipeline.get(start, 0) + decision.new_vacancies
    flows.hires, flows.layoffs = arriving, decision.layoffs
