"""The students' screen: run controls on top, decisions on the left, chain and rounds right.

A session is either a group of a teacher's class (its world set by the teacher, its rounds
paced by the teacher and saved to disk after each one) or a student playing alone (its
starting world chosen on the screen, applied at Reset). Every value shown comes from the
session's ``DashboardModel``; every label is plain language (``sim.dashboard.labels``).
"""

from __future__ import annotations

import dataclasses
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from sim.config import ConfigError, SimConfig
from sim.dashboard import labels
from sim.dashboard.charts import CHARTS, chart_data, decision_text
from sim.dashboard.classroom import ClassRoom, ClassroomError, ClassState, GroupRecord
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
from sim.dashboard.livechart import LiveChart
from sim.dashboard.session import WEEKS_PER_ROUND, DashboardModel, weekly_table
from sim.dashboard.tables import decisions_html, rounds_html
from sim.dashboard.ui import component, html_block, solara, use_bump, use_poll

__all__ = [
    "PLAY_INTERVAL_S",
    "PLAY_WEEKS_PER_S",
    "WORLD_DEFAULTS",
    "GroupLink",
    "PolicyPanel",
    "RunBar",
    "SourcesPanel",
    "StudentScreen",
    "WorldPanel",
    "play_weeks",
    "world_model",
]

# Pause between two steps of Play: short, because a step's redraw is only new rows.
PLAY_INTERVAL_S = 0.05
# Play's pace: a redraw covers more than one week when the machine cannot redraw this
# often (many students on two cores). At 10 weeks a second a year goes by in five
# seconds; 12 leaves a margin.
PLAY_WEEKS_PER_S = 12.0
CHAIN_HEIGHT = 392
SIDE_CHART_HEIGHT = 352
POLICY_CONTROLS = policy_controls()
CUSTOMER_CHARTS = ("whale", "tiers")  # drawn from the customer ledgers


WORLD_DEFAULTS = world_defaults()


def world_model(world: dict[str, Any], weeks_per_step: int = 1) -> DashboardModel:
    """A solo session's model from its starting-world settings."""
    return DashboardModel(weeks_per_step=weeks_per_step, **world)


@dataclass(frozen=True)
class GroupLink:
    """A session that belongs to a group of a class (None for a student alone)."""

    room: ClassRoom
    record: GroupRecord


def _round_label(model: DashboardModel) -> str:
    return f"round {model.round + 1}"


# ------------------------------------------------------------------- run bar


@component
def RunBar(
    model: solara.Reactive[DashboardModel],
    version: solara.Reactive[int],
    playing: solara.Reactive[bool],
    link: solara.Reactive[GroupLink | None],
    on_reset: Callable[[], None] | None,
    pending_world: int,
) -> None:
    """Where the run stands, and Step / Play / Pause / Reset (or "Play round n" in a class)."""
    version.value  # noqa: B018 - re-render at every step
    m = model.value
    group = link.value
    problem = solara.use_reactive("")
    bump = use_bump(version)

    def class_state() -> ClassState | None:
        return group.room.state() if group is not None else None

    # The teacher opens and closes rounds in another session: read the class every 2 s
    # (and at once after each round played here).
    state = use_poll(class_state, 2.0, key=(group.room.code if group else "", m.round))

    def step() -> None:
        if group is not None:
            _play_round(model, bump, link, problem)
        else:
            m.step()
            bump()

    with solara.Row(classes=["spc-top"], gap="10px", style={"align-items": "center"}):
        solara.Text("Service-profit chain", classes=["spc-title"])
        where = []
        if group is not None:
            where.append(f"class {group.room.code} · group {group.record.name}")
        where.append(f"week {m.week} of {m.horizon}")
        if m.classroom:
            where.append(f"{m.round} round{'s' if m.round != 1 else ''} played")
        solara.Text(" · ".join(where), classes=["spc-status"])
        if not m.running:
            solara.Text(
                f"The run has reached its end (week {m.horizon})."
                + (" Press Reset to start a new one." if group is None else ""),
                classes=["spc-end"],
            )
        if group is not None and state is not None:
            upcoming = m.round + 1
            allowed = state.may_play(upcoming) and m.running
            solara.Button(
                f"Play round {upcoming}",
                on_click=step,
                color="primary",
                disabled=not allowed,
                classes=["spc-step"],
            )
            if m.running and not allowed:
                why = (
                    "Your teacher has paused the class."
                    if state.closed
                    else f"Round {upcoming} opens when your teacher says so."
                )
                solara.Text(why, classes=["spc-wait"])
        else:
            step_words = "Play round" if m.classroom else "Step"
            solara.Button(
                step_words if not m.classroom else f"{step_words} {m.round + 1}",
                on_click=step,
                color="primary",
                disabled=playing.value or not m.running,
                classes=["spc-step"],
            )
            if playing.value:
                solara.Button(
                    "❚❚ Pause", on_click=lambda: playing.set(False), classes=["spc-pause"]
                )
            else:
                solara.Button(
                    "▶ Play",
                    on_click=lambda: playing.set(True),
                    disabled=not m.running,
                    classes=["spc-play"],
                )
            if on_reset is not None:
                solara.Button(
                    f"Reset (applies {pending_world} change{'s' if pending_world != 1 else ''})"
                    if pending_world
                    else "Reset",
                    on_click=on_reset,
                    color="warning" if pending_world else None,
                    classes=["spc-reset"],
                )
        if problem.value:
            solara.Text(problem.value, classes=["spc-problem"])


