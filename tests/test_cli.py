"""The command line: one run writes a complete folder; bad input is refused in one line."""

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from sim.compose import compose_config, expand_sweeps
from sim.errors import UserError

SMALL = [
    "market.n_customers=1500",
    "workforce.n_employees=15",
    "run.weeks=60",
    "run.progress=false",
]


def run_sim(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sim", "run", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def test_run_writes_a_complete_folder(tmp_path):
    result = run_sim(
        *SMALL, f"run.results_dir={tmp_path}", "run.transaction_log=true", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    folders = list((tmp_path / "runs").iterdir())
    assert len(folders) == 1
    folder = folders[0]
    assert f"results: {folder.resolve()}" in result.stdout
    for name in (
        "config.yaml",
        "overrides.yaml",
        "weekly.parquet",
        "weekly.csv",
        "customers.parquet",
        "employees.parquet",
        "transactions.parquet",
        "summary.json",
        "report.md",
        "figures/chain.png",
        "figures/customers_by_firm.png",
        "figures/whale_curve.png",
        "figures/profit_by_tier.png",
    ):
        assert (folder / name).is_file(), name
    weekly = pd.read_parquet(folder / "weekly.parquet")
    assert len(weekly) == 60
    pd.testing.assert_frame_equal(
        weekly, pd.read_csv(folder / "weekly.csv"), check_dtype=False, rtol=1e-9
    )
    summary = json.loads((folder / "summary.json").read_text())
    for key in ("npv_profit", "annual_retention", "nps", "employee_turnover", "customers_end"):
        assert key in summary
    log = pd.read_parquet(folder / "transactions.parquet")
    assert list(log.columns) == ["customer_id", "week", "date", "amount"]
    assert log["amount"].sum() == pytest.approx(weekly["revenue"].sum(), rel=1e-9)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "no partial folders"


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ("hr.foo=1", "unknown key 'hr.foo'; allowed keys in hr: wage_premium"),
        ("+hr.bar=2", "unknown key 'hr.bar'; allowed keys in hr"),
        ("servce=tiered", "unknown key 'servce'; allowed keys in the root config"),
        ("hr.wage_premium=abc", "hr.wage_premium: Value 'abc'"),
        ("hr.wage_premium=5", "hr.wage_premium=5.0: out of range; allowed: a number in [-0.5, 2]"),
        ("service=tired", "unknown option 'tired' for service; allowed: tiered, uniform"),
        ("staffing.kind=fire", "staffing.kind: Invalid value 'fire'"),
        ("seed=x", "seed: Value 'x'"),
        ("run.weeks=-1", "run.weeks=-1: out of range"),
        ("market.focal_share=0.9", "market.focal_share + market.competitor_share = 1.53"),
        ("market.network_degree=2.5", "market.network_degree"),
        ("x=[", "could not parse override"),
        ("behaviour.loss_weight=0.5", "behaviour.loss_weight=0.5: out of range"),
        ("staffing.layoff_share=1.5", "staffing.layoff_share=1.5: out of range"),
        ("+changes=[{week:5,set:{hr.perks:3}}]", "changes[0]: unknown key 'hr.perks'"),
        ("+changes=[{week:9999,set:{hr.perks_per_week:3}}]", "changes[0].week=9999"),
        ("+changes=[{week:5,set:{market.n_customers:3}}]", "is fixed when the world is made"),
        ("+changes=[{week:5,set:{run.weeks:3}}]", "cannot change mid-run; allowed"),
        ("+changes=[{week:5,set:{service.kind:gold}}]", "unknown option; allowed: uniform, tiered"),
        ("+hydra.callbacks.x._target_=os.system", "is refused: overrides may not set _target_"),
        ("+hydra.callbacks.x={_target_: subprocess.run}", "may not set _target_"),
        ("policy=no_such_bundle", "unknown option 'no_such_bundle' for policy"),
        ("trial.segment_size=-5", "trial.segment_size=-5: out of range"),
        ("run.burn_in_weeks=1e9", "run.burn_in_weeks"),
        ("service.tier_levels=[1,1]", "service.tier_levels: expected 5 numbers"),
        ("run.transaction_log=maybe", "run.transaction_log: Value 'maybe' is not a valid bool"),
        ("market.n_customers=-5", "market.n_customers=-5: out of range; allowed: a number in"),
        ("hr.perks_per_week=-1", "hr.perks_per_week=-1.0: out of range; allowed: a number in"),
        ("competitors.n_competitors=100", "allowed: a number in [0, 50]"),
        ("market.focal_share=nan", "market.focal_share=nan: not allowed"),
        ("recovery.budget_per_incident=inf", "recovery.budget_per_incident=inf: not allowed"),
        ("+changes=[{week:5,set:{hr.wage_premium:9}}]", "changes[0].hr.wage_premium=9.0"),
        (
            "behaviour.defection_min_per_year=9",
            "behaviour.defection_min_per_year=9: must not exceed "
            "behaviour.defection_max_per_year=1.2; allowed: a number in [0, 1.2]",
        ),
        ("operations.failure_min=0.9", "operations.failure_min=0.9: must not exceed"),
        ("behaviour.detractor_satisfaction=0.95", "behaviour.detractor_satisfaction=0.95"),
    ],
)
def test_bad_config_is_one_clear_line(override, expected):
    with pytest.raises(UserError) as err:
        compose_config([override])
    message = str(err.value)
    assert expected in message
    assert "\n" not in message


def test_bad_config_exits_nonzero_and_writes_nothing(tmp_path):
    result = run_sim("hr.wage_premium=7", f"run.results_dir={tmp_path / 'out'}", cwd=tmp_path)
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines == ["error: hr.wage_premium=7.0: out of range; allowed: a number in [-0.5, 2]"]
    assert not (tmp_path / "out").exists()
    assert list(tmp_path.iterdir()) == [tmp_path / "out"] or not list(tmp_path.iterdir())


def test_multirun_checks_every_swept_value():
    combos = expand_sweeps(["hr=market,perks", "seed=1,2,3"])
    assert ["hr=perks", "seed=1"] in combos
    assert ["hr=market", "seed=3"] in combos
    combos = expand_sweeps(["hr=market,perk"])
    compose_config(combos[0])
    with pytest.raises(UserError, match="unknown option 'perk' for hr"):
        compose_config(combos[1])


def test_every_option_of_every_group_composes():
    root = Path(__file__).resolve().parent.parent / "configs"
    for group in sorted(p for p in root.iterdir() if p.is_dir() and p.name != "hydra"):
        for option in sorted(group.glob("*.yaml")):
            compose_config([f"{group.name}={option.stem}"])


@pytest.mark.parametrize(
    ("module", "command"),
    [
        ("sim.research.clv", "clv"),
        ("sim.research.sensitivity", "sensitivity"),
        ("sim.research.optimise", "optimise"),
        ("sim.research.ema", "ema"),
        ("sim.research.loops", "loops"),
        ("sim.bench", "bench"),
    ],
)
def test_tool_packages_run_as_modules(module, command):
    """``python -m <tool package>`` is ``sim <command>`` (each package has a __main__)."""
    result = subprocess.run(
        [sys.executable, "-m", module, "--help"],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"usage: sim {command}")
