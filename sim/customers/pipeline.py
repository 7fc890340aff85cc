"""The whole analysis of one log and split, without writing anything.

Read -> weekly histories -> fit -> map to the model -> the cohort through the model ->
BG/NBD on the same histories -> scores. ``report`` writes what this returns.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from sim.customers import compare, forecast, likelihood, mapping, transactions

type F64 = NDArray[np.float64]
type I64 = NDArray[np.int64]


@dataclass(frozen=True)
class Outcome:
    """Everything the report shows."""

    source: str
    log: transactions.WeeklyLog
    hist: transactions.Histories
    fit: likelihood.Fit
    spend: likelihood.SpendFit
    mapped: mapping.Mapping
    model: forecast.Forecast
    bgnbd: compare.BgnbdForecast
    actual_by_week: I64  # repeat purchase weeks, weeks 0..last_week
    model_calibration: F64
    conditional: pd.DataFrame
    model_mape_cum: float
    bgnbd_mape_cum: float
    p_alive_mean: float
    seconds: float

    def series(self) -> pd.DataFrame:
        """Weekly and cumulative repeat purchase weeks: actual, model, BG/NBD, every week."""
        log = self.log
        weeks = np.arange(log.last_week + 1)
        hold = weeks > log.split_week
        model = np.concatenate([self.model_calibration, self.model.weekly])
        bg = np.concatenate([self.bgnbd.calibration_weekly, self.bgnbd.weekly])
        frame = pd.DataFrame(
            {
                "week": weeks,
                "date": log.week_date(weeks).strftime("%Y-%m-%d"),
                "period": np.where(hold, "holdout", "calibration"),
                "actual": self.actual_by_week.astype(float),
                "model": model,
                "bgnbd": bg,
            }
        )
        for column in ("actual", "model", "bgnbd"):
            frame[f"{column}_cum_holdout"] = np.where(
                hold, np.cumsum(np.where(hold, frame[column], 0.0)), 0.0
            )
        return frame


def analyse(source: str, split: str, seed: int, replications: int) -> Outcome:
    """Fit, forecast and score ``source`` at ``split`` (see the package docstring).

    Raises:
        UserError: bad input (file, columns, split).
        ConfigError: a fit that fails or does not fit the model's ranges.
    """
    start = time.perf_counter()
    log = transactions.weekly(transactions.read_transactions(source), split)
    hist = transactions.histories(log)
    fit = likelihood.fit(hist.x, hist.t_x, hist.n)
    spend = likelihood.fit_spend(hist.mean_spend)
    mapped = mapping.map_fit(fit, spend, hist.n, seed)
    post = likelihood.posterior(fit, hist.x, hist.t_x, hist.n)
    alive = post.alive()
    expected_visits = post.expected_purchase_chance() / mapped.visit_factor
    world = forecast.closed_world(
        mapped.market, hist.rows.size, float(alive.mean()), expected_visits, mapping.STRUCTURE
    )
    model = forecast.forecast(
        world,
        post,
        mapped.visit_factor,
        hist.n + 1,
        log.holdout_weeks,
        seed,
        replications,
    )
    first = log.first_week[hist.rows]
    bg = compare.bgnbd(hist.x, hist.t_x, hist.n, first, log.split_week, log.holdout_weeks)
    actual = transactions.repeat_by_week(log)
    hold = actual[log.split_week + 1 :].astype(float)
    return Outcome(
        source=source,
        log=log,
        hist=hist,
        fit=fit,
        spend=spend,
        mapped=mapped,
        model=model,
        bgnbd=bg,
        actual_by_week=actual,
        model_calibration=compare.model_calibration_curve(fit, first, log.split_week),
        conditional=compare.conditional_expectations(
            hist.x, hist.holdout, model.per_customer, bg.per_customer
        ),
        model_mape_cum=compare.mape_cum(model.weekly, hold),
        bgnbd_mape_cum=compare.mape_cum(bg.weekly, hold),
        p_alive_mean=float(alive.mean()),
        seconds=time.perf_counter() - start,
    )


def summary(o: Outcome) -> dict[str, Any]:
    """The content of holdout.json."""
    log, f = o.log, o.fit
    series = o.series()
    hold = series[series["period"] == "holdout"]
    return {
        "source": o.source,
        "split": str(o.log.split.date()),
        "first_date": str(log.start.date()),
        "calibration_weeks": log.calibration_weeks,
        "holdout_weeks": log.holdout_weeks,
        "transaction_unit": "customer-week with at least one purchase",
        "cohort_size": int(o.hist.rows.size),
        "customers_in_log": int(log.ids.size),
        "fit": {
            "mu": f.mu,
            "sigma": f.sigma,
            "h_per_purchase": f.h,
            "tau": f.tau,
            "se": f.se,
            "log_likelihood": f.log_likelihood,
            "process": "dropout after a purchase week, heterogeneous (BG/NBD's structure)",
            "p_alive_at_split_mean": o.p_alive_mean,
            "spend": {
                "median": o.spend.median,
                "sigma": o.spend.sigma,
                "se_median": o.spend.se_median,
                "se_sigma": o.spend.se_sigma,
            },
        },
        "model_config": {f"market.{k}": v for k, v in o.mapped.market.items()} | mapping.STRUCTURE,
        "model_config_se": {f"market.{k}": v for k, v in o.mapped.se.items()},
        "mapping_probe": {
            "people": o.mapped.probe_people,
            "at_the_written_settings": o.mapped.probe,
            "visit_factor": o.mapped.visit_factor,
        },
        "bgnbd": {"params": o.bgnbd.params, "se": o.bgnbd.se},
        "holdout": {
            "week": hold["week"].tolist(),
            "date": hold["date"].tolist(),
            "actual_weekly": hold["actual"].tolist(),
            "model_weekly": hold["model"].tolist(),
            "bgnbd_weekly": hold["bgnbd"].tolist(),
            "actual_cum": hold["actual_cum_holdout"].tolist(),
            "model_cum": hold["model_cum_holdout"].tolist(),
            "bgnbd_cum": hold["bgnbd_cum_holdout"].tolist(),
        },
        "model_mape_cum": o.model_mape_cum,
        "bgnbd_mape_cum": o.bgnbd_mape_cum,
        "mape_ratio": o.model_mape_cum / o.bgnbd_mape_cum if o.bgnbd_mape_cum > 0 else None,
        "conditional_expectations": o.conditional.to_dict(orient="records"),
        "replications": o.model.replications,
        "seeds": o.model.seeds,
        # The model's dropout per visit over the fit's before it was divided out.
        "visit_dropout_level": o.model.visit_dropout_level,
        "seconds": o.seconds,
    }
