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


# ---------------------------------------------------------------- the command line


def sim_main(args: list[str], where: Path, capsys) -> tuple[int, list[str]]:
    """Run ``sim ARGS`` in-process in ``where``; return the status and stderr's lines."""
    import os

    from sim.cli import main

    cwd = Path.cwd()
    os.chdir(where)
    try:
        status = main(args)
    finally:
        os.chdir(cwd)
    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    return status, lines


def written(where: Path) -> list[str]:
    return sorted(str(p.relative_to(where)) for p in where.rglob("*"))


SMOKE_RUN = ["run.weeks=4", "run.burn_in_weeks=0", "market.n_customers=200"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["+hydra.callbacks.x._target_=sim.output.os.makedirs", "+hydra.callbacks.x.name=PWN"],
            "is refused: overrides may not set _target_",
        ),
        (
            [
                "hydra.job.name=shutil.copyfile",
                "+hydra.callbacks.x._target_=${hydra.job.name}",
                f"+hydra.callbacks.x.src={REPO / 'README.md'}",
                "+hydra.callbacks.x.dst=PWN",
            ],
            "is refused: overrides may not set _target_",
        ),
        (["+hydra.callbacks.x={_target_: subprocess.run}"], "may not set _target_"),
        (["hydra.callbacks=null"], "may not set _target_ or hydra.callbacks"),
        (["-cd", "/tmp"], "'-cd' is refused: configuration comes only from configs/"),
        (["seed=-1"], "seed=-1: out of range"),
        (["-m", "seed=-1,2"], "seed=-1: out of range"),  # a sweep exited 0 into ./multirun
        (["run.name=x/../../../../elsewhere/pwn"], "not a safe folder name"),
        (["run.name=../../etc"], "not a safe folder name"),
        (["run.results_dir="], "run.results_dir=''"),
        (["run.transaction_log=true", "run.start_date=notadate"], "not a date"),
        (["hr.perks_per_week=1e308"], "hr.perks_per_week=1e+308: out of range"),
        (["market.spend_median=1e308"], "market.spend_median=1e+308: out of range"),
    ],
)
def test_sim_run_refuses_in_one_line_and_writes_nothing(args, message, tmp_path, capsys):
    status, lines = sim_main(["run", *SMOKE_RUN, *args], tmp_path, capsys)
    assert status == 2
    assert len(lines) == 1
    assert message in lines[0]
    assert written(tmp_path) == []  # no results folder, no PWN file or folder


SCENARIO = "question: Does it work?\npolicies: [baseline, profit_cuts]\nsmoke: {weeks: 8}\n"


@pytest.mark.parametrize(
    ("text", "extra", "message"),
    [
        (SCENARIO.encode("utf-8") + b"# caf\xe9\n", [], "not UTF-8 text (byte"),
        (SCENARIO.replace("{weeks: 8}", "{weeks: abc}"), [], "smoke.weeks='abc'"),
        (SCENARIO.replace("{weeks: 8}", "5"), [], "smoke=5: expected a mapping"),
        (SCENARIO + f"root_seed: {2**70}\n", [], "root_seed=1180591620717411303424"),
        (SCENARIO.replace("profit_cuts]", "baseline]"), [], "'baseline' is listed more"),
        (SCENARIO + "headline: profit\n", [], "headline='profit': must be one of"),
        (SCENARIO + "metrics: [nps, happiness]\n", [], "unknown KPI 'happiness'"),
        (SCENARIO, ["--jobs", "0"], "--jobs=0: allowed: -1 (all cores) or a number >= 1"),
        (SCENARIO, ["seed=5"], "'seed=5': a study sets seed itself"),
        (SCENARIO, ["policy=baseline"], "'policy=baseline': a study sets policy itself"),
        (SCENARIO, ["world=x", "+hydra.callbacks.x._target_=os.system"], "may not set _target_"),
        (
            SCENARIO.replace(
                "policies:", "world: ['+hydra.callbacks.x._target_=os.system']\npolicies:"
            ),
            [],
            "may not set _target_",
        ),
    ],
)
def test_sim_study_refuses_in_one_line_and_writes_nothing(text, extra, message, tmp_path, capsys):
    scenario = tmp_path / "scenario.yaml"
    if isinstance(text, bytes):
        scenario.write_bytes(text)
    else:
        scenario.write_text(text, encoding="utf-8")
    results = tmp_path / "results"
    args = ["study", str(scenario), "--smoke", "--results-dir", str(results), *extra]
    status, lines = sim_main(args, tmp_path, capsys)
    assert status == 2
    assert len(lines) == 1
    assert message in lines[0]
    assert written(tmp_path) == ["scenario.yaml"]


