"""Solara, typed for this package: the ``component`` decorator and small HTML helpers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

import solara as _solara

__all__ = ["component", "html_block", "solara"]

# Solara ships annotations, but its star re-exports do not resolve under mypy; the module is
# used untyped here, and each component keeps its own signature through ``component``.
solara: Any = _solara


def component[**P](func: Callable[P, Any]) -> Callable[P, Any]:
    """``solara.component`` with its parameters kept for the type checker.

    Calling a component returns its element (for ``.key(...)`` or ``with``).
    """
    return cast(Callable[P, Any], solara.component(func))


def html_block(text: str, classes: list[str] | None = None) -> None:
    """A block of our own HTML (``solara.Markdown`` would fetch KaTeX from a CDN)."""
    solara.HTML(tag="div", unsafe_innerHTML=text, classes=classes or [])


def use_poll[T](read: Callable[[], T], seconds: float, key: Any = None) -> T:
    """``read()`` now, and again every ``seconds`` in a thread; re-render when it changes.

    For state that other sessions change on disk (the teacher opening a round, a group
    playing one). A new ``key`` reads at once (after an action of this session's own);
    the thread stops with the component.
    """
    import threading

    first = solara.use_memo(read, [key])
    latest, set_latest = solara.use_state(cast(tuple[Any, Any] | None, None))

    def poll(cancel: threading.Event) -> None:
        last = first
        while not cancel.wait(seconds):
            fresh = read()
            if fresh != last:
                last = fresh
                set_latest((key, fresh))

    solara.use_thread(poll, dependencies=[key], intrusive_cancel=False)
    if latest is not None and latest[0] == key:
        return cast(T, latest[1])
    return cast(T, first)


def use_bump(counter: Any) -> Callable[[], None]:
    """A function that adds one to ``counter`` (a reactive int) and redraws once.

    Several components read the counter; set plainly, each would be redrawn in its own
    pass over the page. Inside the render context's batch they share one pass.
    """
    import reacton.core

    rc = reacton.core.get_render_context()

    def bump() -> None:
        with rc:
            counter.set(counter.value + 1)

    return bump
