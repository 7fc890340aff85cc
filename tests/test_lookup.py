"""Lookups must give exactly what the direct computation gives."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sim import chain
from sim.lookup import MIN_BUCKETED_QUERIES, TenureCurves, WholeWeekTable, search_right


@settings(max_examples=60, deadline=None)
@given(
    weights=st.lists(st.one_of(st.just(0.0), st.floats(1e-6, 5.0)), min_size=1, max_size=300),
    seed=st.integers(0, 2**32 - 1),
    queries=st.sampled_from([10, MIN_BUCKETED_QUERIES, 3 * MIN_BUCKETED_QUERIES]),
)
def test_search_right_is_searchsorted(weights, seed, queries):
    cumulative = np.cumsum(weights)
    rng = np.random.default_rng(seed)
    x = rng.random(queries) * cumulative[-1]
    # Queries exactly on edges, just below them, and at both ends are the hard cases.
    k = min(queries, cumulative.size)
    x[:k] = cumulative[:k]
    x[k : 2 * k] = np.nextafter(cumulative[: len(x[k : 2 * k])], -np.inf)
    x[-1], x[-2] = 0.0, cumulative[-1]
    expected = np.searchsorted(cumulative, x, side="right")
    assert np.array_equal(search_right(cumulative, x), expected)


def test_search_right_with_no_weight_at_all():
    cumulative = np.zeros(5)
    x = np.zeros(MIN_BUCKETED_QUERIES)
    assert np.array_equal(search_right(cumulative, x), np.full(x.size, 5))


def test_tenure_tables_match_the_formula_and_grow():
    curves = TenureCurves()
    t = np.array([0.0, 1.0, 51.0, 5_000.0, 20_000.0])
    for curve, params in (
        (chain.spend_multiplier, (1.8, 104.0)),
        (chain.cost_to_serve_multiplier, (1.6, 26.0)),
        (chain.tenure_hazard_factor, (1.0, 26.0)),
    ):
        assert np.array_equal(curves(curve, t, *params), curve(t, *params))
    # A different parameter set is a different table.
    assert not np.array_equal(
        curves(chain.spend_multiplier, t, 1.2, 104.0), curves(chain.spend_multiplier, t, 1.8, 104.0)
    )


def test_whole_week_table_accepts_empty_input():
    table = WholeWeekTable(lambda t: t * 2.0)
    assert table(np.zeros(0)).size == 0


def test_tenures_that_are_not_whole_weeks_are_computed_not_truncated():
    curves = TenureCurves()
    t = np.array([0.5, 3.0, 1e6 + 0.25])
    assert np.array_equal(
        curves(chain.spend_multiplier, t, 1.8, 104.0), chain.spend_multiplier(t, 1.8, 104.0)
    )