@pytest.fixture(scope="module")
def finished_study(tmp_path_factory):
    """A tiny finished study: one policy, one replication, eight weeks."""
    import subprocess
    import sys

    where = tmp_path_factory.mktemp("study")
    (where / "tiny.yaml").write_text(
        "question: Does it run?\npolicies: [baseline]\nsmoke: {weeks: 8, replications: 1}\n",
        encoding="utf-8",
    )
    done = subprocess.run(
        [sys.executable, "-m", "sim", "study", "tiny.yaml", "--smoke", "--launcher", "basic",
         "--results-dir", "results"],
        cwd=where, capture_output=True, text=True, check=False, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    (folder,) = (where / "results" / "tiny").iterdir()
    return where, folder


def copy_of(study: tuple[Path, Path], tmp_path: Path) -> Path:
    import shutil

    folder = tmp_path / "copy"
    shutil.copytree(study[1], folder)
    return folder


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--replications", "50"], "--resume with --replications: a resumed study keeps"),
        (["hr.perks_per_week=500"], "--resume with overrides: a resumed study keeps"),
        (["--smoke"], "--resume with --smoke"),
    ],
)
def test_resume_refuses_settings_it_would_ignore(finished_study, extra, message, tmp_path, capsys):
    folder = copy_of(finished_study, tmp_path)
    before = written(tmp_path)
    scenario = str(finished_study[0] / "tiny.yaml")
    status, lines = sim_main(["study", scenario, "--resume", str(folder), *extra], tmp_path, capsys)
    assert status == 2
    assert len(lines) == 1
    assert message in lines[0]
    assert written(tmp_path) == before


