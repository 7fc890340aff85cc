"""Policy levers: what a manager controls, with the range or choices worth searching.

They live in ``configs/levers.yaml`` (config, not code), beside the declared
uncertainties. Loading checks each key against the schema's policy groups and each range
or choice against what the field allows, so a typo is one clear error before any run.

One element of a list field is a lever of its own (``service.tier_levels[0]``); the
elements no lever names are interpolated linearly between the named ones, so a top, a
middle and a bottom lever shape all five service tiers.
"""

from __future__ import annotations

import enum
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from sim.config import POLICY_GROUPS, ConfigError, SimConfig
from sim.configstore import CONFIG_DIR
from sim.design import read_declarations, schema_default, schema_meta

LEVERS_FILE = CONFIG_DIR / "levers.yaml"
ENTRY_KEYS = ("key", "range", "choices", "value", "doc")
ELEMENT = re.compile(r"^(?P<field>[A-Za-z_][\w]*\.[A-Za-z_]\w*)\[(?P<index>\d+)\]$")

LeverKind = Literal["range", "choice", "fixed"]


@dataclass(frozen=True)
class Lever:
    """One policy lever: a schema key (or one element of a list) and where it may go.

    ``range`` levers take a number in ``[lo, hi]``; ``choice`` levers one of ``choices``
    (enum options by name); ``fixed`` levers hold ``value`` (an anchor of a list).
    """

    key: str
    kind: LeverKind
    lo: float = math.nan
    hi: float = math.nan
    choices: tuple[Any, ...] = ()
    value: Any = None
    integer: bool = False
    doc: str = ""

    @property
    def field(self) -> str:
        """The schema key this lever sets (the list, for an element)."""
        found = ELEMENT.match(self.key)
        return found.group("field") if found else self.key

    @property
    def index(self) -> int | None:
        """Position in the list, for a lever on one element; else None."""
        found = ELEMENT.match(self.key)
        return int(found.group("index")) if found else None

    @property
    def name(self) -> str:
        """The key as a Python identifier (EMA Workbench needs one).

        >>> Lever("service.tier_levels[0]", "range", 1.0, 2.0).name
        'service__tier_levels_0'
        """
        return identifier(self.key)


def identifier(key: str) -> str:
    """A dotted schema key as a Python identifier: ``hr.wage_premium`` -> ``hr__wage_premium``."""
    return key.replace(".", "__").replace("[", "_").replace("]", "")


def _allowed(meta: dict[str, Any]) -> str:
    return f"[{meta.get('min')}, {meta.get('max')}]"


def _check_number(where: str, key: str, value: Any, meta: dict[str, Any]) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ConfigError(f"{where}: {value!r} is not a number")
    lo, hi = meta.get("min"), meta.get("max")
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        raise ConfigError(f"{where}: {value} is outside what {key} allows ({_allowed(meta)})")
    return float(value)


def _check_option(where: str, key: str, value: Any, default: Any, meta: dict[str, Any]) -> Any:
    """One choice or fixed value, converted to how design tables carry it."""
    if isinstance(default, enum.Enum):
        allowed = [m.name for m in type(default)]
        if str(value) not in allowed:
            raise ConfigError(
                f"{where}: '{value}' is not an option of {key}; allowed: {', '.join(allowed)}"
            )
        return str(value)
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise ConfigError(f"{where}: {value!r} is not a boolean; allowed: true, false")
        return value
    if isinstance(default, int | float):
        number = _check_number(where, key, value, meta)
        if isinstance(default, int):
            if not number.is_integer():
                raise ConfigError(f"{where}: {value} is not a whole number ({key})")
            return int(number)
        return number
    raise ConfigError(f"{where}: {key} cannot be a lever (a {type(default).__name__})")


