"""The World: everything one run's week reads and changes, in one place.

The phases of the week (``sim.week.step``) are functions of the World. It holds the
state tables (customers, employees), the contact network, the rivals, the focal firm's
stocks, the books, the feedback links and the named random streams. The Mesa model
(``sim.model``) makes a World, owns the agents, and advances it one week per step.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from sim.config import PolicyChange, SimConfig
from sim.lookup import TenureCurves
from sim.metrics import MetricsRecorder
from sim.policies import management, service
from sim.policies.situation import Situation
from sim.state import ACTIVE, CustomerState, EmployeeState
from sim.units import WEEKS_PER_QUARTER
from sim.week.links import Links

if TYPE_CHECKING:
    from sim.agents import Competitor

type TransactionSink = Callable[[int, NDArray[np.int64], NDArray[np.float64]], None]


class Roster:
    """Current staff as Mesa agents, keyed by their row of the employee table.

    The World decides who is hired and who leaves; the roster keeps Mesa's agent set in
    step with that (an agent is made on hire and removed on exit).
    """

    def __init__(self, make_agent: Callable[[int], Any]) -> None:
        self._make_agent = make_agent
        self.agents: dict[int, Any] = {}

    def __len__(self) -> int:
        return len(self.agents)

    def join(self, rows: NDArray[np.int64]) -> None:
        """New staff in ``rows`` get an agent each."""
        for row in rows:
            self.agents[int(row)] = self._make_agent(int(row))

    def leave(self, rows: NDArray[np.int64]) -> None:
        """Leavers' agents are removed from the model."""
        for row in rows:
            self.agents.pop(int(row)).remove()

    def renumber(self, new_rows: NDArray[np.int64], old_rows: NDArray[np.int64]) -> None:
        """Point each agent at its row in a rebuilt employee table."""
        agents, self.agents = self.agents, {}
        for new_row, old_row in zip(new_rows, old_rows, strict=True):
            agent = agents[int(old_row)]
            agent.row = int(new_row)
            self.agents[int(new_row)] = agent


@dataclasses.dataclass
class Books:
    """Running totals: profit, the quarter management reviews, the year's cohorts."""

    cumulative_profit: float = 0.0
    discounted_profit: float = 0.0
    quarter_revenue: float = 0.0
    quarter_profit: float = 0.0
    # Labour cost of weeks with no encounter to carry it, and marketing that won nobody.
    unallocated_cost: float = 0.0
    # Focal customers at the start of the year, for the annual retention rate.
    cohort: NDArray[np.int64] = dataclasses.field(default_factory=lambda: np.zeros(0, np.int64))
    cohort_start: int = 0
    annual_retention: list[float] = dataclasses.field(default_factory=list)
    year_quits: int = 0
    year_headcount_sum: float = 0.0
    annual_employee_turnover: list[float] = dataclasses.field(default_factory=list)
    # Each person's ledger at the start of the year, and their revenue and cost in the
    # last completed year (empty before the first year closes): the customer P&L that
    # activity-based costing reports (SF34).
    year_start_revenue: NDArray[np.float64] = dataclasses.field(default_factory=lambda: np.zeros(0))
    year_start_cost: NDArray[np.float64] = dataclasses.field(default_factory=lambda: np.zeros(0))
    last_year_revenue: NDArray[np.float64] = dataclasses.field(default_factory=lambda: np.zeros(0))
    last_year_cost: NDArray[np.float64] = dataclasses.field(default_factory=lambda: np.zeros(0))
    # Discount factors by whole weeks since acquisition (see ``books.discount_since``).
    discount_table: NDArray[np.float64] = dataclasses.field(default_factory=lambda: np.zeros(0))
    discount_base: float = float("nan")


@dataclasses.dataclass
class Firm:
    """The focal firm's stocks, carried from week to week."""

    reputation: float
    service_standard: float = 1.0  # the time standard relative to the original (SF27)
    job_insecurity: float = 0.0
    work_pressure: float = 0.0
    desired_hours_smoothed: float = 0.0  # what management plans staffing on
    target_headcount: int = 0
    # Vacancies filled in a future week: {start week: people}.
    pipeline: dict[int, int] = dataclasses.field(default_factory=dict)
    tier_cutoffs: NDArray[np.float64] = dataclasses.field(
        default_factory=lambda: np.zeros(service.N_TIERS - 1)
    )


