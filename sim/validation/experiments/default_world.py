"""SF6 (churn and turnover), SF34 (the whale curve), SF4 (acquisition vs retention cost)."""

from __future__ import annotations

from functools import partial
from typing import Any

import numpy as np

from sim.config import SimConfig
from sim.model import ServiceProfitChainModel
from sim.results import collect, top_share_of_profit
from sim.units import WEEKS_PER_YEAR
from sim.validation.core import Check, Fact, Scale, column, fmt_ci, replicate, world
from sim.validation.experiments.shared import Row, plot_points, timed


def _run_baseline(cfg: SimConfig, seed: int) -> Row:
    """A default run: churn, turnover, the whale curve, acquisition and retention costs."""
    model = ServiceProfitChainModel(cfg, rng=seed)
    model.run()
    res = collect(model)
    w, led = res.weekly, res.customers
    profit = led["lifetime_profit"].to_numpy()
    customer_weeks = float(w["customers_focal"].sum())
    acquisition_cost = float(
        (w["cost_marketing"] + w["cost_onboarding"] + w["cost_referral_rewards"]).sum()
    )
    return {
        "defection": 1.0 - float(np.mean(model.annual_retention)),
        "turnover": float(np.mean(model.annual_employee_turnover)),
        "top20": top_share_of_profit(profit, 0.2),
        "top16": top_share_of_profit(profit, 0.16),
        # The least profitable 28% are the top 28% of -profit: same share of the total.
        "bottom28": top_share_of_profit(-profit, 0.28),
        "unprofitable": float(np.mean(profit < 0)) if profit.size else 0.0,
        # The same on the last year's customer P&L (activity-based costing's measure).
        "top20_year": float(res.summary["top20_profit_share_year"]),
        "unprofitable_year": float(res.summary["unprofitable_share_year"]),
        "acq_cost_per_new": acquisition_cost / max(float(w["acquisitions"].sum()), 1.0),
        "recovery_per_customer_year": float(w["cost_recovery"].sum())
        / customer_weeks
        * WEEKS_PER_YEAR,
        "recovery_per_recovered": float(w["cost_recovery"].sum())
        / max(float(w["recoveries"].sum()), 1.0),
        "margin": float(w["profit"].sum() / w["revenue"].sum()),
        "nps": float(w["nps"].tail(52).mean()),
    }


def baseline(scale: Scale) -> list[Check]:
    """SF6 (churn and turnover), SF34 (whale curve) and SF4 (acquisition vs retention cost)."""
    weeks = 520 if scale.name == "full" else 208
    rows, secs = timed(
        lambda: replicate(
            _run_baseline, world(scale.n_customers, weeks), scale.seeds("baseline"), scale.workers
        )
    )
    secs /= 4
    defect, turnover = column(rows, "defection"), column(rows, "turnover")
    top20, top16 = column(rows, "top20"), column(rows, "top16")
    ratio = column(rows, "acq_cost_per_new") / column(rows, "recovery_per_recovered")
    bank_rows = replicate(
        _run_baseline,
        world(scale.n_customers, weeks, **BANK),
        scale.seeds("baseline"),
        scale.workers,
    )
    bank16, bank28 = column(bank_rows, "top16"), column(bank_rows, "bottom28")
    bank_loss = column(bank_rows, "unprofitable")
    return [
        Check(
            Fact(
                "SF6a",
                "Typical annual customer defection (default world)",
                "10-30%/yr",
                "1 - annual retention of the customer base (%)",
                10,
                30,
            ),
            defect * 100,
            seconds=secs,
            plot=partial(
                plot_points,
                {"default": defect * 100},
                band=(10, 30),
                ylabel="annual defection (%)",
            ),
        ),
        Check(
            Fact(
                "SF6b",
                "Typical annual employee turnover (default world)",
                "15-25%/yr",
                "quits / mean headcount per year (%)",
                15,
                25,
            ),
            turnover * 100,
            seconds=secs,
            plot=partial(
                plot_points,
                {"default": turnover * 100},
                band=(15, 25),
                ylabel="annual turnover (%)",
            ),
        ),
        Check(
            Fact(
                "SF34",
                "Whale curve: the most profitable 20% of customers earn 150-300% of "
                "profit; a bank-like shape (16% -> ~105%) is reachable by configuration",
                "150-300% (rule of thumb); bank 16% -> 105%",
                "share of total lifetime profit earned by the top 20% of customers (%)",
                150,
                300,
            ),
            top20 * 100,
            seconds=secs,
            conditions={
                "bank config: top 16% earn 95-120%": bool(0.95 <= np.mean(bank16) <= 1.20),
                "bank config: bottom 28% lose 10-40%": bool(-0.40 <= np.mean(bank28) <= -0.10),
            },
            detail=f"default: top 16% {fmt_ci(top16 * 100)}%, bottom 28% "
            f"{fmt_ci(column(rows, 'bottom28') * 100)}%, unprofitable "
            f"{fmt_ci(column(rows, 'unprofitable') * 100)}% of customers (over the last "
            f"year's customer P&L: top 20% {fmt_ci(column(rows, 'top20_year') * 100)}%, "
            f"unprofitable {fmt_ci(column(rows, 'unprofitable_year') * 100)}%); bank-like book "
            f"({', '.join(f'{k}={v}' for k, v in BANK.items())}; the bank: 105%, -22%): top 16% "
            f"{fmt_ci(bank16 * 100)}%, bottom 28% {fmt_ci(bank28 * 100)}%, unprofitable "
            f"{fmt_ci(bank_loss * 100)}% of customers",
            plot=partial(
                plot_points,
                {"top 20% (default)": top20 * 100, "top 16% (bank config)": bank16 * 100},
                band=(150, 300),
                ylabel="share of profit (%)",
            ),
        ),
        Check(
            Fact(
                "SF4",
                "Acquiring a customer costs several times more than keeping one",
                "5-25x (Gallo 2014; 5x Reichheld 1996)",
                "(marketing + onboarding + rewards) per new customer / recovery spend per "
                "customer kept by a recovery",
                5,
                25,
            ),
            ratio,
            seconds=secs,
            detail=f"acquisition {fmt_ci(column(rows, 'acq_cost_per_new'))} per new customer; "
            f"retention {fmt_ci(column(rows, 'recovery_per_recovered'))} per recovered customer",
            plot=partial(
                plot_points,
                {"acquisition / retention": ratio},
                band=(5, 25),
                ylabel="cost multiple",
            ),
        ),
    ]


# A bank-like book (SF34, §2.7): the default spread of spend and cost to serve, but a larger
# mean margin: a bank sells no goods, so materials are 10% of revenue, not 35%. With a
# larger mean margin against the same variance, the whale curve turns down less steeply.
BANK: dict[str, Any] = {"market__material_share": 0.1}
