"""The share of each policy's difference each loop carries, as a figure."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from sim.kpis import format_short, phrase
from sim.research.loops.arms import JOINT, link_label


def attribution_figure(table: pd.DataFrame, metric: str) -> Figure:
    """Share of each policy's difference carried by each loop, with 95% CIs."""
    policies = list(dict.fromkeys(table["policy"])) or [""]
    links = list(dict.fromkeys(table["link"]))
    fig = Figure(figsize=(5.5 * len(policies), 1.2 + 0.38 * len(links)), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, len(policies), sharey=True))
    for ax, policy in zip(axes, policies, strict=True):
        rows = table[table["policy"] == policy].set_index("link").reindex(links)
        y = np.arange(len(links))[::-1]
        share = rows["share"].to_numpy(dtype=float)
        err = np.abs(
            np.vstack([share - rows["share_ci_low"], rows["share_ci_high"] - share]).astype(float)
        )
        colours = ["0.45" if link == JOINT else "tab:blue" for link in links]
        ax.barh(y, np.nan_to_num(share), xerr=np.nan_to_num(err), color=colours, capsize=3)
        ax.axvline(0.0, color="0.3", linewidth=0.8)
        ax.axvline(1.0, color="0.3", linewidth=0.8, linestyle=":")
        # Scaled to the estimates: with a small full difference the intervals can be
        # huge, and then they run off the axis rather than squash every bar.
        finite = share[np.isfinite(share)]
        low = min(-0.2, float(finite.min()) if finite.size else 0.0)
        high = max(1.2, float(finite.max()) if finite.size else 1.0)
        margin = 0.1 * (high - low)
        ax.set_xlim(low - margin, high + margin)
        ax.xaxis.set_major_formatter(PercentFormatter(1.0))
        ax.set_yticks(y, [link_label(link) for link in links], fontsize=8)
        ax.set_xlabel("share of the full-model difference the loop carries")
        first = rows.dropna(subset=["full_diff"])
        if len(first):
            difference = format_short(metric, float(first["full_diff"].iloc[0]), signed=True)
            ax.set_title(
                f"{policy} vs {first['baseline'].iloc[0]}\n"
                f"{phrase(metric)}, full model: {difference}",
                fontsize=9,
                loc="left",
            )
        ax.grid(alpha=0.3, axis="x")
    fig.suptitle("Loop attribution: (full difference - difference with the loop cut) / full")
    return fig
