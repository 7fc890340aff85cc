"""Command line: ``sim run`` (one Hydra app) and ``sim bench``.

``sim run [overrides]`` composes the config from ``configs/``, validates it, runs the
model and writes one run folder under ``results/runs/``. A bad config is reported in
one line naming the field and what is allowed, before anything is written.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from typing import Any

from sim.config import ConfigError, SimConfig, validate
from sim.configstore import CONFIG_DIR, register_configs, to_sim_config

USAGE = """usage: sim <command> [args]

commands:
  run [overrides ...]   one run of the model (Hydra overrides, e.g. staffing=layoff seed=3)
  study NAME [--smoke]  a scenario from scenarios/: policies x replications, then a report
  aggregate FOLDER      (re)build a study's tables, figures and report from its runs
  dashboard [--host H]  the classroom dashboard in the browser (127.0.0.1:8765 by default)
  validate [--quick]    reproduce the stylized facts: table of fact, range, value, CI, pass
  bench [--quick]       benchmark: wall time and customer-weeks per second
  bench-sweep           benchmark: a study with the serial launcher vs joblib
  bench-soak [--runs N] reliability: a long sweep checked for memory growth and leaks
  sensitivity           Sobol or Morris indices over configs/uncertainties.yaml (SALib)
  optimise              search the policy levers (configs/levers.yaml) with Optuna
  ema                   EMA Workbench experiments and PRIM: when does tiering lose money?
  loops SCENARIO        the scenario with each feedback link cut in turn: what each loop carries
  clv [--small]         BG/NBD fitted to a simulated transaction log, against the truth

`sim run --help` lists the config groups and their options.
"""


class UserError(Exception):
    """A problem with the user's input, reported in one line without a traceback."""


# ------------------------------------------------------------------ validation


def compose_config(overrides: Sequence[str]) -> SimConfig:
    """Compose ``configs/config.yaml`` with ``overrides`` and validate it.

    Raises:
        UserError: one line naming the field and what is allowed.
    """
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    refuse_foreign_targets(overrides)
    register_configs()
    own = [o for o in overrides if not o.lstrip("+~").startswith("hydra")]
    GlobalHydra.instance().clear()
    try:
        with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
            cfg = compose(config_name="config", overrides=own)
        return validate(to_sim_config(cfg))
    except Exception as exc:
        raise UserError(explain(exc)) from exc
    finally:
        GlobalHydra.instance().clear()


TARGET_PATTERN = re.compile(r"_target_\s*[:=]\s*['\"]?([\w.]+)")


def refuse_foreign_targets(overrides: Sequence[str]) -> None:
    """Refuse any ``_target_`` that names something outside this package.

    Hydra instantiates ``_target_`` entries (callbacks, launchers); an override such as
    ``+hydra.callbacks.x._target_=os.system`` would otherwise run arbitrary code.

    Raises:
        UserError: naming the override and what is allowed.
    """
    for override in overrides:
        if "_target_" not in override:
            continue
        for target in TARGET_PATTERN.findall(override):
            if not target.startswith("sim."):
                raise UserError(
                    f"'{override}': _target_={target} is refused; "
                    "allowed: only classes of this package (sim.*)"
                )


def expand_sweeps(overrides: Sequence[str]) -> list[list[str]]:
    """Override lists to check for a multirun: every value of every sweep at least once.

    Checking each swept value against the first value of the others catches every
    typo and range error without composing the whole product.
    """
    from hydra.core.override_parser.overrides_parser import OverridesParser

    try:
        parsed = OverridesParser.create().parse_overrides(list(overrides))
    except Exception as exc:
        raise UserError(explain(exc)) from exc
    choices: list[list[str]] = []
    for o in parsed:
        key = o.get_key_element()
        if o.is_sweep_override():
            if not o.is_discrete_sweep():
                choices.append([o.input_line or key])
                continue
            choices.append([f"{key}={v}" for v in o.sweep_string_iterator()])
        else:
            choices.append([o.input_line or f"{key}={o.get_value_element_as_str()}"])
    base = [c[0] for c in choices]
    combos = [base]
    for i, values in enumerate(choices):
        for v in values[1:]:
            combos.append([*base[:i], v, *base[i + 1 :]])
    return combos


def explain(exc: BaseException) -> str:
    """Turn a Hydra/OmegaConf/validation error into one line for the user."""
    from hydra.errors import MissingConfigException, OverrideParseException
    from omegaconf.errors import ConfigKeyError, OmegaConfBaseException, ValidationError

    chain: list[BaseException] = []
    e: BaseException | None = exc
    while e is not None and e not in chain:
        chain.append(e)
        e = e.__cause__ or e.__context__
    for err in chain:
        if isinstance(err, UserError | ConfigError):
            return str(err)
    for err in chain:
        if isinstance(err, MissingConfigException):
            return _missing_option(err)
        if isinstance(err, OverrideParseException):
            return f"could not parse override: {_first_line(str(err))}"
    for err in chain:
        if isinstance(err, (ConfigKeyError | ValidationError, OmegaConfBaseException)):
            return _omegaconf_message(err)
    text = _first_line(str(exc))
    if "No match in the defaults list" in str(exc) or "Could not override" in str(exc):
        key = text.split("'")[1] if "'" in text else text
        return (
            f"unknown config group or key '{key}'; allowed groups: {', '.join(GROUPS)}; "
            "other keys: seed (use group.key=value for a field, e.g. hr.wage_premium=0.1)"
        )
    return text


