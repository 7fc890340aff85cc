"""The standard figures of a run, drawn and saved as PNGs."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sim.plots.base import resolve_policy_weeks, save
from sim.plots.chain import plot_chain
from sim.plots.customers import plot_customers_by_firm, plot_profit_by_tier, plot_whale_curve
from sim.plots.workforce import plot_workforce


def make_run_figures(
    weekly: pd.DataFrame,
    customers: pd.DataFrame,
    out_dir: Path,
    policy_weeks: list[int] | None = None,
) -> list[Path]:
    """Draw and save the standard figures of a run.

    Writes ``chain.png``, ``customers_by_firm.png``, ``whale_curve.png``,
    ``profit_by_tier.png`` and ``workforce.png``. Empty or partial tables give panels
    with a "no data" note rather than an error.

    Args:
        weekly: The weekly table.
        customers: The customer ledger.
        out_dir: Folder for the PNGs (created if missing).
        policy_weeks: Weeks at whose start a policy changed (e.g. the weeks of the
            run's ``policy_log``); None reads the weekly ``policy_change`` column.

    Returns:
        The paths written, in the order above.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    changes = resolve_policy_weeks(weekly, policy_weeks)
    figures = {
        "chain": plot_chain(weekly, changes),
        "customers_by_firm": plot_customers_by_firm(weekly, changes),
        "whale_curve": plot_whale_curve(customers),
        "profit_by_tier": plot_profit_by_tier(customers),
        "workforce": plot_workforce(weekly, changes),
    }
    return [save(fig, out_dir / f"{name}.png") for name, fig in figures.items()]
