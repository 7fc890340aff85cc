"""Policy levers and ``sim optimise`` (Optuna ask/tell over design sweeps) on tiny worlds."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml

from sim.compose import compose_config
from sim.config import ConfigError, ServiceKind
from sim.research import optimise
from sim.research.levers import Lever, lever_values, load_levers, searched, values_of

pytest.importorskip("optuna")


def tiny(people: int = 500, staff: int = 10) -> list[str]:
    """A tiny world: one year (turnover is yearly) after a quarter's burn-in."""
    return [
        f"market.n_customers={people}",
        f"workforce.n_employees={staff}",
        "run.weeks=52",
        "run.burn_in_weeks=13",
    ]


TINY = tiny()


def write_levers(folder: Path, entries: list[dict[str, object]]) -> Path:
    path = folder / "levers.yaml"
    path.write_text(yaml.safe_dump({"levers": entries}), encoding="utf-8")
    return path


# ---------------------------------------------------------------- the levers


def test_declared_levers_load_and_rebuild_the_tiered_policy():
    levers = load_levers()
    keys = [lever.key for lever in levers]
    assert "hr.perks_per_week" in keys
    assert "service.tier_levels[0]" in keys
    assert {lever.kind for lever in levers} == {"range", "choice", "fixed"}
    # The tiered policy bundle, read as lever values and rebuilt, is the bundle itself.
    tiered = compose_config(["policy=tiered_service"])
    values = lever_values(levers, values_of(levers, tiered))
    assert values["service.kind"] == "tiered"
    assert values["service.tier_levels"] == tiered.service.tier_levels
    rebuilt = compose_config(optimise_overrides(values))
    assert rebuilt.service == tiered.service


def optimise_overrides(values: dict[str, object]) -> list[str]:
    return [optimise.override_text(k, v) for k, v in values.items()]


def test_list_elements_not_named_are_interpolated():
    levers = [
        Lever("service.tier_levels[0]", "range", 1.0, 2.0),
        Lever("service.tier_levels[4]", "range", 0.2, 1.0),
    ]
    out = lever_values(levers, {"service.tier_levels[0]": 2.0, "service.tier_levels[4]": 0.2})
    assert out == {"service.tier_levels": pytest.approx([2.0, 1.55, 1.1, 0.65, 0.2])}
    # A list whose searched elements are not chosen is left as configured.
    assert lever_values(levers, {}) == {}


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"key": "hr.perks_per_wek", "range": [0, 1]}, "unknown key 'hr.perks_per_wek'"),
        ({"key": "market.n_customers", "range": [1, 2]}, "not a policy lever; allowed groups"),
        ({"key": "hr.wage_premium", "range": [0, 9]}, "outside what hr.wage_premium allows"),
        ({"key": "hr.wage_premium", "range": [0.3, 0.1]}, "expected [low, high] with low < high"),
        ({"key": "service.kind", "choices": ["uniform", "vip"]}, "'vip' is not an option"),
        ({"key": "service.kind", "range": [0, 1]}, "not numeric; give its choices"),
        ({"key": "service.tier_levels", "range": [0, 1]}, "is a list; make levers of its"),
        ({"key": "service.tier_levels[7]", "range": [0, 1]}, "has elements 0..4"),
        ({"key": "hr.wage_premium", "range": [0, 1], "value": 0.1}, "exactly one of"),
        ({"key": "recovery.empowered", "choices": ["yes", "no"]}, "is not a boolean"),
    ],
)
def test_a_bad_levers_file_is_one_clear_error(tmp_path, entry, message):
    path = write_levers(tmp_path, [entry])
    with pytest.raises(ConfigError, match=r"levers\.yaml: levers\[0\]") as info:
        load_levers(path)
    assert message in str(info.value)


def test_a_lever_declared_twice_or_a_missing_file_is_an_error(tmp_path):
    twice = write_levers(
        tmp_path,
        [{"key": "hr.perks_per_week", "range": [0, 1]}, {"key": "hr.perks_per_week", "value": 2}],
    )
    with pytest.raises(ConfigError, match="declared twice"):
        load_levers(twice)
    with pytest.raises(ConfigError, match="cannot read the levers"):
        load_levers(tmp_path / "missing.yaml")


# --------------------------------------------------------------- the command


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--kpi", "happiness"], "--kpi=happiness: unknown KPI"),
        (["--trials", "0"], "--trials=0: must be a whole number >= 1"),
        (["--confirm", "1"], "--confirm=1: must be a whole number >= 2"),
        (["--max-turnover", "-1"], "--max-turnover=-1.0: must be a share > 0"),
        (["--bogus"], "unrecognized arguments: --bogus"),
        (["hr.perks_per_week=10"], "hr.perks_per_week is a lever"),
        (["policy=tiered_service"], "use --baseline"),
        (["market.n_customers=-5"], "market.n_customers"),
    ],
)
def test_bad_options_are_one_line_errors(tmp_path, argv, message):
    with pytest.raises(ConfigError) as info:
        optimise.parse_settings([*argv, "--out", str(tmp_path / "o")])
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_every_kpi_is_a_summary_field(small_config):
    from sim.runner import run_once

    summary = run_once(small_config(n_customers=200, weeks=52)).summary
    assert set(optimise.KPIS) <= set(summary)


