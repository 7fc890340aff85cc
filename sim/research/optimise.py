"""``sim optimise``: search the policy levers for the best KPI under a constraint (Optuna).

Optuna proposes policies (values of the levers in ``configs/levers.yaml``) in batches
through its ask-and-tell interface; each batch is one design sweep (``run_design``), so
its runs share the cores and any Hydra launcher runs them. Every trial is replicated on
the same seeds (common random numbers), so trials differ by their policy, not by their
luck, and Optuna is told the mean KPI. A bound on employee turnover is set as the
trial's constraint (Optuna's constrained TPE), so an infeasible trial is never "best".

The best feasible trial won a contest of noisy means, so its search value flatters it
(the winner's curse). It is therefore run again beside the baseline on fresh seeds, more
of them, paired by seed; the report gives that paired difference with a 95% t interval.

Output (``results/optimise/<timestamp>/``): ``history.csv`` (one row per trial),
``best.yaml`` (the best policy as ``sim run`` overrides), ``comparison.csv`` and
``comparison_runs.csv``, ``history.png``, ``manifest.yaml`` and ``report.md``; the runs
themselves under ``search/batch-*/`` and ``confirm/``.
"""

from __future__ import annotations

import argparse
import json
import math
import shlex
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, NoReturn

import numpy as np
import pandas as pd
import yaml
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from sim.config import ConfigError, SimConfig
from sim.design import schema_default
from sim.experiments.analysis import t_interval
from sim.kpis import SUMMARY_KPIS
from sim.launch import LAUNCHERS, run_design
from sim.manifest import revision, versions, write_manifest
from sim.markdown import format_cell, markdown_table
from sim.output import timestamp, unique_path, write_text_atomically
from sim.research.levers import (
    LEVERS_FILE,
    Lever,
    lever_values,
    load_levers,
    searched,
    values_of,
)
from sim.rng import replication_seeds

KPIS = SUMMARY_KPIS  # any numeric KPI of a run's summary.json can be the objective
TURNOVER = "employee_turnover"
# A small world for a quick look and for tests: 1,000 people, two years after a half-year
# burn-in (turnover and retention are yearly, so at least a year is needed).
SMALL_WORLD = (
    "market.n_customers=1000",
    "workforce.n_employees=10",
    "run.weeks=104",
    "run.burn_in_weeks=26",
)
DEFAULTS = {"trials": 40, "replications": 4, "batch": 4, "confirm": 20}
SMALL_DEFAULTS = {"trials": 8, "replications": 2, "batch": 4, "confirm": 4}
REPORT_METRICS = ("npv_profit", "employee_turnover", "annual_retention", "customers_end")
DIGITS = 4  # significant digits of the best policy as written and confirmed


