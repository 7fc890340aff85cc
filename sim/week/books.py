"""The books: what visits are worth, the week's costs, customer ledgers, profit.

Every cost lands twice: in the week's cost lines (the firm's books) and, where it
belongs to someone, in that customer's ledger (lifetime cost and discounted value), so
customer lifetime profit sums to the firm's profit less unallocated cost.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from sim import chain
from sim.state import FOCAL
from sim.units import WEEKS_PER_YEAR
from sim.week.flows import Flows
from sim.week.tiers import VALUE_SCORE_WEIGHT
from sim.week.world import Books, World


def price_visits(world: World, flows: Flows) -> None:
    """What each visitor spends: base spend grown with tenure, at the price they pay."""
    cfg, c = world.config, world.customers
    b, visitors = cfg.behaviour, flows.visitors
    spend_mult = world.tenure_curves(
        chain.spend_multiplier,
        c.tenure_weeks[visitors],
        b.spend_growth_max,
        b.spend_growth_weeks,
    )
    if b.referred_spend_premium > 0:
        ref_idx = np.flatnonzero(c.referred[visitors])
        spend_mult[ref_idx] *= world.tenure_curves(
            chain.referred_spend_multiplier,
            c.tenure_weeks[visitors[ref_idx]],
            b.referred_spend_premium,
            b.referred_premium_weeks,
        )
    decided = world.decisions
    flows.price = decided.pricing.paid(
        c.tenure_weeks[visitors], decided.service.prices(flows.tiers)
    )
    flows.spend = c.base_spend[visitors] * spend_mult * flows.price


def book_encounters(world: World, flows: Flows) -> None:
    """The week's operating costs, and each visitor's revenue and cost in their ledger."""
    cfg, c, costs = world.config, world.customers, flows.costs
    visitors, revenue_v, staff = flows.visitors, flows.spend, flows.staff
    flows.revenue = revenue = float(revenue_v.sum())
    decided = world.decisions
    wage = decided.hr.wage_per_week
    costs["cost_wages"] = wage * staff.size
    costs["cost_overtime"] = (
        wage * staff.size * flows.overtime * (1.0 + cfg.operations.overtime_premium)
    )
    costs["cost_perks"] = decided.hr.perks_per_week * staff.size
    costs["cost_training"] = decided.hr.training_per_week * staff.size
    costs["cost_materials"] = cfg.market.material_share * revenue
    costs["cost_marketing"] = decided.acquisition.marketing_budget
    costs["cost_fixed"] = cfg.market.fixed_cost_per_employee_week * cfg.workforce.n_employees
    labour = costs["cost_wages"] + costs["cost_overtime"]
    # Labour is shared among visitors by the staff time each was given.
    time_total = float(flows.given.sum())
    allocated = labour * flows.given / time_total if time_total > 0 else np.zeros(visitors.size)
    if time_total <= 0:
        world.books.unallocated_cost += labour
    cost_v = cfg.market.material_share * revenue_v + allocated
    np.add.at(cost_v, flows.failed, flows.recovery_cost)
    c.lifetime_revenue[visitors] += revenue_v
    c.lifetime_cost[visitors] += cost_v
    c.lifetime_staff_cost[visitors] += allocated
    c.lifetime_value[visitors] += (revenue_v - cost_v) * discount_since_acquired(world, visitors)
    c.lifetime_visits[visitors] += 1
    c.value_score[flows.focal] *= 1.0 - VALUE_SCORE_WEIGHT
    c.value_score[visitors] += VALUE_SCORE_WEIGHT * revenue_v / np.maximum(flows.price, 1e-9)
    if world.transaction_sink is not None and visitors.size and not world.warming_up:
        world.transaction_sink(world.week, visitors.astype(np.int64), revenue_v)


def discount_since_acquired(world: World, rows: NDArray[np.int64]) -> NDArray[np.float64]:
    """Discount factor from each customer's first acquisition to this week."""
    books = world.books
    since = world.week - np.maximum(world.customers.first_acquired_week[rows], 0)
    base = 1.0 + world.config.market.discount_rate
    # ufunc reductions: ndarray.min/max add ~8 us of Python wrappers a call.
    if since.size == 0 or np.minimum.reduce(since) < 0:
        factor: NDArray[np.float64] = np.power(base, -since / WEEKS_PER_YEAR)
        return factor
    # The factor depends only on whole weeks elapsed, so it is looked up rather than
    # recomputed per visit each week; np.power gives the same bits for the same inputs.
    table = books.discount_table
    longest = int(np.maximum.reduce(since))
    if table.size <= longest or books.discount_base != base:
        size = max(2 * longest + 1, WEEKS_PER_YEAR)
        books.discount_table = table = np.power(base, -np.arange(size) / WEEKS_PER_YEAR)
        books.discount_base = base
    looked_up: NDArray[np.float64] = table[since]
    return looked_up


def charge(world: World, rows: NDArray[np.int64], amount: float) -> None:
    """Book a one-off cost to customers' ledgers (cost and discounted value)."""
    if rows.size == 0 or amount == 0:
        return
    c = world.customers
    c.lifetime_cost[rows] += amount
    c.lifetime_value[rows] -= amount * discount_since_acquired(world, rows)


def close_week(world: World, flows: Flows) -> None:
    """Onboarding costs, the week's profit, and the running and quarterly totals."""
    cfg, books = world.config, world.books
    flows.costs["cost_onboarding"] = world.decisions.acquisition.onboarding_cost * (
        flows.referral_wins.size + flows.marketing_wins.size
    )
    flows.total_cost = float(sum(flows.costs.values()))
    flows.profit = profit = flows.revenue - flows.total_cost
    books.cumulative_profit += profit
    books.discounted_profit += profit * float(
        chain.npv_factor(world.week + 1, cfg.market.discount_rate)
    )
    books.quarter_revenue += flows.revenue
    books.quarter_profit += profit
    books.year_quits += flows.quits
    books.year_headcount_sum += world.headcount


def close_year(world: World) -> None:
    """Annual customer retention of the year's cohort and annual staff turnover."""
    c, books = world.customers, world.books
    if books.cohort.size:
        kept = (c.firm[books.cohort] == FOCAL) & (
            c.last_exit_week[books.cohort] < books.cohort_start
        )
        books.annual_retention.append(float(kept.mean()))
    books.cohort = np.flatnonzero(c.firm == FOCAL)
    books.cohort_start = world.week
    mean_headcount = books.year_headcount_sum / WEEKS_PER_YEAR
    if mean_headcount > 0:
        books.annual_employee_turnover.append(books.year_quits / mean_headcount)
    books.year_quits = 0
    books.year_headcount_sum = 0.0
    close_customer_year(books, c.lifetime_revenue, c.lifetime_cost)


def close_customer_year(
    books: Books, revenue: NDArray[np.float64], cost: NDArray[np.float64]
) -> None:
    """Each person's revenue and cost in the year just closed, from their ledgers."""
    if books.year_start_revenue.size == 0:  # the first year starts from fresh ledgers
        books.year_start_revenue = np.zeros_like(revenue)
        books.year_start_cost = np.zeros_like(cost)
    books.last_year_revenue = revenue - books.year_start_revenue
    books.last_year_cost = cost - books.year_start_cost
    books.year_start_revenue = revenue.copy()
    books.year_start_cost = cost.copy()
