"""The lessons of docs/teaching.md as data, and what they show, measured against the twin.

``python -m sim.dashboard.lessons`` plays each lesson's decisions in classroom rounds
(3,000 people, 30 employees, as the dashboard starts) for several seeds and prints the
differences from the no-change twin that the lesson plans quote. Re-run it before a class
when the model has changed: the plans' numbers come from it.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sim.dashboard.controls import NO_SCENARIO
from sim.dashboard.session import DashboardModel

__all__ = ["LESSONS", "Lesson", "main", "measure", "plan_layoff", "whale_peak"]

type Decision = dict[str, Any] | Callable[[DashboardModel], dict[str, Any]]


def plan_layoff(model: DashboardModel) -> dict[str, Any]:
    """The dashboard's "Plan a layoff for next week" button as a decision."""
    return {"staffing.kind": "layoff", "staffing.layoff_week": model.week}


TIERS = {"service.kind": "tiered", "service.tier_levels": [1.5, 1.25, 1.0, 0.8, 0.6]}


@dataclass(frozen=True)
class Lesson:
    """One lesson: its starting world and, per part, the decisions by round.

    Args:
        title: As in docs/teaching.md.
        scenario: Scenario name for the starting world (``NO_SCENARIO``: defaults).
        parts: ``{part: {round: decision}}``; a decision for round ``r`` is applied
            before round ``r`` is played.
    """

    title: str
    scenario: str = NO_SCENARIO
    parts: dict[str, dict[int, Decision]] = field(default_factory=dict)


LESSONS: dict[str, Lesson] = {
    "mirror": Lesson(
        "The satisfaction mirror",
        parts={
            "perks": {2: {"hr.perks_per_week": 60.0}},
            "recovery_budget": {
                2: {"recovery.empowered": True, "recovery.budget_per_incident": 50.0}
            },
        },
    ),
    "layoff": Lesson(
        "The layoff spiral",
        scenario="layoff_spiral",
        parts={
            "one_off_layoff": {2: plan_layoff},
            "profit_triggered": {2: {"staffing.kind": "profit_triggered"}},
        },
    ),
    "tiering": Lesson(
        "Tiering and the whale curve",
        parts={
            "tiered": {2: TIERS},
            "tiered_and_priced": {2: {**TIERS, "service.tier_price": [1, 1, 1, 1.2, 1.4]}},
        },
    ),
}


def whale_peak(lifetime_profit: np.ndarray[Any, Any]) -> float:
    """Height of the whale curve's hump: the best customers' profit as a share of the total.

    >>> whale_peak(np.array([3.0, -1.0, 2.0]))
    1.25
    """
    p = np.sort(np.asarray(lifetime_profit, dtype=float))[::-1]
    total = p.sum()
    return float(np.cumsum(p).max() / total) if p.size and total else float("nan")


def measure(
    lesson: Lesson,
    part: str,
    seed: int,
    rounds: int = 12,
    n_customers: int = 3000,
    n_employees: int = 30,
) -> dict[str, float]:
    """Play one part of a lesson for one seed; return its differences from the twin.

    Returns:
        ``esat_r3``, ``quality_r3`` (employee satisfaction and service quality in round 3),
        ``csat_r5`` (customer satisfaction in round 5), ``customers_end``,
        ``headcount_end``, ``cum_profit_r2``, ``cum_profit_low`` (the lowest point),
        ``cum_profit_end`` (students minus twin), and the whale curve's peak of both.
    """
    model = DashboardModel(
        scenario_name=lesson.scenario,
        classroom=True,
        n_customers=n_customers,
        n_employees=n_employees,
        seed=seed,
    )
    for r in range(1, rounds + 1):
        decision = lesson.parts[part].get(r)
        if decision is not None:
            model.set_policy(decision(model) if callable(decision) else decision)
        model.step()
    t = model.rounds()
    snap = model.snapshot(customers=True)
    assert snap.customers is not None
    assert snap.twin_customers is not None

    def diff(metric: str) -> np.ndarray[Any, np.dtype[np.float64]]:
        # Row i of the rounds table is round i + 1.
        return t[f"{metric}_difference"].to_numpy(dtype=float)

    cum = diff("cumulative_profit")
    return {
        "esat_r3": float(diff("employee_satisfaction")[2]),
        "quality_r3": float(diff("service_quality")[2]),
        "csat_r5": float(diff("customer_satisfaction")[4]),
        "customers_end": float(diff("customers_focal")[-1]),
        "headcount_end": float(diff("employee_headcount")[-1]),
        "cum_profit_r2": float(cum[1]),
        "cum_profit_low": float(cum.min()),
        "cum_profit_end": float(cum[-1]),
        "whale_peak": whale_peak(snap.customers["lifetime_profit"].to_numpy()),
        "whale_peak_twin": whale_peak(snap.twin_customers["lifetime_profit"].to_numpy()),
    }


def main(argv: Sequence[str] | None = None) -> None:
    """Print every lesson part's differences from the twin, one row per seed."""
    parser = argparse.ArgumentParser(prog="python -m sim.dashboard.lessons")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--rounds", type=int, default=12)
    args = parser.parse_args(argv)
    pd.set_option("display.width", 160)
    for lesson in LESSONS.values():
        for part in lesson.parts:
            rows = {seed: measure(lesson, part, seed, args.rounds) for seed in args.seeds}
            table = pd.DataFrame.from_dict(rows, orient="index").rename_axis("seed")
            print(f"\n## {lesson.title}: {part} (students minus twin; {args.rounds} rounds)")
            print(table.round(3).to_string())


if __name__ == "__main__":
    main()
