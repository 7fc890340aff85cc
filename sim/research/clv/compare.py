"""Recovered against true: what the fitted models say next to what the simulator knows.

The per-customer table, the recovery table, the per-customer scores, dropout by
purchase and by tenure, and ``analyse``, one whole comparison.
"""

from __future__ import annotations

import itertools
import math
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import stats

from sim.config import ConfigError, SimConfig
from sim.research.clv.fit import (
    Fits,
    beta_mean_se,
    bgnbd_posterior,
    fit_models,
    ratio_se,
    rfm_table,
)
from sim.research.clv.truth import TruthRecorder, Windows

MIN_COHORT = 50  # fewer first-time buyers than this cannot pin down four BG/NBD parameters


def cohort_ids(recorder: TruthRecorder, windows: Windows) -> NDArray[np.int64]:
    """First-time buyers of the cohort window who were not customers when the log began."""
    first = recorder.first_purchase
    ids: NDArray[np.int64] = np.flatnonzero(
        (first >= 0) & (first < windows.cohort_weeks) & ~recorder.initial
    ).astype(np.int64)
    return ids


def per_customer(
    rfm: pd.DataFrame, truth: pd.DataFrame, fits: Fits, windows: Windows
) -> pd.DataFrame:
    """One row per cohort customer: RFM, truth and each model's estimates side by side."""
    table = rfm.join(truth, how="inner")
    x = table["frequency_cal"].to_numpy(float)
    t_x = table["recency_cal"].to_numpy(float)
    t = table["T_cal"].to_numpy(float)
    params = {k: float(v) for k, v in fits.bgnbd.params_.items()}
    p_alive, rate = bgnbd_posterior(params, x, t_x, t)
    table["p_alive"] = p_alive
    table["posterior_rate"] = rate
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table["predicted_holdout"] = fits.bgnbd.conditional_expected_number_of_purchases_up_to_time(
            windows.holdout_weeks, x, t_x, t
        )
        if fits.pareto_nbd is not None:
            table["predicted_holdout_pareto"] = (
                fits.pareto_nbd.conditional_expected_number_of_purchases_up_to_time(
                    windows.holdout_weeks, x, t_x, t
                )
            )
        if fits.gamma_gamma is not None:
            table["predicted_spend"] = fits.gamma_gamma.conditional_expected_average_profit(
                table["frequency_cal"], table["monetary_value_cal"]
            )
    # The first relationship alone: the weeks from the first purchase to the first exit.
    table["first_spell_weeks"] = np.where(
        table["defected_cal"],
        table["first_exit_week"] - table["first_purchase_week"],
        table["alive_weeks_cal"],
    )
    return table


def _row(
    quantity: str, true: float, recovered: float, se: float = math.nan, note: str = ""
) -> dict[str, Any]:
    rel = (recovered - true) / true if true else math.nan
    return {
        "quantity": quantity,
        "true": true,
        "recovered": recovered,
        "se": se,
        "relative_error": rel,
        "error_measure": "(recovered - true) / true",
        "note": note,
    }


def _per_customer_row(
    quantity: str, true: pd.Series[float], recovered: pd.Series[float], note: str = ""
) -> dict[str, Any]:
    mean_true = float(true.mean())
    mae = float((recovered - true).abs().mean())
    return {
        "quantity": quantity,
        "true": mean_true,
        "recovered": float(recovered.mean()),
        "se": math.nan,
        "relative_error": mae / mean_true if mean_true else math.nan,
        "error_measure": "mean |recovered - true| / mean true (per customer)",
        "note": note,
    }


def auc(score: NDArray[np.float64], label: NDArray[np.bool_]) -> float:
    """Area under the ROC curve: P(a random positive scores above a random negative).

    >>> auc(np.array([0.9, 0.8, 0.2, 0.1]), np.array([True, False, True, False]))
    0.75
    """
    pos, neg = int(label.sum()), int((~label).sum())
    if pos == 0 or neg == 0:
        return math.nan
    ranks = stats.rankdata(score)
    return float((ranks[label].sum() - pos * (pos + 1) / 2) / (pos * neg))


