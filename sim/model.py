"""ServiceProfitChainModel: the Mesa model that wires agents, policies and metrics.

One step is one week. The order inside a week is fixed and commented in ``step``:
management decides first, employees serve, customers react, word of mouth and the
market move, employees react, the books close.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from typing import Any

import mesa
import numpy as np
from numpy.typing import NDArray

from sim import chain
from sim.agents import Competitor, Customer, Employee
from sim.config import (
    POLICY_GROUPS,
    WORLD_GROUPS,
    FeedbackConfig,
    ServiceKind,
    SimConfig,
    apply_change,
    split_change,
    validate,
)
from sim.lookup import TenureCurves, search_right
from sim.metrics import COST_LINES, MetricsRecorder
from sim.policies import acquisition, hr, pricing, recovery, service, staffing
from sim.rng import make_streams
from sim.state import (
    ACTIVE,
    CONTROL,
    FOCAL,
    LAID_OFF,
    NO_TIER,
    PROSPECT,
    QUIT,
    TREATED,
    CustomerState,
    EmployeeState,
    baseline_quality,
    new_population,
    small_world_contacts,
)

WEEKS_PER_QUARTER = 13
WEEKS_PER_YEAR = 52
SERVED_SATISFACTION_WEIGHT = 0.25  # employees feel their customers' mood over ~4 weeks
VALUE_SCORE_WEIGHT = 1.0 / 26.0  # value used for tiering: revenue smoothed over ~half a year
RECOVERED_SCAR = 0.5  # a fixed failure is half as memorable as an unfixed one (SF29)

type TransactionSink = Callable[[int, NDArray[np.int64], NDArray[np.float64]], None]

# Work pressure as recorded in the weekly table: demand with no staff at all is infinite
# pressure, which no table or chart can hold; 10x the available hours is overwhelmed enough.
WORK_PRESSURE_CAP = 10.0
MAX_UTILITY_GAP = 700.0  # exp(700) ~ 1e304: finite even summed over 50 rivals


def mean_or_zero(values: NDArray[Any]) -> float:
    """Mean of ``values``, or 0 when there are none.

    Outputs never hold NaN: an average over nobody (no customers, no staff, no rivals) is
    recorded as 0, and the count beside it in the weekly table says when that is so.

    >>> mean_or_zero(np.array([0.5, 1.0])), mean_or_zero(np.array([]))
    (0.75, 0.0)
    """
    # sum / size is what ``mean`` computes, without its Python wrappers.
    return float(values.sum() / values.size) if values.size else 0.0


@dataclasses.dataclass(frozen=True)
class PersonBaseline:
    """One employee attribute as it was at week 0, for a cut link that reads it."""

    values: NDArray[np.float64]
    mean: float

    def of(self, rows: NDArray[np.int64]) -> NDArray[np.float64]:
        """Week-0 values of ``rows``; people hired since take the week-0 staff mean."""
        out = np.full(rows.size, self.mean)
        known = rows < self.values.size
        out[known] = self.values[rows[known]]
        return out


@dataclasses.dataclass(frozen=True)
class FeedbackBaseline:
    """The inputs of the feedback links at week 0: what a cut link is held at.

    Stocks are taken as they stand at the end of the burn-in; weekly flows (work
    pressure, overtime, storytellers) as their average over its last quarter or so,
    so that one unusual week does not become the baseline.
    """

    satisfaction: PersonBaseline
    capability: PersonBaseline
    served_satisfaction: PersonBaseline
    work_pressure: float
    time_ratio: float
    overtime_load: float
    job_insecurity: float
    reputation: float
    intenders: int
    storytellers: float


def baseline_policies(cfg: SimConfig) -> SimConfig:
    """``cfg`` with every policy group at its default: the world without its levers."""
    defaults = SimConfig()
    return dataclasses.replace(cfg, **{group: getattr(defaults, group) for group in POLICY_GROUPS})


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
        self.config = cfg
        self.streams = make_streams(cfg.seed)
        self.transaction_sink = transaction_sink
        self.week = 0
        self.policy_log: list[tuple[int, dict[str, Any]]] = []
        self.event_log: list[tuple[int, dict[str, Any]]] = []
        self._pending_changes = sorted(cfg.changes, key=lambda c: c.week)

        self.customers: CustomerState = new_population(cfg, self.streams["population"])
        self._discount_table: NDArray[np.float64] = np.zeros(0)
        self._discount_base = math.nan
        self.tenure_curves = TenureCurves()
        # Switching costs are fixed per person, so their hazard factor is computed once.
        self._switching_barrier = np.exp(-self.customers.switching_cost)
        self.contacts = small_world_contacts(
            cfg.market.n_customers,
            cfg.market.network_degree,
            cfg.market.network_rewiring,
            self.streams["network"],
        )
        for row in range(self.customers.n):
            Customer(self, row)

        self.competitors: list[Competitor] = [
            Competitor(self, firm_id=c, cfg=cfg.competitors)
            for c in range(1, cfg.competitors.n_competitors + 1)
        ]
        self._count_customers()
        for rival in self.competitors:
            rival.customers_last_quarter = rival.customers

        self.employees = EmployeeState(cfg.workforce.n_employees * 2)
        self._employee_agents: dict[int, Employee] = {}
        self._hire(cfg.workforce.n_employees, initial=True)
        self.target_headcount = cfg.workforce.n_employees
        self._pipeline: dict[int, int] = {}

        # Firm-level stocks.
        self.reputation = baseline_quality(cfg)
        self.service_standard = 1.0
        self.job_insecurity = 0.0
        self.work_pressure = 0.0
        self.desired_hours_smoothed = self._desired_hours_at_standard()
        self.tier_cutoffs = np.zeros(service.N_TIERS - 1)
        self._retier()

        self._warming_up = cfg.run.burn_in_weeks > 0
        # Every link is live while the world warms up; cuts start at week 0.
        self.feedback = FeedbackConfig()
        self._burn_in_flows: dict[str, float] = {}
        self._baseline: FeedbackBaseline | None = None
        self._start_records()
        if self._warming_up:
            # The world warms up under the default policies, so every policy compared
            # on the same seed starts week 0 from the very same state.
            self.config = baseline_policies(cfg)
            for _ in range(cfg.run.burn_in_weeks):
                # The unwrapped step: burn-in weeks do not advance Mesa's clock.
                ServiceProfitChainModel.step(self)
            self.config = cfg
            self._end_burn_in()
        self._start_feedback()
        self._start_trial()
        self._apply_due_changes()

    def _start_records(self) -> None:
        cfg = self.config
        self.week = 0
        self.cumulative_profit = 0.0
        self.discounted_profit = 0.0
        self._quarter_revenue = 0.0
        self._quarter_profit = 0.0
        self._cohort: NDArray[np.int64] = np.flatnonzero(self.customers.firm == FOCAL)
        self._cohort_start = 0
        self.annual_retention: list[float] = []
        self._year_quits = 0
        self._year_headcount_sum = 0.0
        self.annual_employee_turnover: list[float] = []
        self.unallocated_cost = 0.0
        self._policy_changed = False
        self.metrics = MetricsRecorder(
            cfg.run.weeks,
            tuple(f"customers_rival_{c.firm_id}" for c in self.competitors),
        )

    def _end_burn_in(self) -> None:
        """Start the books, ledgers and clock afresh from the warmed-up state.

        The burn-in lets the population reach the model's own steady state (the
        hard-to-please leave early, expectations settle) before anything is recorded.
        """
        self._warming_up = False
        weeks = self.config.run.burn_in_weeks
        c = self.customers
        focal = c.firm == FOCAL
        c.lifetime_revenue[:] = 0.0
        c.lifetime_cost[:] = 0.0
        c.lifetime_value[:] = 0.0
        c.lifetime_visits[:] = 0
        c.acquisitions[:] = focal
        c.first_acquired_week[:] = np.where(focal, 0, -1)
        c.last_exit_week[:] = -1
        c.exit_destination[:] = PROSPECT
        c.initial_customer[:] = focal
        c.referred[~focal] = False
        # Keep only current staff in the employee ledger, in their existing order.
        old, staff = self.employees, self.active_employee_rows()
        fresh = EmployeeState(max(8, 2 * staff.size))
        rows = fresh.add(staff.size)
        for name, _ in EmployeeState.COLUMNS:
            getattr(fresh, name)[rows] = getattr(old, name)[staff]
        fresh.hired_week[rows] -= weeks
        self.employees = fresh
        agents = self._employee_agents
        self._employee_agents = {}
        for new_row, old_row in zip(rows, staff, strict=True):
            agent = agents[int(old_row)]
            agent.row = int(new_row)
            self._employee_agents[int(new_row)] = agent
        self._pipeline = {week - weeks: n for week, n in self._pipeline.items()}
        self._start_records()

    def _start_feedback(self) -> None:
        """Record every link's input as it stands at week 0, then apply the cuts."""
        self.feedback = self.config.feedback
        if not self.feedback.cut():
            return
        emp, c, cfg = self.employees, self.customers, self.config
        staff = self.active_employee_rows()

        def person(column: str) -> PersonBaseline:
            values = getattr(emp, column)[: emp.size].astype(np.float64)
            return PersonBaseline(values, float(values[staff].mean()) if staff.size else 0.0)

        flows = self._burn_in_flows
        # A burn-in without any capacity leaves no finite pressure: hold what the live
        # model does then (no time given, and overload 2 as felt by staff).
        pressure = flows.get("work_pressure", math.inf)
        ratio, _ = chain.time_ratio(
            pressure, cfg.operations.overtime_max_share, cfg.operations.slack_time_max
        )
        focal = c.firm == FOCAL
        self._baseline = FeedbackBaseline(
            satisfaction=person("satisfaction"),
            capability=person("capability"),
            served_satisfaction=person("served_satisfaction"),
            work_pressure=pressure if math.isfinite(pressure) else 2.0,
            time_ratio=ratio if math.isfinite(pressure) else 0.0,
            overtime_load=flows.get("overtime_load", 0.0),
            job_insecurity=self.job_insecurity,
            reputation=self.reputation,
            intenders=int(
                np.count_nonzero(
                    focal & (c.satisfaction >= cfg.behaviour.referral_intent_satisfaction)
                )
            ),
            storytellers=flows.get("storytellers", 0.0),
        )

    def _track_flow(self, name: str, value: float) -> None:
        """Average a weekly flow over the burn-in (about a quarter's memory)."""
        last = self._burn_in_flows.get(name)
        self._burn_in_flows[name] = (
            value if last is None else last + (value - last) / WEEKS_PER_QUARTER
        )

    @property
    def feedback_baseline(self) -> FeedbackBaseline:
        """The week-0 inputs that cut links are held at (only when a link is cut)."""
        if self._baseline is None:
            raise RuntimeError("no feedback link is cut, so no baseline was recorded")
        return self._baseline

    def perceived_reputation(self) -> float:
        """Reputation as the market sees it: frozen at week 0 when that link is cut."""
        return self.reputation if self.feedback.reputation else self.feedback_baseline.reputation

    def _start_trial(self) -> None:
        """Split the top-value segment at random into control and treated arms."""
        trial, c = self.config.trial, self.customers
        if trial.segment_size <= 0:
            return
        focal = np.flatnonzero(c.firm == FOCAL)
        top = focal[np.argsort(-c.value_score[focal], kind="stable")][: trial.segment_size]
        shuffled = self.streams["trial"].permutation(top)
        n_treated = round(trial.treated_share * shuffled.size)
        c.arm[shuffled[:n_treated]] = TREATED
        c.arm[shuffled[n_treated:]] = CONTROL
        c.service_multiplier[shuffled[:n_treated]] = trial.service_multiplier

    # ------------------------------------------------------------------ views

    @property
    def n_focal_customers(self) -> int:
        """Customers of the focal firm now."""
        return int(np.count_nonzero(self.customers.firm == FOCAL))

    @property
    def headcount(self) -> int:
        """Employees on the payroll now."""
        return len(self._employee_agents)

    def active_employee_rows(self) -> NDArray[np.int64]:
        """Rows of the employee arrays that belong to current staff."""
        return np.flatnonzero(self.employees.column("exit_reason") == ACTIVE)

    # ------------------------------------------------------------- policies

    def set_policy(self, change: dict[str, Any]) -> None:
        """Change policies from the next week on, e.g. ``{"hr.perks_per_week": 50}``."""
        self.config = apply_change(self.config, change, f"week {self.week}")
        self.policy_log.append((self.week, dict(change)))
        self._policy_changed = True

    def shock(self, change: dict[str, Any]) -> None:
        """An outside event: world conditions change from the next week on.

        For example ``{"market.demand_multiplier": 1.2}`` (a demand pulse) or
        ``{"market.competition_intensity": 2.0}``. Only fields of ``WORLD_GROUPS`` that
        are not fixed when the world is made may change; the event is logged.
        """
        self.config = apply_change(self.config, change, f"week {self.week}", WORLD_GROUPS)
        self.event_log.append((self.week, dict(change)))

    def _apply_due_changes(self) -> None:
        while self._pending_changes and self._pending_changes[0].week <= self.week:
            change = self._pending_changes.pop(0)
            policy, world = split_change(dict(change.set))
            if policy:
                self.set_policy(policy)
            if world:
                self.shock(world)

    def habitual_visits(self, rows: NDArray[np.int64]) -> NDArray[np.float64]:
        """Customers' habitual weekly visit chance, after any outside demand shock."""
        visits = self.customers.visit_probability[rows]
        demand = self.config.market.demand_multiplier
        if demand != 1.0:
            visits = np.minimum(visits * demand, 1.0)
        return visits

    # ------------------------------------------------------------------ step

    def step(self) -> None:
        """Advance the world by one week."""
        if not self._warming_up:
            self._apply_due_changes()
        cfg = self.config
        week = self.week
        c = self.customers
        costs = dict.fromkeys(COST_LINES, 0.0)

        # The firm's customers as the week opens; nothing below changes them until step 10.
        focal = np.flatnonzero(c.firm == FOCAL)

        # 1. Management sets staffing from what it saw last week (quits, profit).
        hires, layoffs = self._manage_staff(costs, focal)

        # 2. Tiers are re-ranked on a schedule; tiers exist under every policy so that
        #    profit by value quintile is always reported.
        if week % cfg.service.retier_weeks == 0:
            self._retier()

        # 3. Who visits this week: visit chance falls a little with dissatisfaction.
        u_visit = self.streams["visits"].random(c.n)
        chance = chain.visit_chance(
            self.habitual_visits(focal),
            c.satisfaction[focal],
            cfg.behaviour.share_of_wallet_slope,
        )
        visitors = focal[u_visit[focal] < chance]

        # 4. Work pressure and time per customer (Oliva-Sterman).
        emp = self.employees
        staff = self.active_employee_rows()
        tiers = c.tier[visitors]
        levels = service.service_levels(cfg.service, tiers) * c.service_multiplier[visitors]
        need = (
            cfg.operations.standard_hours_per_visit
            * c.cost_to_serve[visitors]
            * self.tenure_curves(
                chain.cost_to_serve_multiplier,
                c.tenure_weeks[visitors],
                cfg.behaviour.new_cost_to_serve,
                cfg.behaviour.cost_to_serve_weeks,
            )
        )
        desired = need * levels * self.service_standard
        live = self.feedback
        capability = (
            emp.capability[staff]
            if live.experience
            else self.feedback_baseline.capability.of(staff)
        )
        productivity = capability * (1.0 - 0.2 * emp.fatigue[staff])
        capacity = float(productivity.sum()) * cfg.operations.hours_per_employee_week
        desired_total = float(desired.sum())
        self.work_pressure = chain.work_pressure(desired_total, capacity)
        ratio, overtime = chain.time_ratio(
            self.work_pressure,
            cfg.operations.overtime_max_share,
            cfg.operations.slack_time_max,
        )
        if math.isinf(self.work_pressure):
            ratio, overtime = 0.0, 0.0
        elif not live.pressure_to_time:
            # Overtime still answers the real pressure; only corner-cutting is held.
            ratio = self.feedback_baseline.time_ratio
        if self._warming_up and math.isfinite(self.work_pressure):
            self._track_flow("work_pressure", self.work_pressure)
        tier_index = np.minimum(np.maximum(tiers, 0), service.N_TIERS - 1)  # once, not per use
        desired_by_tier = np.bincount(tier_index, weights=desired, minlength=service.N_TIERS)
        tier_ratio = service.allocate_time(
            desired_by_tier,
            ratio * desired_total,
            cfg.service.tier_priority and cfg.service.kind is ServiceKind.tiered,
            cfg.operations.slack_time_max,
        )
        ratio_given = tier_ratio[tier_index]
        given = desired * ratio_given
        adequacy = levels * self.service_standard * ratio_given
        if cfg.operations.adaptive_standards and desired_total > 0 and live.standards_erosion:
            # The goal drifts toward the time actually given (Oliva-Sterman, SF27): down
            # fast under pressure, back up slowly, and never past the original goal (1):
            # slack time beyond the goal does not hasten its recovery.
            actual = min(self.service_standard * ratio, 1.0)
            tau = (
                cfg.operations.standard_erosion_weeks
                if actual < self.service_standard
                else cfg.operations.standard_recovery_weeks
            )
            self.service_standard += (actual - self.service_standard) / tau

        # 5. Encounters: each visitor is served by one employee, more often by those
        #    with more productive hours.
        # Draws are made per person, not per encounter, so the same person meets the same
        # luck under every policy (common random numbers stay paired).
        svc = self.streams["service"]
        u_assign, noise, u_fail = svc.random(c.n), svc.standard_normal(c.n), svc.random(c.n)
        u_recover = self.streams["recovery"].random(c.n)
        n_vis = visitors.size
        if staff.size > 0 and n_vis > 0:
            weights = np.cumsum(productivity)
            server = staff[
                np.minimum(
                    search_right(weights, u_assign[visitors] * weights[-1]),
                    staff.size - 1,
                )
            ]
            quality = chain.service_quality(
                emp.capability[server]
                if live.experience
                else self.feedback_baseline.capability.of(server),
                emp.satisfaction[server]
                if live.employee_satisfaction_to_quality
                else self.feedback_baseline.satisfaction.of(server),
                emp.fatigue[server],
                adequacy,
                capability_weight=cfg.operations.quality_capability_weight,
                satisfaction_weight=cfg.operations.quality_satisfaction_weight,
                energy_weight=cfg.operations.quality_energy_weight,
                curvature=cfg.operations.time_effect_curvature,
                ceiling=cfg.operations.quality_ceiling,
            )
        else:
            server = np.zeros(n_vis, dtype=np.int64)
            quality = np.zeros(n_vis)
        quality = chain.clip(quality + cfg.operations.quality_noise * noise[visitors], 0, 1)

        # 6. Failures and recovery.
        prevention = np.where(c.arm[visitors] == TREATED, cfg.trial.failure_prevention, 0.0)
        failed = u_fail[visitors] < (1.0 - prevention) * chain.p_failure(
            quality,
            c.cost_to_serve[visitors],
            cfg.operations.failure_min,
            cfg.operations.failure_max,
        )
        experienced = np.where(failed, quality * (1.0 - cfg.operations.failure_severity), quality)
        spend_mult = self.tenure_curves(
            chain.spend_multiplier,
            c.tenure_weeks[visitors],
            cfg.behaviour.spend_growth_max,
            cfg.behaviour.spend_growth_weeks,
        )
        b = cfg.behaviour
        if b.referred_spend_premium > 0:
            ref_idx = np.flatnonzero(c.referred[visitors])
            spend_mult[ref_idx] *= self.tenure_curves(
                chain.referred_spend_multiplier,
                c.tenure_weeks[visitors[ref_idx]],
                b.referred_spend_premium,
                b.referred_premium_weeks,
            )
        price = pricing.price_paid(
            cfg.pricing,
            c.tenure_weeks[visitors],
            service.tier_prices(cfg.service, tiers),
        )
        revenue_v = c.base_spend[visitors] * spend_mult * price
        f_idx = np.flatnonzero(failed)
        fixed, recovery_cost = recovery.recover(
            cfg.recovery,
            cfg.recovery.cost_per_spend * revenue_v[f_idx],
            u_recover[visitors[f_idx]],
        )
        recovered_idx = f_idx[fixed]
        experienced[recovered_idx] = np.minimum(
            1.0,
            np.maximum(quality[recovered_idx], c.expectation[visitors[recovered_idx]])
            + cfg.recovery.recovered_quality_bonus,
        )
        costs["cost_recovery"] = float(recovery_cost.sum())
        scar_decay = math.exp(-1.0 / cfg.behaviour.scar_memory_weeks)
        c.failure_scar[focal] *= scar_decay
        c.failure_scar[visitors[f_idx]] += np.where(fixed, RECOVERED_SCAR, 1.0)

        # 7. Satisfaction and expectations move with disconfirmation (losses weigh more).
        # Satisfaction is an adaptation level plus disconfirmation (Oliver 1980, 1981). Week
        # by week past episodes fade and every customer's satisfaction relaxes toward the
        # level, what they expect of the firm as they feel it; an encounter then moves it
        # from where it is by the part of the experience outside the zone of tolerance
        # (Zeithaml, Berry & Parasuraman 1993), so meeting expectations changes nothing and
        # contacts hurt more often than they help (SF11, §2.2).
        c.satisfaction[focal] = chain.relax(
            c.satisfaction[focal],
            c.expectation[focal],
            c.satisfaction_bias[focal],
            b.satisfaction_relaxation,
        )
        expect = c.expectation[visitors]
        d = chain.disconfirmation(experienced, expect, b.loss_weight, b.adequate_gap, b.desired_gap)
        target = chain.satisfaction_target(c.satisfaction[visitors], d, b.disconfirmation_weight)
        c.satisfaction[visitors] = chain.smooth(
            c.satisfaction[visitors], target, b.satisfaction_smoothing
        )
        if live.adaptive_expectations:
            c.expectation[visitors] = chain.smooth(expect, experienced, b.expectation_adaptation)
        if experienced.size:
            self.reputation = float(
                chain.smooth(
                    self.reputation,
                    mean_or_zero(experienced),
                    1.0 / cfg.operations.reputation_weeks,
                )
            )

        # 8. The books for this week's encounters.
        revenue = float(revenue_v.sum())
        wage = hr.wage_per_week(cfg.hr, cfg.workforce.market_wage_per_week)
        costs["cost_wages"] = wage * staff.size
        costs["cost_overtime"] = (
            wage * staff.size * overtime * (1.0 + cfg.operations.overtime_premium)
        )
        costs["cost_perks"] = cfg.hr.perks_per_week * staff.size
        costs["cost_materials"] = cfg.market.material_share * revenue
        costs["cost_marketing"] = acquisition.marketing_budget(
            cfg.acquisition, cfg.market.n_customers
        )
        costs["cost_fixed"] = cfg.market.fixed_cost_per_employee_week * cfg.workforce.n_employees
        labour = costs["cost_wages"] + costs["cost_overtime"]
        time_total = float(given.sum())
        allocated = labour * given / time_total if time_total > 0 else np.zeros(n_vis)
        if time_total <= 0:
            self.unallocated_cost += labour
        cost_v = cfg.market.material_share * revenue_v + allocated
        np.add.at(cost_v, f_idx, recovery_cost)
        c.lifetime_revenue[visitors] += revenue_v
        c.lifetime_cost[visitors] += cost_v
        c.lifetime_value[visitors] += (revenue_v - cost_v) * self._discount_since_acquired(visitors)
        c.lifetime_visits[visitors] += 1
        c.value_score[focal] *= 1.0 - VALUE_SCORE_WEIGHT
        c.value_score[visitors] += VALUE_SCORE_WEIGHT * revenue_v / np.maximum(price, 1e-9)
        if self.transaction_sink is not None and n_vis and not self._warming_up:
            self.transaction_sink(week, visitors.astype(np.int64), revenue_v)

        # 9. Employees feel their customers' satisfaction (the satisfaction mirror).
        if n_vis and staff.size:
            served = np.bincount(server, minlength=emp.size)[: emp.size]
            mood = np.bincount(server, weights=c.satisfaction[visitors], minlength=emp.size)[
                : emp.size
            ]
            seen = served > 0
            emp.served_satisfaction[: emp.size][seen] = chain.smooth(
                emp.served_satisfaction[: emp.size][seen],
                mood[seen] / served[seen],
                SERVED_SATISFACTION_WEIGHT,
            )
            emp.encounters[: emp.size] += served

        # 10. Word of mouth: angry customers tell several contacts; intending customers refer.
        storytellers = visitors[f_idx[~fixed]]
        wom = self.streams["word_of_mouth"]
        c.negative_stories *= math.exp(-1.0 / b.scar_memory_weeks)
        referrals_made, referral_wins = self._referrals(focal, wom, costs)

        # 11. Defection: a steep function of satisfaction, scaled by rivals' pull,
        #     tenure, switching cost, referral source and remembered failures.
        focal = np.flatnonzero(c.firm == FOCAL)
        defectors, to_rival = self._defections(focal)
        angry = defectors[c.satisfaction[defectors] < b.detractor_satisfaction]
        storytellers = np.concatenate([storytellers, angry])
        if self._warming_up:
            self._track_flow("storytellers", storytellers.size)
        told = self._tell_stories(storytellers, wom)

        # 12. The market: prospects and rivals' customers shop; the focal firm wins some.
        marketing_wins = self._market(costs)

        # 13. Employees: learning, fatigue, satisfaction, quits.
        quits, isq = self._employees_react(staff, overtime, costs)

        # 14. Close the books.
        c.tenure_weeks += 1.0
        costs["cost_onboarding"] = cfg.acquisition.onboarding_cost * (
            referral_wins.size + marketing_wins.size
        )
        total_cost = float(sum(costs.values()))
        profit = revenue - total_cost
        self.cumulative_profit += profit
        self.discounted_profit += profit * float(
            chain.npv_factor(week + 1, cfg.market.discount_rate)
        )
        self._quarter_revenue += revenue
        self._quarter_profit += profit
        self._count_customers()
        if (week + 1) % WEEKS_PER_QUARTER == 0 and self.competitors and live.rival_reaction:
            self.agents_by_type[Competitor].do("review_quarter")

        # Row indices, not a boolean mask: gathering by index is ~3x faster.
        focal_now = np.flatnonzero(c.firm == FOCAL)
        sat_now = c.satisfaction[focal_now]
        rivals_now = sum(rival.customers for rival in self.competitors)
        staff_now = self.active_employee_rows()
        n_start = focal.size
        self._year_quits += quits
        self._year_headcount_sum += self.headcount
        values: dict[str, float] = {
            "week": week + 1,
            "customers_focal": focal_now.size,
            "customers_rivals": rivals_now,
            "prospects": c.n - focal_now.size - rivals_now,
            "acquisitions": referral_wins.size + marketing_wins.size,
            "acquisitions_referral": referral_wins.size,
            "defections": defectors.size,
            "defections_to_rivals": int(to_rival),
            "defections_to_none": defectors.size - int(to_rival),
            # Nobody to lose: no defection, so retention 1 (see ``mean_or_zero``).
            "customer_retention_annualised": (1.0 - defectors.size / n_start) ** 52
            if n_start
            else 1.0,
            "nps": chain.net_promoter_score(sat_now),
            "customer_satisfaction": mean_or_zero(sat_now),
            "top_box_share": chain.top_box_share(sat_now),
            "visits": n_vis,
            "employee_headcount": self.headcount,
            "hires": hires,
            "quits": quits,
            "layoffs": layoffs,
            "employee_satisfaction": self._mean_staff("satisfaction", staff_now),
            "internal_service_quality": isq,
            "capability": self._mean_staff("capability", staff_now),
            "fatigue": self._mean_staff("fatigue", staff_now),
            "job_insecurity": self.job_insecurity,
            # Demand with no staff at all is infinite pressure; the table caps it.
            "work_pressure": min(self.work_pressure, WORK_PRESSURE_CAP),
            "time_per_customer": mean_or_zero(adequacy),
            "service_standard": self.service_standard,
            "service_quality": mean_or_zero(quality),
            "experienced_quality": mean_or_zero(experienced),
            "reputation": self.reputation,
            "failures": f_idx.size,
            "recoveries": recovered_idx.size,
            "referrals": referrals_made,
            "negative_stories": told,
            "revenue": revenue,
            **costs,
            "total_cost": total_cost,
            "profit": profit,
            "cumulative_profit": self.cumulative_profit,
            "discounted_profit": self.discounted_profit,
            "rival_quality": mean_or_zero(np.array([r.quality for r in self.competitors])),
            "rival_price": mean_or_zero(np.array([r.price_index for r in self.competitors])),
            "policy_change": int(self._policy_changed),
        }
        for rival in self.competitors:
            values[f"customers_rival_{rival.firm_id}"] = rival.customers
        if not self._warming_up:
            self.metrics.record(values)
        self._policy_changed = False
        self.week += 1
        if self.week % WEEKS_PER_YEAR == 0:
            self._close_year()

    # ------------------------------------------------------------- helpers

    def _mean_staff(self, column: str, rows: NDArray[np.int64]) -> float:
        return mean_or_zero(getattr(self.employees, column)[rows])

    def _count_customers(self) -> None:
        # One byte-wide comparison per rival is several times cheaper than a bincount,
        # which first widens the whole firm column to int64.
        firm = self.customers.firm
        for rival in self.competitors:
            rival.customers = int(np.count_nonzero(firm == rival.firm_id))

    def _desired_hours_at_standard(self, focal: NDArray[np.int64] | None = None) -> float:
        """Staff hours a week that current customers need at the policy's service levels."""
        c, cfg = self.customers, self.config
        if focal is None:
            focal = np.flatnonzero(c.firm == FOCAL)
        levels = service.service_levels(cfg.service, c.tier[focal]) * c.service_multiplier[focal]
        return float(
            (
                self.habitual_visits(focal)
                * levels
                * cfg.operations.standard_hours_per_visit
                * c.cost_to_serve[focal]
                * self.tenure_curves(
                    chain.cost_to_serve_multiplier,
                    c.tenure_weeks[focal],
                    cfg.behaviour.new_cost_to_serve,
                    cfg.behaviour.cost_to_serve_weeks,
                )
            ).sum()
        )

    def _retier(self) -> None:
        c = self.customers
        focal = c.firm == FOCAL
        c.tier[:] = service.value_quintiles(c.value_score, focal)
        ranked = np.sort(c.value_score[focal])[::-1]
        if ranked.size >= service.N_TIERS:
            idx = (np.arange(1, service.N_TIERS) * ranked.size) // service.N_TIERS
            self.tier_cutoffs = ranked[idx]

    def _discount_since_acquired(self, rows: NDArray[np.int64]) -> NDArray[np.float64]:
        """Discount factor from each customer's first acquisition to this week."""
        since = self.week - np.maximum(self.customers.first_acquired_week[rows], 0)
        base = 1.0 + self.config.market.discount_rate
        # ufunc reductions: ndarray.min/max add ~8 us of Python wrappers a call.
        if since.size == 0 or np.minimum.reduce(since) < 0:
            factor: NDArray[np.float64] = np.power(base, -since / WEEKS_PER_YEAR)
            return factor
        # The factor depends only on whole weeks elapsed, so it is looked up rather than
        # recomputed per visit each week; np.power gives the same bits for the same inputs.
        table = self._discount_table
        longest = int(np.maximum.reduce(since))
        if table.size <= longest or self._discount_base != base:
            size = max(2 * longest + 1, WEEKS_PER_YEAR)
            self._discount_table = table = np.power(base, -np.arange(size) / WEEKS_PER_YEAR)
            self._discount_base = base
        looked_up: NDArray[np.float64] = table[since]
        return looked_up

    def _charge(self, rows: NDArray[np.int64], amount: float) -> None:
        """Book a one-off cost to customers' ledgers (cost and discounted value)."""
        if rows.size == 0 or amount == 0:
            return
        c = self.customers
        c.lifetime_cost[rows] += amount
        c.lifetime_value[rows] -= amount * self._discount_since_acquired(rows)

    def _tier_of(self, value: NDArray[np.float64]) -> NDArray[np.int8]:
        # tier_cutoffs are descending; count how many cutoffs exceed each value (a sorted
        # search on the ascending cutoffs counts the same, without a 2-D comparison).
        ascending = self.tier_cutoffs[::-1]
        above = ascending.size - np.searchsorted(ascending, value, side="right")
        return above.astype(np.int8)

    # ---------------------------------------------------------------- staff

    def _hire(self, count: int, initial: bool = False) -> None:
        if count <= 0:
            return
        cfg, emp = self.config, self.employees
        rng = self.streams["employees"]
        rows = emp.add(count)
        wf = cfg.workforce
        if initial:
            emp.tenure_weeks[rows] = np.floor(rng.exponential(260.0, count))
        else:
            emp.tenure_weeks[rows] = 0.0
        emp.capability[rows] = chain.capability(
            emp.tenure_weeks[rows], wf.new_hire_capability, wf.learning_weeks
        )
        emp.disposition[rows] = rng.normal(0.0, wf.satisfaction_disposition_sd, count)
        emp.satisfaction[rows] = chain.clip(wf.satisfaction_baseline + emp.disposition[rows], 0, 1)
        emp.fatigue[rows] = 0.0
        emp.served_satisfaction[rows] = baseline_quality(cfg) if initial else self.reputation
        emp.wage_per_week[rows] = hr.wage_per_week(cfg.hr, wf.market_wage_per_week)
        emp.hired_week[rows] = self.week - emp.tenure_weeks[rows].astype(np.int32)
        for row in rows:
            self._employee_agents[int(row)] = Employee(self, int(row))

    def _separate(self, rows: NDArray[np.int64], reason: int) -> None:
        emp = self.employees
        emp.exit_reason[rows] = reason
        emp.exit_week[rows] = self.week
        for row in rows:
            self._employee_agents.pop(int(row)).remove()

    def _manage_staff(self, costs: dict[str, float], focal: NDArray[np.int64]) -> tuple[int, int]:
        cfg, week = self.config, self.week
        arriving = self._pipeline.pop(week, 0)
        self._hire(arriving)
        wage = hr.wage_per_week(cfg.hr, cfg.workforce.market_wage_per_week)
        costs["cost_hiring"] = arriving * cfg.workforce.hire_cost_weeks_of_wage * wage
        self.desired_hours_smoothed = float(
            chain.smooth(self.desired_hours_smoothed, self._desired_hours_at_standard(focal), 0.125)
        )
        quarter_ended = week > 0 and week % WEEKS_PER_QUARTER == 0
        decision = staffing.decide_staffing(
            cfg.staffing,
            staffing.StaffingSnapshot(
                week=week,
                headcount=self.headcount,
                in_pipeline=sum(self._pipeline.values()),
                target_headcount=self.target_headcount,
                desired_hours=self.desired_hours_smoothed,
                hours_per_employee=cfg.operations.hours_per_employee_week,
                quarter_ended=quarter_ended,
                quarter_revenue=self._quarter_revenue,
                quarter_profit=self._quarter_profit,
            ),
        )
        if quarter_ended:
            self._quarter_revenue = 0.0
            self._quarter_profit = 0.0
        self.target_headcount = decision.target_headcount
        if decision.layoffs > 0:
            staff = self.active_employee_rows()
            before = staff.size
            chosen = self.streams["employees"].choice(staff, decision.layoffs, replace=False)
            self._separate(np.sort(chosen), LAID_OFF)
            costs["cost_severance"] = decision.layoffs * cfg.workforce.severance_weeks * wage
            shock = chain.layoff_shock(
                decision.layoffs / before,
                cfg.workforce.layoff_shock_scale,
                cfg.hr.fair_process,
            )
            self.job_insecurity = 1.0 - (1.0 - self.job_insecurity) * (1.0 - shock)
            # Vacancies beyond the new target are withdrawn.
            self._pipeline.clear()
        if decision.new_vacancies > 0:
            start = week + max(1, cfg.workforce.recruiting_weeks)
            self._pipeline[start] = self._pipeline.get(start, 0) + decision.new_vacancies
        return arriving, decision.layoffs

    def _employees_react(
        self, staff: NDArray[np.int64], overtime: float, costs: dict[str, float]
    ) -> tuple[int, float]:
        cfg, emp = self.config, self.employees
        wf = cfg.workforce
        staff = staff[emp.exit_reason[staff] == ACTIVE]
        if staff.size == 0:
            self.job_insecurity *= math.exp(-1.0 / wf.insecurity_weeks)
            return 0, 0.0  # no staff: no internal service to rate (see ``mean_or_zero``)
        live = self.feedback
        load = (
            overtime / cfg.operations.overtime_max_share
            if cfg.operations.overtime_max_share > 0
            else 0.0
        )
        load = min(load, 1.0)
        if self._warming_up:
            self._track_flow("overtime_load", load)
        if not live.overtime_fatigue:
            load = self.feedback_baseline.overtime_load
        emp.fatigue[staff] = chain.smooth(
            emp.fatigue[staff], load, 1.0 / cfg.operations.fatigue_weeks
        )
        pressure = self.work_pressure if math.isfinite(self.work_pressure) else 2.0
        if not live.pressure_to_satisfaction:
            pressure = self.feedback_baseline.work_pressure
        insecurity = (
            self.job_insecurity if live.layoff_insecurity else self.feedback_baseline.job_insecurity
        )
        isq = chain.internal_service_quality(
            hr.pay_ratio(cfg.hr),
            cfg.hr.perks_per_week,
            pressure,
            emp.fatigue[staff],
            insecurity,
            emp.served_satisfaction[staff]
            if live.satisfaction_mirror
            else self.feedback_baseline.served_satisfaction.of(staff),
            pay_effect=wf.pay_effect,
            perk_effect_max=wf.perk_effect_max,
            perk_scale=wf.perk_scale_per_week,
            workload_effect=wf.workload_effect,
            fatigue_effect=wf.fatigue_effect,
            insecurity_effect=wf.insecurity_effect,
            mirror_effect=wf.customer_mirror_effect,
        )
        target = chain.clip(wf.satisfaction_baseline + emp.disposition[staff] + isq, 0.0, 1.0)
        emp.satisfaction[staff] = chain.smooth(
            emp.satisfaction[staff], target, 1.0 / wf.satisfaction_weeks
        )
        p_quit = chain.p_quit_per_week(
            emp.satisfaction[staff]
            if live.employee_satisfaction_to_quits
            else self.feedback_baseline.satisfaction.of(staff),
            emp.fatigue[staff],
            insecurity,
            base_per_year=wf.quit_per_year,
            reference_satisfaction=wf.satisfaction_baseline,
            satisfaction_sensitivity=wf.quit_satisfaction_sensitivity,
            fatigue_sensitivity=wf.quit_fatigue_effect,
            survivor_effect=wf.survivor_quit_effect,
        )
        quitting = staff[self.streams["employees"].random(staff.size) < p_quit]
        self._separate(quitting, QUIT)
        emp.tenure_weeks[staff] += 1.0
        emp.capability[staff] = chain.capability(
            emp.tenure_weeks[staff], wf.new_hire_capability, wf.learning_weeks
        )
        emp.wage_per_week[staff] = hr.wage_per_week(cfg.hr, wf.market_wage_per_week)
        self.job_insecurity *= math.exp(-1.0 / wf.insecurity_weeks)
        return int(quitting.size), mean_or_zero(np.asarray(isq))

    # ------------------------------------------------------------ customers

    def _rival_attraction(
        self, rows: NDArray[np.int64], price: NDArray[np.float64] | float
    ) -> NDArray[np.float64]:
        """Sum over rivals of exp(utility of the rival's offer minus the focal firm's)."""
        c = self.customers
        attraction = np.zeros(rows.size)
        # Rivals with the same offer have the same utility gap: one exp per distinct offer,
        # weighted by their summed room. (Rivals start alike and react alike, so in the
        # default world this is one exp instead of three.)
        rooms: dict[tuple[float, float, bool], float] = {}
        for rival in self.competitors:
            if rival.room > 0:
                offer = (rival.quality, rival.price_index, rival.targeting)
                rooms[offer] = rooms.get(offer, 0.0) + rival.room
        if not rooms:
            return attraction
        # Gather the sensitivities once and work in place: fewer passes and temporaries.
        qs, ps = c.quality_sensitivity[rows], c.price_sensitivity[rows]
        reputation = self.perceived_reputation()
        for (quality, price_index, targeting), room in rooms.items():
            u = qs * (quality - reputation)
            u -= ps * (price_index - price)
            if targeting:
                u += self.config.competitors.targeting_utility * (c.tier[rows] == 0)
            # Extreme (valid) sensitivities can put a utility gap past exp's range; capped,
            # the rival's pull is still total, and inf/inf never turns it into NaN.
            np.minimum(u, MAX_UTILITY_GAP, out=u)
            np.exp(u, out=u)
            u *= room
            attraction += u
        return attraction

    def _defections(self, focal: NDArray[np.int64]) -> tuple[NDArray[np.int64], int]:
        cfg, c = self.config, self.customers
        b, m = cfg.behaviour, cfg.market
        price = pricing.price_paid(
            cfg.pricing,
            c.tenure_weeks[focal],
            service.tier_prices(cfg.service, c.tier[focal]),
        )
        attraction = self._rival_attraction(focal, price)
        pull = chain.competitive_pull(attraction, m.competition_intensity)
        sat_hazard = chain.defection_per_year(
            c.satisfaction[focal],
            c.threshold[focal],
            steepness=b.retention_steepness,
            lo=b.defection_min_per_year,
            hi=b.defection_max_per_year,
        )
        rate = (
            pull
            * sat_hazard
            * self.tenure_curves(
                chain.tenure_hazard_factor,
                c.tenure_weeks[focal],
                b.new_customer_hazard_boost,
                b.hazard_tenure_weeks,
            )
            * np.where(c.referred[focal], b.referred_hazard_multiplier, 1.0)
            * (1.0 + b.failure_scar_hazard * c.failure_scar[focal])
            * self._switching_barrier[focal]
        )
        lapse = -math.log(1.0 - m.lapse_per_year)
        # SF1 validation knob (1 in every real run): scales the whole hazard exogenously.
        rate *= m.churn_multiplier
        lapse *= m.churn_multiplier
        u = self.streams["churn"].random(c.n)[focal]
        p_leave = chain.weekly_rate(rate + lapse)
        leaving = u < p_leave
        defectors = focal[leaving]
        # Those whose draw fell within the competitive part go to a rival.
        to_rival_mask = u[leaving] < chain.weekly_rate(rate[leaving])
        rival_rows = defectors[to_rival_mask]
        if rival_rows.size and self.competitors:
            choice = self._choose_rival(rival_rows, price[leaving][to_rival_mask])
            c.firm[rival_rows] = choice
        else:
            to_rival_mask[:] = False
        c.firm[defectors[~to_rival_mask]] = PROSPECT
        c.last_exit_week[defectors] = self.week
        c.exit_destination[defectors] = c.firm[defectors]
        c.tenure_weeks[defectors] = 0.0
        c.tier[defectors] = NO_TIER
        return defectors, int(to_rival_mask.sum())

    def _choose_rival(
        self, rows: NDArray[np.int64], price: NDArray[np.float64]
    ) -> NDArray[np.int8]:
        c = self.customers
        k = len(self.competitors)
        utility = np.full((rows.size, k), -np.inf)
        qs, ps = c.quality_sensitivity[rows], c.price_sensitivity[rows]
        for j, rival in enumerate(self.competitors):
            if rival.room <= 0:
                continue
            column = qs * rival.quality - ps * rival.price_index + math.log(rival.room)
            if rival.targeting:
                column += self.config.competitors.targeting_utility * (c.tier[rows] == 0)
            utility[:, j] = column
        gumbel = -np.log(
            -np.log(self.streams["churn_choice"].random((rows.size, k)) + 1e-300) + 1e-300
        )
        best = np.argmax(utility + gumbel, axis=1)
        return np.array([r.firm_id for r in self.competitors], dtype=np.int8)[best]

    def _acquire(self, rows: NDArray[np.int64], referred: bool) -> None:
        if rows.size == 0:
            return
        c = self.customers
        c.firm[rows] = FOCAL
        c.tenure_weeks[rows] = 0.0
        reputation = self.perceived_reputation()
        c.expectation[rows] = reputation
        c.satisfaction[rows] = chain.clip(reputation + c.satisfaction_bias[rows], 0.0, 1.0)
        c.referred[rows] = referred
        c.failure_scar[rows] = 0.0
        c.acquisitions[rows] += 1
        first = c.first_acquired_week[rows] < 0
        c.first_acquired_week[rows[first]] = self.week
        c.value_score[rows] = c.base_spend[rows] * c.visit_probability[rows]
        c.tier[rows] = self._tier_of(c.value_score[rows])
        self._charge(rows, self.config.acquisition.onboarding_cost)

    def _referrals(
        self,
        focal: NDArray[np.int64],
        wom: np.random.Generator,
        costs: dict[str, float],
    ) -> tuple[int, NDArray[np.int64]]:
        cfg, c = self.config, self.customers
        b = cfg.behaviour
        degree = self.contacts.shape[1]
        intenders = focal[c.satisfaction[focal] >= b.referral_intent_satisfaction]
        if degree == 0 or intenders.size == 0:
            return 0, np.zeros(0, dtype=np.int64)
        p_refer = chain.weekly_rate(b.referrals_per_promoter_year)
        if not self.feedback.referrals:
            # As many referrals, on average, as the week-0 intenders made.
            p_refer = np.minimum(1.0, p_refer * self.feedback_baseline.intenders / intenders.size)
        acting = intenders[wom.random(intenders.size) < p_refer]
        targets = self.contacts[acting, wom.integers(0, degree, acting.size)].astype(np.int64)
        eligible = c.firm[targets] != FOCAL
        targets, referrers = targets[eligible], acting[eligible]
        barrier = np.where(c.firm[targets] > 0, np.exp(-c.switching_cost[targets]), 1.0)
        converts = wom.random(targets.size) < b.referral_conversion * barrier
        targets, referrers = targets[converts], referrers[converts]
        targets, first = np.unique(targets, return_index=True)
        referrers = referrers[first]
        self._acquire(targets, referred=True)
        reward = cfg.acquisition.referral_reward
        costs["cost_referral_rewards"] = reward * targets.size
        self._charge(referrers, reward)
        return int(acting.size), targets

    def _tell_stories(self, tellers: NDArray[np.int64], wom: np.random.Generator) -> int:
        cfg, c = self.config, self.customers
        reach, degree = cfg.behaviour.negative_wom_reach, self.contacts.shape[1]
        if tellers.size == 0 or reach == 0 or degree == 0:
            return 0
        heard = self.contacts[
            np.repeat(tellers, reach), wom.integers(0, degree, tellers.size * reach)
        ].astype(np.int64)
        # Counting the few stories directly beats a bincount and a scan over everyone.
        listeners, counts = np.unique(heard, return_counts=True)
        weight: NDArray[Any] = counts
        if not self.feedback.negative_word_of_mouth:
            # Who hears still follows who tells; the weight is the week-0 volume.
            weight = counts * (self.feedback_baseline.storytellers / tellers.size)
        c.negative_stories[listeners] += weight
        is_focal = c.firm[listeners] == FOCAL
        focal_listeners = listeners[is_focal]
        c.satisfaction[focal_listeners] = chain.clip(
            c.satisfaction[focal_listeners] - cfg.behaviour.negative_wom_effect * weight[is_focal],
            0.0,
            1.0,
        )
        return int(heard.size)

    def _market(self, costs: dict[str, float]) -> NDArray[np.int64]:
        """Prospects and rivals' customers shop; return the people the focal firm wins."""
        cfg, c = self.config, self.customers
        rng = self.streams["acquisition"]
        u = rng.random(c.n)
        u_aware = rng.random(c.n)
        rival_rows = c.firm > 0
        # Focal customers do not shop; testing the two groups against their own rates
        # spares a per-person rate array filled through boolean masks.
        p_prospect = chain.weekly_rate(cfg.market.prospect_shopping_per_year)
        p_rival = chain.weekly_rate(cfg.competitors.churn_per_year)
        lapse = chain.weekly_probability(cfg.market.lapse_per_year)
        lapsing = np.flatnonzero(rival_rows & (u >= 1.0 - lapse))
        shoppers = np.flatnonzero(
            ((c.firm == PROSPECT) & (u < p_prospect)) | (rival_rows & (u < p_rival))
        )
        if lapsing.size:
            c.firm[lapsing] = PROSPECT
            c.tenure_weeks[lapsing] = 0.0
        if shoppers.size == 0:
            return np.zeros(0, dtype=np.int64)
        k = len(self.competitors)
        qw = c.quality_sensitivity[shoppers]
        pw = c.price_sensitivity[shoppers]
        utility = np.full((shoppers.size, k + 1), -np.inf)
        aware = u_aware[shoppers] < acquisition.awareness(cfg.acquisition)
        new_price = cfg.pricing.price_index * (1.0 - cfg.pricing.new_customer_discount)
        ever = c.acquisitions[shoppers] > 0
        reputation = self.perceived_reputation()
        memory = np.where(ever, qw * np.minimum(0.0, c.satisfaction[shoppers] - reputation), 0.0)
        focal_u = (
            qw * reputation
            - pw * new_price
            - cfg.behaviour.negative_wom_attraction * c.negative_stories[shoppers]
            + memory
        )
        utility[:, 0] = np.where(aware, focal_u, -np.inf)
        current = c.firm[shoppers]
        staying = c.switching_cost[shoppers]
        offers: dict[tuple[float, float], NDArray[np.float64]] = {}  # alike rivals: once
        for j, rival in enumerate(self.competitors, start=1):
            own = current == rival.firm_id
            # A full rival takes no newcomers but keeps its own customers.
            access = np.where(own, staying, math.log(max(rival.room, 1e-300)))
            key = (rival.quality, rival.price_index)
            if key not in offers:
                offers[key] = qw * rival.quality - pw * rival.price_index
            utility[:, j] = offers[key] + access
        gumbel = -np.log(
            -np.log(self.streams["shopping_choice"].random((shoppers.size, k + 1)) + 1e-300)
            + 1e-300
        )
        scores = utility + gumbel
        best = np.argmax(scores, axis=1)
        anything = np.isfinite(scores.max(axis=1))
        wins = shoppers[(best == 0) & anything]
        movers = (best > 0) & anything
        moved = shoppers[movers]
        new_firm = np.array([0, *[r.firm_id for r in self.competitors]], dtype=np.int8)[
            best[movers]
        ]
        changed = c.firm[moved] != new_firm
        c.tenure_weeks[moved[changed]] = 0.0
        c.firm[moved] = new_firm
        self._acquire(wins, referred=False)
        budget = acquisition.marketing_budget(cfg.acquisition, cfg.market.n_customers)
        if wins.size:
            self._charge(wins, budget / wins.size)
        else:
            self.unallocated_cost += budget
        won: NDArray[np.int64] = wins.astype(np.int64)
        return won

    def _close_year(self) -> None:
        c = self.customers
        if self._cohort.size:
            kept = (c.firm[self._cohort] == FOCAL) & (
                c.last_exit_week[self._cohort] < self._cohort_start
            )
            self.annual_retention.append(float(kept.mean()))
        self._cohort = np.flatnonzero(c.firm == FOCAL)
        self._cohort_start = self.week
        mean_headcount = self._year_headcount_sum / WEEKS_PER_YEAR
        if mean_headcount > 0:
            self.annual_employee_turnover.append(self._year_quits / mean_headcount)
        self._year_quits = 0
        self._year_headcount_sum = 0.0

    # ------------------------------------------------------------------- run

    def run(self, weeks: int | None = None, progress: Callable[[int], None] | None = None) -> None:
        """Run for ``weeks`` (default: the configured horizon)."""
        for _ in range(self.config.run.weeks if weeks is None else weeks):
            self.step()
            if progress is not None:
                progress(1)
