"""Declared uncertainties: parameters the literature leaves open, with their ranges.

They live in ``configs/uncertainties.yaml`` (config, not code). Loading checks each key
against the schema and each range against the field's allowed range, so a typo or an
impossible range is one clear error before any run starts.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sim.config import ConfigError
from sim.configstore import CONFIG_DIR
from sim.design import read_declarations, schema_default, schema_meta

UNCERTAINTIES_FILE = CONFIG_DIR / "uncertainties.yaml"


@dataclass(frozen=True)
class Uncertainty:
    """One uncertain parameter: its dotted key, range and where the range comes from."""

    key: str
    lo: float
    hi: float
    source: str = ""
    integer: bool = False


def load_uncertainties(path: Path = UNCERTAINTIES_FILE) -> list[Uncertainty]:
    """Read and check the declared uncertainties.

    Raises:
        ConfigError: naming the entry, the value and what is allowed.
    """
    entries = read_declarations(path, "uncertainties")
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
        meta = schema_meta(key)
        lo, hi = meta.get("min"), meta.get("max")
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
