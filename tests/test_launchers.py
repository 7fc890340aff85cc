"""Launchers: a smoke study gives the joblib KPIs on submitit_local and on a Ray cluster.

A launcher this machine cannot run (no Slurm, the Ray extra not installed) is one line,
before anything is written. The studies are a tiny world (300 people, 30 weeks,
2 policies x 2 replications); still the file takes 84-91 s on the shared 2-core machine
(~50 s of CPU), mostly start-up: Python, loky, submitit or Ray workers, the Ray head and
each study's figures.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import pytest

SCENARIO = "tiered_vs_uniform"  # two policies: 4 runs with 2 replications
TINY = ["run.weeks=30", "market.n_customers=300", "workforce.n_employees=3"]

# Ray on loopback only: RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0 makes Ray use 127.0.0.1 as
# the node address (on Linux it otherwise takes the machine's network address); no token
# file in ~/.ray, no usage statistics sent.
RAY_ENV = {
    "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0",
    "RAY_AUTH_MODE": "disabled",
    "RAY_USAGE_STATS_ENABLED": "0",
}


def sim(*args: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 240):
    return subprocess.run(
        [sys.executable, "-m", "sim", *args],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
    )


def tiny_study(launcher: str, cwd: Path, *extra: str, env: dict[str, str] | None = None):
    """Run the tiny study with ``launcher`` in ``cwd``; return its folder."""
    result = sim(
        "study", SCENARIO, "--smoke", "--launcher", launcher, "--jobs", "2",
        "--results-dir", "results", *TINY, *extra, cwd=cwd, env=env,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    # Nothing outside the study's folder: no .submitit/, multirun/ or outputs/ in the cwd.
    assert sorted(p.name for p in cwd.iterdir()) == ["results"]
    (folder,) = (cwd / "results" / SCENARIO).iterdir()
    return folder


def assert_same_results(folder: Path, reference: Path) -> None:
    for table in ("kpis.csv", "summary.csv"):
        pd.testing.assert_frame_equal(
            pd.read_csv(folder / table), pd.read_csv(reference / table), check_exact=True
        )
    pd.testing.assert_frame_equal(
        pd.read_parquet(folder / "runs.parquet"),
        pd.read_parquet(reference / "runs.parquet"),
        check_exact=True,
    )


@pytest.fixture(scope="module")
def joblib_study(tmp_path_factory) -> Path:
    return tiny_study("joblib", tmp_path_factory.mktemp("joblib"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class RayHead:
    """A one-node Ray cluster on 127.0.0.1, started as a user does (``ray start --head``).

    It boots (about 10 s) while the joblib reference study runs; ``address`` waits for it.
    ``--block`` keeps ``ray start`` in the foreground, and stopping that process (by its
    id) stops the processes it started. Ray's session files go to a private temp folder.
    """

    def __init__(self) -> None:
        self.temp = Path(tempfile.mkdtemp(prefix="ray-"))  # short: socket paths are bounded
        self.port = free_port()
        self.log = self.temp / "head.log"
        with self.log.open("w") as out:
            self.process = subprocess.Popen(
                [str(Path(sys.executable).with_name("ray")), "start", "--head", "--block",
                 "--port", str(self.port), "--num-cpus", "2", "--include-dashboard", "false",
                 "--disable-usage-stats", "--ray-client-server-port", str(free_port()),
                 "--dashboard-agent-listen-port", str(free_port()),
                 "--temp-dir", str(self.temp / "r")],
                stdout=out, stderr=subprocess.STDOUT, env={**os.environ, **RAY_ENV},
                start_new_session=True,
            )  # fmt: skip

    def address(self, timeout: float = 120) -> str:
        deadline = time.monotonic() + timeout
        while "Ray runtime started" not in self.log.read_text():
            assert self.process.poll() is None, self.log.read_text()[-3000:]
            assert time.monotonic() < deadline, self.log.read_text()[-3000:]
            time.sleep(0.5)
        return f"127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)  # the group this test started
            self.process.wait()
        shutil.rmtree(self.temp, ignore_errors=True)


@pytest.fixture(scope="module")
def ray_head():
    head = RayHead()
    try:
        yield head
    finally:
        head.stop()


# First in the file, and ray_head before joblib_study: the head boots during that study.
def test_a_ray_cluster_gives_the_joblib_kpis(ray_head, joblib_study, tmp_path):
    address = ray_head.address()
    folder = tiny_study(
        "ray_cluster", tmp_path, f"hydra.launcher.ray.init.address={address}", env=RAY_ENV
    )
    assert_same_results(folder, joblib_study)
    ray_head.stop()  # now, not at the end of the file: an idle cluster still costs CPU


def test_submitit_local_gives_the_joblib_kpis_and_keeps_its_files_in_the_study(
    joblib_study, tmp_path
):
    folder = tiny_study("submitit_local", tmp_path)
    assert_same_results(folder, joblib_study)
    # Job pickles and logs under the study's own folder, and no literal "%j" folder.
    assert len(list((folder / "submitit").glob("*_0_log.out"))) == 4
    assert not [p for p in tmp_path.rglob("*") if "%j" in p.name or p.name == ".submitit"]


def assert_refused_in_one_line(launcher: str, message: str, cwd: Path, monkeypatch, capsys):
    """A study and a user's own sweep on ``launcher``: one line, status 2, nothing written."""
    from sim.cli import main

    monkeypatch.chdir(cwd)
    study = ["study", SCENARIO, "--smoke", "--results-dir", "results", "--launcher", launcher]
    for args in (study, ["run", "-m", f"hydra/launcher={launcher}", "seed=1,2"]):
        status = main(args)
        out, err = capsys.readouterr()
        assert status == 2, out + err
        assert err.splitlines() == [f"error: launcher '{launcher}' needs {message}"]
        assert out == ""
        assert list(cwd.iterdir()) == []  # no study folder, no multirun/ folder


def test_slurm_without_slurm_is_one_line_and_writes_nothing(
    tmp_path, tmp_path_factory, monkeypatch, capsys
):
    # A PATH without Slurm's programs, whatever this machine has.
    monkeypatch.setenv("PATH", str(tmp_path_factory.mktemp("empty_path")))
    missing = (
        "Slurm, but sbatch and srun are not on PATH: run it on a Slurm login node, "
        "or use --launcher joblib on this machine"
    )
    assert_refused_in_one_line("slurm", missing, tmp_path, monkeypatch, capsys)


def test_ray_without_the_ray_extra_is_one_line_with_the_install_command(
    tmp_path, monkeypatch, capsys
):
    # The extra is installed here; None in sys.modules is how Python marks a module that
    # cannot be imported, so the check sees what a machine without the extra has.
    monkeypatch.setitem(sys.modules, "hydra_plugins.hydra_ray_launcher", None)
    monkeypatch.setitem(sys.modules, "ray", None)
    missing = (
        "hydra-ray-launcher and ray, not installed here; "
        "install the ray extra: pip install -e '.[ray]'"
    )
    assert_refused_in_one_line("ray_cluster", missing, tmp_path, monkeypatch, capsys)
