"""Compute a golden case's fingerprint at one fixed SIMD level, in a fresh interpreter.

NumPy picks its vector kernels (exp, log, sums) by CPU at import time, and the AVX-512
kernels round some results differently in the last bit from the AVX2 ones; over 520
weeks those bits reach every float column. The fingerprints are therefore recorded and
checked with the AVX-512 kernels switched off (``NPY_DISABLE_CPU_FEATURES``) and OpenBLAS
held to its Haswell kernels, so a machine with AVX-512 and one with only AVX2 agree.
A CPU without AVX2 cannot reproduce them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
PINNED_ENV = {
    "NPY_DISABLE_CPU_FEATURES": "X86_V4 AVX512_ICL AVX512_SPR",
    "OPENBLAS_CORETYPE": "Haswell",
}

_CHILD = """
import json, runpy, sys
from sim.fingerprint import run_fingerprint
cases = runpy.run_path(sys.argv[1])
print(json.dumps({n: run_fingerprint(cases["run_case"](n)) for n in sys.argv[2:]}))
"""


def pinned_fingerprints(names: list[str]) -> dict[str, Any]:
    env = {**os.environ, **PINNED_ENV, "PYTHONWARNINGS": "ignore"}
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, str(HERE / "cases.py"), *names],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"golden case run failed:\n{done.stderr[-4000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result
