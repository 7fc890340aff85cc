"""CLV interoperability: BTYD models fitted to a simulated log, scored against the truth.

The transaction log (``customer_id``, ``date``, ``amount``) is what CLV analysts feed to
"buy till you die" models. Here BG/NBD (and Pareto/NBD and Gamma-Gamma) from
``lifetimes`` are fitted to a cohort of the simulated log, and what they recover (purchase
rates, dropout, who is still a customer, holdout purchases) is compared with what the
simulator knows, which no analyst of real data can see.

``python -m sim.research.clv [--small] [--run FOLDER] [overrides ...]`` writes
``results/clv/<UTC timestamp>/`` (see ``docs/research/clv.md``).
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import io
import itertools
import math
import sys
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml
from matplotlib.figure import Figure
from numpy.typing import NDArray
from scipy import special, stats

from sim import chain
from sim.config import ConfigError, SimConfig
from sim.manifest import revision, versions, write_manifest
from sim.model import ServiceProfitChainModel
from sim.output import AtomicFolder, timestamp, write_json, write_text_atomically
from sim.state import FOCAL
from sim.units import WEEKS_PER_YEAR

CUSTOMERS_PER_EMPLOYEE = 100  # the default world's staffing ratio (10,000 people, 100 staff)
MIN_COHORT = 50  # fewer first-time buyers than this cannot pin down four BG/NBD parameters


@dataclass(frozen=True)
class Scale:
    """World size and horizon of one analysis."""

    name: str
    n_customers: int
    years: int
    replications: int


# Default: a cohort of ~2,600 first-time buyers per seed, so that the recovery errors
# are about the models rather than sampling noise; five seeds give their spread.
DEFAULT = Scale("default", 50_000, 3, 5)
SMALL = Scale("small", 10_000, 3, 1)


@dataclass(frozen=True)
class Windows:
    """The analysis calendar in weeks of the run (week 0 = first recorded week).

    The cohort is everyone whose first recorded purchase falls in ``[0, cohort_weeks)``
    and who was not already a customer at week 0 (their first purchase predates the log,
    so BG/NBD, which starts each customer's clock at the first purchase, cannot use them).
    Calibration is ``[0, calibration_weeks)``, the holdout the remaining weeks.
    """

    weeks: int
    holdout_weeks: int
    cohort_weeks: int
    start_date: str

    @property
    def calibration_weeks(self) -> int:
        """Weeks the models are fitted on."""
        return self.weeks - self.holdout_weeks

    def check(self) -> None:
        """Refuse a calendar that leaves no calibration, no holdout or no cohort.

        Raises:
            ConfigError: naming the option and what is allowed.
        """
        if self.holdout_weeks < 1:
            raise ConfigError(f"--holdout-weeks {self.holdout_weeks}: must be at least 1")
        if self.holdout_weeks >= self.weeks:
            raise ConfigError(
                f"--holdout-weeks {self.holdout_weeks}: the holdout must be shorter than the "
                f"run ({self.weeks} weeks)"
            )
        if not 1 <= self.cohort_weeks < self.calibration_weeks:
            raise ConfigError(
                f"--cohort-weeks {self.cohort_weeks}: the cohort window must lie inside the "
                f"calibration period (1..{self.calibration_weeks - 1} weeks here)"
            )

    def date(self, week: int) -> pd.Timestamp:
        """Calendar date of (the start of) ``week``, as in the transaction log."""
        return pd.Timestamp(self.start_date) + pd.Timedelta(weeks=week)


# ------------------------------------------------------------------ the truth


class TruthRecorder:
    """Per-person truth the model knows while it runs, and the transaction log itself.

    Call ``before_week`` and ``after_week`` around each ``model.step()`` and pass
    ``sink`` as the model's transaction sink. A person's purchase probability in a week
    is the model's own visit rule (``sim.chain.visit_chance``: ``visit_probability`` x
    share of wallet, which falls with dissatisfaction), read from the state just before
    the week's draw.
    """

    def __init__(self, n: int, windows: Windows) -> None:
        self.windows = windows
        self.week = 0
        self.first_purchase = np.full(n, -1, dtype=np.int64)
        # Expected purchases and alive weeks from the first purchase on, split at the end
        # of calibration.
        self.expected = np.zeros((2, n))
        self.alive_weeks = np.zeros((2, n), dtype=np.int64)
        self.purchases = np.zeros((2, n), dtype=np.int64)
        # The first relationship: repeat purchases made before the first defection
        # (calibration only), and when that defection came.
        self.first_spell_repeats = np.zeros(n, dtype=np.int64)
        self.first_exit = np.full(n, -1, dtype=np.int64)
        self.alive_at_calibration_end = np.zeros(n, dtype=bool)
        self.initial = np.zeros(n, dtype=bool)
        self.visit_probability = np.zeros(n)
        self._focal = np.zeros(n, dtype=bool)
        self._p_week = np.zeros(n)
        self.p_first = np.zeros(n)
        self._parts: list[tuple[int, NDArray[np.int64], NDArray[np.float64]]] = []

    def start(self, model: ServiceProfitChainModel) -> None:
        """Note who was a customer before the log began (after any burn-in)."""
        self.initial = model.customers.initial_customer.copy()
        self.visit_probability = model.customers.visit_probability.copy()

    def sink(self, week: int, ids: NDArray[np.int64], amounts: NDArray[np.float64]) -> None:
        """Receive one week's purchases (the model's transaction sink)."""
        self._parts.append((week, ids.copy(), amounts.copy()))
        period = int(week >= self.windows.calibration_weeks)
        new = self.first_purchase[ids] < 0
        self.first_purchase[ids[new]] = week
        repeat = ids[~new]
        self.purchases[period, repeat] += 1
        if period == 0:
            self.first_spell_repeats[repeat[self.first_exit[repeat] < 0]] += 1

    def before_week(self, model: ServiceProfitChainModel) -> None:
        """Note who can buy this week and with what probability."""
        c, week = model.customers, model.week
        self.week = week
        self._focal = c.firm == FOCAL
        if week == self.windows.calibration_weeks:
            self.alive_at_calibration_end = self._focal.copy()
        slope = model.config.behaviour.share_of_wallet_slope
        self._p_week = np.asarray(chain.visit_chance(c.visit_probability, c.satisfaction, slope))

    def after_week(self, model: ServiceProfitChainModel) -> None:
        """Book the week for customers who have bought: alive weeks, expected purchases."""
        week = self.week
        period = int(week >= self.windows.calibration_weeks)
        # From the week after the first purchase on, as BG/NBD counts repeat purchases:
        # the first purchase's own week is selected for having a purchase.
        buying = self._focal & (self.first_purchase >= 0) & (self.first_purchase < week)
        first = self._focal & (self.first_purchase == week)
        self.p_first[first] = self._p_week[first]
        self.expected[period, buying] += self._p_week[buying]
        self.alive_weeks[period, buying] += 1
        if period == 0:
            # Someone may leave in the very week of the first purchase.
            left = (
                self._focal
                & (self.first_purchase >= 0)
                & (model.customers.last_exit_week == week)
                & (self.first_exit < 0)
            )
            self.first_exit[left] = week

    def transactions(self) -> pd.DataFrame:
        """The log as the analyst gets it: ``customer_id``, ``week``, ``date``, ``amount``."""
        if not self._parts:
            return _empty_log()
        ids = np.concatenate([p[1] for p in self._parts])
        weeks = np.concatenate([np.full(p[1].size, p[0], dtype=np.int64) for p in self._parts])
        amounts = np.concatenate([p[2] for p in self._parts])
        return pd.DataFrame(
            {
                "customer_id": ids,
                "week": weeks,
                "date": self.windows.date(0) + pd.to_timedelta(weeks * 7, unit="D"),
                "amount": amounts,
            }
        )

    def table(self, ids: NDArray[np.int64]) -> pd.DataFrame:
        """Truth per customer of ``ids`` (the cohort), indexed by ``customer_id``."""
        cal, hold = 0, 1
        weeks = self.alive_weeks[cal, ids]
        defected = self.first_exit[ids] >= 0
        return pd.DataFrame(
            {
                "first_purchase_week": self.first_purchase[ids],
                "visit_probability": self.visit_probability[ids],
                "alive_weeks_cal": weeks,
                "expected_purchases_cal": self.expected[cal, ids],
                # Someone gone the week they first bought has only that week's rate.
                "true_rate": np.where(
                    weeks > 0, self.expected[cal, ids] / np.maximum(weeks, 1), self.p_first[ids]
                ),
                "repeat_purchases_cal": self.purchases[cal, ids],
                "first_spell_repeats": self.first_spell_repeats[ids],
                "defected_cal": defected,
                "first_exit_week": self.first_exit[ids],
                "alive_cal_end": self.alive_at_calibration_end[ids],
                "returned_cal": defected & self.alive_at_calibration_end[ids],
                "purchases_holdout": self.purchases[hold, ids],
                "expected_purchases_holdout": self.expected[hold, ids],
            },
            index=pd.Index(ids, name="customer_id"),
        )


def _empty_log() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": np.zeros(0, dtype=np.int64),
            "week": np.zeros(0, dtype=np.int64),
            "date": pd.to_datetime(np.zeros(0, dtype="datetime64[ns]")),
            "amount": np.zeros(0),
        }
    )


def simulate(cfg: SimConfig, windows: Windows) -> TruthRecorder:
    """Run ``cfg`` for ``windows.weeks`` recording the log and the truth."""
    recorder = TruthRecorder(cfg.market.n_customers, windows)
    model = ServiceProfitChainModel(cfg, transaction_sink=recorder.sink)
    recorder.start(model)
    for _ in range(windows.weeks):
        recorder.before_week(model)
        model.step()
        recorder.after_week(model)
    return recorder


def replay(
    folder: Path, windows: Windows, cfg: SimConfig, stored: pd.DataFrame | None = None
) -> TruthRecorder:
    """Re-run a run folder's configuration in-process to recover its truth.

    The model is deterministic given its config and seed, so the replay makes the very
    same log; a replay that does not match the stored log (a run made by another
    version of the model) is refused rather than compared with the wrong truth.

    Raises:
        ConfigError: if the replayed log differs from the folder's.
    """
    recorder = simulate(cfg, windows)
    stored = read_log(folder) if stored is None else stored
    again = recorder.transactions()
    same = len(stored) == len(again) and bool(
        np.array_equal(stored["customer_id"].to_numpy(), again["customer_id"].to_numpy())
        and np.array_equal(stored["week"].to_numpy(), again["week"].to_numpy())
        and np.allclose(stored["amount"].to_numpy(), again["amount"].to_numpy(), rtol=1e-12)
    )
    if not same:
        raise ConfigError(
            f"--run {folder}: replaying its config.yaml does not reproduce its "
            "transactions.parquet (made by another version of the model?); rerun it"
        )
    return recorder


def read_log(folder: Path) -> pd.DataFrame:
    """A run folder's transaction log, with ``date`` as a timestamp.

    Raises:
        ConfigError: if the folder has no (readable) transaction log.
    """
    path = folder / "transactions.parquet"
    if not path.is_file():
        raise ConfigError(
            f"--run {folder}: no transactions.parquet in it; make one with "
            "`sim run run=clv` or `sim run run.transaction_log=true`"
        )
    try:
        log = pd.read_parquet(path)
    except Exception as exc:
        raise ConfigError(f"--run {folder}: cannot read transactions.parquet: {exc}") from exc
    missing = {"customer_id", "week", "date", "amount"} - set(log.columns)
    if missing:
        raise ConfigError(f"--run {folder}: transactions.parquet lacks {sorted(missing)}")
    log["date"] = pd.to_datetime(log["date"])
    return log


def load_run_config(folder: Path) -> SimConfig:
    """The resolved configuration a run folder was made with.

    Raises:
        ConfigError: if the folder is not a run folder.
    """
    from sim.configstore import to_sim_config

    if not folder.is_dir():
        raise ConfigError(f"--run {folder}: no such folder")
    path = folder / "config.yaml"
    if not path.is_file():
        raise ConfigError(f"--run {folder}: no config.yaml, so not a `sim run` folder")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        return to_sim_config(data)
    except Exception as exc:
        raise ConfigError(f"--run {folder}: cannot read config.yaml: {exc}") from exc


# ---------------------------------------------------------------- BTYD side


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
            pareto_nbd = _quiet(lifetimes.ParetoNBDFitter().fit, f, r, t)
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


# ------------------------------------------------------------------ comparison


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


# ------------------------------------------------------------------ one analysis


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


# ------------------------------------------------------------------ figures

_SIM: dict[str, Any] = {"color": "black", "marker": "o", "label": "simulator (truth)"}
_BGNBD: dict[str, Any] = {"color": "tab:blue", "marker": "s", "label": "BG/NBD"}
_PARETO: dict[str, Any] = {"color": "tab:orange", "marker": "^", "label": "Pareto/NBD"}


_BANDS = ("0", "1-4", "5-9", "10-19", "20-29", "30-39", "40-59", "60+")


def _frequency_bands(frequency: pd.Series[float]) -> pd.Series[str]:
    edges = [-0.5, 0.5, 4.5, 9.5, 19.5, 29.5, 39.5, 59.5, np.inf]
    return pd.cut(frequency, edges, labels=list(_BANDS)).astype(str)


def plot_holdout(table: pd.DataFrame) -> Figure:
    """Mean holdout purchases by calibration repeat purchases: actual, expected, predicted."""
    fig = Figure(figsize=(7.5, 4.2), layout="constrained")
    ax = fig.add_subplot()
    band = _frequency_bands(table["frequency_cal"])
    columns: dict[str, dict[str, Any]] = {
        "frequency_holdout": {"color": "black", "marker": "o", "label": "actual"},
        "expected_purchases_holdout": {
            "color": "0.5",
            "marker": "o",
            "linestyle": ":",
            "label": "simulator's expectation",
        },
        "predicted_holdout": _BGNBD,
        "predicted_holdout_pareto": _PARETO,
    }
    means = table.groupby(band, sort=False)[[c for c in columns if c in table]].mean()
    order = [b for b in _BANDS if b in means.index]
    means = means.loc[order]
    x = np.arange(len(means))
    for column, style in columns.items():
        if column in means:
            ax.plot(x, means[column], **style)
    counts = band.value_counts()
    ax.set_xticks(x, [f"{b}\n(n={counts[b]})" for b in order])
    ax.set_xlabel("repeat purchases in calibration")
    ax.set_ylabel("mean purchases in the holdout")
    ax.set_title("Holdout purchases by calibration frequency")
    ax.legend(frameon=False)
    return fig


def plot_p_alive(table: pd.DataFrame, score: dict[str, float]) -> Figure:
    """Calibration of P(alive): predicted against the share truly still a customer."""
    fig = Figure(figsize=(5.2, 4.6), layout="constrained")
    ax = fig.add_subplot()
    bins = pd.cut(table["p_alive"], [i / 10 for i in range(11)], include_lowest=True)
    grouped = table.groupby(bins, observed=True).agg(
        predicted=("p_alive", "mean"), actual=("alive_cal_end", "mean"), n=("p_alive", "size")
    )
    ax.plot([0, 1], [0, 1], color="0.7", linewidth=0.8, label="perfect calibration")
    ax.scatter(
        grouped["predicted"],
        grouped["actual"],
        s=20 + 200 * grouped["n"] / grouped["n"].max(),
        color="tab:blue",
        label="BG/NBD, deciles of P(alive)",
        zorder=3,
    )
    ax.set_xlim(0, 1.02)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("BG/NBD P(alive) at the end of calibration")
    ax.set_ylabel("share truly still a customer")
    ax.set_title(
        f"P(alive): AUC {score['p_alive_auc']:.3f}, Brier {score['p_alive_brier']:.3f}"
        f" (constant: {score['p_alive_brier_constant']:.3f})",
        fontsize=10,
    )
    ax.legend(frameon=False, loc="upper left")
    return fig


def plot_rates(table: pd.DataFrame, params: dict[str, float]) -> Figure:
    """Per-customer purchase rates: true vs posterior, and the fitted gamma vs the truth."""
    fig = Figure(figsize=(10, 4.2), layout="constrained")
    left, right = fig.subplots(1, 2)
    top = float(max(table["true_rate"].max(), table["posterior_rate"].max()) * 1.05)
    left.scatter(table["true_rate"], table["posterior_rate"], s=4, alpha=0.35, color="tab:blue")
    left.plot([0, top], [0, top], color="0.5", linewidth=0.8)
    left.set_xlabel("true purchase rate (per week alive)")
    left.set_ylabel("BG/NBD posterior mean rate")
    left.set_title("Each customer's purchase rate")
    right.hist(table["true_rate"], bins=40, density=True, color="0.75", label="simulator (cohort)")
    grid = np.linspace(1e-3, top, 300)
    r, alpha = params["r"], params["alpha"]
    right.plot(
        grid,
        stats.gamma.pdf(grid, r, scale=1 / alpha),
        color="tab:blue",
        label=f"BG/NBD gamma(r={r:.2f}, α={alpha:.2f})",
    )
    right.axvline(float(table["true_rate"].mean()), color="black", linewidth=0.8)
    right.axvline(r / alpha, color="tab:blue", linewidth=0.8, linestyle="--")
    right.set_xlabel("purchase rate (per week alive)")
    right.set_ylabel("density")
    right.set_title("True rates vs the fitted gamma (lines: means)")
    right.legend(loc="center right", framealpha=0.9)
    return fig


def plot_dropout(dropout: pd.DataFrame, hazard: pd.DataFrame) -> Figure:
    """Dropout by purchase number (BG/NBD's clock) and by weeks (Pareto/NBD's clock)."""
    fig = Figure(figsize=(10, 4.2), layout="constrained")
    left, right = fig.subplots(1, 2)
    x = np.arange(len(dropout))
    left.plot(x, dropout["simulated"], **_SIM)
    left.plot(x, dropout["bgnbd"], **_BGNBD)
    left.set_xticks(x, dropout["repeat_purchases"])
    left.set_xlabel("repeat purchases made so far")
    left.set_ylabel("share leaving before the next purchase")
    left.set_title("Dropout per purchase (BG/NBD: a/(a+b+k-1))")
    left.legend(frameon=False)
    if not hazard.empty:
        mid = (hazard["weeks_from"] + hazard["weeks_to"]) / 2
        right.plot(mid, hazard["simulated"], **_SIM)
        if "pareto_nbd" in hazard:
            right.plot(mid, hazard["pareto_nbd"], **_PARETO)
    right.set_xlabel("weeks since the first purchase")
    right.set_ylabel("defections per customer-week")
    right.set_title("Dropout per week (Pareto/NBD: s/(β+t))")
    right.set_ylim(bottom=0)
    right.legend(frameon=False)
    return fig


def write_figures(analysis: Analysis, folder: Path) -> list[Path]:
    """Draw the four figures into ``folder`` (PNG) and return their paths."""
    from sim.plots import save

    folder.mkdir(parents=True, exist_ok=True)
    params = {k: float(v) for k, v in analysis.fits.bgnbd.params_.items()}
    figures = {
        "clv_holdout.png": plot_holdout(analysis.table),
        "clv_p_alive.png": plot_p_alive(analysis.table, analysis.scores),
        "clv_rates.png": plot_rates(analysis.table, params),
        "clv_dropout.png": plot_dropout(analysis.dropout, analysis.hazard),
    }
    return [save(fig, folder / name) for name, fig in figures.items()]


# ------------------------------------------------------------------ report


def _number(value: float) -> str:
    if not math.isfinite(value):
        return "–"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.4g}"


def _percent(value: float) -> str:
    return f"{value:+.1%}" if math.isfinite(value) else "–"


def markdown_recovery(recovery: pd.DataFrame) -> str:
    """The recovery table as Markdown (the relative-error measure in its own column)."""
    lines = [
        "| quantity | true | recovered | relative error | error measure |",
        "|---|---|---|---|---|",
    ]
    for row in recovery.to_dict("records"):
        true, recovered, error, se = (
            float(row["true"]),
            float(row["recovered"]),
            float(row["relative_error"]),
            float(row["se"]),
        )
        signed = str(row["error_measure"]).startswith("(")
        shown = _percent(error) if signed else f"{error:.1%}"
        lines.append(
            f"| {row['quantity']} | {_number(true)} | {_number(recovered)}"
            + (f" (SE {se:.2g})" if math.isfinite(se) else "")
            + f" | {shown} "
            f"| {'signed' if signed else 'MAE ÷ mean'} |"
        )
    return "\n".join(lines)


def _params_lines(fits: Fits) -> list[str]:
    lines = []
    for name, label in (
        ("bgnbd", "BG/NBD"),
        ("pareto_nbd", "Pareto/NBD"),
        ("gamma_gamma", "Gamma-Gamma"),
    ):
        values = fit_parameters(fits).get(name)
        if not values:
            continue
        parts = [
            f"{k} = {v['value']:.4g}" + (f" (SE {v['se']:.2g})" if v["se"] is not None else "")
            for k, v in values.items()
        ]
        lines.append(f"- {label}: " + ", ".join(parts))
    lines += [f"- {note}" for note in fits.notes]
    return lines


def _row_value(recovery: pd.DataFrame, start: str, column: str) -> float:
    match = recovery[recovery["quantity"].str.startswith(start)]
    return float(match[column].iloc[0]) if len(match) else math.nan


def markdown_replications(summary: pd.DataFrame) -> str:
    """The spread of each relative error over seeds, as Markdown."""
    lines = [
        "| quantity | mean relative error | SD | 95% CI | seeds |",
        "|---|---|---|---|---|",
    ]
    for row in summary.to_dict("records"):
        signed = str(row["error_measure"]).startswith("(")
        show = _percent if signed else (lambda v: f"{v:.1%}")
        lines.append(
            f"| {row['quantity']} | {show(float(row['mean_relative_error']))} "
            f"| {float(row['sd']):.1%} | [{show(float(row['ci_low']))}, "
            f"{show(float(row['ci_high']))}] | {row['n']} |"
        )
    return "\n".join(lines)


def report_text(
    analysis: Analysis,
    command: str,
    source: str,
    seconds: float,
    figures: Sequence[Path],
    replications: pd.DataFrame | None = None,
) -> str:
    """``report.md``: setup, the recovery table, scores, parameters and what they mean."""
    w, sc, rec = analysis.windows, analysis.scores, analysis.recovery
    cfg = analysis.config
    rate_err = _row_value(rec, "BG/NBD mean purchase rate", "relative_error")
    p_err = _row_value(
        rec, "BG/NBD dropout per repeat purchase a/(a+b), vs pooled", "relative_error"
    )
    pooled_err = _row_value(rec, "BG/NBD dropout per purchase, pooled", "relative_error")
    weekly_err = _row_value(rec, "Pareto/NBD dropout per week, pooled", "relative_error")
    alive_err = _row_value(rec, "share of the cohort", "relative_error")
    hold_err = _row_value(rec, "holdout purchases of the cohort, total (BG/NBD)", "relative_error")
    hazard = analysis.hazard
    first_year = hazard[hazard["weeks_to"] <= WEEKS_PER_YEAR]["simulated"]
    later = hazard[hazard["weeks_from"] >= WEEKS_PER_YEAR]["simulated"]
    lines = [
        "# CLV interoperability: BTYD models against the simulator's truth",
        "",
        f"Command: `{command}`  ",
        f"Source: {source}  ",
        f"World: {cfg.market.n_customers:,} people, {cfg.workforce.n_employees} employees, "
        f"seed {cfg.seed}; {w.weeks} recorded weeks: calibration weeks 0-"
        f"{w.calibration_weeks - 1}, holdout weeks {w.calibration_weeks}-{w.weeks - 1}.  ",
        f"Cohort: the {int(sc['cohort_customers']):,} customers whose first purchase fell in "
        f"weeks 0-{w.cohort_weeks - 1} and who were not customers at week 0.  ",
        f"Wall time (simulation and fits): {seconds:.0f} s.",
        "",
        "## Recovery: true vs recovered",
        "",
        markdown_recovery(rec),
        "",
        "Signed errors are (recovered − true) ÷ true; per-customer rows give the mean "
        "absolute error ÷ the mean true value. `recovery.csv` says how each truth is measured.",
        "",
        *(
            [
                f"## Across {int(replications['n'].max())} seeds",
                "",
                f"The same comparison for seeds {cfg.seed} to "
                f"{cfg.seed + int(replications['n'].max()) - 1} "
                "(`replications.csv`); the tables above and below are for the first seed.",
                "",
                markdown_replications(replications),
                "",
            ]
            if replications is not None
            else []
        ),
        "## Per-customer agreement",
        "",
        "| score | value |",
        "|---|---|",
        f"| correlation of true and posterior purchase rates (Pearson / Spearman) | "
        f"{sc['rate_correlation_pearson']:.3f} / {sc['rate_correlation_spearman']:.3f} |",
        f"| correlation of predicted and actual holdout purchases | "
        f"{sc['holdout_correlation']:.3f} |",
        f"| P(alive) vs truly still a customer: AUC | {sc['p_alive_auc']:.3f} |",
        f"| P(alive): Brier score (a constant at the true share: "
        f"{sc['p_alive_brier_constant']:.3f}) | {sc['p_alive_brier']:.3f} |",
        "",
        "## Fitted parameters (weeks)",
        "",
        *_params_lines(analysis.fits),
        "",
        "## Figures",
        "",
        *[f"![{p.stem}](figures/{p.name})" for p in figures],
        "",
        "## Reading it",
        "",
        f"- **Purchase rate.** BG/NBD's mean rate r/α is off by {_percent(rate_err)} and "
        f"the posterior rates correlate {sc['rate_correlation_pearson']:.2f} with the true "
        "ones: while a customer stays, the simulator's purchases are close to what BG/NBD "
        "assumes (a steady, customer-specific rate), so this part is recovered well.",
        f"- **Dropout.** a/(a+b) is {_percent(p_err)} from the pooled share "
        "(defections ÷ repeat purchases), but that comparison is unfair even to a true "
        "BG/NBD world: a/(a+b) is the mean dropout chance before anyone has left, and the "
        "pooled share is dominated by the many purchases of survivors, who leave less. "
        "Over the same purchases, BG/NBD's a/(a+b+k-1) expects "
        f"{_percent(pooled_err)} of the defections seen (Pareto/NBD over the same weeks "
        f"at risk: {_percent(weekly_err)}). The shape is right, dropout falling with the "
        "number of purchases (figure `clv_dropout`), but BG/NBD has nobody leave after the "
        "first purchase and too few later. In the simulator nobody flips a coin after a "
        "purchase: defection is a weekly hazard driven by satisfaction, rivals' pull, "
        "tenure (new customers leave more easily), switching costs and remembered "
        "failures, so per purchase it is heaviest for light buyers and moves with "
        "satisfaction.",
        f"- **Who is still there.** The mean P(alive) is off by {_percent(alive_err)} "
        f"from the true share, and P(alive) ranks customers well (AUC {sc['p_alive_auc']:.2f}).",
        f"- **Holdout.** The cohort's predicted holdout purchases are off by {_percent(hold_err)}.",
        "- **Assumptions the simulator breaks**, with their size here:",
        "  - dropout is a weekly hazard, not a coin flipped after each purchase, and it "
        f"falls with tenure ({first_year.mean():.4f} a week in the first year after the "
        f"first purchase, {later.mean():.4f} after it);",
        f"  - {sc['defectors_without_repeat_share']:.1%} of defectors left before any "
        "repeat purchase, which BG/NBD does not allow;",
        f"  - {sc['returned_share_of_defectors']:.1%} of defectors were customers again "
        "by the end of calibration, while BG/NBD's dropout is forever;",
        "  - at most one purchase a week (the rate of "
        f"{sc['capped_rate_share']:.1%} of the cohort sits at that cap), and fewer when "
        "dissatisfied, so the rate is neither Poisson nor constant while alive;",
        "  - spend per visit grows with tenure, which the stationary Gamma-Gamma model "
        "cannot follow.",
        "",
    ]
    return "\n".join(lines)


def new_manifest(analysis: Analysis, command: str, source: str, seconds: float) -> dict[str, Any]:
    """What made this folder: command, calendar, versions, revision and the full config."""
    from sim.configstore import to_yaml

    w = analysis.windows
    return {
        "command": command,
        "source": source,
        "windows": {
            "weeks": w.weeks,
            "calibration_weeks": w.calibration_weeks,
            "holdout_weeks": w.holdout_weeks,
            "cohort_weeks": w.cohort_weeks,
            "start_date": w.start_date,
        },
        "cohort_customers": len(analysis.table),
        "wall_seconds": round(seconds, 1),
        "versions": versions("lifetimes"),
        "git": revision(),
        "config": yaml.safe_load(to_yaml(analysis.config)),
    }


def write_outputs(
    analysis: Analysis,
    out: Path,
    command: str,
    source: str,
    seconds: float,
    figures: bool = True,
    replications: pd.DataFrame | None = None,
) -> Path:
    """Write the analysis folder atomically; return where it landed.

    ``replications`` (one recovery table per seed, with a ``seed`` column) adds
    ``replications.csv`` and the spread of each error to the report.
    """
    with AtomicFolder(out) as folder:
        part = folder.partial
        rfm_columns = [
            "frequency_cal",
            "recency_cal",
            "T_cal",
            "monetary_value_cal",
            "frequency_holdout",
            "monetary_value_holdout",
            "duration_holdout",
        ]
        analysis.table[rfm_columns].to_csv(part / "rfm.csv")
        analysis.table.to_csv(part / "customers.csv")
        analysis.recovery.to_csv(part / "recovery.csv", index=False)
        analysis.dropout.to_csv(part / "dropout_by_purchase.csv", index=False)
        analysis.hazard.to_csv(part / "hazard_by_tenure.csv", index=False)
        analysis.log.to_parquet(part / "cohort_transactions.parquet", index=False)
        write_json(part / "scores.json", analysis.scores)
        (part / "fit.json").write_text(json_dumps(fit_parameters(analysis.fits)), encoding="utf-8")
        write_manifest(part, new_manifest(analysis, command, source, seconds))
        summary = None
        if replications is not None:
            replications.to_csv(part / "replications.csv", index=False)
            summary = replication_summary(replications)
            summary.to_csv(part / "replication_summary.csv", index=False)
        paths = write_figures(analysis, part / "figures") if figures else []
        write_text_atomically(
            part / "report.md",
            report_text(analysis, command, source, seconds, paths, summary),
        )
    return folder.final


def json_dumps(data: Any) -> str:
    """Indented JSON with a final newline."""
    import json

    return json.dumps(data, indent=2) + "\n"


# ------------------------------------------------------------------ command line


def _compose(overrides: Sequence[str]) -> SimConfig:
    from sim.compose import compose_config
    from sim.errors import UserError

    try:
        return compose_config(overrides)
    except UserError as exc:
        raise ConfigError(str(exc)) from exc


def build_config(
    scale: Scale, customers: int | None, years: int | None, overrides: Sequence[str]
) -> SimConfig:
    """The world to simulate: the scale's size and horizon unless overridden.

    Staff scale with the market (one employee per 100 people) so service levels match
    the default world's.
    """
    n = customers if customers is not None else scale.n_customers
    weeks = (years if years is not None else scale.years) * WEEKS_PER_YEAR
    given = {o.lstrip("+~").split("=", 1)[0] for o in overrides}
    base = {
        "market.n_customers": n,
        "workforce.n_employees": max(1, n // CUSTOMERS_PER_EMPLOYEE),
        "run.weeks": weeks,
        "run.figures": "false",
        "run.progress": "false",
    }
    own = [f"{k}={v}" for k, v in base.items() if k not in given]
    return _compose([*own, *overrides])


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


def main(argv: Sequence[str] | None = None) -> int:
    """Run (or replay) the model, fit BTYD models, compare with the truth, write a report.

    Raises:
        ConfigError: bad options, a run folder without a transaction log, a holdout as
            long as the run, a cohort too small to fit.
    """
    parser = argparse.ArgumentParser(
        prog="sim clv",
        description="Fit BG/NBD, Pareto/NBD and Gamma-Gamma (lifetimes) to a simulated "
        "transaction log and compare what they recover with the simulator's truth.",
    )
    parser.add_argument("overrides", nargs="*", help="Hydra overrides, e.g. seed=3")
    parser.add_argument("--run", type=Path, help="analyse this `sim run` folder instead")
    parser.add_argument("--small", action="store_true", help="10,000 people, one seed (for tests)")
    parser.add_argument("--customers", type=int, help="people in the market (default 50,000)")
    parser.add_argument("--years", type=int, help="recorded years (default 3)")
    parser.add_argument(
        "--replications", type=int, help="seeds seed, seed+1, ... (default 5; --small: 1)"
    )
    parser.add_argument("--holdout-weeks", type=int, default=WEEKS_PER_YEAR)
    parser.add_argument("--cohort-weeks", type=int, default=WEEKS_PER_YEAR)
    parser.add_argument("--out", type=Path, help="output folder (new)")
    parser.add_argument("--no-figures", action="store_true")
    given = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(given)
    scale = SMALL if args.small else DEFAULT
    replications = args.replications if args.replications is not None else scale.replications
    command = " ".join(["python -m sim.research.clv", *given])
    start = time.perf_counter()
    if args.run is not None:
        if args.overrides or args.customers or args.years or (args.replications or 1) > 1:
            raise ConfigError(
                "--run analyses one finished run: no overrides, --customers, --years "
                "or --replications"
            )
        cfg = load_run_config(args.run)
        log = read_log(args.run)
        windows = Windows(cfg.run.weeks, args.holdout_weeks, args.cohort_weeks, cfg.run.start_date)
        windows.check()
        print(f"replaying {args.run} to recover its truth ({cfg.run.weeks} weeks)", flush=True)
        analysis = analyse(cfg, windows, replay(args.run, windows, cfg, log), log)
        source = f"run folder {args.run} (replayed in-process for the truth)"
        recoveries = [analysis.recovery.assign(seed=cfg.seed)]
    else:
        for option, value in (
            ("--customers", args.customers),
            ("--years", args.years),
            ("--replications", replications),
        ):
            if value is not None and value < 1:
                raise ConfigError(f"{option} {value}: must be at least 1")
        cfg = build_config(scale, args.customers, args.years, args.overrides)
        windows = Windows(cfg.run.weeks, args.holdout_weeks, args.cohort_weeks, cfg.run.start_date)
        windows.check()
        source = "simulated in-process"
        recoveries = []
        for i in range(replications):
            seeded = dataclasses.replace(cfg, seed=cfg.seed + i)
            print(
                f"seed {seeded.seed}: {cfg.market.n_customers:,} people, {cfg.run.weeks} weeks",
                flush=True,
            )
            result = analyse(seeded, windows, simulate(seeded, windows))
            recoveries.append(result.recovery.assign(seed=seeded.seed))
            if i == 0:
                analysis = result
    table = pd.concat(recoveries, ignore_index=True)
    seconds = time.perf_counter() - start
    name = timestamp() + ("_small" if args.small else "")
    out = args.out if args.out is not None else Path("results") / "clv" / name
    folder = write_outputs(
        analysis,
        out,
        command,
        source,
        seconds,
        figures=not args.no_figures,
        replications=table if replications > 1 else None,
    )
    print(markdown_recovery(analysis.recovery))
    if replications > 1:
        print(markdown_replications(replication_summary(table)))
    print(f"report: {(folder / 'report.md').resolve()}")
    return 0


def _cli() -> int:
    from sim.commandline import module_main

    return module_main(main)


if __name__ == "__main__":
    raise SystemExit(_cli())
