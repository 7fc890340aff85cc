"""HR policy: pay relative to the market and perks."""

from __future__ import annotations

from sim.config import HrConfig


def wage_per_week(cfg: HrConfig, market_wage: float) -> float:
    """The firm's weekly wage.

    >>> wage_per_week(HrConfig(wage_premium=0.1), 1000.0)
    1100.0
    """
    return market_wage * (1.0 + cfg.wage_premium)


def pay_ratio(cfg: HrConfig) -> float:
    """Pay relative to the market wage.

    >>> pay_ratio(HrConfig(wage_premium=0.2))
    1.2
    """
    return 1.0 + cfg.wage_premium
