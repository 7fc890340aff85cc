"""Drive the real dashboard in Debian's Chromium: browser-test helpers and the docs' screenshots.

``python -m sim.dashboard.screenshots [out_dir]`` starts the server on a free port,
plays a mid-run layoff and a few classroom rounds, and saves ``dashboard_layoff.png`` and
``classroom_round.png`` (default folder: ``docs/img``). Needs the ``dashboard`` and
``test`` extras and ``/usr/bin/chromium`` (apt); never ``playwright install``.
"""

from __future__ import annotations

import contextlib
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from sim.dashboard.__main__ import server_env

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, Playwright, ViewportSize

__all__ = [
    "CHROMIUM",
    "CHROMIUM_ARGS",
    "apply_policy",
    "chart_count",
    "choose_scenario",
    "free_port",
    "launch",
    "main",
    "open_dashboard",
    "play_until",
    "reset",
    "serve",
    "settle",
    "step",
    "week_of",
]

CHROMIUM = Path("/usr/bin/chromium")
# Headless, sandbox off (containers, root in CI), and nothing that phones home.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT: ViewportSize = {"width": 1500, "height": 1000}
# Solara scrolls its main area inside the window, so a full-page shot is one window high:
# the screenshots use a window tall enough for every card.
SHOT_VIEWPORT: ViewportSize = {"width": 1500, "height": 2150}
N_CHARTS = 6
DOCS_IMG = Path(__file__).resolve().parents[2] / "docs" / "img"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def serve(
    port: int | None = None, timeout_s: float = 60.0, cwd: Path | None = None
) -> Iterator[str]:
    """Run ``python -m sim.dashboard`` on 127.0.0.1 and yield its URL; stop it afterwards.

    ``cwd`` is the server's working folder (default: this process's).

    Raises:
        RuntimeError: the server exited or did not answer within ``timeout_s``
            (the message ends with its log).
    """
    port = port or free_port()
    url = f"http://127.0.0.1:{port}/"
    with tempfile.TemporaryFile("w+") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "sim.dashboard", "--host", "127.0.0.1", "--port", str(port)],
            env=server_env(),
            cwd=cwd,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + timeout_s
            while True:
                if proc.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    raise RuntimeError(f"dashboard server did not start:\n{log.read()[-3000:]}")
                try:
                    with urllib.request.urlopen(url, timeout=2) as response:
                        if response.status == 200:
                            break
                except (urllib.error.URLError, OSError):
                    time.sleep(0.2)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)


def launch(playwright: Playwright) -> Browser:
    """Debian's Chromium, headless, through Playwright's Python driver."""
    return playwright.chromium.launch(
        executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
    )


def open_dashboard(
    browser: Browser,
    url: str,
    errors: list[str] | None = None,
    requests: list[str] | None = None,
) -> Page:
    """A new browser session (its own context) on the dashboard, charts drawn.

    Args:
        browser: The browser.
        url: The dashboard's address.
        errors: If given, uncaught page errors are appended to it.
        requests: If given, the URL of every request the page makes is appended to it.

    Returns:
        The page, once the Step button and all charts are visible.
    """
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    if errors is not None:
        page.on("pageerror", lambda exc: errors.append(str(exc)))
    if requests is not None:
        page.on("request", lambda request: requests.append(request.url))
    page.goto(url)
    page.get_by_role("button", name="Step", exact=True).wait_for(timeout=45_000)
    wait_for_charts(page)
    return page


def chart_count(page: Page) -> int:
    """Charts drawn in the main area (matplotlib images inside chart cards)."""
    return int(page.locator("[class*='spc-chart-'] img").count())


def wait_for_charts(page: Page, n: int = N_CHARTS, timeout_s: float = 30.0) -> None:
    """Wait until ``n`` chart images are in the page."""
    deadline = time.monotonic() + timeout_s
    while chart_count(page) < n:
        if time.monotonic() > deadline:
            raise TimeoutError(f"only {chart_count(page)} of {n} charts drawn")
        page.wait_for_timeout(200)


def week_of(page: Page) -> int:
    """The week the page's run has reached (from the sidebar's status line)."""
    text = page.locator(".spc-status").first.inner_text()
    found = re.search(r"week (\d+)", text)
    if found is None:
        raise ValueError(f"no week in status {text!r}")
    return int(found.group(1))


def _wait_week(page: Page, condition: str, target: int, timeout_s: float) -> int:
    deadline = time.monotonic() + timeout_s
    while True:
        week = week_of(page)
        if (week >= target) if condition == ">=" else (week != target):
            return week
        if time.monotonic() > deadline:
            raise TimeoutError(f"week stayed at {week}")
        page.wait_for_timeout(100)


