"""SF2 and the closed-form cross-checks AN1 (customer NPV) and AN2 (arrivals), feedback off."""

from __future__ import annotations

import dataclasses
import math
import time
from functools import partial
from typing import Any

import numpy as np

from sim import chain
from sim.config import SimConfig
from sim.model import ServiceProfitChainModel
from sim.policies import acquisition
from sim.state import FOCAL
from sim.units import WEEKS_PER_YEAR
from sim.validation.core import Check, Fact, Scale, column, fmt_ci, replicate
from sim.validation.experiments.shared import Row, plot_points, stripped_world


def _with_market(model: ServiceProfitChainModel, **changes: Any) -> None:
    """Change market conditions of a running model from the next week: an outside shock."""
    model.shock({f"market.{key}": value for key, value in changes.items()})


ANALYTIC_TENURE_WEEKS = 260  # phase A: no arrivals; the week-0 cohort decays
ANALYTIC_SHOP_WEEKS = 2  # phase B: a burst of shopping wins a cohort of new customers
ANALYTIC_SHOPPING_PER_YEAR = 52.0  # a prospect shops about once a week during phase B
ANALYTIC_FOLLOW_WEEKS = 260  # phase C: no arrivals; the new cohort decays


def _run_analytic(cfg: SimConfig, seed: int) -> Row:
    """Tenure, arrivals and customer NPV in the stripped world, against closed forms."""
    model = ServiceProfitChainModel(
        dataclasses.replace(
            cfg,
            market=dataclasses.replace(cfg.market, prospect_shopping_per_year=0.0),
        ),
        rng=seed,
    )
    c = model.customers
    d = cfg.market.lapse_per_year
    p_week = float(chain.weekly_probability(d))

    # Phase A. Tenure of the week-0 cohort: with a constant hazard the remaining life is
    # geometric whatever the age; the censored MLE of its mean is exposure / events.
    cohort0 = np.flatnonzero(c.firm == FOCAL)
    model.run(ANALYTIC_TENURE_WEEKS)
    exit_week = c.last_exit_week[cohort0].astype(np.float64)
    exited = exit_week >= 0
    exposure = np.where(exited, exit_week + 1.0, ANALYTIC_TENURE_WEEKS).sum()
    mean_tenure_weeks = float(exposure / max(int(exited.sum()), 1))

    # Phase B. Arrivals: each prospect shops with the weekly rate and, when aware of
    # the firm (no rival to choose), joins it.
    _with_market(model, prospect_shopping_per_year=ANALYTIC_SHOPPING_PER_YEAR)
    start = model.week
    model.run(ANALYTIC_SHOP_WEEKS)
    weekly = model.metrics.frame().iloc[start:]
    wins = float(weekly["acquisitions"].sum())
    # Prospects before this week's shopping = prospects after it + those it won.
    at_risk = float((weekly["prospects"] + weekly["acquisitions"]).sum())
    q = float(chain.weekly_rate(ANALYTIC_SHOPPING_PER_YEAR)) * acquisition.awareness(
        cfg.acquisition
    )

    # Phase C. The new cohort's discounted profit stream, to the horizon.
    _with_market(model, prospect_shopping_per_year=0.0)
    model.run(ANALYTIC_FOLLOW_WEEKS)
    horizon = model.week
    new = np.flatnonzero((c.first_acquired_week >= start) & ~c.initial_customer)
    margin = c.visit_probability[new] * c.base_spend[new] * (1.0 - cfg.market.material_share)
    v = (1.0 + cfg.market.discount_rate) ** (-1.0 / WEEKS_PER_YEAR)
    k = horizon - 1 - c.first_acquired_week[new]  # weeks after the acquisition week
    # Closed form -A + m / (1 + r - (1 - d)) in weekly units, cut at the horizon:
    # visits at weeks 1..k after acquisition, each reached with probability (1-p)^(j-1).
    kept = (1.0 - p_week) * v
    theory = -cfg.acquisition.onboarding_cost + margin * v * (1.0 - kept**k) / (1.0 - kept)
    return {
        "mean_tenure_weeks": mean_tenure_weeks,
        "theory_tenure_weeks": 1.0 / p_week,
        "arrival_rate": wins / at_risk if at_risk else math.nan,
        "theory_arrival_rate": q,
        "npv": float(c.lifetime_value[new].mean()),
        "npv_theory": float(theory.mean()),
        "npv_gap": float((c.lifetime_value[new] - theory).mean()),
        "cohort": float(new.size),
    }


