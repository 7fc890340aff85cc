"""Typed configuration: one dataclass schema per Hydra config group.

Every default lives here, once. Each field carries its allowed range, unit and source
in its metadata, so validation, the ODD parameter table and (later) dashboard controls
are all generated from the same place. ``SimConfig()`` works without Hydra.
"""

from __future__ import annotations

import dataclasses
import datetime
import enum
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "AcquisitionConfig",
    "BehaviourConfig",
    "CompetitorsConfig",
    "ConfigError",
    "FeedbackConfig",
    "HrConfig",
    "MarketConfig",
    "OperationsConfig",
    "PolicyChange",
    "PricingConfig",
    "RecoveryConfig",
    "RunConfig",
    "ServiceConfig",
    "ServiceKind",
    "SimConfig",
    "StaffingConfig",
    "StaffingKind",
    "TrialConfig",
    "WorkforceConfig",
    "feedback_links",
    "validate",
]

POLICY_GROUPS = ("service", "staffing", "hr", "recovery", "acquisition", "pricing")
# World conditions an outside event may change mid-run (``ServiceProfitChainModel.shock``).
WORLD_GROUPS = ("market", "behaviour", "operations", "workforce", "competitors")
# Fields used only when the world is made (the population, its network, the initial
# staff and rivals): changing them mid-run would change nothing, so it is refused.
FIXED_AT_START = frozenset(
    {
        "market.n_customers",
        "market.focal_share",
        "market.competitor_share",
        "market.spend_median",
        "market.spend_sigma",
        "market.visits_per_week",
        "market.visit_dispersion",
        "market.churn_dispersion",
        "market.cost_to_serve_sigma",
        "market.network_degree",
        "market.network_rewiring",
        "market.switching_cost_mean",
        "behaviour.retention_threshold_mean",
        "behaviour.retention_threshold_sd",
        "behaviour.satisfaction_bias_mean",
        "behaviour.satisfaction_bias_sd",
        "workforce.n_employees",
        "competitors.n_competitors",
        "competitors.capacity_share",
        "competitors.quality_weight",
        "competitors.price_weight",
    }
)


class ConfigError(ValueError):
    """A configuration value is not allowed; the message names the full key."""


# Money amounts (a wage, a spend per visit, a budget) are bounded so every output stays
# finite: 1,000,000 a week or a visit is a thousand times the default wage and far past
# any real service business, yet small enough that ten years of it sums well inside a float.
MONEY_MAX = 1_000_000.0
# Counts of people and weeks: the largest market the schema allows.
PEOPLE_MAX = 5_000_000


def param(
    default: Any,
    lo: float | None = None,
    hi: float | None = None,
    *,
    unit: str = "",
    source: str = "assumption",
    doc: str = "",
) -> Any:
    """Declare a parameter with its allowed range, unit, source and meaning."""
    meta = {"min": lo, "max": hi, "unit": unit, "source": source, "doc": doc}
    if isinstance(default, list):
        return field(default_factory=lambda: list(default), metadata=meta)
    return field(default=default, metadata=meta)


class ServiceKind(enum.Enum):
    """How service time is shared among customers."""

    uniform = "uniform"
    tiered = "tiered"


class StaffingKind(enum.Enum):
    """The management rule that sets target headcount."""

    steady = "steady"
    demand = "demand"
    layoff = "layoff"
    profit_triggered = "profit_triggered"


# ---------------------------------------------------------------- world (X)


@dataclass
class MarketConfig:
    """The market: population, heterogeneity, economics and the social network."""

    n_customers: int = param(
        10_000,
        0,
        PEOPLE_MAX,
        unit="people",
        doc="people in the market: the focal firm's customers, competitors' and prospects",
    )
    focal_share: float = param(
        0.31, 0, 1, unit="share", doc="initial share served by the focal firm"
    )
    competitor_share: float = param(
        0.63,
        0,
        1,
        unit="share",
        doc="initial share served by rivals (prospects if there are none)",
    )
    spend_median: float = param(
        70.0,
        0,
        MONEY_MAX,
        unit="currency/visit",
        source="SF34",
        doc="median base spend per visit (lognormal; the skew makes the whale curve)",
    )
    spend_sigma: float = param(0.9, 0, 3, unit="log-sd", source="SF34", doc="dispersion of spend")
    visits_per_week: float = param(0.5, 0, 7, unit="visits/week", doc="mean visit frequency")
    visit_dispersion: float = param(
        0.6, 0, 3, unit="log-sd", doc="dispersion of visit frequency across customers"
    )
    cost_to_serve_sigma: float = param(
        0.45,
        0,
        3,
        unit="log-sd",
        source="SF34 §2.7",
        doc="dispersion of staff time needed per visit (problem-prone customers)",
    )
    material_share: float = param(
        0.35,
        0,
        1,
        unit="share of revenue",
        doc="goods and materials cost per unit of revenue",
    )
    fixed_cost_per_employee_week: float = param(
        120.0,
        0,
        MONEY_MAX,
        unit="currency/week per initial employee",
        source="SF35",
        doc="premises, systems, overhead; sized by the initial headcount and fixed after",
    )
    discount_rate: float = param(0.10, 0, 1, unit="1/year", source="SF1", doc="annual rate for NPV")
    network_degree: int = param(
        8,
        0,
        200,
        unit="contacts",
        source="§2.4",
        doc="word-of-mouth contacts per person",
    )
    network_rewiring: float = param(
        0.1, 0, 1, unit="probability", doc="small-world rewiring of the contact ring"
    )
    prospect_shopping_per_year: float = param(
        0.6, 0, 52, unit="1/year", doc="how often a prospect looks for a provider"
    )
    switching_cost_mean: float = param(
        0.3,
        0,
        10,
        unit="log-hazard",
        source="SF8",
        doc="mean switching barrier: defection hazard is scaled by exp(-switching cost)",
    )
    competition_intensity: float = param(
        1.0,
        0,
        10,
        unit="multiplier",
        source="SF8",
        doc="how strongly rivals' offers pull dissatisfied customers away",
    )
    lapse_per_year: float = param(
        0.03,
        0,
        0.99,
        unit="probability/year",
        doc="leaving the category for reasons unrelated to service",
    )
    demand_multiplier: float = param(
        1.0,
        0,
        10,
        unit="multiplier",
        source="SF27 (outside shocks)",
        doc="exogenous factor on every customer's habitual visit chance (capped at one "
        "visit a week): a demand pulse or slump set by an outside event; 1 normally",
    )
    churn_multiplier: float = param(
        1.0,
        0,
        100,
        unit="multiplier",
        source="SF1; sim fit-customers",
        doc="exogenous factor on every focal customer's defection hazard; 1 in the default "
        "world. The SF1 validation experiment uses it to cut defection with all else fixed; "
        "a fitted customer base (customer_base=<name>, sim fit-customers) uses it to carry "
        "the dropout level of a real firm's customers (a transaction log identifies the "
        "level of dropout, not its cause, so the whole hazard is scaled and the model's "
        "split between satisfaction-linked defection and lapse is kept; up to 100 because "
        "a base of frequent leavers needs several times the default's level: CDNOW's "
        "first-time buyers need 7-10)",
    )
    # Customers differ persistently in their propensity to leave the category (life
    # events, needs, tastes), beyond what satisfaction explains: the heterogeneous
    # dropout of the buy-till-you-die models, gamma in Pareto/NBD (Schmittlein, Morrison &
    # Colombo 1987) and beta in BG/NBD (Fader, Hardie & Lee 2005). Without it the model
    # cannot tell "bought once and left" from "buys rarely and stays".
    churn_dispersion: float = param(
        0.0,
        0,
        3,
        unit="log-sd",
        source="Schmittlein, Morrison & Colombo 1987; Fader, Hardie & Lee 2005",
        doc="log-sd of a per-customer, mean-one lognormal factor on the whole defection "
        "hazard (satisfaction-linked part and lapse), drawn once per person; the survivors "
        "of a cohort are increasingly the loyal ones. 0: everyone alike (the default world)",
    )
    # When do customers decide to leave? In the buy-till-you-die models that forecast real
    # purchase logs best (BG/NBD, Fader, Hardie & Lee 2005) a customer can drop out only
    # right after a transaction: the decision follows an experience. Then frequent buyers
    # leave sooner in calendar time and rare buyers linger, which a hazard running every
    # week cannot produce (docs/customers.md measures the difference on CDNOW).
    dropout_at_visits: bool = param(
        False,
        unit="flag",
        source="Fader, Hardie & Lee 2005 (BG/NBD); sim fit-customers",
        doc="customers face the defection hazard (satisfaction-linked part and lapse) only "
        "in weeks they visit, scaled by 1/visits_per_week so a customer who visits that "
        "often faces the same hazard per week (the yearly rate stays of the same order); "
        "frequent visitors then leave sooner, rare ones later; off (the default world): "
        "every week",
    )


