"""The ``sim`` command: parse the command name and hand the rest to the module that runs it.

Nothing in ``sim`` imports this module: each command lives in its own module with a
``main(argv) -> int`` (``COMMANDS``), and ``sim.commandline`` turns a user's mistake
into one line. ``sim run [overrides]`` checks every configuration it would run before
Hydra starts, so a bad config is reported in one line naming the field and what is
allowed, before anything is written.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from sim.commandline import run
from sim.compose import check_overrides, refuse_foreign_targets
from sim.errors import UserError

USAGE = """usage: sim <command> [args]

commands:
  run [overrides ...]   one run of the model (Hydra overrides, e.g. staffing=layoff seed=3)
  study NAME [--smoke]  a scenario from scenarios/: policies x replications, then a report
  aggregate FOLDER      (re)build a study's tables, figures and report from its runs
  dashboard [--host H]  the classroom dashboard in the browser (127.0.0.1:8765 by default)
  validate [--quick]    reproduce the stylized facts: table of fact, range, value, CI, pass
  calibrate [--quick]   fit the declared calibration targets jointly; --quick: parameter recovery
  bench [--quick]       benchmark: wall time and customer-weeks per second
  bench-sweep           benchmark: a study with the serial launcher vs joblib
  bench-soak [--runs N] reliability: a long sweep checked for memory growth and leaks
  sensitivity           Sobol or Morris indices over configs/uncertainties.yaml (SALib)
  optimise              search the policy levers (configs/levers.yaml) with Optuna
  ema                   EMA Workbench experiments and PRIM: when does tiering lose money?
  loops SCENARIO        the scenario with each feedback link cut in turn: what each loop carries
  clv [--small]         BG/NBD fitted to a simulated transaction log, against the truth
  fit-customers LOG --split DATE  a firm's own customers as the model's customer world

`sim run --help` lists the config groups and their options.
"""


def _run_command(args: list[str]) -> int:
    from sim.launch import run_app

    refuse_foreign_targets(args)
    if not any(a in ("--help", "-h", "--hydra-help", "--info", "-i") for a in args):
        multirun = any(a in ("-m", "--multirun") for a in args)
        check_overrides([a for a in args if not a.startswith("-")], multirun)
    run_app(args, prog="sim run")
    return 0


def _aggregate_command(args: list[str]) -> int:
    from pathlib import Path

    from sim.experiments.report import aggregate

    if len(args) != 1:
        raise UserError("usage: sim aggregate <study folder>")
    report = aggregate(Path(args[0]))
    print(f"report: {report.resolve()}")
    return 0


# Commands whose module has a ``main(argv) -> int``; imported only when used.
COMMANDS = {
    "study": "sim.experiments.study",
    "validate": "sim.validation.cli",
    "bench": "sim.bench",
    "bench-sweep": "sim.experiments.sweepbench",
    "bench-soak": "sim.experiments.soak",
    "clv": "sim.research.clv",
    "fit-customers": "sim.customers.command",
    "calibrate": "sim.calibration",
    "sensitivity": "sim.research.sensitivity",
    "optimise": "sim.research.optimise",
    "ema": "sim.research.ema",
    "loops": "sim.research.loops",
}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``sim`` command."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help", "help"):
        print(USAGE)
        return 0
    command, rest = args[0], args[1:]
    return run(lambda argv: _dispatch(command, argv), rest)


def _dispatch(command: str, args: list[str]) -> int:
    if command == "run":
        return _run_command(args)
    if command == "aggregate":
        return _aggregate_command(args)
    if command == "dashboard":
        from sim.dashboard.__main__ import main as dashboard_main

        dashboard_main(args)
        return 0
    if command in COMMANDS:
        import importlib

        module = importlib.import_module(COMMANDS[command])
        status: int = module.main(args)
        return status
    allowed = ", ".join(["run", "aggregate", "dashboard", *COMMANDS])
    raise UserError(f"unknown command '{command}'; allowed: {allowed}")


def _terminate(signum: int, frame: object) -> None:
    # SIGTERM (a scheduler, `kill`) unwinds like Ctrl-C, so partial folders are removed.
    raise KeyboardInterrupt


def cli_entry() -> None:
    """Console-script wrapper that exits with ``main``'s status."""
    import signal

    signal.signal(signal.SIGTERM, _terminate)
    try:
        raise SystemExit(main())
    except KeyboardInterrupt:
        print("interrupted: no partial results were kept", file=sys.stderr)
        raise SystemExit(130) from None


__all__ = ["cli_entry", "main"]
