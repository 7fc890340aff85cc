"""Opening a World: founding staff, a burn-in to the model's own steady state, week 0.

The world warms up under the default policies with every feedback link live, so every
policy compared on the same seed starts week 0 from the very same state; then the
books and ledgers start afresh, the configured link cuts take hold (held at their
week-0 values), a controlled trial is drawn, and changes scheduled for week 0 apply.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from sim import chain
from sim.config import POLICY_GROUPS, SimConfig
from sim.metrics import MetricsRecorder
from sim.state import CONTROL, FOCAL, PROSPECT, TREATED, EmployeeState
from sim.week import changes, decisions, rivals, staffing, tiers
from sim.week.employees import OVERWHELMED_PRESSURE
from sim.week.links import FeedbackBaseline, PersonBaseline
from sim.week.step import advance
from sim.week.world import Books, World


def baseline_policies(cfg: SimConfig) -> SimConfig:
    """``cfg`` with every policy group at its default: the world without its levers."""
    defaults = SimConfig()
    return dataclasses.replace(cfg, **{group: getattr(defaults, group) for group in POLICY_GROUPS})


def open_world(world: World) -> None:
    """Hire the founding staff, warm up, and make the world ready for week 0."""
    cfg = world.config
    rivals.count_customers(world)
    for rival in world.competitors:
        rival.customers_last_quarter = rival.customers
        rival.reference_customers = rival.customers
    if cfg.run.burn_in_weeks > 0:
        # The founders are hired, and the firm set up, under the default policies too
        # (their pay draws their ability): every policy starts from the same world.
        world.config = baseline_policies(cfg)
        decisions.decide(world)
    staffing.hire(world, cfg.workforce.n_employees, initial=True)
    world.firm.target_headcount = cfg.workforce.n_employees
    world.firm.desired_hours_smoothed = staffing.desired_hours(world)
    tiers.retier(world)
    world.pending_changes = sorted(cfg.changes, key=lambda c: c.week)
    start_books(world)
    if cfg.run.burn_in_weeks > 0:
        world.warming_up = True
        for _ in range(cfg.run.burn_in_weeks):
            advance(world)
        world.config = cfg
        end_burn_in(world)
    world.links.start(cfg.feedback, week0_baseline(world) if cfg.feedback.cut() else None)
    start_trial(world)
    changes.apply_due(world)


def start_books(world: World) -> None:
    """Week 0: fresh books, this year's cohort, an empty metrics table."""
    world.week = 0
    world.books = Books(cohort=np.flatnonzero(world.customers.firm == FOCAL))
    world.policy_changed = False
    world.metrics = MetricsRecorder(
        world.config.run.weeks,
        tuple(f"customers_rival_{c.firm_id}" for c in world.competitors),
    )


def end_burn_in(world: World) -> None:
    """Start the books, ledgers and clock afresh from the warmed-up state.

    The burn-in lets the population reach the model's own steady state (the
    hard-to-please leave early, expectations settle) before anything is recorded.
    """
    world.warming_up = False
    weeks = world.config.run.burn_in_weeks
    c = world.customers
    focal = c.firm == FOCAL
    c.lifetime_revenue[:] = 0.0
    c.lifetime_cost[:] = 0.0
    c.lifetime_staff_cost[:] = 0.0
    c.lifetime_value[:] = 0.0
    c.lifetime_visits[:] = 0
    c.acquisitions[:] = focal
    c.first_acquired_week[:] = np.where(focal, 0, -1)
    c.last_exit_week[:] = -1
    c.exit_destination[:] = PROSPECT
    c.initial_customer[:] = focal
    c.referred[~focal] = False
    c.referred_by_reward[~focal] = False
    # Keep only current staff in the employee ledger, in their existing order.
    old, staff = world.employees, world.staff_rows()
    fresh = EmployeeState(max(8, 2 * staff.size))
    rows = fresh.add(staff.size)
    for name, _ in EmployeeState.COLUMNS:
        getattr(fresh, name)[rows] = getattr(old, name)[staff]
    fresh.hired_week[rows] -= weeks
    world.employees = fresh
    world.roster.renumber(rows, staff)
    # Customers' usual servers move with their rows; former staff are nobody's now.
    new_row = np.full(max(old.size, 1), -1, dtype=np.int32)
    new_row[staff] = rows
    usual = c.regular_server
    c.regular_server = np.where(usual >= 0, new_row[np.maximum(usual, 0)], -1).astype(np.int32)
    world.firm.pipeline = {week - weeks: n for week, n in world.firm.pipeline.items()}
    start_books(world)


def week0_baseline(world: World) -> FeedbackBaseline:
    """Every link's input as it stands at week 0: what cut links are held at."""
    emp, c, cfg = world.employees, world.customers, world.config
    staff = world.staff_rows()

    def person(column: str) -> PersonBaseline:
        values = getattr(emp, column)[: emp.size].astype(np.float64)
        return PersonBaseline(values, float(values[staff].mean()) if staff.size else 0.0)

    flows = world.links.flows
    # A burn-in without any capacity leaves no finite pressure: hold what the live
    # model does then (no time given, and overload 2 as felt by staff).
    pressure = flows.get("work_pressure", math.inf)
    ratio, _ = chain.time_ratio(
        pressure,
        cfg.operations.overtime_max_share,
        cfg.operations.slack_time_max,
        cfg.operations.pressure_time_cut,
    )
    focal = c.firm == FOCAL
    return FeedbackBaseline(
        satisfaction=person("satisfaction"),
        capability=person("capability"),
        served_satisfaction=person("served_satisfaction"),
        work_pressure=pressure if math.isfinite(pressure) else OVERWHELMED_PRESSURE,
        time_ratio=ratio if math.isfinite(pressure) else 0.0,
        overtime_load=flows.get("overtime_load", 0.0),
        job_insecurity=world.firm.job_insecurity,
        reputation=world.firm.reputation,
        intenders=int(
            np.count_nonzero(focal & (c.satisfaction >= cfg.behaviour.referral_intent_satisfaction))
        ),
        storytellers=flows.get("storytellers", 0.0),
    )


def segment_size(cfg: SimConfig) -> int:
    """Customers in the trial's top segment, scaled to the market when a reference is set.

    >>> cfg = SimConfig()
    >>> cfg.trial.segment_size, cfg.trial.segment_reference_people = 1200, 10_000
    >>> cfg.market.n_customers = 1500
    >>> segment_size(cfg)
    180
    """
    trial = cfg.trial
    if trial.segment_size <= 0 or trial.segment_reference_people <= 0:
        return trial.segment_size
    return max(
        1, round(trial.segment_size * cfg.market.n_customers / trial.segment_reference_people)
    )


def start_trial(world: World) -> None:
    """Split the top-value segment at random into control and treated arms."""
    trial, c = world.config.trial, world.customers
    size = segment_size(world.config)
    if size <= 0:
        return
    focal = np.flatnonzero(c.firm == FOCAL)
    top = focal[np.argsort(-c.value_score[focal], kind="stable")][:size]
    shuffled = world.streams["trial"].permutation(top)
    n_treated = round(trial.treated_share * shuffled.size)
    c.arm[shuffled[:n_treated]] = TREATED
    c.arm[shuffled[n_treated:]] = CONTROL
    c.service_multiplier[shuffled[:n_treated]] = trial.service_multiplier