@dataclass
class BehaviourConfig:
    """How customers turn experiences into satisfaction, loyalty and word of mouth."""

    # Satisfaction is an adaptation level plus disconfirmation (Oliver 1980, 1981): between
    # encounters it relaxes toward the level (expectation as the customer feels it) as
    # episodes fade; an encounter moves it only by the part of the experience outside the
    # zone of tolerance (Zeithaml, Berry & Parasuraman 1993). Service that merely meets
    # expectations leaves satisfaction where it is, a shortfall lowers it, and only service
    # beyond the desired level raises it, so contacts mostly hurt while time heals (SF11,
    # Dixon, Freeman & Toman 2010). The three new rows were set for SF11 with the rest of the
    # world held where it was under the classic rule (smoothing toward the quality felt):
    # satisfaction mean and spread, churn and NPS of the default world (docs/validation.md).
    satisfaction_smoothing: float = param(
        0.2,
        0,
        1,
        unit="weight/encounter",
        source="§2.2 (an unrecovered failure moves overall satisfaction by about a point "
        "on the 0-10 scale: Bolton & Drew 1991, Smith & Bolton 1998)",
        doc="share of an encounter's disconfirmation shift that satisfaction takes on",
    )
    satisfaction_relaxation: float = param(
        0.015,
        0,
        1,
        unit="weight/week",
        source="SF11 §2.2 (Oliver 1980, 1981)",
        doc="weekly relaxation of satisfaction toward the adaptation level (expectation + "
        "personal bias) as episodes fade; 0: they never fade",
    )
    adequate_gap: float = param(
        0.02,
        0,
        1,
        unit="quality",
        source="SF11 (Zeithaml, Berry & Parasuraman 1993)",
        doc="how far below expectation service may fall and still be accepted (adequate level)",
    )
    desired_gap: float = param(
        0.05,
        0,
        1,
        unit="quality",
        source="SF11 (Zeithaml et al. 1993; Dixon et al. 2010)",
        doc="how far above expectation service must be to raise satisfaction (desired level)",
    )
    expectation_adaptation: float = param(
        0.05,
        0,
        1,
        unit="weight/encounter",
        source="§2.2",
        doc="how fast expectations move toward their target after an encounter",
    )
    expectation_anchor_weight: float = param(
        0.5,
        0,
        1,
        unit="share",
        source="SF37 §2.2 (Oliver 1980; Boulding et al. 1993; Rust et al. 1999)",
        doc="share of the expectation target that is rational, set by the firm's reputation "
        "and the market's offer, rather than adaptive, set by the customer's own latest "
        "experience: 0 fully adaptive, 1 fully rational",
    )
    expectation_market_weight: float = param(
        0.3,
        0,
        1,
        unit="share",
        source="SF37 §2.2 (Boulding et al. 1993: 'should' expectations follow the market's "
        "offer, 'will' expectations the firm's own service)",
        doc="within the rational part, the weight of the quality the market delivers "
        "(rivals' and the firm's, by customers) against the firm's own reputation",
    )
    disconfirmation_weight: float = param(
        0.8,
        0,
        5,
        unit="multiplier",
        source="§2.2",
        doc="satisfaction response to experience above or below expectation",
    )
    # 1.5, down from 2.0 under the classic rule: the zone of tolerance, narrower below
    # expectation than above it, now carries part of the asymmetry, so an encounter 0.1
    # below expectation still moves satisfaction ~2.4x as far as one 0.1 above (SF10).
    loss_weight: float = param(
        1.5,
        1,
        5,
        unit="multiplier",
        source="SF10 SF11",
        doc="how much more a negative disconfirmation weighs than a positive one",
    )
    retention_threshold_mean: float = param(
        0.563,
        0,
        1,
        unit="satisfaction",
        source="SF6 SF7 §2.2 (fitted jointly by sim calibrate, target SF6a; hand-set 0.55; "
        "trades off with satisfaction_bias_mean: both are on the survey scale)",
        doc="satisfaction at which the defection curve is at its midpoint (s0)",
    )
    retention_threshold_sd: float = param(
        0.08,
        0,
        0.5,
        unit="satisfaction",
        source="SF10 §2.2 (Mittal & Kamakura 2001: thresholds differ by customer)",
        doc="spread of s0 across customers (some are hard to please)",
    )
    satisfaction_bias_mean: float = param(
        -0.0836,
        -0.5,
        0.5,
        unit="satisfaction",
        source="§2.8 (fitted jointly by sim calibrate, target: mean satisfaction at ACSI "
        "service levels, ~0.77; ACSI 2012: banks 77, wireless 70; hand-set -0.11)",
        doc="mean of the personal offset in how service quality is felt: where satisfaction "
        "sits on the survey scales (boxes, likelihood to recommend) for a given quality",
    )
    satisfaction_bias_sd: float = param(
        0.10,
        0,
        0.5,
        unit="satisfaction",
        source="SF7 SF10 §2.8 (ACSI: customer-level scores spread ~15-20 points)",
        doc="spread of a persistent personal offset in how service quality is felt",
    )
    retention_steepness: float = param(
        8.0,
        0,
        200,
        unit="1/satisfaction",
        source="SF7 §2.2 (moderate per customer; the market curve is steeper through "
        "heterogeneous thresholds)",
        doc="steepness k of each customer's satisfaction-to-defection logistic",
    )
    defection_max_per_year: float = param(
        1.2,
        0,
        52,
        unit="1/year (rate)",
        source="§2.2 SF7 SF8 (assumption: with the rivals' pull ~0.5 a very dissatisfied "
        "customer leaves within about 1.5 years; switching costs keep some as hostages)",
        doc="defection hazard rate of a very dissatisfied customer in a contested market",
    )
    defection_min_per_year: float = param(
        0.06,
        0,
        52,
        unit="1/year (rate)",
        source="§2.2 (Jones & Sasser 1995: satisfied customers defect too: variety "
        "seeking, rival offers)",
        doc="defection hazard rate of a delighted customer (before the rivals' pull)",
    )
    new_customer_hazard_boost: float = param(
        1.0,
        0,
        10,
        unit="multiplier",
        source="SF3 §2.1",
        doc="extra relative hazard at tenure 0, fading with tenure",
    )
    hazard_tenure_weeks: float = param(
        52.0,
        1,
        1000,
        unit="weeks",
        source="§2.1",
        doc="time scale of the falling hazard",
    )
    spend_growth_max: float = param(
        1.6,
        1,
        5,
        unit="multiplier",
        source="SF3 §2.3",
        doc="spend of a long-tenured customer relative to a new one (m_inf/m_1)",
    )
    spend_growth_weeks: float = param(
        130.0,
        1,
        2000,
        unit="weeks",
        source="SF3 §2.3",
        doc="time scale tau of spend growth",
    )
    new_cost_to_serve: float = param(
        1.6,
        1,
        5,
        unit="multiplier",
        source="§2.3",
        doc="staff time of a new customer relative to an experienced one",
    )
    cost_to_serve_weeks: float = param(
        13.0,
        1,
        520,
        unit="weeks",
        source="§2.3",
        doc="time scale tau_c of falling cost to serve",
    )
    share_of_wallet_slope: float = param(
        0.3,
        0,
        1,
        unit="share",
        source="§2.2 (Keiningham et al. 2003: satisfaction raises share of wallet)",
        doc="how much visit frequency falls with dissatisfaction",
    )
    visit_price_elasticity: float = param(
        0.8,
        0,
        5,
        unit="elasticity",
        source="Andreyeva, Long & Brownell 2010 (food away from home: -0.81)",
        doc="how much visit frequency falls with the price paid relative to the market's "
        "(visits scale with relative price to the power -elasticity)",
    )
    value_weight: float = param(
        1.0,
        0,
        5,
        unit="multiplier",
        source="§2.8 (ACSI: perceived value, quality given price, drives satisfaction)",
        doc="weight of value for money in the experience: a price above the market's counts "
        "as lost quality at the customer's own price-to-quality trade-off (0: price is not felt)",
    )
    referral_intent_satisfaction: float = param(
        0.6958,
        0,
        1,
        unit="satisfaction",
        source="SF32 (fitted jointly by sim calibrate, target: 68-81% of customers intend, "
        "Kumar et al. 2007; hand-set 0.68)",
        doc="satisfaction at which a customer intends to refer (only they refer); set so "
        "68-81% of the default world's customers intend",
    )
    detractor_satisfaction: float = param(
        7 / 11,
        0,
        1,
        unit="satisfaction",
        source="SF33",
        doc="satisfaction below which a customer is a detractor (0-6)",
    )
    referrals_per_promoter_year: float = param(
        0.49,
        0,
        52,
        unit="1/year",
        source="SF32",
        doc="actual referrals a customer who intends to refer makes per year (most "
        "intentions are never acted on)",
    )
    referral_reward_lift: float = param(
        1.0,
        0,
        10,
        unit="multiplier",
        source="Ryu & Feick 2007; Wirtz & Chew 2002",
        doc="most a referral reward can add to the referral rate (1: doubles it); the lift "
        "saturates in the reward",
    )
    referral_reward_scale: float = param(
        30.0,
        0.01,
        MONEY_MAX,
        unit="currency/referral",
        doc="reward for ~63% of the most lift",
    )
    referral_conversion: float = param(
        0.15,
        0,
        1,
        unit="probability",
        source="SF32",
        doc="share of referred prospects who convert (times exp(-switching cost) for a "
        "rival's customer)",
    )
    referred_hazard_multiplier: float = param(
        0.8,
        0,
        5,
        unit="multiplier",
        source="SF32",
        doc="persistent hazard factor of referred customers",
    )
    referred_spend_premium: float = param(
        0.3,
        0,
        5,
        unit="share",
        source="SF32",
        doc="extra spend of a newly referred customer over a marketing-won one; it erodes "
        "with tenure (Schmitt et al. 2011: the margin gap erodes, the retention gap persists)",
    )
    referred_premium_weeks: float = param(
        52.0,
        1,
        1000,
        unit="weeks",
        source="SF32",
        doc="time scale over which referred customers' spend premium erodes",
    )
    negative_wom_reach: int = param(
        4,
        0,
        200,
        unit="people",
        source="§3 TARP",
        doc="contacts told after an unrecovered failure or an angry defection",
    )
    negative_wom_effect: float = param(
        0.02,
        0,
        1,
        unit="satisfaction",
        doc="satisfaction a customer loses per negative story heard",
    )
    negative_wom_attraction: float = param(
        0.5, 0, 10, unit="utility", doc="how much a negative story deters a prospect"
    )
    failure_scar_hazard: float = param(
        0.4,
        0,
        10,
        unit="multiplier",
        source="SF29",
        doc="relative hazard per remembered failure (recovery restores satisfaction, not trust)",
    )
    scar_memory_weeks: float = param(
        26.0, 1, 520, unit="weeks", doc="how long a failure is remembered"
    )


