"""Lint and strict type checking run as part of the test command."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def _tool(name: str) -> str:
    path = BIN / name
    if path.exists():
        return str(path)
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed; install the test extras: pip install -e '.[test]'")
    return found


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, check=False)


def test_ruff_lint():
    result = _run(_tool("ruff"), "check", "sim", "tests", "scripts")
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format():
    result = _run(_tool("ruff"), "format", "--check", "sim", "tests", "scripts")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_strict_on_sim():
    result = _run(_tool("mypy"), "sim")
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_doctest_in_sim_passes():
    """The examples in docstrings are part of the documentation: they must stay true.

    (pytest collects doctests from tests/ only, so the package's are run here.)
    """
    import doctest
    import importlib
    import pkgutil

    import sim

    failed, attempted = [], 0
    for info in pkgutil.walk_packages(sim.__path__, "sim."):
        if info.name.endswith("__main__"):
            continue
        result = doctest.testmod(importlib.import_module(info.name), optionflags=doctest.ELLIPSIS)
        attempted += result.attempted
        if result.failed:
            failed.append(info.name)
    assert not failed, failed
    assert attempted > 200
