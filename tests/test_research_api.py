"""The research toolkit for people who script: flat sweep tables and ``sim.research.api``."""

from __future__ import annotations

import pandas as pd

from sim.launch import run_design

WORLD = [
    "market.n_customers=200",
    "workforce.n_employees=4",
    "run.weeks=52",
    "run.burn_in_weeks=0",
]


def test_a_design_sweep_writes_one_flat_runs_table(tmp_path):
    """Issue 20: policy, point, seed, every parameter and every summary KPI, one row a run."""
    from sim.kpis import SUMMARY_KPIS

    design = pd.DataFrame({"hr.perks_per_week": [0.0, 50.0], "pricing.price_index": [1.0, 1.1]})
    returned = run_design(tmp_path, design, [1, 2], fixed=WORLD, launcher="basic")
    parquet = pd.read_parquet(tmp_path / "runs.parquet")
    csv = pd.read_csv(tmp_path / "runs.csv")
    for table in (parquet, csv):
        assert len(table) == 2 * 2
        assert list(table.columns[:5]) == [
            "policy",
            "point",
            "seed",
            "hr.perks_per_week",
            "pricing.price_index",
        ]
        assert set(SUMMARY_KPIS) <= set(table.columns)
        assert sorted(zip(table["point"], table["seed"], strict=True)) == [
            (0, 1), (0, 2), (1, 1), (1, 2)
        ]  # fmt: skip
    assert set(parquet["policy"]) == {"baseline"}
    assert parquet["hr.perks_per_week"].tolist() == [0.0, 0.0, 50.0, 50.0]
    pd.testing.assert_frame_equal(parquet, returned)
    pd.testing.assert_series_equal(parquet["npv_profit"], csv["npv_profit"])
