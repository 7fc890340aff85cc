"""CLV interoperability: BTYD models fitted to a simulated log, scored against the truth.

The transaction log (``customer_id``, ``date``, ``amount``) is what CLV analysts feed to
"buy till you die" models. Here BG/NBD (and Pareto/NBD and Gamma-Gamma) from
``lifetimes`` are fitted to a cohort of the simulated log, and what they recover (purchase
rates, dropout, who is still a customer, holdout purchases) is compared with what the
simulator knows, which no analyst of real data can see.

``python -m sim.research.clv [--small] [--run FOLDER] [overrides ...]`` writes
``results/clv/<UTC timestamp>/`` (see ``docs/research/clv.md``).

One module per concern: ``truth`` (the hook into the running model), ``fit`` (the BTYD
models), ``compare`` (recovered against true), ``plots``, ``report`` (the output folder)
and ``command`` (``sim clv``).
"""

from __future__ import annotations

from sim.research.clv.command import DEFAULT, SMALL, Scale, main
from sim.research.clv.compare import (
    Analysis,
    analyse,
    dropout_by_purchase,
    hazard_by_tenure,
    recovery_table,
)
from sim.research.clv.fit import Fits, fit_models, rfm_table
from sim.research.clv.report import write_outputs
from sim.research.clv.truth import (
    TruthRecorder,
    Windows,
    load_run_config,
    read_log,
    replay,
    simulate,
)

__all__ = [
    "DEFAULT",
    "SMALL",
    "Analysis",
    "Fits",
    "Scale",
    "TruthRecorder",
    "Windows",
    "analyse",
    "dropout_by_purchase",
    "fit_models",
    "hazard_by_tenure",
    "load_run_config",
    "main",
    "read_log",
    "recovery_table",
    "replay",
    "rfm_table",
    "simulate",
    "write_outputs",
]
