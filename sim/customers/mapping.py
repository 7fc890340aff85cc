"""From the fitted customer process to the model's ``market`` settings.

The fit describes purchases as a log sees them; the model's settings are one step
removed. A customer's weekly visit chance in the model is the habitual chance times a
factor below 1 (share of wallet falls with dissatisfaction, visits with relative price),
and the dropout hazard is the model's own: satisfaction-linked defection scaled by the
rivals' pull, the tenure factor, switching costs, remembered failures, plus a lapse
rate, all times ``market.churn_multiplier`` and each customer's propensity
(``market.churn_dispersion``). A transaction log identifies the level of dropout and its
spread across customers, not their cause, so the fit scales the whole hazard and keeps
the model's split between satisfaction-linked defection and lapse. The model's own
customers already differ in dropout (thresholds, sensitivities, switching costs), so
``churn_dispersion`` is what the log's spread needs beyond that.

The spread is mapped as it is, ``churn_dispersion = tau``: the propensity multiplies
the whole hazard in the model exactly as v does in the fit, so a customer at quantile z
of the fitted propensity gets the model's propensity at the same quantile. (Measuring
it on the model too was tried: with 39 weeks of the model's own customers the probe's
tau moves little and noisily with churn_dispersion, so the rounds ran to the schema's
cap; the model's other differences in dropout, thresholds, sensitivities and switching
costs, show up mostly in h.)

The other three are measured on the model itself, not assumed: probe worlds of the
model's own new customers (the closed cohort world of ``sim.customers.forecast``,
everyone just won, habitual chances drawn from the trial settings) are simulated for as
many weeks as the real cohort was seen, and the same likelihood is fitted to their
logs, giving (mu1, sigma1, h1). The settings are corrected multiplicatively,

    visits_per_week  *= mu / mu1
    visit_dispersion *= sigma / sigma1
    churn_multiplier *= h / h1

starting from (mu, sigma, 1), for ROUNDS rounds, each with fresh probe seeds (a round
moves a log setting by at most MAX_MOVE and stays inside the schema's range). Then the
Jacobian J of the probe's log estimates in the log settings is measured by forward
differences on the last round's seeds (common random numbers: the differences are not
drowned by world noise), and a last Newton step in log space, ``J^-1 (target -
probe)``, takes the settings the rest of the way (the hazard is not proportional to the
multiplier: a higher one selects the more loyal survivors sooner).

Standard errors, by the delta method through the same step: the log settings'
covariance is ``J^-1 (C_fit + C_world / W) J^-T``, C_fit the fit's (Hessian)
covariance, C_world the covariance of one probe world's log estimates around its
round's mean, pooled over the rounds (the model's dropout level varies between worlds
by more than one world's sampling error: a shared state, reputation and staff, moves
everyone's satisfaction), W the worlds per probe. Spend: ``spend_median`` and
``spend_sigma`` are the lognormal fit as it is.
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

type F64 = NDArray[np.float64]
type I64 = NDArray[np.int64]

PROBE_MIN_PEOPLE = 50_000  # people over all probe worlds
PROBE_WORLDS = 4  # seeds of the probe: their spread measures the world-to-world noise
ROUNDS = 2  # multiplicative corrections before the Newton step
STEP = 0.1  # forward-difference step of the Jacobian, in log settings
MAX_MOVE = 0.7  # largest change of a log setting in one round (a noisy probe cannot fling it)
CORRECTED = ("mu", "sigma", "h")  # measured on the model; tau is mapped as it is
KEYS = {
    "mu": "visits_per_week",
    "sigma": "visit_dispersion",
    "h": "churn_multiplier",
    "tau": "churn_dispersion",
}


@dataclass(frozen=True)
class Mapping:
    """The ``market`` settings of the fitted customer base and how they were measured."""

    market: dict[str, float]
    se: dict[str, float]
    visit_factor: float  # the model's visit chance per unit of habitual chance
    probe: dict[str, float]  # the last round's probe mean (mu, sigma, h, tau)
    probe_people: int
    jacobian: F64  # d log(probe mu, sigma, h) / d log(settings), CORRECTED's order
    world_cov: F64  # covariance of one probe world's log estimates (pooled over rounds)
    log_cov: F64  # covariance of the log settings (KEYS' order)


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
    start: F64,
) -> F64:
    """Log (mu, sigma, h, tau) fitted to each probe world of the model's new customers.

    Returns a (worlds, 4) array; ``start`` warm-starts each fit (log parameters).
    """
    per_world = max(1, people // len(seeds))
    weeks = max(1, int(observed_weeks.max()))
    values = np.zeros((len(seeds), len(likelihood.NAMES)))
    for i, seed in enumerate(seeds):
        cfg = forecast.closed_world(
            settings, per_world, 1.0, per_world * settings["visits_per_week"]
        )
        bought = forecast.simulate_new_customers(cfg, weeks, seed)
        x, t_x, n = forecast.histories_of(bought, np.resize(observed_weeks, per_world))
        values[i] = likelihood.fit(x, t_x, n, shape, start=start, standard_errors=False).theta
    return values


def _log_settings(settings: dict[str, float]) -> F64:
    return np.log([settings[KEYS[k]] for k in likelihood.NAMES])


def _inside(log_settings: F64) -> F64:
    """Log settings capped at the schema's upper bounds (the rounds stay in range)."""
    top = [schema_meta(f"market.{KEYS[k]}").get("max") for k in likelihood.NAMES]
    caps = np.array([math.log(t) if t else np.inf for t in top])
    return np.minimum(log_settings, caps - STEP)


