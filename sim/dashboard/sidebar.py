"""The side column of the student screen: decisions, the starting world, sources.

The policy panel holds every policy of the schema, in collapsible groups; changes apply
from the next week. The world panel (a student alone only) holds the starting world,
applied at Reset (``world_model`` builds a solo session's model from it). The sources
panel says where each policy's numbers come from.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, cast

from sim.config import ConfigError, SimConfig
from sim.dashboard import labels
from sim.dashboard.classroom import GroupLink
from sim.dashboard.controls import (
    NO_SCENARIO,
    SCENARIO_WORDS,
    Control,
    current_policy,
    pending_changes,
    policy_controls,
    world_defaults,
)
from sim.dashboard.entries import MAX_SEED, Limits, world_limits
from sim.dashboard.fields import NumberEntry, PolicyField, show_value
from sim.dashboard.session import DashboardModel
from sim.dashboard.ui import component, html_block, solara, use_bump

__all__ = [
    "WORLD_DEFAULTS",
    "PolicyPanel",
    "SourcesPanel",
    "WorldPanel",
    "pending_world_changes",
    "running_world",
    "world_model",
]

POLICY_CONTROLS = policy_controls()

WORLD_DEFAULTS = world_defaults()


def world_model(world: dict[str, Any], weeks_per_step: int = 1) -> DashboardModel:
    """A solo session's model from its starting-world settings."""
    return DashboardModel(weeks_per_step=weeks_per_step, **world)


# --------------------------------------------------------------- decisions


@component
def PolicyPanel(
    model: solara.Reactive[DashboardModel],
    version: solara.Reactive[int],
    decided: solara.Reactive[int],
    link: solara.Reactive[GroupLink | None],
) -> None:
    """Every policy of the schema; changes apply to the students' world from the next week."""
    m = model.value
    draft = solara.use_reactive(cast(dict[str, Any], {}))
    invalid = solara.use_reactive(cast(dict[str, str], {}))
    refused = solara.use_reactive(cast(dict[str, str], {}))
    generation = solara.use_reactive(0)
    bump = use_bump(version)

    def start_over() -> None:
        draft.set({})
        invalid.set({})
        refused.set({})
        generation.set(generation.value + 1)

    solara.use_effect(start_over, [m])
    now = current_policy(m.policy)
    pending = pending_changes(draft.value, m.policy)

    def setter(key: str) -> Callable[[Any], None]:
        def set_value(value: Any) -> None:
            draft.set({**draft.value, key: value})
            invalid.set({k: v for k, v in invalid.value.items() if k != key})
            refused.set({k: v for k, v in refused.value.items() if k != key})

        return set_value

    def marker(key: str) -> Callable[[str], None]:
        def set_invalid(message: str) -> None:
            draft.set({k: v for k, v in draft.value.items() if k != key})
            invalid.set({**invalid.value, key: message})

        return set_invalid

    def apply() -> None:
        changes = pending_changes(draft.value, m.policy)
        failed: dict[str, str] = {}
        try:
            m.set_policy(changes)
        except ConfigError:
            # Only the entries the schema refuses stay out; the others apply.
            for key, value in changes.items():
                try:
                    m.set_policy({key: value})
                except ConfigError as exc:
                    failed[key] = str(exc)
        draft.set({k: v for k, v in draft.value.items() if k in failed})
        refused.set(failed)
        group = link.value
        if group is not None:
            record = dataclasses.replace(
                group.record, decisions=[(w, dict(c)) for w, c in m.world.policy_log]
            )
            group.room.save_decisions(record)
            link.set(GroupLink(group.room, record))
        decided.set(decided.value + 1)
        bump()

    def plan_layoff() -> None:
        draft.set({**draft.value, "staffing.kind": "layoff", "staffing.layoff_week": m.week})

    with solara.Div(classes=["spc-card", "spc-policies"]):
        solara.Text("Your decisions", classes=["spc-card-title"])
        html_block(
            "<p class='spc-help'>Open a group, change what you decide, then press "
            "<b>Apply</b>. Changes count from the next week"
            + (" (your twin keeps the starting policies)." if m.classroom else ".")
            + " Hover over a name for what it means.</p>"
        )
        for group, controls in POLICY_CONTROLS.items():
            waiting = sum(1 for c in controls if c.key in pending)
            wrong = sum(1 for c in controls if c.key in invalid.value or c.key in refused.value)
            summary = labels.policy_title(group)
            if waiting:
                summary += f" ({waiting} pending)"
            if wrong:
                summary += f" ({wrong} to fix)"
            PolicyGroup(
                group,
                summary,
                controls,
                {c.key: draft.value.get(c.key, now[c.key]) for c in controls},
                m.policy,
                setter,
                marker,
                {**invalid.value, **refused.value},
                generation.value,
                plan_layoff if group == "staffing" else None,
            )
        words = [
            f"{labels.policy(k)}: {show_value(_control(k), now[k])} → {show_value(_control(k), v)}"
            for k, v in pending.items()
        ]
        html_block(
            "<b>Pending:</b> " + "; ".join(words) if words else "",
            classes=["spc-help", "spc-pending"],
        )
        if invalid.value:
            solara.Text(
                f"{len(invalid.value)} entr{'y' if len(invalid.value) == 1 else 'ies'} "
                "not usable (see the message under the field); the other changes apply.",
                classes=["spc-help", "spc-invalid-note"],
            )
        with solara.Row(gap="8px"):
            ApplyButton(model, version, apply, bool(pending))
            solara.Button(
                "Discard", on_click=start_over, disabled=not (pending or invalid.value), text=True
            )


