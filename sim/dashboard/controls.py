"""Dashboard controls generated from the typed config schemas (no second copy of defaults).

Each control is read from a field of ``sim.config``: its default, its allowed range, its
unit and its meaning all come from the ``param(...)`` metadata. This module knows nothing of
Solara, so it is tested and type-checked on its own.
"""

from __future__ import annotations

import dataclasses
import enum
import math
from dataclasses import dataclass
from typing import Any

from sim.config import POLICY_GROUPS, MarketConfig, SimConfig, WorkforceConfig

__all__ = [
    "DASHBOARD_SCALE",
    "NO_SCENARIO",
    "SCENARIO_WORDS",
    "Control",
    "ControlKind",
    "control_for",
    "current_policy",
    "nice_step",
    "pending_changes",
    "policy_controls",
    "schema_field",
    "world_defaults",
]

SLIDER_SPAN_MAX = 10_000.0  # widest range shown as a slider

# The dashboard's starting world is the schema's reference world scaled down (10,000
# people and 100 employees become 3,000 and 30: same ratio, same economics per head),
# so that thirty sessions share a 2-core server; the size fields still reach beyond it.
DASHBOARD_SCALE = 0.3
NO_SCENARIO = "(none: schema defaults)"
SCENARIO_WORDS = {NO_SCENARIO: "none: the standard world"}  # as pickers show the choice


class ControlKind(enum.Enum):
    """How a config field is shown."""

    slider_float = "slider_float"
    slider_int = "slider_int"
    number_float = "number_float"  # a half-open range: no slider end to show
    number_int = "number_int"
    checkbox = "checkbox"
    select = "select"
    float_list = "float_list"  # one slider per value quintile


@dataclass(frozen=True)
class Control:
    """One input, read from a schema field's metadata.

    Args:
        key: Dotted config key, e.g. ``hr.perks_per_week``.
        kind: How the value is entered.
        default: The schema's default (enums by member name).
        lo: Smallest allowed value (None: unbounded).
        hi: Largest allowed value (None: unbounded).
        step: Slider increment (None for non-sliders).
        options: Allowed names of an enum field.
        unit: Unit from the schema.
        doc: Meaning from the schema.
        source: Where the value comes from (the ODD's source codes).
    """

    key: str
    kind: ControlKind
    default: Any
    lo: float | None = None
    hi: float | None = None
    step: float | None = None
    options: tuple[str, ...] = ()
    unit: str = ""
    doc: str = ""
    source: str = ""

    @property
    def name(self) -> str:
        """The field name (the theory's word for it)."""
        return self.key.rpartition(".")[2]

    @property
    def label(self) -> str:
        """Field name with its unit, as shown beside the control."""
        return f"{self.name} [{self.unit}]" if self.unit and self.unit != "flag" else self.name

    @property
    def help(self) -> str:
        """Meaning, allowed range and source, for a tooltip."""
        parts = [self.doc] if self.doc else []
        if self.lo is not None or self.hi is not None:
            lo = "-inf" if self.lo is None else f"{self.lo:g}"
            hi = "inf" if self.hi is None else f"{self.hi:g}"
            parts.append(f"allowed: [{lo}, {hi}]")
        if self.source:
            parts.append(f"source: {self.source}")
        return "; ".join(parts) or self.key


def nice_step(lo: float, hi: float, positions: int = 100) -> float:
    """The largest 1-2-5 step that splits [lo, hi] into at least ``positions`` steps.

    >>> nice_step(0, 1), nice_step(-0.5, 2), nice_step(0, 5), nice_step(0, 10)
    (0.01, 0.02, 0.05, 0.1)
    """
    span = (hi - lo) / positions
    if span <= 0:
        return 1.0
    exponent = math.floor(math.log10(span))
    for mantissa in (5, 2, 1):
        step = mantissa * 10.0**exponent
        if step <= span * (1 + 1e-9):
            return float(f"{step:.12g}")
    return float(f"{10.0**exponent:.12g}")


def _export(value: Any) -> Any:
    """A config value as a control holds it (enums by name, lists copied)."""
    if isinstance(value, enum.Enum):
        return value.name
    if isinstance(value, list):
        return [float(v) for v in value]
    return value


