"""The tables a run produces: weekly metrics, customer and employee ledgers, headline KPIs.

Everything downstream (files, figures, reports, studies) is made from these tables.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from sim.model import ServiceProfitChainModel
from sim.state import ARMS, EXIT_REASONS, FOCAL, PROSPECT
from sim.units import WEEKS_PER_YEAR


@dataclass
class RunResult:
    """Output tables of one run."""

    weekly: pd.DataFrame
    customers: pd.DataFrame
    employees: pd.DataFrame
    summary: dict[str, Any]
    policy_log: list[tuple[int, dict[str, Any]]]


def customer_ledger(model: ServiceProfitChainModel) -> pd.DataFrame:
    """One row per person who was ever a focal customer.

    ``value_quintile`` ranks them by lifetime revenue (1 = top fifth); ``tier`` is the
    current service tier of present customers (1 = top), 0 for others, whose
    ``tenure_weeks`` is 0 too. ``last_year_*`` is the person's revenue and cost in the
    last completed year of the run (0 before a year has closed, and for whoever the firm
    neither served nor charged that year).
    """
    c = model.customers
    rows = np.flatnonzero(c.acquisitions > 0)
    year_revenue, year_cost = last_year(model, rows)
    firm = c.firm[rows]
    status = np.where(firm == FOCAL, "focal", np.where(firm == PROSPECT, "prospect", "rival"))
    source = np.where(
        c.initial_customer[rows],
        "initial",
        np.where(c.referred[rows] | c.referred_by_reward[rows], "referral", "marketing"),
    )
    revenue = c.lifetime_revenue[rows]
    order = np.argsort(-revenue, kind="stable")
    quintile = np.empty(rows.size, dtype=np.int64)
    quintile[order] = np.arange(rows.size) * 5 // max(rows.size, 1) + 1
    focal = firm == FOCAL
    # Defined values for people who are not customers now (no NaN in any output):
    # tier 0 and tenure 0; ``status`` says who they are.
    tier = np.where(focal, c.tier[rows].astype(np.int64) + 1, 0)
    return pd.DataFrame(
        {
            "customer_id": rows.astype(np.int64),
            "status": status,
            "firm": firm.astype(np.int64),
            "initial_customer": c.initial_customer[rows],
            "referral_source": source,
            "arm": np.array([ARMS[int(a)] for a in c.arm[rows]], dtype=object),
            "acquisitions": c.acquisitions[rows].astype(np.int64),
            "first_acquired_week": c.first_acquired_week[rows].astype(np.int64),
            "last_exit_week": c.last_exit_week[rows].astype(np.int64),
            "tenure_weeks": np.where(focal, c.tenure_weeks[rows], 0.0),
            "satisfaction": c.satisfaction[rows],
            "tier": tier,
            "value_quintile": quintile,
            "base_spend": c.base_spend[rows],
            "visit_probability": c.visit_probability[rows],
            "cost_to_serve": c.cost_to_serve[rows],
            "price_sensitivity": c.price_sensitivity[rows],
            "quality_sensitivity": c.quality_sensitivity[rows],
            "switching_cost": c.switching_cost[rows],
            "threshold": c.threshold[rows],
            "visits": c.lifetime_visits[rows],
            "lifetime_revenue": revenue,
            "lifetime_cost": c.lifetime_cost[rows],
            "lifetime_profit": revenue - c.lifetime_cost[rows],
            "lifetime_staff_cost": c.lifetime_staff_cost[rows],
            "last_year_revenue": year_revenue,
            "last_year_cost": year_cost,
            "last_year_profit": year_revenue - year_cost,
            "lifetime_value": c.lifetime_value[rows],
        }
    )


def last_year(
    model: ServiceProfitChainModel, rows: np.ndarray[Any, Any]
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """Revenue and cost of ``rows`` in the last completed year (zeros before one closes)."""
    books = model.world.books
    if books.last_year_revenue.size == 0:
        return np.zeros(rows.size), np.zeros(rows.size)
    return books.last_year_revenue[rows], books.last_year_cost[rows]


def employee_ledger(model: ServiceProfitChainModel) -> pd.DataFrame:
    """One row per person who ever worked for the focal firm."""
    e = model.employees
    reasons = np.array([EXIT_REASONS[int(r)] for r in e.column("exit_reason")], dtype=object)
    return pd.DataFrame(
        {
            "employee_id": np.arange(e.size, dtype=np.int64),
            "hired_week": e.column("hired_week").astype(np.int64),
            "exit_week": e.column("exit_week").astype(np.int64),
            "exit_reason": reasons,
            "tenure_weeks": e.column("tenure_weeks"),
            "capability": e.column("capability"),
            "ability": e.column("ability"),
            "satisfaction": e.column("satisfaction"),
            "fatigue": e.column("fatigue"),
            "encounters": e.column("encounters"),
            "wage_per_week": e.column("wage_per_week"),
        }
    )


def whale_curve(lifetime_profit: np.ndarray[Any, Any]) -> pd.DataFrame:
    """Cumulative share of total profit against share of customers, most profitable first.

    >>> whale_curve(np.array([3.0, -1.0, 2.0])).round(3).values.tolist()
    [[0.0, 0.0], [0.333, 0.75], [0.667, 1.25], [1.0, 1.0]]
    """
    p = np.sort(np.asarray(lifetime_profit, dtype=float))[::-1]
    total = p.sum()
    cum = np.concatenate([[0.0], np.cumsum(p)]) / (total if total != 0 else 1.0)
    share = np.arange(p.size + 1) / max(p.size, 1)
    return pd.DataFrame({"customer_share": share, "profit_share": cum})


def top_share_of_profit(lifetime_profit: np.ndarray[Any, Any], top: float = 0.2) -> float:
    """Share of total profit earned by the most profitable ``top`` share of customers.

    >>> round(top_share_of_profit(np.array([5.0, 1.0, -1.0, 0.0, 0.0]), 0.2), 3)
    1.0
    """
    p = np.sort(np.asarray(lifetime_profit, dtype=float))[::-1]
    if p.size == 0 or p.sum() == 0:
        return 0.0  # no profit to share out: defined as 0 rather than NaN
    k = max(1, round(top * p.size))
    return float(p[:k].sum() / p.sum())


def summarise(
    model: ServiceProfitChainModel, weekly: pd.DataFrame, ledger: pd.DataFrame
) -> dict[str, Any]:
    """Headline KPIs of a run, each computed from the run's own tables.

    What each one means, how it is written and which way is good: ``sim.kpis``.
    """
    last_year = weekly.tail(52)
    profit = ledger["lifetime_profit"].to_numpy()
    # The year's customer P&L covers whoever the firm served or charged that year.
    in_year = (ledger["last_year_revenue"] != 0) | (ledger["last_year_cost"] != 0)
    year_profit = ledger.loc[in_year, "last_year_profit"].to_numpy()
    weeks = len(weekly)
    # Every KPI is a number even where its population is empty (no customers, no staff,
    # no weeks): rates with no exposure are 0 and averages over nobody are 0; the counts
    # beside them (customers_start, employees_end, weeks) say when that is the case.
    if model.annual_retention:
        retention = float(np.mean(model.annual_retention))
    else:
        # No complete year: annualise the weekly defection rate of the weeks that had
        # customers to lose.
        exposed = weekly["customers_focal"] + weekly["defections"] - weekly["acquisitions"]
        exposure = float(exposed.clip(lower=0).sum()) if weeks else 0.0
        weekly_rate = float(weekly["defections"].sum()) / exposure if exposure > 0 else 0.0
        retention = (1.0 - min(weekly_rate, 1.0)) ** WEEKS_PER_YEAR
    if model.annual_employee_turnover:
        turnover = float(np.mean(model.annual_employee_turnover))
    else:
        staff_weeks = float(weekly["employee_headcount"].sum()) if weeks else 0.0
        quits = float(weekly["quits"].sum()) if weeks else 0.0
        turnover = quits * WEEKS_PER_YEAR / staff_weeks if staff_weeks else 0.0

    def last_year_mean(column: str) -> float:
        return float(last_year[column].mean()) if weeks else 0.0

    return {
        "seed": model.config.seed,
        "weeks": len(weekly),
        "npv_profit": float(weekly["discounted_profit"].iloc[-1]) if len(weekly) else 0.0,
        "cumulative_profit": float(weekly["cumulative_profit"].iloc[-1]) if len(weekly) else 0.0,
        "revenue_total": float(weekly["revenue"].sum()),
        "annual_retention": retention,
        "annual_defection": 1.0 - retention,
        "nps": last_year_mean("nps"),
        "customer_satisfaction": last_year_mean("customer_satisfaction"),
        "employee_satisfaction": last_year_mean("employee_satisfaction"),
        "employee_turnover": turnover,
        "annual_employee_turnover": turnover,
        "customers_start": int(np.count_nonzero(model.customers.initial_customer)),
        "customers_end": model.n_focal_customers,
        "employees_end": model.headcount,
        "top20_profit_share": top_share_of_profit(profit, 0.2),
        "unprofitable_share": float(np.mean(profit < 0)) if profit.size else 0.0,
        "top20_profit_share_year": top_share_of_profit(year_profit, 0.2),
        "unprofitable_share_year": float(np.mean(year_profit < 0)) if year_profit.size else 0.0,
    }


def collect(model: ServiceProfitChainModel) -> RunResult:
    """Build the output tables of a finished (or partly run) model."""
    weekly = model.metrics.frame()
    customers = customer_ledger(model)
    return RunResult(
        weekly=weekly,
        customers=customers,
        employees=employee_ledger(model),
        summary=summarise(model, weekly, customers),
        policy_log=list(model.policy_log),
    )
