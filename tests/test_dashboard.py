"""The teaching dashboard without a browser: schema-driven controls, checked entries,
classes on disk, sessions and their replay, charts as data, and the pages in-process.

Components are rendered with ``solara.render``; the real-browser test is
``test_dashboard_browser.py``.
"""

from __future__ import annotations

import dataclasses
import doctest
import io
import math
import sys
import warnings

import pandas as pd
import pytest

pytest.importorskip("solara", reason="the dashboard extra is not installed")

import ipyvue
import ipyvuetify as v
import solara

from sim.config import POLICY_GROUPS, ConfigError, SimConfig, StaffingKind
from sim.dashboard import __main__ as launcher
from sim.dashboard import (
    charts,
    classroom,
    controls,
    entries,
    labels,
    lessons,
    scenarios,
    session,
    tables,
    timeseries,
)
from sim.dashboard.classroom import ClassRoom, ClassSettings, StaleGroupError
from sim.dashboard.controls import NO_SCENARIO, ControlKind
from sim.dashboard.entries import EntryError, Limits, limits_of, parse_entry
from sim.dashboard.session import DashboardModel, rounds_table, weekly_table
from sim.kpis import KPI

SMALL = {"n_customers": 600, "n_employees": 6}


def test_module_doctests():
    from sim.dashboard import runbar, sidebar, student

    modules = (
        controls,
        session,
        lessons,
        entries,
        labels,
        charts,
        timeseries,
        tables,
        classroom,
        runbar,
        sidebar,
        student,
    )
    for module in modules:
        result = doctest.testmod(module)
        assert result.failed == 0, module.__name__


# ------------------------------------------------------------ controls from the schema


def test_every_policy_field_has_a_control_read_from_its_metadata():
    cfg = SimConfig()
    generated = controls.policy_controls()
    assert list(generated) == list(POLICY_GROUPS)
    for group in POLICY_GROUPS:
        fields = dataclasses.fields(getattr(cfg, group))
        assert [c.name for c in generated[group]] == [f.name for f in fields]
        for control, f in zip(generated[group], fields, strict=True):
            default = getattr(getattr(cfg, group), f.name)
            expected = default.name if hasattr(default, "name") else default
            assert control.default == expected, control.key
            assert control.lo == f.metadata["min"]
            assert control.hi == f.metadata["max"]
            assert control.unit == f.metadata["unit"]
            assert control.doc == f.metadata["doc"]


def test_control_kinds_follow_types_and_ranges():
    by_key = {c.key: c for group in controls.policy_controls().values() for c in group}
    assert by_key["service.kind"].kind is ControlKind.select
    assert by_key["service.kind"].options == ("uniform", "tiered")
    assert by_key["staffing.kind"].options == tuple(k.name for k in StaffingKind)
    assert by_key["service.tier_levels"].kind is ControlKind.float_list
    assert by_key["hr.fair_process"].kind is ControlKind.checkbox
    assert by_key["hr.wage_premium"].kind is ControlKind.slider_float
    assert by_key["service.retier_weeks"].kind is ControlKind.slider_int
    assert by_key["hr.perks_per_week"].kind is ControlKind.number_float
    assert by_key["staffing.layoff_week"].kind is ControlKind.number_int


def test_world_defaults_scale_the_schema_world():
    world = controls.world_defaults()
    cfg = SimConfig()
    assert world["n_customers"] == round(cfg.market.n_customers * controls.DASHBOARD_SCALE)
    assert world["n_employees"] == round(cfg.workforce.n_employees * controls.DASHBOARD_SCALE)
    assert world["seed"] == cfg.seed
    assert world["scenario_name"] == NO_SCENARIO


def test_pending_changes_keep_only_differences():
    cfg = SimConfig()
    draft = {"hr.perks_per_week": 0.0, "service.tier_levels": [1.0] * 5, "hr.wage_premium": 0.1}
    assert controls.pending_changes(draft, cfg) == {"hr.wage_premium": 0.1}


