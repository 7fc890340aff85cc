"""Starting Hydra: the one place that runs the Hydra app, alone or as a multirun.

``sim run`` (one run, or the user's own ``-m`` sweep), a study (``policy x seed``) and
a design sweep (``policy x run.point x seed``) all go through ``run_app``. Hydra reads
its command line from ``sys.argv``, so this module is also the one place that sets it
(and puts it back). Sweeps are ordinary Hydra multiruns, so any Hydra launcher plugin
(joblib here, submitit on Slurm, Ray) runs them unchanged; finished runs are skipped
and failures recorded by the job itself (``sim.app.hydra_main``).
"""

from __future__ import annotations

import shutil
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from sim.compose import check_own_targets
from sim.config import ConfigError, SimConfig, validate
from sim.design import DESIGN_MANIFEST, design_values, write_design, write_runs_table
from sim.errors import UserError, explain
from sim.manifest import write_manifest

# Hydra launcher plugins a sweep may name (``hydra/launcher=<name>``); "basic" is Hydra's
# own serial launcher.
LAUNCHERS = ("joblib", "basic", "slurm", "ray_cluster", "submitit_slurm", "submitit_local", "ray")


@dataclass(frozen=True)
class LauncherNeeds:
    """What a launcher needs on this machine before a sweep can start."""

    modules: tuple[str, ...]
    """Modules that must be importable: the Hydra plugin and what it drives."""
    extra: str
    """The optional extra of this package that installs them."""
    commands: tuple[str, ...] = ()
    """Programs that must be on PATH (Slurm's, for the Slurm launchers)."""
    where: str = ""
    """Where the commands are found, for the message."""


_SUBMITIT = ("hydra_plugins.hydra_submitit_launcher", "submitit")
_RAY = ("hydra_plugins.hydra_ray_launcher", "ray")
_SLURM = LauncherNeeds(_SUBMITIT, "slurm", ("sbatch", "srun"), "a Slurm login node")
LAUNCHER_NEEDS: dict[str, LauncherNeeds] = {
    "slurm": _SLURM,
    "submitit_slurm": _SLURM,
    "submitit_local": LauncherNeeds(_SUBMITIT, "slurm"),
    "ray": LauncherNeeds(_RAY, "ray"),
    "ray_cluster": LauncherNeeds(_RAY, "ray"),
}


def check_launcher(launcher: str) -> None:
    """Refuse, in one line, a launcher this machine cannot run.

    Without the check, a missing plugin is Hydra's "Could not load
    'hydra/launcher/ray'" and a missing Slurm a 25-line traceback ending in
    ``Could not detect "srun"``, both after the study's folder was made. Call it before
    anything is written.

    >>> check_launcher("joblib")

    Raises:
        UserError: naming what is missing and how to get it.
    """
    import importlib.util

    needs = LAUNCHER_NEEDS.get(launcher)
    if needs is None:
        return
    missing = []
    for module in needs.modules:
        try:
            found = importlib.util.find_spec(module) is not None
        except (ImportError, ValueError):
            found = False
        if not found:
            missing.append(module.rpartition(".")[2].replace("_", "-"))
    if missing:
        raise UserError(
            f"launcher '{launcher}' needs {' and '.join(missing)}, not installed here; "
            f"install the {needs.extra} extra: pip install -e '.[{needs.extra}]'"
        )
    absent = [c for c in needs.commands if shutil.which(c) is None]
    if absent:
        raise UserError(
            f"launcher '{launcher}' needs Slurm, but {' and '.join(absent)} "
            f"{'is' if len(absent) == 1 else 'are'} not on PATH: run it on {needs.where}, "
            "or use --launcher joblib on this machine"
        )


def run_app(args: Sequence[str], prog: str = "sim run") -> None:
    """Run the Hydra app (``sim.app.hydra_main``) with the command line ``args``.

    Args:
        args: Hydra's command line: overrides, and ``-m`` for a multirun, or ``--help``.
        prog: The program name Hydra's help and usage show.

    Raises:
        SystemExit: when Hydra exits with a non-zero status (its own report of an error
            is already printed); a zero status (after ``--help``) returns normally.
    """
    from sim.app import hydra_main

    for arg in args:
        key, _, value = arg.partition("=")
        if key.lstrip("+") == "hydra/launcher":
            check_launcher(value)
    saved = sys.argv
    sys.argv = [prog, *args]
    try:
        hydra_main()
    except SystemExit as exc:
        if exc.code not in (0, None):
            raise
    finally:
        sys.argv = saved


