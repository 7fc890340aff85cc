"""``sim calibrate``: declared targets, the fit's pieces, and parameter recovery."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from scipy import stats

from sim.calibration.command import FITTED, main
from sim.calibration.declaration import Parameter, Target, read_declaration
from sim.calibration.fit import (
    CHI2_95_ONE,
    Objective,
    fit_surrogate,
    identifiability,
    latin_hypercube,
    minimise,
    profile_interval,
    profiles,
    starting_points,
    to_unit,
)
from sim.calibration.moments import (
    RunTables,
    cohort_barnacle_share,
    cohort_butterfly_share,
    cohort_duration_profit_correlation,
)
from sim.compose import compose_config
from sim.config import ConfigError, SimConfig

ROOT = Path(__file__).resolve().parent.parent


# --- The declared calibration ------------------------------------------------------------


def test_the_default_declaration_reads_and_names_its_facts():
    d = read_declaration("default")
    assert len(d.targets) >= len(d.parameters)
    assert {t.fact for t in d.targets} >= {"SF6a", "SF6b", "SF32"}
    assert all(t.sd > 0 for t in d.targets)
    assert {p.level for p in d.patterns} == {"customer", "customer base", "firm"}


def _write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "decl.yaml"
    path.write_text(text, encoding="utf-8")
    return str(path)


BASE = """
world: {overrides: []}
design: {points: 12, seeds: 1, confirm_seeds: 3, root_seed: 1}
targets:
  - {name: sat, statistic: customer_satisfaction, value: 0.77, sd: 0.01}
parameters:
  - {key: behaviour.satisfaction_bias_mean, lo: -0.2, hi: 0.0}
