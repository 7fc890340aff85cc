"""The research toolkit from Python: configure, evaluate, and drive SALib, Optuna and EMA.

For researchers who script rather than use the command line. Everything here runs
through the same code as the commands: configurations are composed by Hydra from
``configs/`` and validated (``sim.compose.compose_config``), every run is
``sim.runner.run_once`` (what each CLI job calls), and more than a few runs go out as
one Hydra multirun of a design table (``sim.launch.run_design``, the joblib launcher by
default), which writes its run folders and the flat ``runs.parquet``/``runs.csv``.

- :func:`base_config` and :func:`with_values`: a world, and points in it, as checked
  ``SimConfig`` objects.
- :func:`evaluate`: points x seeds -> one DataFrame row per run, with the summary KPIs
  and any KPI of your own (a function of a run's tables).
- :func:`sensitivity`, :func:`optimise`, :func:`loops`, :func:`ema_model`: thin, typed
  entries to ``sim sensitivity``, ``sim optimise``, ``sim loops`` and ``sim ema``,
  returning DataFrames or the libraries' own objects (``optuna.Study``, an EMA
  Workbench model).

A worked example, run as a test: ``docs/research/api.md``.

>>> config = base_config(customers=200, weeks=52)
>>> (config.market.n_customers, config.workforce.n_employees, config.run.weeks)
(200, 2, 52)
>>> with_values(config, {"hr.perks_per_week": 40}).hr.perks_per_week
40.0
"""

from __future__ import annotations

import contextlib
import dataclasses
import enum
import functools
import io
import math
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from sim.config import ConfigError, SimConfig
from sim.design import schema_default, schema_meta
from sim.research.values import base_config, with_values
from sim.results import RunResult

type Kpi = Callable[[RunResult], float]
"""A KPI of your own: any number computed from one run's tables (``RunResult``)."""

IN_PROCESS_MAX_RUNS = 4
"""Up to this many runs (and no ``folder``), :func:`evaluate` runs them in this process."""


def points_table(values: Mapping[str, Any] | pd.DataFrame) -> pd.DataFrame:
    """The points to evaluate as a table, one row a point, one column a schema key.

    A mapping gives each key a list of values (one per point) or one value for a single
    point; a list-valued field (``service.tier_levels``) needs a DataFrame.

    >>> points_table({"hr.perks_per_week": [0, 40], "hr.wage_premium": [0.0, 0.05]})
       hr.perks_per_week  hr.wage_premium
    0                  0             0.00
    1                 40             0.05
    >>> len(points_table({"hr.perks_per_week": 40}))
    1
    """
    if isinstance(values, pd.DataFrame):
        table = values.reset_index(drop=True)
    else:
        listed = {
            k: list(v) if isinstance(v, Sequence | pd.Series) and not isinstance(v, str) else [v]
            for k, v in values.items()
        }
        sizes = {len(v) for v in listed.values()}
        if len(sizes) > 1:
            raise ConfigError(
                f"values: every key needs as many values as there are points; got "
                f"{', '.join(f'{k}: {len(v)}' for k, v in listed.items())}"
            )
        table = pd.DataFrame(listed)
    for key in table.columns:
        schema_default(str(key))
    return table


def kpi_functions(kpis: Sequence[str] | Mapping[str, Kpi] | None) -> dict[str, Kpi | None]:
    """KPIs by name: ``None`` for a field of the run's summary, else your function.

    Raises:
        ConfigError: naming an unknown summary KPI and the allowed ones.

    >>> list(kpi_functions(["npv_profit"]))
    ['npv_profit']
    >>> kpi_functions(["profit"])
    Traceback (most recent call last):
    ...
    sim.config.ConfigError: kpis: unknown KPI 'profit'; allowed: npv_profit, ...
    """
    from sim.kpis import SUMMARY_KPIS

    if kpis is None:
        return dict.fromkeys(SUMMARY_KPIS)
    if isinstance(kpis, Mapping):
        out: dict[str, Kpi | None] = {}
        for name, function in kpis.items():
            if not callable(function):
                raise ConfigError(f"kpis['{name}']: expected a function of a RunResult")
            out[str(name)] = function
        return out
    for name in kpis:
        if name not in SUMMARY_KPIS:
            raise ConfigError(
                f"kpis: unknown KPI '{name}'; allowed: {', '.join(SUMMARY_KPIS)}, "
                "or a function of the run (a mapping name -> callable)"
            )
    return dict.fromkeys(kpis)


