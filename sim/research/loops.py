"""Loop attribution: how much of a policy difference each feedback loop of the chain carries.

A scenario's policies x replication seeds run under the full model and again with each
feedback link cut in turn (held at its week-0 value, see ``sim.config.FeedbackConfig``),
plus once with every chosen link cut together. It runs as design sweeps
(``sim.launch.run_design``), one per seed, whose design rows are the arms: any Hydra
launcher runs it and a killed sweep resumes with ``--resume``. For each policy against
the scenario's baseline, paired by seed (common random numbers), the difference in the
headline KPI is taken under the full model (D) and with the link cut (E); the loop
*carries* D - E, and its share is (D - E) / D. Loops interact, so the shares need not
sum to one.

Output: ``results/loops/<scenario>/<UTC time>_<git sha>/`` with ``attribution.csv``,
``runs.csv`` (one row per run), ``figures/attribution.png``, ``report.md``, the manifest
``loops.yaml`` and one design-sweep folder ``seed_<seed>/`` per seed holding its runs.

    python -m sim.research.loops layoff_spiral --replications 6
    python -m sim.research.loops --analyse results/loops/layoff_spiral/<folder>
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import shlex
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from sim.config import ConfigError, FeedbackConfig, feedback_links
from sim.design import DESIGN, failures, read_runs
from sim.experiments.analysis import t_interval
from sim.experiments.scenario import Scenario, load_scenario, scenario_names
from sim.experiments.study import study_overrides
from sim.kpis import format_short, phrase
from sim.launch import LAUNCHERS, run_design
from sim.manifest import read_manifest, revision, versions, write_manifest
from sim.output import timestamp, unique_path, write_text_atomically
from sim.plots import save

MANIFEST = "loops.yaml"
FULL = "full_model"
JOINT = "all_links"
LEVEL = 0.95

# Short names of the links for tables and figures; what a cut holds is in the schema.
LINK_LABELS: dict[str, str] = {
    "employee_satisfaction_to_quality": "employee satisfaction -> service quality",
    "employee_satisfaction_to_quits": "employee satisfaction -> quits",
    "experience": "experience (capability) -> quality, productivity",
    "pressure_to_time": "work pressure -> time per customer",
    "pressure_to_satisfaction": "work pressure -> employee satisfaction",
    "overtime_fatigue": "overtime -> fatigue",
    "satisfaction_mirror": "customer -> employee satisfaction (mirror)",
    "layoff_insecurity": "layoffs -> job insecurity (survivors)",
    "standards_erosion": "standards erosion (drifting goal)",
    "adaptive_expectations": "customers' adaptive expectations",
    "reputation": "reputation -> market",
    "referrals": "referrals (positive word of mouth)",
    "negative_word_of_mouth": "negative word of mouth",
    "rival_reaction": "rivals' reaction",
    JOINT: "all these links cut together",
}


def link_label(arm: str) -> str:
    """Short label of a link (or of the joint cut)."""
    return LINK_LABELS.get(arm, arm)


def link_meaning(link: str) -> str:
    """What cutting ``link`` holds, from the schema's own documentation."""
    docs = {f.name: str(f.metadata.get("doc", "")) for f in dataclasses.fields(FeedbackConfig)}
    return docs[link]


def parse_links(text: str | None) -> list[str]:
    """The links named in ``a,b,c`` (all of them when ``text`` is empty), checked.

    Raises:
        ConfigError: naming the unknown link and the allowed ones.

    >>> parse_links("reputation, referrals")
    ['reputation', 'referrals']
    """
    allowed = feedback_links()
    if not text or not text.strip():
        return allowed
    links: list[str] = []
    for name in (part.strip() for part in text.split(",")):
        if name not in allowed:
            raise ConfigError(f"unknown link '{name}'; allowed: {', '.join(allowed)}")
        if name in links:
            raise ConfigError(f"--links: '{name}' is named twice")
        links.append(name)
    return links


