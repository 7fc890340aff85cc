"""SF1: a five-point cut in annual defection and what it does to NPV per customer."""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np

from sim import chain
from sim.config import SimConfig, StaffingKind
from sim.model import ServiceProfitChainModel
from sim.units import WEEKS_PER_YEAR
from sim.validation.core import Check, Fact, Scale, Values, column, fmt_ci, replicate, world
from sim.validation.experiments.shared import Row, plot_points, stripped_world

NPV_TAIL_YEARS = 5  # SF1: survivors' hazard over the last 5 tenure years sets the terminal value


def _run_npv(cfg: SimConfig, seed: int, cohort_years: int, horizon_years: int) -> Row:
    """NPV per customer of the first relationship of everyone first won in the first years (SF1).

    Customers first won in the run's first ``cohort_years`` (not the week-0 base) are followed
    for ``horizon_years`` of tenure. A customer's NPV is the model's own ``lifetime_value``
    (profit discounted to the week of acquisition at ``market.discount_rate``; onboarding and
    the marketing share charged at acquisition; staff time allocated by time given) at the
    first exit, or at the horizon. Survivors at the horizon get a terminal value: their last
    tenure year's value continued with the cohort's measured late hazard (§2.1's geometric
    sum), so the horizon is the customer's lifetime. Later relationships of the same person
    (won back after leaving) are not counted. Also returned: the firm's annual defection, the
    acquisition cost A, the cohort's survival by tenure year ``s{k}``, the discounted value
    gained in tenure year k per customer alive at its start ``g{k}`` (leavers to their exit),
    and undiscounted profit in tenure year k per customer alive all year ``m{k}``.
    """
    model = ServiceProfitChainModel(cfg, rng=seed)
    c = model.customers
    horizon = horizon_years * WEEKS_PER_YEAR
    end = cohort_years * WEEKS_PER_YEAR
    never = np.iinfo(np.int64).max
    exit_week = np.full(c.n, never)
    exit_value = np.zeros(c.n)
    value = np.full((horizon_years + 1, c.n), np.nan)  # lifetime_value at tenure-year ends
    cash = np.full((horizon_years + 1, c.n), np.nan)  # undiscounted revenue - cost there
    for _ in range(end + horizon):
        week = model.week
        model.step()
        a = c.first_acquired_week.astype(np.int64)
        open_ = (a >= 0) & (a < end) & ~c.initial_customer & (exit_week == never)
        # An exit this week (a customer won back in the same week is still caught).
        left = open_ & (c.last_exit_week == week) & (a < week)
        exit_week[left] = week
        exit_value[left] = c.lifetime_value[left]
        since = week - a
        due = np.flatnonzero(open_ & ~left & (since % WEEKS_PER_YEAR == 0) & (since <= horizon))
        year = since[due] // WEEKS_PER_YEAR
        value[year, due] = c.lifetime_value[due]
        cash[year, due] = c.lifetime_revenue[due] - c.lifetime_cost[due]
    a = c.first_acquired_week.astype(np.int64)
    rows = np.flatnonzero((a >= 0) & (a < end) & ~c.initial_customer)
    value, cash, exited = value[:, rows], cash[:, rows], exit_value[rows]
    alive = np.isfinite(value)  # alive[k]: still a customer at the start of tenure year k + 1
    survivors = alive[-1]
    acquisition_cost = -value[0]  # nothing is earned in the week of acquisition
    # Value gained in tenure year k by those alive at its start (leavers up to their exit).
    gained = np.where(alive[:-1], np.where(alive[1:], value[1:], exited) - value[:-1], np.nan)
    profit = np.where(alive[1:], cash[1:] - cash[:-1], np.nan)
    s = alive.mean(axis=1)
    years = min(NPV_TAIL_YEARS, horizon_years)
    late = 1.0 - (s[-1] / s[-1 - years]) ** (1.0 / years) if s[-1 - years] > 0 else 1.0
    q = (1.0 - late) / (1.0 + cfg.market.discount_rate)
    terminal = np.where(survivors, np.nan_to_num(gained[-1]) * q / (1.0 - q), 0.0)
    npv = np.where(survivors, value[-1], exited) + terminal
    out: Row = {
        "defection": 1.0 - float(np.mean(model.annual_retention)),
        "n": float(rows.size),
        "npv": float(npv.mean()),
        "npv_no_acquisition": float((npv + acquisition_cost).mean()),
        "npv_horizon": float((npv - terminal).mean()),
        "acquisition_cost": float(acquisition_cost.mean()),
        "terminal": float(terminal.mean()),
        "late_defection": late,
    }
    for k in range(horizon_years + 1):
        out[f"s{k}"] = float(s[k])
    for k in range(1, horizon_years + 1):
        out[f"g{k}"] = float(np.nanmean(gained[k - 1])) if alive[k - 1].any() else math.nan
        out[f"m{k}"] = float(np.nanmean(profit[k - 1])) if alive[k].any() else math.nan
    return out