# ------------------------------------------------------------------ entries


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("nan", "is not a number"),
        ("NaN", "is not a number"),
        ("-5", "too small"),
        ("1,000", "write 1000 without the comma"),
        ("12,345.5", "write 12345.5 without the comma"),
        ("0,5", "use a point for decimals: 0.5"),
        ("1e12", "more than a class may set"),
        ("inf", "more than a class may set"),
        ("", "type a number"),
        ("sixty", "is not a number"),
    ],
)
def test_bad_perks_entries_each_say_why(text, message):
    perks = {c.key: c for c in controls.policy_controls()["hr"]}["hr.perks_per_week"]
    with pytest.raises(EntryError, match=message):
        parse_entry(text, limits_of(perks, SimConfig()))


def test_good_entries_parse_and_a_comma_never_means_a_decimal_point():
    limits = Limits(0, 5000)
    assert parse_entry("1000", limits) == 1000.0
    assert parse_entry(" 60.5 ", limits) == 60.5
    assert parse_entry("1e3", limits) == 1000.0
    assert parse_entry("7", Limits(0, 10, integer=True)) == 7
    with pytest.raises(EntryError, match="whole number"):
        parse_entry("7.5", Limits(0, 10, integer=True))


def test_every_wide_policy_range_has_a_teaching_ceiling_inside_the_schema_range():
    """Fields typed rather than dragged (money, weeks, headcounts) get a classroom ceiling."""
    world = SimConfig()
    typed = set()
    for group in controls.policy_controls().values():
        for c in group:
            if c.kind in (ControlKind.checkbox, ControlKind.select):
                continue
            limits = limits_of(c, world)
            assert limits.hi is not None, c.key
            assert math.isfinite(limits.hi), c.key
            assert c.hi is not None, c.key  # the schema bounds every number
            assert limits.hi <= c.hi + (1 if c.unit == "week" else 0), c.key
            if c.kind in (ControlKind.number_int, ControlKind.number_float):
                typed.add(c.key)
                assert limits.teaching_hi, c.key
    assert set(entries.TEACHING_CEILINGS) == typed


def test_ceilings_follow_the_world_and_weeks_count_as_weekly_csv():
    world = SimConfig()
    by_key = {c.key: c for g in controls.policy_controls().values() for c in g}
    perks = limits_of(by_key["hr.perks_per_week"], world)
    assert perks.hi == world.workforce.market_wage_per_week
    headcount = limits_of(by_key["staffing.min_headcount"], world)
    assert headcount.hi == 2 * world.workforce.n_employees
    week = by_key["staffing.layoff_week"]
    shown = limits_of(week, world)
    assert (shown.lo, shown.hi) == (1, world.run.weeks)  # model weeks 0..weeks-1
    assert entries.entry_text(12, week) == "13"
    assert entries.stored_value(13, week) == 12


def test_world_sizes_have_floors_and_ceilings():
    people = entries.world_limits("n_customers")
    assert people.lo == entries.WORLD_FLOORS["n_customers"] > 0
    assert people.hi == entries.WORLD_CEILINGS["n_customers"]
    with pytest.raises(EntryError):
        parse_entry("0", people)


# ------------------------------------------------------------------- labels


def test_everything_charted_or_tabled_has_words():
    columns = {
        line.column
        for chart in (charts.CHAIN, charts.PROFIT, charts.STAFF)
        for panel in chart
        for line in panel.lines
    }
    columns |= set(tables.ROUND_COLUMNS)
    for column in columns:
        assert column in labels.METRICS or column in KPI, column
        assert "_" not in labels.metric(column).text, column
    assert labels.metric("employee_satisfaction").text == KPI["employee_satisfaction"].phrase
    for group in controls.policy_controls().values():
        for c in group:
            assert c.key in labels.POLICIES, c.key
            assert "_" not in labels.unit_words(c.unit), (c.key, c.unit)
    assert set(labels.GROUP_TITLES) == set(POLICY_GROUPS)


