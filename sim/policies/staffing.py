"""Staffing rules: steady headcount, hire to demand, a scheduled layoff, profit-triggered cuts.

The profit-triggered rule looks only at the firm's own quarterly margin and headcount;
it knows nothing of customers. If a cost-cutting spiral appears, the model made it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sim.config import StaffingConfig, StaffingKind


@dataclass(frozen=True)
class StaffingSnapshot:
    """What management sees when it sets staffing at the start of a week."""

    week: int
    headcount: int
    in_pipeline: int
    target_headcount: int
    desired_hours: float
    hours_per_employee: float
    quarter_ended: bool
    quarter_revenue: float
    quarter_profit: float


@dataclass(frozen=True)
class StaffingDecision:
    """Target headcount, people to lay off now, and vacancies to open now."""

    target_headcount: int
    layoffs: int
    new_vacancies: int


def decide_staffing(cfg: StaffingConfig, s: StaffingSnapshot) -> StaffingDecision:
    """Apply the configured staffing rule to this week's snapshot.

    >>> snap = StaffingSnapshot(week=104, headcount=100, in_pipeline=0, target_headcount=100,
    ...     desired_hours=3600, hours_per_employee=40, quarter_ended=False,
    ...     quarter_revenue=0, quarter_profit=0)
    >>> decide_staffing(StaffingConfig(kind=StaffingKind.layoff), snap)
    StaffingDecision(target_headcount=85, layoffs=15, new_vacancies=0)
    """
    target = s.target_headcount
    layoffs = 0
    if cfg.kind is StaffingKind.demand:
        target = max(
            cfg.min_headcount,
            math.ceil(s.desired_hours / (s.hours_per_employee * cfg.target_utilisation)),
        )
    elif cfg.kind is StaffingKind.layoff and s.week == cfg.layoff_week:
        layoffs = min(
            max(0, s.headcount - cfg.min_headcount), round(cfg.layoff_share * s.headcount)
        )
        if not cfg.rehire_after_layoff:
            target = s.headcount - layoffs
    elif cfg.kind is StaffingKind.profit_triggered and s.quarter_ended:
        margin = s.quarter_profit / s.quarter_revenue if s.quarter_revenue > 0 else -1.0
        if margin < cfg.profit_target_margin:
            layoffs = min(
                max(0, s.headcount - cfg.min_headcount),
                math.ceil(cfg.cut_share * s.headcount),
            )
            target = s.headcount - layoffs
    target = max(target, 0)
    staffed = s.headcount - layoffs + s.in_pipeline
    vacancies = max(0, target - staffed) if cfg.replace_quits or target > s.target_headcount else 0
    return StaffingDecision(target_headcount=target, layoffs=layoffs, new_vacancies=vacancies)
