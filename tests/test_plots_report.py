"""Figures and the Markdown report of a run, including empty and degenerate tables."""

from __future__ import annotations

import math
import struct
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from sim import SimConfig, run_once
from sim.config import PolicyChange
from sim.kpis import format_money, format_rate
from sim.plots import (
    make_run_figures,
    plot_chain,
    plot_customers_by_firm,
    plot_profit_by_tier,
    plot_whale_curve,
    plot_workforce,
    policy_weeks_of,
    save,
)
from sim.report import format_kpis, write_run_report
from sim.results import RunResult

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
FIGURE_NAMES = [
    "chain.png",
    "customers_by_firm.png",
    "whale_curve.png",
    "profit_by_tier.png",
    "workforce.png",
]


def small_config(weeks: int) -> SimConfig:
    cfg = SimConfig()
    cfg.market.n_customers = 1500
    cfg.workforce.n_employees = 15
    cfg.run.weeks = weeks
    return cfg


@pytest.fixture(scope="module")
def run() -> RunResult:
    cfg = small_config(60)
    cfg.changes = [PolicyChange(week=30, set={"hr.perks_per_week": 40.0})]
    return run_once(cfg, seed=3)


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from the IHDR chunk, which also proves the header is sound."""
    head = path.read_bytes()[:24]
    assert head[:8] == PNG_SIGNATURE, f"{path.name} is not a PNG"
    assert head[12:16] == b"IHDR"
    width, height = struct.unpack(">II", head[16:24])
    return int(width), int(height)


def assert_valid_pngs(paths: list[Path], min_bytes: int) -> None:
    assert [p.name for p in paths] == FIGURE_NAMES
    for path in paths:
        assert path.is_file()
        assert path.stat().st_size > min_bytes, path.name
        width, height = png_size(path)
        assert width > 300
        assert height > 300
    # No temporary files are left behind by the atomic writes.
    assert not list(paths[0].parent.glob("*.tmp*"))


def test_run_figures_and_report(run: RunResult, tmp_path: Path) -> None:
    policy_weeks = [week for week, _ in run.policy_log]
    assert policy_weeks == [30]
    paths = make_run_figures(run.weekly, run.customers, tmp_path, policy_weeks)
    assert_valid_pngs(paths, min_bytes=15_000)

    report = write_run_report(
        tmp_path,
        run.summary,
        paths,
        "seed: 3\nrun:\n  weeks: 60\n",
        question="Do perks pay for themselves?",
    )
    assert report == tmp_path / "report.md"
    text = report.read_text(encoding="utf-8")
    assert text.startswith("# Run report")
    assert "Do perks pay for themselves?" in text
    npv = format_money(run.summary["npv_profit"])
    assert "net present value of profit" in text
    assert npv in text
    headline = text.split("## Key figures")[0]
    assert npv in headline
    assert format_rate(run.summary["annual_retention"]) in headline
    for path in paths:
        assert f"]({path.name})" in text
    assert "<details>" in text
    assert "weeks: 60" in text
    assert not list(tmp_path.glob("*.tmp"))


def test_policy_weeks_from_the_weekly_column(run: RunResult) -> None:
    assert policy_weeks_of(run.weekly) == [30]


def test_zero_weeks(tmp_path: Path) -> None:
    result = run_once(small_config(0), seed=3)
    assert result.weekly.empty
    paths = make_run_figures(result.weekly, result.customers, tmp_path)
    assert_valid_pngs(paths, min_bytes=5_000)
    report = write_run_report(tmp_path, result.summary, paths, "run:\n  weeks: 0\n")
    text = report.read_text(encoding="utf-8")
    assert "Over 0 weeks" in text
    assert "n/a" in text


def test_empty_customer_ledger(run: RunResult, tmp_path: Path) -> None:
    empty = run.customers.iloc[0:0]
    paths = make_run_figures(run.weekly, empty, tmp_path)
    assert_valid_pngs(paths, min_bytes=5_000)
    fully_empty = pd.DataFrame()
    assert isinstance(plot_whale_curve(fully_empty), Figure)
    assert isinstance(plot_profit_by_tier(fully_empty), Figure)


def test_all_nan_and_missing_columns(run: RunResult, tmp_path: Path) -> None:
    weekly = run.weekly.copy()
    for name in ("service_quality", "profit", "customer_retention_annualised"):
        weekly[name] = np.nan
    weekly = weekly.drop(columns=["week", "hires", "policy_change"])
    customers = run.customers.assign(lifetime_profit=np.nan)
    paths = make_run_figures(weekly, customers, tmp_path)
    assert_valid_pngs(paths, min_bytes=5_000)
    assert isinstance(plot_chain(pd.DataFrame()), Figure)
    assert isinstance(plot_customers_by_firm(pd.DataFrame()), Figure)
    assert isinstance(plot_workforce(pd.DataFrame()), Figure)


def test_losses_only_whale_curve(run: RunResult) -> None:
    losses = run.customers.assign(lifetime_profit=-1.0 - run.customers.index)
    assert isinstance(plot_whale_curve(losses), Figure)
    zero_total = pd.DataFrame({"lifetime_profit": [5.0, -5.0]})
    assert isinstance(plot_whale_curve(zero_total), Figure)


def test_plot_into_a_callers_figure(run: RunResult) -> None:
    fig = Figure()
    fig.subplots()
    same = plot_chain(run.weekly, fig=fig)
    assert same is fig
    assert len(fig.axes) == 5


def test_save_replaces_atomically(tmp_path: Path) -> None:
    target = tmp_path / "x.png"
    target.write_bytes(b"old")
    fig = Figure(figsize=(2, 2))
    fig.subplots().plot([0, 1], [0, 1])
    assert save(fig, target) == target
    assert target.read_bytes()[:8] == PNG_SIGNATURE
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.png"]


def test_format_kpis_tolerates_missing_and_nan() -> None:
    rows = dict(
        format_kpis(
            {
                "npv_profit": 1234567.8,
                "annual_retention": 0.8316,
                "annual_defection": math.nan,
                "nps": np.float64(12.34),
                "customers_end": np.int64(1200),
                "weeks": 104,
                "wall_seconds": 1.234,
                "unknown_key": 3,
            }
        )
    )
    assert rows == {
        "NPV of profit": "1,234,568",
        "Customer retention, annual": "83.2%",
        "Customer defection, annual": "n/a",
        "Net promoter score (last year)": "+12.3",
        "Customers at end": "1,200",
        "Weeks simulated": "104 (2.0 years)",
        "Wall time": "1.2 s",
    }
    assert format_kpis({}) == []


def test_report_with_empty_summary_and_no_figures(tmp_path: Path) -> None:
    run_dir = tmp_path / "new" / "run"
    report = write_run_report(run_dir, {}, [], "a: ```odd```\n")
    text = report.read_text(encoding="utf-8")
    assert "No KPIs were recorded" in text
    assert "No figures were made" in text
    # The config's own backticks must not close the fence early.
    assert "````yaml" in text
