"""Composing a configuration from Hydra overrides, checked before anything runs.

``compose_config`` is the one way code outside a Hydra job turns overrides into a
validated ``SimConfig`` (studies, design sweeps, research tools, the dashboard);
``check_overrides`` checks every configuration a command line would run.
"""

from __future__ import annotations

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


# The only classes Hydra may instantiate from a command line this package builds: its own
# callbacks (added by ``sim.launch``, never by a user). Launchers come from the YAML
# files in configs/hydra/launcher, chosen by name.
ALLOWED_TARGETS = frozenset({"sim.experiments.callbacks.AggregateOnEnd"})
# Hydra options that would read configuration (and so ``_target_`` entries) from
# outside configs/.
FOREIGN_CONFIG_OPTIONS = ("--config-dir", "-cd", "--config-path", "-cp", "--config-name", "-cn")


def refuse_foreign_targets(overrides: Sequence[str]) -> None:
    """Refuse every user override that could make Hydra instantiate code.

    Hydra instantiates ``_target_`` entries (callbacks, launchers, sweepers); an override
    such as ``+hydra.callbacks.x._target_=os.system``, or one whose target is an
    interpolation (``${hydra.job.name}``), would otherwise run arbitrary code. So a user
    override may not name a ``_target_`` at all, in its key or in a mapping value, nor
    touch ``hydra.callbacks``; the package's own callbacks are added after this check.

    Raises:
        UserError: naming the override and what is allowed.
    """
    for override in overrides:
        text = str(override)
        key = text.split("=", 1)[0].lstrip("+~").strip()
        if text.startswith(FOREIGN_CONFIG_OPTIONS):
            raise UserError(
                f"'{text}' is refused: configuration comes only from configs/; "
                "allowed: group=option and key=value overrides"
            )
        if "_target_" in text or key.startswith(("hydra.callbacks", "hydra/callbacks")):
            raise UserError(
                f"'{text}' is refused: overrides may not set _target_ or hydra.callbacks "
                "(Hydra would run the code they name); allowed: group=option and "
                "key=value overrides of the model's settings"
            )


def check_own_targets(args: Sequence[str]) -> None:
    """The package's own Hydra arguments name only allowed, literal targets."""
    for arg in args:
        key, _, value = str(arg).partition("=")
        if "_target_" in key and value not in ALLOWED_TARGETS:
            raise UserError(f"internal error: target '{value}' is not in ALLOWED_TARGETS")


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
    """Validate every configuration a command line would run, before Hydra starts.

    Each must also fit: a run whose memory or results the machine cannot hold is refused
    (``sim.footprint``), not left to fail hours in.
    """
    from pathlib import Path

    from sim.footprint import LARGE_MB, check_room, estimate

    lists = expand_sweeps(overrides) if multirun else [list(overrides)]
    for combo in lists:
        cfg = compose_config(combo)
        needs = check_room(cfg, runs=1, workers=1, folder=Path(cfg.run.results_dir))
        big = estimate(cfg)
        if max(big.memory_mb, big.disk_mb) > LARGE_MB:
            print(f"{' '.join(combo) or 'default run'}: {needs}", flush=True)