@dataclass
class OperationsConfig:
    """The service process: time per customer, quality, failures, work pressure."""

    standard_hours_per_visit: float = param(
        2.45,
        0.01,
        100,
        unit="hours",
        doc="staff time a typical customer needs per visit",
    )
    hours_per_employee_week: float = param(40.0, 1, 80, unit="hours/week", doc="contract hours")
    quality_ceiling: float = param(
        0.95,
        0,
        1,
        unit="quality",
        doc="quality of a flawless encounter by a rested expert",
    )
    quality_effort_effect: float = param(
        0.5,
        0,
        5,
        unit="quality share per satisfaction",
        source="SF12 §2.5 (Harter, Schmidt & Hayes 2002: engagement-customer outcome "
        "r ~ 0.2; modest, noisy)",
        doc="discretionary effort: relative quality gained per unit of employee "
        "satisfaction above the baseline (lost below it)",
    )
    quality_effort_reference: float = param(
        0.62,
        0,
        1,
        unit="satisfaction",
        source="SF12 §2.5",
        doc="employee satisfaction at which effort is neither above nor below the usual",
    )
    quality_fatigue_loss: float = param(
        0.3,
        0,
        1,
        unit="share",
        source="§2.6",
        doc="share of quality lost by a fully fatigued employee",
    )
    standardisation: float = param(
        0.0,
        0,
        1,
        unit="share",
        source="SF20 §2.5",
        doc="process standardisation: the share of the experience gap that scripts and "
        "checklists close (quality depends less on tenure), at a cost in the ceiling",
    )
    standardisation_ceiling_cost: float = param(
        0.05,
        0,
        1,
        unit="share",
        source="SF20 (assumption: scripted service leaves less room for judgement)",
        doc="share of the quality ceiling lost at full standardisation",
    )
    continuity_share: float = param(
        0.6,
        0,
        1,
        unit="probability",
        source="Gutek et al. 1999 (service relationships vs encounters)",
        doc="chance a customer is served by their usual employee when that person is "
        "still on the staff",
    )
    continuity_bonus: float = param(
        0.03,
        0,
        1,
        unit="quality",
        source="Gutek et al. 1999; Bendapudi & Berry 1997 (assumption for the size)",
        doc="extra quality when the usual employee serves (they know the customer); a "
        "quit or layoff breaks the relationship",
    )
    pressure_time_cut: float = param(
        0.5,
        0,
        1,
        unit="share",
        source="SF27 §2.6 (Oliva & Sterman 2001: staff cut time and work overtime at once)",
        doc="share of excess work pressure absorbed by cutting time per customer; the rest "
        "goes to overtime up to its limit",
    )
    time_effect_curvature: float = param(
        2.5,
        0.1,
        20,
        unit="1",
        source="SF11 §2.6",
        doc="how quickly extra time per customer stops improving quality",
    )
    quality_noise: float = param(0.06, 0, 1, unit="quality", doc="encounter-to-encounter noise")
    failure_min: float = param(
        0.01, 0, 1, unit="probability", doc="failure probability of a perfect encounter"
    )
    failure_max: float = param(
        0.5,
        0,
        1,
        unit="probability",
        doc="failure probability of a worthless encounter",
    )
    failure_severity: float = param(
        0.6, 0, 1, unit="share", doc="share of an encounter's quality lost in a failure"
    )
    overtime_max_share: float = param(
        0.15,
        0,
        1,
        unit="share of hours",
        source="§2.6",
        doc="most overtime staff will work",
    )
    overtime_premium: float = param(
        0.5, 0, 3, unit="share of wage", doc="extra pay per overtime hour"
    )
    fatigue_weeks: float = param(
        8.0,
        1,
        104,
        unit="weeks",
        source="§2.6",
        doc="time constant of fatigue from overtime",
    )
    slack_time_max: float = param(
        1.15,
        1,
        3,
        unit="multiplier",
        doc="most extra time per customer when staff are idle",
    )
    adaptive_standards: bool = param(
        True,
        unit="flag",
        source="SF27",
        doc="the time standard drifts toward actual time per customer (Oliva-Sterman)",
    )
    standard_erosion_weeks: float = param(
        26.0,
        1,
        5200,
        unit="weeks",
        source="SF27",
        doc="time for the standard to follow cuts",
    )
    standard_recovery_weeks: float = param(
        260.0,
        1,
        5200,
        unit="weeks",
        source="SF27",
        doc="time for the standard to rise again",
    )
    reputation_weeks: float = param(
        13.0,
        1,
        520,
        unit="weeks",
        source="§2.6",
        doc="how slowly the market perceives quality",
    )


