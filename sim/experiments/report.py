"""Aggregate a study folder and write its report: question first, then the answer."""

from __future__ import annotations

import math
import os
import time
from pathlib import Path

import pandas as pd

from sim.experiments.analysis import (
    collect_study,
    failures,
    summarise_study,
    t_interval,
)
from sim.experiments.plots import make_study_figures
from sim.kpis import bounds, format_short, phrase
from sim.manifest import STUDY_KEYS, read_manifest, write_manifest
from sim.output import write_text_atomically

MIN_REPLICATIONS = 3  # below this a t-interval (1 degree of freedom: t = 12.7) says nothing
FEW_REPLICATIONS = 5  # below this a study's intervals are wide and unstable: flagged


def interval(metric: str, lo: float, hi: float) -> str:
    """A 95% CI in words, or why there is none (one replication gives no spread).

    >>> interval("nps", float("nan"), float("nan"))
    'no interval: needs at least 2 replications'
    """
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return "no interval: needs at least 2 replications"
    return f"95% CI {format_short(metric, lo, True)} to {format_short(metric, hi, True)}"


def answer_lines(summary: pd.DataFrame, baseline: str, headline: str) -> list[str]:
    """One sentence per policy on the headline metric: difference, CI, verdict."""
    lines: list[str] = []
    if "diff_vs_baseline" not in summary:
        rows = summary[summary["metric"] == headline]
        for _, r in rows.iterrows():
            lines.append(
                f"- **{r['policy']}**: {phrase(headline)} "
                f"{format_short(headline, r['mean'], True)} "
                f"({interval(headline, r['ci_low'], r['ci_high'])}, {int(r['n'])} replications)."
            )
        return lines
    rows = summary[(summary["metric"] == headline) & (summary["policy"] != baseline)]
    for _, r in rows.iterrows():
        d, lo, hi = r["diff_vs_baseline"], r["diff_ci_low"], r["diff_ci_high"]
        if not math.isfinite(d):
            continue
        sure = (
            "clearly higher" if lo > 0 else "clearly lower" if hi < 0 else "not clearly different"
        )
        if not (math.isfinite(lo) and math.isfinite(hi)) or int(r["n"]) < MIN_REPLICATIONS:
            sure = "too few replications to say"
        lines.append(
            f"- **{r['policy']}**: {phrase(headline)} {format_short(headline, d, True)} "
            f"against {baseline} ({interval(headline, lo, hi)}, "
            f"{int(r['n'])} paired replications): {sure}."
        )
    return lines


def level_cell(metric: str, mean: float, lo: float, hi: float, n: int) -> str:
    """A level with its 95% CI, clipped to what the KPI can be, or why there is none.

    >>> level_cell("nps", 40.0, -20.0, 102.0, 5)
    '40.00 (-20.00 to 100)'
    >>> level_cell("nps", 40.0, -500.0, 580.0, 2)
    '40.00 (n=2: too few replications for an interval)'
    """
    if n < MIN_REPLICATIONS:
        return f"{format_short(metric, mean)} (n={n}: too few replications for an interval)"
    if not math.isfinite(lo):
        return format_short(metric, mean)
    low, high = bounds(metric)
    lo, hi = max(lo, low), min(hi, high)
    return (
        f"{format_short(metric, mean)} ({format_short(metric, lo)} to {format_short(metric, hi)})"
    )


def _level_table(summary: pd.DataFrame, policies: list[str], metrics: list[str]) -> list[str]:
    head = "| metric | " + " | ".join(policies) + " |"
    out = [head, "|---|" + "---:|" * len(policies)]
    for metric in metrics:
        cells = []
        for p in policies:
            r = summary[(summary["policy"] == p) & (summary["metric"] == metric)]
            if r.empty:
                cells.append("n/a")
                continue
            row = r.iloc[0]
            cells.append(
                level_cell(metric, row["mean"], row["ci_low"], row["ci_high"], int(row["n"]))
            )
        out.append(f"| {phrase(metric)} | " + " | ".join(cells) + " |")
    return out


