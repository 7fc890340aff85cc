"""The validation experiments: one module per stylized fact (or small family of facts).

Each experiment builds its worlds from the default configuration, runs replications on
seeds fixed before dispatch (common random numbers across arms), and returns checks.
The workers (``_run_*``) are module-level so a process pool can pickle them; they
return plain dicts of numbers measured on the model's own state and tables.

One module per fact or family of facts: ``closed_forms`` (SF2, AN1, AN2),
``default_world`` (SF6, SF34, SF4), ``defection_value`` (SF1), ``tenure_profit`` (SF3),
``satisfaction_boxes`` (SF7, SF8), ``loss_weight`` (SF10), ``service_contacts`` (SF11),
``staff_turnover`` (SF18, SF19), ``layoff_survivors`` (SF24, SF25), ``demand_pulse``
(SF27), ``success_failure`` (SF28), ``service_recovery`` (SF29), ``referral_value``
(SF32). ``EXPERIMENTS`` maps the names ``sim validate --only`` takes to the experiments,
in the order the report lists them. Adding a fact: a module here with its worker and its
experiment (``shared`` has the plot shapes and the worlds used by several facts), and
one line in ``EXPERIMENTS``.
"""

from __future__ import annotations

from sim.validation.experiments.closed_forms import analytic
from sim.validation.experiments.default_world import baseline
from sim.validation.experiments.defection_value import npv_gain
from sim.validation.experiments.demand_pulse import pulse
from sim.validation.experiments.layoff_survivors import layoffs
from sim.validation.experiments.loss_weight import asymmetry
from sim.validation.experiments.referral_value import referrals
from sim.validation.experiments.satisfaction_boxes import boxes
from sim.validation.experiments.service_contacts import contacts
from sim.validation.experiments.service_recovery import recovery
from sim.validation.experiments.shared import Experiment
from sim.validation.experiments.staff_turnover import staff
from sim.validation.experiments.success_failure import basins
from sim.validation.experiments.tenure_profit import cohort

EXPERIMENTS: dict[str, Experiment] = {
    "analytic": analytic,
    "baseline": baseline,
    "npv": npv_gain,
    "cohort": cohort,
    "boxes": boxes,
    "asymmetry": asymmetry,
    "contacts": contacts,
    "staff": staff,
    "layoffs": layoffs,
    "pulse": pulse,
    "basins": basins,
    "recovery": recovery,
    "referrals": referrals,
}

__all__ = [
    "EXPERIMENTS",
    "Experiment",
    "analytic",
    "asymmetry",
    "baseline",
    "basins",
    "boxes",
    "cohort",
    "contacts",
    "layoffs",
    "npv_gain",
    "pulse",
    "recovery",
    "referrals",
    "staff",
]
