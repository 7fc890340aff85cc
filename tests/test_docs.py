"""docs/ODD.md's parameter tables match sim/config.py; every parameter is documented."""

from __future__ import annotations

import dataclasses

import pytest

from sim import paramtable
from sim.config import SimConfig


def test_odd_parameter_tables_are_in_sync_with_config():
    text = paramtable.ODD_PATH.read_text(encoding="utf-8")
    expected = paramtable.replace_block(text, paramtable.parameters_block())
    assert text == expected, (
        "docs/ODD.md parameter tables are stale: run `python -m sim.paramtable`"
    )


def test_every_parameter_has_a_unit_or_meaning_and_a_source():
    rows = paramtable.parameter_rows()
    bare = [r["key"] for r in rows if not (r["unit"].strip() or r["meaning"].strip())]
    unsourced = [r["key"] for r in rows if not r["source"].strip()]
    assert not bare, f"give these a unit= or doc= in sim/config.py: {bare}"
    assert not unsourced, f"give these a source= in sim/config.py: {unsourced}"


def test_rows_cover_every_field_of_every_group_once():
    cfg = SimConfig()
    rows = paramtable.parameter_rows()
    keys = [r["key"] for r in rows]
    assert len(keys) == len(set(keys))
    groups = paramtable.groups(cfg)
    assert groups == [
        "market",
        "behaviour",
        "operations",
        "workforce",
        "competitors",
        "service",
        "staffing",
        "hr",
        "recovery",
        "acquisition",
        "pricing",
        "trial",
        "feedback",
        "run",
    ]
    fields = {g: dataclasses.fields(getattr(cfg, g)) for g in groups}
    expected = {f"{g}.{f.name}" for g in groups for f in fields[g]}
    assert set(keys) == expected
    assert all(set(r) == set(paramtable.COLUMNS) for r in rows)


def test_each_group_table_has_a_row_per_parameter():
    for group in paramtable.groups():
        lines = paramtable.parameter_table(group).splitlines()
        assert len(lines) == 2 + len(paramtable.parameter_rows(group))
        assert all(line.startswith("| `" + group + ".") for line in lines[2:])


def test_unknown_group_is_an_error():
    with pytest.raises(KeyError, match="unknown group"):
        paramtable.parameter_rows("nonsense")


def test_main_rewrites_a_stale_file_and_check_reports_it(tmp_path):
    doc = tmp_path / "ODD.md"
    block = f"{paramtable.BEGIN_MARKER}\nold table\n{paramtable.END_MARKER}"
    doc.write_text(f"# ODD\n\n{block}\n\nAfter.\n", encoding="utf-8")
    assert paramtable.main(["--path", str(doc), "--check"]) == 1
    assert "old table" in doc.read_text(encoding="utf-8")
    assert paramtable.main(["--path", str(doc)]) == 0
    text = doc.read_text(encoding="utf-8")
    assert "old table" not in text
    assert "| `workforce.quit_per_year` |" in text
    assert text.startswith("# ODD\n\n")
    assert text.endswith("\n\nAfter.\n")
    assert paramtable.main(["--path", str(doc), "--check"]) == 0
    assert [p.name for p in tmp_path.iterdir()] == ["ODD.md"]  # no temporary file left


def test_missing_markers_are_an_error():
    with pytest.raises(ValueError, match="exactly one"):
        paramtable.replace_block("no markers here\n", "table\n")