NPV_CUT = 0.05  # SF1: five points of annual defection
NPV_CUT_TOLERANCE = 0.0015  # the secant stops within 0.15 point of the 5-point cut
NPV_SECANT_STEPS = 4  # at most this many multipliers are tried
NPV_CALIBRATION_SEEDS = 3  # full mode: the cut is searched on the first 3 seeds (paired)


@dataclasses.dataclass(frozen=True)
class NpvProfile:
    """One world of SF1: how it differs from the default and which NPV it compares.

    ``constant_hazard`` builds §2.1's own world instead: the stripped world of the analytic
    checks (no rivals, no feedback, flat margin) with every customer's hazard the constant
    category lapse d, so the note's closed-form gains apply exactly.
    """

    overrides: dict[str, Any]
    with_acquisition: bool  # A charged (``npv``) or added back (``npv_no_acquisition``)
    constant_hazard: float | None = None
    seed_factor: float = 1.0  # replications relative to the scale's (full mode)


HEADLINE, FLAT = "tenure-rising", "flat margin"
NPV_PROFILES: dict[str, NpvProfile] = {
    # 26 paired replications: the gain's run-to-run sd is ~18 points, so 13 left a CI of
    # +-11 around 75 that crossed the band's edge at 85 (marginal, run_i); with 26 it is
    # about +-7.3, narrow enough for the band (60 points wide) to decide. (Raised after
    # that marginal verdict; docs/validation.md says so.)
    HEADLINE: NpvProfile({}, with_acquisition=True, seed_factor=2.6),
    # Every tenure effect off: spend at its long-tenure level from the first weeks (so the
    # flat margin is the long-run one, not the year-1 loss), no extra staff time for new
    # customers, no extra hazard for them. A = 0 is applied in the accounts (A added back),
    # so the world, its marketing and who it wins stay the same. The hazard is still the
    # model's: heterogeneous (satisfaction thresholds, switching costs, rivals' pull).
    FLAT: NpvProfile(
        {
            "behaviour__spend_growth_weeks": 1.0,
            "behaviour__new_cost_to_serve": 1.0,
            "behaviour__new_customer_hazard_boost": 0.0,
        },
        with_acquisition=False,
        seed_factor=0.8,
    ),
    # §2.1's setting: flat margin, A = 0 and one constant hazard for everybody, at both of
    # the note's starting rates (20% -> 15%: +20%; 10% -> 5%: +33%).
    # Paired seeds and one hazard for all make these precise: 5 replications suffice.
    "constant hazard 20%": NpvProfile(
        {}, with_acquisition=False, constant_hazard=0.20, seed_factor=0.5
    ),
    "constant hazard 10%": NpvProfile(
        {}, with_acquisition=False, constant_hazard=0.10, seed_factor=0.5
    ),
}


def _ratio_gain(cut: Values, base: Values) -> Values:
    """Per-replication influence values of the gain 100 (mean(cut) / mean(base) - 1), %.

    Their mean is the ratio-of-means gain and their t-interval its delta-method 95% CI;
    both arms of a replication share its seed, so the pairing is in the interval.
    """
    ratio = float(cut.mean() / base.mean())
    out: Values = 100.0 * (ratio - 1.0 + (cut - ratio * base) / base.mean())
    return out