def _kpi_values(
    summary: Mapping[str, Any], kpis: Mapping[str, Kpi | None], result: Callable[[], RunResult]
) -> dict[str, float]:
    out: dict[str, float] = {}
    loaded: RunResult | None = None
    for name, function in kpis.items():
        if function is None:
            value = summary.get(name, math.nan)
            out[name] = float(value) if value is not None else math.nan
        else:
            loaded = loaded or result()
            out[name] = float(function(loaded))
    return out


def evaluate(
    values: Mapping[str, Any] | pd.DataFrame,
    seeds: Sequence[int] | int = (0,),
    world: SimConfig | Sequence[str] = (),
    kpis: Sequence[str] | Mapping[str, Kpi] | None = None,
    *,
    folder: Path | None = None,
    launcher: str = "joblib",
    jobs: int = -1,
    quiet: bool = True,
) -> pd.DataFrame:
    """Run every point under every seed; one row per run: point, seed, parameters, KPIs.

    Args:
        values: The points: a DataFrame (one row a point, columns dotted schema keys)
            or a mapping ``{key: [value per point]}`` (``points_table``).
        seeds: Replication seeds, the same at every point (common random numbers); an
            int ``n`` means ``0..n-1``.
        world: The configuration every point starts from: a ``SimConfig`` (from
            :func:`base_config`) or Hydra overrides (``["market=tight",
            "policy=tiered_service"]``).
        kpis: Names of summary KPIs (``sim.kpis.SUMMARY_KPIS``; default: all of them),
            or a mapping ``{name: function}`` whose function takes a run's
            ``RunResult`` (``.weekly``, ``.customers``, ``.employees``, ``.summary``)
            and returns a number (e.g. ``lambda run: run.weekly["quits"].sum()``).
        folder: Where the design sweep and its run folders go (kept). Without one, a
            sweep runs in a temporary folder that is removed afterwards.
        launcher: Hydra launcher of the sweep (``sim.launch.LAUNCHERS``).
        jobs: Workers of the joblib launcher (-1: all cores).
        quiet: Keep Hydra's and the sweep's console lines out of your output (they go to
            ``<folder>/evaluate.log``).

    Which path runs what: with no ``folder`` and at most ``IN_PROCESS_MAX_RUNS`` runs,
    each run is ``run_once`` in this process, on ``with_values(world, point)`` with the
    seed set (no files). Otherwise the points are a design table run as one Hydra
    multirun over ``point x seed`` (``sim.launch.run_design``), exactly as ``sim
    sensitivity`` and ``sim optimise`` run theirs; summary KPIs are read from the
    sweep's ``runs.parquet`` and your own KPI functions are computed afterwards, in this
    process, from each run folder's written tables (``sim.output.read_run``), so they
    need not be picklable. A world given as a ``SimConfig`` enters the sweep as the
    design columns in which it differs from the default composed configuration.

    Raises:
        ConfigError: a bad key, value, KPI or world, before anything runs.
        UserError: some runs of the sweep failed (their errors are in
            ``<folder>/failures``).

    >>> table = evaluate({"hr.perks_per_week": [0, 80]}, seeds=[1],
    ...                  world=base_config(customers=200, weeks=26),
    ...                  kpis={"quits": lambda run: run.weekly["quits"].sum()})
    >>> list(table.columns)
    ['point', 'seed', 'hr.perks_per_week', 'quits']
    >>> len(table)
    2
    """
    points = points_table(values)
    functions = kpi_functions(kpis)
    seed_list = list(range(seeds)) if isinstance(seeds, int) else [int(s) for s in seeds]
    if not seed_list or not len(points):
        raise ConfigError("evaluate: give at least one point and one seed")
    config = world if isinstance(world, SimConfig) else base_config(list(world))
    for point in range(len(points)):
        with_values(config, _point(points, point))  # every point checked first
    if folder is None and len(points) * len(seed_list) <= IN_PROCESS_MAX_RUNS:
        return _in_process(points, seed_list, config, functions)
    if folder is not None:
        return _sweep(points, seed_list, world, functions, folder, launcher, jobs, quiet)
    with tempfile.TemporaryDirectory(prefix="sim-evaluate-") as tmp:
        return _sweep(points, seed_list, world, functions, Path(tmp), launcher, jobs, quiet)


def _point(points: pd.DataFrame, index: int) -> dict[str, Any]:
    """Row ``index`` of the points as ``{key: value}`` with plain Python values."""
    row = points.iloc[index]
    return {str(k): v.item() if hasattr(v, "item") else v for k, v in row.items()}


def _same(result: RunResult) -> RunResult:
    return result