# ------------------------------------------------------------------- scenarios


def test_scenario_files_world_list_mapping_and_skipped(tmp_path):
    (tmp_path / "tight_layoff.yaml").write_text(
        "question: What does a layoff do in a tight market?\n"
        "world: [market=tight, staffing=layoff]\n"
    )
    (tmp_path / "as_mapping.yaml").write_text("world: {service: tiered}\n")
    (tmp_path / "study_only.yaml").write_text("policies: [a, b]\n")
    found = scenarios.find_scenarios(tmp_path)
    assert sorted(found) == ["as_mapping", "tight_layoff"]
    assert found["tight_layoff"].world == ("market=tight", "staffing=layoff")
    assert found["tight_layoff"].question.startswith("What does a layoff")
    cfg = scenarios.starting_config(found["tight_layoff"], n_customers=500, n_employees=5)
    assert cfg.staffing.kind is StaffingKind.layoff
    assert (cfg.market.n_customers, cfg.workforce.n_employees) == (500, 5)


def test_bad_scenario_override_is_one_line_error_and_left_out(tmp_path, caplog):
    with pytest.raises(ConfigError, match="market"):
        scenarios.world_config(["market=nowhere"])
    (tmp_path / "broken.yaml").write_text("world: [market=nowhere]\n")
    (tmp_path / "fine.yaml").write_text("world: [market=tight]\n")
    assert list(scenarios.usable_scenarios(tmp_path)) == ["fine"]
    assert "broken left out" in caplog.text


def test_session_starts_from_a_scenario_and_stops_at_its_horizon(tmp_path, monkeypatch):
    (tmp_path / "short.yaml").write_text("world: [market=tight, run=smoke]\n")
    monkeypatch.setattr(session, "find_scenarios", lambda: scenarios.find_scenarios(tmp_path))
    model = DashboardModel(scenario_name="short", weeks_per_step=13, **SMALL)
    assert model.horizon == 26
    model.step()
    model.step()
    assert (model.week, model.running) == (26, False)
    model.step()  # at the horizon a step does nothing
    assert model.week == 26
    with pytest.raises(ConfigError, match="not found"):
        DashboardModel(scenario_name="nope", **SMALL)


# ---------------------------------------------------------------------- sessions


def test_explore_session_steps_and_changes_policy_from_next_week():
    model = DashboardModel(weeks_per_step=3, seed="5", **SMALL)
    assert model.config.seed == 5
    assert model.twin is None
    model.step()
    model.set_policy({"hr.perks_per_week": 80.0})
    model.step()
    weekly = model.snapshot().weekly
    assert weekly["cost_perks"].iloc[:3].eq(0).all()
    assert weekly["cost_perks"].iloc[3:].gt(0).all()
    # Decided after week 3: weekly.csv's row 4 is the first with perks, and so says the table.
    decisions = model.decisions()
    assert decisions["week"].tolist() == [4]
    assert weekly.loc[weekly["week"] == 4, "cost_perks"].iloc[0] > 0
    with pytest.raises(ConfigError, match="market"):
        model.set_policy({"market.n_customers": 5})


def test_classroom_round_is_a_quarter_and_the_twin_never_changes():
    model = DashboardModel(classroom=True, seed=3, **SMALL)
    assert model.weeks_per_step == 13
    model.step()
    snap = model.snapshot()
    pd.testing.assert_frame_equal(snap.weekly, snap.twin_weekly)
    model.set_policy({"staffing.kind": "layoff", "staffing.layoff_week": model.week})
    model.step()
    snap = model.snapshot()
    assert (model.week, model.round) == (26, 2)
    assert snap.weekly["layoffs"].sum() > 0
    assert snap.twin_weekly["layoffs"].sum() == 0
    rounds = model.rounds()
    assert rounds["decisions"].tolist() == ["", "staffing.kind=layoff; staffing.layoff_week=13"]
    assert rounds.loc[0, "profit_difference"] == 0
    weekly = pd.read_csv(io.StringIO(model.weekly_csv()))
    assert weekly["run"].value_counts().to_dict() == {"students": 26, "twin": 26}
    decisions = pd.read_csv(io.StringIO(model.decisions_csv()))
    assert decisions["round"].tolist() == [2, 2]
    assert decisions["week"].tolist() == [14, 14]


