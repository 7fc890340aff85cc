"""The model's customer process, fitted by maximum likelihood to weekly purchase histories.

After the week of the first purchase (week 0, when no one drops out: in the model a
customer is won after the week's defection draw), each week j = 1, 2, ... a customer
who is still alive buys with chance p, and then drops out with chance
``d(j) = 1 - exp(-h * f(j) / 52)``, where f is the model's own tenure factor
(``sim.chain.tenure_hazard_factor`` at the default ``behaviour`` boost and scale: new
customers leave more easily) and h is one dropout level (per year, at long tenure).
The purchase chance varies across customers as in the model (``sim.state``):
``p = min(mu * L, 1)`` with L lognormal of mean 1 and log-sd sigma.

A customer with x repeat weeks, the last t_x weeks after the first purchase, seen for
n weeks, has likelihood, for a given p,

    p^x (1-p)^(t_x-x) * [ sum_{m=t_x}^{n-1} (S(m-1) - S(m)) (1-p)^(m-t_x)
                          + S(n-1) (1-p)^(n-t_x) ],

S(j) = prod_{k<=j} (1 - d(k)): the bracket sums over the last week m the customer was
alive (dropping out at its end) and the case of still being alive in week n. p is
integrated out with Gauss-Hermite nodes; customers with the same (x, t_x, n) share a
likelihood, so it is evaluated once per distinct history. Standard errors come from the
outer product of the customers' scores in the log parameters (delta method back).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import optimize, special

from sim import chain
from sim.config import ConfigError, SimConfig
from sim.units import WEEKS_PER_YEAR

type F64 = NDArray[np.float64]
type I64 = NDArray[np.int64]

NODES = 48  # Gauss-Hermite nodes for the lognormal purchase chance
NAMES = ("mu", "sigma", "h")


@dataclass(frozen=True)
class Shape:
    """The model's tenure shape of the dropout hazard (``behaviour`` defaults)."""

    boost: float
    scale_weeks: float

    @staticmethod
    def default() -> Shape:
        """The default world's new-customer boost and its decay in weeks."""
        b = SimConfig().behaviour
        return Shape(b.new_customer_hazard_boost, b.hazard_tenure_weeks)


def survival(h: float, weeks: int, shape: Shape) -> F64:
    """S(0..weeks): chance of being alive at the end of week j (no dropout in week 0)."""
    j = np.arange(1, weeks + 1, dtype=float)
    rate = h * np.asarray(chain.tenure_hazard_factor(j, shape.boost, shape.scale_weeks))
    log_stay = -rate / WEEKS_PER_YEAR
    return np.exp(np.concatenate([[0.0], np.cumsum(log_stay)]))


def nodes(mu: float, sigma: float) -> tuple[F64, F64]:
    """Purchase chances p at the quadrature nodes and their log weights."""
    z, w = np.polynomial.hermite_e.hermegauss(NODES)
    p = np.minimum(mu * np.exp(sigma * z - 0.5 * sigma**2), 1.0)
    return p, np.log(w / math.sqrt(2 * math.pi))


@dataclass(frozen=True)
class Groups:
    """Distinct histories (x, t_x, n), how many customers share each, and who they are."""

    x: I64
    t_x: I64
    n: I64
    count: F64
    of_customer: I64  # each customer's group

    @staticmethod
    def of(x: I64, t_x: I64, n: I64) -> Groups:
        """Group customers by identical history."""
        if x.size == 0:
            raise ConfigError("no customers to fit: the cohort is empty")
        if np.any((x < 0) | (t_x < x) | (n < t_x)):
            raise ConfigError("histories must satisfy 0 <= x <= t_x <= n")
        keys = np.stack([x, t_x, n], axis=1)
        unique, inverse, count = np.unique(keys, axis=0, return_inverse=True, return_counts=True)
        return Groups(
            unique[:, 0], unique[:, 1], unique[:, 2], count.astype(float), inverse.ravel()
        )


def _log_terms(theta: F64, g: Groups, shape: Shape) -> tuple[F64, F64, F64]:
    """Per group and node: log likelihood, log of "alive after week n", and log weights."""
    mu, sigma, h = np.exp(theta)
    p, log_w = nodes(float(mu), float(sigma))
    top = int(g.n.max())
    s = survival(float(h), top, shape)
    ds = np.concatenate([[0.0], s[:-1] - s[1:]])  # dropout at the end of week m
    m = np.arange(top + 1)
    gap = m[None, :] - m[:, None]  # m - t
    with np.errstate(divide="ignore"):
        e = np.where(gap >= 0, (1.0 - p)[:, None, None] ** np.maximum(gap, 0), 0.0)
    csum = np.cumsum(e * ds[None, None, :], axis=2)
    n, t = g.n, g.t_x
    before = np.where(n >= 1, csum[:, t, np.maximum(n - 1, 0)], 0.0)
    still = s[np.maximum(n - 1, 0)] * e[:, t, n]
    bracket = np.where(n >= 1, before + still, 1.0)
    with np.errstate(divide="ignore"):
        buys = special.xlogy(g.x[:, None], p[None, :]) + special.xlogy(
            (g.t_x - g.x)[:, None], 1.0 - p[None, :]
        )
        log_l = buys + np.log(bracket.T)
        log_alive = (
            special.xlogy(g.x[:, None], p[None, :])
            + special.xlogy((g.n - g.x)[:, None], 1.0 - p[None, :])
            + np.log(s[g.n])[:, None]
        )
    return log_l, log_alive, log_w