def test_truncated_manifest_is_one_line_under_aggregate_and_resume(
    finished_study, tmp_path, capsys
):
    folder = copy_of(finished_study, tmp_path)
    manifest = folder / "manifest.yaml"
    manifest.write_text(manifest.read_text()[: len(manifest.read_text()) // 3] + "\n  - [")
    before = written(tmp_path)
    scenario = str(finished_study[0] / "tiny.yaml")
    for args in (["aggregate", str(folder)], ["study", scenario, "--resume", str(folder)]):
        status, lines = sim_main(args, tmp_path, capsys)
        assert status == 2
        assert len(lines) == 1
        assert "manifest.yaml: unreadable" in lines[0] or "not the manifest" in lines[0]
    assert written(tmp_path) == before


def test_corrupt_table_is_one_line_under_aggregate_and_rerun_on_resume(
    finished_study, tmp_path, capsys
):
    folder = copy_of(finished_study, tmp_path)
    (weekly,) = folder.glob("runs/*/*/weekly.parquet")
    weekly.write_bytes(b"PAR1 this is not a parquet file")
    status, lines = sim_main(["aggregate", str(folder)], tmp_path, capsys)
    assert status == 2
    assert len(lines) == 1
    assert "a table is unreadable" in lines[0]
    assert "--resume" in lines[0]
    scenario = str(finished_study[0] / "tiny.yaml")
    status, _ = sim_main(
        ["study", scenario, "--resume", str(folder), "--launcher", "basic"], tmp_path, capsys
    )
    assert status == 0
    import pandas as pd

    assert len(pd.read_parquet(weekly)) == 8  # the broken run was run again


def test_atomically_written_files_are_readable_by_colleagues(tmp_path):
    """mkstemp's files are 0600; a manifest or report on shared storage must not be."""
    import os

    from sim.output import current_umask, write_text_atomically

    target = tmp_path / "manifest.yaml"
    write_text_atomically(target, "a: 1\n")
    plain = tmp_path / "plain.txt"
    plain.write_text("x")
    assert target.stat().st_mode & 0o777 == plain.stat().st_mode & 0o777
    assert target.stat().st_mode & 0o777 == 0o666 & ~current_umask()
    assert os.access(target, os.R_OK)


def test_a_run_that_cannot_fit_on_disk_is_refused_before_it_starts(tmp_path, capsys, monkeypatch):
    """5 million people with a transaction log: about 7 GB that nobody was warned of."""
    import sim.footprint

    monkeypatch.setattr(sim.footprint, "free_disk_mb", lambda folder: 2_000.0)
    args = ["run", "market.n_customers=5000000", "run.transaction_log=true"]
    status, lines = sim_main(args, tmp_path, capsys)
    assert status == 2
    assert len(lines) == 1
    assert "one run needs about 7.0 GB" in lines[0]
    assert "only 2.0 GB is free" in lines[0]
    assert written(tmp_path) == []


def test_a_study_that_cannot_fit_in_memory_names_the_jobs_that_would(tmp_path, capsys, monkeypatch):
    import sim.footprint

    monkeypatch.setattr(sim.footprint, "available_memory_mb", lambda: 1_000.0)
    scenario = tmp_path / "scenario.yaml"
    scenario.write_text(SCENARIO, encoding="utf-8")
    args = ["study", str(scenario), "--smoke", "--jobs", "4", "--results-dir", "results"]
    status, lines = sim_main(args, tmp_path, capsys)
    assert status == 2
    assert len(lines) == 1
    assert "4 runs at once need about" in lines[0]
    assert "allowed: --jobs 2 or fewer" in lines[0]
    assert written(tmp_path) == ["scenario.yaml"]


@pytest.mark.parametrize("count", ["0", "20000"])
def test_replications_are_bounded(count, tmp_path, capsys):
    scenario = tmp_path / "scenario.yaml"
    scenario.write_text(SCENARIO, encoding="utf-8")
    args = ["study", str(scenario), "--replications", count, "--results-dir", "results"]
    status, lines = sim_main(args, tmp_path, capsys)
    assert status == 2
    assert f"--replications={count}: allowed: a whole number in [1, 10000]" in lines[0]
    assert written(tmp_path) == ["scenario.yaml"]


def test_progress_reads_a_small_file_not_the_manifest(tmp_path):
    from sim.manifest import read_progress, write_manifest

    write_manifest(tmp_path, {"cells": [{"seed": s} for s in range(5000)], "started_unix": 7.0})
    assert read_progress(tmp_path) == (5000, 7.0)
    assert (tmp_path / "progress.json").stat().st_size < 100


def test_ctrl_c_on_a_study_names_the_runs_kept_and_how_to_resume(tmp_path, capsys, monkeypatch):
    """It used to say "no partial results were kept" while finished runs were kept.

    Ctrl-C is a KeyboardInterrupt raised wherever the sweep happens to be; here it is
    raised after two runs have finished, so the test does not depend on timing.
    """
    import sim.experiments.study

    def two_runs_then_ctrl_c(sweep, folder, **kwargs):
        for seed in (1, 2):
            run = folder / "runs" / "baseline" / f"s{seed}"
            run.mkdir(parents=True)
            (run / "summary.json").write_text("{}")
        raise KeyboardInterrupt

    monkeypatch.setattr(sim.experiments.study, "multirun", two_runs_then_ctrl_c)
    (tmp_path / "s.yaml").write_text(SCENARIO, encoding="utf-8")
    with pytest.raises(SystemExit) as stop:
        sim_main(["study", "s.yaml", "--smoke", "--results-dir", "results"], tmp_path, capsys)
    assert stop.value.code == 130
    line = capsys.readouterr().err.strip().splitlines()[-1]
    assert line.startswith("interrupted: 2 of 4 runs finished and are kept in results/s/")
    assert "finish the study with: sim study s.yaml --resume results/s/" in line


def test_sigkill_of_a_study_leaves_no_worker_running(tmp_path):
    """Killed with SIGKILL, a study's joblib workers used to run on (and idle for minutes)."""
    import os
    import signal
    import subprocess
    import sys
    import time

    (tmp_path / "s.yaml").write_text(
        "question: Does it stop?\npolicies: [baseline, profit_cuts]\n"
        "smoke: {weeks: 400, replications: 6}\n",
        encoding="utf-8",
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "sim", "study", "s.yaml", "--smoke", "--jobs", "2",
         "--results-dir", "results"],
        cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.time() + 180
    while time.time() < deadline and len(list(tmp_path.glob("results/**/summary.json"))) < 2:
        time.sleep(0.05)
    children = subprocess.run(
        ["pgrep", "-P", str(proc.pid)], capture_output=True, text=True, check=False
    ).stdout.split()
    assert children, "the study should have started its workers"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    deadline = time.time() + 15
    alive = children
    while time.time() < deadline and alive:
        time.sleep(0.2)
        alive = [pid for pid in children if Path(f"/proc/{pid}").exists()]
    assert alive == []


def test_a_large_run_says_what_it_will_take_before_it_starts(tmp_path, capsys, monkeypatch):
    import sim.footprint

    monkeypatch.setattr(sim.footprint, "LARGE_MB", 0.0)  # every run counts as large
    from sim.compose import check_overrides

    check_overrides([*SMOKE_RUN, f"run.results_dir={tmp_path}"], multirun=False)
    line = capsys.readouterr().out.strip()
    assert line.endswith("1 run: about 375 MB of memory each (1 at once) and 1 MB on disk")
    assert written(tmp_path) == []