@dataclass
class WorkforceConfig:
    """Employees and the labour market."""

    n_employees: int = param(100, 0, 1_000_000, unit="people", doc="initial headcount")
    market_wage_per_week: float = param(1000.0, 0, MONEY_MAX, unit="currency/week")
    new_hire_capability: float = param(
        0.4,
        0,
        1,
        unit="share",
        source="§2.5 (assumption)",
        doc="productivity of a new hire",
    )
    learning_weeks: float = param(
        4.0,
        0.1,
        520,
        unit="weeks",
        source="SF19 (front line: full productivity in 4-12 weeks)",
        doc="time constant of the task-skill ramp: 95% of task skill after three of them",
    )
    knowledge_weight: float = param(
        0.2,
        0,
        1,
        unit="share",
        source="§2.5 (Sturman 2003 meta-analysis: experience keeps raising performance "
        "over the first years, with diminishing returns)",
        doc="share of capability that is job and customer knowledge, built over months "
        "and years rather than weeks",
    )
    knowledge_weeks: float = param(
        52.0,
        1,
        1040,
        unit="weeks",
        source="§2.5 (Sturman 2003)",
        doc="time constant of job and customer knowledge",
    )
    ability_sd: float = param(
        0.08,
        0,
        0.5,
        unit="share",
        source="Hunter, Schmidt & Judiesch 1990 (output sd ~15-20% of the mean in routine jobs)",
        doc="spread of people's ability: a multiplier of capability, fixed per person",
    )
    applicant_pay_effect: float = param(
        0.1,
        0,
        2,
        unit="ability per log pay ratio",
        source="Dal Bo, Finan & Rossi 2013 (higher pay attracts abler applicants)",
        doc="mean ability of new hires rises by this times ln(pay / market pay)",
    )
    satisfaction_baseline: float = param(
        0.62,
        0,
        1,
        unit="satisfaction",
        doc="satisfaction at market pay, no perks, normal load",
    )
    satisfaction_weeks: float = param(
        8.0, 1, 520, unit="weeks", doc="time constant of satisfaction"
    )
    satisfaction_disposition_sd: float = param(
        0.08, 0, 1, unit="satisfaction", doc="stable person-to-person differences"
    )
    pay_effect: float = param(
        0.2,
        0,
        5,
        unit="satisfaction per unit pay ratio",
        source="§2.5 (Manning 2003: separation elasticity to the wage about -1 to -2; "
        "x quit sensitivity 8 gives -1.6 on avoidable quits)",
        doc="satisfaction gained per 100% of pay above market",
    )
    perk_effect_max: float = param(
        0.15,
        0,
        1,
        unit="satisfaction",
        source="SF22",
        doc="most satisfaction perks can add",
    )
    perk_scale_per_week: float = param(
        60.0,
        0.01,
        MONEY_MAX,
        unit="currency/week",
        doc="perk spend per head for ~63% of the effect",
    )
    workload_effect: float = param(
        0.1,
        0,
        5,
        unit="satisfaction",
        source="§2.6 SF27 (calibrated: Aiken et al. 2002, +1 patient per nurse ~ +20% load "
        "-> job dissatisfaction OR 1.15)",
        doc="satisfaction lost per unit of overload (x quit sensitivity 8: quit hazard x1.17 "
        "at 20% overload)",
    )
    fatigue_effect: float = param(
        0.05,
        0,
        5,
        unit="satisfaction",
        source="§2.6 SF27 (calibrated with quit_fatigue_effect: Stimpfel et al. 2012, "
        "Dall'Ora et al. 2015, long shifts -> intent to leave OR 1.3-2.6)",
        doc="satisfaction lost at full fatigue (sustained maximal overtime)",
    )
    insecurity_effect: float = param(
        0.05,
        0,
        5,
        unit="satisfaction",
        source="SF25 SF24 (calibrated: +20-40% quits after a 2% cut)",
        doc="satisfaction lost at full job insecurity",
    )
    customer_mirror_effect: float = param(
        0.3,
        0,
        5,
        unit="satisfaction",
        source="SF12",
        doc="satisfaction gained per unit of served customers' satisfaction (the mirror)",
    )
    quit_per_year: float = param(
        0.1774,
        0,
        0.99,
        unit="probability/year",
        source="SF6 SF22 (fitted jointly by sim calibrate, target SF6b; hand-set 0.18)",
        doc="chance of quitting within a year at baseline satisfaction",
    )
    quit_floor_per_year: float = param(
        0.04,
        0,
        0.99,
        unit="probability/year",
        source="SF22 (SAS Institute: ~4-5%/yr voluntary quits with the best perks)",
        doc="quits for reasons no employer controls (moves, family, study); included in "
        "quit_per_year and untouched by satisfaction",
    )
    training_effect_max: float = param(
        0.08,
        0,
        1,
        unit="share of capability",
        source="Arthur et al. 2003 (training meta-analysis: behaviour d ~ 0.6)",
        doc="most that training adds to each employee's capability",
    )
    training_satisfaction_max: float = param(
        0.04,
        0,
        1,
        unit="satisfaction",
        source="§2.5 (Heskett et al. 1994: tools and training are internal service quality)",
        doc="most that training adds to employee satisfaction",
    )
    training_scale_per_week: float = param(
        40.0,
        0.01,
        MONEY_MAX,
        unit="currency/head/week",
        doc="training spend per head for ~63% of its effect",
    )
    quit_satisfaction_sensitivity: float = param(
        8.0, 0, 50, unit="log-hazard per satisfaction", source="§2.5"
    )
    quit_fatigue_effect: float = param(
        0.3,
        0,
        20,
        unit="log-hazard at full fatigue",
        source="§2.6 SF27 (calibrated: with fatigue_effect, quit hazard x2 at full fatigue; "
        "Stimpfel et al. 2012, Dall'Ora et al. 2015: intent to leave OR 1.3-2.6)",
        doc="direct rise in the quit hazard at full fatigue, on top of the satisfaction route",
    )
    survivor_quit_effect: float = param(
        0.5,
        0,
        20,
        unit="relative hazard at full insecurity",
        source="SF24 (calibrated: +20-40% quits after a 2% cut)",
        doc="extra quit hazard of layoff survivors",
    )
    layoff_shock_scale: float = param(
        0.02,
        0.0001,
        1,
        unit="share laid off",
        source="SF24",
        doc="a layoff of this share raises insecurity to 63% (saturating)",
    )
    insecurity_weeks: float = param(40.0, 1, 520, unit="weeks", source="SF24 SF25")
    recruiting_weeks: int = param(4, 1, 52, unit="weeks", source="SF19", doc="vacancy to start")
    hire_cost_weeks_of_wage: float = param(
        8.0,
        0,
        104,
        unit="weeks of wage",
        source="SF18 (calibrated: ~20% of a $52k wage per quit, with ramp-up)",
        doc="recruiting and training cost of one hire (ramp-up losses come on top, emergent)",
    )
    severance_weeks: float = param(8.0, 0, 104, unit="weeks of wage", doc="paid per layoff")


