"""``sim fit-customers``: parameter recovery through the model, the CDNOW sample, bad input."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from sim.compose import compose_config
from sim.configstore import CONFIG_DIR
from sim.customers import command, likelihood
from sim.errors import UserError

RATES = {"mu": 0.15, "sigma": 0.6, "h": 1.0}


def _process_log(seed: int, people: int = 20_000) -> tuple[np.ndarray, ...]:
    """Weekly histories of the fitted process itself with known rates (seeded).

    Each week an alive customer buys with chance p, then drops out with the week's
    hazard (the model's tenure shape), as the likelihood assumes; customers are seen for
    27 to 39 weeks after their first purchase, as CDNOW's cohort is.
    """
    rng = np.random.default_rng(seed)
    shape = likelihood.Shape.default()
    sigma = RATES["sigma"]
    p = np.minimum(RATES["mu"] * rng.lognormal(-0.5 * sigma**2, sigma, people), 1.0)
    n = rng.integers(27, 40, people)
    s = likelihood.survival(RATES["h"], int(n.max()), shape)
    drop = 1.0 - s[1:] / s[:-1]
    alive = np.ones(people, dtype=bool)
    x = np.zeros(people, dtype=np.int64)
    t_x = np.zeros(people, dtype=np.int64)
    for week in range(1, int(n.max()) + 1):
        seen = alive & (week <= n)
        bought = seen & (rng.random(people) < p)
        x += bought
        t_x[bought] = week
        alive &= rng.random(people) >= drop[week - 1]
    return x, t_x, n.astype(np.int64)


def test_fit_recovers_the_known_rates_of_simulated_logs():
    """The fit's 95% intervals cover the known rates about as often as they should.

    Eight logs of 10,000 customers with known purchase and dropout rates: 24 interval
    checks, each covering with probability 0.95 if the standard errors are right, so at
    least 20 cover (a binomial(24, 0.95) falls below that with probability under 1%);
    no estimate is 4 SE out, and the intervals are narrow enough to mean something.
    Measured over seeds 1-20 with 20,000 customers: 56 of 60 covered (0.93); the misses
    were sigma at 2.5-3.1 SE three times and mu at 2.3 SE once (sigma's SE runs somewhat
    small).
    """
    covered, checks = 0, 0
    for seed in range(1, 9):
        fit = likelihood.fit(*_process_log(seed, people=10_000))
        for name, truth in RATES.items():
            estimate, se = getattr(fit, name), fit.se[name]
            assert math.isfinite(se)
            assert 0 < se < 0.1 * truth
            assert abs(estimate - truth) <= 4 * se, (seed, name, estimate, se, truth)
            covered += abs(estimate - truth) <= 1.96 * se
            checks += 1
    assert covered >= 20, f"{covered} of {checks} intervals cover the truth"


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
