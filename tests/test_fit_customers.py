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

RATES = {"mu": 0.15, "sigma": 0.6, "h": 0.1, "tau": 0.6}


def _process_log(seed: int, people: int = 20_000) -> tuple[np.ndarray, ...]:
    """Weekly histories of the fitted process itself with known rates (seeded).

    Each week an alive customer buys with chance p and, after a purchase, drops out with
    chance 1 - exp(-h F), as the likelihood assumes; customers are seen for 27 to 39
    weeks after their first purchase, as CDNOW's cohort is.
    """
    rng = np.random.default_rng(seed)
    sigma, tau = RATES["sigma"], RATES["tau"]
    p = np.minimum(RATES["mu"] * rng.lognormal(-0.5 * sigma**2, sigma, people), 1.0)
    drop = -np.expm1(-RATES["h"] * rng.lognormal(-0.5 * tau**2, tau, people))
    n = rng.integers(27, 40, people)
    alive = np.ones(people, dtype=bool)
    x = np.zeros(people, dtype=np.int64)
    t_x = np.zeros(people, dtype=np.int64)
    for week in range(1, int(n.max()) + 1):
        seen = alive & (week <= n)
        bought = seen & (rng.random(people) < p)
        x += bought
        t_x[bought] = week
        alive &= ~(bought & (rng.random(people) < drop))
    return x, t_x, n.astype(np.int64)


def test_fit_recovers_the_known_rates_of_simulated_logs():
    """The fit's 95% intervals cover the known rates about as often as they should.

    Four logs of 10,000 customers with known purchase and dropout rates: 16 interval
    checks, each covering with probability 0.95 if the standard errors are right, so at
    least 13 cover (a binomial(16, 0.95) falls below that with probability 0.7%); no
    estimate is 4 SE out, and the intervals are narrow enough to mean something.
    Measured over seeds 1-8: 30 of 32 covered; the misses were mu at 2.9 SE and h at
    2.4 SE. Each fit takes about 20 s, hence four logs.
    """
    covered, checks = 0, 0
    for seed in range(1, 5):
        fit = likelihood.fit(*_process_log(seed, people=10_000))
        for name, truth in RATES.items():
            estimate, se = getattr(fit, name), fit.se[name]
            assert math.isfinite(se)
            assert 0 < se < 0.25 * truth
            assert abs(estimate - truth) <= 4 * se, (seed, name, estimate, se, truth)
            covered += abs(estimate - truth) <= 1.96 * se
            checks += 1
    assert covered >= 13, f"{covered} of {checks} intervals cover the truth"


def test_likelihood_of_a_known_history_by_hand():
    """One customer, p and d fixed by sigma, tau -> 0: the formula of the module docstring."""
    mu, h = 0.3, 0.2
    theta = np.log([mu, 1e-6, h, 1e-6])
    d = 1 - math.exp(-h)
    # x=2 repeat weeks, the last at week 4, seen for 6 weeks: two purchases, two misses
    # before the last; then left after it, or stayed and missed two weeks.
    g = likelihood.Groups.of(np.array([2]), np.array([4]), np.array([6]))
    expected = math.log(mu**2 * (1 - mu) ** 2 * (1 - d) * (d + (1 - d) * (1 - mu) ** 2))
    assert likelihood.log_likelihood(theta, g) == pytest.approx(expected, rel=1e-6)
    # No repeat purchase: alive for sure (dropout follows a purchase), missed 6 weeks.
    g0 = likelihood.Groups.of(np.array([0]), np.array([0]), np.array([6]))
    assert likelihood.log_likelihood(theta, g0) == pytest.approx(6 * math.log(1 - mu))


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


def test_the_forecast_starts_each_customer_at_the_posteriors_dropout_hazard():
    """The model's own satisfaction-linked hazard is divided out of each row's propensity:
    a row given no hazard never leaves, a row given a certain one leaves at its first
    visit, and a row given h leaves after its first visit with chance about 1 - exp(-h),
    whatever satisfaction and threshold the burn-in left it with."""
    market = {"visits_per_week": 0.3, "churn_multiplier": 3.0, "churn_dispersion": 0.5}
    people = 1_200
    cfg = forecast.closed_world(market, people, 1.0, people * 0.3, mapping.STRUCTURE)
    alive = np.ones(people, dtype=bool)
    hazard = np.array([0.0, 50.0, 0.5])[np.arange(people) % 3]  # 1 - exp(-50): certain
    log = np.zeros((12, people), dtype=bool)
    bought = forecast.run_cohort(
        cfg, np.full(people, 20.0), np.full(people, 0.3), alive, 12, 5, hazard, alive_log=log
    )
    stayers, leavers = hazard == 0, hazard == 50.0
    assert log[-1, stayers].all(), "a row with no dropout hazard left"
    assert bought[:, leavers].sum(axis=0).max() == 1, "a certain leaver bought twice"
    first = bought[:, leavers].argmax(axis=0)
    visited = bought[:, leavers].any(axis=0)
    assert visited.mean() > 0.9  # nearly all of them visit in 12 weeks at 0.3 a week
    gone_next = ~log[np.minimum(first + 1, 11), np.flatnonzero(leavers)]
    assert gone_next[visited & (first < 11)].all(), "a certain leaver stayed after a visit"
    # h = 0.5: 1 - exp(-0.5) = 0.39 after the first visit (a bad experience in that visit
    # raises it a little; the model's own hazard at propensity 1 would give ~0.02).
    some = np.flatnonzero(hazard == 0.5)
    first = bought[:, some].argmax(axis=0)
    seen = bought[:, some].any(axis=0) & (first < 11)
    left = ~log[first[seen] + 1, some[seen]]
    share, se = left.mean(), math.sqrt(left.mean() * (1 - left.mean()) / left.size)
    assert 0.39 - 3 * se < share < 0.39 * 1.3 + 3 * se, share


