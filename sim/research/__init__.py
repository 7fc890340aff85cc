"""Research toolkit.

Declared uncertainties, design sweeps, sensitivity analysis, optimisation, EMA Workbench
and CLV interoperability, and loop attribution.

From Python, start at :mod:`sim.research.api` (``docs/research/api.md``): its
``base_config``, ``with_values``, ``evaluate`` and ``ema_model`` are re-exported here.
Its ``sensitivity``, ``optimise`` and ``loops`` are called as ``api.sensitivity`` and so
on: here those names are the commands' own packages (``sim.research.optimise``).
"""

from sim.research import api
from sim.research.api import base_config, ema_model, evaluate, with_values

__all__ = ["api", "base_config", "ema_model", "evaluate", "with_values"]
