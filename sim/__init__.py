"""Service-profit chain simulator: an agent-based model of customers, employees and rivals."""

__version__ = "0.1.0"
