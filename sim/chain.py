"""The theory: one pure function per link of the service-profit chain.

Every function works on scalars or NumPy arrays alike and has no side effects, so the
links can be tested, plotted and reasoned about one at a time. Sources are fact ids of
``shared/docs/stylized_facts.md``.

internal service quality -> employee satisfaction -> retention and capability
-> service quality -> customer satisfaction -> loyalty -> revenue and profit.
"""

from __future__ import annotations

import math
from typing import overload

import numpy as np
from numpy.typing import NDArray

from sim.units import WEEKS_PER_YEAR

type Float = float | NDArray[np.float64]


def _f(x: object) -> NDArray[np.float64]:
    """View scalars and arrays alike as float arrays (keeps the links' types exact)."""
    return np.asarray(x, dtype=np.float64)


@overload
def clip(x: NDArray[np.float64], lo: float, hi: float) -> NDArray[np.float64]: ...
@overload
def clip(x: float, lo: float, hi: float) -> float: ...
def clip(x: Float, lo: float, hi: float) -> Float:
    """``np.clip`` without its layers of Python wrappers (~10 us a call): the same values.

    >>> clip(np.array([-0.5, 0.25, 2.0]), 0.0, 1.0).tolist()
    [0.0, 0.25, 1.0]
    """
    clipped: Float = np.minimum(np.maximum(x, lo), hi)
    return clipped


def weekly_probability(p_per_year: Float) -> Float:
    """Convert an annual probability into the weekly one with the same survival.

    >>> round(float(1 - (1 - weekly_probability(0.2)) ** 52), 12)
    0.2
    """
    p = clip(_f(p_per_year), 0.0, 1.0)
    return 1.0 - np.power(1.0 - p, 1.0 / WEEKS_PER_YEAR)


def weekly_rate(rate_per_year: Float) -> Float:
    """Convert an annual hazard *rate* (may exceed 1) into a weekly probability.

    >>> round(float(weekly_rate(52.0)), 4)
    0.6321
    """
    return 1.0 - np.exp(-_f(rate_per_year) / WEEKS_PER_YEAR)


# ------------------------------------------------------------- employee side


def capability(
    tenure_weeks: Float,
    new_hire: float,
    learning_weeks: float,
    *,
    knowledge_weight: float = 0.0,
    knowledge_weeks: float = 52.0,
    ability: Float = 1.0,
    standardisation: float = 0.0,
    boost: float = 0.0,
) -> Float:
    """Capability from experience: a task-skill ramp and slower job knowledge (SF19, SF20).

    Task skill rises from ``new_hire`` toward 1 within weeks; a share ``knowledge_weight``
    of capability is job and customer knowledge, built over months and years. Process
    standardisation closes a share of the gap to full capability (quality depends less on
    experience); ``ability`` is the person's own multiplier and ``boost`` what training adds.

    >>> float(capability(0.0, 0.4, 3.0))
    0.4
    >>> round(float(capability(9.0, 0.4, 3.0)), 3)
    0.97
    >>> round(float(capability(26.0, 0.4, 4.0, knowledge_weight=0.2)), 3)
    0.878
    >>> float(capability(0.0, 0.4, 4.0, standardisation=1.0))
    1.0
    """
    t = _f(tenure_weeks)
    skill = 1.0 - (1.0 - new_hire) * np.exp(-t / learning_weeks)
    if knowledge_weight > 0:
        skill = skill * (1.0 - knowledge_weight * np.exp(-t / knowledge_weeks))
    if standardisation > 0:
        skill = 1.0 - (1.0 - standardisation) * (1.0 - skill)
    return _f(ability) * skill * (1.0 + boost)


def saturating(spend: float, most: float, scale: float) -> float:
    """An effect that saturates in spend: ``most`` * (1 - exp(-spend / scale)).

    >>> round(saturating(60.0, 0.15, 60.0), 4)
    0.0948
    """
    return most * (1.0 - math.exp(-spend / scale)) if spend > 0 else 0.0


def applicant_ability(pay_ratio: float, effect: float) -> float:
    """Mean ability of new hires: better pay draws abler applicants (Dal Bo et al. 2013).

    >>> applicant_ability(1.0, 0.1)
    1.0
    """
    return 1.0 + effect * math.log(max(pay_ratio, 1e-9))


