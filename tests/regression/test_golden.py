"""Golden outputs: the recorded cases give bit-identical tables and summaries.

This answers "did anything change?" (the statistical tests answer "is it right?").
When a change is meant to move outputs, re-record with ``python scripts/record_golden.py``
and review the fingerprint diff; never edit fingerprints.json by hand. Cases run in a fresh
interpreter at a pinned SIMD level (see golden/pinned.py) so the bits do not depend on the CPU.
"""

from __future__ import annotations

import json
import runpy
from pathlib import Path

import pytest

from sim.fingerprint import differences

GOLDEN = Path(__file__).parent / "golden"
CASES = runpy.run_path(str(GOLDEN / "cases.py"))
EXPECTED = json.loads((GOLDEN / "fingerprints.json").read_text())
PINNED = runpy.run_path(str(GOLDEN / "pinned.py"))


def test_every_case_is_recorded():
    assert set(EXPECTED) == set(CASES["CASES"])


@pytest.mark.parametrize("name", list(CASES["CASES"]))
def test_outputs_are_bit_identical(name):
    actual = PINNED["pinned_fingerprints"]([name])[name]
    assert differences(EXPECTED[name], actual) == []
