"""The benchmark and the scores: BG/NBD on the same weekly data, MAPE, conditional expectations.

BG/NBD (``lifetimes``' ``BetaGeoFitter``) is fitted to the cohort's weekly frequency,
recency and age (x, t_x, n in weeks, the very histories the model's fit sees); its
holdout forecast per week is the sum over customers of the conditional expected
purchases up to each week, differenced. Both forecasts are scored on the cumulative
repeat purchase weeks from the split (Fader, Hardie & Lee 2005's tracking plot).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from sim.config import ConfigError
from sim.customers import likelihood
from sim.research.clv.fit import _import_lifetimes, _quiet

type F64 = NDArray[np.float64]
type I64 = NDArray[np.int64]

TOP_FREQUENCY = 7  # conditional expectations for 0, 1, ..., 6 and 7+


@dataclass(frozen=True)
class BgnbdForecast:
    """BG/NBD's parameters, holdout forecast per week and per customer, calibration curve."""

    params: dict[str, float]
    se: dict[str, float]
    weekly: F64
    per_customer: F64
    calibration_weekly: F64


def bgnbd(
    x: I64, t_x: I64, n: I64, first_week: I64, split_week: int, holdout_weeks: int
) -> BgnbdForecast:
    """Fit BG/NBD to the weekly histories and forecast the holdout.

    Raises:
        ConfigError: if BG/NBD does not converge.
    """
    lifetimes = _import_lifetimes()
    try:
        fitter = _quiet(lifetimes.BetaGeoFitter().fit, x, t_x, n)
    except lifetimes.utils.ConvergenceError as exc:
        raise ConfigError(f"BG/NBD did not converge on {x.size} customers") from exc
    xf, tf, nf = (a.astype(float) for a in (x, t_x, n))
    cum = np.zeros(holdout_weeks + 1)
    per_customer = np.zeros(x.size)
    for k in range(1, holdout_weeks + 1):
        each = np.asarray(
            fitter.conditional_expected_number_of_purchases_up_to_time(float(k), xf, tf, nf)
        )
        cum[k] = float(np.sum(each))
        per_customer = each
    # The unconditional curve over calibration: each customer's expected repeat
    # purchases by each week since the first purchase, placed in calendar weeks.
    by_age = np.asarray(
        fitter.expected_number_of_purchases_up_to_time(np.arange(split_week + 2, dtype=float))
    )
    calibration = np.zeros(split_week + 1)
    for w0, count in zip(*np.unique(first_week, return_counts=True), strict=True):
        ages = np.arange(split_week + 1 - w0)
        calibration[w0:] += count * np.diff(by_age[: ages.size + 1])
    params = {str(k): float(v) for k, v in fitter.params_.items()}
    se = {str(k): float(v) for k, v in fitter.standard_errors_.items()}
    return BgnbdForecast(params, se, np.diff(cum), per_customer, calibration)


def model_calibration_curve(fit: likelihood.Fit, first_week: I64, split_week: int) -> F64:
    """Expected repeat purchase weeks per calendar week under the fitted process."""
    by_age = likelihood.expected_by_age(fit, split_week + 1)
    curve = np.zeros(split_week + 1)
    for w0, count in zip(*np.unique(first_week, return_counts=True), strict=True):
        curve[w0:] += count * by_age[: split_week + 1 - w0]
    return curve


def mape_cum(forecast_weekly: F64, actual_weekly: F64) -> float:
    """Mean over holdout weeks of |forecast - actual| / actual, both cumulative from the split.

    Raises:
        ConfigError: if the cohort made no repeat purchase in the holdout at all.
    """
    fc, ac = np.cumsum(forecast_weekly), np.cumsum(actual_weekly.astype(float))
    seen = ac > 0
    if not seen.any():
        raise ConfigError("the cohort made no repeat purchase after the split: nothing to score")
    return float(np.mean(np.abs(fc[seen] - ac[seen]) / ac[seen]))


def conditional_expectations(x: I64, actual: I64, model: F64, bgnbd_each: F64) -> pd.DataFrame:
    """Mean holdout purchase weeks by calibration frequency: actual, model, BG/NBD."""
    label = np.minimum(x, TOP_FREQUENCY)
    frame = pd.DataFrame(
        {"frequency": label, "actual": actual, "model": model, "bgnbd": bgnbd_each}
    )
    table = frame.groupby("frequency").agg(
        customers=("actual", "size"),
        actual=("actual", "mean"),
        model=("model", "mean"),
        bgnbd=("bgnbd", "mean"),
    )
    table.index = [f"{i}+" if i == TOP_FREQUENCY else str(i) for i in table.index]
    table.index.name = "frequency"
    return table.reset_index()
