"""Management policies: pure decisions from typed configs and what management sees.

Each module has ``decide(config group, situation) -> decision`` (a frozen dataclass);
``management.decide`` gathers them for the week. Nothing here imports Mesa or Hydra.
"""
