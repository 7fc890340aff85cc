"""The model's customer process, fitted by maximum likelihood to weekly purchase histories.

The process is the model's customer world with ``market.dropout_at_visits`` on: after
the week of the first purchase (week 0), each week j = 1, 2, ... a customer who is still
alive buys with chance p and, right after a purchase, drops out with chance
``d = 1 - exp(-h F)``: h is the dropout hazard per purchase week, F the customer's own
propensity to leave. Both vary across customers as in the model (``sim.state``):
``p = min(mu * L, 1)`` with L lognormal of mean 1 and log-sd sigma
(``market.visit_dispersion``), and F lognormal of mean 1 and log-sd tau
(``market.churn_dispersion``). This is the structure of BG/NBD (Fader, Hardie & Lee
2005) in weekly steps: the decision to leave follows a purchase, so rare buyers linger
and frequent ones leave sooner in calendar time, and the few who leave at once are told
apart from the many who buy rarely but stay. A hazard running every week, one level for
everyone (this module's first version), forecast CDNOW's holdout 2-4x worse than BG/NBD
(docs/customers.md).

A customer with x repeat weeks, the last t_x weeks after the first purchase, seen for
n weeks, has likelihood, for given p and d,

    x = 0:  (1-p)^n
    x > 0:  p^x (1-p)^(t_x-x) (1-d)^(x-1) [ d + (1-d) (1-p)^(n-t_x) ],

the bracket being "left after the last purchase" or "stayed and bought nothing since";
"alive after week n" has probability p^x (1-p)^(n-x) (1-d)^x. p and F are integrated out
with Gauss-Hermite nodes (48 x 16); customers with the same (x, t_x, n) share a
likelihood, so it is evaluated once per distinct history. Standard errors come from the
outer product of the customers' scores in the log parameters (delta method back).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import optimize, special

from sim.config import ConfigError

type F64 = NDArray[np.float64]
type I64 = NDArray[np.int64]

P_NODES = 48  # Gauss-Hermite nodes for the lognormal purchase chance
F_NODES = 16  # ... and for the lognormal propensity to leave
NAMES = ("mu", "sigma", "h", "tau")
# Starting points (sigma, h, tau) of the optimiser; mu starts at the mean purchase rate.
STARTS = ((0.8, 0.1, 0.5), (1.5, 0.2, 1.0), (1.2, 0.05, 0.1))
CERTAIN = 1.0 - 1e-12  # chances kept off 1 so that their logs stay finite


def mean_one_lognormal(z: F64, sigma: float) -> F64:
    """The mean-one lognormal factor of log-sd ``sigma`` at normal scores ``z``."""
    factor: F64 = np.exp(sigma * z - 0.5 * sigma**2)
    return factor


def lognormal_nodes(count: int, sigma: float) -> tuple[F64, F64, F64]:
    """Mean-one lognormal factors at ``count`` nodes, their normal scores and log weights."""
    z, w = np.polynomial.hermite_e.hermegauss(count)
    return mean_one_lognormal(z, sigma), z, np.log(w / math.sqrt(2 * math.pi))


@dataclass(frozen=True)
class Nodes:
    """The quadrature grid: purchase chances p, dropout chances d, the scores and weights."""

    p: F64  # (P,)
    d: F64  # (F,)
    z_f: F64  # (F,) normal score of each propensity node
    log_w: F64  # (P, F) log weights of the pairs

    @staticmethod
    def of(theta: F64) -> Nodes:
        """The grid at log parameters ``theta`` = log(mu, sigma, h, tau)."""
        mu, sigma, h, tau = np.exp(theta)
        lp, _, wp = lognormal_nodes(P_NODES, float(sigma))
        lf, z_f, wf = lognormal_nodes(F_NODES, float(tau))
        p = np.minimum(mu * lp, CERTAIN)
        d = np.minimum(-np.expm1(-h * lf), CERTAIN)
        return Nodes(p=p, d=d, z_f=z_f, log_w=wp[:, None] + wf[None, :])


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


def _log_likelihood_terms(theta: F64, g: Groups) -> tuple[F64, Nodes]:
    """Per group and node pair (G, P, F): the log likelihood, and the grid it used."""
    grid = Nodes.of(theta)
    p, d = grid.p[None, :, None], grid.d[None, None, :]
    x = g.x[:, None, None].astype(float)
    t = g.t_x[:, None, None].astype(float)
    n = g.n[:, None, None].astype(float)
    log_p, log_q, log_stay = np.log(p), np.log1p(-p), np.log1p(-d)
    buys = x * log_p + (t - x) * log_q
    kept = np.maximum(x - 1.0, 0.0) * log_stay
    tail = np.where(x > 0, np.log(d + (1.0 - d) * np.exp((n - t) * log_q)), (n - t) * log_q)
    return buys + kept + tail, grid


def _log_alive(grid: Nodes, g: Groups) -> F64:
    """Per group and node pair (G, P, F): the log of the history and "alive after week n"."""
    p, d = grid.p[None, :, None], grid.d[None, None, :]
    x = g.x[:, None, None].astype(float)
    n = g.n[:, None, None].astype(float)
    log_alive: F64 = x * np.log(p) + (n - x) * np.log1p(-p) + x * np.log1p(-d)
    return log_alive


def group_log_likelihood(theta: F64, g: Groups) -> F64:
    """The log-likelihood of one customer of each distinct history, at ``theta``."""
    log_l, grid = _log_likelihood_terms(theta, g)
    result: F64 = special.logsumexp(log_l + grid.log_w[None], axis=(1, 2))
    return result


def log_likelihood(theta: F64, g: Groups) -> float:
    """Sum over customers of the log-likelihood at log parameters ``theta``."""
    return float(np.sum(g.count * group_log_likelihood(theta, g)))


def outer_product_information(theta: F64, g: Groups, step: float = 1e-4) -> F64:
    """The information matrix as the outer product of each customer's score (BHHH).

    Only first derivatives: the quadrature's purchase chance is capped at 1, which puts
    small kinks in the likelihood that make a numerical Hessian's second differences
    erratic (it came out indefinite for some simulated logs); the scores are stable.
    """
    k = theta.size
    scores = np.empty((g.count.size, k))
    for i in range(k):
        e = np.eye(k)[i] * step
        up = group_log_likelihood(theta + e, g)
        down = group_log_likelihood(theta - e, g)
        scores[:, i] = (up - down) / (2 * step)
    result: F64 = scores.T @ (g.count[:, None] * scores)
    return result


@dataclass(frozen=True)
class Fit:
    """Maximum-likelihood estimates, their standard errors and the log parameters' covariance.

    ``h`` is the dropout hazard per purchase week (1 - exp(-h) is the chance of leaving
    after a purchase at the mean propensity F = 1), ``tau`` the log-sd of F.
    """

    mu: float
    sigma: float
    h: float
    tau: float
    se: dict[str, float]
    log_cov: F64
    log_likelihood: float
    customers: int

    @property
    def theta(self) -> F64:
        """The log parameters."""
        return np.log([self.mu, self.sigma, self.h, self.tau])

    def values(self) -> dict[str, float]:
        """The estimates by name."""
        return dict(zip(NAMES, np.exp(self.theta).tolist(), strict=True))


def fit(x: I64, t_x: I64, n: I64) -> Fit:
    """Fit (mu, sigma, h, tau) to the histories by maximum likelihood.

    Raises:
        ConfigError: no customers, impossible histories, or an optimiser that fails.
    """
    g = Groups.of(x, t_x, n)
    total = float(g.count.sum())

    def objective(theta: F64) -> float:
        return -log_likelihood(theta, g) / total

    weeks = np.maximum(n, 1)
    rate = float(np.clip(np.mean(x / weeks), 1e-3, 0.9))
    bounds = [
        (math.log(1e-5), math.log(7.0)),
        (math.log(1e-3), math.log(3.0)),
        (math.log(1e-4), math.log(50.0)),
        (math.log(1e-3), math.log(3.0)),
    ]
    # The surface has shallow local optima (little spread in dropout traded against a
    # lower purchase chance), so the best of a few starts is kept.
    results = [
        optimize.minimize(
            objective,
            np.log([rate, sigma, h, tau]),
            method="L-BFGS-B",
            bounds=bounds,
            options={"ftol": 1e-12, "gtol": 1e-8},
        )
        for sigma, h, tau in STARTS
    ]
    result = min(results, key=lambda r: r.fun if np.isfinite(r.fun) else math.inf)
    if not np.isfinite(result.fun):
        raise ConfigError(f"the customer fit did not converge: {result.message}")
    theta = np.asarray(result.x, dtype=float)
    information = outer_product_information(theta, g)
    try:
        cov = np.linalg.inv(information)
    except np.linalg.LinAlgError:
        cov = np.full((theta.size, theta.size), np.nan)
    values = np.exp(theta)
    se = {
        name: float(values[i] * math.sqrt(cov[i, i])) if cov[i, i] >= 0 else math.nan
        for i, name in enumerate(NAMES)
    }
    return Fit(
        mu=float(values[0]),
        sigma=float(values[1]),
        h=float(values[2]),
        tau=float(values[3]),
        se=se,
        log_cov=cov,
        log_likelihood=-float(result.fun) * total,
        customers=int(total),
    )


@dataclass(frozen=True)
class Posterior:
    """Each history's posterior over the node pairs and alive/dead at the split.

    ``prob[k, a, b, 1]`` is P(p = p_a, F = F_b, alive after the split week | history k);
    ``prob[k, a, b, 0]`` the same with the customer gone. Customers share their
    history's row (``of_customer``): a table per customer would not fit in memory.
    """

    grid: Nodes
    prob: F64
    of_customer: I64

    def alive(self) -> F64:
        """P(alive after the split week) of each customer."""
        each: F64 = self.prob[..., 1].sum(axis=(1, 2))[self.of_customer]
        return each

    def expected_purchase_chance(self) -> float:
        """Sum over customers of p given alive: the cohort's expected purchases next week."""
        alive_p = (self.prob[..., 1] * self.grid.p[None, :, None]).sum(axis=(1, 2))
        return float(alive_p[self.of_customer].sum())

    def draw(self, rng: np.random.Generator) -> tuple[I64, I64, NDArray[np.bool_]]:
        """One draw per customer of (p node, F node, alive) from their history's posterior."""
        flat = self.prob.reshape(self.prob.shape[0], -1)
        cum = np.cumsum(flat, axis=1)
        u = rng.random(self.of_customer.size)
        pick = np.empty(u.size, dtype=np.int64)
        order = np.argsort(self.of_customer, kind="stable")
        bounds = np.searchsorted(self.of_customer[order], np.arange(flat.shape[0] + 1))
        for k in range(flat.shape[0]):
            rows = order[bounds[k] : bounds[k + 1]]
            pick[rows] = np.searchsorted(cum[k], u[rows] * cum[k, -1], side="right")
        pick = np.minimum(pick, flat.shape[1] - 1)
        pairs, alive = pick // 2, (pick % 2).astype(bool)
        return pairs // F_NODES, pairs % F_NODES, alive


