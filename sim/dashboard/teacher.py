"""The teacher's view, in the spirit of NetLogo's HubNet: a class run from one screen.

The teacher opens a class, paces its rounds, sees every group's rounds side by side,
debriefs against the twins and exports everything. The view reads the class folder
(``sim.dashboard.classroom``) every two seconds, so it shows groups playing in other
browser sessions, and works the same after a reload or a server restart.
"""

from __future__ import annotations

import dataclasses
import html
from dataclasses import dataclass
from typing import Any, cast

import pandas as pd

from sim.dashboard.charts import group_chart
from sim.dashboard.classroom import (
    ClassRoom,
    ClassroomError,
    ClassSettings,
    ClassState,
    GroupRecord,
    classes_dir,
)
from sim.dashboard.controls import NO_SCENARIO, SCENARIO_WORDS
from sim.dashboard.entries import MAX_SEED, Limits, world_limits
from sim.dashboard.fields import NumberEntry
from sim.dashboard.livechart import LiveChart
from sim.dashboard.tables import decisions_in_words, fmt, round_column_words
from sim.dashboard.timeseries import MONEY, NUMBER
from sim.dashboard.ui import component, html_block, solara, use_poll

__all__ = [
    "DEBRIEF_METRICS",
    "ClassBoard",
    "ClassView",
    "OpenClass",
    "TeacherClass",
    "TeacherPage",
    "class_view",
    "groups_html",
]

REFRESH_S = 2.0
DEBRIEF_HEIGHT = 300

# Results a debrief compares, as differences from each group's twin: (words, axis).
DEBRIEF_METRICS: dict[str, tuple[str, str]] = {
    column: (f"{round_column_words(column)}, minus the twin's", axis)
    for column, axis in (
        ("cumulative_profit", MONEY),
        ("customers_focal", NUMBER),
        ("customer_satisfaction", NUMBER),
        ("employee_satisfaction", NUMBER),
        ("employee_headcount", NUMBER),
        ("profit", MONEY),
    )
}


@dataclass(frozen=True)
class ClassView:
    """What the teacher's screen shows, read from disk (equal when nothing changed)."""

    state: ClassState
    groups: tuple[GroupRecord, ...]
    progress: tuple[tuple[str, int, int], ...]  # (group, week, number of decisions)


def class_view(room: ClassRoom) -> ClassView:
    """The class as it stands on disk."""
    groups = tuple(room.groups())
    return ClassView(
        room.state(), groups, tuple((g.name, g.week, len(g.decisions)) for g in groups)
    )


def groups_html(
    groups: tuple[GroupRecord, ...], rounds: dict[str, pd.DataFrame], metric: str
) -> str:
    """Every group's rounds side by side: a column per group, a row per round.

    Each cell gives the round's decisions in words and the chosen result minus the
    group's twin (the effect of the group's decisions so far).
    """
    if not groups:
        return "<p class='spc-help'>No group has joined yet.</p>"
    n_rounds = max((len(t) for t in rounds.values()), default=0)
    head = "<th>round</th>" + "".join(
        f"<th>{html.escape(g.name)}<br><span class='spc-help'>seed {g.seed}, "
        f"{g.week // 13} round{'s' if g.week // 13 != 1 else ''}</span></th>"
        for g in groups
    )
    body = []
    for r in range(1, n_rounds + 1):
        cells = [f"<td>{r}</td>"]
        for g in groups:
            table = rounds.get(g.name, pd.DataFrame())
            hit = table[table["round"] == r] if "round" in table.columns else table
            if hit.empty:
                cells.append("<td class='spc-help'>-</td>")
                continue
            row = hit.iloc[0]
            diff = float(row.get(f"{metric}_difference", float("nan")))
            sign = "+" if diff > 0 else ""
            tone = "spc-up" if diff > 0 else "spc-down" if diff < 0 else ""
            said = html.escape(decisions_in_words(str(row.get("decisions", ""))))
            cells.append(
                f"<td><span class='{tone}'>{sign}{fmt(diff)}</span>"
                + (f"<br><span class='spc-words'>{said}</span>" if said else "")
                + "</td>"
            )
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (
        f"<table class='spc-rounds-table spc-groups'><thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table>"
    )