def _play_round(
    model: solara.Reactive[DashboardModel],
    bump: Callable[[], None],
    link: solara.Reactive[GroupLink | None],
    problem: solara.Reactive[str],
) -> None:
    """Play the group's next round if the teacher allows it, then save it to disk."""
    group = link.value
    assert group is not None
    m = model.value
    if not group.room.state().may_play(m.round + 1):
        problem.set("This round is not open: wait for your teacher.")
        bump()
        return
    played_from = m.week
    m.step()
    record = dataclasses.replace(
        group.record, week=m.week, decisions=[(w, dict(c)) for w, c in m.world.policy_log]
    )
    snap = m.snapshot()
    try:
        group.room.save_group(
            record, m.rounds(), weekly_table(snap.weekly, snap.twin_weekly), played_from
        )
    except ClassroomError as exc:
        problem.set(str(exc))
    else:
        problem.set("")
        link.set(GroupLink(group.room, record))
    bump()


def play_weeks(weeks_per_step: int, last_tick_s: float) -> int:
    """Weeks the next redraw of Play covers: the chosen step, or more on a busy machine.

    A redraw costs far more than a week of the model, so when the last step and redraw
    took longer than ``1 / PLAY_WEEKS_PER_S`` per week, the next one covers as many
    weeks as keep Play at ``PLAY_WEEKS_PER_S`` (every week still reaches the charts).

    >>> play_weeks(1, 0.05), play_weeks(1, 0.25), play_weeks(4, 0.05), play_weeks(1, 9.0)
    (1, 3, 4, 13)
    """
    needed = math.ceil(PLAY_WEEKS_PER_S * last_tick_s - 1e-9)
    return max(weeks_per_step, min(WEEKS_PER_ROUND, needed))


def use_play(
    model: solara.Reactive[DashboardModel],
    version: solara.Reactive[int],
    playing: solara.Reactive[bool],
) -> None:
    """Step the model in a thread while ``playing``, one redraw per step, to the horizon."""
    bump = use_bump(version)

    def play(cancel: threading.Event) -> None:
        last_tick = PLAY_INTERVAL_S
        while playing.value and not cancel.is_set():
            m = model.value
            if not m.running:
                playing.set(False)
                return
            started = time.perf_counter()
            m.advance(play_weeks(m.weeks_per_step, last_tick))
            bump()
            cancel.wait(max(0.0, PLAY_INTERVAL_S - (time.perf_counter() - started)))
            last_tick = time.perf_counter() - started

    # Not intrusive: a week is never interrupted half-way.
    solara.use_thread(play, dependencies=[playing.value, model.value], intrusive_cancel=False)


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
    running = _running_world(model.value)
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


def _running_world(m: DashboardModel) -> dict[str, Any]:
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
    running = _running_world(m)
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


# ------------------------------------------------------------------ results


@component
def ChainChart(model: solara.Reactive[DashboardModel], version: solara.Reactive[int]) -> None:
    """The chain, employee satisfaction down to profit, beside the twin in classroom mode."""
    version.value  # noqa: B018 - redraw at every step
    snap = model.value.snapshot()
    chart = solara.use_memo(
        lambda: chart_data("chain", snap, CHAIN_HEIGHT), [id(model.value), snap.version]
    )
    with solara.Div(classes=["spc-card", "spc-chain"]):
        LiveChart(chart, height=CHAIN_HEIGHT, classes=["spc-chart-chain"])


