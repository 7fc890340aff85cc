"""The design on the unit cube and the indices SALib computes from the runs.

Sobol (Saltelli) or Morris; a KPI of a point is its mean over the seeds, and ``noise``
says how much of its variance is seed noise rather than the parameters.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from sim.config import ConfigError
from sim.research.sensitivity.settings import (
    BY_YEAR,
    CONF_LEVEL,
    MORRIS_LEVELS,
    RESAMPLES,
    Settings,
)
from sim.research.uncertainties import Uncertainty
from sim.units import WEEKS_PER_YEAR


def problem(uncertainties: Sequence[Uncertainty]) -> dict[str, Any]:
    """SALib's problem on the unit cube; :func:`scale` maps it onto the declared ranges."""
    return {
        "num_vars": len(uncertainties),
        "names": [u.key for u in uncertainties],
        "bounds": [[0.0, 1.0]] * len(uncertainties),
    }


def unit_sample(settings: Settings) -> NDArray[np.float64]:
    """The design on the unit cube, drawn by SALib with a seed from the root seed."""
    spec = problem(settings.uncertainties)
    if settings.method == "sobol":
        x = salib("sample.sobol").sample(
            spec, settings.samples, calc_second_order=False, seed=settings.seed("sampler")
        )
    else:
        x = salib("sample.morris").sample(
            spec, settings.samples, num_levels=MORRIS_LEVELS, seed=settings.seed("sampler")
        )
    return np.asarray(x, dtype=float)


def analyse(settings: Settings, unit: NDArray[np.float64], y: NDArray[np.float64]) -> pd.DataFrame:
    """Indices of one outcome vector (one value per design point), one row per parameter."""
    spec = problem(settings.uncertainties)
    names = [u.key for u in settings.uncertainties]
    columns = (
        ("S1", "S1_conf", "ST", "ST_conf")
        if settings.method == "sobol"
        else ("mu", "mu_star", "mu_star_conf", "sigma")
    )
    y = np.asarray(y, dtype=float)
    if not np.all(np.isfinite(y)) or float(np.var(y)) == 0.0:
        # A KPI that is constant (or undefined) over the design has no variance to share.
        return pd.DataFrame({"parameter": names, **dict.fromkeys(columns, math.nan)})
    if settings.method == "sobol":
        result = salib("analyze.sobol").analyze(
            spec,
            y,
            calc_second_order=False,
            num_resamples=RESAMPLES,
            conf_level=CONF_LEVEL,
            seed=settings.seed("bootstrap"),
        )
    else:
        result = salib("analyze.morris").analyze(
            spec,
            unit,
            y,
            num_resamples=RESAMPLES,
            conf_level=CONF_LEVEL,
            num_levels=MORRIS_LEVELS,
            seed=settings.seed("bootstrap"),
        )
    return pd.DataFrame(
        {"parameter": names, **{c: np.asarray(result[c], dtype=float) for c in columns}}
    )


def point_means(runs: pd.DataFrame, column: str, points: int) -> NDArray[np.float64]:
    """Mean over seeds of one outcome at each design point, in point order."""
    means = runs.groupby("point")[column].mean().reindex(range(points))
    return means.to_numpy(dtype=float)


