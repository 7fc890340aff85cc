"""``sim ema``: the model as an EMA Workbench model, experiments, and PRIM scenario discovery.

:func:`build_model` exposes the simulator as an EMA Workbench 3 ``ReplicatorModel``: its
uncertainties are the declared ones (``configs/uncertainties.yaml``), its levers the
policy levers (``configs/levers.yaml``; options such as ``service.kind`` are categorical),
its replications the run seeds, and its outcomes yearly time series (profit, customers,
employee turnover) and the scalar NPV of profit. EMA's own evaluators run it
(``SequentialEvaluator``, or ``MultiprocessingEvaluator`` on several cores).

The worked example (``main``) asks *under which conditions does tiering lose money?*: it
samples scenarios (Latin hypercube over the uncertainties), runs each under two policy
bundles (uniform and tiered service by default) on the same seeds, so the two are paired
scenario by scenario and seed by seed, and gives PRIM the scenarios in which the second
policy's NPV of profit falls short of the first's.

Output (``results/ema/<timestamp>/``): ``experiments.csv``, ``outcomes.csv`` (scalars),
``series.csv`` (yearly time series), ``results.tar.gz`` (EMA's own archive, for
``ema_workbench.load_results``), ``pairs.csv``, ``prim_trajectory.csv``, ``prim_box.csv``,
``prim_tradeoff.png``, ``prim_box.png``, ``manifest.yaml`` and ``report.md``.
"""

from __future__ import annotations

import argparse
import dataclasses
import enum
import math
import shlex
import sys
import time
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, NoReturn

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from scipy import stats

from sim.config import ConfigError, SimConfig, validate
from sim.design import coerce, schema_default
from sim.experiments.analysis import t_interval
from sim.manifest import MANIFEST, read_manifest, revision, versions, write_manifest
from sim.markdown import format_cell, markdown_table
from sim.output import timestamp, unique_path, write_text_atomically
from sim.research.levers import (
    LEVERS_FILE,
    Lever,
    identifier,
    lever_values,
    load_levers,
    searched,
    values_of,
)
from sim.research.uncertainties import UNCERTAINTIES_FILE, Uncertainty, load_uncertainties
from sim.rng import replication_seeds, stream_key
from sim.units import WEEKS_PER_YEAR


def _fmt(value: Any) -> str:
    # The EMA report shows three significant digits.
    return format_cell(value, digits=3)


SERIES = ("profit", "customers", "employee_turnover")
SCALARS = ("npv_profit", "annual_retention", "employee_turnover_mean")
SMALL_WORLD = (
    "market.n_customers=1000",
    "workforce.n_employees=10",
    "run.weeks=104",
    "run.burn_in_weeks=26",
)
DEFAULTS = {"scenarios": 200, "replications": 1}
SMALL_DEFAULTS = {"scenarios": 12, "replications": 1}
POLICIES = ("uniform_service", "tiered_service")
QUIET = ("run.figures=false", "run.progress=false")
PAIRS = "pairs.csv"
PRIM_FILES = (
    "prim_trajectory.csv",
    "prim_box.csv",
    "prim_steps.csv",
    "prim_tradeoff.png",
    "prim_box.png",
)


