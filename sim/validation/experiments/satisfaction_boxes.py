"""SF7 (top box vs second box in a tight market) and SF8 (flatter without rivalry)."""

from __future__ import annotations

import math
from functools import partial
from typing import Any

import numpy as np

from sim import chain
from sim.config import SimConfig
from sim.model import ServiceProfitChainModel
from sim.state import FOCAL
from sim.validation.core import Check, Fact, Scale, column, fmt_ci, replicate, world
from sim.validation.experiments.shared import TIGHT, Row, plot_points, timed

SNAPSHOT_WEEK = 52  # customers are binned by satisfaction box a year into the run
FOLLOW_UP_WEEKS = 78  # then followed for 18 months, the Jones & Sasser window (SF7)


def _run_boxes(cfg: SimConfig, seed: int) -> Row:
    """Share of top-box and second-box customers still buying 18 months later."""
    model = ServiceProfitChainModel(cfg, rng=seed)
    model.run(SNAPSHOT_WEEK)
    c = model.customers
    cohort = np.flatnonzero(c.firm == FOCAL)
    box = chain.satisfaction_box(c.satisfaction[cohort])
    model.run(FOLLOW_UP_WEEKS)
    kept = (c.firm[cohort] == FOCAL) & (c.last_exit_week[cohort] < SNAPSHOT_WEEK)
    out: Row = {}
    for b in (3, 4, 5):
        members = box == b
        out[f"kept_{b}"] = float(kept[members].mean()) if members.any() else math.nan
        out[f"n_{b}"] = float(members.sum())
    low = box <= 4
    out["kept_low"] = float(kept[low].mean()) if low.any() else math.nan
    out["ratio"] = out["kept_5"] / out["kept_4"] if out["kept_4"] > 0 else math.nan
    return out


MARKETS: dict[str, dict[str, Any]] = {
    "tight": TIGHT,
    "default": {},
    "high switching": {"market__switching_cost_mean": 2.0},
    "monopoly": {"market__competitor_share": 0.0, "competitors__n_competitors": 0},
}


def boxes(scale: Scale) -> list[Check]:
    """SF7 (top box vs second box in a tight market) and SF8 (flatter without rivalry)."""
    weeks = SNAPSHOT_WEEK + FOLLOW_UP_WEEKS
    n = scale.n_customers * 2
    seeds = scale.seeds("boxes")
    out, secs = timed(
        lambda: {
            name: replicate(_run_boxes, world(n, weeks, **ov), seeds, scale.workers)
            for name, ov in MARKETS.items()
        }
    )
    secs /= 2
    ratio = {name: column(r, "ratio") for name, r in out.items()}
    kept4 = {name: column(r, "kept_4") for name, r in out.items()}
    kept5 = {name: column(r, "kept_5") for name, r in out.items()}
    sf7 = Check(
        Fact(
            "SF7",
            "Top-box (5) customers are far more likely to repurchase than "
            "second-box (4) ones in a competitive market",
            "6x (Xerox); accept 3-10",
            "18-month retention, box 5 / box 4, tight market",
            3,
            10,
        ),
        ratio["tight"],
        seconds=secs,
        detail=f"tight: kept box 5 {fmt_ci(kept5['tight'])}, box 4 {fmt_ci(kept4['tight'])}; "
        f"default market ratio {fmt_ci(ratio['default'])}",
        plot=partial(
            plot_points,
            {"tight": ratio["tight"], "default": ratio["default"]},
            band=(3, 10),
            ylabel="retention ratio box 5 / box 4",
        ),
    )
    # In a monopoly nobody is in box 5 or 4 for long; compare box 4 retention instead.
    mono4 = column(out["monopoly"], "kept_low")
    hs = ratio["high switching"]
    sf8 = Check(
        Fact(
            "SF8",
            "With high switching costs or no rival the curve flattens: "
            "dissatisfied customers stay ('hostages')",
            "qualitative (Jones & Sasser 1995)",
            "box 5 / box 4 retention ratio with high switching costs; pass: 1-3 "
            "(flatter than SF7's competitive 3-10)",
            1,
            3,
        ),
        hs,
        seconds=secs,
        conditions={
            "high switching flatter than tight": bool(hs.mean() < ratio["tight"].mean()),
            "second-box retention higher with high switching than tight": bool(
                np.nanmean(kept4["high switching"]) > np.nanmean(kept4["tight"])
            ),
            "monopoly: dissatisfied (box <= 4) customers mostly stay (>= 80%)": bool(
                np.nanmean(mono4) >= 0.8
            ),
        },
        detail=f"box 4 kept: tight {fmt_ci(kept4['tight'])}, high switching "
        f"{fmt_ci(kept4['high switching'])}; monopoly, box <= 4: {fmt_ci(mono4)}",
        plot=partial(
            plot_points,
            {k: v for k, v in ratio.items() if k != "monopoly"},
            ylabel="retention ratio box 5 / box 4",
        ),
    )
    return [sf7, sf8]
