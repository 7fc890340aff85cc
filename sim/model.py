"""ServiceProfitChainModel: the Mesa model that owns the agents and advances the World.

One step is one week. The state lives in a ``World`` (``sim.week.world``) and the
week's phases, in their documented order, are in ``sim.week.step``. Customers,
employees and rival firms are Mesa agents whose attributes read the World's state
tables, so agent-level inspection sees exactly what the vectorised phases update.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import mesa
import numpy as np
from numpy.typing import NDArray

from sim.agents import Competitor, Customer, Employee
from sim.config import SimConfig, validate
from sim.metrics import MetricsRecorder
from sim.rng import make_streams
from sim.state import (
    FOCAL,
    CustomerState,
    EmployeeState,
    baseline_quality,
    new_population,
    small_world_contacts,
)
from sim.week import changes, startup
from sim.week.links import FeedbackBaseline
from sim.week.step import advance
from sim.week.world import Firm, Roster, TransactionSink, World

__all__ = ["ServiceProfitChainModel", "TransactionSink"]


class ServiceProfitChainModel(mesa.Model):  # type: ignore[misc]
    """The service-profit chain as an agent-based model.

    Args:
        config: the run's configuration (defaults when omitted); validated here.
        rng: seed overriding ``config.seed``.
        transaction_sink: optional callback receiving each week's purchases
            (week, customer ids, amounts), e.g. to stream a transaction log to disk.
    """

    def __init__(
        self,
        config: SimConfig | None = None,
        rng: int | None = None,
        transaction_sink: TransactionSink | None = None,
    ) -> None:
        cfg = validate(config if config is not None else SimConfig())
        if rng is not None:
            cfg = dataclasses.replace(cfg, seed=int(rng))
        super().__init__(rng=cfg.seed)
        streams = make_streams(cfg.seed)
        customers = new_population(cfg, streams["population"])
        contacts = small_world_contacts(
            cfg.market.n_customers,
            cfg.market.network_degree,
            cfg.market.network_rewiring,
            streams["network"],
        )
        self.world = World(
            config=cfg,
            streams=streams,
            customers=customers,
            contacts=contacts,
            employees=EmployeeState(cfg.workforce.n_employees * 2),
            roster=Roster(lambda row: Employee(self, row)),
            firm=Firm(reputation=baseline_quality(cfg)),
            transaction_sink=transaction_sink,
        )
        for row in range(customers.n):
            Customer(self, row)
        self.world.competitors = [
            Competitor(self, firm_id=c, cfg=cfg.competitors)
            for c in range(1, cfg.competitors.n_competitors + 1)
        ]
        startup.open_world(self.world)

    def step(self) -> None:
        """Advance the world by one week."""
        advance(self.world)

    def run(self, weeks: int | None = None, progress: Callable[[int], None] | None = None) -> None:
        """Run for ``weeks`` (default: the configured horizon)."""
        for _ in range(self.config.run.weeks if weeks is None else weeks):
            self.step()
            if progress is not None:
                progress(1)

    # ------------------------------------------------------------- changes

    def set_policy(self, change: dict[str, Any]) -> None:
        """Change policies from the next week on, e.g. ``{"hr.perks_per_week": 50}``."""
        changes.set_policy(self.world, change)

    def shock(self, change: dict[str, Any]) -> None:
        """An outside event: world conditions change from the next week on.

        For example ``{"market.demand_multiplier": 1.2}`` (a demand pulse) or
        ``{"market.competition_intensity": 2.0}``. Only fields of ``WORLD_GROUPS`` that
        are not fixed when the world is made may change; the event is logged.
        """
        changes.shock(self.world, change)

    # --------------------------------------------------------------- views

    @property
    def config(self) -> SimConfig:
        """The configuration in force now (policies change it mid-run)."""
        return self.world.config

    @property
    def week(self) -> int:
        """Weeks recorded so far (the next step simulates week ``week``)."""
        return self.world.week

    @property
    def customers(self) -> CustomerState:
        """Everyone in the market, one row each (the Customer agents read it)."""
        return self.world.customers

    @property
    def employees(self) -> EmployeeState:
        """The employee ledger: current staff and leavers."""
        return self.world.employees

    @property
    def contacts(self) -> NDArray[np.int32]:
        """Each person's contacts on the small-world network."""
        return self.world.contacts

    @property
    def competitors(self) -> list[Competitor]:
        """The rival firms."""
        return self.world.competitors

    @property
    def metrics(self) -> MetricsRecorder:
        """The weekly metrics table."""
        return self.world.metrics

    @property
    def policy_log(self) -> list[tuple[int, dict[str, Any]]]:
        """Policy changes made, as (week, change)."""
        return self.world.policy_log

    @property
    def event_log(self) -> list[tuple[int, dict[str, Any]]]:
        """Outside shocks, as (week, change)."""
        return self.world.event_log

    @property
    def transaction_sink(self) -> TransactionSink | None:
        """Where each week's purchases are streamed, if anywhere."""
        return self.world.transaction_sink

    @property
    def reputation(self) -> float:
        """The market's smoothed perception of the firm's quality."""
        return self.world.firm.reputation

    @property
    def service_standard(self) -> float:
        """The time standard relative to the original (SF27)."""
        return self.world.firm.service_standard

    @property
    def work_pressure(self) -> float:
        """Desired service hours over available hours this week."""
        return self.world.firm.work_pressure

    @property
    def job_insecurity(self) -> float:
        """Survivors' job insecurity after layoffs, 0-1."""
        return self.world.firm.job_insecurity

    @property
    def annual_retention(self) -> list[float]:
        """Share of each year's starting customers kept all year."""
        return self.world.books.annual_retention

    @property
    def annual_employee_turnover(self) -> list[float]:
        """Quits per year over the year's mean headcount."""
        return self.world.books.annual_employee_turnover

    @property
    def feedback_baseline(self) -> FeedbackBaseline:
        """The week-0 inputs that cut links are held at (only when a link is cut)."""
        return self.world.links.baseline

    def perceived_reputation(self) -> float:
        """Reputation as the market sees it: frozen at week 0 when that link is cut."""
        return self.world.perceived_reputation()

    def habitual_visits(self, rows: NDArray[np.int64]) -> NDArray[np.float64]:
        """Customers' habitual weekly visit chance, after any outside demand shock."""
        return self.world.habitual_visits(rows)

    @property
    def n_focal_customers(self) -> int:
        """Customers of the focal firm now."""
        return int(np.count_nonzero(self.world.customers.firm == FOCAL))

    @property
    def headcount(self) -> int:
        """Employees on the payroll now."""
        return self.world.headcount

    def active_employee_rows(self) -> NDArray[np.int64]:
        """Rows of the employee arrays that belong to current staff."""
        return self.world.staff_rows()
