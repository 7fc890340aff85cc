"""Running a declared calibration: design sweep, fit, confirmation, patterns.

Every simulation is an ordinary run of a Hydra design sweep (``sim.launch.run_design``),
so the launchers that run studies (joblib here, submitit on Slurm, Ray) run a
calibration unchanged, and a killed calibration resumes where it was: finished runs
are not redone. The folder holds three sweeps:

- ``truth/`` (parameter recovery only): the model at the declared ``truth``, whose
  statistics become the targets;
- ``design/``: a Latin hypercube over the free parameters, the same seeds at every
  point (common random numbers, so differences between points are not seed noise);
- ``fit_<round>/``: Gauss-Newton rounds on the model itself from the surrogate's best
  point, the same seeds every round, stepping by the surrogate's slopes;
- ``confirm/``: fresh seeds at the fitted set; every reported number comes from these.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from sim.calibration.declaration import Declaration, Target
from sim.calibration.fit import (
    Identifiability,
    Objective,
    Surrogate,
    fit_surrogate,
    from_unit,
    identifiability,
    latin_hypercube,
    minimise,
    profile_interval,
    profiles,
    starting_points,
    to_unit,
)
from sim.calibration.moments import measure_runs
from sim.experiments.analysis import t_interval
from sim.launch import run_design
from sim.rng import replication_seeds

MAX_ROUNDS = 4  # Gauss-Newton rounds on the model before the best one is kept

type Sweep = Callable[[Path, pd.DataFrame, list[int]], pd.DataFrame]


@dataclass(frozen=True)
class TargetFit:
    """One target against what the model gives at the fitted set."""

    target: Target
    mean: float
    lo: float
    hi: float
    standard_error: float

    @property
    def z(self) -> float:
        """Distance in units of the target's and the simulation's uncertainty."""
        return (self.mean - self.target.value) / math.hypot(self.target.sd, self.standard_error)

    @property
    def fits(self) -> bool:
        """Within the 95% range of the target's and the simulation's uncertainty."""
        return abs(self.z) <= 1.96


@dataclass(frozen=True)
class PatternCheck:
    """One pattern's statistics at the fitted set, and how often the design met it."""

    name: str
    level: str
    fact: str
    rows: pd.DataFrame  # statistic, judged, low, high, mean, lo, hi, inside
    design_share: float  # share of design points whose mean meets every band

    @property
    def passes(self) -> bool:
        """Every judged statistic's 95% CI inside its band."""
        return bool(self.rows.loc[self.rows["judged"], "inside"].all())


@dataclass(frozen=True)
class Calibration:
    """Everything one calibration measured, for the report and the fitted config."""

    declaration: Declaration
    targets: tuple[Target, ...]
    design: pd.DataFrame  # point, parameters, statistics (one row per run)
    surrogate: Surrogate
    fitted: dict[str, float]
    distance: float
    identifiability: Identifiability
    profiles: pd.DataFrame
    target_fits: tuple[TargetFit, ...]
    patterns: tuple[PatternCheck, ...]
    rounds: int  # fit-and-confirm rounds (the surrogate's level corrected between them)
    seconds: float

    def profile_interval(self, key: str) -> tuple[float, float, bool]:
        """A parameter's 95% profile interval and whether it closes inside the range."""
        return profile_interval(self.profiles, key)

    def recovered(self) -> dict[str, bool]:
        """Recovery only: each true value inside fitted +- 1.96 SE."""
        truth = self.declaration.truth
        se = self.identifiability.standard_errors
        return {
            key: bool(abs(self.fitted[key] - truth[key]) <= 1.96 * se[i])
            for i, key in enumerate(self.declaration.keys)
        }


def hydra_sweep(fixed: tuple[str, ...], launcher: str, jobs: int, purpose: str) -> Sweep:
    """A design sweep on Hydra's launcher: (folder, design, seeds) -> runs."""

    def sweep(folder: Path, design: pd.DataFrame, seeds: list[int]) -> pd.DataFrame:
        return run_design(
            folder, design, seeds, fixed=fixed, launcher=launcher, jobs=jobs, purpose=purpose
        )

    return sweep