def test_replay_rebuilds_the_same_run_from_seed_and_decisions():
    played = DashboardModel(classroom=True, seed=2, **SMALL)
    played.step()
    played.set_policy({"hr.perks_per_week": 60.0})
    played.step()
    played.set_policy({"pricing.price_index": 1.1})  # decided, not played yet
    rebuilt = DashboardModel(classroom=True, seed=2, **SMALL)
    rebuilt.replay(played.world.policy_log, played.week)
    pd.testing.assert_frame_equal(rebuilt.rounds(), played.rounds())
    pd.testing.assert_frame_equal(rebuilt.snapshot().weekly, played.snapshot().weekly)
    assert rebuilt.world.policy_log == played.world.policy_log
    assert rebuilt.policy.pricing.price_index == 1.1
    with pytest.raises(ConfigError, match="fresh session"):
        rebuilt.replay([], 0)


def test_rounds_table_of_an_empty_run_has_its_columns():
    empty = pd.DataFrame({"week": pd.Series(dtype=int)})
    table = rounds_table(empty, empty, [])
    assert table.empty
    assert "profit_twin" in table.columns


def test_every_lesson_plays_and_perks_lift_employees_first():
    for lesson in lessons.LESSONS.values():
        if lesson.scenario != NO_SCENARIO:
            assert lesson.scenario in scenarios.usable_scenarios()
    perks = lessons.measure(lessons.LESSONS["mirror"], "perks", seed=0, rounds=5, **SMALL)
    assert perks["esat_r3"] > 0
    assert perks["cum_profit_r2"] < 0  # the perks are paid before customers respond


# ---------------------------------------------------------------------- classes


def _played_group(room, name, decisions_by_round, rounds):
    """Play a group through ``rounds`` as the screen does, saving after each round."""
    from sim.dashboard.components import group_model

    model, link = group_model(room, name)
    for r in range(1, rounds + 1):
        if r in decisions_by_round:
            model.set_policy(decisions_by_round[r])
        before = model.week
        model.step()
        record = dataclasses.replace(
            link.record, week=model.week, decisions=list(model.world.policy_log)
        )
        snap = model.snapshot()
        room.save_group(record, model.rounds(), weekly_table(snap.weekly, snap.twin_weekly), before)
        link = dataclasses.replace(link, record=record)
    return model


def test_a_class_keeps_its_groups_on_disk_and_rebuilds_them(tmp_path):
    from sim.dashboard.components import group_model

    room = ClassRoom.create(
        ClassSettings(n_customers=600, n_employees=6, first_seed=4), tmp_path, "ab-12"
    )
    assert room.code == "AB12"
    assert not room.state().may_play(1)
    room.open_round(2)
    assert room.state().may_play(2)
    assert not room.state().may_play(3)
    room.close_round()
    assert not room.state().may_play(1)

    red = _played_group(room, "Red", {2: {"hr.perks_per_week": 60.0}}, 2)
    blue = _played_group(room, "Blue", {}, 1)
    assert [g.name for g in room.groups()] == ["Red", "Blue"]
    assert [g.seed for g in room.groups()] == [4, 5]  # one seed per group

    # A "server restart": a new ClassRoom object, the group rebuilt from disk alone.
    again = ClassRoom.open("AB12", tmp_path)
    model, link = group_model(again, "red")  # the name's case does not make a new group
    assert link.record.name == "Red"
    pd.testing.assert_frame_equal(model.rounds(), red.rounds())
    assert again.rounds("red")["decisions"].tolist() == ["", "hr.perks_per_week=60"]

    table = again.all_rounds()
    assert table.groupby("group").size().to_dict() == {"Blue": 1, "Red": 2}
    assert table.loc[table["group"] == "Blue", "seed"].tolist() == [5]
    csv = pd.read_csv(io.StringIO(again.export_csv()))
    parquet = pd.read_parquet(io.BytesIO(again.export_parquet()))
    assert len(csv) == len(parquet) == 3
    assert list(csv.columns) == list(parquet.columns)
    assert blue.round == 1


