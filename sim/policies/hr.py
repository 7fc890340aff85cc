"""HR policy: pay relative to the market, perks, training, and how layoffs are handled."""

from __future__ import annotations

from dataclasses import dataclass

from sim.config import HrConfig
from sim.policies.situation import Situation


@dataclass(frozen=True)
class HrDecision:
    """This week's pay and treatment of staff."""

    wage_per_week: float
    pay_ratio: float  # pay relative to the market wage
    perks_per_week: float  # per head
    fair_process: bool  # layoffs explained and handled fairly (SF24)
    training_per_week: float = 0.0  # per head


def decide(cfg: HrConfig, situation: Situation) -> HrDecision:
    """Pay at the configured premium over the market wage, with the configured perks.

    >>> decide(HrConfig(wage_premium=0.1), Situation(market_wage_per_week=1000.0)).wage_per_week
    1100.0
    """
    return HrDecision(
        wage_per_week=wage_per_week(cfg, situation.market_wage_per_week),
        pay_ratio=1.0 + cfg.wage_premium,
        perks_per_week=cfg.perks_per_week,
        fair_process=cfg.fair_process,
        training_per_week=cfg.training_per_week,
    )


def wage_per_week(cfg: HrConfig, market_wage: float) -> float:
    """The firm's weekly wage.

    >>> wage_per_week(HrConfig(wage_premium=0.1), 1000.0)
    1100.0
    """
    return market_wage * (1.0 + cfg.wage_premium)
