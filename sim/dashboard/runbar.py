"""The run bar on top of the student screen, and Play's loop.

Where the run stands, and Step / Play / Pause / Reset for a student alone, or "Play round
n" for a group of a class (played only when the teacher has opened the round, then saved
to disk). Play steps the model in a thread, one redraw per step.
"""

from __future__ import annotations

import dataclasses
import math
import threading
import time
from collections.abc import Callable

from sim.dashboard.classroom import ClassroomError, ClassState, GroupLink
from sim.dashboard.session import WEEKS_PER_ROUND, DashboardModel, weekly_table
from sim.dashboard.ui import component, solara, use_bump, use_poll

__all__ = ["PLAY_INTERVAL_S", "PLAY_WEEKS_PER_S", "RunBar", "play_weeks", "use_play"]

# Pause between two steps of Play: short, because a step's redraw is only new rows.
PLAY_INTERVAL_S = 0.05
# Play's pace: a redraw covers more than one week when the machine cannot redraw this
# often (many students on two cores). At 10 weeks a second a year goes by in five
# seconds; 12 leaves a margin.
PLAY_WEEKS_PER_S = 12.0


@component
def RunBar(
    model: solara.Reactive[DashboardModel],
    version: solara.Reactive[int],
    playing: solara.Reactive[bool],
    link: solara.Reactive[GroupLink | None],
    on_reset: Callable[[], None] | None,
    pending_world: int,
) -> None:
    """Where the run stands, and Step / Play / Pause / Reset (or "Play round n" in a class)."""
    version.value  # noqa: B018 - re-render at every step
    m = model.value
    group = link.value
    problem = solara.use_reactive("")
    bump = use_bump(version)

    def class_state() -> ClassState | None:
        return group.room.state() if group is not None else None

    # The teacher opens and closes rounds in another session: read the class every 2 s
    # (and at once after each round played here).
    state = use_poll(class_state, 2.0, key=(group.room.code if group else "", m.round))

    def step() -> None:
        if group is not None:
            _play_round(model, bump, link, problem)
        else:
            m.step()
            bump()

    with solara.Row(classes=["spc-top"], gap="10px", style={"align-items": "center"}):
        solara.Text("Service-profit chain", classes=["spc-title"])
        where = []
        if group is not None:
            where.append(f"class {group.room.code} · group {group.record.name}")
        where.append(f"week {m.week} of {m.horizon}")
        if m.classroom:
            where.append(f"{m.round} round{'s' if m.round != 1 else ''} played")
        solara.Text(" · ".join(where), classes=["spc-status"])
        if not m.running:
            solara.Text(
                f"The run has reached its end (week {m.horizon})."
                + (" Press Reset to start a new one." if group is None else ""),
                classes=["spc-end"],
            )
        if group is not None and state is not None:
            upcoming = m.round + 1
            allowed = state.may_play(upcoming) and m.running
            solara.Button(
                f"Play round {upcoming}",
                on_click=step,
                color="primary",
                disabled=not allowed,
                classes=["spc-step"],
            )
            if m.running and not allowed:
                why = (
                    "Your teacher has paused the class."
                    if state.closed
                    else f"Round {upcoming} opens when your teacher says so."
                )
                solara.Text(why, classes=["spc-wait"])
        else:
            step_words = "Play round" if m.classroom else "Step"
            solara.Button(
                step_words if not m.classroom else f"{step_words} {m.round + 1}",
                on_click=step,
                color="primary",
                disabled=playing.value or not m.running,
                classes=["spc-step"],
            )
            if playing.value:
                solara.Button(
                    "❚❚ Pause", on_click=lambda: playing.set(False), classes=["spc-pause"]
                )
            else:
                solara.Button(
                    "▶ Play",
                    on_click=lambda: playing.set(True),
                    disabled=not m.running,
                    classes=["spc-play"],
                )
            if on_reset is not None:
                solara.Button(
                    f"Reset (applies {pending_world} change{'s' if pending_world != 1 else ''})"
                    if pending_world
                    else "Reset",
                    on_click=on_reset,
                    color="warning" if pending_world else None,
                    classes=["spc-reset"],
                )
        if problem.value:
            solara.Text(problem.value, classes=["spc-problem"])


def _play_round(
    model: solara.Reactive[DashboardModel],
    bump: Callable[[], None],
    link: solara.Reactive[GroupLink | None],
    problem: solara.Reactive[str],
) -> None:
    """Play the group's next round if the teacher allows it, then save it to disk."""
    group = link.value
    assert group is not None
    m = model.value
    if not group.room.state().may_play(m.round + 1):
        problem.set("This round is not open: wait for your teacher.")
        bump()
        return
    played_from = m.week
    m.step()
    record = dataclasses.replace(
        group.record, week=m.week, decisions=[(w, dict(c)) for w, c in m.world.policy_log]
    )
    snap = m.snapshot()
    try:
        group.room.save_group(
            record, m.rounds(), weekly_table(snap.weekly, snap.twin_weekly), played_from
        )
    except ClassroomError as exc:
        problem.set(str(exc))
    else:
        problem.set("")
        link.set(GroupLink(group.room, record))
    bump()


def play_weeks(weeks_per_step: int, last_tick_s: float) -> int:
    """Weeks the next redraw of Play covers: the chosen step, or more on a busy machine.

    A redraw costs far more than a week of the model, so when the last step and redraw
    took longer than ``1 / PLAY_WEEKS_PER_S`` per week, the next one covers as many
    weeks as keep Play at ``PLAY_WEEKS_PER_S`` (every week still reaches the charts).

    >>> play_weeks(1, 0.05), play_weeks(1, 0.25), play_weeks(4, 0.05), play_weeks(1, 9.0)
    (1, 3, 4, 13)
    """
    needed = math.ceil(PLAY_WEEKS_PER_S * last_tick_s - 1e-9)
    return max(weeks_per_step, min(WEEKS_PER_ROUND, needed))


def use_play(
    model: solara.Reactive[DashboardModel],
    version: solara.Reactive[int],
    playing: solara.Reactive[bool],
) -> None:
    """Step the model in a thread while ``playing``, one redraw per step, to the horizon."""
    bump = use_bump(version)

    def play(cancel: threading.Event) -> None:
        last_tick = PLAY_INTERVAL_S
        while playing.value and not cancel.is_set():
            m = model.value
            if not m.running:
                playing.set(False)
                return
            started = time.perf_counter()
            m.advance(play_weeks(m.weeks_per_step, last_tick))
            bump()
            cancel.wait(max(0.0, PLAY_INTERVAL_S - (time.perf_counter() - started)))
            last_tick = time.perf_counter() - started

    # Not intrusive: a week is never interrupted half-way.
    solara.use_thread(play, dependencies=[playing.value, model.value], intrusive_cancel=False)