def internal_service_quality(
    pay_ratio: Float,
    perks_per_week: float,
    work_pressure: Float,
    fatigue: Float,
    insecurity: Float,
    served_customer_satisfaction: Float,
    *,
    pay_effect: float,
    perk_effect_max: float,
    perk_scale: float,
    workload_effect: float,
    fatigue_effect: float,
    insecurity_effect: float,
    mirror_effect: float,
    mirror_reference: float = 0.8,
) -> Float:
    """Change in employee satisfaction explained by internal service quality (§2.5).

    Zero at market pay, no perks, no overload, no fatigue, secure jobs and customers at
    the reference satisfaction. Perks saturate; overload counts only above capacity.

    >>> float(internal_service_quality(1.0, 0.0, 1.0, 0.0, 0.0, 0.8, pay_effect=0.6,
    ...     perk_effect_max=0.15, perk_scale=60, workload_effect=0.5, fatigue_effect=0.3,
    ...     insecurity_effect=0.15, mirror_effect=0.3))
    0.0
    """
    perks = saturating(perks_per_week, perk_effect_max, perk_scale)
    overload = np.maximum(_f(work_pressure) - 1.0, 0.0)
    return (
        pay_effect * (_f(pay_ratio) - 1.0)
        + perks
        - workload_effect * overload
        - fatigue_effect * _f(fatigue)
        - insecurity_effect * _f(insecurity)
        + mirror_effect * (_f(served_customer_satisfaction) - mirror_reference)
    )


def p_quit_per_week(
    satisfaction: Float,
    fatigue: Float,
    insecurity: Float,
    *,
    base_per_year: float,
    reference_satisfaction: float,
    satisfaction_sensitivity: float,
    fatigue_sensitivity: float,
    survivor_effect: float,
    floor_per_year: float = 0.0,
) -> Float:
    """Weekly quit probability: falls with satisfaction, rises with fatigue and insecurity.

    ``floor_per_year`` of the base rate are quits no employer controls (moves, family);
    only the rest responds to satisfaction, so even the best-treated staff still leave
    at that rate. Layoff survivors' extra hazard (SF24) is the ``insecurity`` term.

    >>> p = p_quit_per_week(0.62, 0.0, 0.0, base_per_year=0.18, reference_satisfaction=0.62,
    ...     satisfaction_sensitivity=8, fatigue_sensitivity=1, survivor_effect=1,
    ...     floor_per_year=0.04)
    >>> round(float(1 - (1 - p) ** 52), 3)
    0.18
    >>> p = p_quit_per_week(1.0, 0.0, 0.0, base_per_year=0.18, reference_satisfaction=0.62,
    ...     satisfaction_sensitivity=50, fatigue_sensitivity=1, survivor_effect=1,
    ...     floor_per_year=0.04)
    >>> round(float(1 - (1 - p) ** 52), 3)
    0.04
    """
    floor_rate = -math.log(1.0 - min(floor_per_year, 0.999))
    base_rate = max(-math.log(1.0 - min(base_per_year, 0.999)) - floor_rate, 0.0)
    rate = (
        base_rate
        * np.exp(
            -satisfaction_sensitivity * (_f(satisfaction) - reference_satisfaction)
            + fatigue_sensitivity * _f(fatigue)
        )
        * (1.0 + survivor_effect * _f(insecurity))
    )
    return weekly_rate(rate + floor_rate)


def layoff_shock(share_laid_off: float, scale: float, fair_process: bool) -> float:
    """Jump in survivors' job insecurity after a layoff: saturating in the share (SF24).

    >>> round(layoff_shock(0.02, 0.02, False), 3)
    0.632
    >>> round(layoff_shock(0.02, 0.02, True), 3)
    0.316
    """
    shock = 1.0 - float(np.exp(-share_laid_off / scale))
    return shock / 2.0 if fair_process else shock


# ----------------------------------------------------------- service delivery


def work_pressure(desired_hours: float, capacity_hours: float) -> float:
    """Desired service hours over the hours staff can give at the standard (Oliva-Sterman).

    >>> work_pressure(90.0, 100.0)
    0.9
    """
    if capacity_hours <= 0:
        return float("inf") if desired_hours > 0 else 0.0
    return desired_hours / capacity_hours


