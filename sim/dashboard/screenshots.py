"""Drive the real dashboard in Debian's Chromium: the browser test's helpers and the docs' images.

The helpers start the server on a free port of 127.0.0.1 and play it as a teacher and
students would. ``python -m sim.dashboard.screenshots`` runs the browser test with
``SPC_SCREENSHOTS`` set, so the screenshots in ``docs/img`` are the ones the test takes.
Needs the ``dashboard`` and ``test`` extras and ``/usr/bin/chromium`` (apt); never
``playwright install``.
"""

from __future__ import annotations

import contextlib
import os
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
from urllib.parse import urlencode, urlparse

from sim.dashboard.__main__ import server_env

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Locator, Page, Playwright, ViewportSize

__all__ = [
    "CHROMIUM",
    "CHROMIUM_ARGS",
    "DOCS_IMG",
    "SCREENSHOTS_ENV",
    "apply",
    "field_message",
    "foreign_requests",
    "free_port",
    "join_class",
    "launch",
    "main",
    "new_page",
    "open_class",
    "open_round",
    "play_round",
    "policy_field",
    "rounds_played",
    "screenshot_dir",
    "serve",
    "settle",
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
LAPTOP: ViewportSize = {"width": 1366, "height": 768}
DOCS_IMG = Path(__file__).resolve().parents[2] / "docs" / "img"
SCREENSHOTS_ENV = "SPC_SCREENSHOTS"
# Solara's first render in a fresh server imports the model and builds a world.
FIRST_LOAD_MS = 60_000
# The teacher's view and the students' round buttons read the class every 2 s.
POLL_MS = 15_000


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

    ``cwd`` is the server's working folder (default: this process's): its classes go to
    ``results/classes`` there.

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


def new_page(
    browser: Browser,
    url: str,
    errors: list[str] | None = None,
    requests: list[str] | None = None,
    viewport: ViewportSize = LAPTOP,
) -> Page:
    """A new browser session (its own context) on ``url``, once the page has drawn.

    Args:
        browser: The browser.
        url: The page's address.
        errors: If given, uncaught page errors are appended to it.
        requests: If given, the URL of every request the page makes is appended to it.
        viewport: The window's size (a 1366x768 laptop by default).
    """
    context = browser.new_context(viewport=viewport, accept_downloads=True)
    page = context.new_page()
    if errors is not None:
        page.on("pageerror", lambda exc: errors.append(str(exc)))
    if requests is not None:
        page.on("request", lambda request: requests.append(request.url))
    page.goto(url)
    page.locator(".spc-top").first.wait_for(timeout=FIRST_LOAD_MS)
    return page


def foreign_requests(requests: list[str], url: str) -> list[str]:
    """The requests that went anywhere but the dashboard's own server."""
    host = urlparse(url).netloc
    return [r for r in requests if urlparse(r).netloc not in ("", host)]


def screenshot_dir(fallback: Path) -> Path:
    """Where the browser test saves its screenshots: docs/img with ``SPC_SCREENSHOTS`` set."""
    return DOCS_IMG if os.environ.get(SCREENSHOTS_ENV) else fallback


# ------------------------------------------------------------------ teacher


def open_class(page: Page, code: str) -> None:
    """On the teacher's form: open a class with ``code`` (the other settings as given)."""
    page.get_by_label("class code (optional)").fill(code)
    page.get_by_role("button", name="Open the class").click()
    page.get_by_text(f"Teacher view · class {code}").wait_for(timeout=FIRST_LOAD_MS)


def open_round(page: Page, number: int) -> None:
    """On the teacher's view: open round ``number``."""
    page.get_by_role("button", name=f"Open round {number}").click()
    page.locator(".spc-status").filter(has_text=f"round {number} open").wait_for()


# ----------------------------------------------------------------- students


def join_class(browser: Browser, url: str, code: str, group: str, **kw: object) -> Page:
    """A student's new session joining ``code`` as ``group`` through the join form."""
    page = new_page(browser, url, **kw)  # type: ignore[arg-type]
    page.get_by_label("class code").fill(code)
    page.get_by_label("group name").fill(group)
    page.get_by_role("button", name="Join").click()
    page.locator(".spc-status").filter(has_text=f"group {group}").wait_for(timeout=FIRST_LOAD_MS)
    return page


