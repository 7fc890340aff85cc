"""The parameter tables of docs/ODD.md, generated from the metadata in ``sim.config``.

Every parameter is declared once, with its range, unit, source and meaning, in
``sim/config.py``; this module turns those declarations into Markdown so the ODD
document never restates a default by hand. Regenerate with ``python -m sim.paramtable``.
"""

from __future__ import annotations

import argparse
import dataclasses
import enum
import sys
from collections.abc import Iterator, Sequence
from dataclasses import Field
from pathlib import Path
from typing import Any

import pandas as pd

from sim.config import SimConfig
from sim.markdown import markdown_table
from sim.output import write_text_atomically

__all__ = [
    "BEGIN_MARKER",
    "COLUMNS",
    "END_MARKER",
    "ODD_PATH",
    "format_range",
    "format_value",
    "groups",
    "main",
    "parameter_rows",
    "parameter_table",
    "parameters_block",
    "replace_block",
]

BEGIN_MARKER = "<!-- parameters:begin -->"
END_MARKER = "<!-- parameters:end -->"
ODD_PATH = Path(__file__).resolve().parent.parent / "docs" / "ODD.md"

COLUMNS: tuple[str, ...] = ("key", "default", "range", "unit", "source", "meaning")
_HEADERS = ("Key", "Default", "Range", "Unit", "Source", "Meaning")


def format_value(value: object) -> str:
    """Format a default compactly: enums by name, lists in brackets, floats short.

    Booleans are written as Hydra overrides take them (``true``/``false``).

    >>> format_value(0.1), format_value(9 / 11), format_value(10_000), format_value(2.0)
    ('0.1', '0.818182', '10000', '2')
    >>> format_value([1.0, 1.0, 1.0, 1.0, 1.0])
    '[1, 1, 1, 1, 1]'
    >>> format_value(True), format_value("results")
    ('true', 'results')
    """
    if isinstance(value, enum.Enum):
        return value.name
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return f"{value:.6g}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(format_value(v) for v in value) + "]"
    return str(value)


def format_range(lo: float | None, hi: float | None, default: object = None) -> str:
    """Format the allowed range: ``[lo, hi]``, ``>= lo``, ``<= hi``, or empty.

    An enum's range is the set of its options.

    >>> format_range(0, 1), format_range(0, None), format_range(None, None)
    ('[0, 1]', '>= 0', '')
    """
    if isinstance(default, enum.Enum):
        return "{" + ", ".join(m.name for m in type(default)) + "}"
    if lo is not None and hi is not None:
        return f"[{format_value(lo)}, {format_value(hi)}]"
    if lo is not None:
        return f">= {format_value(lo)}"
    if hi is not None:
        return f"<= {format_value(hi)}"
    return ""


def _is_node(value: object) -> bool:
    return dataclasses.is_dataclass(value) and not isinstance(value, type)


def groups(config: SimConfig | None = None) -> list[str]:
    """Names of the config groups, in the order ``SimConfig`` declares them.

    >>> groups()[:3]
    ['market', 'behaviour', 'operations']
    """
    cfg = config if config is not None else SimConfig()
    return [f.name for f in dataclasses.fields(cfg) if _is_node(getattr(cfg, f.name))]


def _leaves(node: object, prefix: str) -> Iterator[tuple[str, Field[Any], object]]:
    """Yield (full key, field, value) for every leaf field below ``node``."""
    if not dataclasses.is_dataclass(node) or isinstance(node, type):
        raise TypeError(f"{prefix or 'config'}: not a dataclass instance")
    for f in dataclasses.fields(node):
        value = getattr(node, f.name)
        key = f"{prefix}{f.name}"
        if _is_node(value):
            yield from _leaves(value, key + ".")
        else:
            yield key, f, value


