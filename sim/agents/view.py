"""Attribute-by-attribute windows from a Mesa agent onto the model's state arrays."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from sim.config import SimConfig
    from sim.state import CustomerState, EmployeeState


class StateHolder(Protocol):
    """What an agent reads through ``self.model``: the state tables and the config.

    ``ServiceProfitChainModel`` is one; naming the protocol instead of the model keeps
    the agents below the model in the import graph.
    """

    @property
    def config(self) -> SimConfig:
        """The configuration in force."""

    @property
    def customers(self) -> CustomerState:
        """Everyone in the market, one row each."""

    @property
    def employees(self) -> EmployeeState:
        """The employee ledger."""


class StateColumn:
    """Read (and write) one agent's entry of a column of a model-level state table.

    ``customer.satisfaction`` reads ``model.customers.satisfaction[customer.row]``,
    so a Mesa agent inspects exactly the numbers the vectorised update works on.
    """

    def __init__(self, table: str, doc: str = "") -> None:
        self.table = table
        self.column = ""
        self.__doc__ = doc

    def __set_name__(self, owner: type, name: str) -> None:
        self.column = name

    def __get__(self, agent: Any, owner: type | None = None) -> Any:
        if agent is None:
            return self
        return getattr(getattr(agent.model, self.table), self.column)[agent.row].item()

    def __set__(self, agent: Any, value: Any) -> None:
        getattr(getattr(agent.model, self.table), self.column)[agent.row] = value