def control_for(key: str, f: dataclasses.Field[Any], default: Any) -> Control:
    """Build the control of one schema field.

    Args:
        key: Dotted key of the field.
        f: The dataclass field (its metadata holds min, max, unit, source, doc).
        default: The field's default value.

    Returns:
        The control.
    """
    meta = dict(f.metadata)
    lo, hi = meta.get("min"), meta.get("max")
    common: dict[str, Any] = {
        "unit": str(meta.get("unit", "")),
        "doc": str(meta.get("doc", "")),
        "source": "" if meta.get("source") in (None, "assumption") else str(meta["source"]),
    }
    if isinstance(default, enum.Enum):
        options = tuple(m.name for m in type(default))
        return Control(key, ControlKind.select, default.name, options=options, **common)
    if isinstance(default, bool):
        return Control(key, ControlKind.checkbox, default, **common)
    if isinstance(default, list):
        if lo is None or hi is None:
            raise TypeError(f"{key}: a list field needs a range for its sliders")
        step = nice_step(lo, hi)
        return Control(key, ControlKind.float_list, _export(default), lo, hi, step, **common)
    # A range wider than this (money up to MONEY_MAX, weeks, headcounts) is typed, not
    # dragged: a slider over a million would move in steps of thousands.
    draggable = lo is not None and hi is not None and hi - lo <= SLIDER_SPAN_MAX
    if isinstance(default, int):
        if draggable:
            return Control(key, ControlKind.slider_int, default, lo, hi, 1, **common)
        return Control(key, ControlKind.number_int, default, lo, hi, **common)
    if isinstance(default, float):
        if draggable and lo is not None and hi is not None:
            step = nice_step(lo, hi)
            return Control(key, ControlKind.slider_float, default, lo, hi, step, **common)
        return Control(key, ControlKind.number_float, default, lo, hi, **common)
    raise TypeError(f"{key}: no control for values of type {type(default).__name__}")


def policy_controls(config: SimConfig | None = None) -> dict[str, list[Control]]:
    """Controls for every field of every policy group, in schema order.

    Args:
        config: Where defaults are read (the schema's own defaults when None).

    Returns:
        ``{group: [Control, ...]}`` for each of ``sim.config.POLICY_GROUPS``.
    """
    cfg = config if config is not None else SimConfig()
    out: dict[str, list[Control]] = {}
    for group in POLICY_GROUPS:
        node = getattr(cfg, group)
        out[group] = [
            control_for(f"{group}.{f.name}", f, getattr(node, f.name))
            for f in dataclasses.fields(node)
        ]
    return out


def current_policy(config: SimConfig) -> dict[str, Any]:
    """Every policy value of ``config`` as the controls hold it: ``{"hr.perks_per_week": 0.0}``."""
    return {
        f"{group}.{f.name}": _export(getattr(getattr(config, group), f.name))
        for group in POLICY_GROUPS
        for f in dataclasses.fields(getattr(config, group))
    }


def pending_changes(draft: dict[str, Any], config: SimConfig) -> dict[str, Any]:
    """The entries of ``draft`` that differ from the running policy.

    >>> pending_changes({"hr.perks_per_week": 0.0, "service.kind": "tiered"}, SimConfig())
    {'service.kind': 'tiered'}
    """
    now = current_policy(config)
    return {k: v for k, v in draft.items() if k in now and _export(v) != now[k]}


def schema_field(schema: type[Any], name: str) -> dataclasses.Field[Any]:
    """The dataclass field ``name`` of a config schema."""
    return {f.name: f for f in dataclasses.fields(schema)}[name]


def world_defaults() -> dict[str, Any]:
    """A new session's starting world (``DashboardModel`` arguments).

    The schema's reference world scaled by ``DASHBOARD_SCALE`` (same ratio of people to
    staff), rounded to whole hundreds of people; the schema's seed.

    >>> world_defaults()["n_customers"], world_defaults()["n_employees"]
    (3000, 30)
    """
    people = MarketConfig().n_customers * DASHBOARD_SCALE
    return {
        "scenario_name": NO_SCENARIO,
        "classroom": False,
        "n_customers": round(people / 100) * 100,
        "n_employees": round(WorkforceConfig().n_employees * DASHBOARD_SCALE),
        "seed": SimConfig().seed,
    }