def _ema() -> Any:
    """Import EMA Workbench without its warning about the optional ipyparallel."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        import ema_workbench  # type: ignore[import-untyped]

    return ema_workbench


# ------------------------------------------------------------------ the model


@lru_cache(maxsize=8)
def base_config(fixed: tuple[str, ...], policy: str) -> SimConfig:
    """The composed world and policy every experiment starts from (composed once a process)."""
    from sim.compose import compose_config
    from sim.errors import UserError

    try:
        return compose_config([*fixed, *QUIET, f"policy={policy}"])
    except UserError as exc:
        raise ConfigError(str(exc)) from exc


def with_values(config: SimConfig, values: Mapping[str, Any]) -> SimConfig:
    """A copy of ``config`` with schema values (``{"hr.perks_per_week": 40.0}``) set, checked."""
    for key, value in values.items():
        default = schema_default(key)
        cell = coerce(key, value)
        if isinstance(default, enum.Enum):
            allowed = [m.name for m in type(default)]
            if cell not in allowed:
                raise ConfigError(f"{key}='{cell}': unknown option; allowed: {', '.join(allowed)}")
            cell = type(default)[cell]
        group, _, name = key.partition(".")
        node = dataclasses.replace(getattr(config, group), **{name: cell})
        config = dataclasses.replace(config, **{group: node})
    return validate(config)


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
    ema = _ema()
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
    ema = _ema()
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
    ema = _ema()
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


# ------------------------------------------------------------ scenario discovery


def pairs(
    experiments: pd.DataFrame,
    outcomes: Mapping[str, np.ndarray[Any, Any]],
    uncertainties: Sequence[Uncertainty],
    first: str,
    second: str,
    outcome: str = "npv_profit",
) -> pd.DataFrame:
    """One row per scenario: its uncertainties, ``outcome`` under both policies, the difference."""
    table = experiments.assign(**{outcome: outcomes[outcome]})
    table["policy"] = table["policy"].astype(str)
    table["scenario"] = table["scenario"].astype(str)
    wide = table.pivot_table(index="scenario", columns="policy", values=outcome, aggfunc="first")
    keys = [identifier(u.key) for u in uncertainties]
    x = table[table["policy"] == first].set_index("scenario")[keys]
    out = x.rename(columns={identifier(u.key): u.key for u in uncertainties}).astype(float)
    out[f"{outcome}_{first}"] = wide[first]
    out[f"{outcome}_{second}"] = wide[second]
    out["difference"] = wide[second] - wide[first]
    return out.reset_index()


@dataclass
class PrimResult:
    """The box PRIM found: its peeling trajectory, the chosen step and its limits."""

    trajectory: pd.DataFrame
    chosen: int
    limits: pd.DataFrame
    stats: dict[str, float]
    steps: pd.DataFrame


def discover(
    x: pd.DataFrame,
    y: np.ndarray[Any, Any],
    uncertainties: Sequence[Uncertainty],
    min_density: float = 0.8,
) -> PrimResult:
    """PRIM (EMA Workbench) for the cases where ``y`` is true; pick one box on the trajectory.

    The box chosen is the one with the most coverage among those at least
    ``min_density`` dense, or the densest if none is.
    """
    _ema()
    from ema_workbench.analysis import prim  # type: ignore[import-untyped]

    if not y.any():
        raise ConfigError("no scenario is of interest: PRIM has nothing to find")
    with warnings.catch_warnings():
        # EMA 3.0 drops a column in place, which pandas 3.1 deprecates: not ours to fix.
        warnings.filterwarnings("ignore", message="The inplace keyword")
        algorithm = prim.Prim(x.reset_index(drop=True), np.asarray(y, dtype=bool), mass_min=0.05)
        box = algorithm.find_box()
    trajectory = box.peeling_trajectory.reset_index(drop=True)
    dense = trajectory[trajectory["density"] >= min_density]
    chosen = (
        int(dense["coverage"].idxmax()) if not dense.empty else int(trajectory["density"].idxmax())
    )
    box.select(chosen)
    every = [
        box_limits(lims, x, qp, uncertainties).assign(step=i)
        for i, (lims, qp) in enumerate(zip(box.box_lims, box.p_values, strict=True))
    ]
    steps = pd.concat(every, ignore_index=True)
    steps = steps[["step", *(c for c in steps.columns if c != "step")]]
    limits = every[chosen].drop(columns="step")
    row = trajectory.iloc[chosen]
    box_stats = {k: float(row[k]) for k in ("coverage", "density", "mass", "res_dim")}
    return PrimResult(trajectory, chosen, limits, box_stats, steps)


def box_limits(
    lims: pd.DataFrame,
    x: pd.DataFrame,
    p_values: Mapping[str, Any],
    uncertainties: Sequence[Uncertainty],
) -> pd.DataFrame:
    """The restricted dimensions of a box: limits, declared range and quasi-p values.

    PRIM starts from the sample's own minimum and maximum; a side it never peeled is
    given as the declared bound (and no quasi-p value), so the box reads as a condition.
    """
    rows = []
    for u in uncertainties:
        lo, hi = float(lims[u.key].iloc[0]), float(lims[u.key].iloc[1])
        cut_low, cut_high = lo > float(x[u.key].min()), hi < float(x[u.key].max())
        if not (cut_low or cut_high):
            continue
        qp = p_values.get(u.key, (math.nan, math.nan))
        rows.append(
            {
                "uncertainty": u.key,
                "box_low": lo if cut_low else u.lo,
                "box_high": hi if cut_high else u.hi,
                "range_low": u.lo,
                "range_high": u.hi,
                "qp_low": float(qp[0]) if cut_low else math.nan,
                "qp_high": float(qp[1]) if cut_high else math.nan,
            }
        )
    return pd.DataFrame(rows)


# ------------------------------------------------------------------- outputs


def tradeoff_figure(result: PrimResult) -> Figure:
    """Coverage against density along PRIM's peeling trajectory; the chosen box ringed."""
    t = result.trajectory
    fig = Figure(figsize=(6, 4.5), layout="constrained")
    ax = fig.subplots()
    points = ax.scatter(
        t["coverage"], t["density"], c=t["res_dim"].astype(float), cmap="viridis", s=22
    )
    fig.colorbar(points, ax=ax, label="restricted dimensions")
    chosen = t.iloc[result.chosen]
    ax.scatter(
        [chosen["coverage"]],
        [chosen["density"]],
        s=160,
        facecolors="none",
        edgecolors="tab:red",
        linewidths=1.5,
        label=f"chosen box (step {result.chosen})",
    )
    ax.set_xlabel("coverage (share of cases of interest inside)")
    ax.set_ylabel("density (share inside that are of interest)")
    ax.set_xlim(0, 1.02)
    ax.set_ylim(0, 1.02)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="lower left")
    ax.set_title("PRIM peeling trajectory", loc="left", fontsize=10)
    return fig


