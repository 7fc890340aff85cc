"""The method of simulated moments over a design: surrogate, distance, fit, identifiability.

A design sweep gives each statistic at many parameter sets (with simulation noise). A
quadratic response surface per statistic, fitted by least squares over every run,
stands in for the model between the points; the fit minimises the weighted distance

    D(theta) = sum_k w_k * ((m_k(theta) - target_k) / s_k)^2

over the declared ranges, where s_k is the target's own uncertainty. The fitted set is
then re-run with fresh replications (``sim.calibration.command``) so every reported
number comes from the model, not from the surrogate.

Identifiability: the surrogate's Jacobian G at the fit gives the information matrix
G' W G (W = diag(w_k / s_k^2)); its inverse is the parameters' covariance, its
correlations show which parameters trade off, and profiles of D (each parameter on a
grid, the others re-fitted) show whether the targets pin each one down inside its range.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import optimize, stats

from sim.calibration.declaration import Parameter, Target

type Vector = NDArray[np.float64]

CHI2_95_ONE = float(stats.chi2.ppf(0.95, 1))  # 3.84: a profile's 95% threshold


def latin_hypercube(parameters: Sequence[Parameter], points: int, seed: int) -> pd.DataFrame:
    """A seeded Latin hypercube over the parameters' ranges, one column per key.

    >>> from sim.calibration.declaration import Parameter
    >>> d = latin_hypercube([Parameter("a.b", 0.0, 1.0), Parameter("a.c", 5, 6)], 4, 1)
    >>> d.shape, bool(d["a.c"].between(5, 6).all())
    ((4, 2), True)
    """
    unit = stats.qmc.LatinHypercube(d=len(parameters), seed=np.random.default_rng(seed))
    sample = unit.random(points)
    lo = np.array([p.lo for p in parameters])
    hi = np.array([p.hi for p in parameters])
    return pd.DataFrame(lo + sample * (hi - lo), columns=[p.key for p in parameters])


def to_unit(parameters: Sequence[Parameter], values: NDArray[np.float64]) -> Vector:
    """Parameter values scaled to [0, 1] over their ranges."""
    lo = np.array([p.lo for p in parameters])
    hi = np.array([p.hi for p in parameters])
    result: Vector = (np.asarray(values, dtype=float) - lo) / (hi - lo)
    return result


def from_unit(parameters: Sequence[Parameter], unit: NDArray[np.float64]) -> Vector:
    """Scaled values back to the parameters' own units."""
    lo = np.array([p.lo for p in parameters])
    hi = np.array([p.hi for p in parameters])
    result: Vector = lo + np.asarray(unit, dtype=float) * (hi - lo)
    return result


def quadratic_terms(unit: NDArray[np.float64]) -> Vector:
    """Rows of [1, u_i, u_i u_j (i <= j)]: the full quadratic's regressors.

    >>> quadratic_terms(np.array([[2.0, 3.0]])).tolist()
    [[1.0, 2.0, 3.0, 4.0, 6.0, 9.0]]
    """
    u = np.atleast_2d(np.asarray(unit, dtype=float))
    columns = [np.ones(len(u))] + [u[:, i] for i in range(u.shape[1])]
    for i, j in itertools.combinations_with_replacement(range(u.shape[1]), 2):
        columns.append(u[:, i] * u[:, j])
    result: Vector = np.column_stack(columns)
    return result


@dataclass(frozen=True)
class Surrogate:
    """One quadratic response surface per statistic, over the unit-scaled parameters."""

    statistics: tuple[str, ...]
    coefficients: Vector  # (terms, statistics)
    r_squared: dict[str, float]
    residual_sd: dict[str, float]  # run-to-run noise plus lack of fit

    def predict(self, unit: NDArray[np.float64]) -> Vector:
        """Predicted statistics at unit-scaled points: (points, statistics)."""
        result: Vector = quadratic_terms(unit) @ self.coefficients
        return result

    def jacobian(self, unit: NDArray[np.float64], step: float = 1e-4) -> Vector:
        """Derivatives of the statistics by the unit parameters: (statistics, parameters)."""
        u = np.asarray(unit, dtype=float)
        columns = []
        for i in range(u.size):
            up, down = u.copy(), u.copy()
            up[i] += step
            down[i] -= step
            columns.append((self.predict(up)[0] - self.predict(down)[0]) / (2 * step))
        result: Vector = np.column_stack(columns)
        return result


def fit_surrogate(unit: NDArray[np.float64], observed: pd.DataFrame) -> Surrogate:
    """Least-squares quadratic of every column of ``observed`` on the unit-scaled design."""
    x = quadratic_terms(unit)
    y = observed.to_numpy(dtype=float)
    keep = np.isfinite(y).all(axis=1)
    coefficients, *_ = np.linalg.lstsq(x[keep], y[keep], rcond=None)
    fitted = x[keep] @ coefficients
    residuals = y[keep] - fitted
    dof = max(int(keep.sum()) - x.shape[1], 1)
    r2, sd = {}, {}
    for k, name in enumerate(observed.columns):
        total = float(((y[keep, k] - y[keep, k].mean()) ** 2).sum())
        r2[str(name)] = 1.0 - float((residuals[:, k] ** 2).sum()) / total if total > 0 else 1.0
        sd[str(name)] = math.sqrt(float((residuals[:, k] ** 2).sum()) / dof)
    return Surrogate(tuple(str(c) for c in observed.columns), coefficients, r2, sd)


