"""The teaching dashboard without a browser: schema-driven controls, sessions, charts, Page.

Components are rendered in-process with ``solara.render`` (as Mesa tests SolaraViz); the
real-browser test is ``test_dashboard_browser.py``.
"""

from __future__ import annotations

import dataclasses
import doctest
import io
import sys

import pandas as pd
import pytest

pytest.importorskip("solara", reason="the dashboard extra is not installed")

import ipyvue
import ipyvuetify as v
import ipywidgets
import solara
from matplotlib.figure import Figure

from sim.config import POLICY_GROUPS, ConfigError, SimConfig, StaffingKind
from sim.dashboard import __main__ as launcher
from sim.dashboard import controls, figures, lessons, scenarios, session
from sim.dashboard.controls import NO_SCENARIO, ControlKind
from sim.dashboard.session import DashboardModel, rounds_table

SMALL = {"n_customers": 600, "n_employees": 6}


def _tiny_figure(snap):
    fig = Figure(figsize=(1, 1), dpi=20)
    fig.subplots().set_title(f"version {snap.version}")
    return fig


@pytest.fixture
def real_charts(monkeypatch):
    """The components module, its starting world shrunk so each render is quick."""
    from sim.dashboard import components as module

    params = {name: dict(spec) for name, spec in module.MODEL_PARAMS.items()}
    for name, value in SMALL.items():
        params[name]["value"] = value
    monkeypatch.setattr(module, "MODEL_PARAMS", params)
    return module


@pytest.fixture
def components(real_charts, monkeypatch):
    """As ``real_charts``, with each chart a tiny stand-in (the charts are tested above)."""
    monkeypatch.setattr(real_charts, "_DRAW", dict.fromkeys(real_charts._DRAW, _tiny_figure))
    return real_charts


def _render_page(components):
    _, rc = solara.render(solara.AppLayout(children=[components.Page()]), handle_error=False)
    return rc


def _status(rc) -> str:
    return str(rc.find(ipyvue.Html, class_="spc-status").widget.children[0])


def _week(rc) -> int:
    return int(_status(rc).split()[1])


def _html(rc) -> str:
    """All of the page's own HTML blocks (status, policy notes, debrief tables)."""
    return " ".join(w.unsafe_innerHTML or "" for w in rc.find(solara.widgets.HTML).widgets)


def _button(rc, label: str):
    return rc.find(v.Btn, children=[label]).widget


def test_module_doctests():
    for module in (controls, session, lessons):
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
    # A half-open range has no slider end: a number input, checked on apply.
    assert by_key["hr.perks_per_week"].kind is ControlKind.number_float
    assert by_key["staffing.layoff_week"].kind is ControlKind.number_int
    assert by_key["recovery.budget_per_incident"].kind is ControlKind.number_float
    assert "allowed: [-0.5, 2]" in by_key["hr.wage_premium"].help


def test_world_inputs_come_from_the_schema():
    params = controls.model_params(["layoff_spiral"])
    cfg = SimConfig()
    size = params["n_customers"]
    assert size["value"] == round(cfg.market.n_customers * controls.DASHBOARD_SCALE)
    assert size["min"] == 0
    assert size["max"] == controls.DASHBOARD_MAX_CUSTOMERS
    assert params["n_employees"]["value"] == round(
        cfg.workforce.n_employees * controls.DASHBOARD_SCALE
    )
    assert params["seed"]["value"] == cfg.seed
    assert params["scenario_name"]["values"] == [NO_SCENARIO, "layoff_spiral"]


def test_pending_changes_keep_only_differences():
    cfg = SimConfig()
    draft = {"hr.perks_per_week": 0.0, "service.tier_levels": [1.0] * 5, "hr.wage_premium": 0.1}
    assert controls.pending_changes(draft, cfg) == {"hr.wage_premium": 0.1}


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
    assert found["as_mapping"].world == ("service=tiered",)

    cfg = scenarios.starting_config(found["tight_layoff"], n_customers=500, n_employees=5)
    assert cfg.staffing.kind is StaffingKind.layoff
    assert (
        cfg.market.competition_intensity
        == scenarios.world_config(["market=tight"]).market.competition_intensity
    )
    assert (cfg.market.n_customers, cfg.workforce.n_employees) == (500, 5)
    assert cfg.run.progress is False


def test_bad_scenario_override_is_one_line_error_and_left_out(tmp_path, caplog):
    with pytest.raises(ConfigError, match="market"):
        scenarios.world_config(["market=nowhere"])
    (tmp_path / "broken.yaml").write_text("world: [market=nowhere]\n")
    (tmp_path / "fine.yaml").write_text("world: [market=tight]\n")
    assert list(scenarios.usable_scenarios(tmp_path)) == ["fine"]
    assert "broken left out" in caplog.text