def launcher_overrides(launcher: str, jobs: int) -> list[str]:
    """Hydra overrides that pick the launcher plugin (and joblib's number of workers).

    Submitit's job files (pickles, logs) go to ``<sweep folder>/submitit/``: the plugin's
    default ``.submitit/%j`` also leaves an empty folder literally named ``%j`` (submitit
    creates its folder before a job id exists), and the job ids are in the file names.

    >>> launcher_overrides("joblib", 2), launcher_overrides("basic", 2)
    (['hydra/launcher=joblib', 'hydra.launcher.n_jobs=2'], [])
    >>> launcher_overrides("submitit_local", 2)[1]
    'hydra.launcher.submitit_folder=${hydra.sweep.dir}/submitit'
    """
    out = [f"hydra/launcher={launcher}"] if launcher != "basic" else []
    if launcher == "joblib":
        out.append(f"hydra.launcher.n_jobs={jobs}")
    if launcher in LAUNCHER_NEEDS and "submitit" in LAUNCHER_NEEDS[launcher].modules:
        out.append("hydra.launcher.submitit_folder=${hydra.sweep.dir}/submitit")
    return out


def multirun(
    sweep: Sequence[str],
    folder: Path,
    *,
    launcher: str = "joblib",
    jobs: int = -1,
    callbacks: Mapping[str, str] | None = None,
    prog: str = "sim",
) -> None:
    """Run one Hydra multirun of ``sweep`` whose runs all land in ``folder``.

    Args:
        sweep: Overrides, fixed (``run.weeks=120``) or swept (``seed=1,2,3``); Hydra runs
            every combination of the swept ones, in the order given.
        folder: The sweep folder (``hydra.sweep.dir``); each job writes its run below it.
            It is passed as an absolute path: a Ray worker or a Slurm job may start in
            another working directory.
        launcher: A Hydra launcher plugin (``LAUNCHERS``).
        jobs: Workers of the joblib launcher (-1: all cores).
        callbacks: Hydra callbacks by name, as the class to instantiate
            (``{"aggregate": "sim.experiments.callbacks.AggregateOnEnd"}``).
        prog: The program name in Hydra's messages.
    """
    check_launcher(launcher)
    hooks = [f"+hydra.callbacks.{name}._target_={cls}" for name, cls in (callbacks or {}).items()]
    check_own_targets(hooks)
    args = [
        "-m",
        *sweep,
        f"hydra.sweep.dir={folder.resolve()}",
        "hydra.sweep.subdir=.",
        *hooks,
        *launcher_overrides(launcher, jobs),
    ]
    run_app(args, prog)


def run_design(
    folder: Path,
    design: pd.DataFrame,
    seeds: Sequence[int],
    fixed: Sequence[str] = (),
    policies: Sequence[str] = ("baseline",),
    launcher: str = "joblib",
    jobs: int = -1,
    purpose: str = "",
) -> pd.DataFrame:
    """Run every row of ``design`` under every policy and seed; return one row per run.

    The design is written to ``folder`` (``sim.design``) and run as one multirun over
    ``policy x run.point x seed``. ``fixed`` are Hydra overrides shared by every run
    (world size, horizon). Runs already complete in ``folder`` are not redone, so a
    killed design sweep resumes where it was. After the multirun the finished runs are
    written as one flat table, ``runs.parquet`` and ``runs.csv`` (policy, point, seed,
    every design parameter, every summary KPI; ``sim.design.write_runs_table``).

    Raises:
        ConfigError: a row of the design, under one of the policies, is not a valid
            configuration (nothing has run then).
    """
    from omegaconf import OmegaConf
    from omegaconf.errors import OmegaConfBaseException

    from sim.compose import compose_config

    check_launcher(launcher)
    folder.mkdir(parents=True, exist_ok=True)
    write_design(folder, design)
    fixed = [*fixed, "run.figures=false", "run.progress=false"]
    # Check every row under every policy before anything is dispatched: a bad design is
    # one clear error, not a sweep of recorded failures. Hydra composes each policy once;
    # the rows are then applied to that typed config, which is ~50x faster than composing
    # per row (a 192-point design took minutes the other way).
    for policy in policies:
        base = OmegaConf.structured(compose_config([*fixed, f"policy={policy}"]))
        for point in range(len(design)):
            values = design_values(folder, point)
            candidate = base.copy()
            try:
                for key, value in values.items():
                    OmegaConf.update(candidate, key, value, merge=False)
                config = OmegaConf.to_object(candidate)
                assert isinstance(config, SimConfig)
                validate(config)
            except (ConfigError, OmegaConfBaseException) as exc:
                raise ConfigError(f"design row {point} ({policy}): {explain(exc)}") from exc
    manifest = {
        "purpose": purpose,
        "points": len(design),
        "policies": list(policies),
        "seeds": [int(s) for s in seeds],
        "fixed_overrides": list(fixed),
        "cells": len(design) * len(policies) * len(seeds),
        "started_unix": time.time(),
    }
    write_manifest(folder, manifest, DESIGN_MANIFEST)
    sweep = [
        *fixed,
        f"policy={','.join(policies)}",
        f"run.point={','.join(str(p) for p in range(len(design)))}",
        f"seed={','.join(str(s) for s in seeds)}",
    ]
    multirun(sweep, folder, launcher=launcher, jobs=jobs, prog="sim design")
    return write_runs_table(folder)
