"""A class on disk: the teacher's settings and pace, and every group's decisions and rounds.

A teacher opens a class under a short code; groups join it by typing the code and their
name. Everything lives in files under ``results/classes/<code>/``, so a reloaded page or a
restarted server finds the class as it was:

- ``class.json``: the starting world every group plays, and which round is open;
- ``groups/<group>/group.json``: the group's name, seed, week reached and decisions;
- ``groups/<group>/rounds.csv`` and ``weekly.parquet``: its results beside its twin.

A group's world is not pickled: it is rebuilt from its seed and decisions (the model is
deterministic given both), which keeps the files small, readable and valid across
versions of the model's internals. This module knows nothing of Solara.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json
import os
import re
import secrets
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from sim.dashboard.controls import NO_SCENARIO

__all__ = [
    "CLASSES_DIR_ENV",
    "ClassRoom",
    "ClassSettings",
    "ClassState",
    "ClassroomError",
    "GroupLink",
    "GroupRecord",
    "StaleGroupError",
    "classes_dir",
    "group_slug",
    "normalise_code",
]

CLASSES_DIR_ENV = "SPC_CLASSES_DIR"
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I to misread
CODE_LENGTH = 5
MAX_GROUP_NAME = 30

# Groups joining at the same moment must not get the same seed or overwrite each other.
_LOCK = threading.RLock()


class ClassroomError(ValueError):
    """A class or group cannot be opened as asked; the message says why."""


class StaleGroupError(ClassroomError):
    """Another screen of the same group has played on since this one loaded it."""


def classes_dir() -> Path:
    """Where classes are kept: ``$SPC_CLASSES_DIR``, else ``results/classes`` of the server."""
    env = os.environ.get(CLASSES_DIR_ENV)
    return Path(env) if env else Path("results") / "classes"


def normalise_code(code: str) -> str:
    """A class code as stored: upper case, letters and digits only.

    >>> normalise_code(" abc-12 ")
    'ABC12'
    """
    return re.sub(r"[^A-Z0-9]", "", code.upper())


def group_slug(name: str) -> str:
    """A group's folder name: lower case letters, digits and dashes.

    >>> group_slug("  Team Red! "), group_slug("Équipe 2")
    ('team-red', 'quipe-2')
    """
    return re.sub(r"[^a-z0-9]+", "-", name.strip().lower()).strip("-")


@dataclass(frozen=True)
class ClassSettings:
    """The starting world of every group in a class.

    Args:
        scenario_name: Scenario of ``scenarios/`` (``NO_SCENARIO``: the schema's world).
        n_customers: People in the market.
        n_employees: Initial headcount.
        first_seed: The first group's seed.
        seed_per_group: Each group gets the next seed (``first_seed``, +1, ...): every
            group measures its own effect against its own twin, and comparing groups shows
            which effects are robust. False: every group plays the same world.
    """

    scenario_name: str = NO_SCENARIO
    n_customers: int = 3000
    n_employees: int = 30
    first_seed: int = 0
    seed_per_group: bool = True


@dataclass(frozen=True)
class ClassState:
    """A class as the teacher set it.

    Args:
        code: The code students type.
        settings: The groups' starting world.
        open_round: Groups may play rounds up to this one (0: none yet).
        closed: The teacher has closed the open round: nobody may play for now.
        created: When the class was opened (ISO time).
    """

    code: str
    settings: ClassSettings
    open_round: int = 0
    closed: bool = False
    created: str = ""

    def may_play(self, round_number: int) -> bool:
        """Whether a group may play round ``round_number`` now."""
        return not self.closed and round_number <= self.open_round


@dataclass(frozen=True)
class GroupRecord:
    """What a group has done, enough to rebuild its world.

    Args:
        name: As the group typed it.
        seed: Its world's seed.
        week: Weeks played.
        decisions: ``[(week, {key: value})]`` in the order made: the model's
            ``policy_log``.
        joined: When the group joined (ISO time).
    """

    name: str
    seed: int
    week: int = 0
    decisions: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    joined: str = ""

    @property
    def slug(self) -> str:
        """The group's folder name."""
        return group_slug(self.name)


def _now() -> str:
    # Microseconds: groups joining within a second still list in the order they joined.
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")


def _write_atomic(path: Path, data: bytes) -> None:
    """Write a file so that readers see the old or the new version, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _json_bytes(data: Any) -> bytes:
    return (json.dumps(data, indent=1, sort_keys=True) + "\n").encode()


def _plain(value: Any) -> Any:
    """A decision's value as JSON holds it (enums by name)."""
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return getattr(value, "name", value)


class ClassRoom:
    """One class's folder.

    Args:
        root: The folder holding all classes.
        code: The class code.
    """

    def __init__(self, root: Path, code: str) -> None:
        self.root = root
        self.code = normalise_code(code)
        self.path = root / self.code

    # ------------------------------------------------------------ opening

    @classmethod
    def create(cls, settings: ClassSettings, root: Path | None = None, code: str = "") -> ClassRoom:
        """Open a new class (a fresh code unless one is given).

        Raises:
            ClassroomError: the given code is taken or not usable.
        """
        root = classes_dir() if root is None else root
        with _LOCK:
            if code:
                room = cls(root, code)
                if not room.code:
                    raise ClassroomError("a class code needs letters or digits")
                if room.exists():
                    raise ClassroomError(f"class {room.code} exists already: open it instead")
            else:
                while True:
                    room = cls(
                        root, "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
                    )
                    if not room.exists():
                        break
            room._write_state(ClassState(room.code, settings, created=_now()))
        return room

    @classmethod
    def open(cls, code: str, root: Path | None = None) -> ClassRoom:
        """An existing class.

        Raises:
            ClassroomError: there is no class with this code.
        """
        room = cls(classes_dir() if root is None else root, code)
        if not room.code or not room.exists():
            raise ClassroomError(f"no class with code {code.strip()!r}: check it with your teacher")
        return room

    def exists(self) -> bool:
        """Whether the class has been opened."""
        return (self.path / "class.json").is_file()

    # --------------------------------------------------------------- state

    def state(self) -> ClassState:
        """The class as it is on disk now."""
        data = json.loads((self.path / "class.json").read_text(encoding="utf-8"))
        return ClassState(
            code=data["code"],
            settings=ClassSettings(**data["settings"]),
            open_round=int(data["open_round"]),
            closed=bool(data["closed"]),
            created=str(data.get("created", "")),
        )

    def _write_state(self, state: ClassState) -> None:
        _write_atomic(self.path / "class.json", _json_bytes(dataclasses.asdict(state)))

    def open_round(self, round_number: int) -> ClassState:
        """Let groups play up to ``round_number``."""
        with _LOCK:
            state = dataclasses.replace(self.state(), open_round=round_number, closed=False)
            self._write_state(state)
        return state

    def close_round(self) -> ClassState:
        """Stop all play (for a discussion) until the next round is opened."""
        with _LOCK:
            state = dataclasses.replace(self.state(), closed=True)
            self._write_state(state)
        return state

    # -------------------------------------------------------------- groups

    def _group_dir(self, slug: str) -> Path:
        return self.path / "groups" / slug

    def join(self, name: str) -> GroupRecord:
        """A group of this class by name: its record if it joined before, else a new one.

        Raises:
            ClassroomError: the name is empty or too long.
        """
        name = " ".join(name.split())
        if not group_slug(name):
            raise ClassroomError("type your group's name (letters or digits)")
        if len(name) > MAX_GROUP_NAME:
            raise ClassroomError(f"a group name has at most {MAX_GROUP_NAME} characters")
        with _LOCK:
            existing = self.group(group_slug(name))
            if existing is not None:
                return existing
            settings = self.state().settings
            seed = settings.first_seed + (len(self.groups()) if settings.seed_per_group else 0)
            record = GroupRecord(name=name, seed=seed, joined=_now())
            self._write_record(record)
        return record

    def group(self, slug: str) -> GroupRecord | None:
        """A group's record, or None if no such group joined."""
        path = self._group_dir(slug) / "group.json"
        if not path.is_file():
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
        return GroupRecord(
            name=data["name"],
            seed=int(data["seed"]),
            week=int(data["week"]),
            decisions=[(int(w), dict(c)) for w, c in data["decisions"]],
            joined=str(data.get("joined", "")),
        )

    def groups(self) -> list[GroupRecord]:
        """Every group of the class, in the order they joined."""
        folder = self.path / "groups"
        found = [self.group(p.name) for p in sorted(folder.iterdir())] if folder.is_dir() else []
        return sorted((g for g in found if g is not None), key=lambda g: (g.joined, g.name))

    def _write_record(self, record: GroupRecord) -> None:
        data = dataclasses.asdict(record)
        data["decisions"] = [
            [week, {k: _plain(v) for k, v in change.items()}] for week, change in record.decisions
        ]
        _write_atomic(self._group_dir(record.slug) / "group.json", _json_bytes(data))

    def save_group(
        self,
        record: GroupRecord,
        rounds: pd.DataFrame,
        weekly: pd.DataFrame,
        played_from: int,
    ) -> None:
        """Store a group's progress: its record, rounds table and weekly table.

        Args:
            record: The group's record after the round.
            rounds: Its rounds table (``DashboardModel.rounds``).
            weekly: Its weekly table, students and twin (``weekly_table``).
            played_from: The week the group's screen had reached before this round.

        Raises:
            StaleGroupError: the stored group has moved on from ``played_from`` (another
                screen of the same group played meanwhile): reload to continue from there.
        """
        with _LOCK:
            stored = self.group(record.slug)
            if stored is not None and stored.week != played_from:
                raise StaleGroupError(
                    f"group {stored.name} has played on to week {stored.week} on another "
                    "screen: reload this page to continue from there"
                )
            folder = self._group_dir(record.slug)
            _write_atomic(folder / "rounds.csv", rounds.to_csv(index=False).encode())
            buffer = io.BytesIO()
            weekly.to_parquet(buffer, index=False)
            _write_atomic(folder / "weekly.parquet", buffer.getvalue())
            self._write_record(record)

    def save_decisions(self, record: GroupRecord) -> None:
        """Store decisions made before the next round is played (they survive a reload)."""
        with _LOCK:
            self._write_record(record)

    def rounds(self, slug: str) -> pd.DataFrame:
        """A group's rounds table (empty before its first round)."""
        path = self._group_dir(slug) / "rounds.csv"
        if not path.is_file():
            return pd.DataFrame()
        # A round without decisions has an empty cell: text, not a missing number.
        return pd.read_csv(path, dtype={"decisions": str}).fillna({"decisions": ""})

    # -------------------------------------------------------------- export

    def all_rounds(self) -> pd.DataFrame:
        """Every group's rounds in one table: ``class``, ``group``, ``seed``, then its columns."""
        frames = []
        for g in self.groups():
            table = self.rounds(g.slug)
            if table.empty:
                continue
            table.insert(0, "seed", g.seed)
            table.insert(0, "group", g.name)
            table.insert(0, "class", self.code)
            frames.append(table)
        if not frames:
            return pd.DataFrame(columns=["class", "group", "seed", "round"])
        return pd.concat(frames, ignore_index=True)

    def export_csv(self) -> str:
        """Every group's rounds as one CSV."""
        return str(self.all_rounds().to_csv(index=False))

    def export_parquet(self) -> bytes:
        """Every group's rounds as one Parquet file."""
        buffer = io.BytesIO()
        self.all_rounds().to_parquet(buffer, index=False)
        return buffer.getvalue()


@dataclass(frozen=True)
class GroupLink:
    """A session that belongs to a group of a class (None for a student alone)."""

    room: ClassRoom
    record: GroupRecord
