"""Designs over the schema: typed values of schema keys, and the design table on disk.

A sensitivity analysis or an optimiser proposes points in parameter space that are not
a Cartesian product, which Hydra's basic sweeper cannot express. So a design is written
to ``<folder>/design.csv``, one row of values per point, and the sweep is an ordinary
Hydra multirun over ``run.point=0..n-1`` x ``seed=...`` (``sim.launch.run_design``):
each job reads its row here (``design_values``) and applies it before the config is
validated. Each run lands in ``<folder>/runs/<policy>/p<point>/s<seed>``, and the
sweep as a whole in one flat table, ``<folder>/runs.parquet`` and ``runs.csv``.
"""

from __future__ import annotations

import dataclasses
import enum
import json
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from sim.config import ConfigError, SimConfig
from sim.output import write_text_atomically

DESIGN = "design.csv"
DESIGN_MANIFEST = "design.yaml"
RUNS_TABLE = ("runs.parquet", "runs.csv")


def schema_default(key: str) -> Any:
    """Default value of a dotted key of the schema (``group.name``), or a ConfigError."""
    group, _, name = key.partition(".")
    node = getattr(SimConfig(), group, None)
    if node is None or not dataclasses.is_dataclass(node):
        skip = ("seed", "changes")
        groups = [f.name for f in dataclasses.fields(SimConfig) if f.name not in skip]
        raise ConfigError(f"unknown key '{key}'; allowed groups: {', '.join(groups)}")
    names = [f.name for f in dataclasses.fields(node)]
    if name not in names:
        raise ConfigError(f"unknown key '{key}'; allowed keys in {group}: {', '.join(names)}")
    return getattr(node, name)


def schema_meta(key: str) -> dict[str, Any]:
    """The ``param`` metadata (min, max, unit, source) of a dotted schema key."""
    schema_default(key)  # a clear error for an unknown key
    group, _, name = key.partition(".")
    node = getattr(SimConfig(), group)
    return dict({f.name: f for f in dataclasses.fields(node)}[name].metadata)


def read_declarations(path: Path, section: str) -> list[Any]:
    """The non-empty list under ``section`` of a YAML declaration file (levers, uncertainties).

    Raises:
        ConfigError: the file cannot be read or holds no such list.
    """
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot read the {section}: {exc}") from exc
    entries = data.get(section) if isinstance(data, dict) else None
    if not isinstance(entries, list) or not entries:
        raise ConfigError(f"{path}: expected a list under '{section}'")
    return entries


def coerce(key: str, value: Any) -> Any:
    """A design cell (as read from CSV) converted to the type of the schema field."""
    default = schema_default(key)
    if isinstance(default, enum.Enum):
        return value.name if isinstance(value, enum.Enum) else str(value)
    if isinstance(default, bool):
        if isinstance(value, str):
            return value.strip().lower() in ("true", "1", "yes")
        return bool(value)
    if isinstance(default, int):
        return round(float(value))
    if isinstance(default, float):
        return float(value)
    if isinstance(default, list):
        return json.loads(value) if isinstance(value, str) else list(value)
    return value


def design_values(folder: Path, point: int) -> dict[str, Any]:
    """The typed values of row ``point`` of a folder's design table."""
    table = pd.read_csv(folder / DESIGN)
    if not 0 <= point < len(table):
        raise ConfigError(f"run.point={point}: the design has rows 0..{len(table) - 1}")
    row = table.iloc[point]
    return {key: coerce(key, row[key]) for key in table.columns if key != "point"}


def write_design(folder: Path, design: pd.DataFrame) -> None:
    """Check every column names a schema field and write the table with a ``point`` column."""
    for key in design.columns:
        schema_default(str(key))
    table = design.reset_index(drop=True).copy()
    table.insert(0, "point", range(len(table)))
    for key in design.columns:
        if isinstance(schema_default(str(key)), list):
            table[key] = [json.dumps(list(v)) for v in table[key]]
    write_text_atomically(folder / DESIGN, table.to_csv(index=False))


def as_overrides(values: dict[str, Any]) -> list[str]:
    """Design values as Hydra override strings (for the record and for checking)."""
    out = []
    for key, value in values.items():
        text = json.dumps(value) if isinstance(value, list | bool) else str(value)
        out.append(f"{key}={text}")
    return out


def finished_runs(folder: Path) -> list[tuple[str, int, int, Path]]:
    """(policy, point, seed, run folder) of every finished run of a design sweep, in order.

    A run is finished once its ``summary.json`` is written (the folder appears whole).
    """
    out = []
    for path in sorted(folder.glob("runs/*/p*/s*/summary.json")):
        run = path.parent
        out.append((run.parent.parent.name, int(run.parent.name[1:]), int(run.name[1:]), run))
    return out


def read_runs(folder: Path) -> pd.DataFrame:
    """One row per finished run: policy, point, seed, the design values and the summary."""
    design = pd.read_csv(folder / DESIGN)
    rows = []
    for policy, point, seed, run in finished_runs(folder):
        summary = json.loads((run / "summary.json").read_text(encoding="utf-8"))
        rows.append(
            {
                "policy": policy,
                "point": point,
                "seed": seed,
                **{k: v for k, v in summary.items() if isinstance(v, int | float | str)},
            }
        )
    runs = pd.DataFrame(rows)
    if runs.empty:
        return runs
    return runs.merge(design, on="point", how="left").sort_values(["policy", "point", "seed"])


def write_runs_table(folder: Path) -> pd.DataFrame:
    """Write ``runs.parquet`` and ``runs.csv``: the sweep as one flat table, and return it.

    One row per finished run: ``policy``, ``point``, ``seed``, every design parameter,
    then every field of the run's summary (the KPIs). SALib, EMA Workbench, Optuna and
    pandas read it directly, without walking the run folders. Each file is written to a
    temporary name and moved into place, so a reader never sees half a table.
    """
    import os

    runs = read_runs(folder)
    if not runs.empty:
        design = [c for c in pd.read_csv(folder / DESIGN).columns if c != "point"]
        first = ["policy", "point", "seed", *design]
        runs = runs[[*first, *(c for c in runs.columns if c not in first)]]
        runs = runs.reset_index(drop=True)
    parquet, csv = (folder / name for name in RUNS_TABLE)
    tmp = folder / f".{parquet.name}.tmp"
    runs.to_parquet(tmp, index=False)
    os.replace(tmp, parquet)
    write_text_atomically(csv, runs.to_csv(index=False))
    return runs


def failures(folder: Path) -> list[dict[str, Any]]:
    """The runs of a design sweep that failed, with their error."""
    return [
        json.loads(p.read_text(encoding="utf-8"))
        for p in sorted((folder / "failures").glob("*.json"))
    ]