def step(page: Page, timeout_s: float = 30.0) -> int:
    """Press Step once; return the new week."""
    before = week_of(page)
    page.get_by_role("button", name="Step", exact=True).click()
    return _wait_week(page, "!=", before, timeout_s)


def settle(page: Page, quiet_s: float = 4.0, timeout_s: float = 60.0) -> int:
    """Wait until the week has not changed for ``quiet_s`` seconds; return it."""
    deadline = time.monotonic() + timeout_s
    week, since = week_of(page), time.monotonic()
    while time.monotonic() - since < quiet_s:
        if time.monotonic() > deadline:
            raise TimeoutError(f"the run did not settle (week {week})")
        page.wait_for_timeout(200)
        now = week_of(page)
        if now != week:
            week, since = now, time.monotonic()
    return week


def play_until(page: Page, week: int, timeout_s: float = 120.0) -> int:
    """Press Play, wait until the run reaches ``week``, press Pause; return the week."""
    page.get_by_role("button", name="▶").click()
    _wait_week(page, ">=", week, timeout_s)
    page.get_by_role("button", name="❚❚").click()
    page.get_by_role("button", name="Step", exact=True).wait_for()
    # The step under way when Pause was pressed still finishes, and the week shown changes
    # only once its charts are redrawn (seconds on a busy server).
    return settle(page)


def apply_policy(page: Page, group: str, label: str, value: str) -> None:
    """Type ``value`` into the number input ``label`` of policy ``group`` and apply it."""
    page.get_by_text(group, exact=True).click()
    field = page.get_by_label(label, exact=True)
    field.fill(value)
    field.press("Enter")
    page.get_by_role("button", name="Apply from next week").click()
    page.get_by_text(group, exact=True).click()


def plan_layoff(page: Page) -> None:
    """Plan a layoff (the schema's ``staffing.layoff_share``) for next week and apply it."""
    page.get_by_text("staffing", exact=True).click()
    page.get_by_role("button", name="Plan a layoff for next week").click()
    page.get_by_role("button", name="Apply from next week").click()
    page.get_by_text("staffing", exact=True).click()


def choose_scenario(page: Page, name: str) -> None:
    """Pick a scenario as the starting world (applied by the next Reset)."""
    page.get_by_label("scenario (starting world)").click(force=True)
    page.get_by_role("option", name=name, exact=True).click()


def reset(page: Page) -> None:
    """Press Reset and wait for the new world's charts."""
    page.get_by_role("button", name="Reset").click()
    page.locator(".spc-status").filter(has_text="week 0 ").wait_for(timeout=30_000)
    wait_for_charts(page)


def switch_to_classroom(page: Page) -> None:
    """Tick the classroom-rounds box in the starting world and press Reset."""
    # Vuetify's ripple sits over the box itself: click the label.
    page.get_by_text(re.compile("^classroom rounds")).click()
    reset(page)
    page.locator(".spc-status").filter(has_text="round 0").wait_for(timeout=30_000)


def shoot(page: Page, path: Path) -> Path:
    """Save a full-page screenshot (once the charts are redrawn)."""
    page.set_viewport_size(SHOT_VIEWPORT)
    wait_for_charts(page)
    page.wait_for_timeout(1500)
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size(VIEWPORT)
    return path


def take_screenshots(url: str, out_dir: Path) -> list[Path]:
    """The docs' screenshots, as PNGs in ``out_dir``.

    ``dashboard_layoff.png``: the ``layoff_spiral`` world (a tight market), a 15% layoff
    planned after the first year, run to the end of the third. ``classroom_round.png``:
    classroom rounds, perks of 60 a head a week from round 2, after ten rounds, beside
    the no-change twin (lessons 2 and 1 of docs/teaching.md).
    """
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = launch(p)
        try:
            page = open_dashboard(browser, url)
            choose_scenario(page, "layoff_spiral")
            reset(page)
            play_until(page, 52)
            plan_layoff(page)
            play_until(page, 156)
            layoff = shoot(page, out_dir / "dashboard_layoff.png")

            page = open_dashboard(browser, url)
            switch_to_classroom(page)
            step(page)
            apply_policy(page, "hr", "perks_per_week [currency/head/week]", "60")
            for _ in range(9):
                step(page)
            rounds = shoot(page, out_dir / "classroom_round.png")
        finally:
            browser.close()
    return [layoff, rounds]


def main(argv: list[str] | None = None) -> None:
    """Start a server, take the screenshots, print their paths."""
    args = sys.argv[1:] if argv is None else argv
    out_dir = Path(args[0]) if args else DOCS_IMG
    with serve() as url:
        for path in take_screenshots(url, out_dir):
            print(path)


if __name__ == "__main__":
    main()
