"""A firm's transaction log: read, checked, and aggregated to customer-weeks.

The model makes at most one visit a week, so the unit of a transaction here is a
customer-week with at least one purchase. Weeks are counted from the first date in the
file (week 0 holds its first seven days); the split date's week is the last week of
calibration. The same weekly data feed the model's fit and BG/NBD's, so the comparison
is about the models, not the data each sees.

The CDNOW files that ship with ``lifetimes`` load by name (``cdnow``: the master file
of 23,570 customers; ``cdnow-sample``: its 2,357-customer sample), amounts summed per
customer and day, so the worked example needs no conversion step.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from sim.errors import UserError

type I64 = NDArray[np.int64]
type F64 = NDArray[np.float64]

REQUIRED = ("customer_id", "date", "amount")
CDNOW = {"cdnow": "CDNOW_master.txt", "cdnow-sample": "CDNOW_sample.txt"}


def lifetimes_dataset(filename: str) -> Path:
    """Path of a data file shipped with ``lifetimes`` (found through the package)."""
    from importlib import resources

    from sim.research.clv.fit import _import_lifetimes

    _import_lifetimes()
    return Path(str(resources.files("lifetimes") / "datasets" / filename))


def read_cdnow(name: str) -> pd.DataFrame:
    """A CDNOW file of ``lifetimes`` as ``customer_id, date, amount``, one row per customer-day."""
    path = lifetimes_dataset(CDNOW[name])
    if name == "cdnow":
        raw = pd.read_csv(path, sep=r"\s+", dtype={"customer_id": str, "date": str})
        raw = raw.rename(columns={"dollar_value": "amount"})
    else:
        names = ["customer_id", "customer_index", "date", "number_of_cds", "amount"]
        raw = pd.read_csv(path, sep=r"\s+", header=None, names=names, dtype=str)
        raw["amount"] = raw["amount"].astype(float)
    raw["date"] = pd.to_datetime(raw["date"], format="%Y%m%d")
    daily = raw.groupby(["customer_id", "date"], as_index=False).agg(amount=("amount", "sum"))
    return daily.loc[:, list(REQUIRED)]


def read_transactions(source: str) -> pd.DataFrame:
    """The log as ``customer_id`` (str), ``date`` (timestamp), ``amount`` (float).

    ``source`` is a CSV path or one of the names in ``CDNOW``.

    Raises:
        UserError: no such file, a missing column, an unreadable date or amount, no rows.
    """
    if source in CDNOW:
        return read_cdnow(source)
    path = Path(source)
    if not path.is_file():
        raise UserError(
            f"{source}: no such file; give a CSV with columns {', '.join(REQUIRED)} "
            f"or one of: {', '.join(CDNOW)}"
        )
    try:
        raw = pd.read_csv(path, dtype={"customer_id": str})
    except Exception as exc:
        raise UserError(f"{source}: cannot read it as CSV: {exc}") from exc
    missing = [c for c in REQUIRED if c not in raw.columns]
    if missing:
        raise UserError(
            f"{source}: missing column(s) {', '.join(missing)}; required columns: "
            f"{', '.join(REQUIRED)} (found: {', '.join(map(str, raw.columns))})"
        )
    log = raw[list(REQUIRED)].copy()
    if log.empty:
        raise UserError(f"{source}: no transactions")
    if log.isna().any().any():
        bad = [c for c in REQUIRED if log[c].isna().any()]
        raise UserError(f"{source}: empty values in column(s) {', '.join(bad)}")
    try:
        log["date"] = pd.to_datetime(log["date"])
    except (ValueError, TypeError) as exc:
        raise UserError(f"{source}: column date: not a date ({exc}); use YYYY-MM-DD") from exc
    amount = pd.to_numeric(log["amount"], errors="coerce")
    if amount.isna().any() or not np.isfinite(amount.to_numpy(float)).all():
        raise UserError(f"{source}: column amount: every value must be a finite number")
    log["amount"] = amount.astype(float)
    log["customer_id"] = log["customer_id"].astype(str)
    return log


@dataclass(frozen=True)
class WeeklyLog:
    """Purchase weeks per customer, with the split into calibration and holdout.

    ``customer`` and ``week`` list each customer-week with a purchase once; ``spend`` is
    that week's amount. ``split_week`` is the last calibration week; the holdout is
    ``split_week + 1 .. last_week``.
    """

    ids: NDArray[np.str_]
    first_week: I64
    customer: I64
    week: I64
    spend: F64
    start: pd.Timestamp
    split: pd.Timestamp
    split_week: int
    last_week: int

    @property
    def calibration_weeks(self) -> int:
        """Weeks 0..split_week."""
        return self.split_week + 1

    @property
    def holdout_weeks(self) -> int:
        """Weeks after the split up to the last week in the log."""
        return self.last_week - self.split_week

    @property
    def cohort(self) -> I64:
        """Rows of customers whose first purchase is on or before the split."""
        return np.flatnonzero(self.first_week <= self.split_week)

    def week_date(self, week: int | I64) -> pd.DatetimeIndex:
        """First day of each week."""
        return self.start + pd.to_timedelta(np.atleast_1d(week) * 7, unit="D")


def weekly(log: pd.DataFrame, split: str) -> WeeklyLog:
    """Aggregate ``log`` to customer-weeks and place the split.

    Raises:
        UserError: a split that is not a date, or leaves no calibration or no holdout week.
    """
    try:
        when = pd.Timestamp(split)
    except (ValueError, TypeError) as exc:
        raise UserError(f"--split {split}: not a date; use YYYY-MM-DD") from exc
    start, end = log["date"].min().normalize(), log["date"].max().normalize()
    day = (log["date"].dt.normalize() - start).dt.days.to_numpy(np.int64)
    week_of = day // 7
    last_week = int(week_of.max())
    split_week = int((when.normalize() - start).days // 7)
    if when < start or split_week >= last_week:
        last_allowed = (start + pd.Timedelta(weeks=last_week) - pd.Timedelta(days=1)).date()
        raise UserError(
            f"--split {split}: outside the data; the log runs from {start.date()} to "
            f"{end.date()}, so the split must lie in {start.date()}..{last_allowed} "
            "(at least one holdout week after it)"
        )
    ids, customer = np.unique(log["customer_id"].to_numpy(str), return_inverse=True)
    frame = pd.DataFrame({"c": customer.astype(np.int64), "w": week_of, "a": log["amount"]})
    weeks = frame.groupby(["c", "w"], as_index=False)["a"].sum()
    c = weeks["c"].to_numpy(np.int64)
    first = np.full(ids.size, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(first, c, weeks["w"].to_numpy(np.int64))
    return WeeklyLog(
        ids=ids,
        first_week=first,
        customer=c,
        week=weeks["w"].to_numpy(np.int64),
        spend=weeks["a"].to_numpy(float),
        start=start,
        split=when,
        split_week=split_week,
        last_week=last_week,
    )


@dataclass(frozen=True)
class Histories:
    """The cohort's calibration summary and holdout counts, one row per cohort customer.

    ``x``: repeat purchase weeks in calibration; ``t_x``: weeks from the first purchase
    to the last one (0 if none); ``n``: weeks from the first purchase to the split week.
    """

    rows: I64
    x: I64
    t_x: I64
    n: I64
    holdout: I64
    mean_spend: F64


def histories(log: WeeklyLog) -> Histories:
    """Each cohort customer's (x, t_x, n), holdout purchase weeks and mean weekly spend."""
    rows = log.cohort
    index = np.full(log.first_week.size, -1, dtype=np.int64)
    index[rows] = np.arange(rows.size)
    k = index[log.customer]
    mine = k >= 0
    k, w, spend = k[mine], log.week[mine], log.spend[mine]
    first = log.first_week[rows]
    cal = w <= log.split_week
    repeat = cal & (w > first[k])
    x = np.bincount(k[repeat], minlength=rows.size).astype(np.int64)
    last = first.copy()
    np.maximum.at(last, k[cal], w[cal])
    holdout = np.bincount(k[~cal], minlength=rows.size).astype(np.int64)
    total = np.bincount(k[cal], weights=spend[cal], minlength=rows.size)
    count = np.bincount(k[cal], minlength=rows.size)
    return Histories(
        rows=rows,
        x=x,
        t_x=last - first,
        n=log.split_week - first,
        holdout=holdout,
        mean_spend=total / np.maximum(count, 1),
    )


def repeat_by_week(log: WeeklyLog) -> I64:
    """Actual repeat purchase weeks of the cohort in each week 0..last_week."""
    rows = log.cohort
    in_cohort = np.zeros(log.first_week.size, dtype=bool)
    in_cohort[rows] = True
    repeat = in_cohort[log.customer] & (log.week > log.first_week[log.customer])
    return np.bincount(log.week[repeat], minlength=log.last_week + 1).astype(np.int64)
