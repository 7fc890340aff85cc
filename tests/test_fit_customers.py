"""``sim fit-customers``: parameter recovery through the model, the CDNOW sample, bad input."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from sim.compose import compose_config
from sim.configstore import CONFIG_DIR
from sim.customers import command, forecast, likelihood, mapping
from sim.errors import UserError

TRUE = {"visits_per_week": 0.15, "visit_dispersion": 0.6, "churn_multiplier": 2.0}


def _simulated_histories(seed: int, worlds: int = 4, people: int = 5000, weeks: int = 39):
    """A log of the model's own new customers, pooled over a few worlds (seeds)."""
    parts = []
    for w in range(worlds):
        cfg = forecast.closed_world(TRUE, people, 1.0, people * TRUE["visits_per_week"])
        bought = forecast.simulate_new_customers(cfg, weeks, seed * 100 + w)
        parts.append(forecast.histories_of(bought, np.full(people, weeks)))
    return (np.concatenate(a) for a in zip(*parts, strict=True))


@pytest.mark.parametrize("seed", [3])
def test_fit_recovers_the_models_own_settings(seed):
    """20,000 customers simulated by the model: the known settings lie in the fit's 95% CIs."""
    x, t_x, n = _simulated_histories(seed)
    fit = likelihood.fit(x, t_x, n)
    spend = likelihood.SpendFit(70.0, 0.9, 1.0, 0.01)
    mapped = mapping.map_fit(fit, spend, n, seed + 1000, probe_people=20_000)
    for key, truth in TRUE.items():
        estimate, se = mapped.market[key], mapped.se[key]
        assert math.isfinite(se)
        assert se > 0
        assert abs(estimate - truth) <= 1.96 * se, (key, estimate, se, truth)
        assert se / truth < 0.1  # a real test: the intervals are narrow


def test_likelihood_of_a_known_history_by_hand():
    """One customer, p fixed by sigma -> 0: the formula of the module docstring."""
    shape = likelihood.Shape(0.0, 52.0)
    mu, h = 0.3, 5.2
    theta = np.log([mu, 1e-6, h])
    g = likelihood.Groups.of(np.array([1]), np.array([2]), np.array([3]))
    d = 1 - math.exp(-h / 52)
    s = [(1 - d) ** j for j in range(4)]
    # x=1 at week 2 (no purchase in week 1), nothing in week 3.
    bracket = (s[1] - s[2]) + s[2] * (1 - mu)
    expected = math.log(mu * (1 - mu) * bracket)
    assert likelihood.log_likelihood(theta, g, shape) == pytest.approx(expected, rel=1e-6)


OPTION = "test_fit_customers_sample"


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory):
    """``sim fit-customers cdnow-sample --split 1997-09-30``, once; its option removed after."""
    out = tmp_path_factory.mktemp("fit") / "out"
    args = ["cdnow-sample", "--split", "1997-09-30", "--out", str(out), "--name", OPTION]
    try:
        assert command.main([*args, "--replications", "3"]) == 0
        yield out, json.loads((out / "holdout.json").read_text())
    finally:
        (CONFIG_DIR / "customer_base" / f"{OPTION}.yaml").unlink(missing_ok=True)


def test_cdnow_sample_end_to_end(sample_run):
    out, data = sample_run
    assert data["cohort_size"] == 2357
    assert data["calibration_weeks"] == 39
    assert data["holdout_weeks"] == 39
    assert math.isfinite(data["model_mape_cum"])
    assert math.isfinite(data["bgnbd_mape_cum"])
    assert len(data["holdout"]["model_cum"]) == 39
    assert [r["frequency"] for r in data["conditional_expectations"]][-1] == "7+"
    assert sorted(p.name for p in (out / "figures").iterdir()) == [
        "conditional.png",
        "cumulative.png",
        "weekly.png",
    ]
    cfg = compose_config([f"customer_base={OPTION}"])
    assert cfg.market.visits_per_week == pytest.approx(
        data["model_config"]["market.visits_per_week"], rel=1e-5
    )
    assert (out / f"customer_base_{OPTION}.yaml").is_file()


@pytest.mark.xfail(
    strict=True,
    reason="goal not met: the model's customer world (one dropout hazard for everyone, "
    "by tenure) forecasts CDNOW's holdout about 3x worse than BG/NBD (docs/customers.md)",
)
def test_model_within_one_and_a_half_times_bgnbd_on_the_sample(sample_run):
    _, data = sample_run
    assert data["model_mape_cum"] <= 1.5 * data["bgnbd_mape_cum"]


def _left(tmp_path: Path) -> list[str]:
    return sorted(p.name for p in tmp_path.rglob("*"))


def test_missing_column_is_named_and_nothing_is_written(tmp_path):
    log = tmp_path / "log.csv"
    log.write_text("customer_id,date\n1,2024-01-01\n")
    with pytest.raises(UserError, match=r"missing column\(s\) amount; required columns: "):
        command.main([str(log), "--split", "2024-02-01", "--out", str(tmp_path / "out")])
    assert _left(tmp_path) == ["log.csv"]
    assert not (CONFIG_DIR / "customer_base" / "log.yaml").exists()


@pytest.mark.parametrize("split", ["1990-01-01", "1998-06-30", "not-a-date"])
def test_bad_split_is_an_error_naming_the_range(tmp_path, split):
    out = tmp_path / "out"
    with pytest.raises(UserError, match="--split"):
        command.main(["cdnow-sample", "--split", split, "--out", str(out), "--name", "zz_never"])
    assert not out.exists()
    assert not (CONFIG_DIR / "customer_base" / "zz_never.yaml").exists()


def test_range_is_in_the_message():
    with pytest.raises(UserError, match=r"1997-01-01 to 1998-06-30"):
        command.main(["cdnow-sample", "--split", "1999-01-01", "--name", "zz_never"])


def test_an_option_not_written_by_the_command_is_not_overwritten():
    with pytest.raises(UserError, match="not written by sim fit-customers"):
        command.main(["cdnow-sample", "--split", "1997-09-30", "--name", "synthetic"])