def _closed_form_npv(d: float, gains: Values, acquisition_cost: float, rate: float) -> float:
    """§2.1 with the measured tenure profile: -A + sum_k (1 - d)^(k-1) g_k.

    ``g_k`` is the value (discounted to acquisition) a customer alive at the start of tenure
    year k adds in it; after the last year it stays flat in real terms (geometric tail).
    """
    k = np.arange(gains.size)
    q = (1.0 - d) / (1.0 + rate)
    tail = (1.0 - d) ** (gains.size - 1) * gains[-1] * q / (1.0 - q)
    return float(-acquisition_cost + np.sum((1.0 - d) ** k * gains) + tail)


def _constant_hazard_gain(d0: float, d1: float, rate: float) -> float:
    """NPV gain (%) of cutting a constant annual defection d0 to d1, flat margin, A = 0.

    The weekly form the simulation follows (as in AN1): a margin each week after the week
    of acquisition, reached with probability (1 - p)^(j-1), discounted weekly, so NPV is
    proportional to v / (1 - (1 - p) v). §2.1's annual form (margin at each year's end)
    gives a little less: +20% for 20% -> 15%, +33% for 10% -> 5%, against +23% and +37%.
    """
    v = float((1.0 + rate) ** (-1.0 / WEEKS_PER_YEAR))

    def npv(d: float) -> float:
        p = float(chain.weekly_probability(d))
        return v / (1.0 - (1.0 - p) * v)

    return 100.0 * (npv(d1) / npv(d0) - 1.0)


def _five_point_cut(
    run: Callable[[SimConfig, int], Row],
    cfg: Callable[[float], SimConfig],
    seeds: list[int],
    base: list[Row],
    workers: int,
    n_cal: int,
) -> tuple[float, list[Row], str]:
    """The churn multiplier that cuts the measured annual defection by 5 points.

    A secant search (in logs, kept bracketing) on the firm's annual defection measured on
    the first seeds, the cut taken against the base arm on the same seeds (common random
    numbers). It starts from what a constant hazard would need, which falls short: the
    hazard is heterogeneous. Returns the multiplier, the cut arm's runs on every seed, and
    the search's trace (multiplier -> cut in points).
    """
    cal = seeds[:n_cal]
    d_cal = float(np.mean(column(base[:n_cal], "defection")))
    d0 = float(np.mean(column(base, "defection")))
    target = d_cal - NPV_CUT
    mult = math.log(1.0 - (d0 - NPV_CUT)) / math.log(1.0 - d0)
    tried: list[tuple[float, float, list[Row]]] = [(1.0, d_cal, base[:n_cal])]
    for step in range(NPV_SECANT_STEPS):
        rows = replicate(run, cfg(mult), cal, workers)
        tried.append((mult, float(np.mean(column(rows, "defection"))), rows))
        if abs(tried[-1][1] - target) < NPV_CUT_TOLERANCE or step == NPV_SECANT_STEPS - 1:
            break
        # Interpolate (in logs) between the nearest points on either side of the target, so
        # noise cannot send a bracketed search astray; extrapolate from the two nearest
        # while every point lies on one side.
        above = [(m, d) for m, d, _ in tried if d > target]
        below = [(m, d) for m, d, _ in tried if d <= target]
        if above and below:
            (m0, e0), (m1, e1) = min(above, key=lambda p: p[1]), max(below, key=lambda p: p[1])
        else:
            (m1, e1), (m0, e0) = sorted(
                [(m, d) for m, d, _ in tried], key=lambda p: abs(p[1] - target)
            )[:2]
        if e1 == e0:
            break
        slope = (math.log(m1) - math.log(m0)) / (math.log(e1) - math.log(e0))
        mult = min(1.0, max(0.01, m1 * math.exp(slope * (math.log(target) - math.log(e1)))))
    mult, _, rows = min(tried[1:], key=lambda t: abs(t[1] - target))
    rows = rows + replicate(run, cfg(mult), seeds[n_cal:], workers)
    trace = ", ".join(f"{m:.3f} -> {100 * (d_cal - d):.2f}" for m, d, _ in tried[1:])
    return mult, rows, trace


