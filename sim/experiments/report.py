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
from sim.kpis import format_short, phrase
from sim.manifest import STUDY_KEYS, read_manifest, write_manifest
from sim.output import write_text_atomically


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
        if not (math.isfinite(lo) and math.isfinite(hi)):
            sure = "too few replications to say"
        lines.append(
            f"- **{r['policy']}**: {phrase(headline)} {format_short(headline, d, True)} "
            f"against {baseline} ({interval(headline, lo, hi)}, "
            f"{int(r['n'])} paired replications): {sure}."
        )
    return lines


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
            ci = (
                f" ({format_short(metric, row['ci_low'])} "
                f"to {format_short(metric, row['ci_high'])})"
                if math.isfinite(row["ci_low"])
                else ""
            )
            cells.append(f"{format_short(metric, row['mean'])}{ci}")
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