def time_ratio(
    pressure: float, overtime_max_share: float, slack_max: float, time_cut: float = 0.0
) -> tuple[float, float]:
    """Time actually given per customer (as a share of the standard) and overtime share.

    Under pressure staff cut time and work overtime at once (Oliva & Sterman 2001): a
    share ``time_cut`` of the excess (in logs) is absorbed by cutting time, the rest by
    overtime up to its limit, beyond which time is cut further. With slack they give a
    little more time, up to ``slack_max`` (§2.6). ``time_cut`` 0 is overtime first.

    >>> time_ratio(0.5, 0.15, 1.15)
    (1.15, 0.0)
    >>> r, ot = time_ratio(1.3, 0.15, 1.15)
    >>> round(r, 4), ot
    (0.8846, 0.15)
    >>> r, ot = time_ratio(1.1, 0.15, 1.15, 0.5)
    >>> round(r, 4), round(ot, 4)
    (0.9535, 0.0488)
    """
    if pressure <= 0:
        return slack_max, 0.0
    if pressure <= 1.0:
        return min(slack_max, 1.0 / pressure), 0.0
    overtime = min(pressure ** (1.0 - time_cut) - 1.0, overtime_max_share)
    return min(1.0, (1.0 + overtime) / pressure), overtime


def time_effect(adequacy: Float, curvature: float) -> Float:
    """Quality factor of time given relative to need: concave, 1 at adequacy 1 (SF11).

    Extra time helps less and less ("delight" is dear); cut time hurts.

    >>> float(time_effect(1.0, 2.5))
    1.0
    >>> bool(time_effect(1.5, 2.5) - 1.0 < 1.0 - time_effect(0.5, 2.5))
    True
    """
    a = np.maximum(_f(adequacy), 0.0)
    return (1.0 - np.exp(-curvature * a)) / (1.0 - math.exp(-curvature))


def service_quality(
    capability: Float,
    employee_satisfaction: Float,
    fatigue: Float,
    adequacy: Float,
    *,
    effort_effect: float,
    effort_reference: float,
    fatigue_loss: float,
    curvature: float,
    ceiling: float = 1.0,
) -> Float:
    """Quality of one encounter in [0, 1] before noise and failures (§2.5, §2.6).

    The server's capability, worn down by fatigue and lifted or lowered by discretionary
    effort (satisfaction above or below the baseline, SF12), times the effect of the time
    given, up to the ceiling of the process.

    >>> float(service_quality(1.0, 0.62, 0.0, 1.0, effort_effect=0.5, effort_reference=0.62,
    ...     fatigue_loss=0.3, curvature=2.5))
    1.0
    >>> round(float(service_quality(0.9, 0.72, 0.0, 1.0, effort_effect=0.5,
    ...     effort_reference=0.62, fatigue_loss=0.3, curvature=2.5, ceiling=0.95)), 4)
    0.8978
    """
    effort = np.maximum(1.0 + effort_effect * (_f(employee_satisfaction) - effort_reference), 0.0)
    person = _f(capability) * (1.0 - fatigue_loss * _f(fatigue)) * effort
    return clip(ceiling * person * time_effect(adequacy, curvature), 0.0, 1.0)


def process_ceiling(ceiling: float, standardisation: float, cost: float) -> float:
    """The quality ceiling of the process: scripted service leaves less room for judgement.

    >>> process_ceiling(0.95, 0.0, 0.05), round(process_ceiling(1.0, 1.0, 0.05), 12)
    (0.95, 0.95)
    """
    return ceiling * (1.0 - cost * standardisation)


def p_failure(quality: Float, problem_proneness: Float, lo: float, hi: float) -> Float:
    """Chance that an encounter fails: convex in lost quality, higher for hard cases.

    >>> float(p_failure(1.0, 1.0, 0.01, 0.5))
    0.01
    """
    shortfall = 1.0 - clip(_f(quality), 0.0, 1.0)
    p = lo + (hi - lo) * shortfall**2
    return clip(p * np.sqrt(_f(problem_proneness)), 0.0, 1.0)