@component
def MoreCharts(model: solara.Reactive[DashboardModel], version: solara.Reactive[int]) -> None:
    """The other charts, one at a time behind tabs (only the one shown is computed)."""
    names = [n for n in CHARTS if n != "chain"]
    chosen = solara.use_reactive(names[0])
    with solara.Div(classes=["spc-card", "spc-more"]):
        with solara.ToggleButtonsSingle(value=chosen, classes=["spc-tabs"]):
            for name in names:
                solara.Button(CHARTS[name][0], value=name, text=True, small=True)
        SideChart(model, version, chosen.value)


@component
def SideChart(
    model: solara.Reactive[DashboardModel], version: solara.Reactive[int], name: str
) -> None:
    """The chart of the chosen tab (the tabs themselves are not redrawn at each step)."""
    version.value  # noqa: B018 - redraw at every step
    snap = model.value.snapshot(customers=name in CUSTOMER_CHARTS)
    chart = solara.use_memo(
        lambda: chart_data(name, snap, SIDE_CHART_HEIGHT), [id(model.value), snap.version, name]
    )
    LiveChart(chart, height=SIDE_CHART_HEIGHT, classes=[f"spc-chart-{name}"])


@component
def Results(
    model: solara.Reactive[DashboardModel],
    version: solara.Reactive[int],
    decided: solara.Reactive[int],
) -> None:
    """The rounds beside the twin (or the decisions so far), and the downloads."""
    m = model.value
    if m.classroom:
        version.value  # noqa: B018 - a step is a round: a new row at every step
    else:
        decided.value  # noqa: B018 - a new row at every decision, not at every week
    snap = m.snapshot()
    stem = f"{m.start_scenario.name if m.start_scenario else 'standard'}_seed{m.config.seed}"
    with solara.Div(classes=["spc-card", "spc-results"]):
        if m.classroom:
            solara.Text(
                "Rounds: you and your twin (the same world without your decisions)",
                classes=["spc-card-title"],
            )
            rounds = m.rounds()
            if rounds.empty:
                html_block(
                    "<p class='spc-help'>No round played yet: make your decisions, then "
                    "play round 1.</p>"
                )
            else:
                said: dict[int, list[str]] = {}
                for week, change in snap.policy_log:
                    said.setdefault(week // WEEKS_PER_ROUND + 1, []).append(decision_text(change))
                html_block(
                    rounds_html(rounds, {r: "; ".join(t) for r, t in said.items()}),
                    classes=["spc-table"],
                )
        else:
            solara.Text("Decisions so far", classes=["spc-card-title"])
            if not snap.policy_log:
                html_block("<p class='spc-help'>No decision yet: change a policy on the left.</p>")
            else:
                html_block(decisions_html(snap.policy_log), classes=["spc-table"])
        with solara.Row(gap="4px", classes=["spc-downloads"]):
            if m.classroom:
                solara.FileDownload(m.rounds_csv, filename=f"rounds_{stem}.csv", label="rounds.csv")
            solara.FileDownload(
                m.decisions_csv, filename=f"decisions_{stem}.csv", label="decisions.csv"
            )
            solara.FileDownload(m.weekly_csv, filename=f"weekly_{stem}.csv", label="weekly.csv")


# ---------------------------------------------------------------- the screen


@component
def StudentScreen(
    model: solara.Reactive[DashboardModel],
    link: solara.Reactive[GroupLink | None],
    scenarios: list[str],
) -> None:
    """The whole student screen for one session's model."""
    version = solara.use_reactive(0)  # every step and decision
    decided = solara.use_reactive(0)  # every decision
    playing = solara.use_reactive(False)
    world = solara.use_reactive(_running_world(model.value))
    weeks_per_step = solara.use_reactive(model.value.weeks_per_step)
    failure = solara.use_reactive("")
    bump = use_bump(version)
    use_play(model, version, playing)

    def reset() -> None:
        playing.set(False)
        try:
            fresh = world_model(world.value, weeks_per_step.value)
        except ConfigError as exc:
            failure.set(str(exc))
            return
        failure.set("")
        model.set(fresh)
        bump()

    solo = link.value is None
    with solara.Div(classes=["spc-app"]):
        RunBar(
            model,
            version,
            playing,
            link,
            reset if solo else None,
            pending_world_changes(world.value, model.value) if solo else 0,
        )
        if failure.value:
            solara.Error(failure.value)
        with solara.Div(classes=["spc-body"]):
            with solara.Div(classes=["spc-side"]):
                PolicyPanel(model, version, decided, link)
                if solo:
                    WorldPanel(world, model, weeks_per_step, scenarios)
                SourcesPanel()
            with solara.Div(classes=["spc-main"]):
                with solara.Div(classes=["spc-charts"]):
                    ChainChart(model, version)
                    MoreCharts(model, version)
                Results(model, version, decided)