def posterior(f: Fit, x: I64, t_x: I64, n: I64) -> Posterior:
    """The posterior of every distinct history, and each customer's history."""
    g = Groups.of(x, t_x, n)
    log_l, grid = _log_likelihood_terms(f.theta, g)
    log_alive = np.minimum(_log_alive(grid, g), log_l)
    finite = np.isfinite(log_l)
    with np.errstate(divide="ignore", invalid="ignore"):
        gone = np.log1p(-np.exp(np.where(finite, log_alive - log_l, 0.0)))
    log_dead = np.where(finite, log_l + gone, -np.inf)
    joint = np.stack([log_dead, log_alive], axis=3) + grid.log_w[None, :, :, None]
    joint -= special.logsumexp(joint, axis=(1, 2, 3), keepdims=True)
    return Posterior(grid=grid, prob=np.exp(joint), of_customer=g.of_customer)


def expected_by_age(f: Fit, weeks: int) -> F64:
    """Expected repeat purchase weeks of one new customer in each week 0..weeks of age."""
    grid = Nodes.of(f.theta)
    weight = np.exp(grid.log_w)
    p, d = grid.p[:, None], grid.d[None, :]
    alive = np.ones_like(weight)
    out = np.zeros(weeks + 1)
    for j in range(1, weeks + 1):
        out[j] = float(np.sum(weight * alive * p))
        alive = alive * (1.0 - p * d)
    return out


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