def loop_design(links: Sequence[str]) -> tuple[list[str], pd.DataFrame]:
    """The arms (full model, each link cut, all cut together) and their design rows.

    >>> arms, design = loop_design(["reputation", "referrals"])
    >>> arms
    ['full_model', 'reputation', 'referrals', 'all_links']
    >>> design.sum().tolist()  # how many arms keep each link live
    [2, 2]
    """
    arms = [FULL, *links, *([JOINT] if len(links) > 1 else [])]
    rows = []
    for arm in arms:
        cut = set(links) if arm == JOINT else {arm}
        rows.append({f"feedback.{link}": link not in cut for link in links})
    return arms, pd.DataFrame(rows)


# ---------------------------------------------------------------- analysis


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


def attribution_figure(table: pd.DataFrame, metric: str) -> Figure:
    """Share of each policy's difference carried by each loop, with 95% CIs."""
    policies = list(dict.fromkeys(table["policy"])) or [""]
    links = list(dict.fromkeys(table["link"]))
    fig = Figure(figsize=(5.5 * len(policies), 1.2 + 0.38 * len(links)), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, len(policies), sharey=True))
    for ax, policy in zip(axes, policies, strict=True):
        rows = table[table["policy"] == policy].set_index("link").reindex(links)
        y = np.arange(len(links))[::-1]
        share = rows["share"].to_numpy(dtype=float)
        err = np.abs(
            np.vstack([share - rows["share_ci_low"], rows["share_ci_high"] - share]).astype(float)
        )
        colours = ["0.45" if link == JOINT else "tab:blue" for link in links]
        ax.barh(y, np.nan_to_num(share), xerr=np.nan_to_num(err), color=colours, capsize=3)
        ax.axvline(0.0, color="0.3", linewidth=0.8)
        ax.axvline(1.0, color="0.3", linewidth=0.8, linestyle=":")
        # Scaled to the estimates: with a small full difference the intervals can be
        # huge, and then they run off the axis rather than squash every bar.
        finite = share[np.isfinite(share)]
        low = min(-0.2, float(finite.min()) if finite.size else 0.0)
        high = max(1.2, float(finite.max()) if finite.size else 1.0)
        margin = 0.1 * (high - low)
        ax.set_xlim(low - margin, high + margin)
        ax.xaxis.set_major_formatter(PercentFormatter(1.0))
        ax.set_yticks(y, [link_label(link) for link in links], fontsize=8)
        ax.set_xlabel("share of the full-model difference the loop carries")
        first = rows.dropna(subset=["full_diff"])
        if len(first):
            difference = format_short(metric, float(first["full_diff"].iloc[0]), signed=True)
            ax.set_title(
                f"{policy} vs {first['baseline'].iloc[0]}\n"
                f"{phrase(metric)}, full model: {difference}",
                fontsize=9,
                loc="left",
            )
        ax.grid(alpha=0.3, axis="x")
    fig.suptitle("Loop attribution: (full difference - difference with the loop cut) / full")
    return fig


# ------------------------------------------------------------------ report


def _cell(metric: str, mean: float, lo: float, hi: float) -> str:
    low, high = format_short(metric, lo, True), format_short(metric, hi, True)
    return f"{format_short(metric, mean, True)} [{low}, {high}]"


def _share(mean: float, lo: float, hi: float) -> str:
    if not math.isfinite(mean):
        return "n/a"
    # round() gives ints, which have no negative zero ("-0%").
    return f"{round(100 * mean)}% [{round(100 * lo)}%, {round(100 * hi)}%]"


def attribution_markdown(table: pd.DataFrame, policy: str) -> list[str]:
    """The attribution table of one compared policy, as Markdown lines."""
    rows = table[table["policy"] == policy]
    metric = str(rows["metric"].iloc[0])
    lines = [
        "| loop (link cut) | difference with the link cut | carried by the loop | share [95% CI] |",
        "|---|---:|---:|---:|",
    ]
    for _, r in rows.iterrows():
        name = f"`{r['link']}`: {r['label']}" if r["link"] != JOINT else f"*{r['label']}*"
        cut = _cell(metric, r["cut_diff"], r["cut_diff_ci_low"], r["cut_diff_ci_high"])
        carried = _cell(metric, r["carried"], r["carried_ci_low"], r["carried_ci_high"])
        share = _share(r["share"], r["share_ci_low"], r["share_ci_high"])
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
            f"Sum of the single-link shares: {round(100 * singles['share'].sum())}%.",
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


