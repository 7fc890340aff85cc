"""Service-profit chain simulator: an agent-based model of customers, employees and rivals."""

from sim.config import SimConfig
from sim.model import ServiceProfitChainModel
from sim.results import RunResult
from sim.runner import run_once

__version__ = "0.1.0"

__all__ = [
    "RunResult",
    "ServiceProfitChainModel",
    "SimConfig",
    "__version__",
    "run_once",
]
