"""Manifests: the YAML file in a results folder that says what made it and how to redo it.

Every tool writes one (a study's ``manifest.yaml``, a design sweep's ``design.yaml``, a
sensitivity analysis's ``sensitivity.yaml``, ...) with its own settings; what they all
record the same way comes from here: the code revision, the software versions, and
reading and writing the file atomically.
"""

from __future__ import annotations

import platform
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from sim.config import ConfigError
from sim.output import write_text_atomically

MANIFEST = "manifest.yaml"
CODE_DIR = Path(__file__).resolve().parent.parent


def git_revision() -> tuple[str, bool]:
    """Short git revision of the code and whether tracked files differ from it."""
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=CODE_DIR,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = bool(
            subprocess.run(
                ["git", "status", "--porcelain", "--untracked-files=no"],
                cwd=CODE_DIR,
                capture_output=True,
                text=True,
                check=True,
            ).stdout.strip()
        )
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
    """Write ``data`` as ``folder/name`` atomically, keys in their given order."""
    path = folder / name
    write_text_atomically(path, yaml.safe_dump(dict(data), sort_keys=False))
    return path


def read_manifest(
    folder: Path, name: str = MANIFEST, kind: str = "a study folder"
) -> dict[str, Any]:
    """Read ``folder/name``.

    Args:
        folder: The results folder.
        name: The manifest's file name.
        kind: What such a folder is, for the error ("a study folder").

    Raises:
        ConfigError: the folder has no such manifest, or it is not a mapping.
    """
    path = folder / name
    if not path.is_file():
        raise ConfigError(f"{folder}: no {name}; is this {kind}?")
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: not the manifest of {kind}")
    return data