"""


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("customer_satisfaction", "happiness", r"targets\[0\]\.statistic: unknown 'happiness'"),
        ("behaviour.satisfaction_bias_mean", "behaviour.nope", "unknown key 'behaviour.nope'"),
        ("lo: -0.2, hi: 0.0", "lo: 0.1, hi: 0.0", r"need -0\.5 <= lo < hi <= 0\.5"),
        ("sd: 0.01", "sd: 0", r"targets\[0\]\.sd: must be > 0"),
        ("points: 12", "points: 3", "points x seeds must exceed 4"),
    ],
)
def test_a_bad_declaration_is_one_clear_error(tmp_path, old, new, message):
    with pytest.raises(ConfigError, match=message):
        read_declaration(_write(tmp_path, BASE.replace(old, new)))


def test_more_free_parameters_than_targets_is_refused(tmp_path):
    text = BASE + "  - {key: behaviour.retention_threshold_mean, lo: 0.4, hi: 0.6}\n"
    with pytest.raises(ConfigError, match="1 targets cannot identify 2 free parameters"):
        read_declaration(_write(tmp_path, text))


def test_a_pattern_reports_an_unknown_statistic_by_name(tmp_path):
    text = BASE + "patterns:\n  - {name: p, bands: {nps: [0, 50]}, reported: [nonesuch]}\n"
    with pytest.raises(ConfigError, match=r"patterns\[0\]\.reported\.statistic: unknown"):
        read_declaration(_write(tmp_path, text))


def _tables(weeks: int, rows: list[dict]) -> RunTables:
    return RunTables({"weeks": weeks}, pd.DataFrame(rows), {})


def test_sf36_is_measured_on_a_cohort_against_contribution():
    """Reinartz and Kumar's design: the first recorded year's new customers only, their
    observed duration (to the exit, or the end for those still served) against revenue
    less every cost but staff time."""
    cohort = [
        # first won in week 10, left in week 60: 50 weeks; contribution 100 - (80 - 30) = 50
        {
            "first_acquired_week": 10,
            "last_exit_week": 60,
            "status": "rival",
            "lifetime_revenue": 100.0,
            "lifetime_cost": 80.0,
            "lifetime_staff_cost": 30.0,
        },
        # first won in week 20, still served at week 120: 100 weeks; 300 - (250 - 150) = 200
        {
            "first_acquired_week": 20,
            "last_exit_week": -1,
            "status": "focal",
            "lifetime_revenue": 300.0,
            "lifetime_cost": 250.0,
            "lifetime_staff_cost": 150.0,
        },
        # first won in week 40, left in week 115: 75 weeks; 200 - (190 - 65) = 75
        {
            "first_acquired_week": 40,
            "last_exit_week": 115,
            "status": "prospect",
            "lifetime_revenue": 200.0,
            "lifetime_cost": 190.0,
            "lifetime_staff_cost": 65.0,
        },
    ]
    outside = [  # a week-0 customer and one won after the first year: not in the cohort
        {
            "first_acquired_week": 0,
            "last_exit_week": -1,
            "status": "focal",
            "lifetime_revenue": 1e6,
            "lifetime_cost": 0.0,
            "lifetime_staff_cost": 0.0,
        },
        {
            "first_acquired_week": 80,
            "last_exit_week": 81,
            "status": "rival",
            "lifetime_revenue": 0.0,
            "lifetime_cost": 1e6,
            "lifetime_staff_cost": 0.0,
        },
    ]
    t = _tables(120, cohort + outside)
    expected = np.corrcoef([50, 100, 75], [50, 200, 75])[0, 1]
    assert cohort_duration_profit_correlation(t) == pytest.approx(expected, rel=1e-12)
    # Median split (strictly above the median): the 100-week customer is long and rich.
    assert cohort_butterfly_share(t) == 0.0
    assert cohort_barnacle_share(t) == 0.0


def test_an_unknown_declaration_names_the_known_ones():
    with pytest.raises(ConfigError, match="allowed: default, quick"):
        read_declaration("nonesuch")


def test_a_bad_declaration_writes_nothing(tmp_path, capsys):
    bad = _write(tmp_path, BASE.replace("customer_satisfaction", "happiness"))
    assert main(["--declaration", bad, "--results-dir", str(tmp_path / "out")]) == 2
    assert "happiness" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


# --- The fitted set is the default ------------------------------------------------------


def _fitted_values() -> dict[str, float]:
    data = yaml.safe_load(FITTED.read_text(encoding="utf-8"))
    return {f"{g}.{k}": float(v) for g, values in data.items() for k, v in values.items()}


def test_the_schema_defaults_are_the_installed_fit():
    """A Python ``SimConfig()`` and ``sim run`` run the same calibrated world."""
    schema = SimConfig()
    for key, value in _fitted_values().items():
        group, _, name = key.partition(".")
        assert getattr(getattr(schema, group), name) == pytest.approx(value), key
    composed = compose_config([])
    assert composed == compose_config(["calibration=fitted"])


def test_calibration_none_restores_the_hand_set_values():
    hand = yaml.safe_load((ROOT / "configs/calibration/none.yaml").read_text(encoding="utf-8"))
    cfg = compose_config(["calibration=none"])
    for group, values in hand.items():
        for name, value in values.items():
            assert getattr(getattr(cfg, group), name) == pytest.approx(value)


# --- The fit's pieces, on known functions ------------------------------------------------

PARAMS = [Parameter("a.x", 0.0, 2.0), Parameter("a.y", -1.0, 1.0)]


def _known_world(design: pd.DataFrame) -> pd.DataFrame:
    """Two statistics with known quadratic responses (no noise)."""
    x, y = design["a.x"].to_numpy(), design["a.y"].to_numpy()
    return pd.DataFrame({"m1": 1.0 + 2.0 * x + 0.5 * x * y, "m2": 3.0 - y + 0.25 * y**2})


def test_the_surrogate_recovers_a_quadratic_and_the_fit_its_optimum():
    design = latin_hypercube(PARAMS, 30, seed=3)
    unit = to_unit(PARAMS, design.to_numpy())
    surrogate = fit_surrogate(unit, _known_world(design))
    assert min(surrogate.r_squared.values()) > 0.999999
    truth = pd.DataFrame({"a.x": [1.2], "a.y": [0.3]})
    values = _known_world(truth).iloc[0]
    targets = (Target("t1", "m1", values["m1"], 0.01), Target("t2", "m2", values["m2"], 0.01))
    objective = Objective(targets, surrogate)
    best, distance = minimise(objective, starting_points(objective, unit))
    assert distance < 1e-8
    assert best * [2.0, 2.0] + [0.0, -1.0] == pytest.approx([1.2, 0.3], abs=1e-4)


def test_identifiability_gives_the_linear_models_covariance_and_flags_a_flat_parameter():
    design = latin_hypercube(PARAMS, 20, seed=4)
    unit = to_unit(PARAMS, design.to_numpy())
    x, y = design["a.x"].to_numpy(), design["a.y"].to_numpy()
    # m1 = 2x + y, m2 = x: the covariance is (G' W G)^-1 with G = [[2, 1], [1, 0]].
    observed = pd.DataFrame({"m1": 2 * x + y, "m2": x})
    targets = (Target("t1", "m1", 2.0, 0.1), Target("t2", "m2", 1.0, 0.2))
    objective = Objective(targets, fit_surrogate(unit, observed))
    best, _ = minimise(objective, np.array([[0.5, 0.5]]))
    ident = identifiability(objective, best, np.array([2.0, 2.0]))
    g = np.array([[2.0, 1.0], [1.0, 0.0]])
    expected = np.linalg.inv(g.T @ np.diag([1 / 0.01, 1 / 0.04]) @ g)
    assert ident.identified
    assert ident.standard_errors == pytest.approx(np.sqrt(np.diag(expected)), rel=1e-4)
    profile = profiles(objective, PARAMS, best)
    lo, hi, closed = profile_interval(profile, "a.x")
    assert closed
    assert lo < 1.0 < hi
    # A statistic that ignores y leaves y unidentified: flat profile, no SE.
    flat = Objective((Target("t1", "m2", 1.0, 0.2),), fit_surrogate(unit, pd.DataFrame({"m2": x})))
    best, _ = minimise(flat, np.array([[0.5, 0.5]]))
    assert not identifiability(flat, best, np.array([2.0, 2.0])).identified
    flat_profile = profiles(flat, PARAMS, best)
    assert flat_profile[flat_profile["parameter"] == "a.y"]["rise"].max() < CHI2_95_ONE
    assert not profile_interval(flat_profile, "a.y")[2]


# --- Parameter recovery, end to end on Hydra's launcher -----------------------------------


@pytest.fixture(scope="module")
def recovery(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("calibrate")
    assert main(["--quick", "--results-dir", str(out), "--jobs", "2"]) == 0
    (folder,) = (out / "calibration").iterdir()
    return folder


def test_quick_calibration_recovers_the_known_parameters(recovery):
    """Targets made by the model at a known set are fitted back within their CIs.

    One claim over every parameter and target at once, so each comparison gets a
    Bonferroni-corrected interval (family-wise 95%): six separate 95% checks would
    all pass only about three times in four even when the method is right. Measured
    with the declaration's root seed 7 and with root seeds 1-4: all five pass, the
    largest parameter |z| 0.93 and target |z| 1.85 (limit 2.64).
    """
    fit = json.loads((recovery / "fit.json").read_text(encoding="utf-8"))
    truth = fit["truth"]
    assert set(fit["recovered"]) == set(truth)
    z = float(stats.norm.ppf(1 - 0.05 / (2 * (len(truth) + len(fit["targets"])))))
    for key, value in truth.items():
        se = fit["standard_errors"][key]
        assert math.isfinite(se)
        assert se > 0
        assert abs(fit["fitted"][key] - value) <= z * se, (key, fit)
    for target in fit["targets"]:
        assert abs(target["z"]) <= z, target


def test_a_resumed_calibration_keeps_its_declaration_and_redoes_nothing(recovery):
    before = json.loads((recovery / "fit.json").read_text(encoding="utf-8"))
    runs = sorted(p.stat().st_mtime for p in recovery.glob("*/runs/*/p*/s*/summary.json"))
    assert main(["--resume", str(recovery), "--jobs", "2"]) == 0
    after = json.loads((recovery / "fit.json").read_text(encoding="utf-8"))
    assert after["declaration"] == "quick"
    assert after["fitted"] == before["fitted"]
    assert sorted(p.stat().st_mtime for p in recovery.glob("*/runs/*/p*/s*/summary.json")) == runs


def test_resume_refuses_a_folder_that_is_not_a_calibration(tmp_path, capsys):
    assert main(["--resume", str(tmp_path)]) == 2
    assert "not a calibration folder" in capsys.readouterr().err


def test_quick_calibration_leaves_a_report_a_fitted_option_and_every_run(recovery):
    names = {p.name for p in recovery.iterdir()}
    assert {"report.md", "fit.json", "runs.csv", "profiles.csv", "fitted.yaml"} <= names
    assert {"truth", "design", "confirm"} <= names  # the Hydra design sweeps' folders
    runs = pd.read_csv(recovery / "runs.csv")
    assert len(runs) == read_declaration("quick").points
    report = (recovery / "report.md").read_text(encoding="utf-8")
    assert "Parameter recovery" in report
    assert "| recovered |" in report
    fitted = yaml.safe_load((recovery / "fitted.yaml").read_text(encoding="utf-8"))
    assert set(fitted) == {"behaviour", "workforce"}
    # The quick fit never replaces the installed one.
    assert "quick" not in FITTED.read_text(encoding="utf-8")
