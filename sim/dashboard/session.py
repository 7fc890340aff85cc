"""One browser session's world: the students' model and, in classroom rounds, its twin.

``DashboardModel`` wraps a ``ServiceProfitChainModel`` (the world the students manage)
and, in classroom mode, a second one built from the same config and seed that never
receives their decisions (the "no change" twin). Every table it hands to the charts is
the models' own data. Weeks are counted as weekly.csv counts them: the model's week ``w``
(weeks simulated so far) is followed by row ``w + 1``, so a decision made after week 12
applies "from week 13".
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from sim.config import ConfigError, SimConfig
from sim.dashboard.controls import NO_SCENARIO
from sim.dashboard.scenarios import find_scenarios, starting_config
from sim.metrics import MetricsRecorder
from sim.model import ServiceProfitChainModel
from sim.results import customer_ledger
from sim.units import WEEKS_PER_QUARTER

__all__ = [
    "ROUND_METRICS",
    "DashboardModel",
    "Snapshot",
    "decisions_table",
    "parse_seed",
    "rounds_table",
    "weekly_table",
]

WEEKS_PER_ROUND = WEEKS_PER_QUARTER

# Per-round results for the debrief: (metric, how the round's weeks are combined).
ROUND_METRICS: tuple[tuple[str, str], ...] = (
    ("profit", "sum"),
    ("revenue", "sum"),
    ("cumulative_profit", "last"),
    ("customers_focal", "last"),
    ("customer_satisfaction", "mean"),
    ("customer_retention_annualised", "mean"),
    ("service_quality", "mean"),
    ("employee_satisfaction", "mean"),
    ("employee_headcount", "last"),
    ("quits", "sum"),
    ("layoffs", "sum"),
)


def parse_seed(seed: int | str | None, default: int) -> int:
    """The seed typed into the dashboard as an integer (``default`` when blank).

    >>> parse_seed(" 7 ", 0), parse_seed("", 3), parse_seed(None, 3)
    (7, 3, 3)

    Raises:
        ConfigError: the text is not a whole number.
    """
    if seed is None or (isinstance(seed, str) and not seed.strip()):
        return default
    try:
        return int(str(seed).strip())
    except ValueError:
        raise ConfigError(f"seed={seed!r}: not a whole number") from None


def _format_value(value: Any) -> str:
    if isinstance(value, list | tuple):
        return "[" + ", ".join(f"{float(v):g}" for v in value) + "]"
    if isinstance(value, float):
        return f"{value:g}"
    return str(getattr(value, "name", value))


def decisions_table(policy_log: list[tuple[int, dict[str, Any]]]) -> pd.DataFrame:
    """One row per policy value changed: the first week it applied to, key and value.

    ``week`` counts as weekly.csv does: a change made after 13 weeks applies from row 14.
    ``round`` is the classroom round (13 weeks) the change first applied to.

    >>> decisions_table([(13, {"hr.perks_per_week": 50.0})]).values.tolist()
    [[14, 2, 'hr.perks_per_week', '50']]
    """
    rows = [
        {
            "week": week + 1,
            "round": week // WEEKS_PER_ROUND + 1,
            "key": key,
            "value": _format_value(value),
        }
        for week, change in policy_log
        for key, value in change.items()
    ]
    return pd.DataFrame(rows, columns=["week", "round", "key", "value"])


def _round_of(weekly: pd.DataFrame) -> pd.Series[int]:
    # Row ``week == k`` is the k-th simulated week; weeks 1..13 make round 1.
    return (weekly["week"].astype(int) - 1) // WEEKS_PER_ROUND + 1


def _per_round(weekly: pd.DataFrame) -> pd.DataFrame:
    grouped = weekly.groupby(_round_of(weekly))
    return pd.DataFrame({metric: grouped[metric].agg(how) for metric, how in ROUND_METRICS})


def rounds_table(
    weekly: pd.DataFrame,
    twin_weekly: pd.DataFrame,
    policy_log: list[tuple[int, dict[str, Any]]],
) -> pd.DataFrame:
    """Decisions and results of each classroom round, students beside their twin.

    Args:
        weekly: The students' weekly table.
        twin_weekly: The twin's weekly table (same seed, no decisions).
        policy_log: The students' ``policy_log``.

    Returns:
        One row per completed or started round: ``round``, ``first_week``, ``last_week``,
        ``decisions`` (the changes that took effect at the round's start), then for
        each of ``ROUND_METRICS`` the columns ``<metric>_students``, ``<metric>_twin``
        and ``<metric>_difference`` (students minus twin).
    """
    columns = ["round", "first_week", "last_week", "decisions"]
    for metric, _ in ROUND_METRICS:
        columns += [f"{metric}_students", f"{metric}_twin", f"{metric}_difference"]
    if weekly.empty:
        return pd.DataFrame(columns=columns)
    students, twin = _per_round(weekly), _per_round(twin_weekly)
    decided: dict[int, list[str]] = {}
    for week, change in policy_log:
        for key, value in change.items():
            decided.setdefault(week // WEEKS_PER_ROUND + 1, []).append(
                f"{key}={_format_value(value)}"
            )
    weeks = weekly.groupby(_round_of(weekly))["week"].agg(["min", "max"])
    out = pd.DataFrame(
        {
            "round": students.index.astype(int),
            "first_week": weeks["min"].to_numpy(),
            "last_week": weeks["max"].to_numpy(),
            "decisions": ["; ".join(decided.get(int(r), [])) for r in students.index],
        }
    )
    for metric, _ in ROUND_METRICS:
        s = students[metric].to_numpy(dtype=float)
        t = twin[metric].reindex(students.index).to_numpy(dtype=float)
        out[f"{metric}_students"] = s
        out[f"{metric}_twin"] = t
        out[f"{metric}_difference"] = s - t
    return out[columns]


def weekly_table(weekly: pd.DataFrame, twin_weekly: pd.DataFrame | None) -> pd.DataFrame:
    """The weekly tables of the students (and the twin) stacked, with a ``run`` column."""
    frames = [weekly.assign(run="students")]
    if twin_weekly is not None:
        frames.append(twin_weekly.assign(run="twin"))
    table = pd.concat(frames, ignore_index=True)
    return table[["run", *[c for c in table.columns if c != "run"]]]


@dataclass(frozen=True)
class Snapshot:
    """A consistent copy of a session's records, taken between two weeks.

    The weekly tables are built only when read: the charts read a few columns at every
    step of Play (``series``), the rounds table and the downloads the whole table.

    Args:
        version: Increases with every step and policy change (charts redraw on it).
        week: Weeks simulated so far.
        recorder: A copy of the students' weekly metrics recorder.
        policy_log: The students' policy changes ``[(week, {key: value})]``.
        twin_recorder: A copy of the twin's (classroom mode only).
        customers: The students' customer ledger (None unless asked for: building it
            costs more than a week of the model, and only two charts read it).
        twin_customers: The twin's customer ledger (when asked for, classroom mode).
    """

    version: int
    week: int
    recorder: MetricsRecorder
    policy_log: list[tuple[int, dict[str, Any]]]
    twin_recorder: MetricsRecorder | None = None
    customers: pd.DataFrame | None = None
    twin_customers: pd.DataFrame | None = None

    @property
    def classroom(self) -> bool:
        """Whether a no-change twin runs beside the students."""
        return self.twin_recorder is not None

    def series(self, column: str, twin: bool = False) -> NDArray[np.float64]:
        """One weekly metric, a value per week played (the twin's with ``twin``)."""
        recorder = self.twin_recorder if twin else self.recorder
        if recorder is None:
            raise ValueError("this session has no twin")
        return recorder.series(column)

    @functools.cached_property
    def weekly(self) -> pd.DataFrame:
        """The students' weekly table."""
        return self.recorder.frame()

    @functools.cached_property
    def twin_weekly(self) -> pd.DataFrame | None:
        """The twin's weekly table (None outside classroom mode)."""
        return self.twin_recorder.frame() if self.twin_recorder is not None else None

    @property
    def policy_weeks(self) -> list[int]:
        """Weeks after which the students changed a policy (model weeks, from 0)."""
        return sorted({week for week, _ in self.policy_log})


class DashboardModel:
    """The world one browser session drives (Reset builds a new one).

    Args:
        scenario_name: Name of a scenario in ``scenarios/`` for the starting world, or
            ``NO_SCENARIO`` for the schema defaults. (Not ``scenario``: Mesa's own
            ``Model.scenario`` is a different thing.)
        classroom: Classroom rounds: each step is a quarter (13 weeks) and a no-change
            twin on the same seed runs alongside.
        weeks_per_step: Weeks per step in explore mode.
        n_customers: People in the market (None: the scenario's or schema's value).
        n_employees: Initial headcount (None: the scenario's or schema's value).
        seed: The run's seed (text from the dashboard is accepted; blank: config seed).
    """

    def __init__(
        self,
        scenario_name: str = NO_SCENARIO,
        classroom: bool = False,
        weeks_per_step: int = 1,
        n_customers: int | None = None,
        n_employees: int | None = None,
        seed: int | str | None = None,
    ) -> None:
        chosen = None
        if scenario_name and scenario_name != NO_SCENARIO:
            known = find_scenarios()
            if scenario_name not in known:
                raise ConfigError(
                    f"scenario '{scenario_name}': not found; allowed: {', '.join(known) or 'none'}"
                )
            chosen = known[scenario_name]
        cfg = starting_config(chosen, n_customers, n_employees)
        cfg.seed = parse_seed(seed, cfg.seed)
        self.config: SimConfig = cfg
        self.start_scenario = chosen
        self.classroom = bool(classroom)
        self.weeks_per_step = WEEKS_PER_ROUND if self.classroom else max(1, int(weeks_per_step))
        self.world = ServiceProfitChainModel(cfg, rng=cfg.seed)
        self.twin = ServiceProfitChainModel(cfg, rng=cfg.seed) if self.classroom else None
        # Play steps in a worker thread while buttons fire in others: a change lands
        # between two weeks, never inside one.
        self._lock = threading.RLock()
        self._version = 0
        self._snapshot: Snapshot | None = None

    # ------------------------------------------------------------ views

    @property
    def week(self) -> int:
        """Weeks simulated so far."""
        return int(self.world.week)

    @property
    def horizon(self) -> int:
        """The run's horizon in weeks (``run.weeks``); the run stops there."""
        return int(self.config.run.weeks)

    @property
    def round(self) -> int:
        """Completed classroom rounds (quarters)."""
        return self.week // WEEKS_PER_ROUND

    @property
    def policy(self) -> SimConfig:
        """The students' config as it stands now (policies included)."""
        return self.world.config

    def snapshot(self, customers: bool = False) -> Snapshot:
        """The tables as of now (cached until the next step or change).

        Args:
            customers: Include the customer ledgers (students' and twin's).
        """
        with self._lock:
            twin = self.twin
            if self._snapshot is None or self._snapshot.version != self._version:
                self._snapshot = Snapshot(
                    version=self._version,
                    week=self.week,
                    recorder=copy.deepcopy(self.world.metrics),
                    policy_log=[(w, dict(c)) for w, c in self.world.policy_log],
                    twin_recorder=copy.deepcopy(twin.metrics) if twin is not None else None,
                )
            if customers and self._snapshot.customers is None:
                self._snapshot = dataclasses.replace(
                    self._snapshot,
                    customers=customer_ledger(self.world),
                    twin_customers=customer_ledger(twin) if twin is not None else None,
                )
            return self._snapshot

    # ---------------------------------------------------------- actions

    def set_policy(self, change: dict[str, Any]) -> None:
        """Change the students' policies from the next week on (the twin keeps its own).

        Raises:
            ConfigError: a key is not a policy or a value is not allowed.
        """
        with self._lock:
            self.world.set_policy(change)
            self._version += 1

    @property
    def running(self) -> bool:
        """Whether the run has weeks left before its horizon."""
        return self.week < self.horizon

    def step(self) -> None:
        """Advance ``weeks_per_step`` weeks (a round in classroom mode), to the horizon."""
        self.advance(self.weeks_per_step)

    def advance(self, weeks: int) -> None:
        """Advance ``weeks`` weeks (fewer at the horizon)."""
        with self._lock:
            for _ in range(weeks):
                if self.world.week >= self.horizon:
                    break
                self.world.step()
                if self.twin is not None:
                    self.twin.step()
            self._version += 1

    def replay(self, decisions: list[tuple[int, dict[str, Any]]], week: int) -> None:
        """Play a fresh session forward: ``decisions`` at their weeks, up to ``week``.

        The model is deterministic given its config, seed and decisions, so this rebuilds
        exactly the run they were recorded from (a reloaded page, a restarted server).

        Raises:
            ConfigError: the session has already played, or a decision is not allowed.
        """
        if self.week != 0:
            raise ConfigError(f"replay needs a fresh session (this one is at week {self.week})")
        pending = sorted(decisions, key=lambda d: d[0])
        with self._lock:
            while True:
                while pending and pending[0][0] <= self.week:
                    self.world.set_policy(dict(pending.pop(0)[1]))
                if self.week >= min(week, self.horizon):
                    break
                self.advance(1)
            self._version += 1

    # ----------------------------------------------------------- tables

    def rounds(self) -> pd.DataFrame:
        """The classroom rounds table (students beside the twin); empty in explore mode."""
        snap = self.snapshot()
        if snap.twin_weekly is None:
            return rounds_table(snap.weekly.iloc[0:0], snap.weekly.iloc[0:0], [])
        return rounds_table(snap.weekly, snap.twin_weekly, snap.policy_log)

    def decisions(self) -> pd.DataFrame:
        """The students' decisions, one row per changed value."""
        return decisions_table(self.snapshot().policy_log)

    def rounds_csv(self) -> str:
        """The rounds table as CSV text, for the debrief download."""
        return str(self.rounds().to_csv(index=False))

    def decisions_csv(self) -> str:
        """The decisions as CSV text."""
        return str(self.decisions().to_csv(index=False))

    def weekly_csv(self) -> str:
        """The weekly tables (students and twin) as CSV text."""
        snap = self.snapshot()
        return str(weekly_table(snap.weekly, snap.twin_weekly).to_csv(index=False))