def p_recovery(
    budget: float,
    needed: Float,
    empowered: bool,
    escalation: float,
    empowered_max: float,
) -> Float:
    """Chance that a failure is fixed on the spot (SF30, SF31).

    Escalation fixes a fixed share; an empowered front line fixes more the more of the
    customer's fix the budget covers.

    >>> float(p_recovery(0.0, 10.0, False, 0.25, 0.85))
    0.25
    >>> float(p_recovery(1e9, 10.0, True, 0.25, 0.85))
    0.85
    """
    if not empowered:
        return np.full_like(_f(needed), escalation)
    covered = np.minimum(budget / np.maximum(_f(needed), 1e-9), 1.0)
    return escalation + (empowered_max - escalation) * covered


# ------------------------------------------------------------- customer side


def disconfirmation(
    quality: Float,
    expectation: Float,
    loss_weight: float,
    adequate_gap: float = 0.0,
    desired_gap: float = 0.0,
) -> Float:
    """Experience outside the zone of tolerance, losses weighted more than gains (SF10, SF11).

    Service between the adequate level (``adequate_gap`` below what the customer expects)
    and the desired level (``desired_gap`` above it) is simply accepted: it confirms
    rather than disconfirms (the zone of tolerance, Zeithaml, Berry & Parasuraman 1993;
    Johnston 1995). Only the part outside the zone counts: a shortfall below the adequate
    level, weighted by ``loss_weight``, or an excess over the desired level. With a desired
    level further above expectations than the adequate level is below them, merely good
    service rarely delights while poor service disappoints (Dixon, Freeman & Toman 2010).

    >>> float(disconfirmation(0.7, 0.8, 2.0)), float(disconfirmation(0.9, 0.8, 2.0))
    (-0.2, 0.1)
    >>> float(disconfirmation(0.7, 0.8, 2.0, 0.02, 0.05))
    -0.16
    >>> float(disconfirmation(0.84, 0.8, 2.0, 0.02, 0.05))
    0.0
    """
    d = _f(quality) - _f(expectation)
    d = np.where(d < 0, np.minimum(d + adequate_gap, 0.0), np.maximum(d - desired_gap, 0.0))
    return np.round(np.where(d < 0, loss_weight * d, d), 12)


def expectation_target(experienced: Float, anchor: float, anchor_weight: float) -> Float:
    """Where expectations head after an encounter: partly the market's offer (§2.2, SF37).

    Expectations are partly rational, anchored on what the market delivers (the firm's
    reputation among the rest), and partly adaptive, following the customer's own
    experience (Boulding et al. 1993). A lasting quality gain therefore leaves a lasting
    positive disconfirmation of ``anchor_weight`` times its size, less the part the
    market anchor itself moves with the firm.

    >>> round(float(expectation_target(0.9, 0.8, 0.5)), 12)
    0.85
    """
    return (1.0 - anchor_weight) * _f(experienced) + anchor_weight * anchor


def expectation_anchor(reputation: float, market_quality: float, market_weight: float) -> float:
    """The rational part of expectations: the firm's reputation, pulled toward the market's.

    What customers "will" get from this firm is its reputation; what they feel they
    "should" get is what the market offers (Boulding et al. 1993).

    >>> round(expectation_anchor(0.9, 0.8, 0.3), 12)
    0.87
    """
    return reputation + market_weight * (market_quality - reputation)


def value_gap(
    price: Float,
    reference_price: float,
    price_sensitivity: Float,
    quality_sensitivity: Float,
    weight: float,
) -> Float:
    """Quality-equivalent of paying more (or less) than the market: value for money.

    A customer trades price against quality at their own rate (the same weights they
    choose firms by), so a price above the market's feels like that much less quality
    (ACSI's perceived value).

    >>> round(float(value_gap(1.1, 1.0, 3.0, 6.0, 1.0)), 12)
    0.05
    """
    return (
        weight
        * (_f(price) - reference_price)
        * _f(price_sensitivity)
        / np.maximum(_f(quality_sensitivity), 1e-9)
    )


def satisfaction_target(level: Float, weighted_disconfirmation: Float, weight: float) -> Float:
    """Where one encounter pulls satisfaction: ``level``, shifted by disconfirmation.

    ``level`` is the satisfaction the customer brings to the encounter, relaxed toward their
    adaptation level (``adaptation_level``): the encounter moves satisfaction from where it
    is, by its disconfirmation alone (Oliver 1980). ``tanh`` gives diminishing sensitivity
    at the extremes (SF10).

    >>> float(satisfaction_target(0.8, 0.0, 0.8))
    0.8
    """
    shift = 0.5 * np.tanh(2.0 * weight * _f(weighted_disconfirmation))
    return clip(_f(level) + shift, 0.0, 1.0)