def _in_process(
    points: pd.DataFrame, seeds: list[int], config: SimConfig, kpis: Mapping[str, Kpi | None]
) -> pd.DataFrame:
    from sim.runner import run_once

    rows = []
    for point in range(len(points)):
        values = _point(points, point)
        for seed in seeds:
            result = run_once(dataclasses.replace(with_values(config, values), seed=seed))
            rows.append(
                {
                    "point": point,
                    "seed": seed,
                    **values,
                    **_kpi_values(result.summary, kpis, functools.partial(_same, result)),
                }
            )
    return pd.DataFrame(rows)


# Fields run_design sets itself, or that only name the run: never design columns.
_NOT_DESIGN = frozenset({"run.point", "run.figures", "run.progress", "run.name", "run.results_dir"})


def world_values(config: SimConfig) -> dict[str, Any]:
    """The fields in which ``config`` differs from the default composed configuration.

    Raises:
        ConfigError: if it schedules changes of its own (give the world as overrides).

    >>> world_values(base_config(["hr.perks_per_week=40"], weeks=60))
    {'hr.perks_per_week': 40.0, 'run.weeks': 60}
    """
    reference = base_config()
    if config.changes != reference.changes:
        raise ConfigError(
            "world: a SimConfig with scheduled changes cannot be sent to a design sweep; "
            "give the world as overrides (e.g. ['policy=one_off_layoff'])"
        )
    out: dict[str, Any] = {}
    for group in dataclasses.fields(config):
        mine, theirs = getattr(config, group.name), getattr(reference, group.name)
        if not dataclasses.is_dataclass(mine):
            continue
        for f in dataclasses.fields(mine):
            key = f"{group.name}.{f.name}"
            value = getattr(mine, f.name)
            if key in _NOT_DESIGN or value == getattr(theirs, f.name):
                continue
            out[key] = value.name if isinstance(value, enum.Enum) else value
    return out


def _split_policy(overrides: Sequence[str]) -> tuple[list[str], str]:
    fixed, policy = [], "baseline"
    for override in overrides:
        key, _, value = override.partition("=")
        if key.lstrip("+~") == "policy":
            policy = value
        elif key in ("seed", "run.point"):
            raise ConfigError(f"world: '{override}' is set by evaluate; give seeds instead")
        else:
            fixed.append(override)
    return fixed, policy


@contextlib.contextmanager
def _console(quiet: bool, log: Path) -> Iterator[None]:
    """Send what a sweep prints to ``log`` instead of the console, when ``quiet``."""
    if not quiet:
        yield
        return
    captured = io.StringIO()
    try:
        with contextlib.redirect_stdout(captured), contextlib.redirect_stderr(captured):
            yield
    finally:
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text(captured.getvalue(), encoding="utf-8")


def _sweep(
    points: pd.DataFrame,
    seeds: list[int],
    world: SimConfig | Sequence[str],
    kpis: Mapping[str, Kpi | None],
    folder: Path,
    launcher: str,
    jobs: int,
    quiet: bool,
) -> pd.DataFrame:
    from sim.design import failures
    from sim.errors import UserError
    from sim.launch import run_design
    from sim.output import read_run

    if isinstance(world, SimConfig):
        fixed: list[str] = []
        policy = "baseline"
        constant = {k: v for k, v in world_values(world).items() if k not in points.columns}
        design = points.assign(**{k: [v] * len(points) for k, v in constant.items()})
    else:
        fixed, policy = _split_policy(list(world))
        design = points
    with _console(quiet, folder / "evaluate.log"):
        runs = run_design(
            folder,
            design,
            seeds,
            fixed=fixed,
            policies=(policy,),
            launcher=launcher,
            jobs=jobs,
            purpose="sim.research.api.evaluate",
        )
    failed = failures(folder)
    if failed or len(runs) != len(points) * len(seeds):
        first = failed[0]["error"] if failed else "missing runs"
        raise UserError(
            f"evaluate: {len(points) * len(seeds) - len(runs)} of {len(points) * len(seeds)} "
            f"runs did not finish (first: {first}); see {folder / 'failures'}"
        )
    rows = []
    for record in runs.to_dict("records"):
        summary = {str(k): v for k, v in record.items()}
        point, seed = int(summary["point"]), int(summary["seed"])
        where = folder / "runs" / policy / f"p{point}" / f"s{seed}"
        rows.append(
            {
                "point": point,
                "seed": seed,
                **_point(points, point),
                **_kpi_values(summary, kpis, functools.partial(read_run, where)),
            }
        )
    return pd.DataFrame(rows).sort_values(["point", "seed"], ignore_index=True)


# ---------------------------------------------------------------- the commands, from Python


