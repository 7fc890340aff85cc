"""``report.md`` of a worked example: the question, the share of losses and the PRIM box."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from sim.experiments.analysis import t_interval
from sim.markdown import format_cell, markdown_table
from sim.output import write_text_atomically
from sim.research.ema.discovery import QUASI_P_MAX, PrimResult, stated_conditions, weak_limits
from sim.research.ema.settings import Settings


def quasi_p_flag(limits: pd.DataFrame) -> list[str]:
    """Flag box limits whose quasi-p value is above 0.05 (issue 20): possibly chance.

    >>> limits = pd.DataFrame({"uncertainty": ["a"], "qp_low": [0.737], "qp_high": [float("nan")]})
    >>> quasi_p_flag(limits)[0][:40]
    '> **Statistical flag:** quasi-p above 0.'
    >>> quasi_p_flag(limits.assign(qp_low=0.01))
    []
    """
    weak = weak_limits(limits)
    if not weak:
        return []
    return [
        f"> **Statistical flag:** quasi-p above {QUASI_P_MAX:g} for {', '.join(weak)}: that "
        "restriction may be chance; read the box as a hypothesis, not a finding.",
        "",
    ]


def _fmt(value: Any) -> str:
    # The EMA report shows three significant digits.
    return format_cell(value, digits=3)


def write_report(
    settings: Settings,
    table: pd.DataFrame,
    result: PrimResult | None,
    minutes: float,
    runs: int,
) -> Path:
    """``report.md``: the question, the experiments, the share of losses and the PRIM box."""
    first, second = settings.policies
    y = table["of_interest"].to_numpy(dtype=bool)
    k, n = int(y.sum()), len(y)
    lo, hi = _binomial_interval(k, n)
    difference = table["difference"].to_numpy(dtype=float)
    mean, d_lo, d_hi = t_interval(difference)
    lines = [
        f"# Scenario discovery: when does {second} lose money against {first}?",
        "",
        f"- {settings.scenarios} scenarios (Latin hypercube over the "
        f"{len(settings.uncertainties)} declared uncertainties, seed {settings.root_seed}) "
        f"x 2 policies x {settings.replications} seed(s) = {runs} runs in "
        f"{minutes:.1f} min, through EMA Workbench's evaluators.",
        f"- Both policies run every scenario on the same seed(s), so each scenario gives a "
        f"paired difference: NPV of profit under {second} minus under {first}.",
        f"- Of interest: difference < {settings.threshold:g}.",
        "- World: " + (" ".join(settings.fixed) if settings.fixed else "the default world"),
        "",
        f"**{second} earns less than {first} in {k} of {n} scenarios ({k / n:.0%}; "
        f"95% CI {lo:.0%}-{hi:.0%}).** Difference over all scenarios: mean {_fmt(mean)} "
        f"(95% CI {_fmt(d_lo)} to {_fmt(d_hi)}), median {_fmt(float(np.median(difference)))}.",
        "",
    ]
    if result is None:
        lines += ["No scenario is of interest, so PRIM has no box to find.", ""]
    else:
        s = result.stats
        inside = _inside(table, result.limits)
        lines += [
            "## PRIM box",
            "",
            f"Chosen on the peeling trajectory: step {result.chosen} of "
            f"{len(result.trajectory) - 1}, the most coverage at density >= "
            f"{settings.min_density:g} (else the densest).",
            "",
            f"- coverage {s['coverage']:.2f} (share of the losing scenarios inside the box)",
            f"- density {s['density']:.2f} (share of the scenarios inside that lose)",
            f"- mass {s['mass']:.2f} (share of all scenarios inside), "
            f"{int(s['res_dim'])} restricted dimension(s)",
            f"- mean difference {_fmt(float(difference[inside].mean()))} inside the box, "
            f"{_fmt(float(difference[~inside].mean())) if (~inside).any() else 'n/a'} outside",
            "",
            markdown_table(
                result.limits.rename(
                    columns={
                        "box_low": "box low",
                        "box_high": "box high",
                        "range_low": "declared low",
                        "range_high": "declared high",
                        "qp_low": "quasi-p low",
                        "qp_high": "quasi-p high",
                    }
                ),
                digits=3,
            ),
            "",
            "In words: " + stated_conditions(result.limits),
            "",
            *quasi_p_flag(result.limits),
            "![PRIM box](prim_box.png)",
            "",
            "Denser boxes further along the trajectory (first step with each number of "
            "restricted dimensions; every step's limits are in `prim_steps.csv`):",
            "",
            markdown_table(_milestones(result), digits=3),
            "",
            "![trade-off](prim_tradeoff.png)",
            "",
        ]
    lines += [
        "## Reproduce",
        "",
        "```",
        "sim ema " + " ".join(shlex.quote(a) for a in settings.argv),
        *(
            ["sim ema " + " ".join(shlex.quote(a) for a in settings.analysed)]
            if settings.analysed
            else []
        ),
        "```",
        "",
    ]
    path = settings.folder / "report.md"
    write_text_atomically(path, "\n".join(lines))
    return path


def _inside(table: pd.DataFrame, limits: pd.DataFrame) -> np.ndarray[Any, Any]:
    inside = np.ones(len(table), dtype=bool)
    for row in limits.to_dict("records"):
        column = table[str(row["uncertainty"])]
        inside &= column.between(float(row["box_low"]), float(row["box_high"])).to_numpy()
    return inside


def _milestones(result: PrimResult) -> pd.DataFrame:
    t = result.trajectory.reset_index(drop=True)
    dims = t["res_dim"].astype(int).to_numpy()
    # The first step at each number of restricted dimensions, and the chosen one.
    steps = sorted(({int(np.argmax(dims == d)) for d in set(dims)} | {result.chosen}) - {0})
    rows = []
    for step in steps:
        limits = result.steps[result.steps["step"] == step].drop(columns="step")
        rows.append(
            {
                "step": step,
                **{
                    k: float(t[k].to_numpy(dtype=float)[step])
                    for k in ("coverage", "density", "mass")
                },
                "conditions": stated_conditions(limits),
            }
        )
    return pd.DataFrame(rows)


def _binomial_interval(k: int, n: int) -> tuple[float, float]:
    """Clopper-Pearson 95% interval of a share.

    >>> [round(v, 3) for v in _binomial_interval(5, 10)]
    [0.187, 0.813]
    """
    lo = float(stats.beta.ppf(0.025, k, n - k + 1)) if k > 0 else 0.0
    hi = float(stats.beta.ppf(0.975, k + 1, n - k)) if k < n else 1.0
    return lo, hi