def adaptation_level(expectation: Float, bias: Float) -> Float:
    """Where satisfaction settles between encounters: expectation as the customer feels it.

    Oliver (1980): satisfaction is an adaptation level, set by expectations, plus the
    disconfirmation of the latest encounters, which fades with time ("satisfaction soon
    decays into one's overall attitude", Oliver 1981). ``bias`` is the customer's
    persistent offset in how service is felt.

    >>> float(adaptation_level(0.85, 0.05)), float(adaptation_level(0.98, 0.05))
    (0.9, 1.0)
    """
    return clip(_f(expectation) + _f(bias), 0.0, 1.0)


def smooth(stock: Float, target: Float, weight: Float) -> Float:
    """Exponential smoothing: move ``stock`` a share ``weight`` of the way to ``target``.

    >>> smooth(0.5, 1.0, 0.25)
    0.625
    """
    return stock + weight * (target - stock)


def relax(satisfaction: Float, expectation: Float, bias: Float, relaxation: float) -> Float:
    """A week of fading: satisfaction moves toward the adaptation level (Oliver 1981).

    >>> float(relax(0.7, 0.85, 0.05, 0.5))
    0.8
    """
    return smooth(satisfaction, adaptation_level(expectation, bias), relaxation)


def defection_per_year(
    satisfaction: Float,
    threshold: Float,
    *,
    steepness: float,
    lo: float,
    hi: float,
) -> Float:
    """Satisfaction-driven annual defection hazard: a steep logistic (SF7, §2.2).

    Near-flat at the top box, sharp just below it.

    >>> round(float(defection_per_year(0.95, 0.72, steepness=25, lo=0.04, hi=0.9)), 3)
    0.043
    >>> round(float(defection_per_year(0.72, 0.72, steepness=25, lo=0.04, hi=0.9)), 2)
    0.47
    """
    z = steepness * (_f(threshold) - _f(satisfaction))
    return lo + (hi - lo) / (1.0 + np.exp(-z))


def tenure_hazard_factor(tenure_weeks: Float, boost: float, scale_weeks: float) -> Float:
    """Relative hazard by tenure: new customers leave more easily (§2.1).

    >>> float(tenure_hazard_factor(0.0, 1.0, 52.0))
    2.0
    """
    return 1.0 + boost * np.exp(-_f(tenure_weeks) / scale_weeks)


def competitive_pull(attraction_of_rivals: Float, intensity: float) -> Float:
    """Share of the satisfaction hazard that rivals turn into defection (SF8).

    With no rival (attraction 0) dissatisfied customers stay ("hostages").

    >>> float(competitive_pull(0.0, 1.0)), float(competitive_pull(3.0, 1.0))
    (0.0, 0.75)
    """
    a = intensity * _f(attraction_of_rivals)
    return a / (1.0 + a)


def spend_multiplier(tenure_weeks: Float, growth_max: float, scale_weeks: float) -> Float:
    """Spend grows with tenure: m(t) = m_inf - (m_inf - 1) exp(-t / tau) (SF3, §2.3).

    >>> float(spend_multiplier(0.0, 1.6, 130.0))
    1.0
    """
    return growth_max - (growth_max - 1.0) * np.exp(-_f(tenure_weeks) / scale_weeks)


def referred_spend_multiplier(tenure_weeks: Float, premium: float, scale_weeks: float) -> Float:
    """Spend of a referred customer relative to a marketing-won one: a premium that erodes.

    Referred customers start with a higher margin and the gap closes with tenure, while
    their retention edge persists (Schmitt, Skiera & Van den Bulte 2011; SF32, §2.4).

    >>> float(referred_spend_multiplier(0.0, 0.3, 52.0))
    1.3
    """
    return 1.0 + premium * np.exp(-_f(tenure_weeks) / scale_weeks)


def cost_to_serve_multiplier(tenure_weeks: Float, new_cost: float, scale_weeks: float) -> Float:
    """Staff time falls with tenure: c(t) = 1 + (c0 - 1) exp(-t / tau_c) (§2.3).

    >>> float(cost_to_serve_multiplier(0.0, 1.6, 13.0))
    1.6
    """
    return 1.0 + (new_cost - 1.0) * np.exp(-_f(tenure_weeks) / scale_weeks)


