"""From the fitted customer process to the model's settings.

The fit describes purchases as a log sees them; the model's settings are one step
removed. A customer's weekly visit chance in the model is the habitual chance times a
factor below 1 (share of wallet falls with dissatisfaction, visits with relative price),
and the dropout hazard is the model's own: satisfaction-linked defection scaled by the
rivals' pull, switching costs, remembered failures, plus a lapse rate, all times
``market.churn_multiplier`` and each person's propensity (``market.churn_dispersion``).
A transaction log identifies the level of dropout, not its cause, so the fit scales the
whole hazard and keeps the model's split between satisfaction-linked defection and
lapse.

The fitted process's structure is carried over as it is (``STRUCTURE``): customers
decide after visits (``market.dropout_at_visits``), and the synthetic world's extra
hazard for new customers is off, because in the fitted process a cohort's dropout falls
with tenure by selection (the restless leave first), which the propensity's spread
already produces. The spreads are the fitted ones: ``visit_dispersion = sigma`` and
``churn_dispersion = tau``.

The two levels are measured on the model itself, not assumed: probe worlds of the
model's own new customers (the closed cohort world of ``sim.customers.forecast``,
everyone just won, habitual chances drawn from the trial settings) are simulated for as
many weeks as the real cohort was seen, and two moments are read off their logs:

* the visit factor: purchase weeks over the habitual chances of the customers alive at
  the start of each week (a ratio over alive customer-weeks, free of the selection of
  who survives);
* dropout per purchase: leavers after a purchase over purchase weeks.

Then ``visits_per_week = mu / factor`` (the model's visit chance averages mu) and
``churn_multiplier`` is corrected toward the fitted process's dropout per purchase,
E[1 - exp(-h F)], for a few rounds, first by target/measured and then by secant steps
(the factor depends on the settings, and dropout grows less than in proportion to the
multiplier), and the final settings are probed once more: their visit factor is the
forecast's, and their dropout per purchase is reported beside the target. The probe uses
several seeds because the model's dropout level varies between worlds by more than one
world's sampling error (a shared state, reputation and staff, moves everyone's
satisfaction); their spread is the probe's standard error, combined with the fit's.
Spend: ``spend_median`` and ``spend_sigma`` are the lognormal fit as it is.
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
ROUNDS = 3  # corrections of the two levels
SLOPE_MIN, SLOPE_MAX = 0.2, 1.5  # bounds on the measured elasticity of dropout
# The fitted process's structure, carried into the model as it is (not measured).
STRUCTURE: dict[str, float | bool] = {
    "market.dropout_at_visits": True,
    "behaviour.new_customer_hazard_boost": 0.0,
}


@dataclass(frozen=True)
class Mapping:
    """The ``market`` settings of the fitted customer base and how they were measured."""

    market: dict[str, float]
    se: dict[str, float]
    visit_factor: float  # the model's visit chance per unit of habitual chance
    probe: dict[str, float]  # the written settings' moments, their targets and SEs
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


def dropout_per_purchase(fit: likelihood.Fit) -> float:
    """The fitted process's chance of leaving after a purchase, averaged over propensity."""
    grid = likelihood.Nodes.of(fit.theta)
    weight = np.exp(grid.log_w).sum(axis=0)
    return float(np.sum(weight * grid.d))


