"""The research toolkit for people who script: flat sweep tables and ``sim.research.api``."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from sim.launch import run_design
from sim.research import api

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


# ---------------------------------------------------------------- sim.research.api


def _quits(run) -> float:
    """A researcher's own KPI over a weekly column."""
    return float(run.weekly["quits"].sum())


def _top_customer_revenue(run) -> float:
    """A researcher's own KPI over the customer ledger."""
    return float(run.customers["lifetime_revenue"].max())


KPIS = {"quits": _quits, "top_revenue": _top_customer_revenue}


def test_evaluate_in_process_gives_one_row_per_point_and_seed_with_own_kpis():
    from sim.research import base_config, evaluate

    world = base_config(customers=200, weeks=26)
    points = {"hr.perks_per_week": [0.0, 80.0]}
    table = evaluate(points, seeds=[3, 4], world=world, kpis=KPIS)
    assert list(table.columns) == ["point", "seed", "hr.perks_per_week", "quits", "top_revenue"]
    assert list(zip(table["point"], table["seed"], strict=True)) == [(0, 3), (0, 4), (1, 3), (1, 4)]
    assert (table["top_revenue"] > 0).all()
    summary = evaluate({"hr.perks_per_week": 0.0}, seeds=1, world=world, kpis=["npv_profit"])
    assert list(summary.columns) == ["point", "seed", "hr.perks_per_week", "npv_profit"]


def test_evaluate_through_a_joblib_sweep_matches_the_in_process_runs(tmp_path):
    """The same code path: a Hydra multirun gives the very numbers run_once gives."""
    from sim.research.api import base_config, evaluate

    world = base_config(["hr.wage_premium=-0.05"], customers=200, weeks=26)
    points = pd.DataFrame({"hr.perks_per_week": [0.0, 80.0]})
    kpis = {**KPIS, "npv": lambda run: run.summary["npv_profit"]}
    here = evaluate(points, seeds=[3, 4], world=world, kpis=kpis)
    swept = evaluate(points, seeds=[3, 4], world=world, kpis=kpis, folder=tmp_path, jobs=2)
    pd.testing.assert_frame_equal(here, swept)
    runs = pd.read_parquet(tmp_path / "runs.parquet")
    # The world entered the sweep as constant design columns, besides the points.
    assert (runs["hr.wage_premium"] == -0.05).all()
    assert (runs["market.n_customers"] == 200).all()
    assert len(runs) == 4
    # Overrides as the world run the same sweep.
    overrides = [
        "hr.wage_premium=-0.05",
        "market.n_customers=200",
        "workforce.n_employees=2",
        "run.burn_in_weeks=13",
        "run.weeks=26",
    ]
    again = evaluate(points, [3, 4], overrides, kpis, folder=tmp_path / "o", launcher="basic")
    pd.testing.assert_frame_equal(here, again)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"hr.perkz": [1]}, "unknown key 'hr.perkz'; allowed keys in hr: wage_premium"),
        ({"hr.perks_per_week": [-1]}, r"hr.perks_per_week=-1.0: out of range; allowed"),
        ({"hr.perks_per_week": ["x"]}, "not a number; allowed: a number in"),
        ({"service.kind": ["best"]}, "unknown option; allowed: uniform, tiered"),
        ({"hr.perks_per_week": [1, 2], "hr.wage_premium": [0]}, "as many values"),
    ],
)
def test_bad_points_are_one_clear_error_before_anything_runs(values, message, tmp_path):
    from sim.config import ConfigError
    from sim.research.api import base_config, evaluate

    with pytest.raises(ConfigError, match=message):
        evaluate(values, [0], base_config(customers=200, weeks=26), folder=tmp_path / "x")
    assert not (tmp_path / "x").exists()


def test_unknown_kpi_names_the_allowed_ones():
    from sim.config import ConfigError
    from sim.research.api import evaluate

    with pytest.raises(ConfigError, match="unknown KPI 'profit'; allowed: npv_profit"):
        evaluate({"hr.perks_per_week": [0]}, [0], kpis=["profit"])


def test_the_api_page_runs_as_documented():
    """docs/research/api.md drives SALib, Optuna (with resume) and EMA + PRIM from Python."""
    import doctest
    from pathlib import Path

    page = Path(__file__).resolve().parents[1] / "docs" / "research" / "api.md"
    result = doctest.testfile(
        str(page),
        module_relative=False,
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
    )
    assert result.failed == 0
    assert result.attempted > 30


TINY_WORLD = [
    "market.n_customers=500",
    "workforce.n_employees=5",
    "run.weeks=52",
    "run.burn_in_weeks=13",
]


def test_api_sensitivity_returns_the_indices_of_every_parameter(tmp_path):
    ranges = {"behaviour.loss_weight": (1.5, 2.5), "workforce.quit_per_year": (0.1, 0.3)}
    indices = api.sensitivity(
        tmp_path / "morris",
        ranges,
        kpis=("npv_profit",),
        method="morris",
        samples=4,
        replications=1,
        world=TINY_WORLD,
        jobs=1,
    )
    assert set(indices["parameter"]) == set(ranges)
    assert {"mu_star", "sigma"} <= set(indices.columns)
    assert (tmp_path / "morris" / "runs.parquet").is_file()


def test_api_loops_returns_the_attribution_and_where_the_runs_are(tmp_path):
    table = api.loops(
        "layoff_spiral",
        links=["overtime_fatigue"],
        smoke=True,
        replications=2,
        results_dir=tmp_path,
        jobs=1,
        world=["market.n_customers=500", "workforce.n_employees=5"],
    )
    assert set(table["link"]) == {"overtime_fatigue"}
    assert {"policy", "full_diff"} <= set(table.columns)
    assert (Path(table.attrs["folder"]) / "report.md").is_file()
