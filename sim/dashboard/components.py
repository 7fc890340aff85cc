"""The dashboard's pages: students join a class (or play alone); the teacher runs it.

- ``/``: a student types the class code and the group's name; the address then holds
  both (``/?class=ABCDE&group=Red``), so a reload finds the group's rounds on disk.
  ``/?solo=1`` plays alone, with the starting world chosen on the screen.
- ``/teacher``: open a class, pace its rounds, compare groups, export
  (``sim.dashboard.teacher``).

Every browser tab is its own session with its own model: thirty students, thirty worlds.
"""

from __future__ import annotations

from typing import Any, cast

from sim.config import ConfigError
from sim.dashboard.classroom import ClassRoom, ClassroomError, GroupLink
from sim.dashboard.scenarios import usable_scenarios
from sim.dashboard.session import DashboardModel
from sim.dashboard.sidebar import WORLD_DEFAULTS, world_model
from sim.dashboard.student import StudentScreen
from sim.dashboard.teacher import TeacherPage, query
from sim.dashboard.ui import component, html_block, solara

__all__ = [
    "CSS",
    "SCENARIOS",
    "GroupScreen",
    "GroupSession",
    "JoinClass",
    "Layout",
    "Page",
    "SoloSession",
    "Teacher",
    "group_model",
]

TITLE = "Service-profit chain"
# Scenarios are read once, when the server starts (restart it to pick up new files).
SCENARIOS = list(usable_scenarios())

# One screen at 1366x768: run bar on top, decisions left, chain and rounds right. Below
# 1000 px the columns stack (nothing hides behind a menu); the page scrolls instead.
CSS = """
.spc-app { display: flex; flex-direction: column; height: 100vh; font-size: 14px; }
.spc-top { flex-wrap: wrap; padding: 4px 12px; border-bottom: 1px solid #ddd;
  background: #f5f6fa; min-height: 48px; }
.spc-title { font-weight: 700; font-size: 16px; }
.spc-status { font-weight: 600; }
.spc-end, .spc-wait, .spc-problem { color: #b45309; font-weight: 600; }
.spc-body { flex: 1; min-height: 0; display: grid; grid-template-columns: 340px minmax(0, 1fr); }
.spc-side { overflow-y: auto; border-right: 1px solid #ddd; padding: 6px 8px; }
.spc-main { overflow-y: auto; padding: 6px 8px; display: flex; flex-direction: column; gap: 6px; }
.spc-charts { display: grid; grid-template-columns: minmax(0, 1.1fr) minmax(0, 1fr); gap: 6px; }
.spc-card { border: 1px solid #e2e2e2; border-radius: 4px; padding: 4px 6px; background: white; }
.spc-card-title { font-weight: 600; }
.spc-help { font-size: 12px; color: #555; margin: 2px 0; }
.spc-help p { margin: 2px 0; }
.spc-field { margin: 2px 0 6px 0; }
.spc-field-title { font-size: 13px; }
.spc-entry .v-input__slider { flex: 1 1 auto; margin-top: 0; }
.spc-entry .v-input__slot { margin-bottom: 0; }
.spc-number { flex: 0 0 120px; max-width: 120px; }
.spc-number-bare .v-label { opacity: 0; }
.spc-number-labelled { flex: 1 1 50px; }
.spc-field-error { display: block; font-size: 12px; color: #b91c1c; }
.spc-pending-world { font-size: 12px; color: #b45309; }
.spc-results { min-height: 0; }
.spc-table { max-height: 250px; overflow: auto; }
.spc-rounds-table { font-size: 12px; border-collapse: collapse; width: 100%; }
.spc-rounds-table td, .spc-rounds-table th { padding: 1px 6px; text-align: right;
  border-bottom: 1px solid #eee; white-space: nowrap; }
.spc-rounds-table .spc-words { text-align: left; white-space: normal; min-width: 140px; }
.spc-rounds-table td:first-child { text-align: left; }
.spc-groups td { text-align: left; vertical-align: top; }
.spc-twin { color: #666; }
.spc-up { color: #15803d; font-weight: 600; }
.spc-down { color: #b91c1c; font-weight: 600; }
.spc-downloads .v-btn { font-size: 12px; }
.spc-tabs { flex-wrap: wrap; height: auto !important; }
.spc-tabs .v-btn { font-size: 12px; text-transform: none; height: 28px !important; }
.spc-form { max-width: 520px; margin: 12px; display: flex; flex-direction: column;
  gap: 10px; }
.spc-code { font-size: 18px; letter-spacing: 2px; }
.v-expansion-panel-header { min-height: 36px !important; padding: 6px 10px; }
.v-expansion-panel-content__wrap { padding: 0 8px 6px 8px; }
@media (max-width: 1000px) {
  .spc-app { height: auto; }
  .spc-body { grid-template-columns: minmax(0, 1fr); }
  .spc-side { border-right: none; overflow: visible; }
  .spc-main { overflow: visible; }
  .spc-charts { grid-template-columns: minmax(0, 1fr); }
}
"""


