"""Statistics of one run that calibration targets and patterns are stated in.

Each statistic is a pure function of a run's own output tables (the summary, the
customer table, the run's configuration), so the same number can be recomputed from
any run folder a design sweep leaves behind; nothing here runs the model.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from sim import chain
from sim.config import ConfigError
from sim.design import finished_runs
from sim.output import read_run


@dataclass(frozen=True)
class RunTables:
    """What a statistic may read: the run's summary, customers and configuration."""

    summary: Mapping[str, Any]
    customers: pd.DataFrame
    config: Mapping[str, Any]

    @property
    def current(self) -> pd.DataFrame:
        """The firm's customers at the end of the run."""
        return self.customers[self.customers["status"] == "focal"]


def read_tables(folder: Path) -> RunTables:
    """The tables of a finished run folder."""
    result = read_run(folder)
    config = yaml.safe_load((folder / "config.yaml").read_text(encoding="utf-8"))
    return RunTables(result.summary, result.customers, config)


def _summary(key: str) -> Callable[[RunTables], float]:
    return lambda t: float(t.summary[key])


def referral_intent_share(t: RunTables) -> float:
    """Share of the firm's customers who intend to refer (SF32's "intend")."""
    threshold = float(t.config["behaviour"]["referral_intent_satisfaction"])
    return float((t.current["satisfaction"].to_numpy() >= threshold).mean())


def _ltr(t: RunTables) -> np.ndarray[Any, np.dtype[np.int64]]:
    return chain.likelihood_to_recommend(t.current["satisfaction"].to_numpy())


def detractor_share(t: RunTables) -> float:
    """Share of customers answering 0-6 to "how likely are you to recommend"."""
    return float((_ltr(t) <= 6).mean())


def passive_share(t: RunTables) -> float:
    """Share answering 7 or 8."""
    ltr = _ltr(t)
    return float(((ltr >= 7) & (ltr <= 8)).mean())


def top_box_share(t: RunTables) -> float:
    """Share of customers in the top satisfaction box (5 of 5)."""
    return chain.top_box_share(t.current["satisfaction"].to_numpy())


def tenure_profit_correlation(t: RunTables) -> float:
    """Correlation of tenure with lifetime profit across current customers (SF36)."""
    c = t.current
    if len(c) < 3:
        return float("nan")
    return float(np.corrcoef(c["tenure_weeks"], c["lifetime_profit"])[0, 1])


def _quadrant(
    tenure: np.ndarray[Any, Any], profit: np.ndarray[Any, Any], long: bool, rich: bool
) -> float:
    above_t = tenure > np.median(tenure)
    above_p = profit > np.median(profit)
    return float(((above_t == long) & (above_p == rich)).mean())


def butterfly_share(t: RunTables) -> float:
    """Share of customers short on tenure but above the median profit ("butterflies")."""
    c = t.current
    return _quadrant(c["tenure_weeks"].to_numpy(), c["lifetime_profit"].to_numpy(), False, True)


def barnacle_share(t: RunTables) -> float:
    """Share of customers long on tenure but below the median profit ("barnacles")."""
    c = t.current
    return _quadrant(c["tenure_weeks"].to_numpy(), c["lifetime_profit"].to_numpy(), True, False)


# Reinartz and Kumar (2000) followed one cohort of new customers (three years of a
# catalogue retailer's records) and set each one's lifetime duration against the
# contribution they brought: revenue less the cost of goods and of the marketing aimed at
# them. The cohort here is everyone the firm first won in the first recorded year.
COHORT_WEEKS = 52