@pytest.fixture(scope="module")
def constrained(tmp_path_factory):
    """Maximise NPV over perks with staff underpaid, subject to turnover <= 0.15.

    Perks cost money, so NPV wants none; but at 10% below market pay and no perks
    about a quarter of the staff quit each year, so the bound forces perks up.
    """
    folder = tmp_path_factory.mktemp("optimise")
    levers = write_levers(folder, [{"key": "hr.perks_per_week", "range": [0, 200]}])
    argv = [
        *("--trials", "4", "--batch", "4", "--replications", "2", "--confirm", "2"),
        *("--max-turnover", "0.15", "--launcher", "basic", "--levers", str(levers)),
        *("--out", str(folder / "out")),
        *TINY,
        "hr.wage_premium=-0.1",
    ]
    import contextlib
    import io

    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        code = optimise.main(argv)
    (folder / "stdout.txt").write_text(printed.getvalue())
    return code, folder / "out"


def test_the_console_writes_money_as_the_report_does(constrained):
    """No scientific notation for a confirmation's CI (issue 20, defect 4)."""
    _, out = constrained
    printed = (out.parent / "stdout.txt").read_text()
    best = next(line for line in printed.splitlines() if line.startswith("best: trial"))
    assert "e+" not in best
    assert "e-" not in best.split(" in ")[0]


def test_the_search_records_every_trial_and_respects_the_constraint(constrained):
    code, out = constrained
    assert code == 0
    history = pd.read_csv(out / "history.csv")
    assert list(history["trial"]) == list(range(4))
    assert (history["state"] == "complete").all()
    assert history.loc[0, "origin"] == "baseline"
    assert history.loc[0, "hr.perks_per_week"] == 0
    # Feasible exactly when the mean turnover is within the bound.
    assert (history["feasible"] == (history["employee_turnover"] <= 0.15)).all()
    # Underpaid staff without perks quit too often: the baseline is infeasible.
    assert not history.loc[0, "feasible"]
    best = yaml.safe_load((out / "best.yaml").read_text(encoding="utf-8"))
    feasible = history[history["feasible"]]
    assert best["search_value"] == pytest.approx(feasible["value"].max())
    # NPV falls with the cost of perks, so the best is the cheapest feasible trial.
    assert best["levers"]["hr.perks_per_week"] == pytest.approx(
        feasible["hr.perks_per_week"].min(), rel=1e-3
    )
    for name in ("report.md", "history.png", "manifest.yaml", "comparison_runs.csv"):
        assert (out / name).is_file(), name


def test_best_yaml_composes_and_the_comparison_is_paired_on_fresh_seeds(constrained):
    _, out = constrained
    best = yaml.safe_load((out / "best.yaml").read_text(encoding="utf-8"))
    config = compose_config([*TINY, "hr.wage_premium=-0.1", *best["overrides"]])
    assert config.hr.perks_per_week == pytest.approx(best["levers"]["hr.perks_per_week"])
    comparison = pd.read_csv(out / "comparison.csv").set_index("metric")
    runs = pd.read_csv(out / "comparison_runs.csv")
    manifest = yaml.safe_load((out / "manifest.yaml").read_text(encoding="utf-8"))
    assert list(runs["seed"]) == sorted(manifest["confirm_seeds"])
    assert not set(manifest["confirm_seeds"]) & set(manifest["search_seeds"])
    diff = runs["npv_profit_best"] - runs["npv_profit_baseline"]
    row = comparison.loc["npv_profit"]
    assert row["n"] == 2
    assert row["diff_mean"] == pytest.approx(diff.mean())
    assert row["diff_ci_low"] <= row["diff_mean"] <= row["diff_ci_high"]
    # Perks buy lower turnover than the baseline's on seeds the search never saw.
    assert comparison.loc["employee_turnover", "diff_mean"] < 0
    report = (out / "report.md").read_text(encoding="utf-8")
    assert "95% CI" in report
    assert "Trial 0 is the baseline itself" in report