@dataclass
class Settings:
    """Everything that defines an optimisation, as parsed from the command line."""

    kpi: str
    minimize: bool
    trials: int
    replications: int
    batch: int
    confirm: int
    max_turnover: float | None
    root_seed: int
    baseline: str
    levers_path: Path
    levers: list[Lever]
    fixed: list[str]
    launcher: str
    jobs: int
    small: bool
    folder: Path
    argv: list[str] = field(default_factory=list)

    @property
    def direction(self) -> Literal["minimize", "maximize"]:
        """Optuna's name for the direction of the search."""
        return "minimize" if self.minimize else "maximize"


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one-line ConfigErrors, not a usage dump."""

    def error(self, message: str) -> NoReturn:
        raise ConfigError(f"sim optimise: {message}")


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="sim optimise", description=__doc__.splitlines()[0])
    p.add_argument("--kpi", default="npv_profit", help=f"objective; one of: {', '.join(KPIS)}")
    p.add_argument("--minimize", action="store_true", help="minimise the KPI (default: maximise)")
    p.add_argument("--trials", type=int, help="policies to try (default 40; small: 8)")
    p.add_argument("--replications", type=int, help="seeds per trial (default 4; small: 2)")
    p.add_argument("--batch", type=int, help="trials per design sweep (default 4)")
    p.add_argument(
        "--confirm", type=int, help="fresh seeds for best vs baseline (default 20; small: 4)"
    )
    p.add_argument("--max-turnover", type=float, help="constraint: mean employee turnover <= this")
    p.add_argument("--root-seed", type=int, default=20240607, help="seeds every draw of the search")
    p.add_argument("--baseline", default="baseline", help="policy bundle the levers start from")
    p.add_argument("--levers", type=Path, default=LEVERS_FILE, help="levers file")
    p.add_argument("--small", action="store_true", help="small world, few trials: a quick look")
    p.add_argument("--launcher", choices=LAUNCHERS, default="joblib")
    p.add_argument("--jobs", type=int, default=-1, help="joblib workers (-1: all cores)")
    p.add_argument("--results-dir", type=Path, default=Path("results"))
    p.add_argument("--out", type=Path, help="output folder (default: a new time-stamped one)")
    p.add_argument("overrides", nargs="*", help="world overrides for every run, e.g. market=tight")
    return p


@lru_cache(maxsize=8)
def base_config(fixed: tuple[str, ...], baseline: str) -> SimConfig:
    """The world and baseline policy every trial starts from (composed once, checked)."""
    from sim.compose import compose_config
    from sim.errors import UserError

    try:
        return compose_config([*fixed, f"policy={baseline}"])
    except UserError as exc:
        raise ConfigError(str(exc)) from exc


def _whole(name: str, value: int, least: int) -> int:
    if value < least:
        raise ConfigError(f"{name}={value}: must be a whole number >= {least}")
    return value


def parse_settings(argv: Sequence[str]) -> Settings:
    """Parse and check the command line; every problem is one ConfigError line."""
    args = _parser().parse_intermixed_args(list(argv))
    if args.kpi not in KPIS:
        raise ConfigError(f"--kpi={args.kpi}: unknown KPI; allowed: {', '.join(KPIS)}")
    defaults = SMALL_DEFAULTS if args.small else DEFAULTS
    counts = {
        name: _whole(
            f"--{name}",
            defaults[name] if getattr(args, name) is None else getattr(args, name),
            least,
        )
        for name, least in (("trials", 1), ("replications", 1), ("batch", 1), ("confirm", 2))
    }
    if args.max_turnover is not None and not args.max_turnover > 0:
        raise ConfigError(f"--max-turnover={args.max_turnover}: must be a share > 0")
    if args.jobs == 0:
        raise ConfigError("--jobs=0: give a number of workers, or -1 for all cores")
    levers = load_levers(args.levers)
    touched = {lever.field for lever in levers}
    for override in args.overrides:
        key = override.lstrip("+~").split("=", 1)[0]
        if key in ("policy", "seed", "run.point") or key.startswith("hydra"):
            raise ConfigError(
                f"override '{override}': set by sim optimise; use --baseline for the policy"
            )
        if key in touched:
            raise ConfigError(
                f"override '{override}': {key} is a lever in {args.levers.name}; "
                "fix it there (value: ...) or drop the override"
            )
    fixed = [*(SMALL_WORLD if args.small else ()), *args.overrides]
    base_config(tuple(fixed), args.baseline)
    folder = args.out
    if folder is None:
        stamp = timestamp() + ("_small" if args.small else "")
        folder = unique_path(args.results_dir / "optimise" / stamp)
    return Settings(
        kpi=args.kpi,
        minimize=args.minimize,
        trials=counts["trials"],
        replications=counts["replications"],
        batch=counts["batch"],
        confirm=counts["confirm"],
        max_turnover=args.max_turnover,
        root_seed=args.root_seed,
        baseline=args.baseline,
        levers_path=args.levers,
        levers=levers,
        fixed=fixed,
        launcher=args.launcher,
        jobs=args.jobs,
        small=args.small,
        folder=folder,
        argv=list(argv),
    )


# ------------------------------------------------------------------- search


def _suggest(trial: Any, lever: Lever) -> Any:
    if lever.kind == "choice":
        return trial.suggest_categorical(lever.key, list(lever.choices))
    if lever.integer:
        return trial.suggest_int(lever.key, int(lever.lo), int(lever.hi))
    return trial.suggest_float(lever.key, lever.lo, lever.hi)


def _trial_rows(runs: pd.DataFrame, point: int) -> pd.DataFrame:
    if runs.empty:
        return runs
    return runs[runs["point"] == point]


def search(settings: Settings) -> pd.DataFrame:
    """Ask, run and tell trials in batches; return the history (one row per trial)."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    sampler = optuna.samplers.TPESampler(
        seed=settings.root_seed,
        n_startup_trials=max(1, min(10, settings.trials // 3)),
    )
    study = optuna.create_study(direction=settings.direction, sampler=sampler)
    seeds = search_seeds(settings)
    levers = searched(settings.levers)
    start_values = baseline_levers(settings)
    if start_values is not None:
        # Trial 0 is the baseline itself: the search never reports a feasible "best"
        # worse than where it started, and the history shows the baseline on its seeds.
        study.enqueue_trial(start_values)
    rows: list[dict[str, Any]] = []
    for batch, start in enumerate(range(0, settings.trials, settings.batch)):
        asked = [study.ask() for _ in range(min(settings.batch, settings.trials - start))]
        chosen = [{lever.key: _suggest(t, lever) for lever in levers} for t in asked]
        design = pd.DataFrame([lever_values(settings.levers, c) for c in chosen])
        runs = run_design(
            settings.folder / "search" / f"batch-{batch:03d}",
            design,
            seeds,
            fixed=settings.fixed,
            policies=(settings.baseline,),
            launcher=settings.launcher,
            jobs=settings.jobs,
            purpose=f"sim optimise: trials {start}..{start + len(asked) - 1}",
        )
        for point, (trial, values) in enumerate(zip(asked, chosen, strict=True)):
            mine = _trial_rows(runs, point)
            kpi = mine[settings.kpi].to_numpy(dtype=float) if len(mine) else np.array([])
            turnover = mine[TURNOVER].to_numpy(dtype=float) if len(mine) else np.array([])
            origin = "baseline" if trial.number == 0 and start_values is not None else "tpe"
            row: dict[str, Any] = {"trial": trial.number, "batch": batch, "origin": origin}
            row.update(values)
            row.update(_stats(kpi, len(seeds)))
            row["employee_turnover"] = float(np.mean(turnover)) if turnover.size else math.nan
            complete = len(mine) == len(seeds) and bool(np.all(np.isfinite(kpi)))
            if settings.max_turnover is not None:
                bound = float(row["employee_turnover"]) - settings.max_turnover
                complete = complete and math.isfinite(bound)
                row["constraint"] = bound
                row["feasible"] = complete and bound <= 0
                if complete:
                    # Optuna's constrained TPE: <= 0 is feasible; infeasible trials are
                    # ranked by how far they overshoot, never as "best".
                    trial.set_constraint(TURNOVER, bound)
            else:
                row["constraint"] = math.nan
                row["feasible"] = complete
            if complete:
                study.tell(trial, float(row["value"]))
                row["state"] = "complete"
            else:
                study.tell(trial, state=optuna.trial.TrialState.FAIL)
                row["state"] = "failed"
            rows.append(row)
        history = pd.DataFrame(rows)
        _print_progress(settings, history)
    return pd.DataFrame(rows)


def _stats(values: np.ndarray[Any, Any], expected: int) -> dict[str, Any]:
    finite = values[np.isfinite(values)] if values.size else values
    return {
        "value": float(finite.mean()) if finite.size else math.nan,
        "value_sd": float(finite.std(ddof=1)) if finite.size > 1 else math.nan,
        "runs": int(values.size),
        "runs_expected": expected,
    }


def baseline_levers(settings: Settings) -> dict[str, Any] | None:
    """The baseline's lever values, if every one lies in the searched space (else None)."""
    config = base_config(tuple(settings.fixed), settings.baseline)
    values = values_of(settings.levers, config)
    for lever in searched(settings.levers):
        value = values[lever.key]
        inside = (
            value in lever.choices
            if lever.kind == "choice"
            else lever.lo <= float(value) <= lever.hi
        )
        if not inside:
            return None
    return values


def search_seeds(settings: Settings) -> list[int]:
    """Seeds shared by every trial of the search (common random numbers)."""
    return replication_seeds(settings.root_seed, settings.replications)


def confirm_seeds(settings: Settings) -> list[int]:
    """Fresh seeds for best vs baseline: never used by the search, from the same root."""
    seeds = replication_seeds(settings.root_seed, settings.replications + settings.confirm)
    return seeds[settings.replications :]


def best_trial(settings: Settings, history: pd.DataFrame) -> pd.Series[Any] | None:
    """The best feasible, complete trial of the history (None if there is none)."""
    ok = history[history["feasible"].astype(bool) & (history["state"] == "complete")]
    if ok.empty:
        return None
    values = ok["value"].to_numpy(dtype=float)
    index = int(np.argmin(values) if settings.minimize else np.argmax(values))
    return ok.iloc[index]


def best_so_far(settings: Settings, history: pd.DataFrame) -> pd.Series[float]:
    """Value of the best feasible trial up to each trial (NaN before the first)."""
    ok = history["value"].where(history["feasible"].astype(bool))
    running = ok.cummin() if settings.minimize else ok.cummax()
    return running.ffill()


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


def confirm(settings: Settings, policy: dict[str, Any]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Best vs baseline on fresh seeds; per-seed runs and the paired summary per metric."""
    best = lever_values(settings.levers, policy)
    design = pd.DataFrame([baseline_row(settings, list(best)), best])
    seeds = confirm_seeds(settings)
    runs = run_design(
        settings.folder / "confirm",
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


# ----------------------------------------------------------------- outputs


def history_figure(settings: Settings, history: pd.DataFrame) -> Figure:
    """Value per trial (feasible or not) with the best so far; turnover against its bound."""
    panels = 2 if settings.max_turnover is not None else 1
    fig = Figure(figsize=(8, 3.2 * panels), layout="constrained")
    axes = fig.subplots(panels, 1, sharex=True, squeeze=False)[:, 0]
    ax = axes[0]
    feasible = history["feasible"].astype(bool)
    ax.scatter(
        history.loc[feasible, "trial"],
        history.loc[feasible, "value"],
        s=18,
        color="tab:blue",
        label="feasible trial",
    )
    if (~feasible).any():
        ax.scatter(
            history.loc[~feasible, "trial"],
            history.loc[~feasible, "value"],
            s=22,
            marker="x",
            color="tab:grey",
            label="infeasible or failed",
        )
    ax.step(
        history["trial"],
        best_so_far(settings, history),
        where="post",
        color="tab:red",
        label="best feasible so far",
    )
    ax.set_ylabel(f"mean {settings.kpi}\n({settings.replications} seeds)")
    ax.set_title(f"Policy search: {settings.direction} {settings.kpi}", loc="left", fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    if settings.max_turnover is not None:
        low = axes[1]
        low.scatter(history["trial"], history["employee_turnover"], s=14, color="tab:purple")
        low.axhline(settings.max_turnover, color="tab:red", linestyle="--", label="bound")
        low.set_ylabel("mean employee\nturnover per year")
        low.grid(alpha=0.3)
        low.legend(fontsize=8)
    axes[-1].set_xlabel("trial")
    axes[-1].xaxis.set_major_locator(MaxNLocator(integer=True))
    return fig


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
        f"- Search: Optuna TPE (seed {settings.root_seed}), {settings.trials} trials in "
        f"batches of {settings.batch}, each trial on the same {settings.replications} seeds "
        "(common random numbers).",
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
    else:
        lines += [
            f"## Best policy (trial {int(trial['trial'])})",
            "",
            *(
                ["No trial beat the baseline: the best policy found is the baseline itself.", ""]
                if trial["origin"] == "baseline"
                else []
            ),
            f"Search value: mean {settings.kpi} = {format_cell(float(trial['value']))} over "
            f"{settings.replications} seeds. As overrides: see `best.yaml`.",
            "",
            markdown_table(pd.DataFrame({"lever": list(policy), "value": list(policy.values())})),
            "",
            f"## Best vs {settings.baseline} on fresh seeds",
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


def run(settings: Settings) -> int:
    """Search, confirm and write every output; 0 when a feasible best was found."""
    from sim.plots import save

    start = time.perf_counter()
    settings.folder.mkdir(parents=True, exist_ok=True)
    write_manifest(settings.folder, new_manifest(settings))
    n_runs = settings.trials * settings.replications
    print(
        f"sim optimise: {settings.direction} {settings.kpi}, {settings.trials} trials x "
        f"{settings.replications} seeds (+ {2 * settings.confirm} to confirm) -> {settings.folder}",
        flush=True,
    )
    history = search(settings)
    write_text_atomically(settings.folder / "history.csv", history.to_csv(index=False))
    save(history_figure(settings, history), settings.folder / "history.png")
    trial = best_trial(settings, history)
    policy: dict[str, Any] = {}
    summary = pd.DataFrame()
    if trial is not None:
        policy = best_policy(settings, trial)
        write_best(settings, trial, policy)
        per_seed, summary = confirm(settings, policy)
        n_runs += 2 * settings.confirm
        write_text_atomically(settings.folder / "comparison_runs.csv", per_seed.to_csv(index=False))
        write_text_atomically(settings.folder / "comparison.csv", summary.to_csv(index=False))
    seconds = time.perf_counter() - start
    report = write_report(settings, history, trial, policy, summary, seconds, n_runs)
    if trial is None:
        print(f"no feasible trial; report: {report}", flush=True)
        return 1
    head = summary[summary["metric"] == settings.kpi].iloc[0]
    print(
        f"best: trial {int(trial['trial'])}; {settings.kpi} vs {settings.baseline} "
        f"{head['diff_mean']:+,.4g} [95% CI {head['diff_ci_low']:+,.4g}, "
        f"{head['diff_ci_high']:+,.4g}; n={int(head['n'])}] in {seconds / 60:.1f} min",
        flush=True,
    )
    print(f"report: {report}", flush=True)
    return 0


def _print_progress(settings: Settings, history: pd.DataFrame) -> None:
    best = best_so_far(settings, history).iloc[-1]
    print(
        f"[optimise] {len(history)}/{settings.trials} trials; best feasible "
        f"{settings.kpi} so far: {format_cell(float(best))}",
        flush=True,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """``sim optimise [options] [overrides]``; also ``python -m sim.research.optimise``."""
    return run(parse_settings(list(sys.argv[1:] if argv is None else argv)))


if __name__ == "__main__":
    from sim.commandline import module_main

    raise SystemExit(module_main(main))