@dataclass
class CompetitorsConfig:
    """Rival firms: their offer and how they react."""

    n_competitors: int = param(3, 0, 50, unit="firms")
    quality: float = param(0.77, 0, 1, unit="quality", doc="initial service quality of each rival")
    price_index: float = param(1.0, 0.01, 10, unit="relative price")
    capacity_share: float = param(
        0.5, 0, 1, unit="share of market", doc="most customers one rival can serve"
    )
    churn_per_year: float = param(
        0.22, 0, 1, unit="1/year", doc="rivals' customers who look around each year"
    )
    quality_weight: float = param(
        6.0,
        0,
        100,
        unit="utility per quality",
        doc="mean customer weight on quality in choices",
    )
    price_weight: float = param(
        3.0, 0, 100, unit="utility per price index", doc="mean customer weight on price"
    )
    react: bool = param(True, unit="flag", doc="rivals respond to the focal firm's gains")
    reaction_quality_step: float = param(0.02, 0, 1, unit="quality/quarter")
    reaction_price_step: float = param(0.02, 0, 1, unit="price/quarter")
    target_best_customers: bool = param(
        True,
        unit="flag",
        source="model.md",
        doc="rivals that lost share court the focal firm's top-quintile customers",
    )
    targeting_utility: float = param(0.5, 0, 10, unit="utility")
    cost_share: float = param(
        0.9,
        0,
        5,
        unit="share of revenue",
        source="SF35 (service margins of a few to 10%)",
        doc="a rival's cost per unit of revenue at its initial quality and price",
    )
    fixed_cost_share: float = param(
        0.2,
        0,
        5,
        unit="share of revenue",
        doc="of cost_share, the part that is fixed (sized to the rival's starting customers): "
        "a rival that loses customers loses margin",
    )
    quality_cost_power: float = param(
        2.0,
        0,
        10,
        unit="elasticity",
        doc="how steeply a rival's cost rises with its quality (cost ~ quality^power)",
    )
    min_margin: float = param(
        0.02,
        -1,
        1,
        unit="share of revenue",
        doc="a rival defends share only while its margin stays above this",
    )
    exit_quarters: int = param(
        4,
        1,
        400,
        unit="quarters",
        doc="a rival that loses money this many quarters in a row leaves the market; its "
        "customers become prospects",
    )


# --------------------------------------------------------------- policies (L)


@dataclass
class ServiceConfig:
    """Service policy: uniform for everyone, or tiered by value quintile."""

    kind: ServiceKind = param(
        ServiceKind.uniform, unit="option", doc="same level for all, or levels by value quintile"
    )
    tier_levels: list[float] = param(
        [1.0, 1.0, 1.0, 1.0, 1.0],
        0,
        5,
        unit="multiplier",
        source="SF35",
        doc="time per visit by value quintile, top first (used when tiered)",
    )
    tier_priority: bool = param(
        True,
        unit="flag",
        doc="when short-staffed, higher tiers are served first (tiered only)",
    )
    tier_price: list[float] = param(
        [1.0, 1.0, 1.0, 1.0, 1.0],
        0,
        5,
        unit="multiplier",
        doc="price by value quintile (tiered only; bottom tier may be priced to leave)",
    )
    retier_weeks: int = param(13, 1, 520, unit="weeks", doc="how often customers are re-ranked")
    level: float = param(1.0, 0, 5, unit="multiplier", doc="service time per visit for everyone")