def _cohort(t: RunTables) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """Observed duration and contribution of the first recorded year's new customers.

    Duration runs from the first acquisition to the last exit, or to the end of the run
    for those still served; contribution is lifetime revenue less every cost but staff
    time (goods, recovery, the marketing and onboarding that won them, referral rewards).
    """
    c = t.customers
    first = c["first_acquired_week"].to_numpy()
    cohort = c[(first >= 1) & (first <= COHORT_WEEKS)]
    end = np.where(cohort["status"] == "focal", int(t.summary["weeks"]), cohort["last_exit_week"])
    duration = end - cohort["first_acquired_week"].to_numpy()
    contribution = cohort["lifetime_revenue"].to_numpy() - (
        cohort["lifetime_cost"].to_numpy() - cohort["lifetime_staff_cost"].to_numpy()
    )
    return duration.astype(float), contribution


def cohort_duration_profit_correlation(t: RunTables) -> float:
    """SF36 as Reinartz and Kumar measured it: a cohort's duration against contribution."""
    duration, contribution = _cohort(t)
    if duration.size < 3 or np.ptp(duration) == 0 or np.ptp(contribution) == 0:
        return float("nan")
    return float(np.corrcoef(duration, contribution)[0, 1])


def cohort_butterfly_share(t: RunTables) -> float:
    """Share of the cohort short-lived but above its median contribution ("butterflies")."""
    return _quadrant(*_cohort(t), long=False, rich=True)


def cohort_barnacle_share(t: RunTables) -> float:
    """Share of the cohort long-lived but below its median contribution ("barnacles")."""
    return _quadrant(*_cohort(t), long=True, rich=False)


STATISTICS: dict[str, Callable[[RunTables], float]] = {
    "customer_satisfaction": _summary("customer_satisfaction"),
    "annual_defection": _summary("annual_defection"),
    "employee_turnover": _summary("employee_turnover"),
    "nps": _summary("nps"),
    "top20_profit_share": _summary("top20_profit_share"),
    "unprofitable_share": _summary("unprofitable_share"),
    "referral_intent_share": referral_intent_share,
    "detractor_share": detractor_share,
    "passive_share": passive_share,
    "top_box_share": top_box_share,
    "tenure_profit_correlation": tenure_profit_correlation,
    "butterfly_share": butterfly_share,
    "barnacle_share": barnacle_share,
    "cohort_duration_profit_correlation": cohort_duration_profit_correlation,
    "cohort_butterfly_share": cohort_butterfly_share,
    "cohort_barnacle_share": cohort_barnacle_share,
    "top20_profit_share_year": _summary("top20_profit_share_year"),
    "unprofitable_share_year": _summary("unprofitable_share_year"),
}


def check_statistic(name: str, where: str) -> None:
    """A clear error for a statistic nobody can compute.

    >>> check_statistic("nps", "targets[0]")
    >>> check_statistic("happiness", "targets[0]")
    Traceback (most recent call last):
    ...
    sim.config.ConfigError: targets[0].statistic: unknown 'happiness'; allowed: annual_defection, barnacle_share, butterfly_share, cohort_barnacle_share, cohort_butterfly_share, cohort_duration_profit_correlation, customer_satisfaction, detractor_share, employee_turnover, nps, passive_share, referral_intent_share, tenure_profit_correlation, top20_profit_share, top20_profit_share_year, top_box_share, unprofitable_share, unprofitable_share_year
    """  # noqa: E501
    if name not in STATISTICS:
        raise ConfigError(
            f"{where}.statistic: unknown '{name}'; allowed: {', '.join(sorted(STATISTICS))}"
        )


def measure(tables: RunTables, names: list[str]) -> dict[str, float]:
    """The named statistics of one run."""
    return {name: STATISTICS[name](tables) for name in names}


def measure_runs(folder: Path, names: list[str]) -> pd.DataFrame:
    """One row per finished run of a design sweep: point, seed and the statistics."""
    rows = [
        {"point": point, "seed": seed, **measure(read_tables(run), names)}
        for _, point, seed, run in finished_runs(folder)
    ]
    if not rows:
        raise ConfigError(f"{folder}: no finished runs to measure")
    return pd.DataFrame(rows).sort_values(["point", "seed"]).reset_index(drop=True)
