"""Declared uncertainties: parameters the literature leaves open, with their ranges.

They live in ``configs/uncertainties.yaml`` (config, not code). Loading checks each key
against the schema and each range against the field's allowed range, so a typo or an
impossible range is one clear error before any run starts.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from sim.config import ConfigError, SimConfig
from sim.configstore import CONFIG_DIR
from sim.research.design import schema_default

UNCERTAINTIES_FILE = CONFIG_DIR / "uncertainties.yaml"


@dataclass(frozen=True)
class Uncertainty:
    """One uncertain parameter: its dotted key, range and where the range comes from."""

    key: str
    lo: float
    hi: float
    source: str = ""
    integer: bool = False


def _field_range(key: str) -> tuple[float | None, float | None]:
    group, _, name = key.partition(".")
    node = getattr(SimConfig(), group)
    meta = dict({f.name: f for f in dataclasses.fields(node)}[name].metadata)
    return meta.get("min"), meta.get("max")


def load_uncertainties(path: Path = UNCERTAINTIES_FILE) -> list[Uncertainty]:
    """Read and check the declared uncertainties.

    Raises:
        ConfigError: naming the entry, the value and what is allowed.
    """
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot read the uncertainties: {exc}") from exc
    entries = data.get("uncertainties") if isinstance(data, dict) else None
    if not isinstance(entries, list) or not entries:
        raise ConfigError(f"{path}: expected a list under 'uncertainties'")
    out: list[Uncertainty] = []
    for i, entry in enumerate(entries):
        where = f"{path.name}: uncertainties[{i}]"
        if not isinstance(entry, dict) or set(entry) - {"key", "range", "source"}:
            raise ConfigError(f"{where}: expected keys key, range, source")
        key = str(entry.get("key", ""))
        try:
            default = schema_default(key)
        except ConfigError as exc:
            raise ConfigError(f"{where}: {exc}") from exc
        if isinstance(default, bool) or not isinstance(default, int | float):
            raise ConfigError(f"{where}: {key} is not a numeric parameter")
        bounds = entry.get("range")
        if (
            not isinstance(bounds, list)
            or len(bounds) != 2
            or not all(isinstance(b, int | float) for b in bounds)
            or not bounds[0] < bounds[1]
        ):
            raise ConfigError(f"{where}.range={bounds}: expected [low, high] with low < high")
        lo, hi = _field_range(key)
        if (lo is not None and bounds[0] < lo) or (hi is not None and bounds[1] > hi):
            raise ConfigError(f"{where}.range={bounds}: outside what {key} allows ([{lo}, {hi}])")
        if key in {u.key for u in out}:
            raise ConfigError(f"{where}: {key} is declared twice")
        out.append(
            Uncertainty(
                key,
                float(bounds[0]),
                float(bounds[1]),
                str(entry.get("source", "")),
                integer=isinstance(default, int),
            )
        )
    return out


def scale(unit: np.ndarray, uncertainties: list[Uncertainty]) -> pd.DataFrame:
    """Map points of the unit cube (rows x parameters) onto the declared ranges."""
    lo = np.array([u.lo for u in uncertainties])
    hi = np.array([u.hi for u in uncertainties])
    values = lo + np.asarray(unit) * (hi - lo)
    table = pd.DataFrame(values, columns=[u.key for u in uncertainties])
    for u in uncertainties:
        if u.integer:
            table[u.key] = table[u.key].round().astype(int)
    return table
