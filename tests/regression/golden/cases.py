"""The configurations whose outputs are held bit-identical by test_golden.py.

The first three are the ones the architecture refactor promised (default; a layoff;
tiered service with a mid-run change); the others cover the rest of the week's
machinery in smaller worlds: every feedback link cut, and a mix of the remaining
levers (a controlled trial, empowered recovery, referral rewards, demand staffing,
discounts, a transaction log), and profit-triggered cuts in a tight market.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from sim.config import (
    FeedbackConfig,
    PolicyChange,
    ServiceKind,
    SimConfig,
    StaffingKind,
    feedback_links,
)
from sim.results import RunResult
from sim.runner import run_once


def _small(cfg: SimConfig, n_customers: int = 3_000, weeks: int = 260) -> SimConfig:
    cfg.market.n_customers = n_customers
    cfg.workforce.n_employees = n_customers // 100
    cfg.run.weeks = weeks
    return cfg


def default() -> SimConfig:
    return SimConfig()


def layoff() -> SimConfig:
    cfg = SimConfig(seed=1)
    cfg.staffing.kind = StaffingKind.layoff
    return cfg


def tiered_change() -> SimConfig:
    cfg = SimConfig(seed=2)
    cfg.service.kind = ServiceKind.tiered
    cfg.service.tier_levels = [1.5, 1.25, 1.0, 0.8, 0.6]
    cfg.changes = [
        PolicyChange(week=156, set={"service.kind": "uniform", "hr.perks_per_week": 60.0})
    ]
    return cfg


def open_loop() -> SimConfig:
    cfg = _small(SimConfig(seed=3))
    cfg.feedback = FeedbackConfig(**dict.fromkeys(feedback_links(), False))
    cfg.staffing.kind = StaffingKind.layoff
    return cfg


def mixed_levers() -> SimConfig:
    cfg = _small(SimConfig(seed=4))
    cfg.trial.segment_size = 300
    cfg.recovery.empowered = True
    cfg.recovery.budget_per_incident = 50.0
    cfg.acquisition.referral_reward = 20.0
    cfg.staffing.kind = StaffingKind.demand
    cfg.pricing.new_customer_discount = 0.2
    cfg.hr.wage_premium = 0.1
    cfg.run.transaction_log = True
    return cfg


def profit_cuts() -> SimConfig:
    cfg = _small(SimConfig(seed=5))
    cfg.staffing.kind = StaffingKind.profit_triggered
    cfg.market.competition_intensity = 2.0
    cfg.hr.fair_process = True
    cfg.service = dataclasses.replace(cfg.service, kind=ServiceKind.tiered, tier_priority=False)
    return cfg


CASES = {
    "default": default,
    "layoff": layoff,
    "tiered_change": tiered_change,
    "open_loop": open_loop,
    "mixed_levers": mixed_levers,
    "profit_cuts": profit_cuts,
}


def run_case(name: str) -> RunResult:
    """Run one case; with a transaction log, its purchases join the summary as a hash."""
    cfg = CASES[name]()
    cfg.run.progress = False
    cfg.run.figures = False
    purchases: list[pd.DataFrame] = []

    def sink(week: int, ids: np.ndarray, amounts: np.ndarray) -> None:
        purchases.append(pd.DataFrame({"week": week, "customer_id": ids, "amount": amounts}))

    result = run_once(cfg, transaction_sink=sink if cfg.run.transaction_log else None)
    if purchases:
        log = pd.concat(purchases, ignore_index=True)
        digest = pd.util.hash_pandas_object(log, index=False).sum()
        result.summary["transactions_hash"] = int(digest)
        result.summary["transactions_rows"] = len(log)
    return result
