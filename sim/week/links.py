"""Feedback links: which links of the chain are live, and what a cut link is held at.

A cut link (``feedback.<link>=false``) reads its input as it was at week 0 instead of
its live value, so the loop through it opens while everything else runs as usual.
``Links`` is the one place that switch is made: phases ask it for a value by link name.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sim.config import FeedbackConfig
from sim.units import WEEKS_PER_QUARTER


@dataclasses.dataclass(frozen=True)
class PersonBaseline:
    """One employee attribute as it was at week 0, for a cut link that reads it."""

    values: NDArray[np.float64]
    mean: float

    def of(self, rows: NDArray[np.int64]) -> NDArray[np.float64]:
        """Week-0 values of ``rows``; people hired since take the week-0 staff mean."""
        out = np.full(rows.size, self.mean)
        known = rows < self.values.size
        out[known] = self.values[rows[known]]
        return out


@dataclasses.dataclass(frozen=True)
class FeedbackBaseline:
    """The inputs of the feedback links at week 0: what a cut link is held at.

    Stocks are taken as they stand at the end of the burn-in; weekly flows (work
    pressure, overtime, storytellers) as their average over its last quarter or so,
    so that one unusual week does not become the baseline.
    """

    satisfaction: PersonBaseline
    capability: PersonBaseline
    served_satisfaction: PersonBaseline
    work_pressure: float
    time_ratio: float
    overtime_load: float
    job_insecurity: float
    reputation: float
    intenders: int
    storytellers: float


class Links:
    """The live/cut state of every feedback link and the week-0 baseline of the cut ones.

    Every link is live while the world warms up; the configured cuts start at week 0.
    """

    def __init__(self) -> None:
        self.live = FeedbackConfig()
        self._baseline: FeedbackBaseline | None = None
        self.flows: dict[str, float] = {}

    @property
    def baseline(self) -> FeedbackBaseline:
        """The week-0 inputs that cut links are held at (only when a link is cut)."""
        if self._baseline is None:
            raise RuntimeError("no feedback link is cut, so no baseline was recorded")
        return self._baseline

    def start(self, live: FeedbackConfig, baseline: FeedbackBaseline | None) -> None:
        """Apply the configured cuts from now on, holding cut links at ``baseline``."""
        self.live = live
        self._baseline = baseline

    def is_live(self, link: str) -> bool:
        """Whether ``link`` (a ``FeedbackConfig`` field) carries live values."""
        return bool(getattr(self.live, link))

    def firm(self, link: str, live_value: Any, held: str) -> Any:
        """``live_value`` while ``link`` is live, else the baseline's field ``held``."""
        return live_value if self.is_live(link) else getattr(self.baseline, held)

    def staff(
        self, link: str, column: str, table: Any, rows: NDArray[np.int64]
    ) -> NDArray[np.float64]:
        """An employee column for ``rows``: live, or each person's week-0 value when cut."""
        if self.is_live(link):
            values: NDArray[np.float64] = getattr(table, column)[rows]
            return values
        person: PersonBaseline = getattr(self.baseline, column)
        return person.of(rows)

    def track(self, name: str, value: float) -> None:
        """Average a weekly flow over the burn-in (about a quarter's memory)."""
        last = self.flows.get(name)
        self.flows[name] = value if last is None else last + (value - last) / WEEKS_PER_QUARTER