def probe(
    settings: dict[str, float], observed_weeks: I64, people: int, seeds: list[int]
) -> dict[str, float]:
    """The visit factor and dropout per purchase of the model's own new customers.

    Means over the probe worlds, with their standard errors (the spread across worlds).
    """
    per_world = max(1, people // len(seeds))
    weeks = max(1, int(observed_weeks.max()))
    values = np.zeros((len(seeds), 2))
    for i, seed in enumerate(seeds):
        cfg = forecast.closed_world(
            settings, per_world, 1.0, per_world * settings["visits_per_week"], STRUCTURE
        )
        alive = np.zeros((weeks, per_world), dtype=bool)
        chance = np.zeros(per_world)
        everyone = np.ones(per_world, dtype=bool)
        start = np.ones(per_world)  # tenure 1: everyone bought first in week 0
        bought = forecast.run_cohort(
            cfg, start, None, everyone, weeks, seed, alive_log=alive, chances=chance
        )
        bought &= alive  # a purchase week is a week the customer started alive
        visits, leaving = forecast.visits_then_leaving(bought, alive)
        values[i] = (
            bought.sum() / float((alive * chance[None, :]).sum()),
            leaving.sum() / max(float(visits.sum()), 1.0),
        )
    mean = values.mean(axis=0)
    se = values.std(axis=0, ddof=1) / math.sqrt(len(seeds)) if len(seeds) > 1 else mean * np.nan
    return {
        "visit_factor": float(mean[0]),
        "dropout_per_purchase": float(mean[1]),
        "se_visit_factor": float(se[0]),
        "se_dropout_per_purchase": float(se[1]),
    }


def next_log_multiplier(tried: list[tuple[float, float]], log_target: float) -> float:
    """The next log churn multiplier: a secant step on (log multiplier, log dropout).

    Dropout per purchase grows less than in proportion to the multiplier (a chance
    saturates, and the quickest leavers are selected out), so a proportional correction
    falls short round after round (3-4% short of CDNOW's target after three). The first
    step is proportional; later ones use the slope measured between the last two rounds,
    kept within [0.2, 1.5] so that probe noise cannot throw a step far off.
    """
    log_m, log_d = tried[-1]
    slope = 1.0
    if len(tried) > 1 and tried[-1][0] != tried[-2][0]:
        measured = (log_d - tried[-2][1]) / (log_m - tried[-2][0])
        slope = min(max(measured, SLOPE_MIN), SLOPE_MAX)
    return log_m + (log_target - log_d) / slope


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
    settings = {
        "visits_per_week": fit.mu,
        "visit_dispersion": fit.sigma,
        "churn_multiplier": 1.0,
        "churn_dispersion": fit.tau,
    }
    people = probe_people or max(PROBE_MIN_PEOPLE, 2 * observed_weeks.size)
    seeds = replication_seeds(seed, PROBE_WORLDS)
    target = dropout_per_purchase(fit)
    tried: list[tuple[float, float]] = []  # (log multiplier, log dropout per purchase)
    for _ in range(ROUNDS):
        check_bounds(settings)
        found = probe(settings, observed_weeks, people, seeds)
        settings["visits_per_week"] = fit.mu / found["visit_factor"]
        tried.append(
            (math.log(settings["churn_multiplier"]), math.log(found["dropout_per_purchase"]))
        )
        settings["churn_multiplier"] = math.exp(next_log_multiplier(tried, math.log(target)))
    market = {**settings, "spend_median": spend.median, "spend_sigma": spend.sigma}
    check_bounds(market)
    # What the settings written out give, not the round before them: the forecast's
    # visit factor, and the dropout reported against its target.
    found = probe(settings, observed_weeks, people, seeds)
    relative_h = math.hypot(
        fit.se["h"] / fit.h, found["se_dropout_per_purchase"] / found["dropout_per_purchase"]
    )
    relative_mu = math.hypot(
        fit.se["mu"] / fit.mu, found["se_visit_factor"] / found["visit_factor"]
    )
    se = {
        "visits_per_week": market["visits_per_week"] * relative_mu,
        "visit_dispersion": fit.se["sigma"],
        "churn_multiplier": market["churn_multiplier"] * relative_h,
        "churn_dispersion": fit.se["tau"],
        "spend_median": spend.se_median,
        "spend_sigma": spend.se_sigma,
    }
    probed = found | {"target_dropout_per_purchase": target}
    return Mapping(
        market=market,
        se=se,
        visit_factor=found["visit_factor"],
        probe=probed,
        probe_people=people,
    )
