"""What a student types into a number field, checked as it is typed.

A field accepts a number within the schema's range (``sim.config`` metadata, read through
``Control.lo``/``Control.hi``). Where the schema leaves a side open (perks may be any
amount above 0), the dashboard sets a ceiling that makes sense in a classroom: a world of
3,000 people cannot use a billion in perks a week, and a typing slip should say so rather
than bankrupt the firm. Each bad entry gets its own message; it never blocks the others.
This module knows nothing of Solara.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass

from sim.config import MarketConfig, SimConfig, WorkforceConfig
from sim.dashboard.controls import Control, ControlKind, control_for, schema_field

__all__ = [
    "MAX_SEED",
    "TEACHING_CEILINGS",
    "EntryError",
    "Limits",
    "entry_text",
    "format_number",
    "limits_of",
    "parse_entry",
    "shown_week",
    "stored_value",
    "world_limits",
]

MAX_SEED = 999


class EntryError(ValueError):
    """A typed entry cannot be used; the message says why in plain words."""


# Ceilings for policy fields whose schema range is too wide to drag (typed as numbers:
# money, weeks, headcounts), from the world being played. Every such field needs one (a
# test checks), so a new field is a decision.
TEACHING_CEILINGS: dict[str, Callable[[SimConfig], float]] = {
    # Perks worth a second wage per head are already far beyond any firm's practice.
    "hr.perks_per_week": lambda c: c.workforce.market_wage_per_week,
    # Training beyond a quarter of the wage per head is far past any firm's practice.
    "hr.training_per_week": lambda c: 0.25 * c.workforce.market_wage_per_week,
    # Domain §10: recovery budgets of $20-$100 against a customer's lifetime value;
    # ten visits' spend leaves room to overdo it visibly.
    "recovery.budget_per_incident": lambda c: 10.0 * c.market.spend_median,
    "acquisition.marketing_per_1000_people_week": lambda c: (
        10.0 * SimConfig().acquisition.marketing_per_1000_people_week
    ),
    "acquisition.marketing_reference": lambda c: 10.0 * SimConfig().acquisition.marketing_reference,
    "acquisition.onboarding_cost": lambda c: 10.0 * SimConfig().acquisition.onboarding_cost,
    "acquisition.referral_reward": lambda c: 10.0 * SimConfig().acquisition.onboarding_cost,
    # A layoff is planned within the run (the config checks this too, on Apply).
    "staffing.layoff_week": lambda c: float(max(c.run.weeks - 1, 0)),
    # A floor for cuts of twice the starting staff would already hire for a phantom firm.
    "staffing.min_headcount": lambda c: 2.0 * c.workforce.n_employees,
}

# The starting world's sizes: the schema allows an empty world and 5 million people; a
# browser session needs at least one customer and one employee, and redraws quickly only
# up to 20,000 people.
WORLD_FLOORS = {"n_customers": 100, "n_employees": 1}
WORLD_CEILINGS = {"n_customers": 20_000, "n_employees": 200}


@dataclass(frozen=True)
class Limits:
    """The range a field accepts, as shown to students.

    Args:
        lo: Smallest value (None: none).
        hi: Largest value (None: none).
        integer: Only whole numbers.
        teaching_hi: True when ``hi`` is the classroom's ceiling, not the schema's.
    """

    lo: float | None
    hi: float | None
    integer: bool = False
    teaching_hi: bool = False

    def describe(self) -> str:
        """The range in words.

        >>> Limits(0, 1000, teaching_hi=True).describe()
        'from 0 to 1,000'
        """
        if self.lo is not None and self.hi is not None:
            return f"from {format_number(self.lo)} to {format_number(self.hi)}"
        if self.lo is not None:
            return f"{format_number(self.lo)} or more"
        if self.hi is not None:
            return f"{format_number(self.hi)} or less"
        return "any number"


def shown_week(control: Control) -> bool:
    """Whether a field holds a week index (0 = the first week), shown as weekly.csv counts.

    The model's week ``w`` is row ``w + 1`` of weekly.csv; the screen counts as the file
    does, so a layoff typed for week 27 happens in row 27.
    """
    return control.unit == "week"


def limits_of(control: Control, world: SimConfig) -> Limits:
    """The range of a policy field: the schema's, lowered to a teaching ceiling where one is set.

    >>> from sim.dashboard.controls import policy_controls
    >>> perks = {c.key: c for c in policy_controls()["hr"]}["hr.perks_per_week"]
    >>> limits_of(perks, SimConfig())
    Limits(lo=0, hi=1000.0, integer=False, teaching_hi=True)
    """
    integer = control.kind in (ControlKind.slider_int, ControlKind.number_int)
    lo, hi, teaching = control.lo, control.hi, False
    if control.key in TEACHING_CEILINGS:
        # The schema's ceilings keep outputs finite; a class needs far tighter ones.
        ceiling = TEACHING_CEILINGS[control.key](world)
        if hi is None or ceiling < hi:
            hi, teaching = ceiling, True
    if shown_week(control):
        lo = None if lo is None else lo + 1
        hi = None if hi is None else hi + 1
    return Limits(lo, hi, integer, teaching)


def world_limits(name: str) -> Limits:
    """The range of a starting-world size: the schema's, within the classroom's bounds.

    >>> world_limits("n_employees")
    Limits(lo=1, hi=200, integer=True, teaching_hi=True)
    """
    schema = {"n_customers": MarketConfig, "n_employees": WorkforceConfig}[name]
    c = control_for(name, schema_field(schema, name), getattr(schema(), name))
    lo = max(WORLD_FLOORS[name], int(c.lo or 0))
    hi = WORLD_CEILINGS[name] if c.hi is None else min(WORLD_CEILINGS[name], int(c.hi))
    return Limits(lo, hi, integer=True, teaching_hi=True)


_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$")
_DECIMAL_COMMA = re.compile(r"^[+-]?\d*,\d+$")


def parse_entry(text: str, limits: Limits) -> float | int:
    """The number typed, or an ``EntryError`` saying what is wrong with it.

    >>> parse_entry(" 60 ", Limits(0, 1000))
    60.0
    >>> for bad in ("nan", "-5", "1,000", "1e12", "2.5"):
    ...     try:
    ...         parse_entry(bad, Limits(0, 1000, integer=bad == "2.5", teaching_hi=True))
    ...     except EntryError as exc:
    ...         print(f"{bad}: {exc}")
    nan: 'nan' is not a number: type digits, e.g. 60
    -5: -5 is too small: allowed from 0 to 1,000
    1,000: write 1000 without the comma (a comma could be a decimal point)
    1e12: 1,000,000,000,000 is more than a class may set: allowed from 0 to 1,000
    2.5: 2.5 is not a whole number: allowed from 0 to 1,000
    """
    raw = text.strip().replace(" ", "").replace("_", "")
    if not raw:
        raise EntryError(f"type a number, {limits.describe()}")
    if _THOUSANDS.match(raw):
        raise EntryError(
            f"write {raw.replace(',', '')} without the comma (a comma could be a decimal point)"
        )
    if _DECIMAL_COMMA.match(raw):
        raise EntryError(f"use a point for decimals: {raw.replace(',', '.')}")
    try:
        value = float(raw)
    except ValueError:
        raise EntryError(f"{text.strip()!r} is not a number: type digits, e.g. 60") from None
    if math.isnan(value):
        raise EntryError(f"{text.strip()!r} is not a number: type digits, e.g. 60")
    allowed = f"allowed {limits.describe()}"
    if limits.lo is not None and value < limits.lo:
        raise EntryError(f"{format_number(value)} is too small: {allowed}")
    if limits.hi is not None and value > limits.hi:
        if limits.teaching_hi:
            raise EntryError(f"{format_number(value)} is more than a class may set: {allowed}")
        raise EntryError(f"{format_number(value)} is too large: {allowed}")
    if math.isinf(value):
        raise EntryError(f"{text.strip()!r} is not a finite number")
    if limits.integer:
        if not value.is_integer():
            raise EntryError(f"{format_number(value)} is not a whole number: {allowed}")
        return int(value)
    return value


def format_number(value: float) -> str:
    """A number as the screen shows it: thousands separated, no needless decimals.

    >>> format_number(1000.0), format_number(0.15), format_number(-0.5), format_number(1e12)
    ('1,000', '0.15', '-0.5', '1,000,000,000,000')
    """
    if math.isfinite(value) and float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.6g}" if abs(value) < 1e15 else f"{value:g}"


def entry_text(value: float, control: Control | None = None) -> str:
    """A value as its number field holds it: digits a student can edit and re-enter.

    >>> entry_text(1000.0), entry_text(0.15), entry_text(12)
    ('1000', '0.15', '12')
    """
    if control is not None and shown_week(control):
        value = value + 1
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.10g}"


def stored_value(number: float | int, control: Control) -> float | int:
    """The config value of a number typed into ``control``'s field (weeks counted from 0)."""
    return number - 1 if shown_week(control) else number
