"""A loop-attribution folder's tables, figure and ``report.md``, rebuilt from its runs."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd

from sim.config import ConfigError
from sim.design import failures, read_runs
from sim.kpis import format_short, phrase
from sim.output import write_text_atomically
from sim.plots import save
from sim.research.loops.arms import JOINT, link_meaning
from sim.research.loops.attribution import attribution
from sim.research.loops.plots import attribution_figure
from sim.research.loops.sweep import load_manifest, seed_folders


def _cell(metric: str, mean: float, lo: float, hi: float) -> str:
    low, high = format_short(metric, lo, True), format_short(metric, hi, True)
    return f"{format_short(metric, mean, True)} [{low}, {high}]"


def _share(mean: float, lo: float, hi: float) -> str:
    if not math.isfinite(mean):
        return "n/a"
    # round() gives ints, which have no negative zero ("-0%").
    return f"{round(100 * mean)}% [{round(100 * lo)}%, {round(100 * hi)}%]"


NOT_SIGNIFICANT = "not shown: the full difference's CI includes 0"


def significant(row: pd.Series) -> bool:
    """Whether the full-model difference's 95% CI excludes zero (a share is then meaningful)."""
    lo, hi = float(row["full_diff_ci_low"]), float(row["full_diff_ci_high"])
    return math.isfinite(lo) and math.isfinite(hi) and (lo > 0 or hi < 0)


def attribution_markdown(table: pd.DataFrame, policy: str) -> list[str]:
    """The attribution table of one compared policy, as Markdown lines.

    Shares of a difference that is not significant are not shown (issue 20, defect 5): a
    ratio over a denominator that may be zero is noise (``513% [-7477%, 8504%]``); the
    amounts each loop carries still are.
    """
    rows = table[table["policy"] == policy]
    metric = str(rows["metric"].iloc[0])
    shares_mean = significant(rows.iloc[0])
    lines = [
        "| loop (link cut) | difference with the link cut | carried by the loop | share [95% CI] |",
        "|---|---:|---:|---:|",
    ]
    for _, r in rows.iterrows():
        name = f"`{r['link']}`: {r['label']}" if r["link"] != JOINT else f"*{r['label']}*"
        cut = _cell(metric, r["cut_diff"], r["cut_diff_ci_low"], r["cut_diff_ci_high"])
        carried = _cell(metric, r["carried"], r["carried_ci_low"], r["carried_ci_high"])
        share = (
            _share(r["share"], r["share_ci_low"], r["share_ci_high"])
            if shares_mean
            else NOT_SIGNIFICANT
        )
        lines.append(f"| {name} | {cut} | {carried} | {share} |")
    return lines


def write_report(
    folder: Path,
    manifest: dict[str, Any],
    table: pd.DataFrame,
    runs: pd.DataFrame,
    figure: Path | None,
) -> Path:
    """Write ``report.md``: question, what ran, one attribution table per policy."""
    metric, baseline = manifest["metric"], manifest["baseline"]
    label = phrase(metric)
    lines = [
        f"# Loop attribution: {manifest['scenario']}",
        "",
        f"**Question.** {manifest['question']}",
        "",
        f"**Which loops carry the answer?** For each policy against `{baseline}`, the paired "
        f"difference in {label} ({metric}) under the full model is compared with the same "
        "difference when one feedback link is cut (held at its week-0 value). The loop "
        "*carries* the part of the difference that disappears with the cut; its share is "
        "(full difference - difference with the link cut) / full difference.",
        "",
        f"- Runs: {len(runs)} finished of {manifest['cells']} "
        f"({len(manifest['arms'])} arms x {len(manifest['policies'])} policies x "
        f"{len(manifest['seeds'])} seeds), common random numbers across all of them.",
        f"- World: `{' '.join(manifest['fixed_overrides']) or '(defaults)'}`"
        + (" (smoke: a small world)" if manifest["smoke"] else ""),
        f"- Command: `{manifest['command']}`",
        f"- Folder: `{folder.name}`; tables `attribution.csv` and `runs.csv`.",
        "",
        "Shares need **not** sum to 100%: loops interact (a cut changes what the other loops "
        "carry), a loop can work against the difference (a negative share) or carry more "
        "than all of it (above 100%) while others offset it. The last row cuts every link "
        "listed at once. Intervals are 95% t-intervals over seeds, paired by seed; the "
        "share's interval uses the delta method for a ratio of means. A share is unreliable "
        "when the full difference's interval includes zero.",
        "",
    ]
    for policy in dict.fromkeys(table["policy"]):
        rows = table[table["policy"] == policy]
        first = rows.iloc[0]
        singles = rows[rows["link"] != JOINT]
        full = _cell(
            metric, first["full_diff"], first["full_diff_ci_low"], first["full_diff_ci_high"]
        )
        lines += [
            f"## {policy} vs {baseline}",
            "",
            f"Full-model difference in {label}: **{full}** (n = {int(first['n'])} seeds).",
            "",
            *attribution_markdown(table, str(policy)),
            "",
            f"Sum of the single-link shares: {round(100 * singles['share'].sum())}%."
            if significant(first)
            else "The full difference is not significant, so no share is given; the amounts "
            "carried are.",
            "",
        ]
    if figure is not None:
        lines += [f"![attribution]({figure.relative_to(folder).as_posix()})", ""]
    lines += [
        "## What a cut holds",
        "",
        "Every arm warms up with all links live under the default policies, so each policy "
        "and each cut on a seed starts week 0 from the same state. A cut link then reads its "
        "input as it stood at week 0 for the whole horizon: per person for employees' "
        "satisfaction, capability and served customers' mood (people hired later take the "
        "week-0 staff mean); as an average over the last quarter of the burn-in for weekly "
        "flows (work pressure, overtime, storytellers).",
        "",
        "| link | a cut holds |",
        "|---|---|",
        *[f"| `{link}` | {link_meaning(link)} |" for link in manifest["links"]],
        "",
    ]
    failed = [f for sweep in seed_folders(folder) for f in failures(sweep)]
    if failed:
        lines += [f"## Failed runs ({len(failed)})", ""]
        lines += [f"- {f['policy']} p{f['point']} s{f['seed']}: {f['error']}" for f in failed]
        lines.append("")
    path = folder / "report.md"
    write_text_atomically(path, "\n".join(lines))
    return path


def analyse(folder: Path) -> Path:
    """(Re)build the tables, figure and report of a loop-attribution folder."""
    manifest = load_manifest(folder)
    parts = [runs for runs in map(read_runs, seed_folders(folder)) if not runs.empty]
    if not parts:
        raise ConfigError(f"{folder}: no finished runs to analyse")
    runs = pd.concat(parts, ignore_index=True).sort_values(
        ["point", "policy", "seed"], ignore_index=True
    )
    arms: list[str] = manifest["arms"]
    metric = manifest["metric"]
    runs.insert(0, "arm", [arms[int(p)] for p in runs["point"]])
    write_text_atomically(folder / "runs.csv", runs.to_csv(index=False))
    table = attribution(runs, arms, manifest["policies"], manifest["baseline"], metric)
    table.insert(0, "scenario", manifest["scenario"])
    write_text_atomically(folder / "attribution.csv", table.to_csv(index=False))
    figures = folder / "figures"
    figures.mkdir(exist_ok=True)
    figure = save(attribution_figure(table, metric), figures / "attribution.png")
    return write_report(folder, manifest, table, runs, figure)
