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

One module per concern: ``workbench`` (the simulator as an EMA model), ``discovery``
(pairs and PRIM), ``plots``, ``report``, ``settings`` (what one worked example is), ``run``
(experiments, analysis, the folder) and ``command`` (``sim ema``).
"""

from __future__ import annotations

from sim.research.ema.command import main, parse_settings
from sim.research.ema.discovery import PrimResult, discover, pairs
from sim.research.ema.run import reanalyse, run
from sim.research.ema.settings import Settings
from sim.research.ema.workbench import (
    SCALARS,
    SERIES,
    SimFunction,
    build_model,
    perform,
    policy_sample,
    yearly,
)
from sim.research.values import with_values

__all__ = [
    "SCALARS",
    "SERIES",
    "PrimResult",
    "Settings",
    "SimFunction",
    "build_model",
    "discover",
    "main",
    "pairs",
    "parse_settings",
    "perform",
    "policy_sample",
    "reanalyse",
    "run",
    "with_values",
    "yearly",
]
