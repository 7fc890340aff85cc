"""``python -m sim.dashboard``: serve the teaching dashboard with ``solara run``.

By default it listens on 127.0.0.1 only; ``--host 0.0.0.0`` opens it to the classroom
network (students browse to ``http://<this machine's address>:8765/``).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

__all__ = ["APP", "DEFAULT_HOST", "DEFAULT_PORT", "main", "server_command", "server_env"]

APP = Path(__file__).resolve().with_name("app.py")
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765


def server_command(host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> list[str]:
    """The ``solara run`` command line serving the dashboard (production mode, no browser)."""
    return [
        sys.executable,
        "-m",
        "solara",
        "run",
        str(APP),
        "--host",
        host,
        "--port",
        str(port),
        "--production",
        "--no-open",
    ]


def server_env(base: dict[str, str] | None = None) -> dict[str, str]:
    """The server's environment: Solara's telemetry off, our title, no Solara banner.

    Telemetry is off because classes run offline and students' use is private; the
    banner would sit over the rounds table.
    """
    env = dict(os.environ if base is None else base)
    env.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "False")
    env.setdefault("SOLARA_THEME_SHOW_BANNER", "False")
    env.setdefault("SOLARA_THEME_TITLE", "Service-profit chain")
    return env


def main(argv: Sequence[str] | None = None) -> None:
    """Parse the options and replace this process with the Solara server."""
    parser = argparse.ArgumentParser(
        prog="python -m sim.dashboard",
        description="Serve the service-profit chain teaching dashboard (Ctrl-C stops it).",
    )
    parser.add_argument(
        "--host",
        default=DEFAULT_HOST,
        help=f"address to listen on (default {DEFAULT_HOST}: this machine only; "
        "0.0.0.0: every network interface, for a classroom)",
    )
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})"
    )
    args = parser.parse_args(argv)
    shown = "<this machine's address>" if args.host in ("0.0.0.0", "::") else args.host
    print(f"Teaching dashboard: http://{shown}:{args.port}/  (Ctrl-C stops it)", flush=True)
    command = server_command(args.host, args.port)
    # exec, not a child process: stopping this process stops the server with it.
    os.execve(command[0], command, server_env())


if __name__ == "__main__":
    main()
