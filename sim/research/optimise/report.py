"""The outputs of a search: ``best.yaml``, the manifest and ``report.md``."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from sim.manifest import revision, versions
from sim.markdown import format_cell, markdown_table
from sim.output import timestamp, write_text_atomically
from sim.research.levers import (
    lever_values,
    searched,
)
from sim.research.optimise.confirm import override_text
from sim.research.optimise.settings import Settings, confirm_seeds, search_seeds


def write_best(settings: Settings, trial: pd.Series[Any], policy: dict[str, Any]) -> Path:
    """``best.yaml``: the best policy as overrides for ``sim run`` (and the command)."""
    values = lever_values(settings.levers, policy)
    overrides = [f"policy={settings.baseline}", *(override_text(k, v) for k, v in values.items())]
    data = {
        "trial": int(trial["trial"]),
        "kpi": settings.kpi,
        "direction": settings.direction,
        "search_value": float(trial["value"]),
        "levers": policy,
        "overrides": overrides,
        "command": "sim run " + " ".join(shlex.quote(o) for o in [*settings.fixed, *overrides]),
    }
    path = settings.folder / "best.yaml"
    header = "# The best feasible policy of this search; `overrides` paste into `sim run`.\n"
    write_text_atomically(path, header + yaml.safe_dump(data, sort_keys=False))
    return path


def no_improvement(trials: int) -> str:
    """The finding when the best feasible trial is the baseline itself (issue 20, defect 4).

    Said in words, never as a confirmed difference of ``+0 [+0, +0]``.

    >>> no_improvement(8)
    'No improvement found in 8 trials: the best feasible trial is the baseline itself.'
    """
    return (
        f"No improvement found in {trials} trials: the best feasible trial is the baseline itself."
    )


def verdict(settings: Settings, summary: pd.DataFrame) -> str:
    """Whether the confirmation found an improvement: its CI must exclude 0 the right way.

    >>> import types
    >>> s = types.SimpleNamespace(kpi="npv_profit", minimize=False, confirm=8, baseline="baseline")
    >>> row = {"metric": "npv_profit", "diff_ci_low": 12.0, "diff_ci_high": 150.0}
    >>> verdict(s, pd.DataFrame([row]))[:40]
    'Confirmed improvement: on 8 fresh seeds '
    >>> verdict(s, pd.DataFrame([{**row, "diff_ci_low": -3.0}]))[:40]
    'No confirmed improvement: on 8 fresh see'
    """
    row = summary[summary["metric"] == settings.kpi].iloc[0]
    lo, hi = float(row["diff_ci_low"]), float(row["diff_ci_high"])
    better = hi < 0 if settings.minimize else lo > 0
    where = f"on {settings.confirm} fresh seeds the 95% CI of the difference in {settings.kpi}"
    if better:
        return f"Confirmed improvement: {where} excludes 0 in the direction searched."
    return (
        f"No confirmed improvement: {where} includes 0 or lies the wrong way; the best "
        f"trial's search value may be luck (winner's curse). More trials or seeds may help."
    )


def write_report(
    settings: Settings,
    history: pd.DataFrame,
    trial: pd.Series[Any] | None,
    policy: dict[str, Any],
    summary: pd.DataFrame,
    seconds: float,
    runs: int,
) -> Path:
    """``report.md``: the question, the search, the best policy and its confirmation."""
    bound = (
        f"mean employee turnover <= {settings.max_turnover:g} a year"
        if settings.max_turnover is not None
        else "none"
    )
    lines = [
        "# Policy optimisation",
        "",
        f"Question: which values of the policy levers {settings.direction} "
        f"**{settings.kpi}**, subject to: {bound}?",
        "",
        f"- Search: Optuna TPE (seed {settings.root_seed}), {len(history)} trials in "
        f"batches of {settings.batch}, each trial on the same {settings.replications} seeds "
        "(common random numbers); the study is in `study.db` (`sim optimise --resume "
        "FOLDER` adds trials; `optuna-dashboard sqlite:///FOLDER/study.db` shows it).",
        f"- Confirmation: best vs `{settings.baseline}` on {settings.confirm} fresh seeds, "
        "paired by seed; 95% t interval of the per-seed difference.",
        f"- World: policy={settings.baseline} "
        + (" ".join(settings.fixed) if settings.fixed else "(default world)"),
        f"- Levers: `{settings.levers_path}`; {runs} runs in {seconds / 60:.1f} min.",
        "",
    ]
    failed = int((history["state"] != "complete").sum())
    feasible = int(history["feasible"].astype(bool).sum())
    lines += [
        f"{len(history)} trials: {feasible} feasible, {failed} failed.",
        "",
    ]
    start = history[history["origin"] == "baseline"]
    if not start.empty:
        lines += [
            f"Trial 0 is the baseline itself: mean {settings.kpi} "
            f"{format_cell(float(start['value'].iloc[0]))} on the search seeds.",
            "",
        ]
    lines += [
        "![history](history.png)",
        "",
    ]
    if trial is None:
        lines += ["**No feasible trial**: relax the constraint or widen the levers.", ""]
    elif trial["origin"] == "baseline":
        lines += [
            f"**{no_improvement(len(history))}** Nothing was confirmed: comparing the "
            "baseline with itself says nothing. More trials (`--trials`, or "
            "`--resume FOLDER`) or other levers may find one.",
            "",
        ]
    else:
        lines += [
            f"## Best policy (trial {int(trial['trial'])})",
            "",
            f"Search value: mean {settings.kpi} = {format_cell(float(trial['value']))} over "
            f"{settings.replications} seeds. As overrides: see `best.yaml`.",
            "",
            markdown_table(pd.DataFrame({"lever": list(policy), "value": list(policy.values())})),
            "",
            f"## Best vs {settings.baseline} on fresh seeds",
            "",
            f"**{verdict(settings, summary)}**" if not summary.empty else "No confirmation runs.",
            "",
            markdown_table(_summary_table(summary)),
            "",
            "Differences are best minus baseline, paired by seed; the CI is the 95% t "
            "interval of the per-seed differences.",
            "",
        ]
    top = history[history["state"] == "complete"].sort_values("value", ascending=settings.minimize)
    cols = ["trial", "origin", "value", "employee_turnover", "feasible"]
    cols += [lever.key for lever in searched(settings.levers)]
    lines += ["## Top trials of the search", "", markdown_table(top[cols].head(10)), ""]
    lines += [
        "## Reproduce",
        "",
        "```",
        "sim optimise " + " ".join(shlex.quote(a) for a in settings.argv),
        *(
            ["sim optimise " + " ".join(shlex.quote(a) for a in settings.resume)]
            if settings.resume
            else []
        ),
        "```",
        "",
    ]
    path = settings.folder / "report.md"
    write_text_atomically(path, "\n".join(lines))
    return path


def _summary_table(summary: pd.DataFrame) -> pd.DataFrame:
    if summary.empty:
        return pd.DataFrame({"metric": []})

    def ci(low: float, high: float) -> str:
        return f"[{format_cell(low)}, {format_cell(high)}]"

    return pd.DataFrame(
        {
            "metric": summary["metric"],
            "baseline": summary["baseline_mean"],
            "best": summary["best_mean"],
            "difference": summary["diff_mean"],
            "95% CI": [
                ci(lo, hi)
                for lo, hi in zip(summary["diff_ci_low"], summary["diff_ci_high"], strict=True)
            ],
            "n": summary["n"],
        }
    )


def new_manifest(settings: Settings) -> dict[str, Any]:
    """``manifest.yaml``: settings, seeds, software versions and the code revision."""
    return {
        "command": ["sim optimise", *settings.argv],
        "kpi": settings.kpi,
        "direction": settings.direction,
        "max_turnover": settings.max_turnover,
        "trials": settings.trials,
        "batch": settings.batch,
        "baseline": settings.baseline,
        "root_seed": settings.root_seed,
        "search_seeds": search_seeds(settings),
        "confirm_seeds": confirm_seeds(settings),
        "fixed_overrides": settings.fixed,
        "levers_file": str(settings.levers_path),
        "git": revision(),
        "versions": versions(),
        "created_utc": timestamp(),
    }
