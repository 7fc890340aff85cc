"""Hydra wiring: the config folder, the schema registration, DictConfig -> SimConfig.

With ``sim.compose`` (configs from overrides), ``sim.errors`` (Hydra's errors in one
line), ``sim.launch`` and ``sim.app`` (running Hydra) the only place that knows about
Hydra/OmegaConf; everything past ``to_sim_config`` receives typed dataclasses.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from hydra.core.config_store import ConfigStore
from omegaconf import DictConfig, OmegaConf

from sim.config import ConfigError, SimConfig

CONFIG_DIR = Path(__file__).resolve().parent.parent / "configs"


def register_configs() -> None:
    """Register the root schema so every group's YAML is type-checked when composed."""
    ConfigStore.instance().store(name="base_config", node=SimConfig)


def to_sim_config(cfg: DictConfig | dict[str, Any]) -> SimConfig:
    """Convert a composed config into the typed ``SimConfig`` (Hydra's own node dropped)."""
    node = OmegaConf.create(cfg) if isinstance(cfg, dict) else cfg
    merged = OmegaConf.merge(OmegaConf.structured(SimConfig), node)
    if isinstance(merged, DictConfig) and "hydra" in merged:
        merged.pop("hydra")
    _reject_unknown_keys(merged, SimConfig(), "")
    result = OmegaConf.to_object(merged)
    assert isinstance(result, SimConfig)
    return result


def _reject_unknown_keys(node: Any, schema: Any, prefix: str) -> None:
    """Refuse keys the schema does not have (Hydra's ``+key=`` bypasses struct mode)."""
    if not dataclasses.is_dataclass(schema) or not isinstance(node, DictConfig):
        return
    names = [f.name for f in dataclasses.fields(schema)]
    for key in node:
        key = str(key)
        if key not in names:
            where = prefix.rstrip(".") or "the root config"
            raise ConfigError(
                f"unknown key '{prefix}{key}'; allowed keys in {where}: {', '.join(names)}"
            )
        _reject_unknown_keys(node[key], getattr(schema, key), f"{prefix}{key}.")


def to_yaml(cfg: SimConfig) -> str:
    """The resolved config as YAML (enums by name)."""
    return OmegaConf.to_yaml(OmegaConf.structured(cfg))


register_configs()
