"""The Hydra application behind ``sim run``: one job = one run folder."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf
from tqdm import tqdm

from sim.config import SimConfig, validate
from sim.configstore import CONFIG_DIR, register_configs, to_sim_config, to_yaml
from sim.output import AtomicFolder, TransactionLog, timestamp, write_tables
from sim.runner import run_once

register_configs()


def run_folder_name(cfg: SimConfig) -> str:
    """Folder name of a run: time stamp, run name and seed."""
    return f"{timestamp()}_{cfg.run.name}_s{cfg.seed}"


def execute(
    cfg: SimConfig, overrides: list[str], dest: Path, quiet: bool = False, report: bool = True
) -> Path:
    """Run ``cfg`` and write its complete folder at ``dest`` (or a free variant of it)."""
    from sim.plots import make_run_figures
    from sim.report import write_run_report

    cfg = validate(cfg)
    with AtomicFolder(dest) as folder:
        log = (
            TransactionLog(folder.partial / "transactions.parquet", cfg.run.start_date)
            if cfg.run.transaction_log
            else None
        )
        bar = _progress_bar(cfg, quiet)
        try:
            result = run_once(
                cfg,
                progress=bar.update if bar is not None else None,
                transaction_sink=log,
            )
        finally:
            if bar is not None:
                bar.close()
            if log is not None:
                log.close()
        if log is not None:
            result.summary["transactions"] = log.total_rows
        config_yaml = to_yaml(cfg)
        (folder.partial / "config.yaml").write_text(config_yaml, encoding="utf-8")
        (folder.partial / "overrides.yaml").write_text(
            "".join(f"- {o}\n" for o in overrides) or "[]\n", encoding="utf-8"
        )
        write_tables(folder.partial, result)
        figures: list[Path] = []
        if cfg.run.figures:
            figures = make_run_figures(
                result.weekly,
                result.customers,
                folder.partial / "figures",
                policy_weeks=[week for week, _ in result.policy_log if week > 0],
            )
        if report:
            write_run_report(folder.partial, result.summary, figures, config_yaml)
    return folder.final


def _progress_bar(cfg: SimConfig, quiet: bool) -> tqdm[Any] | None:
    if quiet or not cfg.run.progress or not sys.stderr.isatty() or cfg.run.weeks < 52:
        return None
    return tqdm(total=cfg.run.weeks, unit="week", desc=cfg.run.name, leave=False)


_WATCHED_PIDS: set[int] = set()  # worker processes already watching their parent


def die_with_parent(poll_s: float = 1.0) -> None:
    """Stop a sweep's worker process within a second of the process that started it dying.

    Killed with SIGKILL, a study's main process cannot stop its joblib (loky) workers,
    which would otherwise finish their runs and idle for minutes. A worker notices that
    it has been handed to another parent and exits; its unfinished run folder is hidden
    and swept away by the next run. The main process itself is not watched.
    """
    import multiprocessing
    import os
    import threading

    if os.getpid() in _WATCHED_PIDS or multiprocessing.current_process().name == "MainProcess":
        return
    _WATCHED_PIDS.add(os.getpid())
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(poll_s)
        os._exit(1)

    threading.Thread(target=watch, name="die-with-parent", daemon=True).start()


@hydra.main(version_base="1.3", config_path=str(CONFIG_DIR), config_name="config")
def hydra_main(dict_cfg: DictConfig) -> float | None:
    """One Hydra job: run the configured model and write its folder; return NPV of profit.

    In a multirun (a study or any sweep) the job writes ``<sweep dir>/runs/<policy>/s<seed>``,
    skips a run whose folder is already complete, and records a failure instead of
    stopping the sweep, so the rest still runs and aggregates.
    """
    hc = HydraConfig.get()
    if hc.mode == RunMode.MULTIRUN:
        die_with_parent()
    overrides = list(hc.overrides.task)
    point = int(dict_cfg.run.point)
    if hc.mode == RunMode.MULTIRUN and point >= 0:
        # A design sweep: this job takes the values of its row of the design table.
        from sim.design import as_overrides, design_values

        values = design_values(Path(hc.sweep.dir), point)
        for key, value in values.items():
            OmegaConf.update(dict_cfg, key, value, merge=False)
        overrides += as_overrides(values)
    cfg = to_sim_config(dict_cfg)
    if hc.mode != RunMode.MULTIRUN:
        dest = Path(cfg.run.results_dir) / "runs" / run_folder_name(cfg)
        try:
            folder = execute(cfg, overrides, dest)
        except OSError as exc:
            # Disk full, no permission, a file where a folder should be: one clear line;
            # the partial folder is already gone and earlier runs are untouched.
            print(f"error: could not write results to {dest.parent}: {exc}", file=sys.stderr)
            raise SystemExit(1) from exc
        print(f"results: {folder.resolve()}")
        print(f"report:  {(folder / 'report.md').resolve()}")
        return _npv(folder)
    sweep = Path(hc.sweep.dir)
    policy = hc.runtime.choices.get("policy", "baseline") or "baseline"
    cell = [str(policy), *([f"p{point}"] if point >= 0 else []), f"s{cfg.seed}"]
    dest = sweep.joinpath("runs", *cell)
    label = " ".join(cell)
    if (dest / "summary.json").is_file():
        _progress(sweep, f"{label} already done")
        return _npv(dest)
    failure = sweep / "failures" / f"{'_'.join(cell)}.json"
    try:
        execute(cfg, overrides, dest, quiet=True, report=False)
    except Exception as exc:
        failure.parent.mkdir(parents=True, exist_ok=True)
        failure.write_text(
            json.dumps(
                {"policy": policy, "point": point, "seed": cfg.seed, "overrides": overrides,
                 "error": f"{type(exc).__name__}: {exc}"},
                indent=2,
            ) + "\n",
            encoding="utf-8",
        )  # fmt: skip
        _progress(sweep, f"{label} FAILED: {type(exc).__name__}: {exc}")
        return None
    failure.unlink(missing_ok=True)
    _record_resources(sweep / "resources" / f"{'_'.join(cell)}.json")
    _progress(sweep, label)
    return _npv(dest)


def _record_resources(path: Path) -> None:
    """Note which worker ran a job and its memory and open files after it.

    Long sweeps reuse worker processes; these records are how a soak shows that a
    worker's memory stays flat and nothing (files, descriptors) accumulates.
    """
    import os
    import resource

    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            rss_pages = int(statm.read().split()[1])
        rss_mb = rss_pages * os.sysconf("SC_PAGE_SIZE") / 2**20
        open_files = len(os.listdir("/proc/self/fd"))
    except OSError:  # not Linux: the record keeps what the standard library knows
        rss_mb, open_files = float("nan"), -1
    record = {
        "pid": os.getpid(),
        "finished_unix": time.time(),
        "rss_mb": round(rss_mb, 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 2),
        "open_files": open_files,
    }
    from sim.output import write_text_atomically

    path.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomically(path, json.dumps(record) + "\n")


def _npv(folder: Path) -> float:
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    return float(summary.get("npv_profit") or 0.0)


def _progress(sweep: Path, what: str) -> None:
    """Print runs done / total, elapsed time and an estimate of the time left."""
    from sim.manifest import read_progress

    done = len(list(sweep.glob("runs/**/summary.json")))
    total, started = read_progress(sweep)  # a study's or a design sweep's
    elapsed = time.time() - started if started else 0.0
    left = elapsed / done * (total - done) if done and total else 0.0
    counter = f"{done}/{total}" if total else f"{done}"
    print(f"[{counter} runs done, {_hms(elapsed)} elapsed, ~{_hms(left)} left] {what}", flush=True)


def _hms(seconds: float) -> str:
    seconds = int(max(seconds, 0))
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
