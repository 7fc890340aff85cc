"""Study tables: all runs in one tidy table, KPIs per run, summaries with CIs.

Paired differences use common random numbers: replication r of every policy ran on
the same seed, so the difference is taken run by run before averaging.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from sim.config import ConfigError
from sim.results import top_share_of_profit

CUSTOMER_NPV = "customer_npv"


def t_interval(values: np.ndarray[Any, Any], level: float = 0.95) -> tuple[float, float, float]:
    """Mean and the t-based confidence interval of the mean.

    >>> m, lo, hi = t_interval(np.array([1.0, 2.0, 3.0]))
    >>> m, round(lo, 3), round(hi, 3)
    (2.0, -0.484, 4.484)
    """
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    if x.size == 0:
        return math.nan, math.nan, math.nan
    mean = float(x.mean())
    if x.size < 2:
        return mean, math.nan, math.nan
    half = float(stats.t.ppf(0.5 + level / 2, x.size - 1) * x.std(ddof=1) / math.sqrt(x.size))
    return mean, mean - half, mean + half


def run_kpis(folder: Path) -> dict[str, Any]:
    """Headline KPIs of one run folder, from its own tables."""
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    # Wall time is a property of the machine, not of the run: it is no KPI.
    kpis = {
        k: v
        for k, v in summary.items()
        if isinstance(v, int | float) and k not in ("seed", "wall_seconds")
    }
    customers = pd.read_parquet(folder / "customers.parquet")
    initial = customers[customers["initial_customer"]]
    # NPV of an average customer: each week-0 customer's profit stream discounted to
    # week 0 and followed to the horizon (the same horizon under every policy).
    kpis[CUSTOMER_NPV] = float(initial["lifetime_value"].mean()) if len(initial) else math.nan
    kpis["top20_profit_share"] = top_share_of_profit(customers["lifetime_profit"].to_numpy())
    if "arm" in customers and (customers["arm"] != "").any():
        kpis.update(trial_effects(customers))
    return kpis


def trial_effects(customers: pd.DataFrame) -> dict[str, float]:
    """Treated-minus-control differences of an in-run controlled test."""
    arms = {arm: customers[customers["arm"] == arm] for arm in ("treated", "control")}
    out: dict[str, float] = {}
    for arm, df in arms.items():
        out[f"{arm}_retention"] = float((df["last_exit_week"] < 0).mean())
        out[f"{arm}_spend"] = float(df["lifetime_revenue"].mean())
        out[f"{arm}_profit"] = float(df["lifetime_value"].mean())
    for what in ("retention", "spend", "profit"):
        out[f"trial_{what}_effect"] = out[f"treated_{what}"] - out[f"control_{what}"]
    return out


def collect_study(folder: Path, manifest: dict[str, Any]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """All finished runs of a study: the tidy weekly table and one KPI row per run."""
    seeds = [int(s) for s in manifest["seeds"]]
    weekly_parts: list[pd.DataFrame] = []
    kpi_rows: list[dict[str, Any]] = []
    for policy in manifest["policies"]:
        for replication, seed in enumerate(seeds):
            run = folder / "runs" / policy / f"s{seed}"
            if not (run / "summary.json").is_file():
                continue
            try:
                weekly = pd.read_parquet(run / "weekly.parquet")
                kpis = run_kpis(run)
            except (OSError, ValueError) as exc:  # ArrowInvalid is a ValueError
                raise ConfigError(
                    f"{run}: a table is unreadable ({str(exc).splitlines()[0]}); run "
                    f"`sim study {manifest['scenario']} --resume {folder}` to run it again"
                ) from None
            weekly.insert(0, "scenario", manifest["scenario"])
            weekly.insert(1, "policy", policy)
            weekly.insert(2, "replication", replication)
            weekly.insert(3, "root_seed", manifest["root_seed"])
            weekly.insert(4, "seed", seed)
            weekly_parts.append(weekly)
            kpi_rows.append({"policy": policy, "replication": replication, "seed": seed, **kpis})
    runs = pd.concat(weekly_parts, ignore_index=True) if weekly_parts else pd.DataFrame()
    return runs, pd.DataFrame(kpi_rows)


def summarise_study(kpis: pd.DataFrame, baseline: str, policies: list[str]) -> pd.DataFrame:
    """Per policy and metric: n, mean, sd, 95% CI, and the paired difference to baseline.

    The unpaired CI of the same difference (Welch) is reported beside the paired one,
    so the gain from common random numbers is visible.
    """
    if kpis.empty:
        return pd.DataFrame()
    metrics = [c for c in kpis.columns if c not in ("policy", "replication", "seed")]
    base = kpis[kpis["policy"] == baseline].set_index("replication")
    rows: list[dict[str, Any]] = []
    for policy in policies:
        mine = kpis[kpis["policy"] == policy].set_index("replication")
        for metric in metrics:
            values = mine[metric].to_numpy(dtype=float)
            mean, lo, hi = t_interval(values)
            row: dict[str, Any] = {
                "policy": policy,
                "metric": metric,
                "n": int(np.isfinite(values).sum()),
                "mean": mean,
                "sd": float(np.nanstd(values, ddof=1)) if values.size > 1 else math.nan,
                "ci_low": lo,
                "ci_high": hi,
            }
            if policy != baseline and metric in base:
                paired = mine[[metric]].join(base[[metric]], rsuffix="_base", how="inner")
                diff = (paired[metric] - paired[f"{metric}_base"]).to_numpy(dtype=float)
                d_mean, d_lo, d_hi = t_interval(diff)
                u_lo, u_hi = welch_interval(
                    mine[metric].to_numpy(dtype=float), base[metric].to_numpy(dtype=float)
                )
                row.update(
                    {
                        "diff_vs_baseline": d_mean,
                        "diff_sd": float(np.nanstd(diff, ddof=1)) if diff.size > 1 else math.nan,
                        "diff_ci_low": d_lo,
                        "diff_ci_high": d_hi,
                        "diff_ci_low_unpaired": u_lo,
                        "diff_ci_high_unpaired": u_hi,
                    }
                )
            rows.append(row)
    return pd.DataFrame(rows)


def welch_interval(a: np.ndarray[Any, Any], b: np.ndarray[Any, Any]) -> tuple[float, float]:
    """95% CI of mean(a) - mean(b) treating the samples as independent (Welch).

    >>> lo, hi = welch_interval(np.array([1.0, 2, 3]), np.array([1.0, 2, 3]))
    >>> round(lo, 3) == -round(hi, 3)
    True
    """
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    if a.size < 2 or b.size < 2:
        return math.nan, math.nan
    va, vb = a.var(ddof=1) / a.size, b.var(ddof=1) / b.size
    se = math.sqrt(va + vb)
    if se == 0:
        d = float(a.mean() - b.mean())
        return d, d
    df = (va + vb) ** 2 / (va**2 / (a.size - 1) + vb**2 / (b.size - 1))
    half = float(stats.t.ppf(0.975, df) * se)
    d = float(a.mean() - b.mean())
    return d - half, d + half


def failures(folder: Path) -> list[dict[str, Any]]:
    """Runs of a study that failed, with their error."""
    out = []
    for path in sorted((folder / "failures").glob("*.json")):
        out.append(json.loads(path.read_text(encoding="utf-8")))
    return out