@dataclasses.dataclass(eq=False)
class World:
    """One run's state. Phases change it in place; nothing else does."""

    config: SimConfig
    streams: dict[str, np.random.Generator]
    customers: CustomerState
    contacts: NDArray[np.int32]
    employees: EmployeeState
    roster: Roster
    firm: Firm
    transaction_sink: TransactionSink | None = None
    competitors: list[Competitor] = dataclasses.field(default_factory=list)
    links: Links = dataclasses.field(default_factory=Links)
    books: Books = dataclasses.field(default_factory=Books)
    metrics: MetricsRecorder = dataclasses.field(default_factory=lambda: MetricsRecorder(0, ()))
    tenure_curves: TenureCurves = dataclasses.field(default_factory=TenureCurves)
    week: int = 0
    warming_up: bool = False
    # Changes: scheduled ones not yet due, and the log of those made (week, change).
    pending_changes: list[PolicyChange] = dataclasses.field(default_factory=list)
    policy_log: list[tuple[int, dict[str, Any]]] = dataclasses.field(default_factory=list)
    event_log: list[tuple[int, dict[str, Any]]] = dataclasses.field(default_factory=list)
    policy_changed: bool = False  # this week: a decision line in the weekly table
    # Switching costs are fixed per person, so their hazard factor is computed once.
    switching_barrier: NDArray[np.float64] = dataclasses.field(default_factory=lambda: np.zeros(0))
    # The policies' decisions in force this week (``sim.week.decisions``).
    decisions: management.Decisions = dataclasses.field(init=False)

    def __post_init__(self) -> None:
        if self.switching_barrier.size != self.customers.n:
            self.switching_barrier = np.exp(-self.customers.switching_cost)
        self.decisions = management.decide(self.config, self.situation())

    def situation(self) -> Situation:
        """What management sees now: headcount, the pipeline, planned workload, last quarter."""
        cfg, firm, books, week = self.config, self.firm, self.books, self.week
        return Situation(
            week=week,
            headcount=self.headcount,
            in_pipeline=sum(firm.pipeline.values()),
            target_headcount=firm.target_headcount,
            desired_hours=firm.desired_hours_smoothed,
            hours_per_employee=cfg.operations.hours_per_employee_week,
            quarter_ended=week > 0 and week % WEEKS_PER_QUARTER == 0,
            quarter_revenue=books.quarter_revenue,
            quarter_profit=books.quarter_profit,
            market_wage_per_week=cfg.workforce.market_wage_per_week,
            people_in_market=cfg.market.n_customers,
        )

    @property
    def headcount(self) -> int:
        """Employees on the payroll now."""
        return len(self.roster)

    def staff_rows(self) -> NDArray[np.int64]:
        """Rows of the employee table that belong to current staff."""
        return np.flatnonzero(self.employees.column("exit_reason") == ACTIVE)

    def perceived_reputation(self) -> float:
        """Reputation as the market sees it: held at week 0 when that link is cut."""
        seen: float = self.links.firm("reputation", self.firm.reputation, "reputation")
        return seen

    def market_quality(self, focal_customers: int) -> float:
        """Quality the market delivers: rivals' and the firm's (as perceived), by customers.

        What partly rational expectations are anchored on (``chain.expectation_target``).
        """
        served = float(focal_customers)
        total = served * self.perceived_reputation()
        for rival in self.competitors:
            served += rival.customers
            total += rival.customers * rival.quality
        return total / served if served > 0 else self.perceived_reputation()

    def market_price(self) -> float:
        """The price customers compare with: rivals' price index, by customers (1 if none)."""
        served = sum(rival.customers for rival in self.competitors)
        if served <= 0:
            return 1.0
        return sum(r.customers * r.price_index for r in self.competitors) / served

    def prices_paid(self, rows: NDArray[np.int64]) -> NDArray[np.float64]:
        """Price multiplier each of ``rows`` pays now: level, tier price and any discount."""
        decided, c = self.decisions, self.customers
        return decided.pricing.paid(c.tenure_weeks[rows], decided.service.prices(c.tier[rows]))

    def habitual_visits(self, rows: NDArray[np.int64]) -> NDArray[np.float64]:
        """Customers' habitual weekly visit chance, after any outside demand shock."""
        visits = self.customers.visit_probability[rows]
        demand = self.config.market.demand_multiplier
        if demand != 1.0:
            visits = np.minimum(visits * demand, 1.0)
        return visits

    def track_flow(self, name: str, value: float) -> None:
        """Average a weekly flow over the burn-in: the level a cut link is held at."""
        if self.warming_up:
            self.links.track(name, value)
