"""The search: Optuna asks for policies in batches, each batch one design sweep.

Every trial runs on the same seeds (common random numbers); a bound on employee
turnover is the trial's constraint, so an infeasible trial is never the best.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from sim.launch import run_design
from sim.markdown import format_cell
from sim.research.levers import (
    Lever,
    lever_values,
    searched,
    values_of,
)
from sim.research.optimise.settings import TURNOVER, Settings, base_config, search_seeds


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


def _print_progress(settings: Settings, history: pd.DataFrame) -> None:
    best = best_so_far(settings, history).iloc[-1]
    print(
        f"[optimise] {len(history)}/{settings.trials} trials; best feasible "
        f"{settings.kpi} so far: {format_cell(float(best))}",
        flush=True,
    )
