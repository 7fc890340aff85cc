"""The simulator as an EMA Workbench model, and EMA's evaluators running it.

Uncertainties and levers set schema values on a composed config; replications are
the seeds; outcomes are yearly series and scalars read from each run's tables.
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from sim.config import ConfigError, SimConfig
from sim.research.levers import (
    Lever,
    identifier,
    lever_values,
    load_levers,
    searched,
    values_of,
)
from sim.research.uncertainties import Uncertainty, load_uncertainties
from sim.research.values import with_values
from sim.rng import stream_key
from sim.units import WEEKS_PER_YEAR

SERIES = ("profit", "customers", "employee_turnover")
SCALARS = ("npv_profit", "annual_retention", "employee_turnover_mean")


QUIET = ("run.figures=false", "run.progress=false")


def import_workbench() -> Any:
    """Import EMA Workbench without its warning about the optional ipyparallel."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        import ema_workbench  # type: ignore[import-untyped]

    return ema_workbench


@lru_cache(maxsize=8)
def base_config(fixed: tuple[str, ...], policy: str) -> SimConfig:
    """The composed world and policy every experiment starts from (composed once a process)."""
    from sim.compose import compose_config
    from sim.errors import UserError

    try:
        return compose_config([*fixed, *QUIET, f"policy={policy}"])
    except UserError as exc:
        raise ConfigError(str(exc)) from exc


def yearly(weekly: pd.DataFrame) -> dict[str, list[float]]:
    """Whole years of a run's weekly table: profit, customers at year end, staff turnover."""
    years = len(weekly) // WEEKS_PER_YEAR
    out: dict[str, list[float]] = {name: [] for name in SERIES}
    for y in range(years):
        block = weekly.iloc[y * WEEKS_PER_YEAR : (y + 1) * WEEKS_PER_YEAR]
        headcount = float(block["employee_headcount"].mean())
        out["profit"].append(float(block["profit"].sum()))
        out["customers"].append(float(block["customers_focal"].iloc[-1]))
        # Quits over mean headcount, as the run's own yearly turnover is measured.
        out["employee_turnover"].append(
            float(block["quits"].sum()) / headcount if headcount > 0 else math.nan
        )
    return out


@dataclass(frozen=True)
class SimFunction:
    """The simulator as a function of keyword arguments, as EMA Workbench calls it.

    Arguments are the identifiers of uncertainties and levers (``behaviour__loss_weight``,
    ``service__kind``) and ``seed``; missing ones keep the configured value. Picklable,
    so a multiprocessing evaluator can ship it to its workers.
    """

    fixed: tuple[str, ...]
    baseline: str
    uncertainties: tuple[Uncertainty, ...]
    levers: tuple[Lever, ...]

    def config(self, seed: int, **kwargs: Any) -> SimConfig:
        """The configuration of one run."""
        values = {
            u.key: kwargs[identifier(u.key)]
            for u in self.uncertainties
            if identifier(u.key) in kwargs
        }
        chosen = {
            lever.key: kwargs[lever.name] for lever in searched(self.levers) if lever.name in kwargs
        }
        values.update(lever_values(self.levers, chosen))
        config = with_values(base_config(self.fixed, self.baseline), values)
        return dataclasses.replace(config, seed=int(seed))

    def __call__(self, seed: int, **kwargs: Any) -> dict[str, Any]:
        """Run once; return the outcomes by name."""
        from sim.runner import run_once

        result = run_once(self.config(seed, **kwargs))
        out: dict[str, Any] = dict(yearly(result.weekly))
        summary = result.summary
        out["npv_profit"] = float(summary["npv_profit"])
        out["annual_retention"] = float(summary["annual_retention"])
        out["employee_turnover_mean"] = float(summary["employee_turnover"])
        return out


