"""Staffing rules: steady headcount, hire to demand, a scheduled layoff, profit-triggered cuts.

Each rule turns what management sees (a ``Situation``) into a target headcount and this
week's layoffs; vacancies follow from the target in the same way for every rule. The
profit-triggered rule looks only at the firm's own quarterly margin and headcount; it
knows nothing of customers. If a cost-cutting spiral appears, the model made it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from sim.config import StaffingConfig, StaffingKind
from sim.policies.situation import Situation


@dataclass(frozen=True)
class StaffingDecision:
    """Target headcount, people to lay off now, and vacancies to open now."""

    target_headcount: int
    layoffs: int
    new_vacancies: int


type Rule = Callable[[StaffingConfig, Situation], tuple[int, int]]


def _steady(cfg: StaffingConfig, s: Situation) -> tuple[int, int]:
    return s.target_headcount, 0


def _demand(cfg: StaffingConfig, s: Situation) -> tuple[int, int]:
    needed = math.ceil(s.desired_hours / (s.hours_per_employee * cfg.target_utilisation))
    return max(cfg.min_headcount, needed), 0


def _layoff(cfg: StaffingConfig, s: Situation) -> tuple[int, int]:
    if s.week != cfg.layoff_week:
        return s.target_headcount, 0
    layoffs = min(max(0, s.headcount - cfg.min_headcount), round(cfg.layoff_share * s.headcount))
    target = s.target_headcount if cfg.rehire_after_layoff else s.headcount - layoffs
    return target, layoffs


def _profit_triggered(cfg: StaffingConfig, s: Situation) -> tuple[int, int]:
    if not s.quarter_ended:
        return s.target_headcount, 0
    margin = s.quarter_profit / s.quarter_revenue if s.quarter_revenue > 0 else -1.0
    if margin >= cfg.profit_target_margin + cfg.rehire_margin:
        # Profit has recovered: hire back toward the staff the work needs, a step a
        # quarter (the vacancies then take the usual recruiting time to fill).
        needed = math.ceil(s.desired_hours / (s.hours_per_employee * cfg.target_utilisation))
        step = math.ceil(cfg.cut_share * max(s.headcount, 1))
        if needed > s.target_headcount:
            return min(needed, s.target_headcount + step), 0
    if margin >= cfg.profit_target_margin:
        return s.target_headcount, 0
    layoffs = min(max(0, s.headcount - cfg.min_headcount), math.ceil(cfg.cut_share * s.headcount))
    return s.headcount - layoffs, layoffs


RULES: dict[StaffingKind, Rule] = {
    StaffingKind.steady: _steady,
    StaffingKind.demand: _demand,
    StaffingKind.layoff: _layoff,
    StaffingKind.profit_triggered: _profit_triggered,
}


def decide(cfg: StaffingConfig, s: Situation) -> StaffingDecision:
    """Apply the configured staffing rule to what management sees this week.

    >>> seen = Situation(week=104, headcount=100, target_headcount=100, desired_hours=3600)
    >>> decide(StaffingConfig(kind=StaffingKind.layoff), seen)
    StaffingDecision(target_headcount=85, layoffs=15, new_vacancies=0)
    """
    target, layoffs = RULES[cfg.kind](cfg, s)
    target = max(target, 0)
    staffed = s.headcount - layoffs + s.in_pipeline
    vacancies = max(0, target - staffed) if cfg.replace_quits or target > s.target_headcount else 0
    return StaffingDecision(target_headcount=target, layoffs=layoffs, new_vacancies=vacancies)
