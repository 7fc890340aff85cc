"""The teaching dashboard in a real browser: Debian's Chromium driven by Playwright.

A teacher opens a class; two groups join it and play three rounds the teacher opens one
by one; the teacher's view shows both groups and exports them; a student's reload (and a
restarted server) keeps its rounds; bad entries get field messages without blocking the
good ones; the screen fits a 1366x768 laptop and works at 780 px. Every page's requests
are recorded: none may leave 127.0.0.1. With ``SPC_SCREENSHOTS=1`` (``python -m
sim.dashboard.screenshots``) the screenshots land in docs/img for docs/teaching.md.
"""

from __future__ import annotations

import io

import pandas as pd
import pytest

from sim.dashboard.screenshots import (
    CHROMIUM,
    apply,
    field_message,
    foreign_requests,
    group_url,
    join_class,
    launch,
    new_page,
    open_class,
    open_round,
    play_round,
    policy_field,
    rounds_played,
    screenshot_dir,
    serve,
    settle,
    type_entry,
    week_of,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason=f"needs Debian's Chromium at {CHROMIUM} (apt-get install chromium)",
    ),
]
sync_api = pytest.importorskip(
    "playwright.sync_api", reason="playwright is not installed (pip install -e '.[test]')"
)
pytest.importorskip("solara", reason="the dashboard extra is not installed")

CODE = "ECON1"
GROUPS = ("Red team", "Blue team")
ROUNDS = 3
PERKS = "perks per employee"


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    """The server's working folder: the class lands in results/classes here."""
    return tmp_path_factory.mktemp("dashboard_cwd")


@pytest.fixture(scope="module")
def server(workdir):
    with serve(cwd=workdir) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        chromium = launch(p)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def record():
    """Page errors and requests of every page the tests open."""
    return {"errors": [], "requests": []}


@pytest.fixture(scope="module")
def shots(tmp_path_factory):
    return screenshot_dir(tmp_path_factory.mktemp("screenshots"))


@pytest.fixture(scope="module")
def class_played(server, browser, record, shots):
    """A teacher and two groups after three rounds: (teacher page, {group: page})."""
    kw = {"errors": record["errors"], "requests": record["requests"]}
    teacher = new_page(browser, server + "teacher", **kw)
    open_class(teacher, CODE)
    students = {g: join_class(browser, server, CODE, g, **kw) for g in GROUPS}
    red = students[GROUPS[0]]
    assert "opens when your teacher says so" in red.locator(".spc-top").inner_text()

    for number in range(1, ROUNDS + 1):
        if number == 2:  # the red team decides on perks before its second round
            assert type_entry(red, "Pay and perks", PERKS, "60") == ""
            apply(red)
        open_round(teacher, number)
        for page in students.values():
            assert play_round(page) == number
    teacher.wait_for_function(
        "n => [...document.querySelectorAll('.spc-groups th')]"
        ".filter(th => th.innerText.includes(n + ' rounds')).length === 2",
        arg=ROUNDS,
    )
    teacher.screenshot(path=str(shots / "teacher_view.png"))
    yield teacher, students
    for page in (teacher, *students.values()):
        page.context.close()


def test_teacher_and_two_groups_play_three_rounds(class_played):
    teacher, students = class_played
    for page in students.values():
        assert rounds_played(page) == ROUNDS
        assert week_of(page) == 13 * ROUNDS
        assert page.locator(".spc-rounds-table tbody tr").count() == ROUNDS
    # Red's decision, in words, on its rounds table and as a labelled line on its chart.
    red = students[GROUPS[0]]
    assert "perks per employee 60" in red.locator(".spc-results").inner_text()

    # The teacher sees both groups by name with their rounds side by side.
    table = teacher.locator(".spc-groups")
    teacher.wait_for_function(
        "n => document.querySelectorAll('.spc-groups tbody tr').length === n", arg=ROUNDS
    )
    text = table.inner_text()
    for group in GROUPS:
        assert group in text
    assert "perks per employee 60" in text
    assert teacher.locator(".spc-chart-debrief canvas").count() >= 1


def test_the_class_exports_as_one_csv_and_one_parquet(class_played):
    teacher, _ = class_played
    tables = {}
    for label in ("class CSV", "class Parquet"):
        with teacher.expect_download() as info:
            teacher.get_by_role("button", name=label).click()
        data = info.value.path().read_bytes()
        tables[label] = (
            pd.read_csv(io.BytesIO(data)) if "CSV" in label else pd.read_parquet(io.BytesIO(data))
        )
    for table in tables.values():
        assert sorted(set(table["group"])) == sorted(GROUPS)
        assert len(table) == len(GROUPS) * ROUNDS
        assert {"class", "seed", "round", "decisions", "profit_twin"} <= set(table.columns)