def test_a_second_screen_of_the_same_group_cannot_overwrite_its_rounds(tmp_path):
    room = ClassRoom.create(ClassSettings(n_customers=600, n_employees=6), tmp_path)
    room.open_round(5)
    _played_group(room, "Red", {}, 1)
    stale = room.group("red")
    model = DashboardModel(classroom=True, seed=stale.seed, **SMALL)
    model.step()
    with pytest.raises(StaleGroupError, match="another screen"):
        room.save_group(stale, model.rounds(), model.snapshot().weekly, played_from=0)


def test_class_codes_and_group_names_are_checked(tmp_path):
    room = ClassRoom.create(ClassSettings(), tmp_path)
    assert len(room.code) == classroom.CODE_LENGTH
    with pytest.raises(classroom.ClassroomError, match="exists already"):
        ClassRoom.create(ClassSettings(), tmp_path, room.code.lower())
    with pytest.raises(classroom.ClassroomError, match="no class"):
        ClassRoom.open("NOPE", tmp_path)
    with pytest.raises(classroom.ClassroomError, match="name"):
        room.join("  !!  ")
    with pytest.raises(classroom.ClassroomError, match="at most"):
        room.join("x" * 40)
    same = ClassRoom.create(ClassSettings(seed_per_group=False, first_seed=7), tmp_path)
    assert {same.join("a").seed, same.join("b").seed} == {7}


def test_classes_go_under_results_unless_told_otherwise(monkeypatch, tmp_path):
    monkeypatch.delenv(classroom.CLASSES_DIR_ENV, raising=False)
    assert classroom.classes_dir().parts[:2] == ("results", "classes")
    monkeypatch.setenv(classroom.CLASSES_DIR_ENV, str(tmp_path))
    assert classroom.classes_dir() == tmp_path


# ------------------------------------------------------------------------ charts


@pytest.mark.parametrize("classroom_mode", [False, True])
def test_every_chart_is_data_for_the_browser(classroom_mode):
    model = DashboardModel(classroom=classroom_mode, weeks_per_step=13, **SMALL)
    model.step()
    model.set_policy({"hr.perks_per_week": 50.0})
    model.step()
    snap = model.snapshot(customers=True)
    for name in charts.CHARTS:
        chart = charts.chart_data(name, snap, 300)
        names = [s["name"] for s in chart.option["series"] if "name" in s]
        assert (labels.TWIN in " ".join(names)) is classroom_mode or name == "customers", name
        width = 1 + len(names)
        assert all(len(row) == width for row in chart.rows), name
        assert not any("_" in n for n in names), names
    chain = charts.chart_data("chain", snap, 400)
    assert len(chain.rows) == 26
    assert [r[0] for r in chain.rows] == list(range(1, 27))  # weeks as weekly.csv counts
    # Each panel's line at the decision; its label once, in the band above the panels.
    text = "from week 14: perks per employee 50"
    marked = [s for s in chain.option["series"] if "markLine" in s]
    assert len(marked) == len(charts.CHAIN) + 1
    for s in marked[:-1]:
        assert s["markLine"]["data"] == [
            {"xAxis": 13.5, "name": text, "label": {"show": False, "formatter": text}}
        ]
    assert marked[-1]["markLine"]["data"][0]["label"] == {
        "show": True,
        "formatter": text,
        "align": "right",  # week 14 of a 26-week axis: the label ends at its line
    }
    assert marked[-1]["data"] == []