@dataclass
class StaffingConfig:
    """Staffing rule: steady, hire to demand, a scheduled layoff, or profit-triggered cuts."""

    kind: StaffingKind = param(
        StaffingKind.steady, unit="option", doc="the rule that sets target headcount"
    )
    target_utilisation: float = param(
        0.9, 0.1, 2, unit="share", doc="planned load when hiring to demand"
    )
    layoff_week: int = param(104, 0, 100_000, unit="week", doc="week of the scheduled layoff")
    layoff_share: float = param(0.15, 0, 1, unit="share of staff")
    rehire_after_layoff: bool = param(False, unit="flag", doc="replace laid-off staff later")
    profit_target_margin: float = param(
        0.06,
        -1,
        1,
        unit="share of revenue",
        doc="quarterly margin below which staff are cut",
    )
    cut_share: float = param(0.08, 0, 1, unit="share of staff", doc="cut per missed quarter")
    rehire_margin: float = param(
        0.03,
        0,
        1,
        unit="share of revenue",
        doc="profit-triggered staffing rehires (toward the staff the work needs, at most "
        "cut_share a quarter) once the quarter's margin beats the target by this much",
    )
    min_headcount: int = param(
        1,
        0,
        PEOPLE_MAX,
        unit="people",
        doc="cuts never go below this (and demand staffing hires at least this many)",
    )
    replace_quits: bool = param(True, unit="flag", doc="fill vacancies left by quits")


@dataclass
class HrConfig:
    """Pay, perks and fair-process practices."""

    wage_premium: float = param(
        0.0,
        -0.5,
        2,
        unit="share above market",
        doc="0.1 pays 10% above the market wage",
    )
    perks_per_week: float = param(0.0, 0, MONEY_MAX, unit="currency/head/week", source="SF22")
    training_per_week: float = param(
        0.0,
        0,
        MONEY_MAX,
        unit="currency/head/week",
        source="Arthur et al. 2003",
        doc="training and coaching spend per employee: raises capability and satisfaction",
    )
    fair_process: bool = param(
        False,
        unit="flag",
        source="SF24",
        doc="embedding/fair-process practices halve layoff shocks",
    )


@dataclass
class RecoveryConfig:
    """Service recovery: escalate to a manager, or an empowered front line with a budget."""

    empowered: bool = param(False, unit="flag", source="SF31")
    budget_per_incident: float = param(
        0.0,
        0,
        MONEY_MAX,
        unit="currency",
        source="domain §10 SF31",
        doc="most a front-liner may spend",
    )
    escalation_recovery: float = param(
        0.25,
        0,
        1,
        unit="probability",
        source="SF30",
        doc="share of failures fixed by escalation",
    )
    empowered_recovery_max: float = param(
        0.85,
        0,
        1,
        unit="probability",
        source="SF30",
        doc="share fixed on the spot with ample budget",
    )
    cost_per_spend: float = param(
        0.8,
        0,
        10,
        unit="currency/currency of spend per visit",
        doc="what a full fix costs, relative to the customer's spend per visit",
    )
    recovered_quality_bonus: float = param(
        0.05,
        0,
        1,
        unit="quality",
        source="SF29",
        doc="a well-handled failure feels slightly better",
    )


@dataclass
class AcquisitionConfig:
    """Marketing and referrals."""

    marketing_per_1000_people_week: float = param(
        300.0,
        0,
        MONEY_MAX,
        unit="currency/week per 1,000 people in the market",
        source="SF4",
        doc="marketing budget, scaled by market size so small and large markets compare",
    )
    marketing_reference: float = param(
        300.0,
        0.01,
        MONEY_MAX,
        unit="currency/week per 1,000 people",
        doc="budget at which 63% of shoppers who would not otherwise consider the firm do",
    )
    base_awareness: float = param(
        0.6, 0, 1, unit="share", doc="shoppers who consider the firm with no marketing"
    )
    onboarding_cost: float = param(
        100.0,
        0,
        MONEY_MAX,
        unit="currency/customer",
        source="SF3 SF4",
        doc="one-off cost of opening a customer (checks, set-up, sales)",
    )
    referral_reward: float = param(0.0, 0, MONEY_MAX, unit="currency/referral")


@dataclass
class PricingConfig:
    """Price level and new-customer discounts."""

    price_index: float = param(1.0, 0.01, 10, unit="relative price")
    new_customer_discount: float = param(0.0, 0, 1, unit="share", source="domain §7")
    discount_weeks: int = param(26, 0, 520, unit="weeks")


@dataclass
class TrialConfig:
    """A controlled test inside one run: a top segment split into treated and control."""

    segment_size: int = param(
        0,
        0,
        PEOPLE_MAX,
        unit="customers",
        source="domain §3",
        doc="size of the top-value segment in the test (0: no test)",
    )
    segment_reference_people: int = param(
        0,
        0,
        PEOPLE_MAX,
        unit="people",
        doc="when set, segment_size is for a market of this many people and scales with "
        "market.n_customers (a smaller world tests a proportionally smaller segment); 0: "
        "segment_size is absolute",
    )
    treated_share: float = param(0.5, 0, 1, unit="share", doc="share of the segment treated")
    service_multiplier: float = param(
        1.5, 0, 5, unit="multiplier", doc="time per visit of treated customers (dedicated staff)"
    )
    failure_prevention: float = param(
        0.5, 0, 1, unit="share", doc="share of failures proactive contact heads off"
    )


# ------------------------------------------------------- loop knock-outs (R)


def _link(source: str, doc: str) -> Any:
    """Declare one feedback link of the chain: live by default (``False`` cuts it)."""
    return param(True, unit="flag (false: cut)", source=source, doc=doc)


