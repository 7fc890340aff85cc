"""Errors a user can fix, and how a configuration error is told in one line.

Hydra and OmegaConf report a bad override with a traceback and a paragraph; ``explain``
turns those (and our own ``ConfigError``) into one line naming the field and what is
allowed, which ``sim`` prints as ``error: ...``.
"""

from __future__ import annotations

from typing import Any

from sim.config import ConfigError, SimConfig
from sim.configstore import CONFIG_DIR


class UserError(Exception):
    """A problem with the user's input, reported in one line without a traceback."""


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