@dataclass(frozen=True)
class Objective:
    """The weighted distance between predicted statistics and the targets.

    ``shift`` corrects the surrogate's level by what fresh replications measured at the
    last fitted set: the design's common random numbers give precise slopes, but every
    design point shares the same seeds' luck, so the surface's level carries it.
    """

    targets: tuple[Target, ...]
    surrogate: Surrogate
    shift: Vector | None = None

    def _index(self) -> list[int]:
        return [self.surrogate.statistics.index(t.statistic) for t in self.targets]

    def weights(self) -> Vector:
        """w_k / s_k^2 of each target."""
        result: Vector = np.array([t.weight / t.sd**2 for t in self.targets])
        return result

    def residuals(self, unit: NDArray[np.float64]) -> Vector:
        """(m_k - target_k) at one unit-scaled point."""
        predicted = self.surrogate.predict(unit)[0][self._index()]
        if self.shift is not None:
            predicted = predicted + self.shift
        result: Vector = predicted - np.array([t.value for t in self.targets])
        return result

    def __call__(self, unit: NDArray[np.float64]) -> float:
        """The distance at one unit-scaled point."""
        r = self.residuals(unit)
        return float((self.weights() * r**2).sum())

    def jacobian(self, unit: NDArray[np.float64]) -> Vector:
        """Derivatives of the targets' statistics by the unit parameters."""
        result: Vector = self.surrogate.jacobian(unit)[self._index()]
        return result


def minimise(
    objective: Objective,
    starts: NDArray[np.float64],
    fixed: dict[int, float] | None = None,
) -> tuple[Vector, float]:
    """Minimise the distance over the unit box from several starts (some dims fixed)."""
    fixed = fixed or {}
    n = starts.shape[1]
    free = [i for i in range(n) if i not in fixed]

    def full(x: Vector) -> Vector:
        u = np.empty(n)
        u[free] = x
        for i, value in fixed.items():
            u[i] = value
        return u

    best_x: Vector = full(starts[0][free])
    best = math.inf
    if not free:
        return best_x, objective(best_x)
    for start in starts:
        result = optimize.minimize(
            lambda x: objective(full(x)),
            start[free],
            method="L-BFGS-B",
            bounds=[(0.0, 1.0)] * len(free),
        )
        if result.fun < best:
            best, best_x = float(result.fun), full(result.x)
    return best_x, best


def starting_points(objective: Objective, unit: NDArray[np.float64], n: int = 8) -> Vector:
    """The design points nearest the targets, and the box's centre: where to start."""
    distances = np.array([objective(u) for u in unit])
    order = np.argsort(distances)[:n]
    result: Vector = np.vstack([unit[order], np.full((1, unit.shape[1]), 0.5)])
    return result


@dataclass(frozen=True)
class Identifiability:
    """How well the targets pin the parameters down, near the fit."""

    standard_errors: Vector  # in the parameters' own units; nan when not identified
    correlations: Vector  # (parameters, parameters); nan when not identified
    condition_number: float
    identified: bool


def identifiability(
    objective: Objective, unit: NDArray[np.float64], ranges: NDArray[np.float64]
) -> Identifiability:
    """Covariance of the fitted parameters from the information matrix G' W G.

    Give it an objective whose targets' sd already include the simulation's noise, so
    a parameter is only as well known as the noisier of the two allows. ``ranges``
    (hi - lo per parameter) converts unit-scale derivatives to each parameter's units.
    """
    g = objective.jacobian(unit) / ranges[None, :]
    information = g.T @ (objective.weights()[:, None] * g)
    eigen = np.linalg.eigvalsh(information)
    condition = float(eigen.max() / eigen.min()) if eigen.min() > 0 else math.inf
    n = len(ranges)
    if not math.isfinite(condition) or condition > 1e12:
        nan = np.full(n, math.nan)
        return Identifiability(nan, np.full((n, n), math.nan), condition, False)
    covariance = np.linalg.inv(information)
    se = np.sqrt(np.diag(covariance))
    correlations = covariance / np.outer(se, se)
    return Identifiability(se, correlations, condition, True)


def profiles(
    objective: Objective,
    parameters: Sequence[Parameter],
    best_unit: NDArray[np.float64],
    grid: int = 21,
) -> pd.DataFrame:
    """Profile of the distance along each parameter, the others re-fitted at each value.

    Rows: parameter, value, distance, rise (distance minus the fitted minimum).
    """
    best = objective(best_unit)
    rows = []
    for i, p in enumerate(parameters):
        for u in np.linspace(0.0, 1.0, grid):
            start = best_unit.copy()
            start[i] = u
            _, distance = minimise(objective, start[None, :], fixed={i: float(u)})
            rows.append(
                {
                    "parameter": p.key,
                    "value": float(p.lo + u * (p.hi - p.lo)),
                    "distance": distance,
                    "rise": distance - best,
                }
            )
    return pd.DataFrame(rows)


def profile_interval(profile: pd.DataFrame, key: str) -> tuple[float, float, bool]:
    """Where a parameter's profile stays within chi2(1) 95% of the minimum.

    Returns the interval and whether it closes inside the searched range on both
    sides (the targets pin the parameter down) rather than running into an edge.
    """
    rows = profile[profile["parameter"] == key].sort_values("value")
    inside = rows[rows["rise"] <= CHI2_95_ONE]
    lo, hi = float(inside["value"].min()), float(inside["value"].max())
    closed = bool(lo > rows["value"].min() and hi < rows["value"].max())
    return lo, hi, closed