@component
def ApplyButton(
    model: solara.Reactive[DashboardModel],
    version: solara.Reactive[int],
    apply: Callable[[], None],
    enabled: bool,
) -> None:
    """Apply, naming the week the changes will first count in (as weekly.csv counts it)."""
    version.value  # noqa: B018 - the week moves at every step
    m = model.value
    solara.Button(
        f"Apply from week {m.week + 1}",
        on_click=apply,
        color="primary",
        disabled=not enabled or not m.running,
        classes=["spc-apply"],
    )


def _control(key: str) -> Control:
    group = key.partition(".")[0]
    return next(c for c in POLICY_CONTROLS[group] if c.key == key)


@component
def PolicyGroup(
    group: str,
    summary: str,
    controls: list[Control],
    values: dict[str, Any],
    world: SimConfig,
    setter: Callable[[str], Callable[[Any], None]],
    marker: Callable[[str], Callable[[str], None]],
    errors: dict[str, str],
    generation: int,
    plan_layoff: Callable[[], None] | None,
) -> None:
    """One collapsible group of policies (its fields exist only while it is open)."""
    with Section(summary):
        if plan_layoff is not None:
            solara.Button(
                "Plan a layoff for next week", on_click=plan_layoff, text=True, color="primary"
            )
        for c in controls:
            PolicyField(
                c, values[c.key], world, setter(c.key), marker(c.key), errors.get(c.key, "")
            ).key(f"{c.key}-{generation}")


@component
def Section(summary: str, children: list[Any] = [], expand: bool = False) -> None:  # noqa: B006
    """A collapsible section whose content is built only while open.

    Unlike ``solara.Details``, a closed section holds no widgets: the policy panel's forty
    fields would otherwise be walked at every step of Play.
    """
    is_open = solara.use_reactive(expand)
    with (
        solara.v.ExpansionPanels(
            v_model=0 if is_open.value else None,
            on_v_model=lambda v: is_open.set(v == 0),
            class_="spc-section",
        ),
        solara.v.ExpansionPanel(),
    ):
        solara.v.ExpansionPanelHeader(children=[summary])
        solara.v.ExpansionPanelContent(children=children if is_open.value else [])


# -------------------------------------------------------------- the world