def recovery_table(table: pd.DataFrame, fits: Fits) -> pd.DataFrame:
    """True vs recovered quantities with their relative errors (the closing table)."""
    p = fits.bgnbd.params_
    true_rate = float(table["true_rate"].mean())
    deaths = int(table["defected_cal"].sum())
    p_true = deaths / max(int(table["first_spell_repeats"].sum()), 1)
    by_purchase = dropout_by_purchase(table, {k: float(v) for k, v in p.items()})
    trials = float(by_purchase["trials"].sum())
    rows = [
        _row(
            "BG/NBD mean purchase rate r/α (per week alive)",
            true_rate,
            float(p["r"] / p["alpha"]),
            se=ratio_se(fits.bgnbd, "r", "alpha"),
            note="truth: mean over the cohort of each customer's expected purchases per "
            "week alive after the first purchase",
        ),
        _row(
            "BG/NBD dropout per repeat purchase a/(a+b), vs pooled share",
            p_true,
            float(p["a"] / (p["a"] + p["b"])),
            se=beta_mean_se(fits.bgnbd),
            note=f"truth: first defections ÷ repeat purchases before them, calibration "
            f"({deaths} defections); not like for like: a/(a+b) is the mean p before "
            "anyone has left, the pooled share is weighted toward survivors' purchases",
        ),
        _row(
            "BG/NBD dropout per purchase, pooled over the observed purchases",
            float(by_purchase["defections"].sum()) / trials,
            float((by_purchase["bgnbd"] * by_purchase["trials"]).sum()) / trials,
            note="like for like: after the k-th repeat purchase BG/NBD's survivors leave "
            "with mean p a/(a+b+k-1); expected over the same purchases whose outcome "
            "(defection or another purchase) is seen, vs the defections seen",
        ),
        _row(
            "share of the cohort still a customer at the end of calibration (mean P(alive))",
            float(table["alive_cal_end"].mean()),
            float(table["p_alive"].mean()),
        ),
        _row(
            "holdout purchases of the cohort, total (BG/NBD)",
            float(table["frequency_holdout"].sum()),
            float(table["predicted_holdout"].sum()),
            note="BG/NBD conditional expectation",
        ),
        _per_customer_row(
            "holdout purchases per customer vs actual (BG/NBD)",
            table["frequency_holdout"],
            table["predicted_holdout"],
        ),
        _per_customer_row(
            "holdout purchases per customer vs the simulator's expectation (BG/NBD)",
            table["expected_purchases_holdout"],
            table["predicted_holdout"],
            note="truth: sum of each week's purchase probability while a customer",
        ),
        _per_customer_row(
            "purchase rate per customer, posterior mean vs true (BG/NBD)",
            table["true_rate"],
            table["posterior_rate"],
        ),
    ]
    if fits.pareto_nbd is not None:
        q = fits.pareto_nbd.params_
        spell = table["first_spell_weeks"].to_numpy(float)
        weeks = float(spell.sum())
        rows += [
            _row(
                "Pareto/NBD mean purchase rate r/α (per week alive)",
                true_rate,
                float(q["r"] / q["alpha"]),
                note="lifetimes gives Pareto/NBD no standard errors",
            ),
            _row(
                "Pareto/NBD dropout rate s/β (per week), vs pooled rate",
                deaths / weeks if weeks else math.nan,
                float(q["s"] / q["beta"]),
                note="truth: first defections ÷ weeks from first purchase to first "
                "defection; not like for like: s/β is the mean rate before anyone has left",
            ),
            _row(
                "Pareto/NBD dropout per week, pooled over the observed weeks",
                deaths / weeks if weeks else math.nan,
                float(q["s"] * np.log1p(spell / q["beta"]).sum()) / weeks if weeks else math.nan,
                note="like for like: survivors to age t leave at mean rate s/(β+t), so a "
                "customer watched L weeks is expected to leave s·ln(1+L/β) times",
            ),
            _row(
                "holdout purchases of the cohort, total (Pareto/NBD)",
                float(table["frequency_holdout"].sum()),
                float(table["predicted_holdout_pareto"].sum()),
            ),
        ]
    if fits.gamma_gamma is not None:
        spenders = table[(table["frequency_cal"] > 0) & (table["frequency_holdout"] > 0)]
        rows.append(
            _per_customer_row(
                "spend per purchase in the holdout, per customer (Gamma-Gamma)",
                spenders["monetary_value_holdout"],
                spenders["predicted_spend"],
                note="customers with repeat purchases in both periods",
            )
        )
    return pd.DataFrame(rows)


