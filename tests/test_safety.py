"""Hostile and careless input at the configuration edge: one clear message each.

Each case names the field and what is allowed; the CLI turns the message into one line
(tests/test_cli.py) before anything is written.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from sim.config import MONEY_MAX, ConfigError, SimConfig, StaffingKind, validate

REPO = Path(__file__).resolve().parent.parent


def config_with(**fields: object) -> SimConfig:
    cfg = SimConfig()
    for dotted, value in fields.items():
        group, _, name = dotted.partition("__")
        if name:
            setattr(getattr(cfg, group), name, value)
        else:
            cfg = dataclasses.replace(cfg, **{group: value})
    return cfg


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"seed": -1}, r"seed=-1: out of range; allowed: an integer in \[0, 2\^63 - 1\]"),
        ({"seed": 2**70}, r"seed=1180591620717411303424: out of range"),
        ({"run__name": "x/../../../../elsewhere/pwn"}, r"run.name='x/\.\./.*not a safe folder"),
        ({"run__name": "../../etc"}, r"run.name='\.\./\.\./etc': not a safe folder name"),
        ({"run__name": ".."}, r"run.name='\.\.': not a safe folder name"),
        ({"run__name": "two\nlines"}, r"run.name='two\\nlines': not a safe folder name"),
        ({"run__name": ""}, r"run.name='': not a safe folder name"),
        ({"run__results_dir": ""}, r"run.results_dir='': allowed: a folder path"),
        ({"run__results_dir": "a\nb"}, r"run.results_dir='a\\nb': allowed: a folder path"),
        ({"run__results_dir": "README.md"}, r"run.results_dir='README.md': is a file"),
        ({"run__start_date": "notadate"}, r"run.start_date='notadate': not a date"),
        ({"hr__perks_per_week": 1e308}, r"hr.perks_per_week=1e\+308: out of range; allowed"),
        ({"market__spend_median": 1e308}, r"market.spend_median=1e\+308: out of range"),
        ({"market__spend_median": float("nan")}, r"market.spend_median=nan: not allowed"),
        (
            {
                "staffing__kind": StaffingKind.layoff,
                "run__weeks": 104,
                "staffing__layoff_week": 104,
            },
            r"staffing.layoff_week=104: must be within the horizon; allowed: a week in \[0, 103\]",
        ),
        (
            {"market__n_customers": 3000, "staffing__min_headcount": 100_000},
            r"staffing.min_headcount=100000: more staff than people in the market; "
            r"allowed: at most 3000",
        ),
    ],
)
def test_bad_value_gets_one_clear_message(fields, message, monkeypatch):
    monkeypatch.chdir(REPO)  # where README.md is a file, not a folder
    with pytest.raises(ConfigError, match=message):
        validate(config_with(**fields))


@pytest.mark.parametrize("name", ["default", "layoff_spiral", "s1.v2", "A-b_c", "_x"])
def test_ordinary_names_are_accepted(name):
    validate(config_with(run__name=name))


def test_money_ceiling_is_in_the_message():
    with pytest.raises(ConfigError, match=re.escape(f"allowed: a number in [0, {MONEY_MAX:g}]")):
        validate(config_with(workforce__market_wage_per_week=MONEY_MAX * 10))
