"""Figures of one run, drawn only from the run's tables.

Every ``plot_*`` function takes tables in and gives a ``Figure`` back (optionally
drawing into a figure the caller owns, e.g. a dashboard's). Figures are built from
``matplotlib.figure.Figure`` directly, never through pyplot, so importing this module
neither picks nor changes anybody's backend and leaves no global figure state behind.

Week ``w`` of a policy change means the change took effect at the start of week
``w`` (as in ``PolicyChange.week`` and the model's ``policy_log``): the dashed line sits
at ``w`` weeks elapsed, just before the first row it affected (``week == w + 1``).

One module per group of figures: ``chain`` (the chain over time), ``customers`` (by firm,
the whale curve, profit by value quintile), ``workforce``; ``base`` holds what they share
and ``run`` draws and saves a run's set.
"""

from __future__ import annotations

from sim.plots.base import DPI, SMOOTHING_WEEKS, policy_weeks_of, save
from sim.plots.chain import plot_chain
from sim.plots.customers import plot_customers_by_firm, plot_profit_by_tier, plot_whale_curve
from sim.plots.run import make_run_figures
from sim.plots.workforce import plot_workforce

# Defined in sim.units; exported here too because the dashboard's charts read it from here.
from sim.units import WEEKS_PER_YEAR

__all__ = [
    "DPI",
    "SMOOTHING_WEEKS",
    "WEEKS_PER_YEAR",
    "make_run_figures",
    "plot_chain",
    "plot_customers_by_firm",
    "plot_profit_by_tier",
    "plot_whale_curve",
    "plot_workforce",
    "policy_weeks_of",
    "save",
]
