"""Service recovery: escalation to a manager, or an empowered front line with a budget."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from sim.chain import p_recovery
from sim.config import RecoveryConfig
from sim.policies.situation import Situation

ESCALATION_COST_SHARE = 0.5  # a manager's time and goodwill, relative to a full fix


@dataclass(frozen=True)
class RecoveryDecision:
    """How failures are handled this week: escalation, or an empowered front line."""

    rules: RecoveryConfig  # who may fix what, and for how much
    cost_per_spend: float  # what a full fix costs, per unit of the visit's spend
    recovered_quality_bonus: float  # a fixed failure feels this much better than expected

    def recover(
        self, spend: NDArray[np.float64], draws: NDArray[np.float64]
    ) -> tuple[NDArray[np.bool_], NDArray[np.float64]]:
        """Which failures (of visits worth ``spend``) are fixed, and what each costs."""
        return recover(self.rules, self.cost_per_spend * spend, draws)


def decide(cfg: RecoveryConfig, situation: Situation) -> RecoveryDecision:
    """Handle failures by the configured rules, every week.

    >>> d = decide(RecoveryConfig(empowered=True, budget_per_incident=50.0), Situation())
    >>> d.recover(np.array([100.0]), np.array([0.0]))[0].tolist()
    [True]
    """
    return RecoveryDecision(cfg, cfg.cost_per_spend, cfg.recovered_quality_bonus)


def recover(
    cfg: RecoveryConfig, needed: NDArray[np.float64], draws: NDArray[np.float64]
) -> tuple[NDArray[np.bool_], NDArray[np.float64]]:
    """Which failures are fixed on the spot, and what each attempt costs.

    ``needed`` is what a full fix would cost for each failed encounter. An empowered
    employee spends what the fix needs, up to the budget, on every failure; escalation
    costs a share of it. ``draws`` are uniform numbers, one per failure.

    >>> ok, cost = recover(RecoveryConfig(empowered=True, budget_per_incident=50.0),
    ...                    np.array([20.0, 100.0]), np.array([0.0, 0.99]))
    >>> ok.tolist(), cost.tolist()
    ([True, False], [20.0, 50.0])
    """
    p = p_recovery(
        cfg.budget_per_incident,
        needed,
        cfg.empowered,
        cfg.escalation_recovery,
        cfg.empowered_recovery_max,
    )
    fixed = draws < p
    if cfg.empowered:
        cost = np.minimum(needed, cfg.budget_per_incident)
    else:
        cost = np.where(fixed, ESCALATION_COST_SHARE * needed, 0.0)
    return fixed, cost
