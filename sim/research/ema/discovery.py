"""Scenario discovery: paired outcomes per scenario, and PRIM's box with its limits."""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from sim.config import ConfigError
from sim.research.ema.workbench import import_workbench
from sim.research.levers import (
    identifier,
)
from sim.research.uncertainties import Uncertainty


def pairs(
    experiments: pd.DataFrame,
    outcomes: Mapping[str, np.ndarray[Any, Any]],
    uncertainties: Sequence[Uncertainty],
    first: str,
    second: str,
    outcome: str = "npv_profit",
) -> pd.DataFrame:
    """One row per scenario: its uncertainties, ``outcome`` under both policies, the difference."""
    table = experiments.assign(**{outcome: outcomes[outcome]})
    table["policy"] = table["policy"].astype(str)
    table["scenario"] = table["scenario"].astype(str)
    wide = table.pivot_table(index="scenario", columns="policy", values=outcome, aggfunc="first")
    keys = [identifier(u.key) for u in uncertainties]
    x = table[table["policy"] == first].set_index("scenario")[keys]
    out = x.rename(columns={identifier(u.key): u.key for u in uncertainties}).astype(float)
    out[f"{outcome}_{first}"] = wide[first]
    out[f"{outcome}_{second}"] = wide[second]
    out["difference"] = wide[second] - wide[first]
    return out.reset_index()


@dataclass
class PrimResult:
    """The box PRIM found: its peeling trajectory, the chosen step and its limits."""

    trajectory: pd.DataFrame
    chosen: int
    limits: pd.DataFrame
    stats: dict[str, float]
    steps: pd.DataFrame


def discover(
    x: pd.DataFrame,
    y: np.ndarray[Any, Any],
    uncertainties: Sequence[Uncertainty],
    min_density: float = 0.8,
) -> PrimResult:
    """PRIM (EMA Workbench) for the cases where ``y`` is true; pick one box on the trajectory.

    The box chosen is the one with the most coverage among those at least
    ``min_density`` dense, or the densest if none is.
    """
    import_workbench()
    from ema_workbench.analysis import prim  # type: ignore[import-untyped]

    if not y.any():
        raise ConfigError("no scenario is of interest: PRIM has nothing to find")
    with warnings.catch_warnings():
        # EMA 3.0 drops a column in place, which pandas 3.1 deprecates: not ours to fix.
        warnings.filterwarnings("ignore", message="The inplace keyword")
        algorithm = prim.Prim(x.reset_index(drop=True), np.asarray(y, dtype=bool), mass_min=0.05)
        box = algorithm.find_box()
    trajectory = box.peeling_trajectory.reset_index(drop=True)
    dense = trajectory[trajectory["density"] >= min_density]
    chosen = (
        int(dense["coverage"].idxmax()) if not dense.empty else int(trajectory["density"].idxmax())
    )
    box.select(chosen)
    every = [
        box_limits(lims, x, qp, uncertainties).assign(step=i)
        for i, (lims, qp) in enumerate(zip(box.box_lims, box.p_values, strict=True))
    ]
    steps = pd.concat(every, ignore_index=True)
    steps = steps[["step", *(c for c in steps.columns if c != "step")]]
    limits = every[chosen].drop(columns="step")
    row = trajectory.iloc[chosen]
    box_stats = {k: float(row[k]) for k in ("coverage", "density", "mass", "res_dim")}
    return PrimResult(trajectory, chosen, limits, box_stats, steps)


def box_limits(
    lims: pd.DataFrame,
    x: pd.DataFrame,
    p_values: Mapping[str, Any],
    uncertainties: Sequence[Uncertainty],
) -> pd.DataFrame:
    """The restricted dimensions of a box: limits, declared range and quasi-p values.

    PRIM starts from the sample's own minimum and maximum; a side it never peeled is
    given as the declared bound (and no quasi-p value), so the box reads as a condition.
    """
    rows = []
    for u in uncertainties:
        lo, hi = float(lims[u.key].iloc[0]), float(lims[u.key].iloc[1])
        cut_low, cut_high = lo > float(x[u.key].min()), hi < float(x[u.key].max())
        if not (cut_low or cut_high):
            continue
        qp = p_values.get(u.key, (math.nan, math.nan))
        rows.append(
            {
                "uncertainty": u.key,
                "box_low": lo if cut_low else u.lo,
                "box_high": hi if cut_high else u.hi,
                "range_low": u.lo,
                "range_high": u.hi,
                "qp_low": float(qp[0]) if cut_low else math.nan,
                "qp_high": float(qp[1]) if cut_high else math.nan,
            }
        )
    return pd.DataFrame(rows)


QUASI_P_MAX = 0.05  # a restriction whose quasi-p is above this may be chance


def weak_limits(limits: pd.DataFrame) -> list[str]:
    """The restricted dimensions of a box with a quasi-p value above ``QUASI_P_MAX``.

    >>> limits = pd.DataFrame({"uncertainty": ["a", "b"], "qp_low": [0.737, 0.01],
    ...                        "qp_high": [math.nan, math.nan]})
    >>> weak_limits(limits)
    ['a']
    """
    return [
        str(row.uncertainty)
        for row in limits.itertuples(index=False)
        if any(
            math.isfinite(float(q)) and float(q) > QUASI_P_MAX
            for q in (getattr(row, "qp_low", math.nan), getattr(row, "qp_high", math.nan))
        )
    ]


def stated_conditions(limits: pd.DataFrame) -> str:
    """A box's limits in words, or why they are not stated (issue 20, defect 5).

    A limit whose quasi-p value is above 0.05 may be chance: the box is then not put
    in words as if it were a finding; its numbers stay in the table and ``prim_box.csv``.

    >>> limits = pd.DataFrame({"uncertainty": ["a"], "box_low": [0.5], "box_high": [1.0],
    ...                        "range_low": [0.0], "range_high": [1.0],
    ...                        "qp_low": [0.01], "qp_high": [math.nan]})
    >>> stated_conditions(limits)
    'a >= 0.5'
    >>> stated_conditions(limits.assign(qp_low=0.737))
    'not significant (quasi-p above 0.05 for a); limits not stated as a finding'
    """
    weak = weak_limits(limits)
    if weak:
        return (
            f"not significant (quasi-p above {QUASI_P_MAX:g} for {', '.join(weak)}); "
            "limits not stated as a finding"
        )
    return box_conditions(limits)


def box_conditions(limits: pd.DataFrame) -> str:
    """A box's limits in words: ``a <= x <= b; y >= c``."""
    if limits.empty:
        return "no restriction (the whole space)"
    return "; ".join(_limit_text(r) for r in limits.itertuples(index=False))


def _limit_text(row: Any) -> str:
    if row.box_low > row.range_low and row.box_high < row.range_high:
        return f"{row.box_low:.3g} <= {row.uncertainty} <= {row.box_high:.3g}"
    if row.box_low > row.range_low:
        return f"{row.uncertainty} >= {row.box_low:.3g}"
    return f"{row.uncertainty} <= {row.box_high:.3g}"
