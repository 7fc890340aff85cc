"""Service policy: the same service level for everyone, or levels by value quintile."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from sim.config import ServiceConfig, ServiceKind
from sim.policies.situation import Situation

N_TIERS = 5


def value_quintiles(
    value_score: NDArray[np.float64], members: NDArray[np.bool_]
) -> NDArray[np.int8]:
    """Rank members by value into quintiles, 0 = top fifth; -1 for non-members.

    >>> value_quintiles(np.array([5.0, 1, 4, 2, 3, 9]), np.array([1, 1, 1, 1, 1, 0], bool)).tolist()
    [0, 4, 1, 3, 2, -1]
    """
    tiers = np.full(value_score.size, -1, dtype=np.int8)
    idx = np.flatnonzero(members)
    if idx.size == 0:
        return tiers
    order = idx[np.argsort(-value_score[idx], kind="stable")]
    tiers[order] = (np.arange(idx.size) * N_TIERS // idx.size).astype(np.int8)
    return tiers


@dataclass(frozen=True)
class ServiceDecision:
    """This week's service: time per visit (and price) by value tier, and who comes first."""

    tiered: bool
    level: float  # time per visit relative to the standard, when uniform
    tier_levels: tuple[float, ...]  # by value quintile, top first, when tiered
    tier_prices: tuple[float, ...]
    priority: bool  # when time is short, top tiers are served in full first
    retier_weeks: int  # how often customers are re-ranked into tiers

    def levels(self, tiers: NDArray[np.int8]) -> NDArray[np.float64]:
        """Time per visit relative to the standard, for customers in ``tiers``.

        >>> decide(ServiceConfig(), Situation()).levels(np.array([0, 4], np.int8)).tolist()
        [1.0, 1.0]
        """
        if not self.tiered:
            return np.full(tiers.size, self.level)
        return np.asarray(self.tier_levels, dtype=float)[_clamped(tiers)]

    def prices(self, tiers: NDArray[np.int8]) -> NDArray[np.float64]:
        """Price multiplier by tier (1 everywhere under uniform service)."""
        if not self.tiered:
            return np.ones(tiers.size)
        return np.asarray(self.tier_prices, dtype=float)[_clamped(tiers)]

    def retier_due(self, week: int) -> bool:
        """Whether customers are re-ranked into tiers this week."""
        return week % self.retier_weeks == 0


def decide(cfg: ServiceConfig, situation: Situation) -> ServiceDecision:
    """The configured service design, every week.

    >>> decide(ServiceConfig(kind=ServiceKind.uniform, tier_priority=True), Situation()).priority
    False
    """
    tiered = cfg.kind is ServiceKind.tiered
    return ServiceDecision(
        tiered=tiered,
        level=cfg.level,
        tier_levels=tuple(cfg.tier_levels),
        tier_prices=tuple(cfg.tier_price),
        priority=cfg.tier_priority and tiered,
        retier_weeks=cfg.retier_weeks,
    )


def _clamped(tiers: NDArray[np.int8]) -> NDArray[np.int8]:
    # A customer not yet ranked (tier -1) is served and priced as the top tier.
    clamped: NDArray[np.int8] = np.minimum(np.maximum(tiers, 0), N_TIERS - 1)
    return clamped


def allocate_time(
    desired_by_tier: NDArray[np.float64],
    available: float,
    priority: bool,
    slack_max: float,
) -> NDArray[np.float64]:
    """Share available staff hours among tiers: the ratio of time given to time desired.

    Without priority every tier gets the same ratio; with priority the top tiers are
    served in full first and cuts fall on the lower tiers.

    >>> allocate_time(np.array([10.0, 10.0]), 15.0, priority=True, slack_max=1.15).tolist()
    [1.0, 0.5]
    >>> allocate_time(np.array([10.0, 10.0]), 15.0, priority=False, slack_max=1.15).tolist()
    [0.75, 0.75]
    """
    total = float(desired_by_tier.sum())
    if total <= 0:
        return np.full(desired_by_tier.size, slack_max)
    common = min(slack_max, available / total)
    if not priority or available >= total:
        return np.full(desired_by_tier.size, common)
    ratios = np.zeros(desired_by_tier.size)
    remaining = available
    for k, desired in enumerate(desired_by_tier):
        if desired <= 0:
            ratios[k] = 1.0
            continue
        given = min(desired, remaining)
        ratios[k] = given / desired
        remaining -= given
    return ratios
