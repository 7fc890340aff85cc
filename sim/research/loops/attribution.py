"""How much of a policy difference a loop carries: paired differences, the share, CIs."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from sim.experiments.analysis import t_interval
from sim.research.loops.arms import FULL, link_label

LEVEL = 0.95


def _ratio_interval(
    carried: np.ndarray[Any, Any], full: np.ndarray[Any, Any]
) -> tuple[float, float, float]:
    """Share mean(carried) / mean(full) and its t-interval by the delta method.

    Each seed's contribution is linearised around the ratio, so the interval is the
    t-interval of a mean, as for the differences themselves.

    >>> share, lo, hi = _ratio_interval(np.array([1.0, 2.0, 3.0]), np.array([2.0, 4.0, 6.0]))
    >>> share, lo, hi
    (0.5, 0.5, 0.5)
    """
    d_mean = float(full.mean())
    if carried.size == 0 or d_mean == 0:
        return math.nan, math.nan, math.nan
    share = float(carried.mean()) / d_mean
    linear = share + (carried - share * full) / d_mean
    _, lo, hi = t_interval(linear, LEVEL)
    return share, lo, hi


def attribution(
    runs: pd.DataFrame,
    arms: Sequence[str],
    policies: Sequence[str],
    baseline: str,
    metric: str,
) -> pd.DataFrame:
    """One row per compared policy and cut: the full and cut differences, carried, share.

    ``runs`` has one row per run with columns ``arm``, ``policy``, ``seed`` and the
    metric. Differences are paired by seed, and only seeds finished in every arm and
    policy count, so every row of the table rests on the same seeds (a sweep cut short
    still gives a consistent table).
    """
    table = runs.pivot_table(index="seed", columns=["arm", "policy"], values=metric)
    cells = [(arm, policy) for arm in arms for policy in policies]
    complete = all(cell in table.columns for cell in cells)
    table = table[cells].dropna() if complete else table.iloc[0:0]
    rows: list[dict[str, Any]] = []
    for policy in policies:
        if policy == baseline:
            continue
        for arm in arms:
            if arm == FULL:
                continue
            paired = [(FULL, policy), (FULL, baseline), (arm, policy), (arm, baseline)]
            values = table[paired].to_numpy(dtype=float).T if len(table) else np.zeros((4, 0))
            full = values[0] - values[1]
            cut = values[2] - values[3]
            carried = full - cut
            f_mean, f_lo, f_hi = t_interval(full, LEVEL)
            c_mean, c_lo, c_hi = t_interval(cut, LEVEL)
            k_mean, k_lo, k_hi = t_interval(carried, LEVEL)
            share, s_lo, s_hi = _ratio_interval(carried, full)
            rows.append(
                {
                    "metric": metric,
                    "policy": policy,
                    "baseline": baseline,
                    "link": arm,
                    "label": link_label(arm),
                    "n": int(full.size),
                    "full_diff": f_mean,
                    "full_diff_ci_low": f_lo,
                    "full_diff_ci_high": f_hi,
                    "cut_diff": c_mean,
                    "cut_diff_ci_low": c_lo,
                    "cut_diff_ci_high": c_hi,
                    "carried": k_mean,
                    "carried_ci_low": k_lo,
                    "carried_ci_high": k_hi,
                    "share": share,
                    "share_ci_low": s_lo,
                    "share_ci_high": s_hi,
                }
            )
    return pd.DataFrame(rows)