def box_figure(
    result: PrimResult, table: pd.DataFrame, of_interest: np.ndarray[Any, Any]
) -> Figure:
    """The box's limits within each declared range, and the scenarios it holds.

    Right panel: the scenarios on the box's first two restricted dimensions, cases of
    interest marked and the box drawn.
    """
    limits = result.limits
    fig = Figure(figsize=(11, 4.2), layout="constrained")
    left, right = fig.subplots(1, 2, width_ratios=[1.1, 1])
    for i, row in enumerate(limits.to_dict("records")):
        start, span = float(row["range_low"]), float(row["range_high"]) - float(row["range_low"])
        lo = (float(row["box_low"]) - start) / span
        hi = (float(row["box_high"]) - start) / span
        left.plot([0, 1], [i, i], color="lightgrey", linewidth=6, solid_capstyle="butt")
        left.plot([lo, hi], [i, i], color="tab:red", linewidth=6, solid_capstyle="butt")
        left.text(lo, i + 0.1, f"{row['box_low']:.3g}", ha="center", fontsize=8)
        left.text(hi, i + 0.1, f"{row['box_high']:.3g}", ha="center", fontsize=8)
    left.set_yticks(range(len(limits)), list(limits["uncertainty"]))
    left.set_ylim(-0.5, len(limits) - 0.5)
    left.set_xlim(-0.05, 1.05)
    left.set_xlabel("position within the declared range (0 = low end, 1 = high end)")
    s = result.stats
    left.set_title(
        f"PRIM box: coverage {s['coverage']:.2f}, density {s['density']:.2f}, mass {s['mass']:.2f}",
        loc="left",
        fontsize=10,
    )
    dims = list(limits["uncertainty"])
    if dims:
        xk = dims[0]
        yk = dims[1] if len(dims) > 1 else "difference"
        hit = np.asarray(of_interest, dtype=bool)
        right.scatter(
            table.loc[~hit, xk],
            table.loc[~hit, yk],
            s=14,
            color="tab:blue",
            label="not of interest",
        )
        right.scatter(
            table.loc[hit, xk],
            table.loc[hit, yk],
            s=18,
            color="tab:red",
            marker="x",
            label="of interest",
        )
        row0 = limits.iloc[0]
        if yk == "difference":
            right.axvspan(row0.box_low, row0.box_high, color="tab:red", alpha=0.1)
        else:
            row1 = limits.iloc[1]
            right.add_patch(
                Rectangle(
                    (row0.box_low, row1.box_low),
                    row0.box_high - row0.box_low,
                    row1.box_high - row1.box_low,
                    fill=False,
                    edgecolor="tab:red",
                    linewidth=1.5,
                )
            )
        right.set_xlabel(xk)
        right.set_ylabel(yk)
        right.legend(fontsize=8)
        right.grid(alpha=0.3)
    return fig