def _summarise(values: pd.Series) -> tuple[float, float, float, float]:
    x = values.to_numpy(dtype=float)
    mean, lo, hi = t_interval(x)
    finite = x[np.isfinite(x)]
    se = float(finite.std(ddof=1) / math.sqrt(finite.size)) if finite.size > 1 else math.nan
    return mean, lo, hi, se


def generated_targets(d: Declaration, sweep: Sweep, folder: Path) -> tuple[Target, ...]:
    """Recovery: the model's own statistics at ``truth`` become the targets.

    Each target's uncertainty is the standard error of its replication mean, so the fit
    is asked to land inside what the truth itself can be told apart from.
    """
    seeds = replication_seeds(d.root_seed + 1, d.confirm_seeds)
    truth = pd.DataFrame([d.truth])[d.keys]
    sweep(folder / "truth", truth, seeds)
    measured = measure_runs(folder / "truth", d.statistics)
    out = []
    for t in d.targets:
        mean, _, _, se = _summarise(measured[t.statistic])
        out.append(replace(t, value=mean, sd=se))
    return tuple(out)


def _check_patterns(
    d: Declaration, confirm: pd.DataFrame, design: pd.DataFrame
) -> tuple[PatternCheck, ...]:
    by_point = design.groupby("point").mean(numeric_only=True)
    checks = []
    for pattern in d.patterns:
        rows, met = [], pd.Series(True, index=by_point.index)
        for statistic, (low, high) in pattern.bands.items():
            mean, lo, hi, _ = _summarise(confirm[statistic])
            rows.append(
                {
                    "statistic": statistic,
                    "judged": True,
                    "low": low,
                    "high": high,
                    "mean": mean,
                    "lo": lo,
                    "hi": hi,
                    "inside": bool(low <= lo and hi <= high),
                }
            )
            met &= by_point[statistic].between(low, high)
        for statistic in pattern.reported:
            mean, lo, hi, _ = _summarise(confirm[statistic])
            rows.append(
                {
                    "statistic": statistic,
                    "judged": False,
                    "low": math.nan,
                    "high": math.nan,
                    "mean": mean,
                    "lo": lo,
                    "hi": hi,
                    "inside": None,
                }
            )
        checks.append(
            PatternCheck(
                pattern.name, pattern.level, pattern.fact, pd.DataFrame(rows), float(met.mean())
            )
        )
    return tuple(checks)


def _target_fit(target: Target, values: pd.Series, fit_se: float) -> TargetFit:
    mean, lo, hi, se = _summarise(values)
    return TargetFit(target, mean, lo, hi, math.hypot(se, fit_se))


