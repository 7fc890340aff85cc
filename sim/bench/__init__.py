"""Benchmark suite: the full model against a per-agent Mesa peer and a bare NumPy kernel.

A command, not a timed test: machines here are shared and noisy, so it takes the best of
several repeats where that is cheap and leaves judging to people, helped by ratios taken
within one run. ``sim bench`` prints, for 1,000 to 1,000,000 customers:

* the full model (``ServiceProfitChainModel``, 520 recorded weeks after the configured
  burn-in): build, burn-in, recorded weeks and output tables timed apart; customer-weeks
  per second of the recorded weeks; peak RSS and RSS per customer. Each size runs in a
  fresh process so that peaks are separate;
* the same weekly customer update (``sim.perf.update``) as one Mesa agent per person
  with ``shuffle_do`` (``sim.perf.mesa_peer``) and as a bare NumPy kernel
  (``sim.perf.kernel``), in the same process right after the model;
* the ratios per customer-week, the scaling exponent of time against customers and the
  start-up cost of ``python -m sim run``.

One module per concern: ``measure`` (timing and memory of one size, in a fresh process),
``report`` (the tables, fits and targets) and ``command`` (``sim bench``).
"""

from __future__ import annotations

from sim.bench.command import main
from sim.bench.measure import (
    SizeResult,
    measure_kernel,
    measure_model,
    measure_peer,
    measure_startup,
    run_size,
)
from sim.bench.report import (
    TARGETS,
    fit_exponent,
    fixed_and_marginal,
    format_report,
    machine_summary,
)

__all__ = [
    "TARGETS",
    "SizeResult",
    "fit_exponent",
    "fixed_and_marginal",
    "format_report",
    "machine_summary",
    "main",
    "measure_kernel",
    "measure_model",
    "measure_peer",
    "measure_startup",
    "run_size",
]
