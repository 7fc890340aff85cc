"""The search's history: value per trial, the best so far, turnover against its bound."""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from sim.research.optimise.search import best_so_far
from sim.research.optimise.settings import Settings


def history_figure(settings: Settings, history: pd.DataFrame) -> Figure:
    """Value per trial (feasible or not) with the best so far; turnover against its bound."""
    panels = 2 if settings.max_turnover is not None else 1
    fig = Figure(figsize=(8, 3.2 * panels), layout="constrained")
    axes = fig.subplots(panels, 1, sharex=True, squeeze=False)[:, 0]
    ax = axes[0]
    feasible = history["feasible"].astype(bool)
    ax.scatter(
        history.loc[feasible, "trial"],
        history.loc[feasible, "value"],
        s=18,
        color="tab:blue",
        label="feasible trial",
    )
    if (~feasible).any():
        ax.scatter(
            history.loc[~feasible, "trial"],
            history.loc[~feasible, "value"],
            s=22,
            marker="x",
            color="tab:grey",
            label="infeasible or failed",
        )
    ax.step(
        history["trial"],
        best_so_far(settings, history),
        where="post",
        color="tab:red",
        label="best feasible so far",
    )
    ax.set_ylabel(f"mean {settings.kpi}\n({settings.replications} seeds)")
    ax.set_title(f"Policy search: {settings.direction} {settings.kpi}", loc="left", fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    if settings.max_turnover is not None:
        low = axes[1]
        low.scatter(history["trial"], history["employee_turnover"], s=14, color="tab:purple")
        low.axhline(settings.max_turnover, color="tab:red", linestyle="--", label="bound")
        low.set_ylabel("mean employee\nturnover per year")
        low.grid(alpha=0.3)
        low.legend(fontsize=8)
    axes[-1].set_xlabel("trial")
    axes[-1].xaxis.set_major_locator(MaxNLocator(integer=True))
    return fig
