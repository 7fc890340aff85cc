"""Composing a configuration from Hydra overrides, checked before anything runs.

``compose_config`` is the one way code outside a Hydra job turns overrides into a
validated ``SimConfig`` (studies, design sweeps, research tools, the dashboard);
``check_overrides`` checks every configuration a command line would run.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from sim.config import SimConfig, validate
from sim.configstore import CONFIG_DIR, register_configs, to_sim_config
from sim.errors import UserError, explain


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


def check_overrides(overrides: Sequence[str], multirun: bool) -> None:
    """Validate every configuration a command line would run, before Hydra starts."""
    lists = expand_sweeps(overrides) if multirun else [list(overrides)]
    for combo in lists:
        compose_config(combo)
