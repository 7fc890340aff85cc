"""Weekly metrics: names, units, and a preallocated recorder.

A metric's name is its column name is its plot label (the vocabulary of the theory),
and each week's values land in one row of a preallocated array: no per-step DataFrame.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import NDArray

COST_LINES = (
    "cost_wages",
    "cost_overtime",
    "cost_perks",
    "cost_training",
    "cost_hiring",
    "cost_severance",
    "cost_materials",
    "cost_recovery",
    "cost_marketing",
    "cost_onboarding",
    "cost_referral_rewards",
    "cost_fixed",
)

WEEKLY_METRICS: dict[str, str] = {
    "customers_focal": "customers of the focal firm at the end of the week",
    "customers_rivals": "customers of all rivals",
    "prospects": "people served by nobody",
    "acquisitions": "new focal customers this week",
    "acquisitions_referral": "of which through referrals",
    "defections": "focal customers lost this week",
    "defections_to_rivals": "of which to a rival",
    "defections_to_none": "of which leaving the category",
    "customer_retention_annualised": "(1 - weekly defection rate)^52",
    "nps": "net promoter score of focal customers, -100..100",
    "customer_satisfaction": "mean satisfaction of focal customers, 0-1",
    "top_box_share": "share of focal customers in the top satisfaction box",
    "visits": "encounters served this week",
    "employee_headcount": "employees at the end of the week",
    "hires": "new employees starting this week",
    "quits": "voluntary quits this week",
    "layoffs": "employees laid off this week",
    "employee_satisfaction": "mean employee satisfaction, 0-1",
    "internal_service_quality": "mean change in satisfaction from internal service quality",
    "capability": "mean employee capability (1: fully experienced, average ability)",
    "fatigue": "mean employee fatigue, 0-1",
    "job_insecurity": "survivors' job insecurity, 0-1",
    "work_pressure": "desired service hours / available hours (capped at 10: no staff)",
    "time_per_customer": "time given per visit relative to need",
    "service_standard": "the firm's time standard relative to its original",
    "service_quality": "mean quality delivered before failures, 0-1",
    "continuity": "share of visitors served by their usual employee",
    "experienced_quality": "mean quality experienced after failures and recovery",
    "reputation": "market's smoothed perception of the firm's quality",
    "failures": "failed encounters",
    "recoveries": "failures fixed on the spot",
    "referrals": "referrals made by customers who intend to refer",
    "negative_stories": "negative stories told",
    "revenue": "revenue",
    **{line: line.removeprefix("cost_").replace("_", " ") + " cost" for line in COST_LINES},
    "total_cost": "sum of all cost lines",
    "profit": "revenue minus total cost",
    "cumulative_profit": "profit to date",
    "discounted_profit": "net present value of profit to date",
    "rival_quality": "mean service quality of rivals",
    "rival_price": "mean price index of rivals",
    "policy_change": "1 in a week when a policy changed",
}


class MetricsRecorder:
    """A weeks x metrics array filled one row per week."""

    def __init__(self, weeks: int, extra: tuple[str, ...] = ()) -> None:
        self.names = ("week", *WEEKLY_METRICS, *extra)
        self._col = {name: i for i, name in enumerate(self.names)}
        self._data: NDArray[np.float64] = np.full((max(weeks, 0), len(self.names)), np.nan)
        self.rows = 0
        # Column positions per key order: a week's values are then stored in one assignment
        # instead of a dictionary lookup per metric.
        self._positions: dict[tuple[str, ...], NDArray[np.intp]] = {}

    def record(self, values: dict[str, float]) -> None:
        """Store one week's values (every metric must be given)."""
        if self.rows >= self._data.shape[0]:
            grown = np.full((max(8, 2 * self._data.shape[0]), len(self.names)), np.nan)
            grown[: self.rows] = self._data[: self.rows]
            self._data = grown
        keys = tuple(values)
        positions = self._positions.get(keys)
        if positions is None:
            positions = np.array([self._col[name] for name in keys], dtype=np.intp)
            self._positions[keys] = positions
        self._data[self.rows, positions] = np.fromiter(values.values(), np.float64, len(keys))
        self.rows += 1

    def last(self, name: str) -> float:
        """The latest value of one metric (NaN before the first week)."""
        if self.rows == 0:
            return float("nan")
        return float(self._data[self.rows - 1, self._col[name]])

    def series(self, name: str) -> NDArray[np.float64]:
        """All recorded values of one metric."""
        return self._data[: self.rows, self._col[name]]

    def frame(self) -> pd.DataFrame:
        """The weekly table."""
        df = pd.DataFrame(self._data[: self.rows], columns=list(self.names))
        counts = [c for c in df.columns if c == "week" or not _is_fractional(c)]
        df[counts] = df[counts].astype(np.int64)
        return df


_INTEGER_METRICS = {
    "week",
    "customers_focal",
    "customers_rivals",
    "prospects",
    "acquisitions",
    "acquisitions_referral",
    "defections",
    "defections_to_rivals",
    "defections_to_none",
    "visits",
    "employee_headcount",
    "hires",
    "quits",
    "layoffs",
    "failures",
    "recoveries",
    "referrals",
    "negative_stories",
    "policy_change",
}


def _is_fractional(name: str) -> bool:
    return name not in _INTEGER_METRICS and not name.startswith("customers_rival_")