def npv_gain(scale: Scale) -> list[Check]:
    """SF1: a 5-point cut in annual defection, through an exogenous hazard multiplier.

    Every profile's two arms share their seeds. In the model's worlds both arms hire to
    demand, so service per customer stays the same when the base grows. The multiplier is
    found by a secant search on the measured annual defection of the firm (not by assuming a
    constant hazard); the cut achieved is reported with its CI. NPV per customer:
    ``_run_npv``. The gain is a ratio of means with a delta-method CI. The closed form of
    §2.1, fed the measured d0, d1, acquisition cost and value by tenure year of the base arm,
    is reported beside it (and is the pass mark of the constant-hazard worlds).
    """
    full = scale.name == "full"
    cohort_years, horizon_years = (10, 15) if full else (3, 8)
    n = 2 * scale.n_customers
    weeks = (cohort_years + horizon_years) * WEEKS_PER_YEAR
    run = partial(_run_npv, cohort_years=cohort_years, horizon_years=horizon_years)
    rate = SimConfig().market.discount_rate
    t0 = time.perf_counter()
    gains: dict[str, Values] = {}
    theory: dict[str, float] = {}
    cuts: dict[str, Values] = {}
    rise: dict[str, float] = {}
    details = []
    for name, profile in NPV_PROFILES.items():
        seeds = scale.seeds("npv", profile.seed_factor if full else 1.0)

        def cfg(mult: float, profile: NpvProfile = profile) -> SimConfig:
            if profile.constant_hazard is not None:
                out = stripped_world(n, weeks, profile.constant_hazard)
                out.market.churn_multiplier = mult
                return out
            return world(
                n,
                weeks,
                staffing__kind=StaffingKind.demand,
                market__churn_multiplier=mult,
                **profile.overrides,
            )

        base = replicate(run, cfg(1.0), seeds, scale.workers)
        # Quick mode searches on every seed, so its cut is 5 points on all of them.
        n_cal = NPV_CALIBRATION_SEEDS if full else len(seeds)
        mult, cut, trace = _five_point_cut(run, cfg, seeds, base, scale.workers, n_cal)
        key = "npv" if profile.with_acquisition else "npv_no_acquisition"
        npv0, npv1 = column(base, key), column(cut, key)
        gains[name] = _ratio_gain(npv1, npv0)
        cuts[name] = (column(base, "defection") - column(cut, "defection")) * 100
        d0 = float(np.mean(column(base, "defection")))
        d1 = float(np.mean(column(cut, "defection")))
        acq = float(np.mean(column(base, "acquisition_cost"))) if profile.with_acquisition else 0.0
        g = np.array([np.mean(column(base, f"g{k}")) for k in range(1, horizon_years + 1)])
        annual = 100 * (
            _closed_form_npv(d1, g, acq, rate) / _closed_form_npv(d0, g, acq, rate) - 1.0
        )
        theory[name] = annual
        note = ""
        if profile.constant_hazard is not None:
            # Here the hazards are known exactly: d0, and d0 scaled by the multiplier.
            h0 = profile.constant_hazard
            h1 = 1.0 - (1.0 - h0) ** mult
            theory[name] = _constant_hazard_gain(h0, h1, rate)
            note = (
                f"; weekly closed form at the configured hazards {h0:.1%} -> {h1:.1%}: "
                f"{theory[name]:+.1f}%"
            )
        if name == FLAT:
            # The same at the defection new customers face in their first year: with a
            # heterogeneous hazard the firm's rate (a stock of survivors) understates it.
            # (Only meaningful with no tenure effect on the hazard, as in this profile.)
            new0, new1 = (1.0 - float(np.mean(column(rows, "s1"))) for rows in (base, cut))
            theory_new = 100 * (
                _closed_form_npv(new1, g, acq, rate) / _closed_form_npv(new0, g, acq, rate) - 1.0
            )
            note = (
                f"; new customers' first-year defection {new0:.1%} -> {new1:.1%}, closed form "
                f"there {theory_new:+.0f}%"
            )
        margins = [np.mean(column(base, f"m{k}")) for k in (1, 2, 3, 4, 5, horizon_years)]
        rise[name] = float(margins[4] / margins[1])  # year 5 over year 2 (year 1 may be < 0)
        other = "npv_no_acquisition" if profile.with_acquisition else "npv"
        details.append(
            f"**{name}**{'' if profile.with_acquisition else ' (A = 0)'}: d {d0:.1%} -> "
            f"{d1:.1%}, cut {fmt_ci(cuts[name])} points (multiplier {mult:.3f}; secant: "
            f"{trace}); NPV/customer {npv0.mean():.0f} -> {npv1.mean():.0f}, gain "
            f"{fmt_ci(gains[name])}% ({'without' if profile.with_acquisition else 'with'} A: "
            f"{fmt_ci(_ratio_gain(column(cut, other), column(base, other)))}%); "
            f"A = {np.mean(column(base, 'acquisition_cost')):.0f}; profit per survivor in "
            f"tenure years 1-5 and {horizon_years}: "
            + ", ".join(f"{m:.0f}" for m in margins)
            + f"; terminal value {np.mean(column(base, 'terminal')) / npv0.mean():.0%} / "
            f"{np.mean(column(cut, 'terminal')) / npv1.mean():.0%} of NPV; closed form "
            f"(§2.1, constant d0 and d1, measured A and value by tenure year) "
            f"{annual:+.0f}%{note}; {len(seeds)} paired replications, "
            f"{np.mean(column(base, 'n')):.0f} customers each"
        )
    secs = time.perf_counter() - t0
    rising, flat_gain = gains[HEADLINE], gains[FLAT]
    constant = [p for p, prof in NPV_PROFILES.items() if prof.constant_hazard is not None]

    def near_closed_form(name: str) -> bool:
        # The ratio gain's delta-method SE; 4 SE as in the analytic checks (AN1), and a
        # floor of half a point for the closed form's own discreteness (annual g_k).
        v = gains[name]
        se = float(v.std(ddof=1) / math.sqrt(v.size))
        return abs(float(v.mean()) - theory[name]) <= max(4.0 * se, 0.5)

    return [
        Check(
            Fact(
                "SF1",
                "Cutting annual defection by 5 points raises NPV per customer far "
                "more than proportionally (tenure-rising profit, acquisition cost); only "
                "~20-33% with a flat margin and a constant hazard",
                "+25% to +85% (Reichheld & Sasser 1990); flat margin +20-33% (§2.1)",
                "NPV gain per customer won (r=10%, acquisition cost included, lifetime), %",
                25,
                85,
            ),
            rising,
            seconds=secs,
            conditions={
                "the cut is 5 points (4.5-5.5) in every profile": all(
                    4.5 <= float(np.mean(v)) <= 5.5 for v in cuts.values()
                ),
                "profit per survivor rises with tenure (year 5 >= 1.5 x year 2), and is "
                "flat (within 20%) in the flat profiles": bool(
                    rise[HEADLINE] >= 1.5 and all(0.8 <= rise[p] <= 1.2 for p in (FLAT, *constant))
                ),
                "flat margin, A = 0 (the model's hazard): a smaller gain than tenure-rising "
                "profit with A": bool(float(np.mean(flat_gain)) < float(np.mean(rising))),
                "flat margin, constant hazard, A = 0: gain 15-40% and within 4 SE of §2.1's "
                "closed form, at d = 20% and 10%": all(
                    15 <= float(np.mean(gains[p])) <= 40 and near_closed_form(p) for p in constant
                ),
            },
            detail="; ".join(details),
            plot=partial(
                plot_points,
                gains,
                theory_line=theory,
                band=(25, 85),
                ylabel="NPV gain per customer (%)",
            ),
        )
    ]