def _diff_table(summary: pd.DataFrame, baseline: str, metrics: list[str]) -> list[str]:
    if "diff_vs_baseline" not in summary:
        return ["(one policy only: no differences)"]
    out = [
        "| policy | metric | paired difference | 95% CI (paired) | 95% CI (unpaired) |",
        "|---|---|---:|---:|---:|",
    ]
    rows = summary[(summary["policy"] != baseline) & summary["metric"].isin(metrics)]
    for _, r in rows.iterrows():
        m = r["metric"]
        out.append(
            f"| {r['policy']} | {phrase(m)} | {format_short(m, r['diff_vs_baseline'], True)} | "
            f"{format_short(m, r['diff_ci_low'], True)} "
            f"to {format_short(m, r['diff_ci_high'], True)} | "
            f"{format_short(m, r['diff_ci_low_unpaired'], True)} to "
            f"{format_short(m, r['diff_ci_high_unpaired'], True)} |"
        )
    return out


def _trial_section(kpis: pd.DataFrame) -> list[str]:
    if "trial_retention_effect" not in kpis:
        return []
    out = [
        "## The controlled test: treated minus control",
        "",
        "| outcome | treated | control | difference (95% CI over replications) |",
        "|---|---:|---:|---:|",
    ]
    for what, label in (
        ("retention", "still a customer at the end"),
        ("spend", "revenue per customer"),
        ("profit", "discounted profit per customer"),
    ):
        metric = f"trial_{what}_effect"
        d, lo, hi = t_interval(kpis[metric].to_numpy(dtype=float))
        kind = "annual_retention" if what == "retention" else "npv_profit"
        out.append(
            f"| {label} | {format_short(kind, kpis[f'treated_{what}'].mean())} | "
            f"{format_short(kind, kpis[f'control_{what}'].mean())} | {format_short(kind, d, True)} "
            f"({format_short(kind, lo, True)} to {format_short(kind, hi, True)}) |"
        )
    return [*out, ""]


def _defection_section(summary: pd.DataFrame, baseline: str) -> list[str]:
    rows = summary[(summary["metric"] == "annual_defection") & (summary["policy"] != baseline)]
    npv = summary[(summary["metric"] == "customer_npv")]
    if rows.empty or npv.empty or "diff_vs_baseline" not in summary:
        return []
    base_npv = npv[npv["policy"] == baseline]["mean"]
    out = ["## Defection and the value of a customer", ""]
    for _, r in rows.iterrows():
        mine = npv[npv["policy"] == r["policy"]]
        if mine.empty or base_npv.empty or base_npv.iloc[0] == 0:
            continue
        rel = mine.iloc[0]["diff_vs_baseline"] / abs(base_npv.iloc[0])
        out.append(
            f"- **{r['policy']}** moves annual defection by "
            f"{100 * r['diff_vs_baseline']:+.1f} points (95% CI {100 * r['diff_ci_low']:+.1f} "
            f"to {100 * r['diff_ci_high']:+.1f}) and the NPV of an average customer by "
            f"{100 * rel:+.0f}%."
        )
    return [*out, ""]


def smoke_banner(manifest: dict[str, object]) -> list[str]:
    """A smoke study says what it is before anything else: a run check, not an answer.

    >>> banner = {"smoke": True, "seeds": [1, 2], "fixed_overrides": ["run.weeks=120"]}
    >>> smoke_banner(banner)[0][:72]
    '> **Smoke run, not for decisions:** 2 replications of 120 weeks in a sma'
    >>> smoke_banner({"smoke": False})
    []
    """
    if not manifest.get("smoke"):
        return []
    fixed = [str(o) for o in manifest.get("fixed_overrides", []) or []]  # type: ignore[attr-defined]
    # The last run.weeks wins (a smoke horizon may be lengthened to hold a whole year).
    weeks = ([o.split("=", 1)[1] for o in fixed if o.startswith("run.weeks=")] or ["?"])[-1]
    reps = len(manifest.get("seeds", []) or [])  # type: ignore[arg-type]
    return [
        f"> **Smoke run, not for decisions:** {reps} replications of {weeks} weeks in a small "
        "world. It checks that the study runs end to end; the question below is asked of the "
        "full study.",
        "",
    ]


