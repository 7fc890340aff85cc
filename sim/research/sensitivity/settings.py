"""What a sensitivity analysis asks: method, sizes, KPIs, world, and their checks.

The settings decide which runs are made and how they are read; a folder stores them
(``settings_record``) so it can be resumed or re-analysed as it was made.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from sim.config import ConfigError
from sim.errors import UserError
from sim.kpis import SUMMARY_KPIS
from sim.research.uncertainties import Uncertainty
from sim.rng import replication_seeds, stream_key
from sim.units import WEEKS_PER_YEAR

METHODS = ("sobol", "morris")
DEFAULT_KPIS = ("npv_profit", "annual_retention", "employee_turnover")
# Sobol N=16 with 2 seeds is 384 runs of the default world: ~25 minutes on 2 shared cores.
DEFAULT_SAMPLES = {"sobol": 16, "morris": 20}
DEFAULT_REPLICATIONS = 2
DEFAULT_BY_YEAR = "profit"
# The reference world over five years: 10 years (the reference horizon) would double the
# cost of a design that already has hundreds of runs; run.weeks=520 restores it.
DEFAULT_WORLD = ("run.weeks=260",)
# A world small enough for tests and demos, over a horizon long enough for three years.
SMALL = (
    "market.n_customers=1500",
    "workforce.n_employees=15",
    "run.weeks=156",
    "run.burn_in_weeks=26",
)
CONF_LEVEL = 0.95
RESAMPLES = 500
MORRIS_LEVELS = 4
MANIFEST = "sensitivity.yaml"
UNIT_SAMPLE = "unit_sample.csv"


type _Yearly = Callable[[pd.DataFrame], float]


def _sum(column: str) -> _Yearly:
    return lambda year: float(year[column].sum())


def _last(column: str) -> _Yearly:
    return lambda year: float(year[column].iloc[-1])


def _mean(column: str) -> _Yearly:
    return lambda year: float(year[column].mean())


def _turnover(year: pd.DataFrame) -> float:
    # As the model's annual turnover: quits over the year's mean headcount.
    headcount = float(year["employee_headcount"].mean())
    return float(year["quits"].sum()) / headcount if headcount > 0 else math.nan


# KPI of year y from the weekly table: (label, weekly columns it needs, the function).
BY_YEAR: dict[str, tuple[str, tuple[str, ...], _Yearly]] = {
    "profit": ("profit of the year", ("profit",), _sum("profit")),
    "npv_profit": (
        "NPV of profit to the end of the year",
        ("discounted_profit",),
        _last("discounted_profit"),
    ),
    "revenue": ("revenue of the year", ("revenue",), _sum("revenue")),
    "customers_focal": (
        "customers at the end of the year",
        ("customers_focal",),
        _last("customers_focal"),
    ),
    "employee_turnover": (
        "employee turnover of the year",
        ("quits", "employee_headcount"),
        _turnover,
    ),
    "customer_satisfaction": (
        "mean customer satisfaction of the year",
        ("customer_satisfaction",),
        _mean("customer_satisfaction"),
    ),
    "employee_satisfaction": (
        "mean employee satisfaction of the year",
        ("employee_satisfaction",),
        _mean("employee_satisfaction"),
    ),
}


@dataclass(frozen=True)
class Settings:
    """Everything that decides which runs a sensitivity analysis makes and how it reads them."""

    method: str
    samples: int
    replications: int
    kpis: tuple[str, ...]
    by_year: str | None
    policy: str
    root_seed: int
    small: bool
    overrides: tuple[str, ...]
    uncertainties: tuple[Uncertainty, ...]

    @property
    def seeds(self) -> list[int]:
        """The replication seeds, the same at every point (common random numbers)."""
        return replication_seeds(self.root_seed, self.replications)

    def seed(self, purpose: str) -> int:
        """A seed for SALib's sampler or bootstrap, derived from the root seed.

        Never 0: SALib's Sobol analysis treats a seed of 0 as none and falls back to
        NumPy's global generator, which would make the confidence intervals irreproducible.
        """
        sequence = np.random.SeedSequence(self.root_seed, spawn_key=(stream_key(purpose),))
        return int(sequence.generate_state(1, dtype=np.uint32)[0]) or 1

    @property
    def fixed(self) -> list[str]:
        """Overrides shared by every run (the world and horizon, then the user's)."""
        return list(self.overrides)

    @property
    def points(self) -> int:
        """Number of design points."""
        k = len(self.uncertainties)
        return self.samples * (k + 2 if self.method == "sobol" else k + 1)


def parse_kpis(text: str) -> tuple[str, ...]:
    """The comma-separated KPI list, checked against the summary's outcomes.

    Raises:
        ConfigError: naming the unknown KPI and the allowed ones.
    """
    kpis = tuple(k.strip() for k in text.split(",") if k.strip())
    if not kpis:
        raise ConfigError(f"--kpis='{text}': name at least one; allowed: {', '.join(SUMMARY_KPIS)}")
    for kpi in kpis:
        if kpi not in SUMMARY_KPIS:
            raise ConfigError(f"--kpis: unknown KPI '{kpi}'; allowed: {', '.join(SUMMARY_KPIS)}")
    if len(set(kpis)) != len(kpis):
        raise ConfigError(f"--kpis='{text}': a KPI is named twice")
    return kpis


def check_settings(settings: Settings) -> None:
    """Refuse a design SALib cannot analyse, before anything runs.

    Raises:
        ConfigError: naming the option, its value and what is allowed.
    """
    if settings.method not in METHODS:
        raise ConfigError(f"--method={settings.method}: allowed: {', '.join(METHODS)}")
    n = settings.samples
    if settings.method == "sobol" and (n < 2 or n & (n - 1)):
        # Saltelli's estimator keeps the Sobol' sequence's balance only for powers of 2.
        raise ConfigError(f"--samples={n}: Sobol needs a power of 2 (2, 4, 8, 16, 32, 64, ...)")
    if settings.method == "morris" and n < 2:
        raise ConfigError(f"--samples={n}: Morris needs at least 2 trajectories")
    if settings.replications < 1:
        raise ConfigError(f"--replications={settings.replications}: a whole number >= 1")
    if settings.by_year is not None and settings.by_year not in BY_YEAR:
        raise ConfigError(f"--by-year={settings.by_year}: allowed: {', '.join(BY_YEAR)}, or none")
    if len(settings.uncertainties) < 2:
        raise ConfigError("the uncertainties file declares fewer than 2 parameters to compare")
    keys = {u.key for u in settings.uncertainties}
    for override in settings.overrides:
        key = override.lstrip("+~").partition("=")[0]
        if key in keys:
            raise ConfigError(
                f"override '{override}' fixes {key}, which the design varies; "
                "drop the override or remove the key from the uncertainties file"
            )


def world(settings: Settings) -> dict[str, int]:
    """Compose one configuration (checking the world and policy); return its size.

    Raises:
        ConfigError: if an override or the policy is invalid, or the horizon is under a year.
    """
    from sim.compose import compose_config

    try:
        cfg = compose_config([*settings.fixed, f"policy={settings.policy}"])
    except UserError as exc:
        raise ConfigError(str(exc)) from exc
    if cfg.run.weeks < WEEKS_PER_YEAR:
        raise ConfigError(
            f"run.weeks={cfg.run.weeks}: the annual KPIs need at least {WEEKS_PER_YEAR} weeks"
        )
    return {
        "weeks": cfg.run.weeks,
        "burn_in_weeks": cfg.run.burn_in_weeks,
        "n_customers": cfg.market.n_customers,
        "n_employees": cfg.workforce.n_employees,
    }


def settings_record(settings: Settings) -> dict[str, Any]:
    """The settings as plain data for the folder's manifest (``settings_from_record``)."""
    record = asdict(settings)
    record["kpis"] = list(settings.kpis)
    record["overrides"] = list(settings.overrides)
    record["uncertainties"] = [asdict(u) for u in settings.uncertainties]
    return record


def settings_from_record(record: dict[str, Any]) -> Settings:
    """Rebuild the settings stored in a folder's manifest."""
    return Settings(
        method=str(record["method"]),
        samples=int(record["samples"]),
        replications=int(record["replications"]),
        kpis=tuple(record["kpis"]),
        by_year=record.get("by_year"),
        policy=str(record["policy"]),
        root_seed=int(record["root_seed"]),
        small=bool(record["small"]),
        overrides=tuple(record["overrides"]),
        uncertainties=tuple(Uncertainty(**u) for u in record["uncertainties"]),
    )
