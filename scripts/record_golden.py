"""Record the golden output fingerprints (run only on purpose; review the diff in the PR).

    python scripts/record_golden.py

Writes tests/regression/golden/fingerprints.json from the cases in
tests/regression/golden/cases.py. The golden test then holds every later change of the
code to bit-identical outputs on those cases, unless this script is run again.
"""

import json
import runpy
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent / "tests" / "regression" / "golden"

cases = runpy.run_path(str(HERE / "cases.py"))
pinned = runpy.run_path(str(HERE / "pinned.py"))
out = pinned["pinned_fingerprints"](list(cases["CASES"]))
(HERE / "fingerprints.json").write_text(json.dumps(out, indent=1, sort_keys=False) + "\n")
print(f"wrote {len(out)} cases to {HERE / 'fingerprints.json'}")
