"""SF11: service contacts that lower vs raise the customer's loyalty state."""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np

from sim import chain
from sim.config import SimConfig
from sim.model import ServiceProfitChainModel
from sim.validation.core import Check, Fact, Scale, Values, column, fmt_ci, replicate, world
from sim.validation.experiments.shared import Row, plot_points, timed

CONTACT_WEEKS = 52  # SF11: every service contact of a year after the burn-in


def _nps_group(satisfaction: Values) -> Values:
    """Detractor (0), passive (1) or promoter (2), from likelihood to recommend (SF33)."""
    ltr = chain.likelihood_to_recommend(satisfaction)
    return np.where(ltr >= 9, 2, np.where(ltr >= 7, 1, 0)).astype(np.float64)


LOYALTY_STATES: dict[str, Callable[[Values], Any]] = {
    "box": chain.satisfaction_box,
    "nps": _nps_group,
    "ltr": chain.likelihood_to_recommend,
}


def _run_contacts(cfg: SimConfig, seed: int) -> Row:
    """Service contacts that lower vs raise the customer's loyalty state (SF11).

    A contact is a visit (``lifetime_visits`` rose during the week). Its effect is the
    change in the customer's satisfaction over that week, read off the model's state
    before and after the step. Visits in a week in which the customer also heard a
    negative story (their ``negative_stories`` rose) or was won again are left out, so
    the change is the encounter's alone (step 7 of the model). Satisfaction also relaxes
    toward the customer's adaptation level every week, contact or not
    (``behaviour.satisfaction_relaxation``); the encounter's effect is measured against
    that week's relaxation alone, the state the customer would have been in without it.
    """
    model = ServiceProfitChainModel(cfg, rng=seed)
    c = model.customers
    decay = math.exp(-1.0 / cfg.behaviour.scar_memory_weeks)
    down = dict.fromkeys(LOYALTY_STATES, 0)
    up = dict.fromkeys(LOYALTY_STATES, 0)
    contacts = excluded = fell = rose = 0
    relax = cfg.behaviour.satisfaction_relaxation
    for _ in range(cfg.run.weeks):
        sat, visits = c.satisfaction.copy(), c.lifetime_visits.copy()
        sat = np.asarray(chain.relax(sat, c.expectation, c.satisfaction_bias, relax))
        stories, won = c.negative_stories.copy(), c.acquisitions.copy()
        model.step()
        visited = c.lifetime_visits > visits
        other = (c.negative_stories > stories * decay) | (c.acquisitions > won)
        rows = np.flatnonzero(visited & ~other)
        excluded += int(np.count_nonzero(visited & other))
        contacts += rows.size
        before, after = sat[rows], c.satisfaction[rows]
        fell += int(np.count_nonzero(after < before))
        rose += int(np.count_nonzero(after > before))
        for name, state in LOYALTY_STATES.items():
            s0, s1 = state(before), state(after)
            down[name] += int(np.count_nonzero(s1 < s0))
            up[name] += int(np.count_nonzero(s1 > s0))
    out: Row = {"contacts": float(contacts), "excluded": float(excluded)}
    for name in LOYALTY_STATES:
        out[f"ratio_{name}"] = down[name] / up[name] if up[name] else math.nan
        out[f"down_{name}"] = down[name] / max(contacts, 1)
        out[f"up_{name}"] = up[name] / max(contacts, 1)
    out["fell"] = fell / max(contacts, 1)
    out["rose"] = rose / max(contacts, 1)
    return out


def contacts(scale: Scale) -> list[Check]:
    """SF11: service contacts that lower vs raise the customer's loyalty state."""
    seeds = scale.seeds("contacts")
    cfg = world(scale.n_customers, CONTACT_WEEKS)
    rows, secs = timed(lambda: replicate(_run_contacts, cfg, seeds, scale.workers))
    ratio = {name: column(rows, f"ratio_{name}") for name in LOYALTY_STATES}
    share = {k: column(rows, k) * 100 for k in ("down_box", "up_box", "fell", "rose")}
    return [
        Check(
            Fact(
                "SF11",
                "Service contacts are more likely to lower a customer's loyalty than to raise it",
                "~4x (Dixon, Freeman & Toman 2010, survey); accept 2-8",
                "service contacts that move the customer's satisfaction box (1-5) down / up, "
                "over a year of the default world",
                2,
                8,
            ),
            ratio["box"],
            seconds=secs,
            detail=f"per 100 contacts: box down {fmt_ci(share['down_box'])}, up "
            f"{fmt_ci(share['up_box'])}; other loyalty states, down / up: promoter-passive-"
            f"detractor group {fmt_ci(ratio['nps'])}, likelihood to recommend (0-10) "
            f"{fmt_ci(ratio['ltr'])}; satisfaction fell in {fmt_ci(share['fell'])}% and rose "
            f"in {fmt_ci(share['rose'])}% of contacts; "
            f"{np.mean(column(rows, 'contacts')):,.0f} contacts per run "
            f"({np.mean(column(rows, 'excluded')):,.0f} left out: negative word of mouth or "
            "a win in the same week)",
            plot=partial(
                plot_points,
                {"box": ratio["box"], "NPS group": ratio["nps"], "0-10": ratio["ltr"]},
                band=(2, 8),
                ylabel="contacts lowering / raising loyalty state",
            ),
        )
    ]
