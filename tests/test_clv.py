"""CLV interoperability (sim.research.clv): the RFM table, the truth and the recovery.

One small command run (10,000 people, 3 years, one seed) is shared by most tests; the
scaling test fits a second world with half the visit rate.
"""

from __future__ import annotations

import json
import math
import sys

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("lifetimes", reason="the clv extra (Lifetimes) is not installed")

from sim.app import execute
from sim.commandline import module_main
from sim.config import ConfigError
from sim.research import clv

WEEKS = 156
CALIBRATION = WEEKS - 52


@pytest.fixture(scope="module")
def small_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("clv") / "small"
    assert clv.main(["--small", "--out", str(out)]) == 0
    return out


@pytest.fixture(scope="module")
def customers(small_run):
    return pd.read_csv(small_run / "customers.csv", index_col="customer_id")


@pytest.fixture(scope="module")
def recovery(small_run):
    return pd.read_csv(small_run / "recovery.csv").set_index("quantity")


@pytest.fixture(scope="module")
def half_rate(small_config):
    """The --small world with half the visit rate, fitted in-process."""
    cfg = small_config(n_customers=clv.SMALL.n_customers, weeks=WEEKS, market__visits_per_week=0.25)
    windows = clv.Windows(WEEKS, 52, 52, cfg.run.start_date)
    return clv.analyse(cfg, windows, clv.simulate(cfg, windows), pareto=False)


def test_command_writes_the_tables_figures_and_report(small_run, recovery):
    names = {p.name for p in small_run.iterdir()}
    assert {"rfm.csv", "recovery.csv", "report.md", "fit.json", "manifest.yaml"} <= names
    assert sorted(p.name for p in (small_run / "figures").iterdir()) == [
        "clv_dropout.png",
        "clv_holdout.png",
        "clv_p_alive.png",
        "clv_rates.png",
    ]
    assert list(recovery.columns[:4]) == ["true", "recovered", "se", "relative_error"]
    assert recovery[["true", "recovered", "relative_error"]].notna().all().all()
    report = (small_run / "report.md").read_text(encoding="utf-8")
    assert "## Recovery: true vs recovered" in report
    assert "BG/NBD mean purchase rate" in report
    assert "Assumptions the simulator breaks" in report
    fit = json.loads((small_run / "fit.json").read_text(encoding="utf-8"))
    assert set(fit["bgnbd"]) == {"r", "alpha", "a", "b"}


def test_rfm_table_is_the_transaction_log_summarised(small_run, customers):
    log = pd.read_parquet(small_run / "cohort_transactions.parquet")
    rfm = pd.read_csv(small_run / "rfm.csv", index_col="customer_id")
    assert set(rfm.index) == set(log["customer_id"]) == set(customers.index)
    by = log.groupby("customer_id")["week"]
    first = by.min()
    cal = log[log["week"] < CALIBRATION].groupby("customer_id")
    hold = log[log["week"] >= CALIBRATION].groupby("customer_id").size()
    # The cohort: first purchases in the first year, none by customers present at week 0.
    assert first.between(0, 51).all()
    # At most one visit a week, so purchase weeks are purchases.
    assert not log.duplicated(["customer_id", "week"]).any()
    expected = pd.DataFrame(
        {
            "frequency_cal": cal.size() - 1,
            "recency_cal": cal["week"].max() - first,
            "T_cal": CALIBRATION - 1 - first,
            "frequency_holdout": hold.reindex(first.index, fill_value=0),
        }
    ).astype(float)
    pd.testing.assert_frame_equal(
        rfm[expected.columns].sort_index(), expected.sort_index(), check_names=False
    )
    assert (rfm["recency_cal"] <= rfm["T_cal"]).all()
    assert (rfm.loc[rfm["frequency_cal"] == 0, "recency_cal"] == 0).all()
    repeat = log[(log["week"] < CALIBRATION) & (log["week"] > log["customer_id"].map(first))]
    spend = repeat.groupby("customer_id")["amount"].mean().reindex(rfm.index, fill_value=0.0)
    np.testing.assert_allclose(rfm["monetary_value_cal"], spend, rtol=1e-12)
    assert (rfm["duration_holdout"] == WEEKS - CALIBRATION).all()


