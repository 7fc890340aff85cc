"""Acquisition policy: marketing reach, onboarding, and rewards for referrals."""

from __future__ import annotations

import math
from dataclasses import dataclass

from sim.config import AcquisitionConfig
from sim.policies.situation import Situation


@dataclass(frozen=True)
class AcquisitionDecision:
    """This week's spending on winning customers."""

    awareness: float  # share of shoppers who consider the firm
    marketing_budget: float  # per week
    onboarding_cost: float  # per new customer
    referral_reward: float  # paid to a referrer per converted referral


def decide(cfg: AcquisitionConfig, situation: Situation) -> AcquisitionDecision:
    """Spend the configured marketing budget for this market's size.

    >>> decide(AcquisitionConfig(), Situation(people_in_market=10_000)).marketing_budget
    3000.0
    """
    return AcquisitionDecision(
        awareness=awareness(cfg),
        marketing_budget=marketing_budget(cfg, situation.people_in_market),
        onboarding_cost=cfg.onboarding_cost,
        referral_reward=cfg.referral_reward,
    )


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