def group_url(url: str, code: str, group: str) -> str:
    """The address a group's screen has after joining (a reload comes back to it)."""
    return url + "?" + urlencode({"class": code, "group": group})


def status(page: Page) -> str:
    """The run bar's status line."""
    return str(page.locator(".spc-status").first.inner_text())


def week_of(page: Page) -> int:
    """The week the page's run has reached (weeks played, as the last row of weekly.csv)."""
    found = re.search(r"week (\d+) of", status(page))
    if found is None:
        raise ValueError(f"no week in status {status(page)!r}")
    return int(found.group(1))


def settle(page: Page, quiet_ms: int = 800, timeout_ms: int = 30_000) -> int:
    """Wait until the week shown has not changed for ``quiet_ms``; return it.

    After Pause, the step under way when it was pressed still finishes and is drawn.
    """
    waited, week = 0, week_of(page)
    quiet = 0
    while quiet < quiet_ms:
        if waited > timeout_ms:
            raise TimeoutError(f"the run did not settle (week {week})")
        page.wait_for_timeout(100)
        waited += 100
        now = week_of(page)
        quiet = quiet + 100 if now == week else 0
        week = now
    return week


def rounds_played(page: Page) -> int:
    """Rounds the page's group has played."""
    found = re.search(r"(\d+) rounds? played", status(page))
    return int(found.group(1)) if found else 0


def play_round(page: Page) -> int:
    """Press "Play round n" as soon as the teacher has opened it; return rounds played."""
    before = rounds_played(page)
    button = page.get_by_role("button", name=f"Play round {before + 1}")
    button.wait_for()
    page.wait_for_function("el => !el.disabled", arg=button.element_handle(), timeout=POLL_MS)
    button.click()
    page.locator(".spc-status").filter(has_text=f"{before + 1} round").wait_for()
    return before + 1


def open_policies(page: Page, title: str) -> None:
    """Open a policy group of the panel (``Pay and perks``) unless it is open."""
    header = page.locator(".spc-policies .v-expansion-panel-header").filter(has_text=title)
    if "--active" not in (header.get_attribute("class") or ""):
        header.click()
        page.locator(".spc-policies .v-expansion-panel-header--active").filter(
            has_text=title
        ).wait_for()


def policy_field(page: Page, group_title: str, label: str) -> Locator:
    """The number field ``label`` of a policy group, its group opened."""
    open_policies(page, group_title)
    return page.get_by_label(label, exact=True)


def field_message(page: Page, label: str) -> str:
    """The message under field ``label`` ('' when its entry is fine)."""
    wrap = page.locator(".spc-entry-wrap").filter(has=page.get_by_label(label, exact=True))
    # Read without waiting: the message may come or go while the server checks a keystroke.
    texts = wrap.locator(".spc-field-error").all_inner_texts()
    return str(texts[0]) if texts else ""


def type_entry(
    page: Page, group_title: str, label: str, text: str, bad: bool = False, timeout_s: float = 15
) -> str:
    """Type ``text`` into a policy field (as keystrokes); return its message once settled.

    The server checks each keystroke, so the message passes through those of the partial
    entries ("n", "na", "nan"): this waits until it has stayed the same for 0.6 s and is
    a message (with ``bad``) or none.
    """
    field = policy_field(page, group_title, label)
    field.fill("")
    field.press_sequentially(text)
    deadline = time.monotonic() + timeout_s
    last, same_ms = None, 0
    while True:
        message = field_message(page, label)
        same_ms = same_ms + 100 if message == last else 0
        last = message
        if same_ms >= 600 and bool(message) == bad:
            return message
        if time.monotonic() > deadline:
            return message
        page.wait_for_timeout(100)


def apply(page: Page) -> None:
    """Press "Apply from week n" and wait until nothing is pending."""
    page.locator(".spc-apply").click()
    page.locator(".spc-apply[disabled]").wait_for()


def main(argv: list[str] | None = None) -> int:
    """Run the browser test with ``SPC_SCREENSHOTS`` set: it saves its images in docs/img."""
    args = sys.argv[1:] if argv is None else argv
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, SCREENSHOTS_ENV: "1"}
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "-n",
        "0",
        str(root / "tests" / "test_dashboard_browser.py"),
        *args,
    ]
    return subprocess.call(command, env=env, cwd=root)


if __name__ == "__main__":
    raise SystemExit(main())