def uncertainty_list(
    uncertainties: Sequence[Any] | Mapping[str, tuple[float, float]] | None,
) -> list[Any]:
    """Uncertainties as ``sim.research.uncertainties.Uncertainty`` objects, checked.

    ``None`` is the declared ones (``configs/uncertainties.yaml``); a mapping
    ``{key: (low, high)}`` declares your own.

    Raises:
        ConfigError: a key that is not a numeric schema field, or a range outside it.

    >>> [u.key for u in uncertainty_list({"hr.perks_per_week": (0, 80)})]
    ['hr.perks_per_week']
    >>> uncertainty_list({"hr.perks_per_week": (-1, 80)})
    Traceback (most recent call last):
    ...
    sim.config.ConfigError: hr.perks_per_week: range (-1, 80) outside what it allows ([0, 1e+06])
    """
    from sim.research.uncertainties import Uncertainty, load_uncertainties

    if uncertainties is None:
        return list(load_uncertainties())
    if not isinstance(uncertainties, Mapping):
        return list(uncertainties)
    out = []
    for key, (low, high) in uncertainties.items():
        default = schema_default(key)
        if isinstance(default, bool) or not isinstance(default, int | float):
            raise ConfigError(f"{key}: not a numeric parameter; uncertainties need numbers")
        meta = schema_meta(key)
        lo, hi = meta.get("min"), meta.get("max")
        if not low < high or (lo is not None and low < lo) or (hi is not None and high > hi):
            raise ConfigError(
                f"{key}: range ({low}, {high}) outside what it allows ([{lo:g}, {hi:g}])"
                if low < high
                else f"{key}: range ({low}, {high}) needs low < high"
            )
        out.append(Uncertainty(key, float(low), float(high), integer=isinstance(default, int)))
    return out


def sensitivity(
    folder: Path,
    uncertainties: Sequence[Any] | Mapping[str, tuple[float, float]] | None = None,
    kpis: Sequence[str] = ("npv_profit", "annual_retention", "employee_turnover"),
    *,
    method: str = "sobol",
    samples: int = 16,
    replications: int = 2,
    world: Sequence[str] = (),
    policy: str = "baseline",
    root_seed: int = 0,
    by_year: str | None = None,
    launcher: str = "joblib",
    jobs: int = -1,
    quiet: bool = True,
) -> pd.DataFrame:
    """``sim sensitivity`` from Python: SALib Sobol or Morris indices as a DataFrame.

    The design (SALib's sample on the unit cube, scaled to the ranges) runs as one
    design sweep in ``folder``, which then holds what the command writes (``report.md``,
    ``indices.csv``, ``runs.parquet``, figures) and can be resumed or grown with
    ``sim sensitivity --resume``. ``world`` overrides replace the command's default
    world (``run.weeks=260``); Sobol ``samples`` must be a power of 2.

    Returns:
        ``indices.csv``: one row per (KPI, parameter): S1, S1_conf, ST, ST_conf (Sobol)
        or mu, mu_star, mu_star_conf, sigma (Morris), with each parameter's range.

    Raises:
        ConfigError: settings SALib cannot analyse, or a bad world, before anything runs.
    """
    from sim.research.sensitivity import Settings, parse_kpis, run_sensitivity

    settings = Settings(
        method=method,
        samples=samples,
        replications=replications,
        kpis=parse_kpis(",".join(kpis)),
        by_year=by_year,
        policy=policy,
        root_seed=root_seed,
        small=False,
        overrides=tuple(world),
        uncertainties=tuple(uncertainty_list(uncertainties)),
    )
    with _console(quiet, folder / "sensitivity.log"):
        run_sensitivity(settings, folder, launcher, jobs)
    return pd.read_csv(folder / "indices.csv")


