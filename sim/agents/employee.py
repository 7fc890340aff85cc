"""Employee: one member of the focal firm's staff, seen through the employee arrays."""

from __future__ import annotations

from typing import Any

import mesa

from sim.agents.view import StateColumn, StateHolder


class Employee(mesa.Agent):  # type: ignore[misc]
    """A front-line employee. The roster holds current staff; leavers stay in the ledger.

    Learning, satisfaction, fatigue and quitting are updated for all staff at once in
    the phases of ``sim.week``; this object reads its own row.
    """

    tenure_weeks = StateColumn("employees", "weeks since hire")
    capability = StateColumn("employees", "productivity and skill, 0-1 (learning curve)")
    satisfaction = StateColumn("employees", "job satisfaction, 0-1")
    fatigue = StateColumn("employees", "smoothed overtime load, 0-1")
    served_satisfaction = StateColumn("employees", "satisfaction of customers served")
    wage_per_week = StateColumn("employees", "weekly wage")
    encounters = StateColumn("employees", "customer encounters served")

    def __init__(self, model: StateHolder, row: int) -> None:
        super().__init__(model)
        self.row = row

    def as_dict(self) -> dict[str, Any]:
        """All state of this employee, for inspection."""
        table = self.model.employees
        return {name: table.column(name)[self.row].item() for name, _ in table.COLUMNS}
