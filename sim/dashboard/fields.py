"""The policy panel's inputs: a number field beside every slider, checked as it is typed.

Each field keeps what the student typed. A usable entry becomes a pending change at once;
a bad one (``nan``, ``-5``, ``1,000``, ``1e12``) gets a message under the field and is
left out, while the other fields' changes still apply.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sim.config import SimConfig
from sim.dashboard import labels
from sim.dashboard.controls import Control, ControlKind, nice_step
from sim.dashboard.entries import (
    EntryError,
    Limits,
    entry_text,
    limits_of,
    parse_entry,
    stored_value,
)
from sim.dashboard.ui import component, solara

__all__ = ["OPTION_WORDS", "NumberEntry", "PolicyField", "field_help", "show_value"]

# Enum options of the policy schema in words (the config keeps their names).
OPTION_WORDS: dict[str, str] = {
    "uniform": "the same for everyone",
    "tiered": "tiered by customer value",
    "steady": "keep headcount steady",
    "demand": "hire to demand",
    "layoff": "one planned layoff",
    "profit_triggered": "cut staff after a weak quarter",
}
QUINTILES = ("top", "2nd", "3rd", "4th", "bottom")


def field_help(control: Control, limits: Limits) -> str:
    """A field's tooltip: its meaning and allowed range (its sources are under "sources")."""
    parts = [control.doc] if control.doc else []
    if control.kind not in (ControlKind.checkbox, ControlKind.select):
        parts.append(f"allowed {limits.describe()}")
    parts.append(f"in the config: {control.key}")
    return "; ".join(parts)


def show_value(control: Control, value: Any) -> str:
    """A value as the panel lists it (options and flags in words, weeks as weekly.csv)."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str):
        return OPTION_WORDS.get(value, value)
    if isinstance(value, list | tuple):
        return " / ".join(f"{float(v):g}" for v in value)
    return entry_text(value, control)


@component
def NumberEntry(
    label: str,
    value: float,
    limits: Limits,
    on_value: Callable[[float], None],
    on_invalid: Callable[[str], None],
    error: str = "",
    control: Control | None = None,
    slider: bool = True,
    suffix: str = "",
    show_label: bool = False,
    title: str = "",
) -> None:
    """A number field (and a slider when the range is closed), checked as typed.

    ``value`` is the config value; ``control`` converts it for display where the screen
    counts differently (weeks). A bad entry keeps its text and shows ``error`` or its
    own message; the value stays what it was. The label names the field for screen
    readers (and tests); it is shown only with ``show_label``, where no title is above.
    ``title``, if given, is shown above the field.
    """
    text, set_text = solara.use_state(entry_text(value, control))
    message, set_message = solara.use_state("")

    def parsed(raw: str) -> float | None:
        try:
            number = parse_entry(raw, limits)
        except EntryError:
            return None
        return stored_value(number, control) if control is not None else number

    def follow_outside_change() -> None:
        # The slider, Discard, Apply or "Plan a layoff" changed the value: show it,
        # unless the field holds a bad entry the student has not corrected yet.
        if not message and parsed(text) != value:
            set_text(entry_text(value, control))

    solara.use_effect(follow_outside_change, [value])

    def typed(raw: str | None) -> None:
        raw = raw or ""
        set_text(raw)
        try:
            number = parse_entry(raw, limits)
        except EntryError as exc:
            set_message(str(exc))
            on_invalid(str(exc))
            return
        set_message("")
        on_value(stored_value(number, control) if control is not None else number)

    def slid(new: float) -> None:
        set_message("")
        on_value(new)

    shown = message or error
    with solara.Div(classes=["spc-entry-wrap"]):
        if title:
            solara.Text(title, classes=["spc-field-title"])
        with solara.Row(classes=["spc-entry"], gap="6px", style={"align-items": "center"}):
            if slider and limits.lo is not None and limits.hi is not None:
                lo, hi = limits.lo, limits.hi
                if control is not None and control.unit == "week":
                    lo, hi = lo - 1, hi - 1
                current = min(max(float(value), lo), hi)
                if limits.integer:
                    solara.SliderInt(
                        "", value=int(current), min=int(lo), max=int(hi), step=1, on_value=slid
                    )
                else:
                    solara.SliderFloat(
                        "", value=current, min=lo, max=hi, step=nice_step(lo, hi), on_value=slid
                    )
            solara.InputText(
                label,
                value=text,
                on_value=typed,
                continuous_update=True,
                error=bool(shown),
                dense=True,
                hide_details=True,
                suffix=suffix or None,
                classes=["spc-number", "spc-number-labelled" if show_label else "spc-number-bare"],
            )
        if shown:
            solara.Text(shown, classes=["spc-field-error"])


@component
def PolicyField(
    control: Control,
    value: Any,
    world: SimConfig,
    on_value: Callable[[Any], None],
    on_invalid: Callable[[str], None],
    error: str = "",
) -> None:
    """One policy, generated from its schema field: words, unit, range and a checked entry."""
    limits = limits_of(control, world)
    unit = labels.unit_words(control.unit)
    title = labels.policy(control.key) + (f" ({unit})" if unit else "")
    with solara.Div(classes=["spc-field"]):
        if control.kind is ControlKind.checkbox:
            with solara.Tooltip(field_help(control, limits)):
                solara.Checkbox(label=title, value=bool(value), on_value=on_value)
        elif control.kind is ControlKind.select:
            words = [OPTION_WORDS.get(o, o) for o in control.options]
            by_words = dict(zip(words, control.options, strict=True))
            with solara.Tooltip(field_help(control, limits)):
                solara.Select(
                    title,
                    values=words,
                    value=OPTION_WORDS.get(value, value),
                    on_value=lambda w: on_value(by_words[w]),
                    dense=True,
                )
        elif control.kind is ControlKind.float_list:
            with solara.Tooltip(field_help(control, limits)):
                solara.Text(title, classes=["spc-field-title"])
            values = [float(v) for v in value]
            with solara.Row(gap="4px"):
                for i, level in enumerate(values):

                    def set_one(new: float, i: int = i) -> None:
                        on_value([*values[:i], float(new), *values[i + 1 :]])

                    NumberEntry(
                        QUINTILES[i],
                        level,
                        limits,
                        set_one,
                        on_invalid,
                        error if i == 0 else "",
                        slider=False,
                        show_label=True,
                    )
        else:
            with solara.Tooltip(field_help(control, limits)):
                solara.Text(title, classes=["spc-field-title"])
            NumberEntry(
                labels.policy(control.key),
                value,
                limits,
                on_value,
                on_invalid,
                error,
                control=control,
            )