# --------------------------------------------------------------------- run


def load_manifest(folder: Path) -> dict[str, Any]:
    """The manifest of a loop-attribution folder."""
    return read_manifest(folder, MANIFEST, "a loop-attribution folder")


def new_manifest(
    scenario: Scenario,
    links: list[str],
    metric: str,
    smoke: bool,
    replications: int | None,
    extra: Sequence[str],
    command: str,
) -> dict[str, Any]:
    """Everything needed to rerun a loop attribution, arm by arm."""
    fixed, seeds = study_overrides(scenario, smoke, replications)
    # run_design adds its own output switches.
    fixed = [o for o in fixed if not o.startswith(("run.figures=", "run.progress="))]
    arms, _ = loop_design(links)
    return {
        "scenario": scenario.name,
        "question": scenario.question,
        "metric": metric,
        "baseline": scenario.baseline,
        "policies": list(scenario.policies),
        "links": links,
        "arms": arms,
        "seeds": seeds,
        "root_seed": scenario.root_seed,
        "smoke": smoke,
        "fixed_overrides": last_wins([*fixed, *extra]),
        "cells": len(arms) * len(scenario.policies) * len(seeds),
        "command": command,
        "git": revision(),
        "versions": versions(),
        "created_utc": timestamp(),
    }


def last_wins(overrides: Sequence[str]) -> list[str]:
    """Overrides with only the last value of each key kept, in first-seen order.

    >>> last_wins(["run.weeks=120", "market=tight", "run.weeks=60"])
    ['run.weeks=60', 'market=tight']
    """
    values: dict[str, str] = {}
    for override in overrides:
        key = override.split("=", 1)[0]
        values[key] = override
    return list(values.values())


def seed_folders(folder: Path) -> list[Path]:
    """The design-sweep folders of a loop attribution, one per seed."""
    return sorted(p for p in folder.glob("seed_*") if (p / DESIGN).is_file()) or (
        [folder] if (folder / DESIGN).is_file() else []
    )


def run_loops(folder: Path, manifest: dict[str, Any], launcher: str, jobs: int) -> Path:
    """Run (or finish) every arm x policy x seed of ``manifest`` in ``folder``; analyse."""
    _, design = loop_design(manifest["links"])
    start = time.time()
    # One multirun per seed, each in its own folder: a sweep cut short then holds
    # complete seeds (every arm and policy), which the paired attribution needs.
    seeds = manifest["seeds"]
    for i, seed in enumerate(seeds, start=1):
        print(f"seed {i} of {len(seeds)} ({seed})", flush=True)
        run_design(
            folder / f"seed_{seed}",
            design,
            [seed],
            fixed=manifest["fixed_overrides"],
            policies=manifest["policies"],
            launcher=launcher,
            jobs=jobs,
            purpose=f"loop attribution of {manifest['scenario']}, seed {seed}",
        )
    manifest.setdefault("sessions", []).append(
        {"wall_seconds": round(time.time() - start, 1), "launcher": launcher, "jobs": jobs}
    )
    write_manifest(folder, manifest, MANIFEST)
    return analyse(folder)


