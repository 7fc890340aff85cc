"""Tornado charts of the indices, and the ranking measure year by year."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from sim.kpis import phrase
from sim.research.sensitivity.indices import sort_key
from sim.research.sensitivity.settings import BY_YEAR, Settings


def _seeds(n: int) -> str:
    return f"{n} seed" + ("s" if n != 1 else "")


def tornado(table: pd.DataFrame, kpi: str, settings: Settings) -> Figure:
    """Horizontal bars per parameter, the most influential on top, with 95% CIs."""
    rows = table[table["kpi"] == kpi].iloc[::-1]
    k = len(rows)
    fig = Figure(figsize=(8, 1.2 + 0.42 * k), layout="constrained")
    ax = fig.subplots()
    y = np.arange(k)
    # (column, its CI half-width column, legend, colour): the ranking measure on top.
    bars: tuple[tuple[str, str | None, str, str], ...]
    if settings.method == "sobol":
        bars = (
            ("ST", "ST_conf", "total order (ST)", "tab:blue"),
            ("S1", "S1_conf", "first order (S1)", "tab:orange"),
        )
        ax.set_xlabel(f"share of the variance of {phrase(kpi)} (95% CI)")
        title = f"Sobol indices of {phrase(kpi)}"
    else:
        bars = (
            ("mu_star", "mu_star_conf", "mu* (mean |elementary effect|)", "tab:blue"),
            ("sigma", None, "sigma (interactions, non-linearity)", "tab:orange"),
        )
        ax.set_xlabel(f"effect on {phrase(kpi)} of moving across the range")
        title = f"Morris screening of {phrase(kpi)}"
    for offset, (column, conf, label, colour) in zip((0.2, -0.2), bars, strict=True):
        ax.barh(
            y + offset,
            rows[column],
            height=0.38,
            xerr=rows[conf].to_numpy() if conf else None,
            color=colour,
            alpha=0.85,
            capsize=3,
            label=label,
        )
    ax.set_yticks(y, rows["parameter"])
    ax.axvline(0, color="0.3", linewidth=0.8)
    ax.grid(alpha=0.3, axis="x")
    ax.legend(fontsize=8, loc="lower right")
    ax.set_title(
        f"{title}: N={settings.samples}, {_seeds(settings.replications)} per point", fontsize=10
    )
    return fig


def by_year_figure(table: pd.DataFrame, settings: Settings) -> Figure:
    """The ranking column per parameter over the years, with its 95% CI as a band."""
    from matplotlib import colormaps

    kpi = str(settings.by_year)
    column = sort_key(settings)
    conf = f"{column}_conf"
    fig = Figure(figsize=(9, 5), layout="constrained")
    ax = fig.subplots()
    cmap = colormaps["tab10"]
    # Legend in order of influence, as in the tornado.
    order = table.groupby("parameter")[column].mean().sort_values(ascending=False).index
    for i, parameter in enumerate(order):
        sub = table[table["parameter"] == parameter]
        colour = cmap(i % 10)
        style = "-" if i < 10 else "--"
        ax.plot(sub["year"], sub[column], style, marker="o", color=colour, label=parameter)
        band = (sub[column] - sub[conf], sub[column] + sub[conf])
        ax.fill_between(sub["year"], *band, color=colour, alpha=0.12, linewidth=0)
    ax.axhline(0, color="0.3", linewidth=0.8)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("year")
    ax.set_ylabel(
        "total-order Sobol index (ST)" if column == "ST" else "Morris mu* (effect over the range)"
    )
    ax.set_title(f"Sensitivity of the {BY_YEAR[kpi][0]}, year by year (band: 95% CI)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.0, 0.5))
    return fig
