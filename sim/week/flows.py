"""Flows: what happens in one week, handed from phase to phase and then recorded.

A fresh ``Flows`` is made each week. Phases fill in what they produce (who visited,
the quality they met, this week's costs...) and later phases and the weekly metrics
row read it. Nothing in it outlives the week; stocks live on the World.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sim.metrics import COST_LINES


def mean_or_zero(values: NDArray[Any]) -> float:
    """Mean of ``values``, or 0 when there are none.

    Outputs never hold NaN: an average over nobody (no customers, no staff, no rivals) is
    recorded as 0, and the count beside it in the weekly table says when that is so.

    >>> mean_or_zero(np.array([0.5, 1.0])), mean_or_zero(np.array([]))
    (0.75, 0.0)
    """
    # sum / size is what ``mean`` computes, without its Python wrappers.
    return float(values.sum() / values.size) if values.size else 0.0


def _rows() -> NDArray[np.int64]:
    return np.zeros(0, dtype=np.int64)


def _values() -> NDArray[np.float64]:
    return np.zeros(0)


def _flags() -> NDArray[np.bool_]:
    return np.zeros(0, dtype=bool)


@dataclasses.dataclass
class Flows:
    """One week's flows. Row arrays index the customer or employee table."""

    focal: NDArray[np.int64]  # the firm's customers as the week opens
    costs: dict[str, float] = dataclasses.field(
        default_factory=lambda: dict.fromkeys(COST_LINES, 0.0)
    )
    # Staffing
    hires: int = 0
    layoffs: int = 0
    quits: int = 0
    internal_service_quality: float = 0.0
    # Visits and the time given to them
    visitors: NDArray[np.int64] = dataclasses.field(default_factory=_rows)
    staff: NDArray[np.int64] = dataclasses.field(default_factory=_rows)
    tiers: NDArray[np.int8] = dataclasses.field(default_factory=lambda: np.zeros(0, np.int8))
    levels: NDArray[np.float64] = dataclasses.field(default_factory=_values)
    productivity: NDArray[np.float64] = dataclasses.field(default_factory=_values)
    overtime: float = 0.0
    given: NDArray[np.float64] = dataclasses.field(default_factory=_values)  # staff hours
    adequacy: NDArray[np.float64] = dataclasses.field(default_factory=_values)
    # Encounters
    server: NDArray[np.int64] = dataclasses.field(default_factory=_rows)
    quality: NDArray[np.float64] = dataclasses.field(default_factory=_values)
    continuity: float = 0.0  # share of visitors served by their usual employee
    experienced: NDArray[np.float64] = dataclasses.field(default_factory=_values)
    failed: NDArray[np.int64] = dataclasses.field(default_factory=_rows)  # index into visitors
    fixed: NDArray[np.bool_] = dataclasses.field(default_factory=_flags)  # per failure
    recovery_cost: NDArray[np.float64] = dataclasses.field(default_factory=_values)
    price: NDArray[np.float64] = dataclasses.field(default_factory=_values)
    spend: NDArray[np.float64] = dataclasses.field(default_factory=_values)  # per visitor
    # Word of mouth, defection and the market
    referrals_made: int = 0
    referral_wins: NDArray[np.int64] = dataclasses.field(default_factory=_rows)
    at_risk: NDArray[np.int64] = dataclasses.field(default_factory=_rows)  # before defection
    defectors: NDArray[np.int64] = dataclasses.field(default_factory=_rows)
    to_rivals: int = 0
    stories_told: int = 0
    marketing_wins: NDArray[np.int64] = dataclasses.field(default_factory=_rows)
    # The books
    revenue: float = 0.0
    total_cost: float = 0.0
    profit: float = 0.0

    @property
    def recoveries(self) -> int:
        """Failures fixed on the spot."""
        return int(np.count_nonzero(self.fixed))
