"""``market.churn_dispersion``: persistent differences in the propensity to leave.

The mechanism of heterogeneous dropout (Pareto/NBD, BG/NBD): the average person's
hazard is unchanged, but the people who stay are increasingly the ones unlikely to
leave, so a cohort's hazard falls with tenure. Paired seeds: the same worlds with and
without the dispersion.
"""

from __future__ import annotations

import numpy as np

from sim.customers import forecast
from sim.model import ServiceProfitChainModel
from sim.state import FOCAL

SETTINGS = {"visits_per_week": 0.3, "visit_dispersion": 0.5, "churn_multiplier": 4.0}
PEOPLE = 6000
SEED = 11


def _cohort(dispersion: float, weeks: int) -> tuple[np.ndarray, list[float], list[float]]:
    """A closed cohort, everyone a new customer: propensities, survivors and their mean."""
    cfg = forecast.closed_world(
        {**SETTINGS, "churn_dispersion": dispersion}, PEOPLE, 1.0, PEOPLE * 0.3, {}
    )
    model = ServiceProfitChainModel(cfg, rng=SEED)
    c = model.customers
    c.firm[:] = FOCAL
    c.tenure_weeks[:] = 1.0
    c.initial_customer[:] = True
    alive, mean_propensity = [1.0], [float(c.churn_propensity.mean())]
    for _ in range(weeks):
        model.step()
        focal = c.firm == FOCAL
        alive.append(float(focal.mean()))
        mean_propensity.append(float(c.churn_propensity[focal].mean()))
    return c.churn_propensity.copy(), alive, mean_propensity


def test_default_is_everyone_alike():
    propensity, _, _ = _cohort(0.0, 1)
    assert np.all(propensity == 1.0)


def test_survivors_are_increasingly_the_loyal_and_the_cohort_hazard_falls():
    weeks = 52
    propensity, alive, mean_prop = _cohort(1.0, weeks)
    _, alive0, _ = _cohort(0.0, weeks)
    # Mean one: the average person's hazard is unchanged (4 SE of a lognormal mean).
    se = propensity.std() / np.sqrt(propensity.size)
    assert abs(propensity.mean() - 1.0) < 4 * se
    # The first weeks' dropout is about the same (the whole population at risk) ...
    early, early0 = 1 - alive[4], 1 - alive0[4]
    assert abs(early - early0) < 0.25 * early0, (early, early0)
    # ... but the survivors' propensity falls, and so does the cohort's weekly hazard.
    assert mean_prop[13] < mean_prop[0]
    assert mean_prop[weeks] < mean_prop[26] < mean_prop[13]
    hazard = 1 - np.array(alive[1:]) / np.array(alive[:-1])
    hazard0 = 1 - np.array(alive0[1:]) / np.array(alive0[:-1])
    late, late0 = hazard[39:].mean(), hazard0[39:].mean()
    first, first0 = hazard[:8].mean(), hazard0[:8].mean()
    assert late / first < 0.8 * (late0 / first0), (late, first, late0, first0)
    # More survive a year: the loyal stay, and the leavers left early.
    assert alive[weeks] > alive0[weeks]
