"""PRIM's peeling trajectory and the chosen box, as figures."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from sim.research.ema.discovery import PrimResult


def tradeoff_figure(result: PrimResult) -> Figure:
    """Coverage against density along PRIM's peeling trajectory; the chosen box ringed."""
    t = result.trajectory
    fig = Figure(figsize=(6, 4.5), layout="constrained")
    ax = fig.subplots()
    points = ax.scatter(
        t["coverage"], t["density"], c=t["res_dim"].astype(float), cmap="viridis", s=22
    )
    fig.colorbar(points, ax=ax, label="restricted dimensions")
    chosen = t.iloc[result.chosen]
    ax.scatter(
        [chosen["coverage"]],
        [chosen["density"]],
        s=160,
        facecolors="none",
        edgecolors="tab:red",
        linewidths=1.5,
        label=f"chosen box (step {result.chosen})",
    )
    ax.set_xlabel("coverage (share of cases of interest inside)")
    ax.set_ylabel("density (share inside that are of interest)")
    ax.set_xlim(0, 1.02)
    ax.set_ylim(0, 1.02)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="lower left")
    ax.set_title("PRIM peeling trajectory", loc="left", fontsize=10)
    return fig


def box_figure(
    result: PrimResult, table: pd.DataFrame, of_interest: np.ndarray[Any, Any]
) -> Figure:
    """The box's limits within each declared range, and the scenarios it holds.

    Right panel: the scenarios on the box's first two restricted dimensions, cases of
    interest marked and the box drawn.
    """
    limits = result.limits
    fig = Figure(figsize=(11, 4.2), layout="constrained")
    left, right = fig.subplots(1, 2, width_ratios=[1.1, 1])
    for i, row in enumerate(limits.to_dict("records")):
        start, span = float(row["range_low"]), float(row["range_high"]) - float(row["range_low"])
        lo = (float(row["box_low"]) - start) / span
        hi = (float(row["box_high"]) - start) / span
        left.plot([0, 1], [i, i], color="lightgrey", linewidth=6, solid_capstyle="butt")
        left.plot([lo, hi], [i, i], color="tab:red", linewidth=6, solid_capstyle="butt")
        left.text(lo, i + 0.1, f"{row['box_low']:.3g}", ha="center", fontsize=8)
        left.text(hi, i + 0.1, f"{row['box_high']:.3g}", ha="center", fontsize=8)
    # PRIM may keep the whole space (no dimension restricted): then there is no row at all.
    dims = list(limits["uncertainty"]) if "uncertainty" in limits else []
    left.set_yticks(range(len(dims)), dims)
    left.set_ylim(-0.5, max(len(dims), 1) - 0.5)
    left.set_xlim(-0.05, 1.05)
    left.set_xlabel("position within the declared range (0 = low end, 1 = high end)")
    s = result.stats
    left.set_title(
        f"PRIM box: coverage {s['coverage']:.2f}, density {s['density']:.2f}, mass {s['mass']:.2f}",
        loc="left",
        fontsize=10,
    )
    if dims:
        xk = dims[0]
        yk = dims[1] if len(dims) > 1 else "difference"
        hit = np.asarray(of_interest, dtype=bool)
        right.scatter(
            table.loc[~hit, xk],
            table.loc[~hit, yk],
            s=14,
            color="tab:blue",
            label="not of interest",
        )
        right.scatter(
            table.loc[hit, xk],
            table.loc[hit, yk],
            s=18,
            color="tab:red",
            marker="x",
            label="of interest",
        )
        row0 = limits.iloc[0]
        if yk == "difference":
            right.axvspan(row0.box_low, row0.box_high, color="tab:red", alpha=0.1)
        else:
            row1 = limits.iloc[1]
            right.add_patch(
                Rectangle(
                    (row0.box_low, row1.box_low),
                    row0.box_high - row0.box_low,
                    row1.box_high - row1.box_low,
                    fill=False,
                    edgecolor="tab:red",
                    linewidth=1.5,
                )
            )
        right.set_xlabel(xk)
        right.set_ylabel(yk)
        right.legend(fontsize=8)
        right.grid(alpha=0.3)
    else:
        right.set_axis_off()
        right.text(0.5, 0.5, "PRIM restricted no uncertainty:\nthe box is the whole space",
                   ha="center", va="center")  # fmt: skip
    return fig
