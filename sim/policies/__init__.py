"""Management policies: pure decisions from typed configs and small state snapshots.

Nothing here imports Mesa or Hydra; the model calls these functions each week.
"""