@dataclass
class FeedbackConfig:
    """Feedback links of the chain; a cut link holds its input at its week-0 value.

    The baseline is the state at the end of the burn-in, which every policy on a seed
    shares, so a cut run differs from the full model only in that link.
    """

    employee_satisfaction_to_quality: bool = _link(
        "SF12 §2.5",
        "service quality reads each server's week-0 satisfaction (newcomers: week-0 mean)",
    )
    employee_satisfaction_to_quits: bool = _link(
        "§2.5",
        "the quit hazard reads each employee's week-0 satisfaction (newcomers: week-0 mean)",
    )
    experience: bool = _link(
        "SF19",
        "quality and productivity read week-0 capability (newcomers: the week-0 mean)",
    )
    pressure_to_time: bool = _link(
        "SF27 §2.6",
        "time per customer is given as at week-0 work pressure (no corner-cutting)",
    )
    pressure_to_satisfaction: bool = _link(
        "§2.6",
        "employee satisfaction reads the week-0 work pressure (overload)",
    )
    overtime_fatigue: bool = _link(
        "SF27 §2.6",
        "fatigue follows the week-0 overtime load, not this week's",
    )
    satisfaction_mirror: bool = _link(
        "SF12",
        "employee satisfaction reads week-0 served customers' satisfaction (the mirror)",
    )
    layoff_insecurity: bool = _link(
        "SF24 SF25",
        "satisfaction and quits read the week-0 job insecurity (no survivor syndrome)",
    )
    standards_erosion: bool = _link(
        "SF27",
        "the time standard stays at its week-0 value (no drifting goal)",
    )
    adaptive_expectations: bool = _link(
        "§2.2",
        "customers' expectations stay where they were at week 0 (or at acquisition)",
    )
    reputation: bool = _link(
        "§2.6",
        "shoppers, defectors and newcomers see the week-0 reputation",
    )
    referrals: bool = _link(
        "SF32 §2.4",
        "referrals are held at the week-0 number of customers who intend to refer",
    )
    negative_word_of_mouth: bool = _link(
        "§2.4 §3 TARP",
        "the weight of negative stories is held at the week-0 rate of storytellers",
    )
    rival_reaction: bool = _link(
        "SF8 model.md",
        "rivals keep their week-0 quality, price and targeting (no quarterly reaction)",
    )

    def cut(self) -> list[str]:
        """Names of the links that are cut, in declaration order."""
        return [f.name for f in dataclasses.fields(self) if not getattr(self, f.name)]


def feedback_links() -> list[str]:
    """Names of every feedback link that can be cut."""
    return [f.name for f in dataclasses.fields(FeedbackConfig)]


# ------------------------------------------------------------------- the run


@dataclass
class RunConfig:
    """Horizon and outputs of one run."""

    weeks: int = param(520, 0, 100_000, unit="weeks", doc="horizon")
    burn_in_weeks: int = param(
        104,
        0,
        5200,
        unit="weeks",
        doc="weeks simulated before week 0 (nothing recorded) so the baseline starts steady",
    )
    name: str = param("default", doc="label of the run folder")
    results_dir: str = param("results", doc="where run folders are written")
    transaction_log: bool = param(False, unit="flag", doc="write customer_id, date, amount")
    start_date: str = param("2025-01-06", doc="calendar date of week 0 (ISO), for the log")
    figures: bool = param(True, unit="flag")
    progress: bool = param(True, unit="flag", doc="progress bar on long runs")
    point: int = param(
        -1,
        -1,
        10_000_000,
        unit="row",
        doc="row of a design sweep's design.csv whose values this run takes (-1: none)",
    )


@dataclass
class PolicyChange:
    """A change taking effect at the start of a week: ``set`` maps keys to values.

    Keys of policy groups are management decisions; keys of world groups
    (``WORLD_GROUPS``) are outside events, such as a demand pulse or a tougher market.
    """

    week: int = 0
    set: dict[str, Any] = field(default_factory=dict)


@dataclass
class SimConfig:
    """The whole configuration of one run."""

    seed: int = 0
    market: MarketConfig = field(default_factory=MarketConfig)
    behaviour: BehaviourConfig = field(default_factory=BehaviourConfig)
    operations: OperationsConfig = field(default_factory=OperationsConfig)
    workforce: WorkforceConfig = field(default_factory=WorkforceConfig)
    competitors: CompetitorsConfig = field(default_factory=CompetitorsConfig)
    service: ServiceConfig = field(default_factory=ServiceConfig)
    staffing: StaffingConfig = field(default_factory=StaffingConfig)
    hr: HrConfig = field(default_factory=HrConfig)
    recovery: RecoveryConfig = field(default_factory=RecoveryConfig)
    acquisition: AcquisitionConfig = field(default_factory=AcquisitionConfig)
    pricing: PricingConfig = field(default_factory=PricingConfig)
    trial: TrialConfig = field(default_factory=TrialConfig)
    feedback: FeedbackConfig = field(default_factory=FeedbackConfig)
    run: RunConfig = field(default_factory=RunConfig)
    changes: list[PolicyChange] = field(default_factory=list)


# ---------------------------------------------------------------- validation


def _describe_range(lo: float | None, hi: float | None) -> str:
    if lo is not None and hi is not None:
        return f"a number in [{lo:g}, {hi:g}]"
    if lo is not None:
        return f"a number >= {lo:g}"
    if hi is not None:
        return f"a number <= {hi:g}"
    return "any number"


def _check_value(key: str, value: Any, meta: dict[str, Any]) -> None:
    lo, hi = meta.get("min"), meta.get("max")
    values = value if isinstance(value, list) else [value]
    for v in values:
        if isinstance(v, bool) or not isinstance(v, int | float):
            continue
        if not math.isfinite(v):
            raise ConfigError(f"{key}={v}: not allowed; allowed: {_describe_range(lo, hi)}")
        if (lo is not None and v < lo) or (hi is not None and v > hi):
            raise ConfigError(f"{key}={value}: out of range; allowed: {_describe_range(lo, hi)}")


def _validate_node(node: Any, prefix: str) -> None:
    for f in dataclasses.fields(node):
        value = getattr(node, f.name)
        key = f"{prefix}{f.name}"
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            _validate_node(value, key + ".")
        elif f.metadata:
            _check_value(key, value, dict(f.metadata))


def policy_field_names(group: str) -> list[str]:
    """Names of the fields of one policy group, for messages and controls."""
    node = getattr(SimConfig(), group)
    return [f.name for f in dataclasses.fields(node)]


def apply_change(
    config: SimConfig,
    change: dict[str, Any],
    where: str,
    groups: tuple[str, ...] = POLICY_GROUPS,
) -> SimConfig:
    """Return a copy of ``config`` with ``change`` ({"hr.perks_per_week": 40, ...}) applied.

    Only keys of ``groups`` may change (policies by default; world groups for an outside
    shock), never a field fixed when the world is made; values are type- and range-checked.
    """
    new = config
    for dotted, value in change.items():
        group, _, name = str(dotted).partition(".")
        if group not in groups:
            kind = "a policy" if groups == POLICY_GROUPS else "changeable mid-run"
            raise ConfigError(
                f"{where}: '{dotted}' is not {kind}; allowed groups: {', '.join(groups)}"
            )
        if dotted in FIXED_AT_START:
            raise ConfigError(
                f"{where}: '{dotted}' is fixed when the world is made; set it before the run "
                "starts (it cannot change mid-run)"
            )
        node = getattr(new, group)
        names = [f.name for f in dataclasses.fields(node)]
        if name not in names:
            raise ConfigError(
                f"{where}: unknown key '{dotted}'; allowed keys in {group}: {', '.join(names)}"
            )
        ftype = {f.name: f for f in dataclasses.fields(node)}[name]
        current = getattr(node, name)
        value = _coerce(f"{where}.{dotted}", value, current)
        _check_value(f"{where}.{dotted}", value, dict(ftype.metadata))
        new = dataclasses.replace(new, **{group: dataclasses.replace(node, **{name: value})})
    _check_cross_fields(new)
    return new


