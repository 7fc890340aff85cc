"""One week of the World, phase by phase, in the order documented in docs/ODD.md.

Management decides first (staffing, tiers); customers visit and are served; they
react (satisfaction, word of mouth, defection); the market moves; employees react;
the books close. Each phase is a function of the World and this week's Flows.
"""

from __future__ import annotations

import numpy as np

from sim.state import FOCAL
from sim.units import WEEKS_PER_YEAR
from sim.week import (
    books,
    changes,
    decisions,
    defection,
    employees,
    encounters,
    market,
    record,
    rivals,
    satisfaction,
    staffing,
    tiers,
    visits,
    word_of_mouth,
    workload,
)
from sim.week.flows import Flows
from sim.week.world import World


def advance(world: World) -> None:
    """Advance the world by one week."""
    if not world.warming_up:
        changes.apply_due(world)
    decisions.decide(world)  # 0. every policy but staffing decides the week
    flows = Flows(focal=np.flatnonzero(world.customers.firm == FOCAL))
    staffing.manage_staff(world, flows)  # 1. staffing from last week's view
    tiers.retier_if_due(world)  # 2. value tiers, on a schedule
    visits.choose_visitors(world, flows)  # 3. who visits
    workload.set_workload(world, flows)  # 4. pressure, time per customer, standard
    encounters.serve(world, flows)  # 5. servers, quality, failures
    books.price_visits(world, flows)  # 6. what each visit is worth ...
    encounters.recover_failures(world, flows)  # ... and recovery of failures
    satisfaction.update_satisfaction(world, flows)  # 7. satisfaction, expectations
    books.book_encounters(world, flows)  # 8. the encounters' books
    employees.mirror_customers(world, flows)  # 9. the satisfaction mirror
    word_of_mouth.refer(world, flows)  # 10. referrals
    defection.defect(world, flows)  # 11. defection ...
    word_of_mouth.tell_stories(world, flows)  # ... and negative stories
    market.shop(world, flows)  # 12. shoppers choose
    employees.react(world, flows)  # 13. fatigue, satisfaction, quits, learning
    world.customers.tenure_weeks += 1.0  # 14. close the week
    books.close_week(world, flows)
    rivals.count_customers(world)
    rivals.review_if_quarter_ends(world)
    record.record_week(world, flows)
    world.policy_changed = False
    world.week += 1
    if world.week % WEEKS_PER_YEAR == 0:
        books.close_year(world)
