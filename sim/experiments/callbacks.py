"""Hydra callback: aggregate a study when its multirun ends (any launcher)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig

from sim.manifest import MANIFEST


class AggregateOnEnd(Callback):
    """Write the study's tables, figures and report when all its jobs are done."""

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        """Aggregate the sweep folder if it is a study (it holds a manifest)."""
        from sim.experiments.report import aggregate

        folder = Path(str(config.hydra.sweep.dir))
        if (folder / MANIFEST).is_file():
            report = aggregate(folder)
            print(f"report: {report.resolve()}", flush=True)
