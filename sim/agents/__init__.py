"""Mesa agents: the roster of customers, employees and rival firms."""

from sim.agents.competitor import Competitor
from sim.agents.customer import Customer
from sim.agents.employee import Employee

__all__ = ["Competitor", "Customer", "Employee"]