def test_repository_scenarios_load():
    for scenario in scenarios.find_scenarios().values():
        assert isinstance(scenarios.world_config(scenario.world), SimConfig)


def test_session_starts_from_a_scenario(tmp_path, monkeypatch):
    (tmp_path / "short.yaml").write_text("world: [market=tight, run=smoke]\n")
    monkeypatch.setattr(session, "find_scenarios", lambda: scenarios.find_scenarios(tmp_path))
    model = DashboardModel(scenario_name="short", weeks_per_step=13, **SMALL)
    assert model.config.market.competition_intensity > SimConfig().market.competition_intensity
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
    assert model.week == 3
    model.set_policy({"hr.perks_per_week": 80.0})
    model.step()
    weekly = model.snapshot().weekly
    assert weekly["cost_perks"].iloc[:3].eq(0).all()
    assert weekly["cost_perks"].iloc[3:].gt(0).all()
    assert model.snapshot().policy_weeks == [3]
    with pytest.raises(ConfigError, match="market"):
        model.set_policy({"market.n_customers": 5})
    with pytest.raises(ConfigError, match="perks_per_week"):
        model.set_policy({"hr.perks_per_week": -1.0})


def test_classroom_round_is_a_quarter_and_the_twin_never_changes():
    model = DashboardModel(classroom=True, weeks_per_step=1, seed=3, **SMALL)
    assert model.twin is not None
    assert model.weeks_per_step == 13
    model.step()
    snap = model.snapshot()
    assert snap.twin_weekly is not None
    # Same config and seed: identical until the students decide something.
    pd.testing.assert_frame_equal(snap.weekly, snap.twin_weekly)
    model.set_policy({"staffing.kind": "layoff", "staffing.layoff_week": model.week})
    model.step()
    snap = model.snapshot()
    assert (model.week, model.round) == (26, 2)
    assert snap.weekly["layoffs"].sum() > 0
    assert snap.twin_weekly["layoffs"].sum() == 0
    assert model.twin.config.staffing.kind is StaffingKind.steady
    assert model.twin.policy_log == []

    rounds = model.rounds()
    assert rounds["round"].tolist() == [1, 2]
    assert rounds["decisions"].tolist() == ["", "staffing.kind=layoff; staffing.layoff_week=13"]
    assert rounds.loc[0, "profit_difference"] == 0
    assert rounds.loc[1, "layoffs_students"] > 0
    assert rounds.loc[1, "layoffs_twin"] == 0
    assert rounds.loc[1, "cumulative_profit_students"] == snap.weekly["cumulative_profit"].iloc[-1]
    csv = pd.read_csv(io.StringIO(model.rounds_csv()))
    assert len(csv) == 2
    assert "employee_satisfaction_twin" in csv.columns
    weekly = pd.read_csv(io.StringIO(model.weekly_csv()))
    assert weekly["run"].value_counts().to_dict() == {"students": 26, "twin": 26}
    decisions = pd.read_csv(io.StringIO(model.decisions_csv()))
    assert decisions["key"].tolist() == ["staffing.kind", "staffing.layoff_week"]
    assert decisions["round"].tolist() == [2, 2]


def test_rounds_table_of_an_empty_run_has_its_columns():
    empty = pd.DataFrame({"week": pd.Series(dtype=int)})
    table = rounds_table(empty, empty, [])
    assert table.empty
    assert "profit_twin" in table.columns


def test_two_sessions_are_independent():
    a, b = DashboardModel(**SMALL), DashboardModel(**SMALL)
    a.step()
    a.set_policy({"hr.wage_premium": 0.2})
    assert (a.week, b.week) == (a.weeks_per_step, 0)
    assert b.policy.hr.wage_premium == 0.0


def test_every_lesson_plays_and_perks_lift_employees_first():
    for lesson in lessons.LESSONS.values():
        if lesson.scenario != NO_SCENARIO:
            assert lesson.scenario in scenarios.usable_scenarios()
        for part in lesson.parts:
            result = lessons.measure(lesson, part, seed=0, rounds=5, **SMALL)
            assert set(result) >= {"esat_r3", "cum_profit_end", "whale_peak_twin"}
    perks = lessons.measure(lessons.LESSONS["mirror"], "perks", seed=0, rounds=5, **SMALL)
    assert perks["esat_r3"] > 0
    assert perks["cum_profit_r2"] < 0  # the perks are paid before customers respond


# ------------------------------------------------------------------------ charts


