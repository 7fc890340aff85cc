"""The KPIs: what each headline number of a run or study means, how it reads, which way is good.

This registry is the one vocabulary of the KPIs. The run report's table, the study
report's labels and formats, what research tools may explain or optimise, and what a
report shows as "n/a" when there is nothing to measure are all derived from ``KPIS``.
The numbers themselves are computed in ``sim.results.summarise`` (a run's summary) and
``sim.experiments.analysis.run_kpis`` (the study-only KPIs of a run).

Adding a KPI: compute it in ``summarise`` (or ``run_kpis``) and add one ``Kpi`` here.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Literal

from sim.units import WEEKS_PER_YEAR

type Format = Literal["money", "rate", "score", "level", "count", "weeks", "seconds"]
type Subject = Literal["firm", "customers", "employees", "run"]


@dataclass(frozen=True)
class Kpi:
    """One KPI: its column name, its words, its unit and how it is read.

    Attributes:
        name: Key in a run's ``summary.json`` and column of a study's ``kpis.csv``.
        label: Plain-language label for a table row ("Customer retention, annual").
        phrase: The same as a noun phrase inside a sentence ("annual customer retention").
        unit: What one unit of the value is.
        fmt: How a value is written: ``money`` (thousands separators), ``rate`` (a
            fraction shown as a percentage), ``score`` (signed, one decimal), ``level``
            (a 0-1 mean, three decimals), ``count``, ``weeks`` or ``seconds``.
        higher_is_better: True or False where the theory says which way is good; None for
            a size, a concentration or a property of the run.
        rate: A rate, share or mean over people or time: undefined (shown "n/a") when
            there is nobody or no week to measure it on.
        subject: Whom the KPI is about; a customer rate is "n/a" in a world without
            customers.
        description: What the number is, in one sentence.
        sources: Stylized facts (``shared/docs/stylized_facts.md``) the KPI is compared
            with, such as ``("SF6",)``.
        outcome: A research tool may explain or optimise it (not the run's identity or
            its starting point).
        per_run: In every run's summary; False for the study-only KPIs of ``run_kpis``.
    """

    name: str
    label: str
    phrase: str
    unit: str
    fmt: Format
    higher_is_better: bool | None
    rate: bool
    subject: Subject
    description: str
    sources: tuple[str, ...] = ()
    outcome: bool = True
    per_run: bool = True

    def format(self, value: object) -> str:
        """The value as a report's KPI table shows it ("n/a" when missing).

        >>> KPI["annual_retention"].format(0.8316), KPI["nps"].format(12.34)
        ('83.2%', '+12.3')
        """
        return format_value(value, self.fmt)


# Order is the order of a run report's table: the headline answer first, then the chain
# from the customer end back to the employees, then the run's bookkeeping; the KPIs of
# studies only come last.
KPIS: tuple[Kpi, ...] = (
    Kpi(
        "npv_profit", "NPV of profit", "NPV of profit", "money, discounted to week 0",
        "money", True, False, "firm",
        "Profit of every recorded week discounted at market.discount_rate, summed.",
    ),
    Kpi(
        "cumulative_profit", "Cumulative profit", "cumulative profit", "money",
        "money", True, False, "firm",
        "Profit of every recorded week, summed without discounting.",
    ),
    Kpi(
        "revenue_total", "Revenue, total", "total revenue", "money",
        "money", True, False, "firm",
        "Revenue of every recorded week, summed.",
    ),
    Kpi(
        "annual_retention", "Customer retention, annual", "annual customer retention",
        "share of the customer base kept a year", "rate", True, True, "customers",
        "Mean over the run's whole years of the share of the year's customers still "
        "customers at its end (annualised weekly defection in a shorter run).",
        ("SF6",),
    ),
    Kpi(
        "annual_defection", "Customer defection, annual", "annual customer defection",
        "share of the customer base lost a year", "rate", False, True, "customers",
        "1 - annual customer retention.",
        ("SF6",),
    ),
    Kpi(
        "nps", "Net promoter score (last year)", "NPS", "points, -100 to 100",
        "score", True, True, "customers",
        "Promoters minus detractors among the focal firm's customers, mean of the last "
        "52 weeks.",
        ("SF33",),
    ),
    Kpi(
        "customer_satisfaction", "Customer satisfaction (last year, 0-1)",
        "customer satisfaction", "satisfaction, 0-1", "level", True, True, "customers",
        "Mean satisfaction of the focal firm's customers, mean of the last 52 weeks.",
        ("SF12",),
    ),
    Kpi(
        "employee_satisfaction", "Employee satisfaction (last year, 0-1)",
        "employee satisfaction", "satisfaction, 0-1", "level", True, True, "employees",
        "Mean satisfaction of the focal firm's staff, mean of the last 52 weeks.",
        ("SF12",),
    ),
    Kpi(
        "employee_turnover", "Employee turnover, annual", "annual employee turnover",
        "quits per employee a year", "rate", False, True, "employees",
        "Quits over mean headcount, mean over the run's whole years (annualised in a "
        "shorter run).",
        ("SF6", "SF22"),
    ),
    Kpi(
        "annual_employee_turnover", "Employee turnover, annual (alias)",
        "annual employee turnover (alias)", "quits per employee a year", "rate", False, True,
        "employees",
        "The same number as employee_turnover, under the name scripts may also use.",
        ("SF6", "SF22"),
        outcome=False,
    ),
    Kpi(
        "customers_start", "Customers at start", "customers at the start", "customers",
        "count", None, False, "customers",
        "Customers of the focal firm when the recorded weeks begin.",
        outcome=False,
    ),
    Kpi(
        "customers_end", "Customers at end", "customers at the end", "customers",
        "count", True, False, "customers",
        "Customers of the focal firm after the last week.",
    ),
    Kpi(
        "employees_end", "Employees at end", "employees at the end", "employees",
        "count", None, False, "employees",
        "Headcount of the focal firm after the last week.",
    ),
    Kpi(
        "top20_profit_share", "Profit share of the top 20% of customers",
        "profit share of the top 20% of customers", "share of total lifetime profit",
        "rate", None, True, "customers",
        "Share of total lifetime profit earned by the most profitable fifth of everyone "
        "who was ever a customer (the whale curve).",
        ("SF34",),
    ),
    Kpi(
        "unprofitable_share", "Share of customers who are unprofitable",
        "share of unprofitable customers", "share of customers", "rate", False, True,
        "customers",
        "Share of everyone who was ever a customer whose lifetime profit is negative.",
        ("SF34",),
    ),
    Kpi(
        "top20_profit_share_year", "Profit share of the top 20% of customers, last year",
        "profit share of the top 20% of customers in the last year",
        "share of the year's total customer profit", "rate", None, True, "customers",
        "Share of the last completed year's customer profit earned by the most profitable "
        "fifth of the customers the firm served or charged that year: the annual customer "
        "P&L that activity-based costing reports (0 before a year has closed).",
        ("SF34",),
    ),
    Kpi(
        "unprofitable_share_year", "Share of customers unprofitable, last year",
        "share of customers unprofitable in the last year", "share of customers", "rate",
        False, True, "customers",
        "Share of the customers the firm served or charged in the last completed year whose "
        "profit that year is negative (0 before a year has closed).",
        ("SF34",),
    ),
    Kpi(
        "weeks", "Weeks simulated", "weeks simulated", "weeks", "weeks", None, False, "run",
        "Recorded weeks (after the burn-in).",
        outcome=False,
    ),
    Kpi(
        "transactions", "Transactions logged", "transactions logged", "purchases",
        "count", None, False, "run",
        "Rows of the transaction log, when the run keeps one.",
        outcome=False,
    ),
    Kpi(
        "seed", "Seed", "seed", "", "count", None, False, "run",
        "The run's seed.",
        outcome=False,
    ),
    Kpi(
        "wall_seconds", "Wall time", "wall time", "seconds", "seconds", None, False, "run",
        "Time the run took on this machine: a property of the machine, not of the run.",
        outcome=False,
    ),
    Kpi(
        "customer_npv", "NPV of an average customer", "NPV of an average customer",
        "money per customer, discounted to week 0", "money", True, True, "customers",
        "Mean over the week-0 customers of their profit stream discounted to week 0 and "
        "followed to the horizon.",
        ("SF1", "SF2"),
        per_run=False,
    ),
    Kpi(
        "trial_retention_effect", "Controlled test: retention, treated minus control",
        "treated minus control: retention", "share of the test's customers", "rate", True,
        True, "customers",
        "Share still a customer at the end, treated arm minus control arm.",
        per_run=False,
    ),
    Kpi(
        "trial_spend_effect", "Controlled test: spend per customer, treated minus control",
        "treated minus control: spend per customer", "money per customer", "money", True,
        True, "customers",
        "Lifetime revenue per customer, treated arm minus control arm.",
        per_run=False,
    ),
    Kpi(
        "trial_profit_effect",
        "Controlled test: discounted profit per customer, treated minus control",
        "treated minus control: discounted profit per customer",
        "money per customer, discounted", "money", True, True, "customers",
        "Lifetime value per customer, treated arm minus control arm.",
        per_run=False,
    ),
)  # fmt: skip

KPI: dict[str, Kpi] = {k.name: k for k in KPIS}

# What a run's summary holds that research tools may explain or optimise (sensitivity
# analysis, policy search): every KPI except the run's identity and its starting point.
SUMMARY_KPIS: tuple[str, ...] = tuple(k.name for k in KPIS if k.per_run and k.outcome)

# What a study reports when its scenario names no metrics.
STUDY_METRICS: tuple[str, ...] = (
    "npv_profit",
    "customers_end",
    "annual_retention",
    "employee_turnover",
    "nps",
)


def phrase(name: str) -> str:
    """How a KPI is named inside a sentence; an unregistered column keeps its own name.

    >>> phrase("employee_turnover"), phrase("treated_spend")
    ('annual employee turnover', 'treated_spend')
    """
    kpi = KPI.get(name)
    return kpi.phrase if kpi is not None else name


# ------------------------------------------------------------------ formatting


def as_number(value: object) -> float | None:
    """A finite float, or None for anything missing, non-numeric or not finite.

    >>> as_number(2), as_number(True), as_number(float("inf")), as_number("1")
    (2.0, None, None, None)
    """
    # numbers.Real covers NumPy scalars too; bools are flags, not quantities.
    if not isinstance(value, numbers.Real) or isinstance(value, bool):
        return None
    x = float(value)
    return x if math.isfinite(x) else None


def format_money(value: object) -> str:
    """Format an amount of money with thousands separators.

    Amounts of 100 or more are shown whole; smaller ones keep cents so that per-customer
    figures stay informative.

    Args:
        value: The amount (any real number; None or NaN give "n/a").

    Returns:
        The formatted amount, e.g. ``"1,234,568"`` or ``"-12.50"``.

    >>> format_money(1234567.8), format_money(-12.5), format_money(float("nan"))
    ('1,234,568', '-12.50', 'n/a')
    """
    x = as_number(value)
    if x is None:
        return "n/a"
    text = f"{x:,.0f}" if abs(x) >= 100 else f"{x:,.2f}"
    # "-0" reads as a loss where there is none.
    return "0" if text in {"-0", "-0.00"} else text


def format_rate(value: object) -> str:
    """Format a share or rate (a fraction) as a percentage with one decimal.

    Args:
        value: The fraction, e.g. 0.832 for 83.2%.

    Returns:
        The formatted percentage, or "n/a" if missing.

    >>> format_rate(0.8316), format_rate(None)
    ('83.2%', 'n/a')
    """
    x = as_number(value)
    return "n/a" if x is None else f"{100.0 * x:.1f}%"


def format_value(value: object, fmt: Format) -> str:
    """A value written as ``fmt`` says (see ``Kpi.fmt``); "n/a" when missing.

    >>> format_value(104, "weeks"), format_value("tiered", "count"), format_value(None, "money")
    ('104 (2.0 years)', 'tiered', 'n/a')
    """
    x = as_number(value)
    if x is None:
        # A value the run reported but that is not a number (a label, say) is still
        # worth showing as it is; only truly missing values are "n/a".
        if value is None or isinstance(value, float):
            return "n/a"
        return str(value)
    match fmt:
        case "money":
            return format_money(x)
        case "rate":
            return format_rate(x)
        case "score":
            return f"{x:+.1f}"
        case "level":
            return f"{x:.3f}"
        case "count":
            return f"{x:,.0f}"
        case "weeks":
            return f"{x:,.0f} ({x / WEEKS_PER_YEAR:.1f} years)"
        case "seconds":
            return f"{x:.1f} s"


def bounds(name: str) -> tuple[float, float]:
    """The values a KPI can take: what a confidence interval of its level is clipped to.

    >>> bounds("nps"), bounds("annual_retention"), bounds("employee_turnover")
    ((-100.0, 100.0), (0.0, 1.0), (0.0, inf))
    >>> bounds("npv_profit"), bounds("not_a_kpi")
    ((-inf, inf), (-inf, inf))
    """
    kpi = KPI.get(name)
    if kpi is None:
        return -math.inf, math.inf
    if kpi.fmt == "score":
        return -100.0, 100.0
    if kpi.fmt == "level" or (kpi.fmt == "rate" and kpi.unit.startswith("share")):
        return 0.0, 1.0
    if kpi.fmt in ("rate", "count", "weeks", "seconds"):
        return 0.0, math.inf
    return -math.inf, math.inf


def format_short(name: str, value: float, signed: bool = False) -> str:
    """A KPI's value (or a difference of two) as a study's tables and sentences show it.

    Rates as percentages, 0-1 levels with three decimals, everything else (money,
    scores, counts, unregistered columns) as a number, whole from 100 up.

    >>> format_short("annual_retention", 0.8512), format_short("npv_profit", -1234.5, signed=True)
    ('85.1%', '-1,234')
    >>> format_short("customer_satisfaction", 0.71234, signed=True), format_short("x", 12.345)
    ('+0.712', '12.35')
    """
    if value is None or not math.isfinite(value):
        return "n/a"
    sign = "+" if signed and value > 0 else ""
    kpi = KPI.get(name)
    if kpi is not None and kpi.fmt == "rate":
        return f"{sign}{100 * value:.1f}%"
    if kpi is not None and kpi.fmt == "level":
        return f"{sign}{value:.3f}"
    return f"{sign}{value:,.0f}" if abs(value) >= 100 else f"{sign}{value:.2f}"
