"""Loop attribution: how much of a policy difference each feedback loop of the chain carries.

A scenario's policies x replication seeds run under the full model and again with each
feedback link cut in turn (held at its week-0 value, see ``sim.config.FeedbackConfig``),
plus once with every chosen link cut together. It runs as design sweeps
(``sim.launch.run_design``), one per seed, whose design rows are the arms: any Hydra
launcher runs it and a killed sweep resumes with ``--resume``. For each policy against
the scenario's baseline, paired by seed (common random numbers), the difference in the
headline KPI is taken under the full model (D) and with the link cut (E); the loop
*carries* D - E, and its share is (D - E) / D. Loops interact, so the shares need not
sum to one.

Output: ``results/loops/<scenario>/<UTC time>_<git sha>/`` with ``attribution.csv``,
``runs.csv`` (one row per run), ``figures/attribution.png``, ``report.md``, the manifest
``loops.yaml`` and one design-sweep folder ``seed_<seed>/`` per seed holding its runs.

    python -m sim.research.loops layoff_spiral --replications 6
    python -m sim.research.loops --analyse results/loops/layoff_spiral/<folder>

One module per concern: ``arms`` (the links and the arms that cut them), ``attribution``
(the paired differences and shares), ``plots``, ``sweep`` (the manifest and the design
sweeps, one per seed), ``report`` (tables, figure and ``report.md`` from a folder) and
``command`` (``sim loops``).
"""

from __future__ import annotations

from sim.research.loops.arms import FULL, JOINT, link_label, link_meaning, loop_design, parse_links
from sim.research.loops.attribution import attribution
from sim.research.loops.command import main
from sim.research.loops.plots import attribution_figure
from sim.research.loops.report import analyse, attribution_markdown
from sim.research.loops.sweep import last_wins, run_loops, seed_folders

__all__ = [
    "FULL",
    "JOINT",
    "analyse",
    "attribution",
    "attribution_figure",
    "attribution_markdown",
    "last_wins",
    "link_label",
    "link_meaning",
    "loop_design",
    "main",
    "parse_links",
    "run_loops",
    "seed_folders",
]
