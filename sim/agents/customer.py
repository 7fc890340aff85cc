"""Customer: one person in the market, seen through the model's customer arrays."""

from __future__ import annotations

from typing import Any

import mesa

from sim.agents.view import StateColumn, StateHolder
from sim.state import FOCAL, PROSPECT


class Customer(mesa.Agent):  # type: ignore[misc]
    """A person who may buy from the focal firm, from a rival, or not yet at all.

    Behaviour (visits, satisfaction, defection, word of mouth) is updated for the whole
    population at once by the phases of ``sim.week``; this object is the roster
    entry and reads its own row of the state arrays.
    """

    firm = StateColumn("customers", "-1 prospect, 0 focal firm, c >= 1 rival c")
    tenure_weeks = StateColumn("customers", "weeks with the current firm")
    satisfaction = StateColumn("customers", "satisfaction with the focal firm, 0-1")
    expectation = StateColumn("customers", "expected quality, 0-1")
    tier = StateColumn("customers", "value quintile while a focal customer (0 = top)")
    base_spend = StateColumn("customers", "spend per visit at tenure 0 and list price")
    visit_probability = StateColumn("customers", "chance of a visit in a week")
    cost_to_serve = StateColumn("customers", "staff time per visit relative to typical")
    price_sensitivity = StateColumn("customers", "weight on price in choices")
    quality_sensitivity = StateColumn("customers", "weight on quality in choices")
    switching_cost = StateColumn("customers", "switching barrier (log-hazard)")
    threshold = StateColumn("customers", "satisfaction at the defection curve's midpoint")
    satisfaction_bias = StateColumn("customers", "persistent offset in how quality is felt")
    referred = StateColumn("customers", "was acquired through a referral")
    lifetime_revenue = StateColumn("customers", "revenue from this person, all spells")
    lifetime_cost = StateColumn("customers", "cost of serving and acquiring this person")
    lifetime_staff_cost = StateColumn("customers", "the staff time in lifetime_cost")
    lifetime_value = StateColumn("customers", "profit discounted to the first acquisition")

    def __init__(self, model: StateHolder, row: int) -> None:
        super().__init__(model)
        self.row = row

    @property
    def lifetime_profit(self) -> float:
        """Lifetime revenue minus lifetime cost."""
        return float(self.lifetime_revenue - self.lifetime_cost)

    @property
    def is_focal_customer(self) -> bool:
        """Whether the focal firm serves this person now."""
        return bool(self.firm == FOCAL)

    @property
    def is_prospect(self) -> bool:
        """Whether nobody serves this person now."""
        return bool(self.firm == PROSPECT)

    def as_dict(self) -> dict[str, Any]:
        """All state of this customer, for inspection."""
        table = self.model.customers
        return {name: getattr(table, name)[self.row].item() for name in table.column_names()}