def test_charts_of_an_empty_run():
    snap = DashboardModel(**SMALL).snapshot()
    for name in ("chain", "profit", "customers", "staff", "whale"):
        assert charts.chart_data(name, snap, 300).rows == [], name
    assert charts.chart_data("tiers", snap, 300).option["series"]


def test_group_chart_has_a_line_per_group_and_the_twin_at_zero():
    red = pd.DataFrame({"round": [1, 2], "cumulative_profit_difference": [0.0, -1500.0]})
    blue = pd.DataFrame({"round": [1], "cumulative_profit_difference": [0.0]})
    chart = charts.group_chart({"Red": red, "Blue": blue}, "cumulative_profit_difference", "t")
    assert chart.rows == [[1, 0.0, 0.0], [2, -1500.0, None]]
    assert [s["name"] for s in chart.option["series"]] == ["Red", "Blue"]
    assert chart.option["series"][0]["markLine"]["data"] == [{"yAxis": 0}]


def test_live_chart_sends_only_the_rows_that_changed():
    from sim.dashboard.livechart import LiveChartWidget

    widget = LiveChartWidget()
    assert widget.push([[1, 0.5], [2, 0.6]]) == 2
    assert widget.chunk["start"] == 0
    assert widget.push([[1, 0.5], [2, 0.6], [3, 0.7]]) == 1
    assert widget.chunk == {"seq": 2, "start": 2, "rows": [[3, 0.7]]}
    assert widget.push([[1, 0.5], [2, 0.6], [3, 0.7]]) == 0  # nothing new: nothing sent
    assert widget.push([[1, 0.9]]) == 1  # a new world: from its first row
    assert widget.chunk["start"] == 0
    widget.vue_resync()
    assert widget.rows["data"] == [[1, 0.9]]


def test_tables_speak_plainly():
    assert tables.decisions_in_words("hr.perks_per_week=60") == "perks per employee 60"
    assert tables.decisions_in_words("") == ""
    html = tables.decisions_html([(12, {"hr.perks_per_week": 60.0})])
    assert "<td>13</td>" in html
    assert "perks per employee 60" in html


# ------------------------------------------------------------------ pages in-process


@pytest.fixture
def pages(monkeypatch, tmp_path):
    """The app's routes, the solo world shrunk, classes in a temporary folder."""
    from sim.dashboard import app, sidebar

    monkeypatch.setattr(sidebar, "WORLD_DEFAULTS", {**sidebar.WORLD_DEFAULTS, **SMALL})
    monkeypatch.setattr("sim.dashboard.components.WORLD_DEFAULTS", sidebar.WORLD_DEFAULTS)
    monkeypatch.setenv(classroom.CLASSES_DIR_ENV, str(tmp_path))
    return app


def _render(app, path):
    _, rc = solara.render(
        solara.RoutingProvider(
            children=[app.Layout(children=[_page(app, path)])], routes=app.routes, pathname=path
        ),
        handle_error=False,
    )
    return rc


def _page(app, path):
    return app.Teacher() if path.startswith("/teacher") else app.Page()


def _status(rc) -> str:
    return " ".join(str(w.children[0]) for w in rc.find(ipyvue.Html, class_="spc-status").widgets)


def _button(rc, label: str):
    return rc.find(v.Btn, children=[label]).widget


def _buttons(rc) -> list[str]:
    return [str(b.children[-1]) for b in rc.find(v.Btn).widgets]


def _html(rc) -> str:
    return " ".join(w.unsafe_innerHTML or "" for w in rc.find(solara.widgets.HTML).widgets)


def _open(rc, title: str) -> None:
    header = next(w for w in rc.find(v.ExpansionPanelHeader).widgets if title in str(w.children))
    panels = next(w for w in rc.find(v.ExpansionPanels).widgets if header in w.children[0].children)
    panels.v_model = 0


def _field(rc, label: str):
    return rc.find(v.TextField, label=label).widget


