"""From the fitted customer process to the model's ``market`` settings.

The fit describes purchases as a log sees them; the model's settings are one step
removed. A customer's weekly visit chance in the model is the habitual chance times a
factor below 1 (share of wallet falls with dissatisfaction, visits with relative price),
and the dropout hazard is the model's own: satisfaction-linked defection scaled by the
rivals' pull, the tenure factor, switching costs, remembered failures, plus a lapse
rate, all times ``market.churn_multiplier``. A transaction log identifies the level of
dropout, not its cause, so the fit scales the whole hazard and keeps the model's split
between satisfaction-linked defection and lapse.

The step is measured on the model itself, not assumed: a probe world of the model's
own new customers (the closed cohort world of ``sim.customers.forecast``, everyone just
won, habitual chances drawn with ``visits_per_week = mu`` and ``visit_dispersion =
sigma``, ``churn_multiplier = 1``) is simulated for as many weeks as the real cohort was
seen, and the same likelihood is fitted to its log, giving (mu1, sigma1, h1). Then

    visits_per_week  = mu / (mu1 / mu)        (the model's visit factor, measured)
    visit_dispersion = sigma * sigma / sigma1
    churn_multiplier = h / h1                 (h1: the model's dropout level at 1)

a one-step correction that assumes the model's distortions are proportional, which holds
for the visit factor and closely for the hazard (it is linear in the multiplier). The
standard errors combine the fit's and the probe's relative errors (independent
samples). Spend: ``spend_median`` and ``spend_sigma`` are the lognormal fit as it is.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from sim.config import ConfigError
from sim.customers import forecast, likelihood
from sim.design import schema_meta

type I64 = NDArray[np.int64]

PROBE_MIN_PEOPLE = 50_000  # the probe's own sampling error stays well below the fit's


@dataclass(frozen=True)
class Mapping:
    """The ``market`` settings of the fitted customer base and how they were measured."""

    market: dict[str, float]
    se: dict[str, float]
    visit_factor: float  # the model's visit chance per unit of habitual chance
    probe: likelihood.Fit
    probe_people: int


def _relative(value: float, se: float) -> float:
    return se / value if value > 0 else math.nan


def check_bounds(market: dict[str, float]) -> None:
    """Every mapped value lies in the schema's range.

    Raises:
        ConfigError: naming the key, the fitted value and the allowed range.
    """
    for key, value in market.items():
        meta = schema_meta(f"market.{key}")
        lo, hi = meta.get("min"), meta.get("max")
        if (
            not math.isfinite(value)
            or (lo is not None and value < lo)
            or (hi is not None and value > hi)
        ):
            raise ConfigError(
                f"the fitted customer base needs market.{key}={value:.4g}, outside the "
                f"model's allowed range [{lo}, {hi}]; this log's customers cannot be "
                "represented by the model's customer world"
            )


def map_fit(
    fit: likelihood.Fit,
    spend: likelihood.SpendFit,
    observed_weeks: I64,
    seed: int,
    probe_people: int | None = None,
) -> Mapping:
    """The model settings that reproduce ``fit`` (see the module docstring).

    Raises:
        ConfigError: a fitted value outside the model's allowed range.
    """
    trial = {"visits_per_week": fit.mu, "visit_dispersion": fit.sigma, "churn_multiplier": 1.0}
    check_bounds(trial)
    people = probe_people or max(PROBE_MIN_PEOPLE, 2 * observed_weeks.size)
    cfg = forecast.closed_world(trial, people, 1.0, people * fit.mu)
    weeks = max(1, int(observed_weeks.max()))
    bought = forecast.simulate_new_customers(cfg, weeks, seed)
    x, t_x, n = forecast.histories_of(bought, np.resize(observed_weeks, people))
    probe = likelihood.fit(x, t_x, n, fit.shape)
    factor = probe.mu / fit.mu
    market = {
        "visits_per_week": fit.mu / factor,
        "visit_dispersion": fit.sigma * fit.sigma / probe.sigma,
        "churn_multiplier": fit.h / probe.h,
        "spend_median": spend.median,
        "spend_sigma": spend.sigma,
    }
    check_bounds(market)

    def combined(key: str, name: str) -> float:
        own = _relative(getattr(fit, name), fit.se[name])
        other = _relative(getattr(probe, name), probe.se[name])
        return market[key] * math.hypot(own, other)

    se = {
        "visits_per_week": combined("visits_per_week", "mu"),
        "visit_dispersion": combined("visit_dispersion", "sigma"),
        "churn_multiplier": combined("churn_multiplier", "h"),
        "spend_median": spend.se_median,
        "spend_sigma": spend.se_sigma,
    }
    return Mapping(market=market, se=se, visit_factor=factor, probe=probe, probe_people=people)
