"""Lookups that give exactly what the direct computation gives, for less time.

Tenure curves looked up by whole week instead of recomputed for every person each week,
and a bucketed binary search for assigning many visitors to servers.

Tenures in the model are whole weeks (people start at 0 or a floored draw and age a week
at a time), and the tenure curves of ``sim.chain`` (spend growth, cost to serve, the new
customer's hazard) depend on nothing else. So each curve is evaluated once per tenure
and then gathered: a gather costs about a nanosecond per person, ``exp`` about eleven on
a CPU without AVX-512. The table holds the very values the formula gives for the same
input, so lookups change no result.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

type F64 = NDArray[np.float64]

MIN_SIZE = 1_024


class WholeWeekTable:
    """``curve(tenure)`` for arrays of whole-week tenures, from a table that grows on demand.

    Args:
        curve: a vectorised function of tenure in weeks (with its parameters bound).

    >>> from sim import chain
    >>> spend = WholeWeekTable(lambda t: chain.spend_multiplier(t, 1.8, 104.0))
    >>> t = np.array([0.0, 52.0, 5_000.0])
    >>> bool(np.array_equal(spend(t), chain.spend_multiplier(t, 1.8, 104.0)))
    True
    """

    def __init__(self, curve: Callable[[F64], Any]) -> None:
        self._curve = curve
        self._table: F64 = self._evaluate(MIN_SIZE)

    def _evaluate(self, size: int) -> F64:
        table: F64 = np.asarray(self._curve(np.arange(size, dtype=np.float64)), dtype=np.float64)
        return table

    def __call__(self, tenure_weeks: F64) -> F64:
        """The curve at each tenure; computed directly if any is not a whole week >= 0."""
        weeks = tenure_weeks.astype(np.intp)
        if weeks.size == 0:
            return np.zeros(0)
        # A tenure set by hand (a dashboard, a script) need not be whole: never guess it.
        # (ufunc reductions directly: the ndarray methods add ~10 us of wrappers a call.)
        if np.count_nonzero(weeks != tenure_weeks) or int(np.minimum.reduce(weeks)) < 0:
            return np.asarray(self._curve(tenure_weeks), dtype=np.float64)
        longest = int(np.maximum.reduce(weeks))
        if longest >= self._table.size:
            self._table = self._evaluate(max(2 * self._table.size, longest + 1))
        values: F64 = self._table[weeks]
        return values


class TenureCurves:
    """A ``WholeWeekTable`` per tenure curve and parameter set, made on first use.

    ``curves(chain.spend_multiplier, tenure, 1.8, 104.0)`` gives exactly
    ``chain.spend_multiplier(tenure, 1.8, 104.0)``. Keying on the parameters keeps the
    answer right if a run's configuration is replaced between weeks.

    >>> from sim import chain
    >>> curves = TenureCurves()
    >>> t = np.array([3.0, 0.0])
    >>> bool(np.array_equal(curves(chain.tenure_hazard_factor, t, 1.0, 26.0),
    ...                     chain.tenure_hazard_factor(t, 1.0, 26.0)))
    True
    """

    def __init__(self) -> None:
        self._tables: dict[tuple[Callable[..., Any], tuple[float, ...]], WholeWeekTable] = {}

    def __call__(self, curve: Callable[..., Any], tenure_weeks: F64, *params: float) -> F64:
        """``curve(tenure_weeks, *params)``, looked up."""
        key = (curve, params)
        table = self._tables.get(key)
        if table is None:
            table = self._tables[key] = WholeWeekTable(lambda t: curve(t, *params))
        return table(tenure_weeks)


BUCKETS_PER_EDGE = 4
MIN_BUCKETED_QUERIES = 4_096


def search_right(cumulative: F64, x: F64) -> NDArray[np.intp]:
    """``np.searchsorted(cumulative, x, side="right")`` for many unsorted ``x``, faster.

    NumPy's binary search costs ~90 ns a query on a thousand edges (a mispredicted branch
    per level); with 13,000 visitors a week to place among 1,000 servers that was 7% of a
    100,000-customer run, 16 ms a week at 1,000,000. Here each query starts from the
    answer for the left end of a bucket (four buckets per edge, found by one sorted
    search) and walks the few edges left to its own answer, all vectorised. Small
    problems, and a total of zero, use ``np.searchsorted`` itself.

    >>> w = np.cumsum([1.0, 0.0, 2.0, 1.0])
    >>> x = np.linspace(0.0, 4.0, 5_000)
    >>> bool(np.array_equal(search_right(w, x), np.searchsorted(w, x, side="right")))
    True
    """
    n = cumulative.size
    if x.size < MIN_BUCKETED_QUERIES or n == 0 or not cumulative[-1] > 0:
        found: NDArray[np.intp] = np.searchsorted(cumulative, x, side="right")
        return found
    total = float(cumulative[-1])
    buckets = n * BUCKETS_PER_EDGE
    start = np.searchsorted(cumulative, np.arange(buckets) * (total / buckets), side="right")
    at = start[np.minimum(np.maximum(x * (buckets / total), 0).astype(np.intp), buckets - 1)]
    # Rounding may put a bucket's left end an ulp past x: step back where it did.
    back = np.flatnonzero((at > 0) & (cumulative[np.maximum(at - 1, 0)] > x))
    while back.size:
        at[back] -= 1
        back = back[(at[back] > 0) & (cumulative[np.maximum(at[back] - 1, 0)] > x[back])]
    walking = np.arange(x.size)
    while walking.size:
        walking = walking[at[walking] < n]
        walking = walking[cumulative[at[walking]] <= x[walking]]
        at[walking] += 1
    return at
