"""SF10: one encounter above vs below expectation, through the model's own rule."""

from __future__ import annotations

from functools import partial

import numpy as np

from sim import chain
from sim.config import SimConfig
from sim.model import ServiceProfitChainModel
from sim.state import FOCAL
from sim.validation.core import Check, Fact, Scale, Values, world
from sim.validation.experiments.shared import plot_points, timed

SHOCK_SIZE = 0.1  # SF10: an encounter 0.1 above or below what the customer expects


def asymmetry(scale: Scale) -> list[Check]:
    """SF10: one encounter x above vs x below expectation, through the model's own rule.

    The model's customers after the burn-in meet one encounter each, and their
    satisfaction moves by the chain's links exactly as in the model's step 7.
    """
    seeds = scale.seeds("asymmetry")
    cfg = world(scale.n_customers, 1)
    ratios, secs = timed(lambda: np.array([_asymmetry_ratio(cfg, s) for s in seeds]))
    return [
        Check(
            Fact(
                "SF10",
                "Negative experiences weigh more than positive ones of the same size",
                "loss weight ~1.5-2.5 (Mittal et al. 1998; §2.2)",
                f"satisfaction drop from -{SHOCK_SIZE} / rise from +{SHOCK_SIZE} in one encounter",
                1.5,
                2.5,
            ),
            ratios,
            seconds=secs,
            plot=partial(plot_points, {"drop / rise": ratios}, band=(1.5, 2.5), ylabel="ratio"),
        )
    ]


def _asymmetry_ratio(cfg: SimConfig, seed: int) -> float:
    model = ServiceProfitChainModel(cfg, rng=seed)
    c, b = model.customers, cfg.behaviour
    rows = np.flatnonzero(c.firm == FOCAL)
    expect = c.expectation[rows]
    # The week's relaxation toward the adaptation level comes first, as in step 7.
    sat = np.asarray(
        chain.relax(
            c.satisfaction[rows], expect, c.satisfaction_bias[rows], b.satisfaction_relaxation
        )
    )

    def after(quality: Values) -> Values:
        d = chain.disconfirmation(quality, expect, b.loss_weight, b.adequate_gap, b.desired_gap)
        target = chain.satisfaction_target(sat, d, b.disconfirmation_weight)
        out: Values = np.asarray(chain.smooth(sat, target, b.satisfaction_smoothing))
        return out

    neutral = after(expect)
    rise = after(np.clip(expect + SHOCK_SIZE, 0, 1)) - neutral
    drop = neutral - after(np.clip(expect - SHOCK_SIZE, 0, 1))
    return float(drop.mean() / rise.mean())
