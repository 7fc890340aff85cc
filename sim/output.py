"""Writing a run's folder: all or nothing.

Files are written into a hidden ``.<name>.partial-<pid>`` folder beside the final one
and the folder is renamed into place only when complete, so a crash, a Ctrl-C or a
full disk leaves either a whole run folder or none. Existing folders are never
overwritten: a clash gets a numbered suffix.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import shutil
import tempfile
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from numpy.typing import NDArray

from sim.results import RunResult

TRANSACTION_CHUNK_ROWS = 250_000


def write_text_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a unique temporary file and a rename.

    Readers see the old file or the new one, never half of one; the temporary file is
    removed if anything fails.
    """
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        # mkstemp makes the file private (0600); give it the mode any other file gets here
        # (0666 less the umask), so colleagues on shared storage can read it.
        os.fchmod(fd, 0o666 & ~current_umask())
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def current_umask() -> int:
    """The process's umask (reading it means setting it: it is set straight back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def timestamp() -> str:
    """UTC time stamp used in folder names (sortable, filesystem-safe)."""
    return dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S")


def unique_path(path: Path) -> Path:
    """``path`` if free, else ``path-2``, ``path-3``, ...: never an existing folder."""
    if not path.exists():
        return path
    n = 2
    while path.with_name(f"{path.name}-{n}").exists():
        n += 1
    return path.with_name(f"{path.name}-{n}")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_partials(parent: Path) -> list[Path]:
    """Delete hidden partial folders left by processes that were killed outright.

    A SIGKILL leaves no chance to clean up; the next writer in the same place does it.
    Partials of processes still running are left alone.
    """
    removed = []
    for path in parent.glob(".*.partial-*"):
        pid = path.name.rsplit("-", 1)[-1]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed


class AtomicFolder:
    """A folder that appears at ``final`` only when the ``with`` block succeeds."""

    def __init__(self, final: Path) -> None:
        self.final = final
        self.partial = final.with_name(f".{final.name}.partial-{os.getpid()}")

    def __enter__(self) -> AtomicFolder:
        self.final.parent.mkdir(parents=True, exist_ok=True)
        remove_stale_partials(self.final.parent)
        if self.partial.exists():
            shutil.rmtree(self.partial)
        self.partial.mkdir()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is not None:
            shutil.rmtree(self.partial, ignore_errors=True)
            return
        target = unique_path(self.final)
        try:
            os.rename(self.partial, target)
        except OSError:
            shutil.rmtree(self.partial, ignore_errors=True)
            raise
        self.final = target


class TransactionLog:
    """Streams purchases to Parquet in chunks, so memory does not grow with the run.

    Columns: ``customer_id``, ``week``, ``date`` (week start) and ``amount``.
    """

    SCHEMA = pa.schema(
        [
            ("customer_id", pa.int64()),
            ("week", pa.int32()),
            ("date", pa.date32()),
            ("amount", pa.float64()),
        ]
    )

    def __init__(self, path: Path, start_date: str) -> None:
        self.path = path
        self.start = np.datetime64(dt.date.fromisoformat(start_date), "D")
        self._writer = pq.ParquetWriter(str(path), self.SCHEMA)
        self._parts: list[tuple[int, NDArray[np.int64], NDArray[np.float64]]] = []
        self._rows = 0
        self.total_rows = 0

    def __call__(self, week: int, ids: NDArray[np.int64], amounts: NDArray[np.float64]) -> None:
        """Receive one week's purchases (the model's transaction sink)."""
        self._parts.append((week, ids.copy(), amounts.copy()))
        self._rows += ids.size
        if self._rows >= TRANSACTION_CHUNK_ROWS:
            self.flush()

    def flush(self) -> None:
        """Write buffered rows as one row group."""
        if not self._parts:
            return
        ids = np.concatenate([p[1] for p in self._parts])
        weeks = np.concatenate([np.full(p[1].size, p[0], dtype=np.int32) for p in self._parts])
        amounts = np.concatenate([p[2] for p in self._parts])
        dates = self.start + weeks.astype("timedelta64[D]") * 7
        table = pa.table(
            {"customer_id": ids, "week": weeks, "date": dates, "amount": amounts},
            schema=self.SCHEMA,
        )
        self._writer.write_table(table)
        self.total_rows += ids.size
        self._parts.clear()
        self._rows = 0

    def close(self) -> None:
        """Flush and close the file."""
        self.flush()
        self._writer.close()


def _json_safe(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, np.generic):
        return _json_safe(value.item())
    return value


def write_json(path: Path, data: dict[str, Any]) -> None:
    """Write JSON (NaN and infinity become null, as JSON has no such numbers)."""
    clean = {k: _json_safe(v) for k, v in data.items()}
    path.write_text(json.dumps(clean, indent=2, sort_keys=False) + "\n", encoding="utf-8")


def write_tables(folder: Path, result: RunResult) -> None:
    """Write the weekly table (Parquet and CSV), both ledgers and the summary."""
    result.weekly.to_parquet(folder / "weekly.parquet", index=False)
    result.weekly.to_csv(folder / "weekly.csv", index=False)
    result.customers.to_parquet(folder / "customers.parquet", index=False)
    result.employees.to_parquet(folder / "employees.parquet", index=False)
    write_json(folder / "summary.json", result.summary)
    changes = [{"week": week, "set": change} for week, change in result.policy_log]
    (folder / "policy_changes.json").write_text(
        json.dumps(changes, indent=2, default=str) + "\n", encoding="utf-8"
    )


def read_run(folder: Path) -> RunResult:
    """Read a run folder back into its tables."""
    changes = json.loads((folder / "policy_changes.json").read_text(encoding="utf-8"))
    return RunResult(
        weekly=pd.read_parquet(folder / "weekly.parquet"),
        customers=pd.read_parquet(folder / "customers.parquet"),
        employees=pd.read_parquet(folder / "employees.parquet"),
        summary=json.loads((folder / "summary.json").read_text(encoding="utf-8")),
        policy_log=[(c["week"], c["set"]) for c in changes],
    )