def test_a_reload_and_a_server_restart_keep_the_rounds(class_played, server, browser, workdir):
    _, students = class_played
    red = students[GROUPS[0]]
    red.reload()
    red.locator(".spc-status").filter(has_text=f"{ROUNDS} rounds played").wait_for()
    assert red.locator(".spc-rounds-table tbody tr").count() == ROUNDS
    assert "perks per employee 60" in red.locator(".spc-results").inner_text()

    with serve(cwd=workdir) as restarted:
        page = new_page(browser, group_url(restarted, CODE, GROUPS[1]))
        try:
            page.locator(".spc-status").filter(has_text=f"{ROUNDS} rounds played").wait_for()
            assert page.locator(".spc-rounds-table tbody tr").count() == ROUNDS
        finally:
            page.context.close()


def test_bad_entries_get_field_messages_and_good_ones_still_apply(server, browser, record, shots):
    page = new_page(browser, server + "?solo=1", record["errors"], record["requests"])
    try:
        messages = {
            bad: type_entry(page, "Pay and perks", PERKS, bad, bad=True) for bad in BAD_ENTRIES
        }
        for bad, expected in BAD_ENTRIES.items():
            assert expected in messages[bad], (bad, messages[bad])
        # The bad perks entry stays refused, and a good change elsewhere still applies.
        wage = policy_field(page, "Pay and perks", "pay above the market wage")
        wage.fill("0.1")
        page.wait_for_timeout(300)
        apply(page)
        decisions = page.locator(".spc-results")
        decisions.filter(has_text="pay above the market wage 0.1").wait_for()
        assert "perks" not in decisions.inner_text()
        assert field_message(page, PERKS)  # still flagged until corrected
        page.screenshot(path=str(shots / "dashboard_entries.png"))
        # Corrected, it applies too; 1,000 never became 1.
        assert type_entry(page, "Pay and perks", PERKS, "1000") == ""
        apply(page)
        decisions.filter(has_text="perks per employee 1000").wait_for()
        assert "perks per employee 1;" not in decisions.inner_text()
    finally:
        page.context.close()


BAD_ENTRIES = {
    "nan": "is not a number",
    "-5": "too small",
    "1,000": "write 1000 without the comma",
    "1e12": "more than a class may set",
}


def test_one_laptop_screen_holds_controls_chain_and_rounds(class_played, browser, server, shots):
    _, students = class_played
    red = students[GROUPS[0]]
    red.set_viewport_size({"width": 1366, "height": 768})
    red.wait_for_timeout(500)
    visible = {
        "run controls": red.locator(".spc-top"),
        "policy panel": red.locator(".spc-policies"),
        "apply button": red.locator(".spc-apply"),
        "chain chart": red.locator(".spc-chart-chain canvas").first,
        "rounds table": red.locator(".spc-rounds-table"),
    }
    for name, locator in visible.items():
        box = locator.bounding_box()
        assert box is not None, name
        assert box["x"] >= 0, name
        assert box["y"] >= 0, name
        assert box["x"] + box["width"] <= 1366 + 1, name
        assert box["y"] + min(box["height"], 40) <= 768, name
    red.screenshot(path=str(shots / "dashboard_1366x768.png"))


def test_a_780_px_window_shows_every_control(server, browser, record):
    page = new_page(
        browser,
        server + "?solo=1",
        record["errors"],
        record["requests"],
        viewport={"width": 780, "height": 900},
    )
    try:
        page.locator(".spc-chart-chain canvas").first.wait_for()
        for selector in (".spc-step", ".spc-play", ".spc-reset", ".spc-policies", ".spc-apply"):
            assert page.locator(selector).first.is_visible(), selector
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 780
        page.locator(".spc-step").click()
        page.locator(".spc-status").filter(has_text="week 1 of").wait_for()
    finally:
        page.context.close()


def test_play_and_pause_in_one_session_leave_another_alone(server, browser, record):
    kw = {"errors": record["errors"], "requests": record["requests"]}
    first = new_page(browser, server + "?solo=1", **kw)
    second = new_page(browser, server + "?solo=1", **kw)
    try:
        first.locator(".spc-play").click()
        first.wait_for_function(
            "() => /\\bweek ([4-9]|\\d\\d+) of /.test("
            "document.querySelector('.spc-status').innerText)"
        )
        first.locator(".spc-pause").click()
        first.locator(".spc-play").wait_for()
        paused = settle(first)
        first.wait_for_timeout(1000)
        assert week_of(first) == paused >= 4
        assert week_of(second) == 0
        second.locator(".spc-step").click()
        second.locator(".spc-status").filter(has_text="week 1 of").wait_for()
        assert week_of(first) == paused
    finally:
        first.context.close()
        second.context.close()


def test_no_page_error_and_no_request_left_the_machine(record, server):
    # Runs last in this file: every page above has been recorded.
    assert record["requests"]
    assert record["errors"] == [], record["errors"]
    assert foreign_requests(record["requests"], server) == []


def test_the_dashboard_writes_nothing_outside_results(workdir):
    written = [p for p in workdir.rglob("*") if "results" not in p.relative_to(workdir).parts]
    assert written == []
    assert (workdir / "results" / "classes" / CODE / "class.json").is_file()