def test_recorded_truth_agrees_with_the_log(customers):
    assert (customers["repeat_purchases_cal"] == customers["frequency_cal"]).all()
    assert (customers["purchases_holdout"] == customers["frequency_holdout"]).all()
    # Purchases are Bernoulli draws at the recorded probabilities: the realised count is
    # within 4 SE of their sum (the variance of a Bernoulli sum is at most its mean).
    for period, actual in (("cal", "frequency_cal"), ("holdout", "frequency_holdout")):
        expected = customers[f"expected_purchases_{period}"].sum()
        assert abs(customers[actual].sum() - expected) < 4 * math.sqrt(expected), period
    assert customers["true_rate"].between(0, 1).all()
    assert (customers["first_spell_repeats"] <= customers["frequency_cal"]).all()
    gone = customers["defected_cal"] & ~customers["returned_cal"]
    assert not customers.loc[gone, "alive_cal_end"].any()
    # Whoever is not a customer at the end of calibration left during it.
    assert customers.loc[~customers["alive_cal_end"], "defected_cal"].all()


def test_bgnbd_recovers_the_mean_purchase_rate_within_4_se(recovery):
    row = recovery.loc["BG/NBD mean purchase rate r/α (per week alive)"]
    assert row["se"] > 0
    assert abs(row["recovered"] - row["true"]) < 4 * row["se"], row


def test_posterior_matches_lifetimes_p_alive(half_rate):
    table, bgnbd = half_rate.table, half_rate.fits.bgnbd
    expected = bgnbd.conditional_probability_alive(
        table["frequency_cal"], table["recency_cal"], table["T_cal"]
    )
    np.testing.assert_allclose(table["p_alive"], expected, rtol=1e-9, atol=1e-12)
    # With no repeat purchase a customer is alive for sure, at rate r / (α + T).
    none = table[table["frequency_cal"] == 0]
    r, alpha = bgnbd.params_["r"], bgnbd.params_["alpha"]
    np.testing.assert_allclose(none["posterior_rate"], r / (alpha + none["T_cal"]))


def test_dropout_by_purchase_counts_only_seen_outcomes():
    # Repeat purchases before the first defection, and whether it came (else censored).
    table = pd.DataFrame(
        {
            "first_spell_repeats": [0, 1, 1, 2, 3],
            "defected_cal": [True, True, False, False, True],
        }
    )
    a, b = 1.0, 9.0
    out = clv.dropout_by_purchase(table, {"a": a, "b": b})
    assert out["repeat_purchases"].tolist() == ["0", "1", "2-3"]
    # k = 0: four bought again, one left; k = 1: two bought again, one left, one censored.
    assert out["trials"].tolist() == [5.0, 3.0, 2.0]
    assert out["defections"].tolist() == [1, 1, 1]
    expected = [0.0, a / (a + b), (a / (a + b + 1) + a / (a + b + 2)) / 2]
    np.testing.assert_allclose(out["bgnbd"], expected)


def test_halving_the_visit_rate_halves_the_recovered_rate(recovery, half_rate):
    name = "BG/NBD mean purchase rate r/α (per week alive)"
    full, half = recovery.loc[name], half_rate.recovery.set_index("quantity").loc[name]
    true_ratio = full["true"] / half["true"]
    recovered_ratio = full["recovered"] / half["recovered"]
    # The truth does not quite double: a visit a week is the most anyone makes, and
    # frequent visitors meet more failures, so fewer of them stay satisfied and come
    # back (the cohorts' own habitual rates differ by ~1.76x, not 2x).
    assert 1.6 < true_ratio <= 2.0
    se = recovered_ratio * math.hypot(
        full["se"] / full["recovered"], half["se"] / half["recovered"]
    )
    assert abs(recovered_ratio - true_ratio) < 4 * se, (recovered_ratio, true_ratio, se)