def replication_flag(replications: int) -> list[str]:
    """A statistical flag for a study with too few replications to read closely.

    >>> replication_flag(4)[0][:39]
    '> **Statistical flag:** 4 replications '
    >>> replication_flag(20)
    []
    """
    if replications >= FEW_REPLICATIONS:
        return []
    return [
        f"> **Statistical flag:** {replications} replications per policy (fewer than "
        f"{FEW_REPLICATIONS}): intervals are wide and move from run to run; add replications "
        "before reading differences.",
        "",
    ]


def aggregate(folder: Path) -> Path:
    """Build runs.parquet, kpis.csv, summary.csv, figures and report.md for a study."""
    start = time.perf_counter()
    manifest = read_manifest(folder, required=STUDY_KEYS)
    policies, baseline = list(manifest["policies"]), str(manifest["baseline"])
    runs, kpis = collect_study(folder, manifest)
    if not runs.empty:
        tmp = folder / ".runs.parquet.tmp"
        runs.to_parquet(tmp, index=False)
        os.replace(tmp, folder / "runs.parquet")
    write_text_atomically(folder / "kpis.csv", kpis.to_csv(index=False))
    summary = summarise_study(kpis, baseline, policies)
    write_text_atomically(folder / "summary.csv", summary.to_csv(index=False))
    metrics = [m for m in manifest["metrics"] if kpis.empty or m in kpis]
    ledgers: dict[str, list[pd.DataFrame]] = {p: [] for p in policies}
    for p in policies:
        for run in sorted((folder / "runs" / p).glob("s*/customers.parquet")):
            ledgers[p].append(pd.read_parquet(run, columns=["lifetime_profit", "value_quintile"]))
    figures = make_study_figures(
        folder / "figures", runs, summary, ledgers, policies, baseline, metrics
    )
    failed = failures(folder)
    total = len(manifest["cells"])
    lines = [
        f"# Study: {manifest['scenario']}" + (" (smoke mode)" if manifest.get("smoke") else ""),
        "",
        *smoke_banner(manifest),
        *replication_flag(len(manifest["seeds"])),
        f"**Question.** {manifest['question']}",
        "",
        "**Answer.**" if not summary.empty else "**Answer.** No run has finished yet.",
        "",
        *(answer_lines(summary, baseline, manifest["headline"]) if not summary.empty else []),
        "",
        f"Runs: {len(kpis)} of {total} finished"
        + (f", {len(failed)} failed (listed below)" if failed else "")
        + f"; {len(manifest['seeds'])} replications per policy with common random numbers "
        f"(root seed {manifest['root_seed']}); {manifest.get('fixed_overrides', [])} fixed.",
        "",
        *_trial_section(kpis),
        *(_defection_section(summary, baseline) if not summary.empty else []),
        "## Policies compared (mean and 95% CI over replications)",
        "",
        *(_level_table(summary, policies, metrics) if not summary.empty else []),
        "",
        f"## Paired differences against {baseline}",
        "",
        *(_diff_table(summary, baseline, metrics) if not summary.empty else []),
        "",
        "## Figures",
        "",
        *[f"![{p.stem}](figures/{p.name})\n" for p in figures],
    ]
    if failed:
        lines += ["## Failed runs", ""]
        lines += [f"- {f['policy']} seed {f['seed']}: `{f['error']}`" for f in failed]
        lines.append("")
    git = manifest.get("git", {})
    lines += [
        "## Reproduce",
        "",
        f"Code revision {git.get('revision')}"
        + (" (with uncommitted changes)" if git.get("dirty") else "")
        + f"; versions {manifest.get('versions')}.",
        "Every run's overrides are in `manifest.yaml` (`cells`); one run again: "
        "`sim run <overrides>`. The whole study again, skipping finished runs: "
        f"`sim study {manifest['scenario']} --resume <this folder>`.",
        "",
        "Tables: `runs.parquet` (every run, every week), `kpis.csv` (one row per run), "
        "`summary.csv` (per policy and metric: n, mean, sd, 95% CI, paired differences).",
        "",
    ]
    report = folder / "report.md"
    write_text_atomically(report, "\n".join(lines))
    manifest["aggregated_utc"] = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
    manifest["aggregate_seconds"] = round(time.perf_counter() - start, 2)
    if "started_unix" in manifest:
        manifest["wall_seconds"] = round(time.time() - float(manifest["started_unix"]), 1)
    write_manifest(folder, manifest)
    return report