def _messages(rc) -> list[str]:
    return [str(w.children[0]) for w in rc.find(ipyvue.Html, class_="spc-field-error").widgets]


def test_solo_page_steps_and_hides_mesa_internals(pages):
    rc = _render(pages, "/?solo=1")
    assert "week 0 of 520" in _status(rc)
    _button(rc, "Step").click()
    assert "week 1 of 520" in _status(rc)
    texts = " ".join(_buttons(rc))
    for gone in ("PAGE", "Use Threads", "Render Interval"):
        assert gone not in texts
    assert "Apply from week 2" in _buttons(rc)


def test_bad_entries_are_refused_one_by_one_and_good_ones_apply(pages):
    rc = _render(pages, "/?solo=1")
    _open(rc, "Pay and perks")
    perks = _field(rc, "perks per employee")
    for bad in ("nan", "-5", "1,000", "1e12"):
        perks.v_model = bad
        assert len(_messages(rc)) == 1, bad
    assert _button(rc, "Apply from week 1").disabled
    _field(rc, "pay above the market wage").v_model = "0.1"
    assert "pay above the market wage: 0 → 0.1" in _html(rc)
    _button(rc, "Apply from week 1").click()
    assert "pay above the market wage 0.1" in _html(rc)
    assert "perks per employee" not in _html(rc).split("Decisions so far")[-1]
    assert _messages(rc)  # the refused entry still says why
    perks.v_model = "1000"
    assert _messages(rc) == []
    _button(rc, "Apply from week 1").click()
    assert "perks per employee 1000" in _html(rc)


def test_starting_world_changes_wait_for_reset(pages):
    rc = _render(pages, "/?solo=1")
    _open(rc, "Starting world")
    _field(rc, "seed (one per group)").v_model = "7"
    pending = rc.find(ipyvue.Html, class_="spc-pending-world").widgets
    assert [str(w.children[0]) for w in pending] == ["pending: press Reset"]
    assert "Reset (applies 1 change)" in _buttons(rc)
    _button(rc, "Reset (applies 1 change)").click()
    assert "Reset" in _buttons(rc)


def test_teacher_paces_a_group_and_sees_its_rounds(pages):
    teacher = _render(pages, "/teacher")
    _field(teacher, "class code (optional)").v_model = "T1"
    _field(teacher, "people in the market").v_model = "600"
    _field(teacher, "employees").v_model = "6"
    _button(teacher, "Open the class").click()
    room = ClassRoom.open("T1")
    assert room.state().settings.n_customers == 600

    student = _render(pages, "/?class=T1&group=Red")
    assert "class T1 · group Red" in _status(student)
    assert _button(student, "Play round 1").disabled

    board = _render(pages, "/teacher?class=T1")
    _button(board, "Open round 1").click()
    assert room.state().open_round == 1

    student = _render(pages, "/?class=T1&group=Red")  # a reload reads the open round
    _button(student, "Play round 1").click()
    assert "1 round played" in _status(student)
    assert room.group("red").week == 13

    board = _render(pages, "/teacher?class=T1")
    assert "Red" in _html(board)
    assert "seed 0, 1 round" in _html(board)
    _button(board, "Close round 1").click()
    assert room.state().closed


def test_join_form_explains_a_wrong_code(pages):
    rc = _render(pages, "/")
    _field(rc, "class code").v_model = "NOPE"
    _field(rc, "group name").v_model = "Red"
    _button(rc, "Join").click()
    assert "no class with code" in str(rc.find(v.Alert).widget.children)


# ---------------------------------------------------------------------- launcher


