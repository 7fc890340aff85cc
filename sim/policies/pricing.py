"""Pricing policy: the price level and new-customer discounts."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from sim.config import PricingConfig
from sim.policies.situation import Situation


@dataclass(frozen=True)
class PricingDecision:
    """This week's prices: a level, and a discount for customers in their first weeks."""

    price_index: float
    new_customer_discount: float
    discount_weeks: int

    @property
    def new_customer_price(self) -> float:
        """The price a shopper is offered (level less the new-customer discount)."""
        return self.price_index * (1.0 - self.new_customer_discount)

    def paid(
        self, tenure_weeks: NDArray[np.float64], tier_price: NDArray[np.float64]
    ) -> NDArray[np.float64]:
        """Price multiplier each customer pays: level x tier price x any discount.

        >>> PricingDecision(1.0, 0.2, 26).paid(np.array([0.0, 30.0]), np.ones(2)).tolist()
        [0.8, 1.0]
        """
        discount = np.where(tenure_weeks < self.discount_weeks, self.new_customer_discount, 0.0)
        paid: NDArray[np.float64] = self.price_index * tier_price * (1.0 - discount)
        return paid


def decide(cfg: PricingConfig, situation: Situation) -> PricingDecision:
    """The configured price level and discount, every week.

    >>> decide(PricingConfig(new_customer_discount=0.2), Situation()).new_customer_price
    0.8
    """
    return PricingDecision(cfg.price_index, cfg.new_customer_discount, cfg.discount_weeks)


def price_paid(
    cfg: PricingConfig,
    tenure_weeks: NDArray[np.float64],
    tier_price: NDArray[np.float64],
) -> NDArray[np.float64]:
    """``decide(cfg).paid(...)`` for callers that hold only the config (the perf kernels)."""
    return decide(cfg, Situation()).paid(tenure_weeks, tier_price)