@pytest.mark.parametrize("classroom", [False, True])
def test_every_chart_draws_from_the_session(classroom):
    model = DashboardModel(classroom=classroom, weeks_per_step=13, **SMALL)
    model.step()
    model.set_policy({"hr.perks_per_week": 50.0})
    model.step()
    snap = model.snapshot()
    for name, draw in figures.CHARTS:
        fig = draw(snap)
        assert isinstance(fig, Figure), name
        assert fig.axes, name
        assert figures.png(fig).startswith(b"\x89PNG"), name
        labels = [line.get_label() for ax in fig.axes for line in ax.get_lines()]
        if name != "profit_by_tier":
            assert (figures.TWIN_LABEL in labels) is classroom, name
    chain = figures.chain_figure(snap)
    policy_lines = [
        line for line in chain.axes[0].get_lines() if line.get_label() == "policy change"
    ]
    assert len(policy_lines) == 1
    assert policy_lines[0].get_xdata()[0] == pytest.approx(13 / 52)


def test_charts_of_an_empty_run():
    snap = DashboardModel(**SMALL).snapshot()
    for name, draw in figures.CHARTS:
        assert draw(snap).axes, name


# ------------------------------------------------------------------ components


def test_page_renders_charts_and_steps(real_charts):
    rc = _render_page(real_charts)
    assert len(rc.find(ipywidgets.Image).widgets) == len(figures.CHARTS)
    assert _week(rc) == 0
    _button(rc, "Step").click()
    assert _week(rc) == controls.model_params([])["weeks_per_step"]["value"]
    texts = [b.children[-1] for b in rc.find(v.Btn).widgets]
    for label in ("Reset", "Step", "Apply from next week", "Plan a layoff for next week"):
        assert label in texts
    assert "Download weekly.csv" in texts


def test_policy_panel_applies_from_next_week(components):
    rc = _render_page(components)
    assert _button(rc, "Apply from next week").disabled
    field = rc.find(v.TextField, label="perks_per_week [currency/head/week]").widget
    field.v_model = "75"
    field.fire_event("keyup.enter", None)
    assert "Pending: <code>hr.perks_per_week = 75.0</code>" in _html(rc)
    _button(rc, "Apply from next week").click()
    assert _button(rc, "Apply from next week").disabled
    assert "<td>hr.perks_per_week</td><td>75</td>" in _html(rc)
    _button(rc, "Step").click()
    assert "Pending" not in _html(rc)

    field.v_model = "-3"  # below the schema's minimum
    field.fire_event("keyup.enter", None)
    _button(rc, "Apply from next week").click()
    assert "out of range" in str(rc.find(v.Alert).widget.children)


def test_plan_layoff_fills_the_draft(components):
    rc = _render_page(components)
    _button(rc, "Step").click()
    _button(rc, "Plan a layoff for next week").click()
    before = _week(rc)
    assert f"staffing.layoff_week = {before}" in _html(rc)
    _button(rc, "Apply from next week").click()
    _button(rc, "Step").click()
    assert f"<td>{before}</td><td>staffing.kind</td><td>layoff</td>" in _html(rc)


def test_each_page_gets_its_own_model(components):
    first, second = _render_page(components), _render_page(components)
    _button(first, "Step").click()
    assert _week(first) > 0
    assert _week(second) == 0


def test_classroom_mode_after_reset(components):
    rc = _render_page(components)
    rc.find(v.Checkbox, label=controls.model_params([])["classroom"]["label"]).widget.v_model = True
    _button(rc, "Reset").click()
    assert "round 0 done" in _status(rc)
    _button(rc, "Step").click()
    assert _week(rc) == 13
    assert "round 1 done" in _status(rc)
    texts = [b.children[-1] for b in rc.find(v.Btn).widgets]
    assert any(str(t).startswith("Download rounds.csv") for t in texts)


def test_grid_layout_gives_the_chain_a_tall_card(components):
    from mesa.visualization import solara_viz

    assert solara_viz.make_initial_grid_layout is components.grid_layout
    cells = components.grid_layout(len(components.COMPONENTS))
    assert cells[0]["h"] > cells[1]["h"]
    assert len(components.grid_layout(3)) == 3  # other SolaraViz pages keep Mesa's layout


# ---------------------------------------------------------------------- launcher


def test_launcher_serves_the_app_on_localhost_by_default(monkeypatch, capsys):
    calls = []
    monkeypatch.setattr(launcher.os, "execve", lambda *args: calls.append(args))
    launcher.main([])
    path, argv, env = calls[0]
    assert path == sys.executable
    assert argv[2:5] == ["solara", "run", str(launcher.APP)]
    assert argv[argv.index("--host") + 1] == "127.0.0.1"
    assert argv[argv.index("--port") + 1] == "8765"
    assert "--production" in argv
    assert "--no-open" in argv
    assert env["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] == "False"
    launcher.main(["--host", "0.0.0.0", "--port", "9000"])
    argv = calls[1][1]
    assert argv[argv.index("--host") + 1] == "0.0.0.0"
    assert "this machine's address" in capsys.readouterr().out
