"""How fast Play runs: simulated weeks per second of a 3,000-person world, printed.

``python -m sim.dashboard.bench`` measures the server's side in this process: the student
page rendered with ``solara.render`` and stepped as Play steps it (model step, snapshot,
chart rows and the page's re-render), for one week per step and in classroom rounds.
``--browser`` also measures end to end: a real server and Debian's Chromium, each of
``--sessions`` pages pressing Play at once, the week reached after ``--seconds`` and
how often the page was redrawn (on a busy machine one redraw covers several weeks).
A measurement, not a test: machines differ, so nothing here passes or fails.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Sequence
from typing import Any, cast

__all__ = ["browser_weeks_per_second", "main", "server_weeks_per_second"]


def server_weeks_per_second(
    classroom: bool,
    steps: int,
    n_customers: int = 3000,
    n_employees: int = 30,
    from_week: int = 0,
) -> dict[str, float]:
    """Step the rendered student page ``steps`` times; weeks per second, with and without UI.

    ``from_week``: weeks played before the page is drawn (late in a run every chart has
    more rows).

    Returns:
        ``weeks_per_step``, ``weeks_per_s`` (page), ``model_weeks_per_s`` (the model
        alone, same weeks) and ``ms_per_step`` (page).
    """
    import ipyvue  # type: ignore[import-untyped]
    import ipyvuetify

    from sim.dashboard import app
    from sim.dashboard.classroom import GroupLink
    from sim.dashboard.session import DashboardModel
    from sim.dashboard.student import StudentScreen
    from sim.dashboard.ui import component, solara

    v: Any = ipyvuetify  # untyped: its widget classes are generated at import

    def new_model() -> DashboardModel:
        model = DashboardModel(
            classroom=classroom, n_customers=n_customers, n_employees=n_employees
        )
        model.advance(from_week)
        return model

    @component
    def Screen() -> None:
        model = solara.use_reactive(solara.use_memo(new_model, []))
        link = solara.use_reactive(cast(GroupLink | None, None))
        StudentScreen(model, link, [])

    _, rc = solara.render(
        solara.RoutingProvider(
            children=[app.Layout(children=[Screen()])], routes=app.routes, pathname="/?solo=1"
        ),
        handle_error=False,
    )
    model = new_model()
    per_step = model.weeks_per_step

    def week_shown() -> int:
        status = rc.find(ipyvue.Html, class_="spc-status").widget.children[0]
        return int(str(status).split("week ")[1].split(" ")[0])

    started = time.perf_counter()
    for _ in range(steps):
        # The button's label follows the round; click the widget, not the label.
        rc.find(v.Btn, class_="spc-step").widget.click()
    page_s = time.perf_counter() - started
    weeks = week_shown() - from_week  # what the page says it reached, not what it was asked
    rc.close()

    started = time.perf_counter()
    for _ in range(steps):
        model.step()
    model_s = time.perf_counter() - started
    return {
        "weeks_per_step": float(per_step),
        "weeks_per_s": weeks / page_s,
        "model_weeks_per_s": (model.week - from_week) / model_s,
        "ms_per_step": 1000.0 * page_s / steps,
    }


# Counts the run bar's redraws (each changes its status line) from the page's side.
COUNT_REDRAWS = """() => {
  window.spcRedraws = 0;
  new MutationObserver(() => window.spcRedraws++).observe(
    document.querySelector('.spc-status'), {subtree: true, childList: true, characterData: true});
}"""


def browser_weeks_per_second(sessions: int, seconds: float) -> list[tuple[float, float]]:
    """Each of ``sessions`` Chromium pages presses Play: (weeks, redraws) a second each."""
    from playwright.sync_api import sync_playwright

    from sim.dashboard.screenshots import launch, new_page, serve, week_of

    with serve() as url, sync_playwright() as p:
        browser = launch(p)
        try:
            pages = [new_page(browser, url + "?solo=1") for _ in range(sessions)]
            for page in pages:
                page.locator(".spc-chart-chain canvas").first.wait_for()
            starts = []
            for page in pages:
                page.evaluate(COUNT_REDRAWS)
                page.locator(".spc-play").click()
                starts.append((time.perf_counter(), week_of(page)))
            time.sleep(seconds)
            rates = []
            for page, (t0, w0) in zip(pages, starts, strict=True):
                elapsed = time.perf_counter() - t0
                redraws = float(page.evaluate("() => window.spcRedraws"))
                rates.append(((week_of(page) - w0) / elapsed, redraws / elapsed))
            for page in pages:
                page.locator(".spc-pause").click()
        finally:
            browser.close()
    return rates


def _row(name: str, r: dict[str, Any]) -> str:
    return (
        f"| {name} | {r['weeks_per_step']:.0f} | {r['ms_per_step']:.1f} | "
        f"{r['weeks_per_s']:.1f} | {r['model_weeks_per_s']:.0f} |"
    )


def main(argv: Sequence[str] | None = None) -> None:
    """Print the figures."""
    parser = argparse.ArgumentParser(prog="python -m sim.dashboard.bench", description=__doc__)
    parser.add_argument("--steps", type=int, default=60, help="steps per server measurement")
    parser.add_argument("--browser", action="store_true", help="also measure in Chromium")
    parser.add_argument("--sessions", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args(argv)
    print(f"machine: {os.cpu_count()} cores; world: 3,000 people, 30 employees")
    print("\nserver side (page rendered in-process, stepped as Play steps it):\n")
    print("| mode | weeks a step | ms a step | weeks/s (page) | weeks/s (model alone) |")
    print("|---|---|---|---|---|")
    print(_row("explore", server_weeks_per_second(False, args.steps)))
    late = server_weeks_per_second(False, args.steps, from_week=400)
    print(_row("explore, from week 400", late))
    print(_row("classroom (+ twin)", server_weeks_per_second(True, max(8, args.steps // 8))))
    if args.browser:
        print(f"\nend to end (server + Chromium on this machine, Play for {args.seconds:g} s):\n")
        print("| sessions playing at once | weeks/s each | redraws/s each |")
        print("|---|---|---|")
        for n in args.sessions:
            rates = browser_weeks_per_second(n, args.seconds)
            weeks = ", ".join(f"{w:.1f}" for w, _ in rates)
            redraws = ", ".join(f"{r:.1f}" for _, r in rates)
            print(f"| {n} | {weeks} | {redraws} |")


if __name__ == "__main__":
    main()