def test_launcher_serves_the_app_on_localhost_by_default(monkeypatch, capsys):
    calls = []
    monkeypatch.setattr(launcher.os, "execve", lambda *args: calls.append(args))
    launcher.main([])
    path, argv, env = calls[0]
    assert path == sys.executable
    assert argv[2:5] == ["solara", "run", str(launcher.APP)]
    assert argv[argv.index("--host") + 1] == "127.0.0.1"
    assert "--production" in argv
    assert env["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] == "False"
    assert env["SOLARA_THEME_SHOW_BANNER"] == "False"
    launcher.main(["--host", "0.0.0.0", "--port", "9000"])
    assert "this machine's address" in capsys.readouterr().out


def test_the_samesite_cookie_warning_is_silenced_by_the_app():
    from sim.dashboard import app

    assert [r.path for r in app.routes] == ["/", "teacher"]
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("default")
        import importlib

        importlib.reload(app)
        warnings.warn(
            "Cookies with samesite=none require https, but according to the asgi framework",
            UserWarning,
            stacklevel=1,
        )
    assert not [w for w in seen if "samesite" in str(w.message)]


def test_bench_reports_weeks_per_second_the_page_really_reached():
    from sim.dashboard import bench

    explore = bench.server_weeks_per_second(False, 3, n_customers=600, n_employees=6)
    assert explore["weeks_per_step"] == 1
    assert explore["weeks_per_s"] > 0
    rounds = bench.server_weeks_per_second(True, 2, n_customers=600, n_employees=6)
    assert rounds["weeks_per_step"] == 13
    # Two rounds: 26 weeks in the time of two steps.
    assert rounds["weeks_per_s"] == pytest.approx(26 / (2 * rounds["ms_per_step"] / 1000))


def _screen(model):
    """The student screen of ``model`` rendered in-process (no class)."""
    from sim.dashboard import app
    from sim.dashboard.student import StudentScreen

    @solara.component
    def Screen():
        StudentScreen(solara.use_reactive(model), solara.use_reactive(None), [])

    _, rc = solara.render(
        solara.RoutingProvider(
            children=[app.Layout(children=[Screen()])], routes=app.routes, pathname="/?solo=1"
        ),
        handle_error=False,
    )
    return rc


def test_the_end_of_the_run_says_so_and_stops_the_buttons(tmp_path, monkeypatch):
    (tmp_path / "short.yaml").write_text("world: [run=smoke]\n")
    monkeypatch.setattr(session, "find_scenarios", lambda: scenarios.find_scenarios(tmp_path))
    rc = _screen(DashboardModel(scenario_name="short", classroom=True, **SMALL))
    for _ in range(2):
        rc.find(v.Btn, class_="spc-step").widget.click()
    assert "week 26 of 26" in _status(rc)
    ended = rc.find(ipyvue.Html, class_="spc-end").widget.children[0]
    assert "reached its end (week 26)" in str(ended)
    assert rc.find(v.Btn, class_="spc-step").widget.disabled
    assert rc.find(v.Btn, class_="spc-play").widget.disabled


def test_plan_a_layoff_shows_its_week_as_weekly_csv_counts_it():
    model = DashboardModel(weeks_per_step=13, **SMALL)
    rc = _screen(model)
    rc.find(v.Btn, class_="spc-step").widget.click()
    _open(rc, "Staffing")
    _button(rc, "Plan a layoff for next week").click()
    assert _field(rc, "layoff in week").v_model == "14"  # weekly.csv's row 14
    _button(rc, "Apply from week 14").click()
    assert model.policy.staffing.layoff_week == 13  # the model's week index
    model.step()
    weekly = model.snapshot().weekly
    assert weekly.loc[weekly["week"] == 14, "layoffs"].iloc[0] > 0
    assert weekly.loc[weekly["week"] != 14, "layoffs"].sum() == 0


def test_source_codes_sit_under_sources_not_in_the_tooltips(pages):
    from sim.dashboard.fields import field_help

    world = SimConfig()
    for group in controls.policy_controls().values():
        for c in group:
            assert "SF" not in field_help(c, limits_of(c, world)), c.key
    rc = _render(pages, "/?solo=1")
    assert "SF22" not in _html(rc)
    _button(rc, "sources").click()
    assert "<td>perks per employee</td><td>SF22</td>" in _html(rc)