def build_model(
    fixed: Sequence[str] = (),
    seeds: Sequence[int] = (0,),
    uncertainties: Sequence[Uncertainty] | None = None,
    levers: Sequence[Lever] | None = None,
    baseline: str = "baseline",
    name: str = "service_profit_chain",
) -> Any:
    """The simulator as an EMA Workbench ``ReplicatorModel`` (one replication per seed).

    Scalar outcomes are the mean over the replications; time series keep each
    replication (shape: experiments x seeds x years).
    """
    ema = import_workbench()
    uncertainties = list(load_uncertainties() if uncertainties is None else uncertainties)
    levers = list(load_levers() if levers is None else levers)
    base_config(tuple(fixed), baseline)
    model = ema.ReplicatorModel(
        name, function=SimFunction(tuple(fixed), baseline, tuple(uncertainties), tuple(levers))
    )
    model.uncertainties = [
        (ema.IntegerParameter if u.integer else ema.RealParameter)(identifier(u.key), u.lo, u.hi)
        for u in uncertainties
    ]
    model.levers = [_parameter(ema, lever) for lever in searched(levers)]
    model.outcomes = [
        *(ema.ArrayOutcome(s) for s in SERIES),
        *(ema.ScalarOutcome(s, function=np.mean) for s in SCALARS),
    ]
    model.replications = [{"seed": int(s)} for s in seeds]
    return model


def _parameter(ema: Any, lever: Lever) -> Any:
    if lever.kind == "choice":
        return ema.CategoricalParameter(lever.name, list(lever.choices))
    if lever.integer:
        return ema.IntegerParameter(lever.name, int(lever.lo), int(lever.hi))
    return ema.RealParameter(lever.name, lever.lo, lever.hi)


def policy_sample(
    levers: Sequence[Lever], policy: str, fixed: Sequence[str] = (), baseline: str = "baseline"
) -> Any:
    """A policy bundle (``configs/policy/<name>.yaml``) as an EMA ``Sample`` of lever values.

    Raises:
        ConfigError: if the bundle sets something the levers cannot express.
    """
    ema = import_workbench()
    target = base_config(tuple(fixed), policy)
    values = values_of(levers, target)
    rebuilt = with_values(base_config(tuple(fixed), baseline), lever_values(levers, values))
    differ = _differences(rebuilt, target)
    if differ:
        raise ConfigError(
            f"policy '{policy}' sets {', '.join(differ)}, which the levers cannot express; "
            "add them to the levers file or choose another policy"
        )
    return ema.Sample(policy, **{identifier(k): v for k, v in values.items()})


def _differences(a: SimConfig, b: SimConfig) -> list[str]:
    out = []
    for f in dataclasses.fields(a):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if dataclasses.is_dataclass(x):
            out += [
                f"{f.name}.{g.name}"
                for g in dataclasses.fields(x)
                if getattr(x, g.name) != getattr(y, g.name)
            ]
        elif f.name != "seed" and x != y:
            out.append(f.name)
    return out


def perform(
    model: Any,
    scenarios: int,
    policies: Sequence[Any],
    root_seed: int = 0,
    jobs: int = 1,
) -> tuple[pd.DataFrame, dict[str, np.ndarray[Any, Any]]]:
    """Run ``scenarios`` Latin-hypercube scenarios x ``policies`` with EMA's evaluators."""
    ema = import_workbench()
    rng = np.random.default_rng(np.random.SeedSequence(root_seed, spawn_key=(SCENARIO_STREAM,)))
    evaluator = (
        ema.SequentialEvaluator(model)
        if jobs == 1
        else ema.MultiprocessingEvaluator(model, n_processes=jobs)
    )
    with evaluator:
        experiments, outcomes = evaluator.perform_experiments(
            scenarios=scenarios,
            policies=list(policies),
            uncertainty_sampling=ema.Samplers.LHS,
            uncertainty_sampling_kwargs={"rng": rng},
        )
    return experiments, outcomes


SCENARIO_STREAM = stream_key("ema_scenarios")