@component
def Layout(children: list[Any] = []) -> None:  # noqa: B006 - Solara's layout signature
    """Solara's app layout without its bar and navigation: the pages bring their own."""
    solara.Title(TITLE)
    solara.Style(CSS)
    solara.AppLayout(children=children, navigation=False)


def group_model(room: ClassRoom, name: str) -> tuple[DashboardModel, GroupLink]:
    """A group's model, rebuilt from the class's world and the group's decisions on disk."""
    record = room.join(name)
    s = room.state().settings
    model = DashboardModel(
        scenario_name=s.scenario_name,
        classroom=True,
        n_customers=s.n_customers,
        n_employees=s.n_employees,
        seed=record.seed,
    )
    model.replay(record.decisions, record.week)
    return model, GroupLink(room, record)


@component
def GroupSession(code: str, group: str) -> None:
    """A group of a class: its world rebuilt from disk, then played round by round."""

    def load() -> tuple[DashboardModel, GroupLink] | str:
        try:
            return group_model(ClassRoom.open(code), group)
        except (ClassroomError, ConfigError) as exc:
            return str(exc)

    loaded = solara.use_memo(load, [code, group])
    if isinstance(loaded, str):
        JoinClass(problem=loaded)
    else:
        GroupScreen(*loaded)


@component
def GroupScreen(model: DashboardModel, link: GroupLink) -> None:
    """The student screen of a group whose model is loaded."""
    StudentScreen(
        solara.use_reactive(model), solara.use_reactive(cast(GroupLink | None, link)), SCENARIOS
    )


@component
def SoloSession() -> None:
    """A student alone: the starting world is chosen on the screen."""
    first = solara.use_memo(lambda: world_model(WORLD_DEFAULTS), [])
    model = solara.use_reactive(first)
    link = solara.use_reactive(cast(GroupLink | None, None))
    StudentScreen(model, link, SCENARIOS)


@component
def JoinClass(problem: str = "") -> None:
    """Type the class code and the group's name (or play alone)."""
    router = solara.use_router()
    code = solara.use_reactive(query(router.search).get("class", ""))
    name = solara.use_reactive(query(router.search).get("group", ""))
    failure = solara.use_reactive(problem)

    def join() -> None:
        from urllib.parse import urlencode

        try:
            room = ClassRoom.open(code.value)
            room.join(name.value)
        except ClassroomError as exc:
            failure.set(str(exc))
            return
        router.push("/?" + urlencode({"class": room.code, "group": " ".join(name.value.split())}))

    with solara.Div(classes=["spc-app"]):
        with solara.Row(classes=["spc-top"]):
            solara.Text(f"{TITLE}: join your class", classes=["spc-title"])
        with solara.Div(classes=["spc-card", "spc-form"]):
            html_block(
                "<p>Type the class code your teacher shows and your group's name. Your "
                "group's rounds are kept: reopen this page with the same code and name to "
                "carry on.</p>"
            )
            solara.InputText("class code", value=code, dense=True, continuous_update=True)
            solara.InputText("group name", value=name, dense=True, continuous_update=True)
            solara.Button("Join", on_click=join, color="primary")
            if failure.value:
                solara.Error(failure.value)
            solara.Button(
                "or play on your own (no class)",
                on_click=lambda: router.push("/?solo=1"),
                text=True,
            )
            html_block(
                "<p class='spc-help'>Teachers: open <a href='teacher'>the teacher view</a>.</p>"
            )


@component
def Page() -> None:
    """``/``: a group's screen, a solo screen, or the form to join a class."""
    router = solara.use_router()
    q = query(router.search)
    if q.get("class") and q.get("group"):
        GroupSession(q["class"], q["group"]).key(f"{q['class']}/{q['group']}")
    elif q.get("solo"):
        SoloSession()
    else:
        JoinClass()


@component
def Teacher() -> None:
    """``/teacher``."""
    TeacherPage(SCENARIOS)