def visit_chance(
    visit_probability: Float,
    satisfaction: Float,
    slope: float,
    relative_price: Float = 1.0,
    price_elasticity: float = 0.0,
) -> Float:
    """Chance of a visit this week: the habitual rate, lower when dissatisfied or dear.

    Share of wallet falls linearly with dissatisfaction (Keiningham et al. 2003 find
    satisfaction raises share of wallet; the slope is an assumption); frequency falls
    with the price paid relative to the market's at a constant elasticity.

    >>> float(visit_chance(0.5, 1.0, 0.3)), float(visit_chance(0.5, 0.0, 0.3))
    (0.5, 0.35)
    >>> round(float(visit_chance(0.5, 1.0, 0.3, 0.9, 0.8)), 4)
    0.544
    """
    chance = _f(visit_probability) * (1.0 - slope * (1.0 - _f(satisfaction)))
    if price_elasticity > 0:
        # A free visit (price 0) is as tempting as it gets: at most one a week.
        chance = chance * np.power(np.maximum(_f(relative_price), 1e-9), -price_elasticity)
    return np.minimum(chance, 1.0)


def referral_lift(reward: float, lift_max: float, scale: float) -> float:
    """Relative referral rate under a reward: rises with it, with diminishing returns.

    >>> referral_lift(0.0, 1.0, 30.0), round(referral_lift(30.0, 1.0, 30.0), 3)
    (1.0, 1.632)
    """
    return 1.0 + saturating(reward, lift_max, scale)


def likelihood_to_recommend(satisfaction: Float) -> NDArray[np.int64]:
    """0-10 likelihood to recommend from satisfaction on [0, 1] (SF33).

    >>> likelihood_to_recommend(np.array([0.0, 0.5, 0.82, 1.0])).tolist()
    [0, 5, 9, 10]
    """
    return np.minimum(np.floor(_f(satisfaction) * 11.0), 10).astype(np.int64)


def net_promoter_score(satisfaction: NDArray[np.float64]) -> float:
    """Promoters (9-10) minus detractors (0-6), in points from -100 to 100 (SF33).

    >>> net_promoter_score(np.array([0.95, 0.95, 0.2, 0.7]))
    25.0
    """
    if satisfaction.size == 0:
        return 0.0
    # floor(11 s) >= 9 exactly when 11 s >= 9 (and <= 6 when 11 s < 7): the same counts
    # as ``likelihood_to_recommend`` without building the integer scores.
    scaled = _f(satisfaction) * 11.0
    n = satisfaction.size
    promoters = np.count_nonzero(scaled >= 9.0) / n
    detractors = np.count_nonzero(scaled < 7.0) / n
    return float(100.0 * (promoters - detractors))


def satisfaction_box(satisfaction: Float) -> NDArray[np.int64]:
    """Five-point rating (1-5) from satisfaction: the top box is the top fifth (SF7).

    >>> satisfaction_box(np.array([0.1, 0.79, 0.8, 1.0])).tolist()
    [1, 4, 5, 5]
    """
    box: NDArray[np.int64] = np.minimum(np.floor(_f(satisfaction) * 5.0) + 1, 5).astype(np.int64)
    return box


def top_box_share(satisfaction: NDArray[np.float64]) -> float:
    """Share of ``satisfaction`` in the top box of ``satisfaction_box`` (0 for nobody).

    >>> top_box_share(np.array([0.79, 0.8, 0.95, 1.0]))
    0.75
    """
    if satisfaction.size == 0:
        return 0.0
    # box 5 exactly when floor(5 s) >= 4, i.e. 5 s >= 4.
    return float(np.count_nonzero(_f(satisfaction) * 5.0 >= 4.0) / satisfaction.size)


def npv_factor(weeks: Float, annual_rate: float) -> Float:
    """Discount factor of a cash flow ``weeks`` from now at ``annual_rate``.

    >>> round(float(npv_factor(52.0, 0.10)), 6)
    0.909091
    """
    return np.power(1.0 + annual_rate, -_f(weeks) / WEEKS_PER_YEAR)