def test_a_run_folder_is_replayed_and_a_foreign_log_refused(tmp_path, small_config):
    cfg = small_config(n_customers=2_000, weeks=80)
    cfg.run.transaction_log = True
    folder = execute(cfg, [], tmp_path / "run", quiet=True, report=False)
    windows = clv.Windows(80, 26, 26, cfg.run.start_date)
    loaded = clv.load_run_config(folder)
    recorder = clv.replay(folder, windows, loaded)
    stored = clv.read_log(folder)
    assert len(stored) == len(recorder.transactions()) > 0
    with pytest.raises(ConfigError, match=r"only \d+ customers made their first purchase"):
        clv.main(["--run", str(folder), "--holdout-weeks", "26", "--cohort-weeks", "2"])
    stored.iloc[:-1].to_parquet(folder / "transactions.parquet")
    with pytest.raises(ConfigError, match="does not reproduce"):
        clv.replay(folder, windows, loaded)


def test_bad_inputs_are_one_line_errors(tmp_path, small_config, monkeypatch, capsys):
    from sim.configstore import to_yaml

    with pytest.raises(ConfigError, match="no such folder"):
        clv.main(["--run", str(tmp_path / "missing")])
    (tmp_path / "config.yaml").write_text(to_yaml(small_config()), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"no transactions\.parquet"):
        clv.main(["--run", str(tmp_path)])
    with pytest.raises(ConfigError, match="holdout must be shorter than the run"):
        clv.Windows(WEEKS, WEEKS, 52, "2025-01-06").check()
    with pytest.raises(ConfigError, match="cohort window must lie inside"):
        clv.Windows(WEEKS, 52, CALIBRATION, "2025-01-06").check()
    with pytest.raises(ConfigError, match="visits_per_week"):
        clv.main(["--small", "market.visits_per_week=99"])
    monkeypatch.setattr(sys, "argv", ["clv", "--run", str(tmp_path)])
    assert module_main(clv.main) == 2  # as `python -m sim.research.clv --run ...`
    err = capsys.readouterr().err
    assert err.startswith("error: --run")
    assert err.count("\n") == 1


def test_fits_are_deterministic_and_leave_the_global_rng_alone():
    """lifetimes would draw Pareto/NBD's start from NumPy's global generator; the fits
    pass their own start instead, so the result is the same whatever the global state."""
    from importlib import resources

    from sim.research.clv.fit import fit_models

    # CDNOW's summary as shipped with lifetimes (read directly: lifetimes.datasets needs
    # pkg_resources): x repeat purchases, t_x recency, T age, zbar mean spend.
    name = "cdnow_customers_summary_with_transactions.csv"
    path = resources.files("lifetimes") / "datasets" / name
    cdnow = pd.read_csv(str(path)).head(600)
    rfm = pd.DataFrame(
        {
            "frequency_cal": cdnow["x"].astype(float),
            "recency_cal": cdnow["t_x"],
            "T_cal": cdnow["T"],
            "monetary_value_cal": cdnow["zbar"],
        }
    )
    np.random.seed(1)  # noqa: NPY002, TID251
    first = fit_models(rfm)
    after_first = np.random.random()  # noqa: NPY002
    np.random.seed(2)  # noqa: NPY002, TID251  (another global state before the second fit)
    second = fit_models(rfm)
    assert first.bgnbd.params_.equals(second.bgnbd.params_)
    assert first.pareto_nbd is not None
    assert second.pareto_nbd is not None
    assert first.pareto_nbd.params_.equals(second.pareto_nbd.params_)
    np.random.seed(1)  # noqa: NPY002, TID251
    fit_models(rfm)
    assert np.random.random() == after_first  # noqa: NPY002  (the caller's state is back)