@component
def TeacherClass(code: str) -> None:
    """One class, or why it cannot be shown."""
    try:
        room = ClassRoom.open(code)
    except ClassroomError as exc:
        solara.Error(str(exc))
    else:
        ClassBoard(room)


@component
def ClassBoard(room: ClassRoom) -> None:
    """One class: pace, groups side by side, debrief chart, export."""
    refresh = solara.use_reactive(0)
    metric = solara.use_reactive("cumulative_profit")
    view = use_poll(lambda: class_view(room), REFRESH_S, key=(room.code, refresh.value))
    rounds = solara.use_memo(
        lambda: {g.name: room.rounds(g.slug) for g in view.groups}, [view.progress]
    )
    state = view.state
    played = max((g.week // 13 for g in view.groups), default=0)

    def open_next() -> None:
        room.open_round(state.open_round + 1)
        refresh.set(refresh.value + 1)

    def close() -> None:
        room.close_round()
        refresh.set(refresh.value + 1)

    title, axis = DEBRIEF_METRICS[metric.value]
    chart = solara.use_memo(
        lambda: group_chart(
            {name: table for name, table in rounds.items() if not table.empty},
            f"{metric.value}_difference",
            title,
            axis,
        ),
        [view.progress, metric.value],
    )
    s = state.settings
    with solara.Div(classes=["spc-app", "spc-teacher"]):
        with solara.Row(classes=["spc-top"], gap="10px", style={"align-items": "center"}):
            solara.Text(f"Teacher view · class {room.code}", classes=["spc-title"])
            if state.open_round == 0:
                pace = "no round open yet"
            elif state.closed:
                pace = f"round {state.open_round} closed: nobody can play"
            else:
                pace = f"round {state.open_round} open"
            solara.Text(
                f"{pace} · {len(view.groups)} group{'s' if len(view.groups) != 1 else ''}",
                classes=["spc-status"],
            )
            solara.Button(
                f"Open round {state.open_round + 1}",
                on_click=open_next,
                color="primary",
                classes=["spc-open-round"],
            )
            solara.Button(
                f"Close round {state.open_round}",
                on_click=close,
                disabled=state.closed or state.open_round == 0,
                classes=["spc-close-round"],
            )
        with solara.Div(classes=["spc-main"]):
            scenario = "the standard world" if s.scenario_name == NO_SCENARIO else s.scenario_name
            seeds = (
                f"each group its own seed from {s.first_seed}"
                if s.seed_per_group
                else f"every group seed {s.first_seed}"
            )
            html_block(
                f"<p>Students open this address without <code>/teacher</code>, type the class "
                f"code <b class='spc-code'>{room.code}</b> and their group's name. World: "
                f"{html.escape(scenario)}, {s.n_customers:,} people, {s.n_employees} "
                f"employees, {seeds}. Furthest group: round {played}.</p>",
                classes=["spc-help"],
            )
            with solara.Div(classes=["spc-charts"]):
                with solara.Div(classes=["spc-card"]):
                    words = {v[0]: k for k, v in DEBRIEF_METRICS.items()}
                    solara.Select(
                        "compare groups by",
                        values=list(words),
                        value=DEBRIEF_METRICS[metric.value][0],
                        on_value=lambda w: metric.set(words[w]),
                        dense=True,
                    )
                    LiveChart(chart, height=DEBRIEF_HEIGHT, classes=["spc-chart-debrief"])
                with solara.Div(classes=["spc-card", "spc-results"]):
                    solara.Text(
                        f"Groups side by side: {title}, and each round's decisions",
                        classes=["spc-card-title"],
                    )
                    html_block(
                        groups_html(view.groups, rounds, metric.value), classes=["spc-table"]
                    )
                    with solara.Row(gap="4px", classes=["spc-downloads"]):
                        solara.FileDownload(
                            room.export_csv,
                            filename=f"class_{room.code}_rounds.csv",
                            label="class CSV",
                        )
                        solara.FileDownload(
                            room.export_parquet,
                            filename=f"class_{room.code}_rounds.parquet",
                            label="class Parquet",
                        )


@component
def OpenClass(scenarios: list[str]) -> None:
    """Open a new class (its world for every group) or go back to one."""
    router = solara.use_router()
    code = solara.use_reactive("")
    scenario = solara.use_reactive(NO_SCENARIO)
    sizes = solara.use_reactive(dataclasses.asdict(ClassSettings()))
    bad = solara.use_reactive(cast(dict[str, str], {}))
    failure = solara.use_reactive("")

    def put(name: str) -> Any:
        def set_value(value: Any) -> None:
            sizes.set({**sizes.value, name: value})
            bad.set({k: v for k, v in bad.value.items() if k != name})

        return set_value

    def refuse(name: str) -> Any:
        return lambda message: bad.set({**bad.value, name: message})

    def create() -> None:
        if bad.value:
            failure.set("Fix the fields marked in red first.")
            return
        settings = ClassSettings(
            scenario_name=scenario.value,
            n_customers=int(sizes.value["n_customers"]),
            n_employees=int(sizes.value["n_employees"]),
            first_seed=int(sizes.value["first_seed"]),
            seed_per_group=bool(sizes.value["seed_per_group"]),
        )
        try:
            room = ClassRoom.create(settings, code=code.value.strip())
        except ClassroomError as exc:
            failure.set(str(exc))
            return
        router.push(f"/teacher?class={room.code}")

    folder = classes_dir()
    existing = (
        sorted(p.name for p in folder.iterdir() if (p / "class.json").is_file())
        if folder.is_dir()
        else []
    )
    with solara.Div(classes=["spc-app", "spc-teacher"]):
        with solara.Row(classes=["spc-top"]):
            solara.Text("Teacher view: open a class", classes=["spc-title"])
        with solara.Div(classes=["spc-card", "spc-form"]):
            html_block(
                "<p class='spc-help'>Every group plays the same starting world, each beside "
                "its own no-change twin. Leave the code empty for a new one.</p>"
            )
            solara.InputText(
                "class code (optional)", value=code, dense=True, continuous_update=True
            )
            names = [NO_SCENARIO, *scenarios]
            words = [SCENARIO_WORDS.get(n, n) for n in names]
            solara.Select(
                "scenario (starting world)",
                values=words,
                value=words[names.index(scenario.value)],
                on_value=lambda w: scenario.set(names[words.index(w)]),
                dense=True,
            )
            for name, title in (
                ("n_customers", "people in the market"),
                ("n_employees", "employees"),
            ):
                NumberEntry(
                    title,
                    sizes.value[name],
                    world_limits(name),
                    put(name),
                    refuse(name),
                    bad.value.get(name, ""),
                    suffix="people",
                    title=title,
                )
            NumberEntry(
                "first seed",
                sizes.value["first_seed"],
                Limits(0, MAX_SEED, integer=True),
                put("first_seed"),
                refuse("first_seed"),
                bad.value.get("first_seed", ""),
                slider=False,
                title="seed of the first group",
            )
            solara.Checkbox(
                label="each group its own seed (first seed, +1, +2, ...)",
                value=sizes.value["seed_per_group"],
                on_value=put("seed_per_group"),
            )
            solara.Button("Open the class", on_click=create, color="primary")
            if failure.value:
                solara.Error(failure.value)
        if existing:
            with solara.Div(classes=["spc-card"]):
                solara.Text("Classes on this server", classes=["spc-card-title"])
                with solara.Row(gap="4px", style={"flex-wrap": "wrap"}):
                    for name in existing:
                        solara.Button(
                            name,
                            on_click=lambda name=name: router.push(f"/teacher?class={name}"),
                            text=True,
                        )
        html_block(
            f"<p class='spc-help'>Classes are kept in {html.escape(str(folder))} and survive "
            "a restart of the server.</p>"
        )


def query(search: str | None) -> dict[str, str]:
    """The page address' query (``class=ABC&group=Red``) as a dictionary."""
    from urllib.parse import parse_qsl

    return dict(parse_qsl(search or ""))


@component
def TeacherPage(scenarios: list[str]) -> None:
    """``/teacher``: a class's view, or the form to open one."""
    router = solara.use_router()
    code = query(router.search).get("class", "")
    if code:
        TeacherClass(code)
    else:
        OpenClass(scenarios)
