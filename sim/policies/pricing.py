"""Pricing policy: the price level and new-customer discounts."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from sim.config import PricingConfig


def price_paid(
    cfg: PricingConfig,
    tenure_weeks: NDArray[np.float64],
    tier_price: NDArray[np.float64],
) -> NDArray[np.float64]:
    """Price multiplier each customer pays: level x tier price x any new-customer discount.

    >>> price_paid(PricingConfig(new_customer_discount=0.2, discount_weeks=26),
    ...            np.array([0.0, 30.0]), np.ones(2)).tolist()
    [0.8, 1.0]
    """
    discount = np.where(tenure_weeks < cfg.discount_weeks, cfg.new_customer_discount, 0.0)
    return cfg.price_index * tier_price * (1.0 - discount)
