"""Acquisition policy: marketing reach."""

from __future__ import annotations

import math

from sim.config import AcquisitionConfig


def awareness(cfg: AcquisitionConfig) -> float:
    """Share of shoppers who consider the focal firm: saturating in marketing spend.

    >>> awareness(AcquisitionConfig(marketing_per_1000_people_week=0.0, base_awareness=0.3))
    0.3
    """
    reach = 1.0 - math.exp(-cfg.marketing_per_1000_people_week / cfg.marketing_reference)
    return cfg.base_awareness + (1.0 - cfg.base_awareness) * reach


def marketing_budget(cfg: AcquisitionConfig, people_in_market: int) -> float:
    """Weekly marketing spend for a market of this size.

    >>> marketing_budget(AcquisitionConfig(marketing_per_1000_people_week=300.0), 10_000)
    3000.0
    """
    return cfg.marketing_per_1000_people_week * people_in_market / 1000.0
