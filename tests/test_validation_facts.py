"""The validation facts at the default configuration.

Validation facts are the ones nothing was fitted to (``sim/validation/classes.py``), so a
pass is evidence. Two strengths of the same claim:

- ``SIM_VALIDATION_FULL=1 pytest tests/test_validation_facts.py``: ``sim validate``'s full
  scale (about 9 minutes on 2 cores, too long for CI's budget): every validation fact
  must pass (its 95% CI inside the band, every condition held) except the declared
  failures below;
- in the suite, the quick scale (3 replications, about 90 s): too few replications for a
  pass (SF1's CI spans 160 points there), so the claim is that no validation fact is
  refuted: none has its whole CI outside the band, except the declared failures.

Either way a declared failure that starts passing fails the test, so the list cannot go
stale: docs/validation.md and the closing notes quote it.
"""

from __future__ import annotations

import os

import pytest

from sim.validation.classes import CLASSES
from sim.validation.cli import run_all
from sim.validation.core import FULL, QUICK, Check
from sim.validation.report import text_table

pytestmark = pytest.mark.slow

FULL_SCALE = os.environ.get("SIM_VALIDATION_FULL") == "1"

# The experiments that hold every validation fact (the others hold targets and inputs).
EXPERIMENTS = ["analytic", "npv", "boxes", "pulse", "basins", "baseline"]

# fact -> why it does not pass at the default configuration (reported, not tuned away).
KNOWN_FAILURES = {
    "SF7": "top-box/second-box 18-month retention ratio ~1.2, not ~6: the model's customers "
    "stay or go, while Xerox's 6x is about repurchasing equipment; with half the customers "
    "in box 4, a 6x retention ratio cannot coexist with ~15% annual defection",
}


@pytest.fixture(scope="module")
def checks() -> list[Check]:
    return run_all(FULL if FULL_SCALE else QUICK, EXPERIMENTS)


def refuted(check: Check) -> bool:
    """The whole 95% CI lies outside the band: the data say no, whatever the noise."""
    lo, hi = check.ci
    return hi < check.fact.lo or lo > check.fact.hi


def test_the_experiments_cover_every_validation_fact(checks):
    validation = {fact for fact, (kind, _) in CLASSES.items() if kind == "validation"}
    assert {c.fact.fact_id for c in checks if c.kind == "validation"} == validation


def test_validation_facts_hold_except_the_declared_failures(checks):
    wrong = []
    for check in (c for c in checks if c.kind == "validation"):
        fact = check.fact.fact_id
        if fact in KNOWN_FAILURES:
            if check.passed:
                wrong.append(f"{fact} passes now: drop it from KNOWN_FAILURES")
        elif not check.passed if FULL_SCALE else refuted(check):
            wrong.append(text_table([check]))
    assert not wrong, "\n".join(wrong)
