"""The BTYD side: BG/NBD, Pareto/NBD and Gamma-Gamma fitted with ``lifetimes``.

The cohort's calibration/holdout RFM table, the fits, and what a fit implies per
customer (P(alive), posterior purchase rate) with the delta-method standard errors.
"""

from __future__ import annotations

import contextlib
import io
import math
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import special

from sim.config import ConfigError
from sim.research.clv.truth import Windows


def _import_lifetimes() -> Any:
    try:
        # lifetimes sets pandas options and warning filters at import; keep that local.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import lifetimes  # type: ignore[import-untyped]
            import lifetimes.utils  # type: ignore[import-untyped]
    except ImportError as exc:
        raise ConfigError(
            "the CLV example needs Lifetimes: pip install 'service-profit-sim[clv]'"
        ) from exc
    return lifetimes


def rfm_table(log: pd.DataFrame, cohort: NDArray[np.int64], windows: Windows) -> pd.DataFrame:
    """The cohort's calibration/holdout RFM summary, as ``lifetimes`` builds it (weeks).

    Dates are week starts, so frequency counts repeat purchase weeks, and recency and T
    are whole weeks from the first purchase to the last one and to the end of calibration.
    """
    lifetimes = _import_lifetimes()
    cohort_log = log[log["customer_id"].isin(cohort)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rfm: pd.DataFrame = lifetimes.utils.calibration_and_holdout_data(
            cohort_log,
            "customer_id",
            "date",
            calibration_period_end=windows.date(windows.calibration_weeks - 1),
            observation_period_end=windows.date(windows.weeks - 1),
            freq="W",
            monetary_value_col="amount",
        )
    rfm.index = rfm.index.astype(np.int64)
    return rfm.sort_index()


@dataclass
class Fits:
    """Fitted BTYD models (``lifetimes`` fitters) and their parameters."""

    bgnbd: Any
    pareto_nbd: Any | None
    gamma_gamma: Any | None
    notes: list[str]


FIT_SEED = 20240607  # the Pareto/NBD optimiser's starting point
PARETO_PARAMS = 4  # r, alpha, s, beta


def _pareto_start() -> NDArray[np.float64]:
    """The Pareto/NBD optimiser's starting point, the same every fit.

    Left to itself ``lifetimes`` draws it from NumPy's global generator (normal around
    1, sd 0.05), so the fit, and ``sim clv``'s figures, changed from one run to the next
    on the same data. The same draw comes from a generator of our own here; the legacy
    ``RandomState`` keeps the start the fits have always had (the global generator
    seeded with ``FIT_SEED`` gave exactly these numbers), and no global state is touched.
    """
    start: NDArray[np.float64] = np.random.RandomState(FIT_SEED).normal(1.0, 0.05, PARETO_PARAMS)
    return start


def _quiet(fit: Any, *args: Any, **kwargs: Any) -> Any:
    """Call a ``lifetimes`` fit, which prints the optimiser's state when it fails."""
    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fit(*args, **kwargs)


def fit_models(rfm: pd.DataFrame, pareto: bool = True) -> Fits:
    """Fit BG/NBD to the calibration RFM table; Pareto/NBD and Gamma-Gamma if they converge.

    Raises:
        ConfigError: if BG/NBD itself does not converge.
    """
    lifetimes = _import_lifetimes()
    f, r, t = rfm["frequency_cal"], rfm["recency_cal"], rfm["T_cal"]
    notes: list[str] = []
    try:
        bgnbd = _quiet(lifetimes.BetaGeoFitter().fit, f, r, t)
    except lifetimes.utils.ConvergenceError as exc:
        raise ConfigError(f"BG/NBD did not converge on {len(rfm)} customers") from exc
    pareto_nbd = None
    if pareto:
        try:
            pareto_nbd = _quiet(
                lifetimes.ParetoNBDFitter().fit, f, r, t, initial_params=_pareto_start()
            )
        except lifetimes.utils.ConvergenceError:
            notes.append("Pareto/NBD did not converge")
    repeat = rfm[(f > 0) & (rfm["monetary_value_cal"] > 0)]
    gamma_gamma = None
    try:
        gamma_gamma = _quiet(
            lifetimes.GammaGammaFitter().fit, repeat["frequency_cal"], repeat["monetary_value_cal"]
        )
    except lifetimes.utils.ConvergenceError:
        notes.append("Gamma-Gamma did not converge (spend varies too little within a customer)")
    return Fits(bgnbd, pareto_nbd, gamma_gamma, notes)


def bgnbd_posterior(
    params: dict[str, float],
    x: NDArray[np.float64],
    t_x: NDArray[np.float64],
    t: NDArray[np.float64],
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """P(alive) and the posterior mean purchase rate E[λ | x, t_x, T] of each customer.

    BG/NBD's likelihood splits into "alive at T" and "dropped out just after the last
    purchase at t_x"; integrating λ ~ Gamma(r, α) against each branch (with one more
    power of λ for the mean) gives the rate while alive, which is what the simulator's
    true rate measures (Fader, Hardie & Lee 2005, eq. 3 and their P(alive)).
    """
    r, alpha, a, b = (params[k] for k in ("r", "alpha", "a", "b"))
    log_alive = special.betaln(a, b + x) - (r + x) * np.log(alpha + t)
    log_dead = np.where(
        x > 0,
        special.betaln(a + 1, np.maximum(b + x - 1, 1e-12)) - (r + x) * np.log(alpha + t_x),
        -np.inf,
    )
    p_alive = np.exp(log_alive - np.logaddexp(log_alive, log_dead))
    rate = p_alive * (r + x) / (alpha + t) + (1 - p_alive) * (r + x) / (alpha + t_x)
    return p_alive, rate


def _log_cov(fitter: Any) -> dict[tuple[str, str], float]:
    """Covariance of the log parameters, from ``lifetimes``' variance matrix.

    ``lifetimes`` fits log parameters and reports ``θ_j² · inv(H)_ij / n`` (the delta
    method on the diagonal); dividing column j by θ_j² gives back ``inv(H) / n``.
    """
    names = [str(k) for k in fitter.params_.index]
    theta = fitter.params_.to_numpy(float)
    cov = fitter.variance_matrix_.to_numpy(float) / theta[None, :] ** 2
    return {(a, b): float(cov[i, j]) for i, a in enumerate(names) for j, b in enumerate(names)}


def ratio_se(fitter: Any, num: str, den: str) -> float:
    """Standard error of ``num / den`` (delta method on the log parameters), NaN if unknown.

    ``lifetimes`` fits Pareto/NBD by Nelder-Mead and gives it no standard errors.
    """
    if not hasattr(fitter, "variance_matrix_"):
        return math.nan
    v = _log_cov(fitter)
    x, y = float(fitter.params_[num]), float(fitter.params_[den])
    var_log = v[num, num] + v[den, den] - 2 * v[num, den]
    return x / y * math.sqrt(max(var_log, 0.0))


def beta_mean_se(fitter: Any, a: str = "a", b: str = "b") -> float:
    """Standard error of ``a / (a + b)`` (delta method on the log parameters)."""
    v = _log_cov(fitter)
    x, y = float(fitter.params_[a]), float(fitter.params_[b])
    var_log = v[a, a] + v[b, b] - 2 * v[a, b]
    return x * y / (x + y) ** 2 * math.sqrt(max(var_log, 0.0))