# -------------------------------------------------------------- the command


@dataclass
class Settings:
    """Everything that defines a worked example, as parsed from the command line."""

    scenarios: int
    replications: int
    policies: tuple[str, str]
    threshold: float
    min_density: float
    root_seed: int
    jobs: int
    small: bool
    fixed: list[str]
    uncertainties: list[Uncertainty]
    levers: list[Lever]
    levers_path: Path
    uncertainties_path: Path
    folder: Path
    argv: list[str]
    analysed: list[str] = dataclasses.field(default_factory=list)


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one-line ConfigErrors, not a usage dump."""

    def error(self, message: str) -> NoReturn:
        raise ConfigError(f"sim ema: {message}")


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="sim ema", description=__doc__.splitlines()[0])
    p.add_argument(
        "--scenarios", type=int, help="Latin-hypercube scenarios (default 200; small: 12)"
    )
    p.add_argument("--replications", type=int, help="seeds per experiment (default 1)")
    p.add_argument(
        "--policies",
        default=",".join(POLICIES),
        help="two policy bundles A,B: of interest are scenarios where B's NPV < A's",
    )
    p.add_argument(
        "--threshold", type=float, default=0.0, help="of interest: NPV(B) - NPV(A) < this"
    )
    p.add_argument(
        "--min-density", type=float, default=0.8, help="PRIM box: most coverage at this density"
    )
    p.add_argument("--root-seed", type=int, default=20240607, help="seeds scenarios and runs")
    p.add_argument("--jobs", type=int, default=-1, help="worker processes (1: sequential)")
    p.add_argument("--small", action="store_true", help="small world, 12 scenarios: a quick look")
    p.add_argument("--uncertainties", type=Path, default=UNCERTAINTIES_FILE)
    p.add_argument("--levers", type=Path, default=LEVERS_FILE)
    p.add_argument("--results-dir", type=Path, default=Path("results"))
    p.add_argument("--out", type=Path, help="output folder (default: a new time-stamped one)")
    p.add_argument(
        "--analyse",
        type=Path,
        metavar="FOLDER",
        help="PRIM again on a finished folder (with --threshold, --min-density); no new runs",
    )
    p.add_argument("overrides", nargs="*", help="world overrides for every run, e.g. market=tight")
    return p


def parse_settings(argv: Sequence[str]) -> Settings:
    """Parse and check the command line; every problem is one ConfigError line."""
    args = _parser().parse_intermixed_args(list(argv))
    defaults = SMALL_DEFAULTS if args.small else DEFAULTS
    scenarios = defaults["scenarios"] if args.scenarios is None else args.scenarios
    replications = defaults["replications"] if args.replications is None else args.replications
    if scenarios < 2:
        raise ConfigError(f"--scenarios={scenarios}: must be a whole number >= 2")
    if replications < 1:
        raise ConfigError(f"--replications={replications}: must be a whole number >= 1")
    if not 0 < args.min_density <= 1:
        raise ConfigError(f"--min-density={args.min_density}: must be a share in (0, 1]")
    if args.jobs == 0:
        raise ConfigError("--jobs=0: give a number of workers, or -1 for all cores")
    names = [p.strip() for p in str(args.policies).split(",") if p.strip()]
    if len(names) != 2 or names[0] == names[1]:
        raise ConfigError(f"--policies={args.policies}: expected two different policies A,B")
    uncertainties = load_uncertainties(args.uncertainties)
    levers = load_levers(args.levers)
    for override in args.overrides:
        key = override.lstrip("+~").split("=", 1)[0]
        if key in ("policy", "seed", "run.point") or key.startswith("hydra"):
            raise ConfigError(f"override '{override}': set by sim ema; use --policies")
        if key in {u.key for u in uncertainties} | {lever.field for lever in levers}:
            raise ConfigError(
                f"override '{override}': {key} is an uncertainty or a lever; "
                "it is sampled, not fixed"
            )
    fixed = [*(SMALL_WORLD if args.small else ()), *args.overrides]
    config = base_config(tuple(fixed), "baseline")
    if config.run.weeks < WEEKS_PER_YEAR:
        raise ConfigError(f"run.weeks={config.run.weeks}: the yearly outcomes need >= 52")
    folder = args.out
    if folder is None:
        stamp = timestamp() + ("_small" if args.small else "")
        folder = unique_path(args.results_dir / "ema" / stamp)
    return Settings(
        scenarios=scenarios,
        replications=replications,
        policies=(names[0], names[1]),
        threshold=args.threshold,
        min_density=args.min_density,
        root_seed=args.root_seed,
        jobs=args.jobs,
        small=args.small,
        fixed=fixed,
        uncertainties=uncertainties,
        levers=levers,
        levers_path=args.levers,
        uncertainties_path=args.uncertainties,
        folder=folder,
        argv=list(argv),
    )


def series_table(
    experiments: pd.DataFrame, outcomes: Mapping[str, np.ndarray[Any, Any]], seeds: Sequence[int]
) -> pd.DataFrame:
    """The time-series outcomes as a tidy table: experiment, policy, scenario, seed, year."""
    n, reps, years = outcomes[SERIES[0]].shape
    index = pd.MultiIndex.from_product(
        [range(n), range(reps), range(1, years + 1)], names=["experiment", "replication", "year"]
    )
    table = pd.DataFrame(
        {s: np.asarray(outcomes[s], dtype=float).ravel() for s in SERIES}, index=index
    )
    table = table.reset_index()
    table.insert(1, "policy", experiments["policy"].astype(str).to_numpy()[table["experiment"]])
    table.insert(2, "scenario", experiments["scenario"].astype(str).to_numpy()[table["experiment"]])
    table.insert(4, "seed", np.asarray(seeds)[table["replication"]])
    return table


def run(settings: Settings) -> int:
    """Experiments, then the analysis; 0 when a box was found."""
    start = time.perf_counter()
    table, n_runs = experiment(settings)
    minutes = (time.perf_counter() - start) / 60
    manifest = load_manifest(settings.folder)
    manifest.update({"runs": n_runs, "experiment_minutes": round(minutes, 2)})
    write_manifest(settings.folder, manifest)
    return analyse(settings, table, n_runs, minutes)


def experiment(settings: Settings) -> tuple[pd.DataFrame, int]:
    """Run the experiments with EMA's evaluators; write them; return the pairs and run count."""
    ema = _ema()
    folder = settings.folder
    folder.mkdir(parents=True, exist_ok=True)
    seeds = replication_seeds(settings.root_seed, settings.replications)
    first, second = settings.policies
    model = build_model(settings.fixed, seeds, settings.uncertainties, settings.levers)
    samples = [policy_sample(settings.levers, p, settings.fixed) for p in settings.policies]
    n_runs = settings.scenarios * 2 * len(seeds)
    print(
        f"sim ema: {settings.scenarios} scenarios x {first}, {second} x {len(seeds)} seed(s) "
        f"= {n_runs} runs -> {folder}",
        flush=True,
    )
    write_manifest(folder, new_manifest(settings, seeds))
    experiments, outcomes = perform(
        model, settings.scenarios, samples, settings.root_seed, settings.jobs
    )
    ema.save_results((experiments, outcomes), str(folder / "results.tar.gz"))
    write_text_atomically(folder / "experiments.csv", experiments.to_csv(index=False))
    scalars = experiments[["scenario", "policy"]].astype(str)
    for name in SCALARS:
        scalars[name] = outcomes[name]
    write_text_atomically(folder / "outcomes.csv", scalars.to_csv(index=False))
    write_text_atomically(
        folder / "series.csv", series_table(experiments, outcomes, seeds).to_csv(index=False)
    )
    table = pairs(experiments, outcomes, settings.uncertainties, first, second)
    write_text_atomically(folder / PAIRS, table.to_csv(index=False))
    return table, n_runs


