"""Fingerprints of a run's output tables: one hash per column, for golden-output tests.

A fingerprint says *whether* anything changed and, when it did, *which* column of which
table: it hashes each column's exact bits, so a refactor that claims to keep outputs
bit-identical can be held to it.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pandas as pd

from sim.results import RunResult

TABLES = ("weekly", "customers", "employees")


def column_hash(series: pd.Series) -> str:
    """SHA-256 (first 16 hex digits) of a column's dtype and exact values, in row order."""
    digest = hashlib.sha256(str(series.dtype).encode())
    digest.update(pd.util.hash_pandas_object(series, index=False).to_numpy().tobytes())
    return digest.hexdigest()[:16]


def table_fingerprint(frame: pd.DataFrame) -> dict[str, Any]:
    """Shape and per-column hashes of one table (column order is part of it)."""
    return {
        "rows": len(frame),
        "columns": {name: column_hash(frame[name]) for name in frame.columns},
    }


def run_fingerprint(result: RunResult) -> dict[str, Any]:
    """Fingerprint of a run: every table, and the summary's values except wall time."""
    summary = {k: v for k, v in result.summary.items() if k != "wall_seconds"}
    return {
        **{name: table_fingerprint(getattr(result, name)) for name in TABLES},
        # repr keeps every bit of a float, and json's key order is the summary's own.
        "summary": json.loads(json.dumps({k: repr(v) for k, v in summary.items()})),
    }


def differences(expected: dict[str, Any], actual: dict[str, Any]) -> list[str]:
    """Human-readable list of what differs between two run fingerprints."""
    out: list[str] = []
    for name in TABLES:
        exp, act = expected[name], actual[name]
        if exp["rows"] != act["rows"]:
            out.append(f"{name}: {exp['rows']} rows expected, {act['rows']} found")
        if list(exp["columns"]) != list(act["columns"]):
            out.append(f"{name}: columns {list(exp['columns'])} != {list(act['columns'])}")
        for col, digest in exp["columns"].items():
            if col in act["columns"] and act["columns"][col] != digest:
                out.append(f"{name}.{col} changed")
    if expected["summary"] != actual["summary"]:
        for key in expected["summary"].keys() | actual["summary"].keys():
            a, b = expected["summary"].get(key), actual["summary"].get(key)
            if a != b:
                out.append(f"summary.{key}: {a} -> {b}")
    return out