def analytic(scale: Scale) -> list[Check]:
    """SF2 and the closed-form cross-checks (AN1 NPV, AN2 arrivals) with feedback off."""
    t0 = time.perf_counter()
    weeks = ANALYTIC_TENURE_WEEKS + ANALYTIC_SHOP_WEEKS + ANALYTIC_FOLLOW_WEEKS
    n = max(scale.n_customers // 2, 1_000)
    rows = {
        d: replicate(
            _run_analytic, stripped_world(n, weeks, d), scale.seeds("analytic", 1.0), scale.workers
        )
        for d in (0.20, 0.10)
    }
    secs = (time.perf_counter() - t0) / 3
    checks = []
    tenure = {d: column(r, "mean_tenure_weeks") / WEEKS_PER_YEAR for d, r in rows.items()}
    theory = {d: rows[d][0]["theory_tenure_weeks"] / WEEKS_PER_YEAR for d in rows}
    sf2b = Check(
        Fact(
            "SF2",
            "Mean relationship length = 1/defection rate (constant hazard); halving d doubles life",
            "d 20%->10%: life 5 -> 10 years",
            "mean tenure (years) at d=20%; pass: within 4 SE of the geometric mean "
            f"1/p = {theory[0.2]:.2f} (= 1/-ln(1-d) in continuous time)",
            theory[0.2],
            theory[0.2],
        ),
        tenure[0.2],
        analytic_se=True,
        seconds=secs,
    )
    other = Check(sf2b.fact, tenure[0.1], analytic_se=True)
    other_fact = dataclasses.replace(sf2b.fact, lo=theory[0.1], hi=theory[0.1])
    other.fact = other_fact
    sf2b.conditions["d=10% also within 4 SE of 1/p"] = other.in_range
    ratio = tenure[0.1] / tenure[0.2]
    sf2b.conditions["halving d about doubles life (ratio 1.8-2.4)"] = bool(
        1.8 <= ratio.mean() <= 2.4
    )
    sf2b.detail = (
        f"d=20%: {fmt_ci(tenure[0.2])} yr (theory {theory[0.2]:.3f}); "
        f"d=10%: {fmt_ci(tenure[0.1])} yr (theory {theory[0.1]:.3f}); "
        f"life ratio {ratio.mean():.2f}"
    )
    sf2b.plot = partial(
        plot_points,
        {"d=20%": tenure[0.2], "d=10%": tenure[0.1]},
        theory_line={"d=20%": theory[0.2], "d=10%": theory[0.1]},
        ylabel="mean tenure (years)",
    )
    checks.append(sf2b)

    r2 = rows[0.2]
    npv_theory = float(np.mean(column(r2, "npv_theory")))
    npv = column(r2, "npv")
    gap = column(r2, "npv_gap")
    an1 = Check(
        Fact(
            "AN1",
            "Constant hazard, flat margin: customer NPV = -A + m / (1 + r - (1 - d))",
            "closed form (§2.1)",
            "mean NPV per new customer (d=20%, r=10%, A=150); pass: simulated - closed form "
            "within 4 SE of 0",
            0.0,
            0.0,
        ),
        gap,
        analytic_se=True,
        seconds=secs,
        detail=f"simulated {fmt_ci(npv)} vs closed form {npv_theory:.1f} per customer "
        f"(cohorts of ~{np.mean(column(r2, 'cohort')):.0f})",
    )
    an1.plot = partial(
        plot_points,
        {"simulated - closed form": gap},
        theory_line={"simulated - closed form": 0.0},
        ylabel="NPV gap per customer",
    )
    checks.append(an1)

    rate = column(r2, "arrival_rate")
    q = r2[0]["theory_arrival_rate"]
    an2 = Check(
        Fact(
            "AN2",
            "Arrivals match their rate: wins = prospects x P(shop) x awareness",
            "closed form",
            f"wins per prospect-week; pass: within 4 SE of {q:.4f}",
            q,
            q,
        ),
        rate,
        analytic_se=True,
        seconds=secs,
        detail=f"simulated {fmt_ci(rate, digits=4)} vs {q:.4f}",
    )
    an2.plot = partial(
        plot_points,
        {"wins / prospect-week": rate},
        theory_line={"wins / prospect-week": q},
        ylabel="rate",
    )
    checks.append(an2)
    return checks