def analyse(settings: Settings, table: pd.DataFrame, n_runs: int, minutes: float) -> int:
    """PRIM on the pairs, its tables and figures, and the report; 0 when a box was found."""
    from sim.plots import save

    folder = settings.folder
    first, second = settings.policies
    table = table.assign(of_interest=table["difference"] < settings.threshold)
    write_text_atomically(folder / PAIRS, table.to_csv(index=False))
    keys = [u.key for u in settings.uncertainties]
    y = table["of_interest"].to_numpy(dtype=bool)
    result: PrimResult | None = None
    for stale in PRIM_FILES:
        (folder / stale).unlink(missing_ok=True)
    if y.any():
        result = discover(table[keys], y, settings.uncertainties, settings.min_density)
        write_text_atomically(folder / "prim_trajectory.csv", result.trajectory.to_csv(index=False))
        write_text_atomically(folder / "prim_box.csv", result.limits.to_csv(index=False))
        write_text_atomically(folder / "prim_steps.csv", result.steps.to_csv(index=False))
        save(tradeoff_figure(result), folder / "prim_tradeoff.png")
        save(box_figure(result, table, y), folder / "prim_box.png")
    report = write_report(settings, table, result, minutes, n_runs)
    share = float(y.mean())
    print(f"{second} below {first} in {int(y.sum())}/{len(y)} scenarios ({share:.0%})", flush=True)
    if result is None:
        print(f"no scenario of interest, so no PRIM box; report: {report}", flush=True)
        return 1
    s = result.stats
    print(
        f"PRIM box: {_conditions(result.limits)}; coverage {s['coverage']:.2f}, "
        f"density {s['density']:.2f}, mass {s['mass']:.2f}",
        flush=True,
    )
    print(f"report: {report}", flush=True)
    return 0