def test_the_dropout_level_is_found_by_secant_steps():
    """A response growing as m^0.6 (less than in proportion): the first step is
    proportional and falls short; the second, on the measured slope, lands on the target;
    a noisy slope is kept within its bounds."""
    target = math.log(0.18)

    def response(log_m: float) -> float:
        return math.log(0.05) + 0.6 * log_m

    tried = [(0.0, response(0.0))]
    tried.append((mapping.next_log_multiplier(tried, target), 0.0))
    tried[-1] = (tried[-1][0], response(tried[-1][0]))
    assert tried[-1][1] < target - 0.1, "a proportional step should fall short here"
    assert response(mapping.next_log_multiplier(tried, target)) == pytest.approx(target)
    flat = [(0.0, math.log(0.1)), (1.0, math.log(0.1) + 0.01)]  # slope 0.01: clipped
    step = mapping.next_log_multiplier(flat, target) - 1.0
    assert step == pytest.approx((target - flat[-1][1]) / mapping.SLOPE_MIN)


def test_the_forecast_holds_dropout_per_visit_at_the_fitted_level():
    """A visit's experience raises the hazard it was set at, so customers set at h leave
    after a visit more often than 1 - exp(-h); the forecast measures that level and
    divides it out, and then the cohort leaves at the fitted rate (within 3 SE)."""
    market = {"visits_per_week": 0.3, "churn_multiplier": 3.0, "churn_dispersion": 0.5}
    people, weeks, reps = 8_000, 39, 3
    cfg = forecast.closed_world(market, people, 1.0, people * 0.3, mapping.STRUCTURE)
    habitual, hazard = np.array([0.3]), np.array([0.2])
    nodes = np.zeros(people, dtype=np.int64)
    draws = [(nodes, nodes, np.ones(people, dtype=bool))] * reps
    cohort = forecast.Cohort(cfg, np.full(people, 20.0), weeks, [5, 6, 7], draws)

    def share_and_se(runs: list[forecast.CohortRun]) -> tuple[float, float]:
        # Leavers are nearly Poisson: SE of left / expected is about sqrt(left) / expected.
        left, expected = forecast.dropout_per_visit(runs)
        return left / expected, math.sqrt(left) / expected

    first = cohort.simulate(habitual, hazard)
    raw, raw_se = share_and_se(first)
    # Without this gap the check below could not fail (the gap is ~5 SE).
    assert raw > 1.0 + 3 * raw_se, f"a visit's experience no longer raises dropout: {raw}"
    level = forecast.visit_dropout_level(first)
    held, se = share_and_se(cohort.simulate(habitual, hazard, level))
    assert abs(held - 1.0) < 3 * se, (raw, level, held, se)


def test_rivals_keep_their_offers_after_the_cohort_is_written_in():
    """Writing the cohort in at the split takes the customers rivals won in the burn-in;
    they must not answer that as lost share (their pull would jump at the quarter's end
    and raise the cohort's hazard), so their offers stay as configured."""
    market = {"visits_per_week": 0.3, "churn_multiplier": 3.0}
    people = 1_500
    cfg = forecast.closed_world(market, people, 0.5, people * 0.15, mapping.STRUCTURE)
    alive = np.arange(people) % 2 == 0
    model = forecast.cohort_model(cfg, np.full(people, 20.0), None, alive, 3)
    won = sum(rival.customers for rival in model.competitors)
    assert won > 0, "rivals won no one in the burn-in: the check would be empty"
    for _ in range(2 * 13):
        model.step()
    offers = {(rival.quality, rival.price_index) for rival in model.competitors}
    assert offers == {(cfg.competitors.quality, cfg.competitors.price_index)}


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
    reason="goal not met on this sample: the model's error is 1.6x BG/NBD's on these 2,357 "
    "customers at 1997-09-30 (1.39-1.52x on the full file, docs/customers.md)",
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