def _parse_entry(entry: Any, where: str) -> Lever:
    if not isinstance(entry, dict) or set(entry) - set(ENTRY_KEYS) or "key" not in entry:
        raise ConfigError(f"{where}: expected key and one of range, choices, value (and doc)")
    given = [k for k in ("range", "choices", "value") if k in entry]
    if len(given) != 1:
        raise ConfigError(f"{where}: give exactly one of range, choices, value")
    key = str(entry["key"])
    found = ELEMENT.match(key)
    field = found.group("field") if found else key
    group = field.partition(".")[0]
    if group not in POLICY_GROUPS:
        raise ConfigError(
            f"{where}: '{key}' is not a policy lever; allowed groups: {', '.join(POLICY_GROUPS)}"
        )
    try:
        default = schema_default(field)
    except ConfigError as exc:
        raise ConfigError(f"{where}: {exc}") from exc
    if found:
        index = int(found.group("index"))
        if not isinstance(default, list):
            raise ConfigError(f"{where}: {field} is not a list; write the key without [{index}]")
        if index >= len(default):
            raise ConfigError(f"{where}: {key}: {field} has elements 0..{len(default) - 1}")
        default = float(default[index])
    elif isinstance(default, list):
        raise ConfigError(f"{where}: {key} is a list; make levers of its elements: {key}[0]")
    meta = schema_meta(field)
    doc = str(entry.get("doc", ""))
    integer = isinstance(default, int) and not isinstance(default, bool)
    if "range" in entry:
        bounds = entry["range"]
        if isinstance(default, bool | enum.Enum) or not isinstance(default, int | float):
            raise ConfigError(f"{where}: {key} is not numeric; give its choices instead")
        if (
            not isinstance(bounds, list)
            or len(bounds) != 2
            or not all(isinstance(b, int | float) and not isinstance(b, bool) for b in bounds)
            or not bounds[0] < bounds[1]
        ):
            raise ConfigError(f"{where}.range={bounds}: expected [low, high] with low < high")
        lo = _check_number(f"{where}.range", key, bounds[0], meta)
        hi = _check_number(f"{where}.range", key, bounds[1], meta)
        return Lever(key, "range", lo, hi, integer=integer, doc=doc)
    if "choices" in entry:
        options = entry["choices"]
        if not isinstance(options, list) or len(options) < 2:
            raise ConfigError(f"{where}.choices={options}: expected a list of two or more")
        checked = tuple(_check_option(f"{where}.choices", key, o, default, meta) for o in options)
        if len(set(checked)) != len(checked):
            raise ConfigError(f"{where}.choices={options}: an option is listed twice")
        return Lever(key, "choice", choices=checked, integer=integer, doc=doc)
    value = _check_option(f"{where}.value", key, entry["value"], default, meta)
    return Lever(key, "fixed", value=value, integer=integer, doc=doc)


def load_levers(path: Path = LEVERS_FILE) -> list[Lever]:
    """Read and check the policy levers.

    Raises:
        ConfigError: naming the file, the entry, the value and what is allowed.
    """
    entries = read_declarations(path, "levers")
    out: list[Lever] = []
    for i, entry in enumerate(entries):
        where = f"{path.name}: levers[{i}]"
        lever = _parse_entry(entry, where)
        # A whole list and one of its elements would set the same field twice.
        if any(o.key == lever.key or o.key == lever.field or lever.key == o.field for o in out):
            raise ConfigError(f"{where}: {lever.key} is declared twice")
        out.append(lever)
    if all(lever.kind == "fixed" for lever in out):
        raise ConfigError(f"{path}: every lever is fixed; give at least one a range or choices")
    return out


def searched(levers: Sequence[Lever]) -> list[Lever]:
    """The levers that take a value (range or choice), in file order."""
    return [lever for lever in levers if lever.kind != "fixed"]


def lever_values(levers: Sequence[Lever], chosen: Mapping[str, Any]) -> dict[str, Any]:
    """Schema values (``{"hr.perks_per_week": 40.0, ...}``) of chosen lever values.

    ``chosen`` maps lever keys to values; searched levers missing from it keep the
    configured value. A list is set when at least one of its searched elements is
    chosen: the fixed and chosen elements are its anchors and the rest are interpolated.

    >>> levers = [Lever("service.tier_levels[0]", "range", 1.0, 2.0),
    ...           Lever("service.tier_levels[2]", "fixed", value=1.0),
    ...           Lever("service.tier_levels[4]", "range", 0.4, 1.0)]
    >>> lever_values(levers, {"service.tier_levels[0]": 1.5, "service.tier_levels[4]": 0.6})
    {'service.tier_levels': [1.5, 1.25, 1.0, 0.8, 0.6]}
    """
    out: dict[str, Any] = {}
    anchors: dict[str, dict[int, float]] = {}
    touched: set[str] = set()
    for lever in levers:
        if lever.kind != "fixed" and lever.key not in chosen:
            continue
        value = lever.value if lever.kind == "fixed" else chosen[lever.key]
        if lever.index is None:
            out[lever.key] = value
            continue
        anchors.setdefault(lever.field, {})[lever.index] = float(value)
        if lever.kind != "fixed":
            touched.add(lever.field)
    for field in touched:
        points = anchors[field]
        size = len(schema_default(field))
        xs = sorted(points)
        filled = np.interp(np.arange(size), xs, [points[x] for x in xs])
        out[field] = [round(float(v), 10) for v in filled]
    return out


def values_of(levers: Sequence[Lever], config: SimConfig) -> dict[str, Any]:
    """The value each searched lever has in a configuration (enum options by name)."""
    out: dict[str, Any] = {}
    for lever in searched(levers):
        group, _, name = lever.field.partition(".")
        value = getattr(getattr(config, group), name)
        if lever.index is not None:
            value = float(value[lever.index])
        elif isinstance(value, enum.Enum):
            value = value.name
        out[lever.key] = value
    return out