def _groups() -> tuple[str, ...]:
    import dataclasses

    defaults = SimConfig()
    return tuple(
        f.name
        for f in dataclasses.fields(defaults)
        if dataclasses.is_dataclass(getattr(defaults, f.name))
    )


GROUPS = _groups()


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else text


def _missing_option(err: BaseException) -> str:
    import re

    text = str(err)
    found = re.search(r"Could not find '([^']+)'", text)
    missing = found.group(1) if found else text
    group, _, option = missing.rpartition("/")
    options = getattr(err, "options", None) or []
    if not options and group:
        options = sorted(p.stem for p in (CONFIG_DIR / group).glob("*.yaml"))
    if group:
        return f"unknown option '{option}' for {group}; allowed: {', '.join(options)}"
    return _first_line(text)


def _omegaconf_message(err: BaseException) -> str:
    from omegaconf.errors import ConfigKeyError, ValidationError

    full_key = str(getattr(err, "full_key", "") or "")
    msg = str(getattr(err, "msg", "") or _first_line(str(err)))
    if isinstance(err, ConfigKeyError) or "not in" in msg:
        group, _, _name = full_key.rpartition(".")
        allowed = _field_names(group)
        where = group or "the root config"
        return f"unknown key '{full_key}'" + (
            f"; allowed keys in {where}: {', '.join(allowed)}" if allowed else ""
        )
    if isinstance(err, ValidationError):
        return f"{full_key}: {_first_line(msg)}" + _allowed_values(full_key)
    return f"{full_key}: {_first_line(msg)}" if full_key else _first_line(msg)


def _field_names(group: str) -> list[str]:
    import dataclasses

    node: Any = SimConfig()
    for part in group.split(".") if group else []:
        node = getattr(node, part, None)
        if node is None:
            return []
    if not dataclasses.is_dataclass(node):
        return []
    return [f.name for f in dataclasses.fields(node)]


def _allowed_values(full_key: str) -> str:
    import dataclasses
    import enum

    group, _, name = full_key.rpartition(".")
    node: Any = SimConfig()
    for part in group.split(".") if group else []:
        node = getattr(node, part, None)
    if node is None or not dataclasses.is_dataclass(node):
        return ""
    value = getattr(node, name, None)
    if isinstance(value, enum.Enum):
        return f"; allowed: {', '.join(m.name for m in type(value))}"
    if isinstance(value, bool):
        return "; allowed: true, false"
    if isinstance(value, int | float):
        return f"; allowed: a {'whole ' if isinstance(value, int) else ''}number"
    return ""


def check_overrides(overrides: Sequence[str], multirun: bool) -> None:
    """Validate every configuration a command line would run, before Hydra starts."""
    lists = expand_sweeps(overrides) if multirun else [list(overrides)]
    for combo in lists:
        compose_config(combo)


# ----------------------------------------------------------------- commands


def _run_command(args: list[str]) -> int:
    if any(a in ("--help", "-h", "--hydra-help", "--info", "-i") for a in args):
        from sim.app import hydra_main

        sys.argv = ["sim run", *args]
        hydra_main()
        return 0
    multirun = any(a in ("-m", "--multirun") for a in args)
    overrides = [a for a in args if not a.startswith("-")]
    check_overrides(overrides, multirun)
    from sim.app import hydra_main

    sys.argv = ["sim run", *args]
    hydra_main()
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
    "sensitivity": "sim.research.sensitivity",
    "optimise": "sim.research.optimise",
    "ema": "sim.research.ema",
    "loops": "sim.research.loops",
}


def module_main(command: str) -> int:
    """``python -m <module of command> ARGS`` behaves as ``sim <command> ARGS``, errors included."""
    return main([command, *sys.argv[1:]])


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``sim`` command."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help", "help"):
        print(USAGE)
        return 0
    command, rest = args[0], args[1:]
    try:
        if command == "run":
            return _run_command(rest)
        if command == "aggregate":
            return _aggregate_command(rest)
        if command == "dashboard":
            from sim.dashboard.__main__ import main as dashboard_main

            dashboard_main(rest)
            return 0
        if command in COMMANDS:
            import importlib

            module = importlib.import_module(COMMANDS[command])
            status: int = module.main(rest)
            return status
        allowed = ", ".join(["run", "aggregate", "dashboard", *COMMANDS])
        raise UserError(f"unknown command '{command}'; allowed: {allowed}")
    except (UserError, ConfigError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"error: could not write results: {exc}", file=sys.stderr)
        return 1


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


__all__ = ["compose_config", "explain", "main"]
