"""The truth only the simulator knows, recorded while the model runs.

The analysis calendar (``Windows``), each person's purchase chances and purchases week
by week (``TruthRecorder``, the hook into the running model), and a run folder's log
and config read back for a replay.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from numpy.typing import NDArray

from sim import chain
from sim.config import ConfigError, SimConfig
from sim.model import ServiceProfitChainModel
from sim.state import FOCAL


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