def parameter_rows(group: str | None = None) -> list[dict[str, str]]:
    """One row per parameter of ``SimConfig()`` (or of one group), as strings.

    Each row has the keys of ``COLUMNS``: the full key (``workforce.quit_per_year``),
    the default, the allowed range, the unit, the source (a stylized-fact id such as
    ``SF24``, a section of the notes, or ``assumption``) and the meaning.

    Args:
        group: a config group such as ``"workforce"``; all groups when omitted.

    Raises:
        KeyError: if ``group`` is not a config group.

    >>> row = parameter_rows("workforce")[0]
    >>> row["key"], row["default"], row["unit"]
    ('workforce.n_employees', '100', 'people')
    """
    cfg = SimConfig()
    names = groups(cfg)
    if group is not None:
        if group not in names:
            raise KeyError(f"unknown group '{group}'; groups: {', '.join(names)}")
        names = [group]
    rows: list[dict[str, str]] = []
    for name in names:
        for key, f, value in _leaves(getattr(cfg, name), name + "."):
            meta = f.metadata
            rows.append(
                {
                    "key": key,
                    "default": format_value(value),
                    "range": format_range(meta.get("min"), meta.get("max"), value),
                    "unit": str(meta.get("unit", "")),
                    "source": str(meta.get("source", "")),
                    "meaning": str(meta.get("doc", "")),
                }
            )
    return rows


def _cell(text: str, code: bool = False) -> str:
    text = text.replace("|", r"\|").replace("\n", " ")
    return f"`{text}`" if code and text else text


def parameter_table(group: str | None = None) -> str:
    """A Markdown table of the parameters of one group (all groups when omitted).

    >>> parameter_table("pricing").splitlines()[0]
    '| Key | Default | Range | Unit | Source | Meaning |'
    """
    cells = [
        [
            _cell(row["key"], code=True),
            _cell(row["default"], code=True),
            _cell(row["range"]),
            _cell(row["unit"]),
            _cell(row["source"]),
            _cell(row["meaning"]),
        ]
        for row in parameter_rows(group)
    ]
    return markdown_table(pd.DataFrame(cells, columns=list(_HEADERS))) + "\n"


def parameters_block() -> str:
    """The text that belongs between the markers: one headed table per group."""
    cfg = SimConfig()
    parts = [
        "<!-- Generated from sim/config.py by `python -m sim.paramtable`; "
        "do not edit by hand. -->\n"
    ]
    for name in groups(cfg):
        doc = (type(getattr(cfg, name)).__doc__ or "").strip().splitlines()
        title = doc[0].rstrip(".") if doc else ""
        heading = f"### `{name}`" + (f": {title}" if title else "")
        parts.append(f"{heading}\n\n{parameter_table(name)}")
    return "\n".join(parts)


def replace_block(text: str, block: str) -> str:
    r"""Return ``text`` with everything between the markers replaced by ``block``.

    Raises:
        ValueError: if the markers are missing, repeated or out of order.

    >>> doc = "intro\n<!-- parameters:begin -->\nold\n<!-- parameters:end -->\n"
    >>> replace_block(doc, "new").splitlines()
    ['intro', '<!-- parameters:begin -->', 'new', '<!-- parameters:end -->']
    """
    if text.count(BEGIN_MARKER) != 1 or text.count(END_MARKER) != 1:
        raise ValueError(f"expected exactly one {BEGIN_MARKER} and one {END_MARKER}")
    start = text.index(BEGIN_MARKER) + len(BEGIN_MARKER)
    end = text.index(END_MARKER)
    if end < start:
        raise ValueError(f"{END_MARKER} comes before {BEGIN_MARKER}")
    body = block if block.endswith("\n") else block + "\n"
    return text[:start] + "\n" + body + text[end:]


def main(argv: Sequence[str] | None = None) -> int:
    """Rewrite the parameter tables in docs/ODD.md (or only check them).

    Args:
        argv: command-line arguments (``sys.argv[1:]`` when omitted).

    Returns:
        The exit status: 0 when the file is (now) up to date, 1 when ``--check``
        found it stale.
    """
    prog = "python -m sim.paramtable"
    parser = argparse.ArgumentParser(prog=prog, description=main.__doc__)
    parser.add_argument("--path", type=Path, default=ODD_PATH, help="ODD document")
    parser.add_argument(
        "--check",
        action="store_true",
        help="exit 1 if the tables are stale; write nothing",
    )
    args = parser.parse_args(argv)
    path: Path = args.path
    text = path.read_text(encoding="utf-8")
    new = replace_block(text, parameters_block())
    if new == text:
        print(f"{path}: parameter tables are up to date")
        return 0
    if args.check:
        print(f"{path}: parameter tables are stale; run python -m sim.paramtable")
        return 1
    write_text_atomically(path, new)
    print(f"{path}: parameter tables rewritten ({len(parameter_rows())} parameters)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
