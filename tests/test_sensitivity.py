"""Global sensitivity analysis: the command, well-formed indices, a driver found, bad input."""

import math
import shutil
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from sim.research import sensitivity as sa
from sim.research.uncertainties import Uncertainty

# Employee quits are drawn from workforce.quit_per_year; the onboarding cost is only
# charged, and under the baseline policy nothing reacts to profit, so it cannot move
# turnover at all. Referral conversion acts on customers.
UNCERTAINTIES = """\
uncertainties:
  - key: workforce.quit_per_year
    range: [0.05, 0.5]
    source: drives turnover
  - key: acquisition.onboarding_cost
    range: [50, 300]
    source: a cost, nothing else
  - key: behaviour.referral_conversion
    range: [0.05, 0.2]
    source: customers only
"""
TINY = ["market.n_customers=300", "workforce.n_employees=10", "run.weeks=104"]
TINY += ["run.burn_in_weeks=13"]
KPIS = ("employee_turnover", "npv_profit", "annual_retention")


@pytest.fixture(scope="module")
def sobol_run(tmp_path_factory):
    """One small Sobol analysis (3 parameters, N=4, one seed: 20 runs) shared by the tests.

    N=4 is far too few for usable indices; it is enough for a parameter that does all
    the work and two that do none (common random numbers make "none" exactly zero).
    (N=2, two base points, left the one driver's index at the mercy of those two.)
    """
    root = tmp_path_factory.mktemp("sensitivity")
    (root / "uncertainties.yaml").write_text(UNCERTAINTIES)
    args = ["--samples", "4", "--replications", "1", "--kpis", ",".join(KPIS)]
    args += ["--uncertainties", str(root / "uncertainties.yaml"), "--launcher", "basic"]
    args += ["--results-dir", str(root / "results"), *TINY]
    result = subprocess.run(
        [sys.executable, "-m", "sim.research.sensitivity", *args],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    (folder,) = (root / "results" / "sensitivity").iterdir()
    return folder, result.stdout


def test_command_writes_indices_figures_and_report(sobol_run):
    folder, stdout = sobol_run
    assert folder.name.endswith("_sobol")
    assert f"report: {(folder / 'report.md').resolve()}" in stdout
    assert "| workforce.quit_per_year |" in stdout  # the first KPI's table is printed
    for name in ("indices.csv", "indices_by_year.csv", "kpi_noise.csv", "design.csv"):
        assert (folder / name).is_file(), name
    for kpi in KPIS:
        assert (folder / f"tornado_{kpi}.png").stat().st_size > 5000
    assert (folder / "by_year_profit.png").stat().st_size > 5000
    report = (folder / "report.md").read_text()
    assert report.startswith("# Global sensitivity (Sobol)")
    assert "Runs: 20 of 20 finished" in report
    # N = 4 and one seed per point: both flagged (issue 20).
    assert "**Statistical flag:** Sobol with N = 4 base samples" in report
    assert "**Statistical flag:** one seed per point" in report
    assert "![annual employee turnover](tornado_employee_turnover.png)" in report
    assert len(list((folder / "runs" / "baseline").glob("p*/s*/summary.json"))) == 20


def test_indices_are_well_formed(sobol_run):
    folder, _ = sobol_run
    indices = pd.read_csv(folder / "indices.csv")
    assert len(indices) == len(KPIS) * 3
    assert list(indices["kpi"].unique()) == list(KPIS)
    values = indices[["S1", "S1_conf", "ST", "ST_conf"]].to_numpy()
    assert np.isfinite(values).all()
    assert (indices["S1_conf"] >= 0).all()
    assert (indices["ST_conf"] >= 0).all()
    assert (indices["ST"] >= -1e-12).all()
    # ST >= S1 holds for the true indices; the estimates may cross only within their CIs.
    assert (indices["ST"] >= indices["S1"] - indices["S1_conf"] - indices["ST_conf"]).all()
    row = indices[indices["parameter"] == "acquisition.onboarding_cost"].iloc[0]
    assert (row["low"], row["high"], row["source"]) == (50, 300, "a cost, nothing else")
    for _, table in indices.groupby("kpi"):
        assert table["ST"].is_monotonic_decreasing  # sorted, most influential first


def test_the_driver_of_turnover_ranks_first_and_a_cost_only_parameter_gets_nothing(sobol_run):
    folder, _ = sobol_run
    indices = pd.read_csv(folder / "indices.csv")
    turnover = indices[indices["kpi"] == "employee_turnover"].set_index("parameter")
    assert turnover["ST"].idxmax() == "workforce.quit_per_year"
    assert turnover.loc["workforce.quit_per_year", "ST"] > 0.3
    assert turnover.loc["acquisition.onboarding_cost", "ST"] < 0.01
    assert turnover.loc["acquisition.onboarding_cost", "ST_conf"] < 0.01


def test_indices_by_year_cover_every_whole_year(sobol_run):
    folder, _ = sobol_run
    by_year = pd.read_csv(folder / "indices_by_year.csv")
    assert set(by_year["kpi"]) == {"profit"}
    assert sorted(by_year["year"].unique()) == [1, 2]
    assert (by_year.groupby("year")["parameter"].nunique() == 3).all()
    assert np.isfinite(by_year[["S1", "ST", "ST_conf"]].to_numpy()).all()


def test_resume_reanalyses_a_finished_folder_without_running_and_reproducibly(
    sobol_run, tmp_path, capsys
):
    folder = tmp_path / "copy"
    shutil.copytree(sobol_run[0], folder)
    before = pd.read_csv(folder / "indices.csv")
    (folder / "indices.csv").unlink()
    assert sa.main(["--resume", str(folder), "--by-year", "none"]) == 0
    assert "20 runs, 0 to do" in capsys.readouterr().out
    # The bootstrap is seeded: the same runs give the same intervals, not just the same indices.
    pd.testing.assert_frame_equal(pd.read_csv(folder / "indices.csv"), before)
    assert "## Year by year" not in (folder / "report.md").read_text()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--kpis", "npv"], "--kpis: unknown KPI 'npv'; allowed: npv_profit,"),
        (["--samples", "6"], "--samples=6: Sobol needs a power of 2"),
        (["--replications", "0"], "--replications=0: a whole number >= 1"),
        (["--by-year", "retention"], "--by-year=retention: allowed: profit, npv_profit"),
        (["workforce.quit_per_year=0.2"], "fixes workforce.quit_per_year, which the design"),
        (["--resume", ".", "--method", "morris"], "--resume takes the design from the folder"),
    ],
)
def test_bad_input_is_one_clear_line(args, message, tmp_path, capsys):
    assert sa.main([*args, "--results-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ")
    assert message in err
    assert err.count("\n") == 1
    assert not any(tmp_path.iterdir())  # nothing written


# ------------------------------------------------- the analysis on known functions


def settings(method: str, samples: int) -> sa.Settings:
    return sa.Settings(
        method=method,
        samples=samples,
        replications=1,
        kpis=("npv_profit",),
        by_year=None,
        policy="baseline",
        root_seed=3,
        small=False,
        overrides=(),
        uncertainties=tuple(Uncertainty(k, 0.0, 1.0) for k in ("a", "b", "c")),
    )


@pytest.mark.parametrize("method", sa.METHODS)
def test_analysis_finds_the_known_ranking_of_a_linear_function(method):
    s = settings(method, 64)
    unit = sa.unit_sample(s)
    assert len(unit) == s.points
    y = 4 * unit[:, 0] + unit[:, 1]  # c does nothing; a matters 16 times as much as b
    table = sa.analyse(s, unit, y).set_index("parameter")
    if method == "sobol":
        assert table.loc["a", "S1"] == pytest.approx(16 / 17, abs=0.1)
        assert table.loc["c", "ST"] == 0
        assert table.loc["a", "ST"] > table.loc["b", "ST"] > 0
    else:
        assert table.loc["a", "mu_star"] == pytest.approx(4)
        assert table.loc["b", "mu_star"] == pytest.approx(1)
        assert table.loc["c", "mu_star"] == 0
    pd.testing.assert_frame_equal(sa.analyse(s, unit, y), sa.analyse(s, unit, y))
    shown = table.reset_index().assign(kpi="npv_profit", low=0.0, high=1.0, source="")
    assert isinstance(sa.tornado(shown, "npv_profit", s), Figure)
    assert "| a | 0–1 |" in "\n".join(sa.indices_markdown(shown, s))


def test_a_constant_kpi_gets_no_indices_rather_than_an_error():
    s = settings("sobol", 4)
    table = sa.analyse(s, sa.unit_sample(s), np.ones(s.points))
    assert table["ST"].isna().all()


def test_noise_separates_the_common_seed_offset_from_noise():
    rng = np.random.default_rng(1)
    points, seeds = 30, 3
    effect = rng.normal(0, 1, points)
    offset = np.array([0.0, 5.0, -5.0])
    rows = [
        {"point": p, "seed": s, "kpi": effect[p] + offset[s]}
        for p in range(points)
        for s in range(seeds)
    ]
    runs = pd.DataFrame(rows)
    clean = sa.noise(runs, "kpi")
    assert clean["noise_share_mean"] == pytest.approx(0, abs=1e-12)
    assert clean["sd_seed_offset"] == pytest.approx(5, rel=0.01)
    runs["kpi"] += rng.normal(0, 1, len(runs))  # as much noise per run as signal
    noisy = sa.noise(runs, "kpi")
    assert 0.3 < noisy["noise_share_run"] < 0.7
    assert 0.1 < noisy["noise_share_mean"] < noisy["noise_share_run"]
    assert math.isnan(sa.noise(runs[runs["seed"] == 0], "kpi")["noise_share_mean"])
