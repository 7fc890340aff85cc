"""SF24 (survivors quit more after a cut, saturating) and SF25 (their morale falls)."""

from __future__ import annotations

import math
from functools import partial
from typing import Any

from sim.config import SimConfig, StaffingKind
from sim.model import ServiceProfitChainModel
from sim.units import WEEKS_PER_YEAR
from sim.validation.core import Check, Fact, Scale, column, fmt_ci, replicate, world
from sim.validation.experiments.shared import Row, plot_points, timed

LAYOFF_WEEK = 1  # SF24: the cut comes in the second week after the burn-in


def _run_layoff(cfg: SimConfig, seed: int) -> Row:
    """Quit rate and staff satisfaction in the year after week ``LAYOFF_WEEK`` (SF24, SF25)."""
    model = ServiceProfitChainModel(cfg, rng=seed)
    model.run(LAYOFF_WEEK + 1 + WEEKS_PER_YEAR)
    w = model.metrics.frame()
    after = w[w["week"] > LAYOFF_WEEK + 1]
    return {
        "quit_rate": float(after["quits"].sum() / after["employee_headcount"].mean()),
        "satisfaction": float(after["employee_satisfaction"].head(26).mean()),
        "laid_off": float(w["layoffs"].sum()),
    }


def layoffs(scale: Scale) -> list[Check]:
    """SF24 (survivors quit more after a small cut, saturating) and SF25 (morale falls)."""
    n = scale.n_customers * 2
    weeks = LAYOFF_WEEK + 1 + WEEKS_PER_YEAR
    seeds = scale.seeds("layoff", 1.5)
    shares = (0.0, 0.01, 0.02, 0.10)

    def arm(share: float) -> list[Row]:
        ov: dict[str, Any] = {}
        if share > 0:
            ov = {
                "staffing__kind": StaffingKind.layoff,
                "staffing__layoff_week": LAYOFF_WEEK,
                "staffing__layoff_share": share,
            }
        return replicate(_run_layoff, world(n, weeks, **ov), seeds, scale.workers)

    rows, secs = timed(lambda: {s: arm(s) for s in shares})
    secs /= 2
    q0 = column(rows[0.0], "quit_rate")
    effect = {s: (column(rows[s], "quit_rate") - q0) / q0.mean() * 100 for s in shares[1:]}
    dsat = (column(rows[0.10], "satisfaction") - column(rows[0.0], "satisfaction")) * 100
    dsat2 = (column(rows[0.02], "satisfaction") - column(rows[0.0], "satisfaction")) * 100
    sf24 = Check(
        Fact(
            "SF24",
            "Layoffs raise survivors' voluntary quits, saturating in the cut",
            "+20-40% after a 1-2% cut (Trevor & Nyberg 2008, press figures 31%/36%)",
            "relative rise in next-year quit rate after a 2% cut (%)",
            20,
            40,
        ),
        effect[0.02],
        seconds=secs,
        conditions={
            "1% cut also raises quits": bool(effect[0.01].mean() > 0),
            "saturating: a 10% cut raises quits less than 5x a 2% cut": bool(
                effect[0.10].mean() < 5 * effect[0.02].mean()
            ),
        },
        detail=f"1% cut: {fmt_ci(effect[0.01])}%; 2%: {fmt_ci(effect[0.02])}%; "
        f"10%: {fmt_ci(effect[0.10])}% (baseline quit rate {q0.mean():.1%}/yr)",
        plot=partial(
            plot_points,
            {f"{s:.0%} cut": v for s, v in effect.items()},
            band=(20, 40),
            ylabel="rise in quit rate (%)",
        ),
    )
    sf25 = Check(
        Fact(
            "SF25",
            "Survivor syndrome: survivors' satisfaction falls after a layoff",
            "qualitative (Cascio 1993)",
            "change in mean staff satisfaction (points of "
            "100), half-year after a 10% cut; pass: CI below 0",
            -math.inf,
            0,
        ),
        dsat,
        seconds=secs,
        conditions={
            "CI of the paired difference below 0": bool(Check(Fact("", "", "", ""), dsat).ci[1] < 0)
        },
        detail=f"10% cut {fmt_ci(dsat)}; 2% cut {fmt_ci(dsat2)} points",
        plot=partial(
            plot_points,
            {"10% cut": dsat, "2% cut": dsat2},
            theory_line={"10% cut": 0.0, "2% cut": 0.0},
            ylabel="staff satisfaction change (points)",
        ),
    )
    return [sf24, sf25]
