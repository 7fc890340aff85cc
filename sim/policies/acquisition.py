"""Acquisition policy: marketing reach."""

from __future__ import annotations

import math

from sim.config import AcquisitionConfig


def awareness(cfg: AcquisitionConfig) -> float:
    """Share of shoppers who consider the focal firm: saturating in marketing spend.

    >>> awareness(AcquisitionConfig(marketing_per_week=0.0, base_awareness=0.3))
    0.3
    """
    reach = 1.0 - math.exp(-cfg.marketing_per_week / cfg.marketing_reference)
    return cfg.base_awareness + (1.0 - cfg.base_awareness) * reach
