"""The teaching dashboard in a real browser: Debian's Chromium driven by Playwright.

Starts ``python -m sim.dashboard`` on a free port of 127.0.0.1, loads the page, changes a
policy, steps and plays, counts the charts, checks that no page error occurred and that
every request stayed on the local server (Solara's assets come from solara-assets, not a
CDN), and that two browser sessions drive two independent models.
"""

from __future__ import annotations

from urllib.parse import urlparse

import pytest

from sim.dashboard.screenshots import (
    CHROMIUM,
    N_CHARTS,
    apply_policy,
    chart_count,
    launch,
    open_dashboard,
    plan_layoff,
    play_until,
    serve,
    step,
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

WEEKS_PER_STEP = 4  # the dashboard's initial "weeks per step"
DRAWN_CHARTS = (
    "() => [...document.querySelectorAll(\"[class*='spc-chart-'] img\")]"
    ".filter(img => img.complete && img.naturalWidth > 200).length"
)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    """The server's working folder: whatever it writes lands here, where it can be seen."""
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
def session(server, browser):
    """One browser session on the dashboard, with its page errors and requests recorded."""
    errors: list[str] = []
    requests: list[str] = []
    page = open_dashboard(browser, server, errors, requests)
    yield page, errors, requests
    page.context.close()


def test_dashboard_in_chromium(server, session, tmp_path):
    page, errors, requests = session
    assert week_of(page) == 0
    assert chart_count(page) == N_CHARTS

    apply_policy(page, "hr", "perks_per_week [currency/head/week]", "60")
    page.locator(".spc-debrief").get_by_text("hr.perks_per_week").wait_for()

    assert step(page) == WEEKS_PER_STEP
    week = play_until(page, 3 * WEEKS_PER_STEP)
    assert week >= 3 * WEEKS_PER_STEP
    assert week % WEEKS_PER_STEP == 0

    # The main area, not only the sidebar: every chart is an image the browser decoded.
    page.wait_for_function(f"n => ({DRAWN_CHARTS})() >= n", arg=N_CHARTS)
    assert page.evaluate(DRAWN_CHARTS) == N_CHARTS
    shot = tmp_path / "dashboard.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 50_000
    print(f"screenshot: {shot}")

    assert errors == [], errors
    assert requests
    host = urlparse(server).netloc
    foreign = [url for url in requests if urlparse(url).netloc not in ("", host)]
    assert foreign == [], f"requests left the local server: {foreign}"


def test_two_sessions_have_independent_models(server, browser, session):
    first = session[0]
    before = week_of(first)
    second = open_dashboard(browser, server)
    try:
        assert week_of(second) == 0
        assert step(first) == before + WEEKS_PER_STEP
        assert week_of(second) == 0
        assert step(second) == WEEKS_PER_STEP
        assert week_of(first) == before + WEEKS_PER_STEP
    finally:
        second.context.close()


def test_the_dashboard_writes_nothing_outside_results(server, browser, workdir):
    page = open_dashboard(browser, server)
    try:
        plan_layoff(page)
        step(page)
        play_until(page, 3 * WEEKS_PER_STEP)
    finally:
        page.context.close()
    written = [p for p in workdir.rglob("*") if "results" not in p.relative_to(workdir).parts]
    assert written == []
