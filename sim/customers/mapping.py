"""From the fitted customer process to the model's ``market`` settings.

The fit describes purchases as a log sees them; the model's settings are one step
removed. A customer's weekly visit chance in the model is the habitual chance times a
factor below 1 (share of wallet falls with dissatisfaction, visits with relative price),
and the dropout hazard is the model's own: satisfaction-linked defection scaled by the
rivals' pull, the tenure factor, switching costs, remembered failures, plus a lapse
rate, all times ``market.churn_multiplier``. A transaction log identifies the level of
dropout, not its cause, so the fit scales the whole hazard and keeps the model's split
between satisfaction-linked defection and lapse.

The step is measured on the model itself, not assumed: probe worlds of the model's own
new customers (the closed cohort world of ``sim.customers.forecast``, everyone just won,
habitual chances drawn from the trial settings) are simulated for as many weeks as the
real cohort was seen, and the same likelihood is fitted to their logs, giving
(mu1, sigma1, h1). The settings are then corrected multiplicatively,

    visits_per_week  *= mu / mu1
    visit_dispersion *= sigma / sigma1
    churn_multiplier *= h / h1

starting from (mu, sigma, 1), for a few rounds (the hazard is not quite proportional to
the multiplier: a higher one selects the more loyal survivors sooner). The probe uses
several seeds because the model's dropout level varies between worlds by more than the
sampling error of one world (a shared state, reputation and staff, moves everyone's
satisfaction); the spread across seeds is the probe's standard error, combined with
the fit's (independent samples). Spend: ``spend_median`` and ``spend_sigma`` are the
lognormal fit as it is.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from sim.config import ConfigError
from sim.customers import forecast, likelihood
from sim.design import schema_meta
from sim.rng import replication_seeds

type I64 = NDArray[np.int64]

PROBE_MIN_PEOPLE = 50_000  # people over all probe worlds
PROBE_WORLDS = 4  # seeds of the probe: their spread measures the world-to-world noise
ROUNDS = 3  # multiplicative corrections


@dataclass(frozen=True)
class Mapping:
    """The ``market`` settings of the fitted customer base and how they were measured."""

    market: dict[str, float]
    se: dict[str, float]
    visit_factor: float  # the model's visit chance per unit of habitual chance
    probe: dict[str, float]  # the last probe's mean (mu, sigma, h) and their SEs
    probe_people: int


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


def probe(
    settings: dict[str, float],
    observed_weeks: I64,
    people: int,
    seeds: list[int],
    shape: likelihood.Shape,
) -> dict[str, float]:
    """Mean (mu, sigma, h) fitted to the model's own new customers, and their SEs (spread)."""
    per_world = max(1, people // len(seeds))
    weeks = max(1, int(observed_weeks.max()))
    values = np.zeros((len(seeds), 3))
    for i, seed in enumerate(seeds):
        cfg = forecast.closed_world(
            settings, per_world, 1.0, per_world * settings["visits_per_week"]
        )
        bought = forecast.simulate_new_customers(cfg, weeks, seed)
        x, t_x, n = forecast.histories_of(bought, np.resize(observed_weeks, per_world))
        f = likelihood.fit(x, t_x, n, shape)
        values[i] = (f.mu, f.sigma, f.h)
    mean = values.mean(axis=0)
    se = values.std(axis=0, ddof=1) / math.sqrt(len(seeds)) if len(seeds) > 1 else mean * np.nan
    names = likelihood.NAMES
    return {
        **dict(zip(names, mean.tolist(), strict=True)),
        **{f"se_{k}": float(v) for k, v in zip(names, se, strict=True)},
    }


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
    settings = {"visits_per_week": fit.mu, "visit_dispersion": fit.sigma, "churn_multiplier": 1.0}
    people = probe_people or max(PROBE_MIN_PEOPLE, 2 * observed_weeks.size)
    seeds = replication_seeds(seed, PROBE_WORLDS)
    target = {"mu": fit.mu, "sigma": fit.sigma, "h": fit.h}
    keys = {"mu": "visits_per_week", "sigma": "visit_dispersion", "h": "churn_multiplier"}
    found: dict[str, float] = {}
    for _ in range(ROUNDS):
        check_bounds(settings)
        found = probe(settings, observed_weeks, people, seeds, fit.shape)
        settings = {keys[k]: settings[keys[k]] * target[k] / found[k] for k in keys}
    market = {**settings, "spend_median": spend.median, "spend_sigma": spend.sigma}
    check_bounds(market)
    se = {
        keys[k]: market[keys[k]] * math.hypot(fit.se[k] / target[k], found[f"se_{k}"] / found[k])
        for k in keys
    }
    se |= {"spend_median": spend.se_median, "spend_sigma": spend.se_sigma}
    factor = fit.mu / settings["visits_per_week"]
    return Mapping(market=market, se=se, visit_factor=factor, probe=found, probe_people=people)