def refine(
    d: Declaration,
    targets: tuple[Target, ...],
    surrogate: Surrogate,
    start: NDArray[np.float64],
    folder: Path,
    sweep: Sweep,
) -> tuple[dict[str, float], NDArray[np.float64], int]:
    """Gauss-Newton rounds on the model itself, from the surrogate's best point.

    Each round runs the same seeds (common random numbers between rounds, so a step
    moves the statistics by what the parameters do, not by luck) and steps by the
    surrogate's slopes, which the design measured precisely. Stops when the step is
    small against the parameters' uncertainty. Returns the fitted values, the standard
    errors of the statistics at them (the fit's own seed noise, which the final
    confirmation with fresh seeds must allow for) and the rounds run.
    """
    seeds = replication_seeds(d.root_seed + 2, d.confirm_seeds)
    lo = np.array([p.lo for p in d.parameters])
    hi = np.array([p.hi for p in d.parameters])
    value = np.array([t.value for t in targets])
    weight = np.array([t.weight / t.sd**2 for t in targets])
    theta = from_unit(d.parameters, start)
    best: tuple[float, NDArray[np.float64], NDArray[np.float64]] | None = None
    rounds = 0
    for rounds in range(1, MAX_ROUNDS + 1):
        where = folder / f"fit_{rounds}"
        sweep(where, pd.DataFrame([dict(zip(d.keys, theta, strict=True))]), seeds)
        measured = measure_runs(where, d.statistics)
        stats_ = [_summarise(measured[t.statistic]) for t in targets]
        mean = np.array([s[0] for s in stats_])
        se = np.array([s[3] for s in stats_])
        distance = float((weight * (mean - value) ** 2).sum())
        if best is None or distance < best[0]:
            best = (distance, theta.copy(), se)
        g = surrogate.jacobian(to_unit(d.parameters, theta))
        g = g[[surrogate.statistics.index(t.statistic) for t in targets]] / (hi - lo)
        root_w = np.sqrt(weight)[:, None]
        step, *_ = np.linalg.lstsq(root_w * g, np.sqrt(weight) * (value - mean), rcond=None)
        variance = np.array([t.sd**2 for t in targets]) + se**2
        information = g.T @ (g / variance[:, None])
        scale = np.sqrt(np.diag(np.linalg.pinv(information)))
        if np.all(np.abs(step) <= 0.25 * scale):
            break
        theta = np.clip(theta + step, lo, hi)
    assert best is not None
    return dict(zip(d.keys, (float(v) for v in best[1]), strict=True)), best[2], rounds


def calibrate(d: Declaration, folder: Path, sweep: Sweep) -> Calibration:
    """Run (or resume) the declared calibration in ``folder`` and fit it."""
    start = time.perf_counter()
    targets = generated_targets(d, sweep, folder) if d.is_recovery else d.targets
    d = replace(d, targets=targets)
    design = latin_hypercube(d.parameters, d.points, d.root_seed)
    sweep(folder / "design", design, replication_seeds(d.root_seed, d.seeds))
    measured = measure_runs(folder / "design", d.statistics)
    runs = measured.merge(design.rename_axis("point").reset_index(), on="point")
    unit = to_unit(d.parameters, runs[d.keys].to_numpy())
    surrogate = fit_surrogate(unit, runs[d.statistics])
    objective = Objective(targets, surrogate)
    objective = Objective(targets, surrogate)
    best_unit, distance = minimise(objective, starting_points(objective, unit))
    ranges = np.array([p.hi - p.lo for p in d.parameters])
    fitted, fit_se, rounds = refine(d, targets, surrogate, best_unit, folder, sweep)
    where = folder / "confirm"
    fresh = replication_seeds(d.root_seed + 3, d.confirm_seeds)
    sweep(where, pd.DataFrame([fitted])[d.keys], fresh)
    confirm = measure_runs(where, d.statistics)
    fits = tuple(_target_fit(t, confirm[t.statistic], fit_se[k]) for k, t in enumerate(targets))
    # Near the fit, the surrogate's slopes with its level set to what the confirmation
    # measured, and each target's uncertainty widened by the simulation's: the
    # distance whose profiles and curvature say how well the targets pin each parameter.
    best_unit = to_unit(d.parameters, np.array([fitted[k] for k in d.keys]))
    index = [surrogate.statistics.index(t.statistic) for t in targets]
    shift = np.array([f.mean for f in fits]) - surrogate.predict(best_unit)[0][index]
    widened = tuple(
        replace(t, sd=math.hypot(t.sd, f.standard_error))
        for t, f in zip(targets, fits, strict=True)
    )
    local = Objective(widened, surrogate, shift)
    ident = identifiability(local, best_unit, ranges)
    profile = profiles(local, d.parameters, best_unit)
    return Calibration(
        declaration=d,
        targets=targets,
        design=runs,
        surrogate=surrogate,
        fitted=fitted,
        distance=distance,
        identifiability=ident,
        profiles=profile,
        target_fits=fits,
        patterns=_check_patterns(d, confirm, runs),
        rounds=rounds,
        seconds=time.perf_counter() - start,
    )