def noise(runs: pd.DataFrame, kpi: str) -> dict[str, Any]:
    """How much of an outcome's variance is seed noise rather than the parameters.

    Under common random numbers a run is ``point effect + seed effect + noise``: the seed
    effect shifts every point alike and cancels in the indices, the noise (the
    point-by-seed residual of a two-way layout) does not. ``noise_share_mean`` is the
    share of the variance of the point means (what the indices decompose) that is this
    noise; ``noise_share_run`` is the same for one run. Both need 2 seeds or more.
    """
    table = runs.pivot_table(index="point", columns="seed", values=kpi).dropna()
    between = float(runs.groupby("point")[kpi].mean().var(ddof=1))
    points, seeds = table.shape
    residual = offset = math.nan
    if points >= 2 and seeds >= 2:
        x = table.to_numpy(dtype=float)
        e = x - x.mean(axis=1, keepdims=True) - x.mean(axis=0, keepdims=True) + x.mean()
        residual = float((e**2).sum()) / ((points - 1) * (seeds - 1))
        offset = max(float(x.mean(axis=0).var(ddof=1)) - residual / points, 0.0)
    signal = max(between - residual / max(seeds, 1), 0.0)
    return {
        "kpi": kpi,
        "mean": float(runs[kpi].mean()),
        "sd_of_point_means": math.sqrt(between) if between >= 0 else math.nan,
        "sd_noise": math.sqrt(residual),
        "sd_seed_offset": math.sqrt(offset),
        "noise_share_run": residual / (residual + signal) if residual + signal > 0 else math.nan,
        "noise_share_mean": residual / seeds / between if between > 0 else math.nan,
    }


def yearly(folder: Path, runs: pd.DataFrame, kpi: str, policy: str) -> pd.DataFrame:
    """The by-year KPI of every run (point, seed, year, value) from its weekly table."""
    _label, columns, function = BY_YEAR[kpi]
    rows = []
    for point, seed in runs[["point", "seed"]].itertuples(index=False):
        path = folder / "runs" / policy / f"p{point}" / f"s{seed}" / "weekly.parquet"
        weekly = pd.read_parquet(path, columns=["week", *columns])
        # Weeks are numbered from 1; a last, partial year is left out.
        year_of_week = (weekly["week"].to_numpy() - 1) // WEEKS_PER_YEAR + 1
        for year in range(1, len(weekly) // WEEKS_PER_YEAR + 1):
            value = function(weekly[year_of_week == year])
            rows.append({"point": point, "seed": seed, "year": year, "value": value})
    return pd.DataFrame(rows)


def ranges(settings: Settings) -> pd.DataFrame:
    """Each parameter's declared range and source, to sit beside its indices."""
    return pd.DataFrame(
        {
            "parameter": [u.key for u in settings.uncertainties],
            "low": [u.lo for u in settings.uncertainties],
            "high": [u.hi for u in settings.uncertainties],
            "source": [u.source for u in settings.uncertainties],
        }
    )


def sort_key(settings: Settings) -> str:
    """The column that ranks parameters: total-order index, or Morris's mu*."""
    return "ST" if settings.method == "sobol" else "mu_star"


def indices_table(
    settings: Settings, unit: NDArray[np.float64], runs: pd.DataFrame
) -> pd.DataFrame:
    """One row per (KPI, parameter): the indices, their CIs, the range and its source."""
    frames = []
    for kpi in settings.kpis:
        table = analyse(settings, unit, point_means(runs, kpi, len(unit)))
        table.insert(0, "kpi", kpi)
        table = table.merge(ranges(settings), on="parameter")
        table = table.sort_values(sort_key(settings), ascending=False, na_position="last")
        frames.append(table)
    return pd.concat(frames, ignore_index=True)


def by_year_table(
    settings: Settings, unit: NDArray[np.float64], values: pd.DataFrame
) -> pd.DataFrame:
    """Indices of the by-year KPI, one row per (year, parameter)."""
    frames = []
    for year, sub in values.groupby("year"):
        table = analyse(settings, unit, point_means(sub, "value", len(unit)))
        table.insert(0, "year", year)
        table.insert(0, "kpi", settings.by_year)
        frames.append(table)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def salib(module: str) -> Any:
    """A SALib module, imported when first needed: SALib is the optional extra "sensitivity".

    Raises:
        ConfigError: if SALib is not installed.
    """
    import importlib

    try:
        return importlib.import_module(f"SALib.{module}")
    except ImportError as exc:
        raise ConfigError(
            "sim sensitivity needs SALib: pip install 'service-profit-sim[sensitivity]'"
        ) from exc
