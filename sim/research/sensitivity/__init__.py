"""``sim sensitivity``: global sensitivity of the KPIs to the declared uncertainties.

SALib draws the design (Saltelli's scheme for Sobol indices, Morris trajectories for
elementary effects) over the ranges in ``configs/uncertainties.yaml``; every design
point runs under the same replication seeds (common random numbers) as one Hydra
multirun through :func:`sim.launch.run_design`, so it parallelises and scales
out (joblib, Slurm, Ray) like every other sweep and resumes where it was cut short.
The KPI of a point is its mean over the seeds; the share of variance that is seed noise
is reported beside the indices, because an agent-based model is not a deterministic
function of its parameters.

Output folder ``results/sensitivity/<time stamp>_<method>/``: the runs, ``indices.csv``,
``indices_by_year.csv``, ``kpi_noise.csv``, ``tornado_<kpi>.png``, ``by_year_<kpi>.png``
and ``report.md``.


One module per concern: ``settings`` (what an analysis asks and its checks), ``indices``
(the design on the unit cube and SALib's indices), ``plots``, ``report``, ``run`` (the
folder: design, runs, analysis) and ``command`` (``sim sensitivity``).
"""

from __future__ import annotations

from sim.research.sensitivity.command import main
from sim.research.sensitivity.indices import analyse, indices_table, noise, unit_sample
from sim.research.sensitivity.plots import by_year_figure, tornado
from sim.research.sensitivity.report import indices_markdown, write_report
from sim.research.sensitivity.run import analyse_folder, run_sensitivity
from sim.research.sensitivity.settings import (
    BY_YEAR,
    METHODS,
    Settings,
    check_settings,
    parse_kpis,
    settings_from_record,
)

__all__ = [
    "BY_YEAR",
    "METHODS",
    "Settings",
    "analyse",
    "analyse_folder",
    "by_year_figure",
    "check_settings",
    "indices_markdown",
    "indices_table",
    "main",
    "noise",
    "parse_kpis",
    "run_sensitivity",
    "settings_from_record",
    "tornado",
    "unit_sample",
    "write_report",
]
