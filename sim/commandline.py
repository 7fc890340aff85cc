"""Running a command's ``main``: a user's mistake becomes one line on stderr and a status.

``sim <command> ARGS`` and ``python -m <the command's module> ARGS`` both go through
``run``, so a bad option reads the same whichever way the command was started.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence

from sim.config import ConfigError
from sim.errors import UserError

type Main = Callable[[list[str]], int]


def run(main: Main, argv: Sequence[str]) -> int:
    """Call ``main(argv)``; report a user error (status 2) or a failed write (status 1)."""
    try:
        return main(list(argv))
    except (UserError, ConfigError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"error: could not write results: {exc}", file=sys.stderr)
        return 1


def module_main(main: Main) -> int:
    """``python -m <module> ARGS`` behaves as ``sim <command> ARGS``, errors included."""
    return run(main, sys.argv[1:])