def _conditions(limits: pd.DataFrame) -> str:
    if limits.empty:
        return "no restriction (the whole space)"
    return "; ".join(_limit_text(r) for r in limits.itertuples(index=False))


def load_manifest(folder: Path) -> dict[str, Any]:
    """The manifest of a ``sim ema`` folder (which must hold its pairs too)."""
    if not (folder / PAIRS).is_file():
        raise ConfigError(f"{folder}: no {MANIFEST} and {PAIRS}; is this a sim ema folder?")
    return read_manifest(folder, MANIFEST, "a sim ema folder")


def reanalyse(folder: Path, threshold: float, min_density: float) -> int:
    """PRIM again on a finished folder's pairs (another threshold or density), no new runs."""
    manifest = load_manifest(folder)
    if "runs" not in manifest:
        raise ConfigError(f"{folder}: its experiments did not finish; run them again")
    uncertainties = load_uncertainties(Path(manifest["uncertainties_file"]))
    table = pd.read_csv(folder / PAIRS)
    missing = [u.key for u in uncertainties if u.key not in table]
    if missing:
        raise ConfigError(f"{folder / PAIRS}: no column for {', '.join(missing)}")
    policies = manifest["policies"]
    settings = Settings(
        scenarios=int(manifest["scenarios"]),
        replications=len(manifest["seeds"]),
        policies=(str(policies[0]), str(policies[1])),
        threshold=threshold,
        min_density=min_density,
        root_seed=int(manifest["root_seed"]),
        jobs=1,
        small=False,
        fixed=list(manifest["fixed_overrides"]),
        uncertainties=uncertainties,
        levers=[],
        levers_path=Path(manifest["levers_file"]),
        uncertainties_path=Path(manifest["uncertainties_file"]),
        folder=folder,
        argv=list(manifest["command"][1:]),
        analysed=[
            *("--analyse", str(folder)),
            *("--threshold", f"{threshold:g}", "--min-density", f"{min_density:g}"),
        ],
    )
    return analyse(settings, table, int(manifest["runs"]), float(manifest["experiment_minutes"]))


