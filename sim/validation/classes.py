"""What kind of evidence each fact's check is: an input, a calibration target, or validation.

Three kinds of numbers are kept apart (the brief's "modelling honesty"):

- ``input``: the check reads back a sourced parameter or a rule built into the model
  (documenting it is not validation, and it cannot fail for a reason worth knowing);
  reported, never counted as a pass;
- ``target``: a parameter was set so that this fact lands in its band; the check reports
  how well the fit holds, not whether the model is right;
- ``validation``: nothing was fitted to it; a pass is evidence.

One place decides the class of every fact, with the reason; ``sim validate`` prints the
verdicts per class and docs/validation.md carries the same table.
"""

from __future__ import annotations

from typing import Literal

type Kind = Literal["input", "target", "validation"]

KIND_NAMES: dict[Kind, str] = {
    "validation": "validation (never fitted)",
    "target": "calibration targets (reported as fit)",
    "input": "input read-backs (not counted)",
}

# fact id -> (kind, why)
CLASSES: dict[str, tuple[Kind, str]] = {
    "AN1": (
        "validation",
        "analytic: simulated customer NPV against the closed form (a code check)",
    ),
    "AN2": ("validation", "analytic: simulated arrivals against their rate (a code check)"),
    "SF1": ("validation", "the NPV gain of a defection cut emerges from ledgers and tenure"),
    "SF2": ("validation", "the closed-form retention arithmetic, recomputed from runs"),
    "SF3": ("input", "profit by tenure follows behaviour.spend_growth_* and cost-to-serve curves"),
    "SF4": ("input", "a ratio of configured marketing and recovery spends"),
    "SF6a": ("target", "fitted jointly by sim calibrate (retention_threshold_mean and others)"),
    "SF6b": ("target", "fitted jointly by sim calibrate (workforce.quit_per_year and others)"),
    "SF7": (
        "validation",
        "retention_steepness and the thresholds' spread were set for a smooth loyalty curve "
        "(no cliff, satisfied defectors), not for this ratio; nothing is fitted to it",
    ),
    "SF8": ("validation", "retention by competition and switching cost emerges"),
    "SF10": ("input", "re-applies the satisfaction step's loss weight outside the model"),
    "SF11": ("target", "behaviour.adequate_gap and desired_gap were set by hand for it"),
    "SF18": ("input", "workforce.hire_cost_weeks_of_wage plus the configured learning ramp"),
    "SF19": ("input", "workforce.learning_weeks read back"),
    "SF24": (
        "target",
        "workforce.survivor_quit_effect and layoff_shock_scale were set by hand for it",
    ),
    "SF25": ("input", "the sign of the configured insecurity effect; cannot fail"),
    "SF27": ("validation", "erosion and its hysteresis emerge from pressure and the standard"),
    "SF28": ("validation", "the two basins emerge from staffing, quits and quality"),
    "SF29": ("input", "a fixed failure is built to feel at least as good as expected"),
    "SF32": (
        "target",
        "intent fitted jointly by sim calibrate; act and conversion parameters set by hand",
    ),
    "SF34": ("validation", "the whale curve emerges from spend, visits and cost to serve"),
}


def kind_of(fact_id: str) -> Kind:
    """The class of ``fact_id``; an unclassified fact is an error, not a silent pass.

    >>> kind_of("SF27"), kind_of("SF19")
    ('validation', 'input')
    """
    try:
        return CLASSES[fact_id][0]
    except KeyError:
        raise KeyError(
            f"fact {fact_id}: no class in sim/validation/classes.py; allowed: "
            + ", ".join(KIND_NAMES)
        ) from None