def split_change(change: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Split a scheduled change into its policy part and its world (outside shock) part.

    >>> split_change({"hr.perks_per_week": 60, "market.demand_multiplier": 1.2})
    ({'hr.perks_per_week': 60}, {'market.demand_multiplier': 1.2})
    """
    policy = {k: v for k, v in change.items() if str(k).partition(".")[0] not in WORLD_GROUPS}
    world = {k: v for k, v in change.items() if str(k).partition(".")[0] in WORLD_GROUPS}
    return policy, world


def _coerce(key: str, value: Any, current: Any) -> Any:
    if isinstance(current, enum.Enum):
        allowed = [m.name for m in type(current)]
        name = value.name if isinstance(value, enum.Enum) else str(value)
        if name not in allowed:
            raise ConfigError(f"{key}='{value}': unknown option; allowed: {', '.join(allowed)}")
        return type(current)[name]
    if isinstance(current, bool):
        if isinstance(value, bool):
            return value
        raise ConfigError(f"{key}={value!r}: not a boolean; allowed: true, false")
    if isinstance(current, int):
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise ConfigError(f"{key}={value!r}: not an integer")
    if isinstance(current, float):
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        raise ConfigError(f"{key}={value!r}: not a number")
    if isinstance(current, list):
        if isinstance(value, list | tuple) and len(value) == len(current):
            return [float(v) for v in value]
        raise ConfigError(f"{key}={value!r}: expected a list of {len(current)} numbers")
    return value


def _get(cfg: SimConfig, key: str) -> Any:
    group, _, name = key.partition(".")
    return getattr(getattr(cfg, group), name)


def _check_cross_fields(cfg: SimConfig) -> None:
    m = cfg.market
    if m.focal_share + m.competitor_share > 1 + 1e-9:
        raise ConfigError(
            f"market.focal_share + market.competitor_share = "
            f"{m.focal_share + m.competitor_share:g}: must be at most 1"
        )
    ordered = [
        ("behaviour.defection_min_per_year", "behaviour.defection_max_per_year"),
        ("behaviour.detractor_satisfaction", "behaviour.referral_intent_satisfaction"),
        ("operations.failure_min", "operations.failure_max"),
    ]
    for low_key, high_key in ordered:
        low, high = _get(cfg, low_key), _get(cfg, high_key)
        if low > high:
            raise ConfigError(
                f"{low_key}={low:g}: must not exceed {high_key}={high:g}; "
                f"allowed: a number in [0, {high:g}] or raise {high_key}"
            )
    for name in ("tier_levels", "tier_price"):
        if len(getattr(cfg.service, name)) != 5:
            raise ConfigError(f"service.{name}: expected 5 numbers, one per value quintile")
    if cfg.staffing.layoff_week >= cfg.run.weeks and cfg.staffing.kind is StaffingKind.layoff:
        # Weeks run 0 to run.weeks - 1: a layoff scheduled later would silently never happen.
        raise ConfigError(
            f"staffing.layoff_week={cfg.staffing.layoff_week}: must be within the horizon; "
            f"allowed: a week in [0, {cfg.run.weeks - 1}] (run.weeks={cfg.run.weeks})"
        )
    largest = max(cfg.market.n_customers, cfg.workforce.n_employees, 1)
    if cfg.staffing.min_headcount > largest:
        raise ConfigError(
            f"staffing.min_headcount={cfg.staffing.min_headcount}: more staff than people in "
            f"the market; allowed: at most {largest} (market.n_customers or "
            "workforce.n_employees, whichever is larger)"
        )
    cut = cfg.feedback.cut()
    if cut and cfg.run.burn_in_weeks < 1:
        # A cut link is held at its value at the end of the burn-in; without one there
        # is no baseline state (work pressure, storytelling) to hold it at.
        raise ConfigError(
            f"feedback.{cut[0]}=false: cutting a link needs run.burn_in_weeks >= 1 "
            f"(run.burn_in_weeks={cfg.run.burn_in_weeks})"
        )


SEED_MAX = 2**63 - 1  # NumPy's seed sequences and Mesa take any non-negative integer
# A run's name becomes one folder name: letters, digits, '.', '_', '-' (not '.' or '..').
SAFE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,99}")


def _check_run_identity(cfg: SimConfig) -> None:
    """The seed, the run's folder name and place, and the calendar start."""
    if isinstance(cfg.seed, bool) or not isinstance(cfg.seed, int) or not 0 <= cfg.seed <= SEED_MAX:
        raise ConfigError(f"seed={cfg.seed!r}: out of range; allowed: an integer in [0, 2^63 - 1]")
    name = cfg.run.name
    if not isinstance(name, str) or not SAFE_NAME.fullmatch(name):
        raise ConfigError(
            f"run.name={name!r}: not a safe folder name; allowed: 1-100 letters, digits, "
            "'.', '_' or '-', starting with a letter, digit or '_' (no '/', no '..')"
        )
    folder = cfg.run.results_dir
    if not isinstance(folder, str) or not folder.strip() or not folder.isprintable():
        raise ConfigError(
            f"run.results_dir={folder!r}: allowed: a folder path (not empty, no control characters)"
        )
    if Path(folder).exists() and not Path(folder).is_dir():
        raise ConfigError(f"run.results_dir={folder!r}: is a file; allowed: a folder")
    try:
        datetime.date.fromisoformat(str(cfg.run.start_date))
    except ValueError:
        raise ConfigError(
            f"run.start_date={cfg.run.start_date!r}: not a date; allowed: an ISO date "
            "such as 2025-01-06"
        ) from None


def validate(cfg: SimConfig) -> SimConfig:
    """Check every field's range and the cross-field rules; return the config.

    Raises:
        ConfigError: naming the full key, the value and what is allowed.
    """
    _check_run_identity(cfg)
    _validate_node(cfg, "")
    _check_cross_fields(cfg)
    for i, change in enumerate(cfg.changes):
        where = f"changes[{i}]"
        if not 0 <= change.week <= cfg.run.weeks:
            raise ConfigError(
                f"{where}.week={change.week}: must be within the horizon [0, {cfg.run.weeks}]"
            )
        for key in change.set:
            if str(key).partition(".")[0] not in POLICY_GROUPS + WORLD_GROUPS:
                raise ConfigError(
                    f"{where}: '{key}' cannot change mid-run; allowed groups: policies "
                    f"({', '.join(POLICY_GROUPS)}) and world conditions ({', '.join(WORLD_GROUPS)})"
                )
        policy, world = split_change(dict(change.set))
        apply_change(apply_change(cfg, policy, where), world, where, WORLD_GROUPS)
    return cfg
