"""Run one configuration to completion and return its tables (no Hydra, no files)."""

from __future__ import annotations

import time
from collections.abc import Callable

from sim.config import SimConfig
from sim.model import ServiceProfitChainModel, TransactionSink
from sim.results import RunResult, collect


def run_once(
    config: SimConfig | None = None,
    *,
    seed: int | None = None,
    progress: Callable[[int], None] | None = None,
    transaction_sink: TransactionSink | None = None,
) -> RunResult:
    """Build the model, run the configured horizon, and collect the output tables."""
    start = time.perf_counter()
    model = ServiceProfitChainModel(config, rng=seed, transaction_sink=transaction_sink)
    model.run(progress=progress)
    result = collect(model)
    result.summary["wall_seconds"] = round(time.perf_counter() - start, 3)
    return result