def dropout_by_purchase(table: pd.DataFrame, params: dict[str, float]) -> pd.DataFrame:
    """Dropout per repeat purchase by purchase number k: the simulator vs BG/NBD.

    Simulated: of the customers whose k-th repeat purchase was followed by either a
    defection or a (k+1)-th purchase within calibration, the share who defected before
    buying again (customers still buying at the end of calibration are censored). k = 0
    is the first purchase, after which BG/NBD allows no dropout at all. BG/NBD: survivors
    of k-1 trials have mean p of a/(a+b+k-1) (those with high p have gone already).
    """
    a, b = params["a"], params["b"]
    j = table["first_spell_repeats"].to_numpy(np.int64)
    died = table["defected_cal"].to_numpy(bool)
    k = np.arange(int(j.max()) + 1 if j.size else 1)
    deaths = np.bincount(j[died], minlength=k.size).astype(float)
    reached = np.cumsum(np.bincount(j, minlength=k.size + 1)[::-1])[::-1]
    trials = reached[k + 1] + deaths
    bgnbd = np.where(k >= 1, a / (a + b + np.maximum(k, 1) - 1), 0.0)
    rows = []
    for lo, hi in itertools.pairwise([0, 1, 2, 4, 8, 16, 32, 64, 128, 1 << 30]):
        band = (k >= lo) & (k < hi)
        n = float(trials[band].sum())
        if n <= 0:
            continue
        rows.append(
            {
                "repeat_purchases": str(lo) if hi == lo + 1 else f"{lo}-{min(hi, k.size) - 1}",
                "first": lo,
                "trials": n,
                "defections": int(deaths[band].sum()),
                "simulated": float(deaths[band].sum()) / n,
                "bgnbd": float((bgnbd[band] * trials[band]).sum()) / n,
            }
        )
    return pd.DataFrame(rows)


def hazard_by_tenure(table: pd.DataFrame, fits: Fits, band: int = 13) -> pd.DataFrame:
    """Weekly defection rate by weeks since the first purchase, with Pareto/NBD's.

    Pareto/NBD's survivors have mean dropout rate s/(β+t) at age t (gamma heterogeneity
    thinned by survival); the simulator's hazard also falls with tenure, by design.
    """
    spell = table["first_spell_weeks"].to_numpy(int)
    died = table["defected_cal"].to_numpy(bool)
    rows = []
    for lo in range(0, int(spell.max()) + 1, band):
        hi = lo + band
        at_risk = float(np.clip(np.minimum(spell, hi) - lo, 0, None).sum())
        if at_risk < band * 20:  # fewer than ~20 customers watched through the band
            break
        # Week w of the spell is the band's (lo, hi]; leaving in the very week of the
        # first purchase (a spell of 0) counts in the first band.
        deaths = int((died & ((spell > lo) | (lo == 0)) & (spell <= hi)).sum())
        row = {"weeks_from": lo, "weeks_to": hi, "weeks_at_risk": at_risk, "defections": deaths}
        row["simulated"] = deaths / at_risk
        if fits.pareto_nbd is not None:
            s, beta = fits.pareto_nbd.params_["s"], fits.pareto_nbd.params_["beta"]
            row["pareto_nbd"] = float(s / (beta + (lo + hi) / 2))
        rows.append(row)
    return pd.DataFrame(rows)