@component
def WorldPanel(
    world: solara.Reactive[dict[str, Any]],
    model: solara.Reactive[DashboardModel],
    weeks_per_step: solara.Reactive[int],
    scenarios: list[str],
) -> None:
    """The starting world of a student playing alone: changes wait for Reset."""
    running = running_world(model.value)
    bad = solara.use_reactive(cast(dict[str, str], {}))

    def put(name: str) -> Callable[[Any], None]:
        def set_value(value: Any) -> None:
            world.set({**world.value, name: value})
            bad.set({k: v for k, v in bad.value.items() if k != name})

        return set_value

    def refuse(name: str) -> Callable[[str], None]:
        def set_bad(message: str) -> None:
            world.set({**world.value, name: running[name]})
            bad.set({**bad.value, name: message})

        return set_bad

    def pending_note(name: str) -> None:
        if world.value[name] != running[name]:
            solara.Text("pending: press Reset", classes=["spc-pending-world"])

    def set_speed(value: float) -> None:
        weeks_per_step.set(int(value))
        model.value.weeks_per_step = int(value)

    with Section("Starting world (applies at Reset)"), solara.Div(classes=["spc-card"]):
        names = [NO_SCENARIO, *scenarios]
        words = [SCENARIO_WORDS.get(n, n) for n in names]
        solara.Select(
            "scenario",
            values=words,
            value=SCENARIO_WORDS.get(world.value["scenario_name"], world.value["scenario_name"]),
            on_value=lambda w: put("scenario_name")(names[words.index(w)]),
            dense=True,
        )
        pending_note("scenario_name")
        solara.Checkbox(
            label="classroom rounds: 13 weeks a step, beside a no-change twin",
            value=world.value["classroom"],
            on_value=put("classroom"),
        )
        pending_note("classroom")
        for name, title in (
            ("n_customers", "people in the market"),
            ("n_employees", "employees at the start"),
        ):
            NumberEntry(
                title,
                world.value[name],
                world_limits(name),
                put(name),
                refuse(name),
                bad.value.get(name, ""),
                suffix="people",
                title=title,
            )
            pending_note(name)
        NumberEntry(
            "seed (one per group)",
            world.value["seed"],
            Limits(0, MAX_SEED, integer=True),
            put("seed"),
            refuse("seed"),
            bad.value.get("seed", ""),
            slider=False,
            title="seed (one per group)",
        )
        pending_note("seed")
        if not model.value.classroom:
            solara.Text("weeks per step (applies now)", classes=["spc-field-title"])
            solara.SliderInt("", value=weeks_per_step.value, min=1, max=13, on_value=set_speed)


def running_world(m: DashboardModel) -> dict[str, Any]:
    """The starting-world settings of the running model, as the world panel holds them."""
    start = m.start_scenario
    return {
        "scenario_name": start.name if start else NO_SCENARIO,
        "classroom": m.classroom,
        "n_customers": m.config.market.n_customers,
        "n_employees": m.config.workforce.n_employees,
        "seed": m.config.seed,
    }


def pending_world_changes(world: dict[str, Any], m: DashboardModel) -> int:
    """How many starting-world settings differ from the running world's."""
    running = running_world(m)
    return sum(1 for k, v in world.items() if running.get(k) != v)


@component
def SourcesPanel() -> None:
    """Where each policy's numbers come from (the ODD's source codes)."""
    show = solara.use_reactive(False)
    solara.Button(
        "sources", on_click=lambda: show.set(not show.value), text=True, classes=["spc-sources"]
    )
    if show.value:
        rows = "".join(
            f"<tr><td>{labels.policy(c.key)}</td><td>{c.source}</td></tr>"
            for group in POLICY_CONTROLS.values()
            for c in group
            if c.source
        )
        html_block(
            "<p class='spc-help'>SF codes are the stylised facts of the research the model "
            "reproduces (docs/validation.md); 'domain §n' is a point of the project's brief."
            f"</p><table class='spc-rounds-table'><tbody>{rows}</tbody></table>",
            classes=["spc-card"],
        )
