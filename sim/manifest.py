"""Manifests: the YAML file in a results folder that says what made it and how to redo it.

Every tool writes one (a study's ``manifest.yaml``, a design sweep's ``design.yaml``, a
sensitivity analysis's ``sensitivity.yaml``, ...) with its own settings; what they all
record the same way comes from here: the code revision, the software versions, and
reading and writing the file atomically.
"""

from __future__ import annotations

import json
import platform
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from sim.config import ConfigError
from sim.output import write_text_atomically

MANIFEST = "manifest.yaml"
PROGRESS = "progress.json"
# What a study's manifest must hold for a report to be built from it.
STUDY_KEYS = ("scenario", "question", "policies", "baseline", "seeds", "cells", "metrics")
CODE_DIR = Path(__file__).resolve().parent.parent


def git_revision() -> tuple[str, bool]:
    """Short git revision of the code and whether tracked files differ from it."""

    def git(*args: str) -> str:
        done = subprocess.run(
            ["git", *args], cwd=CODE_DIR, capture_output=True, text=True, check=True
        )
        return done.stdout.strip()

    try:
        sha = git("rev-parse", "--short", "HEAD")
        dirty = bool(git("status", "--porcelain", "--untracked-files=no"))
    except (OSError, subprocess.CalledProcessError):
        return "nogit", False
    return sha, dirty


def revision() -> dict[str, Any]:
    """The code revision as a manifest records it: ``{"revision": sha, "dirty": flag}``."""
    sha, dirty = git_revision()
    return {"revision": sha, "dirty": dirty}


def versions(*extras: str) -> dict[str, str]:
    """Versions of the software that produced a folder, plus those of ``extras``.

    Args:
        extras: Distributions a tool depends on beyond the simulator (``"SALib"``);
            each is recorded under its own name, "not installed" if it is not.
    """
    from importlib.metadata import PackageNotFoundError, version

    import hydra
    import mesa
    import numpy
    import pandas

    import sim

    out = {
        "sim": sim.__version__,
        "mesa": mesa.__version__,
        "numpy": numpy.__version__,
        "pandas": pandas.__version__,
        "hydra": hydra.__version__,
        "python": platform.python_version(),
    }
    for name in extras:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "not installed"
    return out


def write_manifest(folder: Path, data: Mapping[str, Any], name: str = MANIFEST) -> Path:
    """Write ``data`` as ``folder/name`` atomically, keys in their given order.

    A sweep's manifest (one with ``cells`` and ``started_unix``) also gets a small
    ``progress.json`` beside it: the progress line printed after every run reads that,
    not the manifest, whose size grows with the sweep (parsing a 5 MB manifest after
    each of thousands of runs made a study quadratic in its size).
    """
    path = folder / name
    write_text_atomically(path, yaml.safe_dump(dict(data), sort_keys=False))
    cells, started = data.get("cells"), data.get("started_unix")
    if cells is not None and started is not None:
        total = cells if isinstance(cells, int) else len(cells)
        progress = {"total": total, "started_unix": started}
        write_text_atomically(folder / PROGRESS, json.dumps(progress) + "\n")
    return path


def read_progress(folder: Path) -> tuple[int, float | None]:
    """A sweep's run count and start time from ``progress.json`` ((0, None) if absent)."""
    try:
        data = json.loads((folder / PROGRESS).read_text(encoding="utf-8"))
        return int(data["total"]), float(data["started_unix"])
    except (OSError, ValueError, KeyError, TypeError):
        return 0, None


def read_manifest(
    folder: Path,
    name: str = MANIFEST,
    kind: str = "a study folder",
    required: Sequence[str] = (),
) -> dict[str, Any]:
    """Read ``folder/name``.

    Args:
        folder: The results folder.
        name: The manifest's file name.
        kind: What such a folder is, for the error ("a study folder").
        required: Keys the manifest must hold (``STUDY_KEYS`` for a study).

    Raises:
        ConfigError: the folder has no such manifest, or it is not a mapping.
    """
    path = folder / name
    if not path.is_file():
        raise ConfigError(f"{folder}: no {name}; is this {kind}?")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ConfigError(
            f"{path}: unreadable ({first}); it may have been cut short: start the "
            "study again in a new folder"
        ) from None
    missing = [key for key in required if not isinstance(data, dict) or key not in data]
    if not isinstance(data, dict) or missing:
        detail = f" (no '{missing[0]}')" if isinstance(data, dict) and missing else ""
        raise ConfigError(f"{path}: not the manifest of {kind}{detail}")
    return data