def _limit_text(row: Any) -> str:
    if row.box_low > row.range_low and row.box_high < row.range_high:
        return f"{row.box_low:.3g} <= {row.uncertainty} <= {row.box_high:.3g}"
    if row.box_low > row.range_low:
        return f"{row.uncertainty} >= {row.box_low:.3g}"
    return f"{row.uncertainty} <= {row.box_high:.3g}"


def new_manifest(settings: Settings, seeds: Sequence[int]) -> dict[str, Any]:
    """``manifest.yaml``: settings, seeds, software versions and the code revision."""
    return {
        "command": ["sim ema", *settings.argv],
        "scenarios": settings.scenarios,
        "policies": list(settings.policies),
        "threshold": settings.threshold,
        "root_seed": settings.root_seed,
        "seeds": [int(s) for s in seeds],
        "fixed_overrides": settings.fixed,
        "uncertainties_file": str(settings.uncertainties_path),
        "levers_file": str(settings.levers_path),
        "git": revision(),
        "versions": versions("ema_workbench"),
        "created_utc": timestamp(),
    }


def write_report(
    settings: Settings,
    table: pd.DataFrame,
    result: PrimResult | None,
    minutes: float,
    runs: int,
) -> Path:
    """``report.md``: the question, the experiments, the share of losses and the PRIM box."""
    first, second = settings.policies
    y = table["of_interest"].to_numpy(dtype=bool)
    k, n = int(y.sum()), len(y)
    lo, hi = _binomial_interval(k, n)
    difference = table["difference"].to_numpy(dtype=float)
    mean, d_lo, d_hi = t_interval(difference)
    lines = [
        f"# Scenario discovery: when does {second} lose money against {first}?",
        "",
        f"- {settings.scenarios} scenarios (Latin hypercube over the "
        f"{len(settings.uncertainties)} declared uncertainties, seed {settings.root_seed}) "
        f"x 2 policies x {settings.replications} seed(s) = {runs} runs in "
        f"{minutes:.1f} min, through EMA Workbench's evaluators.",
        f"- Both policies run every scenario on the same seed(s), so each scenario gives a "
        f"paired difference: NPV of profit under {second} minus under {first}.",
        f"- Of interest: difference < {settings.threshold:g}.",
        "- World: " + (" ".join(settings.fixed) if settings.fixed else "the default world"),
        "",
        f"**{second} earns less than {first} in {k} of {n} scenarios ({k / n:.0%}; "
        f"95% CI {lo:.0%}-{hi:.0%}).** Difference over all scenarios: mean {_fmt(mean)} "
        f"(95% CI {_fmt(d_lo)} to {_fmt(d_hi)}), median {_fmt(float(np.median(difference)))}.",
        "",
    ]
    if result is None:
        lines += ["No scenario is of interest, so PRIM has no box to find.", ""]
    else:
        s = result.stats
        inside = _inside(table, result.limits)
        lines += [
            "## PRIM box",
            "",
            f"Chosen on the peeling trajectory: step {result.chosen} of "
            f"{len(result.trajectory) - 1}, the most coverage at density >= "
            f"{settings.min_density:g} (else the densest).",
            "",
            f"- coverage {s['coverage']:.2f} (share of the losing scenarios inside the box)",
            f"- density {s['density']:.2f} (share of the scenarios inside that lose)",
            f"- mass {s['mass']:.2f} (share of all scenarios inside), "
            f"{int(s['res_dim'])} restricted dimension(s)",
            f"- mean difference {_fmt(float(difference[inside].mean()))} inside the box, "
            f"{_fmt(float(difference[~inside].mean())) if (~inside).any() else 'n/a'} outside",
            "",
            markdown_table(
                result.limits.rename(
                    columns={
                        "box_low": "box low",
                        "box_high": "box high",
                        "range_low": "declared low",
                        "range_high": "declared high",
                        "qp_low": "quasi-p low",
                        "qp_high": "quasi-p high",
                    }
                ),
                digits=3,
            ),
            "",
            "In words: " + _conditions(result.limits),
            "",
            "![PRIM box](prim_box.png)",
            "",
            "Denser boxes further along the trajectory (first step with each number of "
            "restricted dimensions; every step's limits are in `prim_steps.csv`):",
            "",
            markdown_table(_milestones(result), digits=3),
            "",
            "![trade-off](prim_tradeoff.png)",
            "",
        ]
    lines += [
        "## Reproduce",
        "",
        "```",
        "sim ema " + " ".join(shlex.quote(a) for a in settings.argv),
        *(
            ["sim ema " + " ".join(shlex.quote(a) for a in settings.analysed)]
            if settings.analysed
            else []
        ),
        "```",
        "",
    ]
    path = settings.folder / "report.md"
    write_text_atomically(path, "\n".join(lines))
    return path