def group_log_likelihood(theta: F64, g: Groups, shape: Shape) -> F64:
    """The log-likelihood of one customer of each distinct history, at ``theta``."""
    log_l, _, log_w = _log_terms(theta, g, shape)
    result: F64 = special.logsumexp(log_l + log_w[None, :], axis=1)
    return result


def log_likelihood(theta: F64, g: Groups, shape: Shape) -> float:
    """Sum over customers of the log-likelihood at log parameters ``theta``."""
    return float(np.sum(g.count * group_log_likelihood(theta, g, shape)))


def outer_product_information(theta: F64, g: Groups, shape: Shape, step: float = 1e-4) -> F64:
    """The information matrix as the outer product of each customer's score (BHHH).

    Only first derivatives: the quadrature's purchase chance is capped at 1, which puts
    small kinks in the likelihood that make a numerical Hessian's second differences
    erratic (it came out indefinite for some simulated logs); the scores are stable.
    """
    k = theta.size
    scores = np.empty((g.count.size, k))
    for i in range(k):
        e = np.eye(k)[i] * step
        up = group_log_likelihood(theta + e, g, shape)
        down = group_log_likelihood(theta - e, g, shape)
        scores[:, i] = (up - down) / (2 * step)
    result: F64 = scores.T @ (g.count[:, None] * scores)
    return result


@dataclass(frozen=True)
class Fit:
    """Maximum-likelihood estimates, their standard errors and the log parameters' covariance."""

    mu: float
    sigma: float
    h: float
    se: dict[str, float]
    log_cov: F64
    log_likelihood: float
    customers: int
    shape: Shape

    @property
    def theta(self) -> F64:
        """The log parameters."""
        return np.log([self.mu, self.sigma, self.h])


def fit(x: I64, t_x: I64, n: I64, shape: Shape | None = None) -> Fit:
    """Fit (mu, sigma, h) to the histories by maximum likelihood.

    Raises:
        ConfigError: no customers, impossible histories, or an optimiser that fails.
    """
    shape = shape if shape is not None else Shape.default()
    g = Groups.of(x, t_x, n)
    total = float(g.count.sum())

    def objective(theta: F64) -> float:
        return -log_likelihood(theta, g, shape) / total

    weeks = np.maximum(n, 1)
    rate = float(np.clip(np.mean(x / weeks), 1e-3, 0.9))
    start = np.log([rate, 0.8, 1.0])
    bounds = [(math.log(1e-5), math.log(7.0)), (math.log(1e-3), math.log(3.0)), (-9.0, 6.0)]
    result = optimize.minimize(objective, start, method="L-BFGS-B", bounds=bounds)
    if not np.isfinite(result.fun):
        raise ConfigError(f"the customer fit did not converge: {result.message}")
    theta = np.asarray(result.x, dtype=float)
    information = outer_product_information(theta, g, shape)
    try:
        cov = np.linalg.inv(information)
    except np.linalg.LinAlgError:
        cov = np.full((3, 3), np.nan)
    values = np.exp(theta)
    se = {
        name: float(values[i] * math.sqrt(cov[i, i])) if cov[i, i] >= 0 else math.nan
        for i, name in enumerate(NAMES)
    }
    return Fit(
        mu=float(values[0]),
        sigma=float(values[1]),
        h=float(values[2]),
        se=se,
        log_cov=cov,
        log_likelihood=-float(result.fun) * total,
        customers=int(total),
        shape=shape,
    )


@dataclass(frozen=True)
class Posterior:
    """Each customer's posterior over the nodes' purchase chance and alive/dead at the split.

    ``prob[i, q, 1]`` is P(p = p_q, alive after the split week | history of customer i);
    ``prob[i, q, 0]`` the same with the customer gone.
    """

    p: F64
    prob: F64


def posterior(f: Fit, x: I64, t_x: I64, n: I64) -> Posterior:
    """The posterior of every customer (computed once per distinct history)."""
    g = Groups.of(x, t_x, n)
    log_l, log_alive, log_w = _log_terms(f.theta, g, f.shape)
    p, _ = nodes(f.mu, f.sigma)
    log_alive = np.minimum(log_alive, log_l)
    finite = np.isfinite(log_l)
    with np.errstate(divide="ignore", invalid="ignore"):
        gone = np.log1p(-np.exp(np.where(finite, log_alive - log_l, 0.0)))
    log_dead = np.where(finite, log_l + gone, -np.inf)
    joint = np.stack([log_dead, log_alive], axis=2) + log_w[None, :, None]
    joint -= special.logsumexp(joint, axis=(1, 2), keepdims=True)
    return Posterior(p=p, prob=np.exp(joint)[g.of_customer])


def p_alive(post: Posterior) -> F64:
    """P(alive after the split week) of each customer."""
    alive: F64 = post.prob[:, :, 1].sum(axis=1)
    return alive


@dataclass(frozen=True)
class SpendFit:
    """Lognormal spend per purchase week: median and log-sd, with standard errors."""

    median: float
    sigma: float
    se_median: float
    se_sigma: float


def fit_spend(mean_spend: F64) -> SpendFit:
    """Lognormal fit to each customer's mean amount per purchase week (positive ones).

    This is the spend distribution the model draws ``base_spend`` from; it does not
    enter the transaction-count forecast.

    Raises:
        ConfigError: fewer than two customers with a positive spend.
    """
    logs = np.log(mean_spend[mean_spend > 0])
    if logs.size < 2:
        raise ConfigError("column amount: fewer than two customers with a positive spend")
    median, sigma = float(np.exp(logs.mean())), float(logs.std(ddof=1))
    k = logs.size
    return SpendFit(
        median=median,
        sigma=sigma,
        se_median=median * sigma / math.sqrt(k),
        se_sigma=sigma / math.sqrt(2 * (k - 1)),
    )
