"""The students' screen: run controls on top, decisions on the left, chain and rounds right.

A session is either a group of a teacher's class (its world set by the teacher, its rounds
paced by the teacher and saved to disk after each one) or a student playing alone (its
starting world chosen on the screen, applied at Reset). Every value shown comes from the
session's ``DashboardModel``; every label is plain language (``sim.dashboard.labels``).

This module composes the screen and holds its charts and results; the run bar is in
``sim.dashboard.runbar``, the side column in ``sim.dashboard.sidebar``.
"""

from __future__ import annotations

from sim.config import ConfigError
from sim.dashboard.charts import CHARTS, chart_data
from sim.dashboard.classroom import GroupLink
from sim.dashboard.livechart import LiveChart
from sim.dashboard.runbar import RunBar, use_play
from sim.dashboard.session import WEEKS_PER_ROUND, DashboardModel
from sim.dashboard.sidebar import (
    PolicyPanel,
    SourcesPanel,
    WorldPanel,
    pending_world_changes,
    running_world,
    world_model,
)
from sim.dashboard.tables import decisions_html, rounds_html
from sim.dashboard.timeseries import decision_text
from sim.dashboard.ui import component, html_block, solara, use_bump

__all__ = ["StudentScreen"]

CHAIN_HEIGHT = 392
SIDE_CHART_HEIGHT = 352
CUSTOMER_CHARTS = ("whale", "tiers")  # drawn from the customer ledgers


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
    world = solara.use_reactive(running_world(model.value))
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