def optimise(
    folder: Path,
    kpi: str = "npv_profit",
    *,
    trials: int = 24,
    replications: int = 2,
    batch: int = 4,
    confirm: int = 8,
    minimize: bool = False,
    max_turnover: float | None = None,
    levers: Path | None = None,
    world: Sequence[str] = (),
    baseline: str = "baseline",
    root_seed: int = 20240607,
    resume: bool = False,
    launcher: str = "joblib",
    jobs: int = -1,
    quiet: bool = True,
) -> Any:
    """``sim optimise`` from Python; returns the ``optuna.Study`` in ``folder/study.db``.

    With ``resume=True`` the study already in ``folder`` gets ``trials`` more trials
    (``sim optimise --resume``): the search's levers, world, KPI and seeds are the
    folder's own, so only ``trials``, ``batch``, ``confirm``, ``launcher`` and ``jobs``
    apply. The folder holds everything the command writes (``history.csv``,
    ``best.yaml``, ``comparison.csv``, ``report.md``); ``optuna-dashboard
    sqlite:///FOLDER/study.db`` opens the study.

    Raises:
        ConfigError: a bad option, lever file or world, before anything runs.
    """
    import optuna

    from sim.research.optimise.command import parse_settings, run
    from sim.research.optimise.search import STUDY_NAME, storage_url

    sizes = ["--trials", str(trials), "--batch", str(batch), "--confirm", str(confirm)]
    workers = ["--launcher", launcher, "--jobs", str(jobs)]
    if resume:
        argv = ["--resume", str(folder), *sizes, *workers]
    else:
        argv = [
            *("--kpi", kpi, "--replications", str(replications), *sizes, *workers),
            *("--baseline", baseline, "--root-seed", str(root_seed), "--out", str(folder)),
            *(["--minimize"] if minimize else []),
            *(["--max-turnover", repr(max_turnover)] if max_turnover is not None else []),
            *(["--levers", str(levers)] if levers is not None else []),
            *world,
        ]
    settings = parse_settings(argv)
    with _console(quiet, folder / "optimise.log"):
        run(settings)
    return optuna.load_study(study_name=STUDY_NAME, storage=storage_url(folder))


def loops(
    scenario: str,
    *,
    links: Sequence[str] | None = None,
    metric: str | None = None,
    replications: int | None = None,
    smoke: bool = False,
    world: Sequence[str] = (),
    results_dir: Path = Path("results"),
    launcher: str = "joblib",
    jobs: int = -1,
    quiet: bool = True,
) -> pd.DataFrame:
    """``sim loops`` from Python: how much of each policy's difference each loop carries.

    Runs the scenario's policies with every chosen feedback link cut in turn (design
    sweeps, one per seed) in a new folder under ``results_dir/loops/<scenario>/``.

    Returns:
        ``attribution.csv``: per policy and link, the paired differences (full model and
        link cut) with CIs, the amount carried and its share; its ``folder`` attribute
        (``table.attrs["folder"]``) is where the runs and ``report.md`` are.

    Raises:
        ConfigError: an unknown scenario, link or metric, before anything runs.
    """
    from sim.research.loops.command import build_parser, prepare
    from sim.research.loops.report import analyse
    from sim.research.loops.sweep import run_loops

    argv = [scenario, "--results-dir", str(results_dir)]
    argv += ["--links", ",".join(links)] if links else []
    argv += ["--metric", metric] if metric else []
    argv += ["--replications", str(replications)] if replications is not None else []
    argv += ["--smoke"] if smoke else []
    args = build_parser().parse_intermixed_args([*argv, *world])
    folder, manifest = prepare(args, "sim.research.api.loops " + " ".join(argv))
    with _console(quiet, folder / "loops.log"):
        run_loops(folder, manifest, launcher, jobs)
        analyse(folder)
    table = pd.read_csv(folder / "attribution.csv")
    table.attrs["folder"] = str(folder)
    return table


def ema_model(
    world: Sequence[str] = (),
    seeds: Sequence[int] = (0,),
    uncertainties: Sequence[Any] | Mapping[str, tuple[float, float]] | None = None,
    levers: Path | None = None,
    baseline: str = "baseline",
) -> Any:
    """The simulator as an EMA Workbench ``ReplicatorModel``, ready for its evaluators.

    Uncertainties are the declared ones unless given (``{key: (low, high)}``); levers
    the policy levers of ``configs/levers.yaml`` (or ``levers``); one replication per
    seed; outcomes the yearly ``profit``, ``customers`` and ``employee_turnover`` series
    and the scalars ``npv_profit``, ``annual_retention`` and ``employee_turnover_mean``
    (means over the replications). Each experiment runs ``run_once`` in the evaluator's
    process (EMA's ``SequentialEvaluator`` or ``MultiprocessingEvaluator``).

    Raises:
        ConfigError: a bad world, uncertainty or levers file.
    """
    from sim.research.ema.workbench import build_model
    from sim.research.levers import LEVERS_FILE, load_levers

    return build_model(
        fixed=tuple(world),
        seeds=seeds,
        uncertainties=uncertainty_list(uncertainties),
        levers=load_levers(levers or LEVERS_FILE),
        baseline=baseline,
    )


__all__ = [
    "Kpi",
    "base_config",
    "ema_model",
    "evaluate",
    "kpi_functions",
    "loops",
    "optimise",
    "points_table",
    "sensitivity",
    "uncertainty_list",
    "with_values",
    "world_values",
]