@pytest.mark.parametrize(("minimize", "expected"), [(False, 2), (True, 1)])
def test_the_best_trial_is_the_best_feasible_one_in_the_direction_searched(minimize, expected):
    history = pd.DataFrame(
        {
            "trial": [0, 1, 2, 3],
            "value": [5.0, 1.0, 7.0, 9.0],
            "feasible": [True, True, True, False],
            "state": ["complete", "complete", "complete", "complete"],
        }
    )
    settings = optimise.parse_settings(["--small", *(["--minimize"] if minimize else [])])
    assert int(optimise.best_trial(settings, history)["trial"]) == expected
    running = optimise.best_so_far(settings, history).tolist()
    assert running == ([5.0, 1.0, 1.0, 1.0] if minimize else [5.0, 5.0, 7.0, 7.0])
    assert optimise.best_trial(settings, history.assign(feasible=False)) is None


def test_searched_levers_skip_fixed_anchors():
    levers = load_levers()
    assert all(lever.kind != "fixed" for lever in searched(levers))
    assert ServiceKind.tiered.name in next(lv for lv in levers if lv.key == "service.kind").choices


# ---------------------------------------------------------------- storage and resume


@pytest.fixture(scope="module")
def resumed(tmp_path_factory):
    """Two trials on a tiny world, then ``--resume`` with two more (issue 20)."""
    import contextlib
    import io

    import optuna

    from sim.research.optimise.search import STUDY_NAME, storage_url

    folder = tmp_path_factory.mktemp("resume")
    levers = write_levers(folder, [{"key": "hr.perks_per_week", "range": [0, 200]}])
    out = folder / "out"
    argv = [
        *("--trials", "2", "--batch", "2", "--replications", "1", "--confirm", "2"),
        *("--launcher", "basic", "--levers", str(levers), "--out", str(out)),
        *tiny(200, 4),
    ]
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        first_code = optimise.main(argv)
    first = optuna.load_study(study_name=STUDY_NAME, storage=storage_url(out))
    before = [(t.number, t.params, t.values, t.datetime_complete) for t in first.trials]
    with contextlib.redirect_stdout(printed):
        second_code = optimise.main(["--resume", str(out), "--trials", "2", "--launcher", "basic"])
    study = optuna.load_study(study_name=STUDY_NAME, storage=storage_url(out))
    return first_code, second_code, before, study, out, printed.getvalue()


def test_resume_adds_trials_to_the_same_study_without_rerunning_any(resumed):
    first_code, second_code, before, study, out, _ = resumed
    assert first_code == 0
    assert second_code == 0
    assert len(study.trials) == 4
    after = [(t.number, t.params, t.values, t.datetime_complete) for t in study.trials[:2]]
    assert after == before  # the first two are untouched, not run again
    assert (out / "study.db").is_file()
    history = pd.read_csv(out / "history.csv")
    assert list(history["trial"]) == [0, 1, 2, 3]
    assert list(history["batch"]) == [0, 0, 1, 1]
    assert sorted(p.name for p in (out / "search").iterdir()) == ["batch-000", "batch-001"]
    manifest = yaml.safe_load((out / "manifest.yaml").read_text(encoding="utf-8"))
    assert manifest["trials"] == 2
    assert len(manifest["resumed"]) == 1
    report = (out / "report.md").read_text(encoding="utf-8")
    assert "4 trials" in report
    assert "--resume" in report


def test_resume_refuses_options_that_would_change_the_search(resumed, tmp_path):
    out = resumed[4]
    with pytest.raises(ConfigError, match="drop --kpi"):
        optimise.parse_settings(["--resume", str(out), "--kpi", "annual_retention"])
    with pytest.raises(ConfigError, match="drop overrides"):
        optimise.parse_settings(["--resume", str(out), "run.weeks=60"])
    with pytest.raises(ConfigError, match="sim optimise folder"):
        optimise.parse_settings(["--resume", str(tmp_path)])


def test_best_equal_to_the_baseline_is_no_improvement_not_a_finding(tmp_path):
    """Issue 20, defect 4: never "+0 [+0, +0]"; say how many trials found nothing."""
    from sim.research.optimise.report import write_report

    settings = optimise.parse_settings(["--small", "--out", str(tmp_path)])
    tmp_path.mkdir(exist_ok=True)
    history = pd.DataFrame(
        {
            "trial": [0, 1, 2],
            "origin": ["baseline", "tpe", "tpe"],
            "value": [5.0, 1.0, 2.0],
            "employee_turnover": [0.1, 0.1, 0.1],
            "feasible": [True, True, True],
            "state": ["complete"] * 3,
            **{lever.key: [0.0, 1.0, 2.0] for lever in searched(settings.levers)},
        }
    )
    trial = optimise.best_trial(settings, history)
    assert trial is not None
    assert trial["origin"] == "baseline"
    path = write_report(settings, history, trial, {}, pd.DataFrame(), 1.0, 6)
    report = path.read_text(encoding="utf-8")
    assert "No improvement found in 3 trials" in report
    assert "+0 [" not in report
    assert "Best vs" not in report
    assert "Confirmed improvement" not in report