def scores(table: pd.DataFrame) -> dict[str, float]:
    """Per-customer agreement that has no "true value" to be relative to."""
    alive = table["alive_cal_end"].to_numpy(bool)
    p_alive = table["p_alive"].to_numpy(float)
    share = float(alive.mean())
    defected = table["defected_cal"].to_numpy(bool)
    return {
        "cohort_customers": float(len(table)),
        "rate_correlation_pearson": float(
            np.corrcoef(table["true_rate"], table["posterior_rate"])[0, 1]
        ),
        "rate_correlation_spearman": float(
            stats.spearmanr(table["true_rate"], table["posterior_rate"]).statistic
        ),
        "p_alive_auc": auc(p_alive, alive),
        "p_alive_brier": float(np.mean((p_alive - alive) ** 2)),
        "p_alive_brier_constant": share * (1 - share),
        "holdout_correlation": float(
            np.corrcoef(table["frequency_holdout"], table["predicted_holdout"])[0, 1]
        ),
        "defectors_share": float(defected.mean()),
        "defectors_without_repeat_share": float(
            (defected & (table["first_spell_repeats"] == 0)).sum() / max(defected.sum(), 1)
        ),
        # The model draws at most one visit a week, so rates pile up at the cap of 1.
        "capped_rate_share": float((table["visit_probability"] >= 1.0).mean()),
        "returned_share_of_defectors": float(table["returned_cal"].sum() / max(defected.sum(), 1)),
    }


def fit_parameters(fits: Fits) -> dict[str, Any]:
    """Each fitted model's parameters with standard errors, and any fit notes."""
    out: dict[str, Any] = {}
    for name, fitter in (
        ("bgnbd", fits.bgnbd),
        ("pareto_nbd", fits.pareto_nbd),
        ("gamma_gamma", fits.gamma_gamma),
    ):
        if fitter is None:
            continue
        se = getattr(fitter, "standard_errors_", None)
        out[name] = {
            k: {"value": float(v), "se": float(se[k]) if se is not None else None}
            for k, v in fitter.params_.items()
        }
    out["notes"] = list(fits.notes)
    return out


@dataclass
class Analysis:
    """Everything one comparison produces, as tables."""

    windows: Windows
    config: SimConfig
    table: pd.DataFrame
    fits: Fits
    recovery: pd.DataFrame
    scores: dict[str, float]
    dropout: pd.DataFrame
    hazard: pd.DataFrame
    log: pd.DataFrame


def analyse(
    cfg: SimConfig,
    windows: Windows,
    recorder: TruthRecorder,
    log: pd.DataFrame | None = None,
    pareto: bool = True,
) -> Analysis:
    """Fit the BTYD models to the cohort's log and compare them with the recorded truth.

    Raises:
        ConfigError: if the cohort is too small to fit.
    """
    windows.check()
    log = recorder.transactions() if log is None else log
    cohort = cohort_ids(recorder, windows)
    if cohort.size < MIN_COHORT:
        raise ConfigError(
            f"only {cohort.size} customers made their first purchase in the first "
            f"{windows.cohort_weeks} weeks (need {MIN_COHORT}); use more customers "
            "(--customers) or a longer cohort window (--cohort-weeks)"
        )
    rfm = rfm_table(log, cohort, windows)
    fits = fit_models(rfm, pareto=pareto)
    table = per_customer(rfm, recorder.table(cohort), fits, windows)
    params = {k: float(v) for k, v in fits.bgnbd.params_.items()}
    return Analysis(
        windows=windows,
        config=cfg,
        table=table,
        fits=fits,
        recovery=recovery_table(table, fits),
        scores=scores(table),
        dropout=dropout_by_purchase(table, params),
        hazard=hazard_by_tenure(table, fits),
        log=log[log["customer_id"].isin(cohort)],
    )


def replication_summary(replications: pd.DataFrame) -> pd.DataFrame:
    """Per quantity: mean relative error over seeds, its SD and 95% t-interval."""
    rows = []
    for quantity, group in replications.groupby("quantity", sort=False):
        errors = group["relative_error"].to_numpy(float)
        n = errors.size
        mean = float(errors.mean())
        sd = float(errors.std(ddof=1)) if n > 1 else math.nan
        half = float(stats.t.ppf(0.975, n - 1)) * sd / math.sqrt(n) if n > 1 else math.nan
        rows.append(
            {
                "quantity": quantity,
                "error_measure": group["error_measure"].iloc[0],
                "n": n,
                "mean_relative_error": mean,
                "sd": sd,
                "ci_low": mean - half,
                "ci_high": mean + half,
            }
        )
    return pd.DataFrame(rows)
