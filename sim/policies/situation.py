"""What management sees when it decides, at the start of a week."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Situation:
    """The firm's own numbers as management sees them; it never sees customers directly.

    ``desired_hours`` is the planned workload: staff hours a week that current customers
    need at the policy's service levels and the firm's current time standard, smoothed
    over about two months.
    """

    week: int = 0
    headcount: int = 0
    in_pipeline: int = 0
    target_headcount: int = 0
    desired_hours: float = 0.0
    hours_per_employee: float = 40.0
    quarter_ended: bool = False
    quarter_revenue: float = 0.0
    quarter_profit: float = 0.0
    market_wage_per_week: float = 1000.0
    people_in_market: int = 0
