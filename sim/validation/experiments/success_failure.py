"""SF28: profit-triggered cuts in a tight market end in one of two basins."""

from __future__ import annotations

from functools import partial
from typing import Any

import numpy as np

from sim.config import SimConfig, StaffingKind
from sim.model import ServiceProfitChainModel
from sim.validation.core import Check, Fact, Scale, Values, column, replicate, world
from sim.validation.experiments.shared import TIGHT, Row, timed


def _run_shock(cfg: SimConfig, seed: int, shock: float) -> Row:
    """Profit-triggered cuts after an initial layoff of ``shock``: where does the firm end?"""
    model = ServiceProfitChainModel(cfg, rng=seed)
    if shock > 0:
        model.set_policy(
            {"staffing.kind": "layoff", "staffing.layoff_week": 0, "staffing.layoff_share": shock}
        )
        model.step()
        model.set_policy({"staffing.kind": cfg.staffing.kind.name})
    model.run(cfg.run.weeks - model.week)
    w = model.metrics.frame()
    start = float(w["customers_focal"].iloc[0])
    last = w.tail(52)
    return {
        "customers": float(last["customers_focal"].mean()) / start,
        "headcount": float(last["employee_headcount"].mean()) / cfg.workforce.n_employees,
        "quality": float(last["service_quality"].mean()),
    }


SHOCKS = (0.0, 0.15, 0.30)


def basins(scale: Scale) -> list[Check]:
    """SF28: profit-triggered cuts in a tight market; the end states split into two basins."""
    weeks = 260
    cfg = world(
        max(scale.n_customers, 3_000),
        weeks,
        staffing__kind=StaffingKind.profit_triggered,
        staffing__profit_target_margin=0.02,
        **TIGHT,
    )
    seeds = scale.seeds("basins", 2.0)
    rows, secs = timed(
        lambda: {
            s: replicate(partial(_run_shock, shock=s), cfg, seeds, scale.workers) for s in SHOCKS
        }
    )
    ends = {s: column(r, "customers") for s, r in rows.items()}
    allv = np.concatenate(list(ends.values()))
    # Two basins: no run ends in the middle third of the range between failure (0) and
    # the starting size (1), and both basins are visited.
    success = {s: float(np.mean(v >= 0.67)) for s, v in ends.items()}
    share_success = np.array([float(np.mean(v >= 0.67)) for v in ends.values()])
    return [
        Check(
            Fact(
                "SF28",
                "Cycle of success or failure: the same firm ends in one of two "
                "basins depending on its history (shocks, chance)",
                "qualitative bistability (Schlesinger & Heskett 1991)",
                "share of runs ending between the basins (customers 33-67% of start); "
                "pass: <= 10% and both basins reached",
                0,
                0.10,
            ),
            ((allv > 0.33) & (allv < 0.67)).astype(np.float64),
            seconds=secs,
            conditions={
                "both basins reached": bool(0 < np.mean(allv >= 0.67) < 1),
                "a larger initial shock makes failure more likely": bool(
                    success[SHOCKS[-1]] <= success[SHOCKS[0]]
                ),
            },
            detail="share ending in success by initial layoff: "
            + ", ".join(f"{s:.0%}: {v:.0%}" for s, v in success.items())
            + f" (n={len(seeds)} each); success share overall {share_success.mean():.0%}",
            plot=partial(_plot_hist, allv),
        )
    ]


def _plot_hist(values: Values, ax: Any) -> None:
    """Histogram of end states (customers at the end / at the start)."""
    ax.hist(values, bins=np.linspace(0, 1.4, 29), color="tab:blue")
    ax.set_xlabel("customers after 5 years / at start")
    ax.set_ylabel("runs")
