"""The best policy against the baseline on fresh seeds, paired by seed.

The winner of a contest of noisy means flatters itself (the winner's curse), so it is
run again on seeds the search never used.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.design import schema_default
from sim.experiments.analysis import t_interval
from sim.launch import run_design
from sim.research.levers import (
    lever_values,
    searched,
)
from sim.research.optimise.settings import Settings, base_config, confirm_seeds

REPORT_METRICS = ("npv_profit", "employee_turnover", "annual_retention", "customers_end")
DIGITS = 4  # significant digits of the best policy as written and confirmed


def _round(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, float):
        return value
    return float(f"{value:.{DIGITS}g}")


def best_policy(settings: Settings, trial: pd.Series[Any]) -> dict[str, Any]:
    """The best trial's lever values, rounded for reading; these are what is confirmed."""
    out: dict[str, Any] = {}
    for lever in searched(settings.levers):
        value = trial[lever.key]
        if isinstance(value, np.generic):
            value = value.item()
        out[lever.key] = _round(value)
    return out


def override_text(key: str, value: Any) -> str:
    """One ``key=value`` Hydra override (lists compact, so a shell keeps them whole).

    >>> override_text("service.tier_levels", [1.5, 1.0])
    'service.tier_levels=[1.5,1.0]'
    >>> override_text("recovery.empowered", True)
    'recovery.empowered=true'
    """
    if isinstance(value, list | bool):
        return f"{key}={json.dumps(value, separators=(',', ':'))}"
    return f"{key}={value}"


def baseline_row(settings: Settings, fields: Sequence[str]) -> dict[str, Any]:
    """The baseline's own value of every field the levers set (read, not rebuilt)."""
    import enum

    config = base_config(tuple(settings.fixed), settings.baseline)
    out: dict[str, Any] = {}
    for key in fields:
        schema_default(key)
        group, _, name = key.partition(".")
        value = getattr(getattr(config, group), name)
        out[key] = value.name if isinstance(value, enum.Enum) else value
    return out


def confirm(
    settings: Settings, policy: dict[str, Any], folder: Path | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Best vs baseline on fresh seeds; per-seed runs and the paired summary per metric.

    The runs go to ``folder`` (default ``<search folder>/confirm``).
    """
    best = lever_values(settings.levers, policy)
    design = pd.DataFrame([baseline_row(settings, list(best)), best])
    seeds = confirm_seeds(settings)
    runs = run_design(
        folder or settings.folder / "confirm",
        design,
        seeds,
        fixed=settings.fixed,
        policies=(settings.baseline,),
        launcher=settings.launcher,
        jobs=settings.jobs,
        purpose="sim optimise: best policy vs baseline on fresh seeds",
    )
    metrics = list(dict.fromkeys([settings.kpi, *REPORT_METRICS]))
    if runs.empty:
        return pd.DataFrame(), pd.DataFrame()
    runs = runs.assign(arm=np.where(runs["point"] == 0, "baseline", "best"))
    wide = runs.pivot_table(index="seed", columns="arm", values=metrics, aggfunc="first")
    per_seed = pd.DataFrame({"seed": wide.index})
    rows = []
    for metric in metrics:
        base = wide[(metric, "baseline")].to_numpy(dtype=float)
        mine = wide[(metric, "best")].to_numpy(dtype=float)
        per_seed[f"{metric}_baseline"] = base
        per_seed[f"{metric}_best"] = mine
        per_seed[f"{metric}_diff"] = mine - base
        b_mean, b_lo, b_hi = t_interval(base)
        m_mean, m_lo, m_hi = t_interval(mine)
        d_mean, d_lo, d_hi = t_interval(mine - base)
        rows.append(
            {
                "metric": metric,
                "n": int(np.isfinite(mine - base).sum()),
                "baseline_mean": b_mean,
                "baseline_ci_low": b_lo,
                "baseline_ci_high": b_hi,
                "best_mean": m_mean,
                "best_ci_low": m_lo,
                "best_ci_high": m_hi,
                "diff_mean": d_mean,
                "diff_ci_low": d_lo,
                "diff_ci_high": d_hi,
            }
        )
    return per_seed, pd.DataFrame(rows)
