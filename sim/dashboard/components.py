"""Solara components of the teaching dashboard, and its ``Page``.

``Page`` builds one ``DashboardModel`` per browser session (a class of 30 students gets 30
worlds) and hands it to Mesa's ``SolaraViz``, which supplies Step, Play/Pause, Reset and
the starting-world inputs. Beside them, in the sidebar, the policy panel changes the
students' policies from the next week on; the main area holds the charts and the debrief.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any, cast

import pandas as pd
import solara as _solara
from mesa.visualization import SolaraViz
from mesa.visualization import solara_viz as _solara_viz
from mesa.visualization.utils import force_update, update_counter

from sim.config import ConfigError
from sim.dashboard.controls import (
    Control,
    ControlKind,
    current_policy,
    model_params,
    pending_changes,
    policy_controls,
)
from sim.dashboard.figures import CHARTS, png
from sim.dashboard.scenarios import usable_scenarios
from sim.dashboard.session import DashboardModel

__all__ = [
    "CHART_COMPONENTS",
    "COMPONENTS",
    "MODEL_PARAMS",
    "ChainChart",
    "ChartView",
    "CumulativeProfitChart",
    "CustomersChart",
    "Debrief",
    "Page",
    "PolicyInput",
    "PolicyPanel",
    "SessionCards",
    "SessionSidebar",
    "Status",
    "TierChart",
    "WhaleChart",
    "WorkforceChart",
    "component",
    "grid_layout",
    "html_table",
    "initial_model_kwargs",
]

# Solara ships annotations, but its star re-exports do not resolve under mypy; the module is
# used untyped here, and each component keeps its own signature through ``component``.
solara: Any = _solara

TITLE = "Service-profit chain: teaching dashboard"
PLAY_INTERVAL_MS = 300
# Scenarios are read once, when the server starts (restart it to pick up new files).
SCENARIOS = usable_scenarios()
MODEL_PARAMS: dict[str, Any] = model_params(list(SCENARIOS))

CSS = """
.spc-card { height: 100%; overflow: auto; }
.spc-card img { max-width: 100%; height: auto; }
.spc-help { font-size: 0.8em; color: #666; }
.spc-status { font-weight: 600; }
.spc-table table { font-size: 0.8em; border-collapse: collapse; }
.spc-table td, .spc-table th { padding: 1px 8px; text-align: right; border-bottom: 1px solid #ddd; }
.spc-table td:nth-child(2), .spc-table th:nth-child(2) { text-align: left; }
"""


def component[F: Callable[..., Any]](func: F) -> F:
    """``solara.component`` with its type kept for the type checker."""
    return cast(F, solara.component(func))


def initial_model_kwargs() -> dict[str, Any]:
    """The ``DashboardModel`` arguments of a new session: the inputs' initial values."""
    return {
        name: spec["value"]
        for name, spec in MODEL_PARAMS.items()
        if isinstance(spec, dict) and "type" in spec
    }


# ------------------------------------------------------------------ charts


_DRAW = dict(CHARTS)


@component
def ChartView(model: DashboardModel, name: str) -> None:
    """One chart of the session, redrawn only when the model stepped or changed policy."""
    update_counter.get()
    snap = model.snapshot()
    image = solara.use_memo(lambda: png(_DRAW[name](snap)), [id(model), snap.version, name])
    with solara.Card(margin=0, classes=["spc-card", f"spc-chart-{name}"]):
        solara.Image(image, format="png")


@component
def ChainChart(model: DashboardModel) -> None:
    """The chain: employee satisfaction, service quality, customer satisfaction, ..., profit."""
    ChartView(model, "chain")


@component
def CumulativeProfitChart(model: DashboardModel) -> None:
    """Cumulative profit."""
    ChartView(model, "cumulative_profit")


@component
def CustomersChart(model: DashboardModel) -> None:
    """Customers by firm."""
    ChartView(model, "customers_by_firm")


@component
def WorkforceChart(model: DashboardModel) -> None:
    """Employee headcount, hires, quits and layoffs."""
    ChartView(model, "workforce")


@component
def WhaleChart(model: DashboardModel) -> None:
    """The whale curve."""
    ChartView(model, "whale_curve")


@component
def TierChart(model: DashboardModel) -> None:
    """Profit by value quintile."""
    ChartView(model, "profit_by_tier")


CHART_COMPONENTS = [
    ChainChart,
    CumulativeProfitChart,
    CustomersChart,
    WorkforceChart,
    WhaleChart,
    TierChart,
]


def _html(text: str, classes: list[str] | None = None) -> None:
    """A block of our own HTML (``solara.Markdown`` would fetch KaTeX from a CDN)."""
    solara.HTML(tag="div", unsafe_innerHTML=text, classes=classes or [])


def _cell(value: Any) -> str:
    if isinstance(value, float):
        if value != value:  # NaN: the twin has no such week yet
            return "-"
        if abs(value) >= 100 or value.is_integer():
            return f"{value:,.0f}"
        return f"{value:.3f}"
    return html.escape(str(value)) or "-"


def html_table(frame: pd.DataFrame, columns: list[str], headers: list[str]) -> str:
    """Rows of ``frame`` as an HTML table (numbers rounded for reading, text escaped)."""
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{_cell(row[c])}</td>" for c in columns) + "</tr>"
        for _, row in frame.iterrows()
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


# Rounds table columns shown on screen (the CSV has every metric).
_ROUND_VIEW = (
    ("profit", "profit"),
    ("customers_focal", "customers"),
    ("customer_satisfaction", "customer sat."),
    ("employee_satisfaction", "employee sat."),
    ("employee_headcount", "headcount"),
)


@component
def Debrief(model: DashboardModel) -> None:
    """Decisions so far and, in classroom mode, each round beside the twin; CSV downloads."""
    update_counter.get()
    start = model.start_scenario
    stem = f"{start.name if start else 'default'}_s{model.config.seed}"
    with solara.Card("Decisions and debrief", margin=0, classes=["spc-card", "spc-debrief"]):
        if model.classroom:
            rounds = model.rounds()
            if rounds.empty:
                _html("No round played yet: set your policies, then press <b>Step</b>.")
            else:
                columns = ["round", "decisions"]
                headers = ["round", "decisions at its start"]
                for metric, title in _ROUND_VIEW:
                    columns += [f"{metric}_students", f"{metric}_twin"]
                    headers += [f"{title}: you", "twin"]
                _html(html_table(rounds.tail(10), columns, headers), ["spc-table"])
            solara.FileDownload(
                model.rounds_csv,
                filename=f"classroom_{stem}_rounds.csv",
                label="Download rounds.csv (decisions and results, you vs twin)",
            )
        else:
            decisions = model.decisions()
            if decisions.empty:
                _html("No policy changed yet: the policy panel is in the sidebar.")
            else:
                _html(
                    html_table(
                        decisions.tail(12),
                        ["week", "key", "value"],
                        ["from week", "policy", "value"],
                    ),
                    ["spc-table"],
                )
        solara.FileDownload(
            model.decisions_csv,
            filename=f"dashboard_{stem}_decisions.csv",
            label="Download decisions.csv",
        )
        solara.FileDownload(
            model.weekly_csv,
            filename=f"dashboard_{stem}_weekly.csv",
            label="Download weekly.csv" + (" (you and twin)" if model.classroom else ""),
        )


COMPONENTS: list[Any] = [*CHART_COMPONENTS, Debrief]


def grid_layout(num_components: int) -> list[dict[str, Any]]:
    """Card positions (12 columns, rows of 40 px): the five-panel chain gets a tall card.

    SolaraViz 3.5.1 gives every card the same 6 x 10 cell; it looks this function up when
    it lays out a page, so the dashboard installs it in place of Mesa's.
    """
    if num_components != len(COMPONENTS):
        return list(_MESA_GRID_LAYOUT(num_components))
    # (x, y, w, h) of: chain, cumulative profit, customers, workforce, whale, tiers, debrief
    cells = [
        (0, 0, 6, 17),
        (6, 0, 6, 8),
        (6, 8, 6, 9),
        (0, 17, 6, 10),
        (6, 17, 6, 10),
        (0, 27, 12, 10),
        (0, 37, 12, 13),
    ]
    return [
        {"i": i, "x": x, "y": y, "w": w, "h": h, "moved": False}
        for i, (x, y, w, h) in enumerate(cells)
    ]


_MESA_GRID_LAYOUT = _solara_viz.make_initial_grid_layout
_solara_viz.make_initial_grid_layout = grid_layout


# ------------------------------------------------------------------ sidebar


@component
def Status(model: solara.Reactive[DashboardModel]) -> None:
    """Where the run stands: week, round, scenario and size."""
    update_counter.get()
    m = model.value
    cfg, start = m.config, m.start_scenario
    with solara.Card("Run", margin=0):
        text = f"week {m.week} of {m.horizon}"
        if m.classroom:
            text += f" · round {m.round} done"
        solara.Text(text, classes=["spc-status"])
        scenario = html.escape(start.name) if start else "none (schema defaults)"
        question = f" — {html.escape(start.question)}" if start and start.question else ""
        _html(
            f"<p>{cfg.market.n_customers:,} people in the market, "
            f"{cfg.workforce.n_employees:,} employees, seed {cfg.seed}; "
            f"scenario: {scenario}{question}</p>"
        )
        if m.classroom:
            _html(
                f"<p><b>Classroom rounds.</b> Set your policies for round {m.round + 1}, then "
                "press <b>Step</b> to play a quarter (13 weeks). The dark dashed lines are "
                "your no-change twin: the same world and seed without your decisions.</p>"
            )
        else:
            _html(
                f"<p>Each <b>Step</b> runs {m.weeks_per_step} week(s). Policy changes apply "
                "from the next week and show as dashed lines on the charts.</p>"
            )


@component
def PolicyInput(control: Control, value: Any, on_value: Callable[[Any], None]) -> None:
    """One policy input, generated from its schema field."""
    kind, label = control.kind, control.label
    with solara.Tooltip(control.help), solara.Div():
        if kind is ControlKind.slider_float:
            solara.SliderFloat(
                label,
                value=float(value),
                min=control.lo,
                max=control.hi,
                step=control.step,
                on_value=on_value,
            )
        elif kind is ControlKind.slider_int:
            solara.SliderInt(
                label,
                value=int(value),
                min=int(control.lo or 0),
                max=int(control.hi or 0),
                step=1,
                on_value=on_value,
            )
        elif kind is ControlKind.number_float:
            solara.InputFloat(label, value=float(value), on_value=on_value, continuous_update=False)
        elif kind is ControlKind.number_int:
            solara.InputInt(label, value=int(value), on_value=on_value, continuous_update=False)
        elif kind is ControlKind.checkbox:
            solara.Checkbox(label=label, value=bool(value), on_value=on_value)
        elif kind is ControlKind.select:
            solara.Select(label, values=list(control.options), value=value, on_value=on_value)
        else:
            values = list(value)
            solara.Text(label)
            for i, level in enumerate(values):

                def set_one(new: float, i: int = i) -> None:
                    on_value([*values[:i], float(new), *values[i + 1 :]])

                where = " (top)" if i == 0 else " (bottom)" if i == len(values) - 1 else ""
                solara.SliderFloat(
                    f"quintile {i + 1}{where}",
                    value=float(level),
                    min=control.lo,
                    max=control.hi,
                    step=control.step,
                    on_value=set_one,
                )


POLICY_CONTROLS = policy_controls()


@component
def PolicyPanel(model: solara.Reactive[DashboardModel]) -> None:
    """Every policy of the schema; changes apply to the students' world from the next week."""
    # No update_counter here: a step does not change policies, and redrawing some forty
    # inputs at every step would slow the session down.
    m = model.value
    draft = solara.use_reactive(cast(dict[str, Any], {}))
    error = solara.use_reactive("")
    solara.use_effect(lambda: draft.set({}), [m])
    now = current_policy(m.policy)
    pending = pending_changes(draft.value, m.policy)

    def setter(key: str) -> Callable[[Any], None]:
        def set_value(value: Any) -> None:
            draft.set({**draft.value, key: value})

        return set_value

    def apply() -> None:
        try:
            m.set_policy(pending_changes(draft.value, m.policy))
        except ConfigError as exc:
            error.set(str(exc))
            return
        error.set("")
        draft.set({})
        force_update()

    def plan_layoff() -> None:
        draft.set({**draft.value, "staffing.kind": "layoff", "staffing.layoff_week": m.week})

    with solara.Card("Policies", margin=0):
        _html(
            "<p>Open a group, change what you decide, then <b>Apply from next week</b>."
            + (" Your twin keeps the starting policies." if m.classroom else "")
            + "</p>"
        )
        for group, controls in POLICY_CONTROLS.items():
            changed = sum(1 for c in controls if c.key in pending)
            summary = group + (f" ({changed} pending)" if changed else "")
            with solara.Details(summary=summary, expand=False):
                if group == "staffing":
                    solara.Button(
                        "Plan a layoff for next week",
                        on_click=plan_layoff,
                        text=True,
                        color="primary",
                    )
                for c in controls:
                    PolicyInput(c, draft.value.get(c.key, now[c.key]), setter(c.key))
        listed = ", ".join(
            f"<code>{html.escape(f'{key} = {value}')}</code>" for key, value in pending.items()
        )
        # Always present (empty when nothing is pending) so the buttons below keep their place.
        _html(f"Pending: {listed}" if pending else "", ["spc-help"])
        with solara.Row():
            solara.Button(
                "Apply from next week",
                on_click=apply,
                color="primary",
                disabled=not pending,
            )
            solara.Button("Discard", on_click=lambda: draft.set({}), disabled=not pending)
        if error.value:
            solara.Error(error.value)


@component
def SessionSidebar(model: solara.Reactive[DashboardModel]) -> None:
    """The session's own sidebar cards: the run's status and the policy panel."""
    with solara.Sidebar(), solara.Column():
        Status(model)
        PolicyPanel(model)


@component
def SessionCards(model: solara.Reactive[DashboardModel]) -> None:
    """``SessionSidebar`` one level deeper than SolaraViz's sidebar, so it comes after it.

    Solara orders sidebar content by the depth of the component that adds it.
    """
    SessionSidebar(model)


# --------------------------------------------------------------------- page


@component
def Page() -> None:
    """The dashboard: one model per browser session, driven by Mesa's SolaraViz."""
    first = solara.use_memo(lambda: DashboardModel(**initial_model_kwargs()), [])
    model = solara.use_reactive(first)
    solara.Style(CSS)
    SolaraViz(
        model,
        components=COMPONENTS,
        model_params=MODEL_PARAMS,
        name=TITLE,
        play_interval=PLAY_INTERVAL_MS,
    )
    SessionCards(model)