def build_parser() -> argparse.ArgumentParser:
    """The command line of ``sim loops``."""
    parser = argparse.ArgumentParser(
        prog="sim loops",
        description="Cut each feedback link in turn and report how much of each policy's "
        "difference to the scenario's baseline it carries.",
    )
    parser.add_argument("scenario", nargs="?", help=f"one of: {', '.join(scenario_names())}")
    parser.add_argument(
        "--links", help=f"comma-separated links to cut (default all): {', '.join(feedback_links())}"
    )
    parser.add_argument("--metric", help="KPI to attribute (default: the scenario's headline)")
    parser.add_argument("--replications", type=int, help="seeds per cell (default: scenario's)")
    parser.add_argument(
        "--smoke",
        "--small",
        action="store_true",
        help="the scenario's smoke world: small, short, 2 replications unless given",
    )
    parser.add_argument("--resume", type=Path, help="finish (and re-analyse) a folder cut short")
    parser.add_argument(
        "--analyse", type=Path, help="only rebuild a folder's tables, figure and report"
    )
    parser.add_argument("--results-dir", type=Path, default=Path("results"))
    parser.add_argument("--launcher", choices=LAUNCHERS, default="joblib")
    parser.add_argument("--jobs", type=int, default=-1, help="joblib workers (-1: all cores)")
    parser.add_argument("overrides", nargs="*", help="overrides for every run, e.g. run.weeks=260")
    return parser


def prepare(args: argparse.Namespace, command: str) -> tuple[Path, dict[str, Any]]:
    """Check the command line and return the folder and the manifest of the sweep.

    Raises:
        ConfigError: one line naming what is wrong and what is allowed.
    """
    if args.resume is not None:
        folder = Path(args.resume)
        manifest = load_manifest(folder)
        if args.scenario and args.scenario != manifest["scenario"]:
            raise ConfigError(
                f"{folder} holds scenario '{manifest['scenario']}', not '{args.scenario}'"
            )
        return folder, manifest
    if not args.scenario:
        raise ConfigError(f"name a scenario; allowed: {', '.join(scenario_names())}")
    scenario = load_scenario(args.scenario)
    links = parse_links(args.links)
    metric = args.metric or scenario.headline
    allowed = list(dict.fromkeys([scenario.headline, *scenario.metrics]))
    if metric not in allowed:
        raise ConfigError(
            f"--metric={metric}: not a metric of {scenario.name}; allowed: {', '.join(allowed)}"
        )
    if args.replications is not None and args.replications < 2:
        raise ConfigError(f"--replications={args.replications}: at least 2 for paired intervals")
    manifest = new_manifest(
        scenario, links, metric, args.smoke, args.replications, args.overrides, command
    )
    from sim.compose import compose_config

    # Every arm's configuration is composed once by run_design; check the world and
    # the policies here so a bad override fails before a folder is made.
    for policy in scenario.policies:
        compose_config([*manifest["fixed_overrides"], f"policy={policy}"])
    name = f"{manifest['created_utc']}_{manifest['git']['revision']}"
    folder = unique_path(
        args.results_dir / "loops" / scenario.name / (name + ("_smoke" if args.smoke else ""))
    )
    folder.mkdir(parents=True)
    write_manifest(folder, manifest, MANIFEST)
    return folder, manifest


def main(argv: Sequence[str] | None = None) -> int:
    """Run a loop attribution (``sim loops``); print the folder and the report's path."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_intermixed_args(args_list)
    command = shlex.join(["sim", "loops", *args_list])
    from sim.errors import UserError

    try:
        if args.analyse is not None:
            folder, manifest = Path(args.analyse), load_manifest(Path(args.analyse))
            report = analyse(folder)
        else:
            folder, manifest = prepare(args, command)
            print(
                f"loops {manifest['scenario']}: {manifest['cells']} runs "
                f"({len(manifest['arms'])} arms x {len(manifest['policies'])} policies x "
                f"{len(manifest['seeds'])} seeds) -> {folder}",
                flush=True,
            )
            report = run_loops(folder, manifest, args.launcher, args.jobs)
    except (ConfigError, UserError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    table = pd.read_csv(folder / "attribution.csv")
    for policy in dict.fromkeys(table["policy"]):
        print(f"\n{policy} vs {manifest['baseline']}:")
        print("\n".join(attribution_markdown(table, str(policy))))
    print(f"\nreport: {report.resolve()}")
    return 0


if __name__ == "__main__":
    from sim.commandline import module_main

    raise SystemExit(module_main(main))