def _inside(table: pd.DataFrame, limits: pd.DataFrame) -> np.ndarray[Any, Any]:
    inside = np.ones(len(table), dtype=bool)
    for row in limits.to_dict("records"):
        column = table[str(row["uncertainty"])]
        inside &= column.between(float(row["box_low"]), float(row["box_high"])).to_numpy()
    return inside


def _milestones(result: PrimResult) -> pd.DataFrame:
    t = result.trajectory.reset_index(drop=True)
    dims = t["res_dim"].astype(int).to_numpy()
    # The first step at each number of restricted dimensions, and the chosen one.
    steps = sorted(({int(np.argmax(dims == d)) for d in set(dims)} | {result.chosen}) - {0})
    rows = []
    for step in steps:
        limits = result.steps[result.steps["step"] == step].drop(columns="step")
        rows.append(
            {
                "step": step,
                **{
                    k: float(t[k].to_numpy(dtype=float)[step])
                    for k in ("coverage", "density", "mass")
                },
                "conditions": _conditions(limits),
            }
        )
    return pd.DataFrame(rows)


def _binomial_interval(k: int, n: int) -> tuple[float, float]:
    """Clopper-Pearson 95% interval of a share.

    >>> [round(v, 3) for v in _binomial_interval(5, 10)]
    [0.187, 0.813]
    """
    lo = float(stats.beta.ppf(0.025, k, n - k + 1)) if k > 0 else 0.0
    hi = float(stats.beta.ppf(0.975, k + 1, n - k)) if k < n else 1.0
    return lo, hi


def main(argv: Sequence[str] | None = None) -> int:
    """``sim ema [options] [overrides]``; also ``python -m sim.research.ema``."""
    args = list(sys.argv[1:] if argv is None else argv)
    if "--analyse" in args:
        options = _parser().parse_intermixed_args(args)
        if not 0 < options.min_density <= 1:
            raise ConfigError(f"--min-density={options.min_density}: must be a share in (0, 1]")
        return reanalyse(options.analyse, options.threshold, options.min_density)
    return run(parse_settings(args))


if __name__ == "__main__":
    from sim.commandline import module_main

    raise SystemExit(module_main(main))
