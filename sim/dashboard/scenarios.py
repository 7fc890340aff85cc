"""Starting worlds for the dashboard: the schema defaults, or a scenario from ``scenarios/``.

A scenario file is YAML whose ``world`` key lists Hydra overrides (``["market=tight",
"staffing=layoff"]``) or maps groups to options (``{market: tight}``); they are composed
with ``sim.cli.compose_config``, so a scenario never restates a parameter value.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.config import ConfigError, SimConfig, validate
from sim.configstore import CONFIG_DIR

__all__ = [
    "SCENARIO_DIR",
    "Scenario",
    "find_scenarios",
    "load_scenario",
    "starting_config",
    "usable_scenarios",
    "world_config",
]

SCENARIO_DIR = CONFIG_DIR.parent / "scenarios"
_LOG = logging.getLogger(__name__)

# Hydra's compose API keeps one global instance: sessions resetting at once take turns.
_COMPOSE_LOCK = threading.Lock()


@dataclass(frozen=True)
class Scenario:
    """A named starting world.

    Args:
        name: File name without ``.yaml``.
        path: The file.
        world: Hydra overrides that build the world.
        question: The scenario's question, if the file states one.
    """

    name: str
    path: Path
    world: tuple[str, ...]
    question: str = ""


def _overrides(world: Any, path: Path) -> tuple[str, ...]:
    if isinstance(world, dict):
        return tuple(f"{group}={option}" for group, option in world.items())
    if isinstance(world, list | tuple) and all(isinstance(o, str) for o in world):
        return tuple(world)
    raise ConfigError(
        f"{path.name}: 'world' must be a list of overrides (e.g. [market=tight]) "
        "or a mapping of group to option"
    )


def load_scenario(path: Path) -> Scenario:
    """Read one scenario file.

    Raises:
        ConfigError: the file is not a mapping with a ``world`` key.
    """
    from omegaconf import DictConfig, OmegaConf

    node = OmegaConf.load(path)
    if not isinstance(node, DictConfig) or "world" not in node:
        raise ConfigError(f"{path.name}: a scenario needs a 'world' key")
    data = OmegaConf.to_container(node, resolve=False)
    assert isinstance(data, dict)
    question = data.get("question", data.get("description", ""))
    return Scenario(
        name=path.stem,
        path=path,
        world=_overrides(data["world"], path),
        question=question.strip() if isinstance(question, str) else "",
    )


def find_scenarios(folder: Path = SCENARIO_DIR) -> dict[str, Scenario]:
    """Scenarios in ``folder`` by name; files without a usable ``world`` key are skipped.

    Skipping rather than failing keeps the dashboard up while a study file (which may
    not describe a single world) sits in the same folder.
    """
    found: dict[str, Scenario] = {}
    for path in sorted(folder.glob("*.yaml")) + sorted(folder.glob("*.yml")):
        try:
            scenario = load_scenario(path)
        except (ConfigError, OSError, ValueError):
            continue
        found[scenario.name] = scenario
    return found


def usable_scenarios(folder: Path = SCENARIO_DIR) -> dict[str, Scenario]:
    """The scenarios whose world composes into a valid config (others are logged and left out).

    Checked once when the dashboard starts, so a broken file never reaches a class: Mesa's
    Reset button has no way to show why a world could not be built.
    """
    usable: dict[str, Scenario] = {}
    for name, scenario in find_scenarios(folder).items():
        try:
            world_config(scenario.world)
        except ConfigError as exc:
            _LOG.warning("scenario %s left out of the dashboard: %s", name, exc)
            continue
        usable[name] = scenario
    return usable


@functools.lru_cache(maxsize=64)
def _composed(overrides: tuple[str, ...]) -> SimConfig:
    from sim.compose import compose_config
    from sim.errors import UserError

    with _COMPOSE_LOCK:
        try:
            return compose_config(list(overrides))
        except UserError as exc:
            raise ConfigError(str(exc)) from exc


def world_config(overrides: Sequence[str] = ()) -> SimConfig:
    """``configs/`` composed with ``overrides`` and validated (a fresh copy each call).

    Raises:
        ConfigError: an override is unknown or out of range (one line, as ``sim run``).
    """
    return copy.deepcopy(_composed(tuple(overrides)))


def starting_config(
    scenario: Scenario | None,
    n_customers: int | None = None,
    n_employees: int | None = None,
) -> SimConfig:
    """The config a dashboard session starts from.

    The scenario (or the schema defaults) sets the world and the starting policies; the
    dashboard's size sliders, when given, set the market and the workforce (they win over
    the scenario, so a class always gets a world its server can redraw quickly).

    Args:
        scenario: The starting world; None for the defaults.
        n_customers: People in the market (``market.n_customers``).
        n_employees: Initial headcount (``workforce.n_employees``).

    Returns:
        A validated config with the progress bar and run figures off.
    """
    cfg = world_config(scenario.world if scenario is not None else ())
    if n_customers is not None:
        cfg.market = dataclasses.replace(cfg.market, n_customers=int(n_customers))
    if n_employees is not None:
        cfg.workforce = dataclasses.replace(cfg.workforce, n_employees=int(n_employees))
    cfg.run = dataclasses.replace(cfg.run, progress=False, figures=False)
    return validate(cfg)
