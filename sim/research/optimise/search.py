"""The search: Optuna asks for policies in batches, each batch one design sweep.

Every trial runs on the same seeds (common random numbers); a bound on employee
turnover is the trial's constraint, so an infeasible trial is never the best.
"""

from __future__ import annotations

import math
from pathlib import Path
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


STORAGE = "study.db"
STUDY_NAME = "sim_optimise"  # fixed, so a folder holds one study that --resume continues
COLUMNS = ("value", "value_sd", "runs", "runs_expected", "employee_turnover", "constraint")


def storage_url(folder: Path) -> str:
    """The SQLite URL of a search's Optuna storage (``optuna-dashboard`` opens it too).

    >>> storage_url(Path("/tmp/out"))
    'sqlite:////tmp/out/study.db'
    """
    return f"sqlite:///{(folder / STORAGE).resolve()}"


def open_study(settings: Settings) -> Any:
    """The search's Optuna study in ``<folder>/study.db``, created or loaded.

    The sampler is seeded from the root seed and the number of trials already in the
    study, so a resumed search is reproducible and does not replay its first draws.
    """
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    settings.folder.mkdir(parents=True, exist_ok=True)
    storage = optuna.storages.RDBStorage(storage_url(settings.folder))
    done = 0
    if STUDY_NAME in {s.study_name for s in storage.get_all_studies()}:
        done = len(optuna.load_study(study_name=STUDY_NAME, storage=storage).trials)
    sampler = optuna.samplers.TPESampler(
        seed=settings.root_seed + done,
        n_startup_trials=max(1, min(10, (done + settings.trials) // 3)),
    )
    return optuna.create_study(
        study_name=STUDY_NAME,
        storage=storage,
        direction=settings.direction,
        sampler=sampler,
        load_if_exists=True,
    )


def search(settings: Settings) -> pd.DataFrame:
    """Ask, run and tell ``settings.trials`` new trials in batches; return the history.

    The study lives in ``<folder>/study.db`` (``open_study``): a search resumed on the
    same folder adds its trials to those already there, which are not run again. The
    history has one row per trial of the whole study.
    """
    import optuna

    study = open_study(settings)
    for stale in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,)):
        # Asked by a session that was killed before its batch finished: not told, so
        # recorded as failed; the resumed search asks for new trials instead.
        study.tell(stale.number, state=optuna.trial.TrialState.FAIL)
    seeds = search_seeds(settings)
    levers = searched(settings.levers)
    first_batch = 1 + max((int(t.user_attrs.get("batch", -1)) for t in study.trials), default=-1)
    start_values = baseline_levers(settings) if not study.trials else None
    if start_values is not None:
        # Trial 0 is the baseline itself: the search never reports a feasible "best"
        # worse than where it started, and the history shows the baseline on its seeds.
        study.enqueue_trial(start_values)
    for step, start in enumerate(range(0, settings.trials, settings.batch)):
        batch = first_batch + step
        asked = [study.ask() for _ in range(min(settings.batch, settings.trials - start))]
        chosen = [{lever.key: _suggest(t, lever) for lever in levers} for t in asked]
        for trial in asked:
            origin = "baseline" if trial.number == 0 and start_values is not None else "tpe"
            trial.set_user_attr("batch", batch)
            trial.set_user_attr("origin", origin)
        design = pd.DataFrame([lever_values(settings.levers, c) for c in chosen])
        runs = run_design(
            settings.folder / "search" / f"batch-{batch:03d}",
            design,
            seeds,
            fixed=settings.fixed,
            policies=(settings.baseline,),
            launcher=settings.launcher,
            jobs=settings.jobs,
            purpose=f"sim optimise: trials {asked[0].number}..{asked[-1].number}",
        )
        for point, trial in enumerate(asked):
            _tell(settings, study, trial, _trial_rows(runs, point), len(seeds))
        _print_progress(settings, history(settings, study))
    return history(settings, study)


def _tell(settings: Settings, study: Any, trial: Any, mine: pd.DataFrame, seeds: int) -> None:
    """Record a trial's outcome in the study: its value, constraint and history fields."""
    import optuna

    kpi = mine[settings.kpi].to_numpy(dtype=float) if len(mine) else np.array([])
    turnover = mine[TURNOVER].to_numpy(dtype=float) if len(mine) else np.array([])
    row: dict[str, Any] = _stats(kpi, seeds)
    row["employee_turnover"] = float(np.mean(turnover)) if turnover.size else math.nan
    complete = len(mine) == seeds and bool(np.all(np.isfinite(kpi)))
    if settings.max_turnover is not None:
        bound = float(row["employee_turnover"]) - settings.max_turnover
        complete = complete and math.isfinite(bound)
        row["constraint"] = bound
        feasible = complete and bound <= 0
        if complete:
            # Optuna's constrained TPE: <= 0 is feasible; infeasible trials are
            # ranked by how far they overshoot, never as "best".
            trial.set_constraint(TURNOVER, bound)
    else:
        row["constraint"] = math.nan
        feasible = complete
    for name, value in row.items():
        # JSON in the storage: NaN is stored as null.
        number = float(value)
        trial.set_user_attr(name, number if math.isfinite(number) else None)
    trial.set_user_attr("feasible", bool(feasible))
    if complete:
        study.tell(trial, float(row["value"]))
    else:
        study.tell(trial, state=optuna.trial.TrialState.FAIL)


def history(settings: Settings, study: Any) -> pd.DataFrame:
    """One row per finished trial of the study, read back from its storage.

    Columns: trial, batch, origin (baseline or tpe), every searched lever, the mean KPI
    (``value``) and its sd over the seeds, runs done and expected, mean employee
    turnover, ``constraint`` (turnover minus the bound), ``feasible`` and ``state``.
    """
    import optuna

    keys = [lever.key for lever in searched(settings.levers)]
    finished = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.FAIL)
    rows = []
    for t in study.get_trials(deepcopy=False, states=finished):
        attrs = t.user_attrs
        row: dict[str, Any] = {
            "trial": t.number,
            "batch": int(attrs.get("batch", -1)),
            "origin": str(attrs.get("origin", "tpe")),
        }
        row.update({key: t.params.get(key, math.nan) for key in keys})
        for name in COLUMNS:
            value = attrs.get(name)
            row[name] = math.nan if value is None else value
        row["runs"] = int(attrs.get("runs") or 0)
        row["runs_expected"] = int(attrs.get("runs_expected") or 0)
        row["feasible"] = bool(attrs.get("feasible", False))
        row["state"] = "complete" if t.state == optuna.trial.TrialState.COMPLETE else "failed"
        rows.append(row)
    columns = ["trial", "batch", "origin", *keys, *COLUMNS, "feasible", "state"]
    return pd.DataFrame(rows, columns=columns).sort_values("trial", ignore_index=True)


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
        f"[optimise] {len(history)} trials in the study; best feasible "
        f"{settings.kpi} so far: {format_cell(float(best))}",
        flush=True,
    )
