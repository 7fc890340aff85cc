"""Changes during a run: policy decisions and outside shocks, scheduled or immediate.

Policies are the firm's levers (``POLICY_GROUPS``); shocks change world conditions
(``WORLD_GROUPS``: demand, competition...) that are not fixed when the world is made.
Both apply from the next week on and are logged with the week they were made.
"""

from __future__ import annotations

from typing import Any

from sim.config import WORLD_GROUPS, apply_change, split_change
from sim.week.world import World


def set_policy(world: World, change: dict[str, Any]) -> None:
    """Change policies from the next week on, e.g. ``{"hr.perks_per_week": 50}``."""
    world.config = apply_change(world.config, change, f"week {world.week}")
    world.policy_log.append((world.week, dict(change)))
    world.policy_changed = True


def shock(world: World, change: dict[str, Any]) -> None:
    """Change world conditions (``WORLD_GROUPS``) from the next week on."""
    world.config = apply_change(world.config, change, f"week {world.week}", WORLD_GROUPS)
    world.event_log.append((world.week, dict(change)))


def apply_due(world: World) -> None:
    """Apply every scheduled change whose week has come, policies and shocks alike."""
    pending = world.pending_changes
    while pending and pending[0].week <= world.week:
        policy, conditions = split_change(dict(pending.pop(0).set))
        if policy:
            set_policy(world, policy)
        if conditions:
            shock(world, conditions)
