"""The EMA Workbench adapter and ``sim ema`` (experiments, pairing, PRIM) on a tiny world."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml

from sim.config import ConfigError, ServiceKind
from sim.research import ema
from sim.research.levers import identifier, load_levers
from sim.research.uncertainties import load_uncertainties
from sim.units import WEEKS_PER_YEAR

pytest.importorskip("ema_workbench")

TINY = [
    "market.n_customers=300",
    "workforce.n_employees=3",
    "run.weeks=104",
    "run.burn_in_weeks=13",
]
SCENARIOS = 8


@pytest.fixture(scope="module")
def worked(tmp_path_factory):
    out = tmp_path_factory.mktemp("ema") / "out"
    argv = ["--scenarios", str(SCENARIOS), "--jobs", "1", "--out", str(out), *TINY]
    code = ema.main(argv)
    return code, out


def test_experiments_pair_every_scenario_under_both_policies(worked):
    _, out = worked
    experiments = pd.read_csv(out / "experiments.csv")
    assert len(experiments) == 2 * SCENARIOS
    assert sorted(experiments["policy"].unique()) == ["tiered_service", "uniform_service"]
    names = [identifier(u.key) for u in load_uncertainties()]
    by_policy = {p: df.set_index("scenario")[names] for p, df in experiments.groupby("policy")}
    # The same uncertainty draw runs under both policies...
    pd.testing.assert_frame_equal(by_policy["uniform_service"], by_policy["tiered_service"])
    # ...and every draw lies in its declared range.
    for u in load_uncertainties():
        column = experiments[identifier(u.key)]
        assert column.between(u.lo, u.hi).all(), u.key
    assert set(experiments["service__kind"]) == {"uniform", "tiered"}


def test_outcome_arrays_have_the_right_shapes(worked):
    from ema_workbench import load_results

    _, out = worked
    experiments, outcomes = load_results(str(out / "results.tar.gz"))
    assert len(experiments) == 2 * SCENARIOS
    for name in ema.SERIES:
        assert outcomes[name].shape == (2 * SCENARIOS, 1, 2), name  # seeds x years
    for name in ema.SCALARS:
        assert outcomes[name].shape == (2 * SCENARIOS,), name
    series = pd.read_csv(out / "series.csv")
    assert len(series) == 2 * SCENARIOS * 2
    # One seed for everything: both policies of a scenario saw the same random draws.
    assert series["seed"].nunique() == 1
    assert np.isfinite(outcomes["npv_profit"]).all()


def test_pairs_are_tiered_minus_uniform_on_the_same_scenario(worked):
    _, out = worked
    pairs = pd.read_csv(out / "pairs.csv")
    outcomes = pd.read_csv(out / "outcomes.csv")
    assert len(pairs) == SCENARIOS
    npv = outcomes.pivot_table(index="scenario", columns="policy", values="npv_profit")
    expected = (npv["tiered_service"] - npv["uniform_service"]).loc[pairs["scenario"]]
    assert pairs["difference"].to_numpy() == pytest.approx(expected.to_numpy())
    assert (pairs["of_interest"] == (pairs["difference"] < 0)).all()


def test_the_command_writes_its_report_and_a_box_when_there_are_losses(worked):
    code, out = worked
    pairs = pd.read_csv(out / "pairs.csv")
    report = (out / "report.md").read_text(encoding="utf-8")
    assert f"in {int(pairs['of_interest'].sum())} of {SCENARIOS} scenarios" in report
    manifest = yaml.safe_load((out / "manifest.yaml").read_text(encoding="utf-8"))
    assert manifest["policies"] == ["uniform_service", "tiered_service"]
    if pairs["of_interest"].any():
        assert code == 0
        assert (out / "prim_box.png").is_file()
        assert "## PRIM box" in report
    else:
        assert code == 1


def test_prim_finds_a_box_inside_the_declared_ranges(worked):
    _, out = worked
    pairs = pd.read_csv(out / "pairs.csv")
    uncertainties = load_uncertainties()
    keys = [u.key for u in uncertainties]
    # Half the scenarios are of interest, whatever the sign of the tiny world's effect.
    y = (pairs["difference"] < pairs["difference"].median()).to_numpy()
    result = ema.discover(pairs[keys], y, uncertainties, min_density=0.6)
    assert result.stats["mass"] < 1
    assert result.stats["density"] >= y.mean()
    assert 0 <= result.stats["coverage"] <= 1
    assert not result.limits.empty
    declared = {u.key: (u.lo, u.hi) for u in uncertainties}
    for row in result.limits.itertuples(index=False):
        lo, hi = declared[row.uncertainty]
        assert lo <= row.box_low <= row.box_high <= hi
        assert (row.box_low, row.box_high) != (lo, hi)
    inside = np.ones(len(pairs), dtype=bool)
    for row in result.limits.itertuples(index=False):
        inside &= pairs[row.uncertainty].between(row.box_low, row.box_high).to_numpy()
    assert inside.mean() == pytest.approx(result.stats["mass"])
    assert y[inside].mean() == pytest.approx(result.stats["density"])


def test_analyse_redoes_prim_on_a_finished_folder_without_new_runs(worked, tmp_path):
    import shutil

    _, out = worked
    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    pairs = pd.read_csv(copy / "pairs.csv")
    median = float(pairs["difference"].median())
    before = {p.name: p.read_bytes() for p in copy.iterdir() if p.is_file()}
    argv = ["--analyse", str(copy), "--threshold", repr(median), "--min-density", "0.6"]
    assert ema.main(argv) == 0
    # The experiments' own report and tables are left as they were (issue 20, defect 6).
    assert {p.name: p.read_bytes() for p in copy.iterdir() if p.is_file()} == before
    (redo,) = (copy / "reanalyses").iterdir()
    again = pd.read_csv(redo / "pairs.csv")
    assert (again["of_interest"] == (again["difference"] < median)).all()
    assert (redo / "prim_box.csv").is_file()
    assert "sim ema --analyse" in (redo / "report.md").read_text(encoding="utf-8")
    with pytest.raises(ConfigError, match="is this a sim ema folder"):
        ema.main(["--analyse", str(tmp_path)])


def test_the_function_applies_uncertainties_and_levers():
    levers, uncertainties = load_levers(), load_uncertainties()
    function = ema.SimFunction(tuple(TINY), "baseline", tuple(uncertainties), tuple(levers))
    config = function.config(
        7,
        behaviour__loss_weight=2.25,
        service__kind="tiered",
        service__tier_levels_0=1.8,
        service__tier_levels_4=0.6,
        recovery__empowered=True,
    )
    assert config.seed == 7
    assert config.behaviour.loss_weight == 2.25
    assert config.service.kind is ServiceKind.tiered
    assert config.service.tier_levels == pytest.approx([1.8, 1.4, 1.0, 0.8, 0.6])
    assert config.recovery.empowered is True
    assert config.market.n_customers == 300


def test_a_policy_the_levers_cannot_express_is_refused():
    with pytest.raises(
        ConfigError,
        match=r"'growth_by_discount' sets acquisition.* which the levers cannot express",
    ):
        ema.policy_sample(load_levers(), "growth_by_discount", TINY)


def test_a_bad_levers_file_or_option_is_one_clear_error(tmp_path):
    bad = tmp_path / "levers.yaml"
    bad.write_text("levers:\n  - key: service.kind\n    choices: [uniform, deluxe]\n")
    with pytest.raises(ConfigError, match=r"'deluxe' is not an option of service\.kind"):
        ema.parse_settings(["--levers", str(bad)])
    with pytest.raises(ConfigError, match="expected two different policies"):
        ema.parse_settings(["--policies", "tiered_service"])
    with pytest.raises(ConfigError, match="is an uncertainty or a lever"):
        ema.parse_settings(["behaviour.loss_weight=2"])
    with pytest.raises(ConfigError, match="the yearly outcomes need >= 52"):
        ema.parse_settings(["run.weeks=26"])


def test_yearly_series_sum_and_sample_whole_years():
    weeks = 2 * WEEKS_PER_YEAR + 10
    weekly = pd.DataFrame(
        {
            "profit": np.ones(weeks),
            "customers_focal": np.arange(weeks, dtype=float),
            "quits": np.r_[np.zeros(52), np.ones(52), np.zeros(10)],
            "employee_headcount": np.full(weeks, 26.0),
        }
    )
    out = ema.yearly(weekly)
    assert out["profit"] == [52.0, 52.0]
    assert out["customers"] == [51.0, 103.0]
    assert out["employee_turnover"] == [0.0, 2.0]


def test_box_figure_when_prim_restricts_no_dimension():
    """A box that keeps the whole space has no limit rows (this raised KeyError)."""
    import numpy as np
    import pandas as pd

    from sim.research.ema.discovery import PrimResult
    from sim.research.ema.plots import box_figure

    result = PrimResult(
        trajectory=pd.DataFrame(),
        chosen=0,
        limits=pd.DataFrame(),
        stats={"coverage": 1.0, "density": 0.5, "mass": 1.0},
        steps=pd.DataFrame(),
    )
    table = pd.DataFrame({"a": [0.1, 0.2], "difference": [1.0, -1.0]})
    fig = box_figure(result, table, np.array([True, False]))
    right = fig.axes[1]
    assert "restricted no uncertainty" in right.texts[0].get_text()


def test_prim_limits_with_quasi_p_above_005_are_not_stated_as_a_finding(worked, tmp_path):
    """Issue 20, defect 5: a box whose quasi-p exceeds 0.05 is not put in words."""
    import math
    import shutil

    from sim.research.ema.discovery import stated_conditions

    limits = pd.DataFrame(
        {
            "uncertainty": ["behaviour.loss_weight"],
            "box_low": [2.0],
            "box_high": [3.0],
            "range_low": [1.0],
            "range_high": [3.0],
            "qp_low": [0.737],
            "qp_high": [math.nan],
        }
    )
    words = stated_conditions(limits)
    assert "not significant" in words
    assert "not stated as a finding" in words
    assert ">=" not in words
    assert "0.737" not in words
    assert stated_conditions(limits.assign(qp_low=0.01)) == "behaviour.loss_weight >= 2"
    # The report of a real box follows its quasi-p values.
    _, out = worked
    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    median = float(pd.read_csv(copy / "pairs.csv")["difference"].median())
    assert ema.main(["--analyse", str(copy), "--threshold", repr(median)]) == 0
    (redo,) = (copy / "reanalyses").iterdir()
    box = pd.read_csv(redo / "prim_box.csv")
    report = (redo / "report.md").read_text(encoding="utf-8")
    (line,) = [x for x in report.splitlines() if x.startswith("In words: ")]
    weak = (box[["qp_low", "qp_high"]].fillna(0) > 0.05).to_numpy().any()
    assert ("not stated as a finding" in line) == bool(weak)
    assert ("Statistical flag" in report) == bool(weak)
