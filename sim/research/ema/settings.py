"""What defines one worked example, and the files of its folder."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from sim.research.levers import (
    Lever,
)
from sim.research.uncertainties import Uncertainty

PAIRS = "pairs.csv"
PRIM_FILES = (
    "prim_trajectory.csv",
    "prim_box.csv",
    "prim_steps.csv",
    "prim_tradeoff.png",
    "prim_box.png",
)


@dataclass
class Settings:
    """Everything that defines a worked example, as parsed from the command line."""

    scenarios: int
    replications: int
    policies: tuple[str, str]
    threshold: float
    min_density: float
    root_seed: int
    jobs: int
    small: bool
    fixed: list[str]
    uncertainties: list[Uncertainty]
    levers: list[Lever]
    levers_path: Path
    uncertainties_path: Path
    folder: Path
    argv: list[str]
    analysed: list[str] = dataclasses.field(default_factory=list)
