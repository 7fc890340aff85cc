"""Plain-language names for what the dashboard shows: metrics by column, policies by key.

Students read "customers kept per year", not ``customer_retention_annualised``. The
tables are keyed by the model's own column and config names, so the CSV files keep the
theory's vocabulary while the screen speaks plainly. A weekly metric that is also a KPI
of the project's registry (``sim.kpis``) takes its words and unit from there; this module
adds only the words of the weekly columns, ledger columns and policies it lacks.
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.kpis import KPI
from sim.metrics import WEEKLY_METRICS

__all__ = [
    "GROUP_TITLES",
    "METRICS",
    "POLICIES",
    "TWIN",
    "YOU",
    "Label",
    "metric",
    "policy",
    "policy_title",
    "unit_words",
]

YOU = "your firm"
TWIN = "no-change twin"


@dataclass(frozen=True)
class Label:
    """What a column or a setting is called on screen.

    Args:
        text: Plain words, lower case ("customers kept per year").
        unit: Its unit in words ("% a year"); empty when the words say it.
    """

    text: str
    unit: str = ""

    @property
    def with_unit(self) -> str:
        """``text (unit)``, or the text alone; a unit repeating the text's noun drops it.

        >>> Label("employee satisfaction", "satisfaction, 0-1").with_unit
        'employee satisfaction (0-1)'
        """
        if not self.unit:
            return self.text
        head, _, rest = self.unit.partition(", ")
        unit = rest if rest and head in self.text.split() else self.unit
        return f"{self.text} ({unit})"


MONEY = "money"

# Weekly metrics (``sim.metrics.WEEKLY_METRICS``) and ledger columns the dashboard shows
# that are not KPIs of ``sim.kpis``.
METRICS: dict[str, Label] = {
    "week": Label("week", "as in weekly.csv"),
    "service_quality": Label("service quality", "0 to 1"),
    "customer_retention_annualised": Label("customers kept per year", "%"),
    "profit": Label("profit per week", MONEY),
    "revenue": Label("revenue per week", MONEY),
    "customers_focal": Label("your customers", "people"),
    "customers_rivals": Label("rivals' customers", "people"),
    "prospects": Label("people buying from nobody", "people"),
    "employee_headcount": Label("employees", "people"),
    "hires": Label("hires", "people"),
    "quits": Label("quits", "people"),
    "layoffs": Label("layoffs", "people"),
    "lifetime_profit": Label("profit from each customer so far", MONEY),
}

# Policy groups of ``sim.config.POLICY_GROUPS`` as the panel titles them.
GROUP_TITLES: dict[str, str] = {
    "service": "Service levels",
    "staffing": "Staffing",
    "hr": "Pay and perks",
    "recovery": "Fixing mistakes",
    "acquisition": "Winning customers",
    "pricing": "Prices",
}

# Policy fields in words; the unit comes from the schema through ``unit_words``.
POLICIES: dict[str, str] = {
    "service.kind": "service for all customers",
    "service.tier_levels": "time per visit, by customer value",
    "service.tier_priority": "serve the best customers first when short-staffed",
    "service.tier_price": "price, by customer value",
    "service.retier_weeks": "re-rank customers every",
    "service.level": "time per visit",
    "staffing.kind": "staffing rule",
    "staffing.target_utilisation": "planned workload",
    "staffing.layoff_week": "layoff in week",
    "staffing.layoff_share": "share of staff laid off",
    "staffing.rehire_after_layoff": "rehire after a layoff",
    "staffing.profit_target_margin": "cut staff when the quarter's margin is below",
    "staffing.cut_share": "share of staff cut each missed quarter",
    "staffing.rehire_margin": "rehire when the margin beats the target by",
    "staffing.min_headcount": "never fewer employees than",
    "staffing.replace_quits": "replace people who quit",
    "hr.wage_premium": "pay above the market wage",
    "hr.perks_per_week": "perks per employee",
    "hr.training_per_week": "training per employee",
    "hr.fair_process": "fair process when cutting jobs",
    "recovery.empowered": "front line may fix problems on the spot",
    "recovery.budget_per_incident": "budget per problem fixed on the spot",
    "recovery.escalation_recovery": "problems fixed when escalated",
    "recovery.empowered_recovery_max": "problems fixed on the spot (ample budget)",
    "recovery.cost_per_spend": "cost of a full fix, per money spent a visit",
    "recovery.recovered_quality_bonus": "bonus of a well-fixed problem",
    "acquisition.marketing_per_1000_people_week": "marketing per 1,000 people",
    "acquisition.marketing_reference": "marketing that reaches 63% of shoppers",
    "acquisition.base_awareness": "shoppers who know you without marketing",
    "acquisition.onboarding_cost": "cost of opening a customer",
    "acquisition.referral_reward": "reward per referral",
    "pricing.price_index": "price level",
    "pricing.new_customer_discount": "discount for new customers",
    "pricing.discount_weeks": "discount lasts",
}

# The schema's units (``sim.config`` metadata) in words.
_UNIT_WORDS: dict[str, str] = {
    "currency/head/week": "money a week",
    "currency": MONEY,
    "currency/customer": "money a customer",
    "currency/referral": "money a referral",
    "currency/week per 1,000 people in the market": "money a week",
    "currency/week per 1,000 people": "money a week",
    "currency/currency of spend per visit": "× spend",
    "share": "0 to 1",
    "share of staff": "0 to 1",
    "share of revenue": "-1 to 1",
    "share above market": "0.1 = 10% more",
    "probability": "0 to 1",
    "multiplier": "× normal",
    "relative price": "× normal",
    "quality": "0 to 1",
    "people": "people",
    "weeks": "weeks",
    "week": "as in weekly.csv",
}


def unit_words(unit: str) -> str:
    """A schema unit in words ("flag" and "option" need none).

    >>> unit_words("currency/head/week"), unit_words("flag")
    ('money a week', '')
    """
    if unit in ("flag", "option", ""):
        return ""
    return _UNIT_WORDS.get(unit, unit)


def metric(column: str) -> Label:
    """The label of a metric column: the KPI registry's words, ours, or its name spaced.

    >>> metric("customers_focal").text, metric("cumulative_profit")
    ('your customers', Label(text='cumulative profit', unit='money'))
    >>> metric("defections_to_none").text
    'defections to none'
    """
    kpi = KPI.get(column)
    if kpi is not None and column in WEEKLY_METRICS:  # the same quantity, week by week
        return Label(kpi.phrase, kpi.unit)
    return METRICS.get(column, Label(column.replace("_", " ")))


def policy(key: str) -> str:
    """The words for a policy key (the field name, spaced, when it has none).

    >>> policy("hr.perks_per_week"), policy("hr.something_new")
    ('perks per employee', 'something new')
    """
    return POLICIES.get(key, key.rpartition(".")[2].replace("_", " "))


def policy_title(group: str) -> str:
    """The panel title of a policy group."""
    return GROUP_TITLES.get(group, group.capitalize())
