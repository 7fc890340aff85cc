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

One module per concern: ``settings`` (what a search is, its world and seeds), ``search``
(Optuna's ask-and-tell over design sweeps), ``confirm`` (the best policy against the
baseline on fresh seeds), ``plots``, ``report`` and ``command`` (``sim optimise``).
"""

from __future__ import annotations

from sim.research.optimise.command import main, parse_settings, run
from sim.research.optimise.confirm import best_policy, confirm, override_text
from sim.research.optimise.search import best_so_far, best_trial, search
from sim.research.optimise.settings import KPIS, Settings, confirm_seeds, search_seeds

__all__ = [
    "KPIS",
    "Settings",
    "best_policy",
    "best_so_far",
    "best_trial",
    "confirm",
    "confirm_seeds",
    "main",
    "override_text",
    "parse_settings",
    "run",
    "search",
    "search_seeds",
]