def _settings(log_settings: F64) -> dict[str, float]:
    return {
        KEYS[k]: float(math.exp(v)) for k, v in zip(likelihood.NAMES, log_settings, strict=True)
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
    target = fit.theta
    log_s = target.copy()
    log_s[2] = 0.0  # churn_multiplier 1
    k = len(CORRECTED)
    people = probe_people or max(PROBE_MIN_PEOPLE, 2 * observed_weeks.size)
    seeds = replication_seeds(seed, PROBE_WORLDS * (ROUNDS + 1))
    deviations = []
    found = target
    worlds: F64 = np.zeros((0, target.size))
    log_s = _inside(log_s)
    for r in range(ROUNDS + 1):
        round_seeds = seeds[r * PROBE_WORLDS : (r + 1) * PROBE_WORLDS]
        worlds = probe(_settings(log_s), observed_weeks, people, round_seeds, fit.shape, target)
        found = worlds.mean(axis=0)
        deviations.append(worlds - found)
        if r < ROUNDS:
            move = np.clip(target - found, -MAX_MOVE, MAX_MOVE)
            move[k:] = 0.0
            log_s = _inside(log_s + move)
    # The Jacobian at the last round's settings, on its seeds (common random numbers).
    jac = np.zeros((k, k))
    for j in range(k):
        shifted = log_s.copy()
        shifted[j] += STEP
        moved = probe(_settings(shifted), observed_weeks, people, round_seeds, fit.shape, found)
        jac[:, j] = (moved.mean(axis=0)[:k] - found[:k]) / STEP
    inverse = np.linalg.inv(jac)
    log_s[:k] += np.clip(inverse @ (target - found)[:k], -MAX_MOVE, MAX_MOVE)
    settings = _settings(log_s)
    market = {**settings, "spend_median": spend.median, "spend_sigma": spend.sigma}
    check_bounds(market)
    stacked = np.concatenate(deviations)
    dof = stacked.shape[0] - len(deviations)
    world_cov = stacked.T @ stacked / max(dof, 1)
    fit_cov = np.where(np.isfinite(fit.log_cov), fit.log_cov, 0.0)
    # Corrected settings through J^-1; churn_dispersion is the fit's tau (its SE).
    log_cov = fit_cov.copy()
    log_cov[:k, :k] = inverse @ (fit_cov[:k, :k] + world_cov[:k, :k] / PROBE_WORLDS) @ inverse.T
    se = {
        key: market[key] * math.sqrt(max(float(log_cov[i, i]), 0.0))
        for i, key in enumerate(KEYS[k] for k in likelihood.NAMES)
    }
    se |= {"spend_median": spend.se_median, "spend_sigma": spend.se_sigma}
    factor = fit.mu / settings["visits_per_week"]
    last = dict(zip(likelihood.NAMES, np.exp(found).tolist(), strict=True))
    return Mapping(
        market=market,
        se=se,
        visit_factor=factor,
        probe=last,
        probe_people=people,
        jacobian=jac,
        world_cov=world_cov,
        log_cov=log_cov,
    )
