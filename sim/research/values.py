"""Worlds and points in them, as checked configurations: ``base_config`` and ``with_values``.

Their own module because both the public API (``sim.research.api``) and the tools it
wraps (``sim.research.ema``, ``sim.research.dose``) use them: kept here, nothing imports
in a circle.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Mapping, Sequence
from typing import Any

from sim.config import ConfigError, SimConfig, validate
from sim.design import coerce, schema_default, schema_meta

QUIET = ("run.figures=false", "run.progress=false")
CUSTOMERS_PER_EMPLOYEE = 100  # the default world's ratio (10,000 people, 100 staff)


def base_config(
    overrides: Sequence[str] = (), *, customers: int | None = None, weeks: int | None = None
) -> SimConfig:
    """The composed, validated configuration of ``configs/config.yaml`` with ``overrides``.

    Args:
        overrides: Hydra overrides, as on the command line (``market=tight``,
            ``policy=tiered_service``, ``hr.perks_per_week=40``).
        customers: People in the market (``market.n_customers``); the staff scale with
            them at the default world's one per 100 (at least one), and the burn-in is
            shortened to a quarter (13 weeks) so a small world is quick.
        weeks: The horizon (``run.weeks``).

    Figures and the progress line are off: a script reads the tables.

    Raises:
        ConfigError: one line naming the override, the field and what is allowed.

    >>> base_config(["hr.perks_per_week=5"], weeks=60).run.weeks
    60
    >>> base_config(["hr.perks_per_week=-5"])
    Traceback (most recent call last):
    ...
    sim.config.ConfigError: hr.perks_per_week=-5.0: out of range; allowed: a number in [0, 1e+06]
    """
    from sim.compose import compose_config
    from sim.errors import UserError

    sizes: list[str] = []
    if customers is not None:
        staff = max(1, customers // CUSTOMERS_PER_EMPLOYEE)
        sizes += [
            f"market.n_customers={customers}",
            f"workforce.n_employees={staff}",
            "run.burn_in_weeks=13",
        ]
    if weeks is not None:
        sizes.append(f"run.weeks={weeks}")
    try:
        return compose_config([*QUIET, *sizes, *overrides])
    except UserError as exc:
        raise ConfigError(str(exc)) from exc


def with_values(config: SimConfig, values: Mapping[str, Any]) -> SimConfig:
    """A copy of ``config`` with schema values (``{"hr.perks_per_week": 40.0}``) set, checked.

    Keys are dotted schema fields (``group.name``); values are converted to the field's
    type (an option by its name, e.g. ``"tiered"``). ``config`` itself is not changed.

    Raises:
        ConfigError: naming the key and the allowed keys, options or range.

    >>> config = base_config(customers=200, weeks=52)
    >>> with_values(config, {"service.kind": "tiered"}).service.kind.name
    'tiered'
    >>> with_values(config, {"hr.perkz": 1})
    Traceback (most recent call last):
    ...
    sim.config.ConfigError: unknown key 'hr.perkz'; allowed keys in hr: wage_premium, ...
    >>> with_values(config, {"hr.perks_per_week": "many"})
    Traceback (most recent call last):
    ...
    sim.config.ConfigError: hr.perks_per_week='many': not a number; allowed: a number in [0, 1e+06]
    """
    for key, value in values.items():
        default = schema_default(key)
        try:
            cell = coerce(key, value)
        except (TypeError, ValueError) as exc:
            meta = schema_meta(key)
            lo, hi = (meta.get(b) for b in ("min", "max"))
            allowed = f"a number in [{'-inf' if lo is None else f'{lo:g}'}, " + (
                f"{'inf' if hi is None else f'{hi:g}'}]"
            )
            raise ConfigError(f"{key}={value!r}: not a number; allowed: {allowed}") from exc
        if isinstance(default, enum.Enum):
            allowed_names = [m.name for m in type(default)]
            if cell not in allowed_names:
                raise ConfigError(
                    f"{key}='{cell}': unknown option; allowed: {', '.join(allowed_names)}"
                )
            cell = type(default)[cell]
        group, _, name = key.partition(".")
        node = dataclasses.replace(getattr(config, group), **{name: cell})
        config = dataclasses.replace(config, **{group: node})
    return validate(config)
