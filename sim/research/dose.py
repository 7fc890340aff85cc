"""Dose-response grid: does each lever and link of the chain move outcomes the right way?

Each ``Lever`` compares a world with and without one change (a dose) on the same seeds
(common random numbers), and states the direction the service-profit-chain literature
expects for each outcome. ``measure`` runs the pairs; ``table`` reports the mean paired
difference, its 95% t-interval and whether the interval excludes zero in the expected
direction. The tests assert the same grid (tests/test_chain_transmits.py), so what the
command prints is what the suite checks.

Run it with ``python -m sim.research.dose [--seeds 10] [--customers 3000] [--weeks 260]``;
``--map`` instead maps where investing in employees pays: the NPV of profit against
market pay without perks, over a grid of wage premiums and perks (the virtuous loop's
region and its limits).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sim.config import SimConfig, validate
from sim.experiments.analysis import t_interval
from sim.markdown import markdown_table
from sim.research.values import with_values
from sim.results import RunResult
from sim.rng import replication_seeds
from sim.runner import run_once

CUSTOMERS_PER_EMPLOYEE = 100  # the default world's ratio (10,000 people, 100 staff)


def _weekly_mean(column: str) -> Callable[[RunResult], float]:
    return lambda r: float(r.weekly[column].mean())


def _weekly_sum(column: str) -> Callable[[RunResult], float]:
    return lambda r: float(r.weekly[column].sum())


def _per_customer_week(column: str) -> Callable[[RunResult], float]:
    def value(r: RunResult) -> float:
        customer_weeks = float(r.weekly["customers_focal"].sum())
        return float(r.weekly[column].sum()) / customer_weeks if customer_weeks else 0.0

    return value


# Outcomes measured over the recorded run, from the run's own output tables.
OUTCOMES: dict[str, tuple[str, Callable[[RunResult], float]]] = {
    "annual_defection": ("annual customer defection", lambda r: r.summary["annual_defection"]),
    "customers_end": ("customers at the end", lambda r: float(r.summary["customers_end"])),
    "revenue": ("revenue over the run", _weekly_sum("revenue")),
    "npv_profit": ("NPV of profit", lambda r: r.summary["npv_profit"]),
    "service_quality": ("mean service quality", _weekly_mean("service_quality")),
    "capability": ("mean employee capability", _weekly_mean("capability")),
    "employee_turnover": ("annual employee turnover", lambda r: r.summary["employee_turnover"]),
    "visits_per_customer_week": ("visits per customer-week", _per_customer_week("visits")),
    "referrals": ("referrals made", _weekly_sum("referrals")),
}


@dataclass(frozen=True)
class Lever:
    """One dose: a world (``base``) and the same world with ``dose`` applied.

    ``expect`` maps an outcome of ``OUTCOMES`` to the sign theory expects (+1 or -1) of
    dose minus base.
    """

    name: str
    claim: str
    dose: Mapping[str, Any]
    expect: Mapping[str, int]
    base: Mapping[str, Any] = field(default_factory=dict)


LEVERS: tuple[Lever, ...] = (
    Lever(
        "quality_ceiling",
        "a free quality gain wins and keeps customers",
        {"operations.quality_ceiling": 1.0},
        {"annual_defection": -1, "customers_end": +1, "revenue": +1},
    ),
    Lever(
        "more_time",
        "more time per customer at no cost (a quarter more hours at the same pay, lean staff)",
        {"operations.hours_per_employee_week": 50.0},
        {"annual_defection": -1, "customers_end": +1, "revenue": +1},
        base={"workforce.n_employees": 0.75},  # share of the default staff: lean
    ),
    Lever(
        "fewer_quits",
        "a lower quit rate (18% a year against 45%) keeps experience and quality",
        {"workforce.quit_per_year": 0.18},
        {"capability": +1, "service_quality": +1},
        base={"workforce.quit_per_year": 0.45},
    ),
    Lever(
        "employee_satisfaction",
        "more satisfied employees give better service",
        {"workforce.satisfaction_baseline": 0.72},
        {"service_quality": +1},
    ),
    Lever(
        "customer_satisfaction",
        "more satisfied customers stay, buy more often and refer",
        {"behaviour.satisfaction_bias_mean": SimConfig().behaviour.satisfaction_bias_mean + 0.08},
        {"annual_defection": -1, "visits_per_customer_week": +1, "referrals": +1},
    ),
    Lever(
        "price_cut",
        "a 10% price cut brings more visits",
        {"pricing.price_index": 0.9},
        {"visits_per_customer_week": +1},
    ),
    Lever(
        "referral_reward",
        "a referral reward brings more referrals",
        {"acquisition.referral_reward": 30.0},
        {"referrals": +1},
    ),
    Lever(
        "training",
        "training raises capability and service quality",
        {"hr.training_per_week": 40.0},
        {"capability": +1, "service_quality": +1},
    ),
)


def world(
    values: Mapping[str, Any], n_customers: int, weeks: int, config: SimConfig | None = None
) -> SimConfig:
    """The default world at ``n_customers`` people (staff in the default ratio), ``values`` set.

    ``workforce.n_employees`` given as a number below 1 is a share of that ratio's staff.
    """
    cfg = SimConfig() if config is None else config
    staff = max(1, n_customers // CUSTOMERS_PER_EMPLOYEE)
    values = dict(values)
    share = values.pop("workforce.n_employees", 1.0)
    if share < 1:
        staff = max(1, round(share * staff))
    elif share > 1:
        staff = int(share)
    scaled = with_values(
        cfg,
        {
            "market.n_customers": n_customers,
            "workforce.n_employees": staff,
            "run.weeks": weeks,
            "run.progress": False,
            "run.figures": False,
        },
    )
    return validate(with_values(scaled, values))


def measure(
    lever: Lever, seeds: Sequence[int], n_customers: int = 3_000, weeks: int = 260
) -> pd.DataFrame:
    """Both arms of ``lever`` on each seed: one row per seed and arm, a column per outcome."""
    arms = {
        "base": world(lever.base, n_customers, weeks),
        "dose": world({**lever.base, **lever.dose}, n_customers, weeks),
    }
    rows = []
    for seed in seeds:
        for arm, cfg in arms.items():
            result = run_once(cfg, seed=seed)
            row = {"lever": lever.name, "seed": seed, "arm": arm}
            row.update({name: fn(result) for name, (_, fn) in OUTCOMES.items()})
            rows.append(row)
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class Effect:
    """Mean paired difference (dose - base) of one outcome, its 95% CI and the verdict."""

    lever: str
    outcome: str
    expected: int
    mean: float
    low: float
    high: float
    n: int

    @property
    def holds(self) -> bool:
        """The whole 95% CI lies on the expected side of zero."""
        return self.low > 0 if self.expected > 0 else self.high < 0


def effects(runs: pd.DataFrame, lever: Lever) -> list[Effect]:
    """The paired effects ``lever`` states an expectation for."""
    base = runs[runs["arm"] == "base"].set_index("seed")
    dose = runs[runs["arm"] == "dose"].set_index("seed")
    out = []
    for outcome, sign in lever.expect.items():
        d = (dose[outcome] - base[outcome]).to_numpy(dtype=float)
        mean, low, high = t_interval(d)
        out.append(Effect(lever.name, outcome, sign, mean, low, high, d.size))
    return out


def table(found: Sequence[Effect]) -> str:
    """The grid as Markdown: lever, outcome, expected direction, effect and CI, verdict."""
    rows = [
        [
            e.lever,
            OUTCOMES[e.outcome][0],
            "up" if e.expected > 0 else "down",
            f"{e.mean:+.4g}",
            f"[{e.low:+.4g}, {e.high:+.4g}]",
            e.n,
            "holds" if e.holds else "FAILS",
        ]
        for e in found
    ]
    header = ["lever", "outcome", "expected", "dose - base", "95% CI", "seeds", "verdict"]
    return markdown_table(pd.DataFrame(rows, columns=header))


WAGE_PREMIUMS = (0.0, 0.1, 0.2, 0.3)
PERKS = (0.0, 30.0, 60.0, 120.0)


def investment_map(
    seeds: Sequence[int],
    n_customers: int = 3_000,
    weeks: int = 260,
    wage_premiums: Sequence[float] = WAGE_PREMIUMS,
    perks: Sequence[float] = PERKS,
) -> pd.DataFrame:
    """NPV of profit of each (wage premium, perks) cell minus market pay without perks.

    One row per cell: the mean paired difference over ``seeds``, its 95% CI and the
    cell's employee turnover and customers at the end (means).
    """

    def outcomes(values: Mapping[str, Any]) -> list[tuple[float, float, float]]:
        cfg = world(values, n_customers, weeks)
        runs = [run_once(cfg, seed=s) for s in seeds]
        return [
            (r.summary["npv_profit"], r.summary["employee_turnover"], r.summary["customers_end"])
            for r in runs
        ]

    base = outcomes({})
    rows = []
    for premium in wage_premiums:
        for spend in perks:
            cell = (
                base
                if premium == 0 and spend == 0
                else outcomes({"hr.wage_premium": premium, "hr.perks_per_week": spend})
            )
            mean, low, high = t_interval(
                np.array([c[0] - b[0] for c, b in zip(cell, base, strict=True)])
            )
            rows.append(
                {
                    "wage_premium": premium,
                    "perks_per_week": spend,
                    "npv_difference": mean,
                    "low": low,
                    "high": high,
                    "employee_turnover": sum(c[1] for c in cell) / len(cell),
                    "customers_end": sum(c[2] for c in cell) / len(cell),
                }
            )
    return pd.DataFrame(rows)


def map_table(cells: pd.DataFrame) -> str:
    """The map as Markdown: wage premiums down, perks across; + pays, - loses, ~ unclear."""

    def cell(row: pd.Series) -> str:
        if row["wage_premium"] == 0 and row["perks_per_week"] == 0:
            return "baseline"
        sign = "+" if row["low"] > 0 else "-" if row["high"] < 0 else "~"
        low, high = row["low"] / 1e3, row["high"] / 1e3
        return f"{sign} {row['npv_difference'] / 1e3:+,.0f}k [{low:+,.0f}, {high:+,.0f}]"

    table = cells.assign(text=cells.apply(cell, axis=1)).pivot(
        index="wage_premium", columns="perks_per_week", values="text"
    )
    table.index = [f"pay +{p:.0%}" for p in table.index]
    table.columns = [f"perks {p:g}/wk" for p in table.columns]
    return markdown_table(table.reset_index(names=""))


def main(argv: Sequence[str] | None = None) -> int:
    """Run the grid and print its table; exit status 1 if any expectation fails."""
    parser = argparse.ArgumentParser(prog="python -m sim.research.dose", description=__doc__)
    parser.add_argument("--seeds", type=int, default=10, help="replications per arm")
    parser.add_argument("--customers", type=int, default=3_000, help="people in the market")
    parser.add_argument("--weeks", type=int, default=260, help="recorded weeks")
    parser.add_argument("--root-seed", type=int, default=2_016)
    parser.add_argument("--out", help="also write the runs (or the map's cells) as CSV here")
    parser.add_argument(
        "--map", action="store_true", help="map NPV over wage premium x perks instead"
    )
    args = parser.parse_args(argv)
    if args.seeds < 2:
        parser.error(f"--seeds={args.seeds}: a paired CI needs at least 2")
    seeds = replication_seeds(args.root_seed, args.seeds)
    if args.map:
        cells = investment_map(seeds, args.customers, args.weeks)
        print(map_table(cells))
        if args.out:
            cells.to_csv(args.out, index=False)
        return 0
    found: list[Effect] = []
    frames = []
    for lever in LEVERS:
        runs = measure(lever, seeds, args.customers, args.weeks)
        frames.append(runs)
        found.extend(effects(runs, lever))
    print(table(found))
    if args.out:
        pd.concat(frames).to_csv(args.out, index=False)
    return 0 if all(e.holds for e in found) else 1


if __name__ == "__main__":
    raise SystemExit(main())
