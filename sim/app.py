"""The Hydra application behind ``sim run``: one job = one run folder."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig
from tqdm import tqdm

from sim.config import SimConfig, validate
from sim.configstore import CONFIG_DIR, register_configs, to_sim_config, to_yaml
from sim.output import AtomicFolder, TransactionLog, timestamp, write_tables
from sim.runner import run_once

register_configs()


def run_folder_name(cfg: SimConfig) -> str:
    """Folder name of a run: time stamp, run name and seed."""
    return f"{timestamp()}_{cfg.run.name}_s{cfg.seed}"


def execute(cfg: SimConfig, overrides: list[str], dest: Path, quiet: bool = False) -> Path:
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
        write_run_report(folder.partial, result.summary, figures, config_yaml)
    return folder.final


def _progress_bar(cfg: SimConfig, quiet: bool) -> tqdm[Any] | None:
    if quiet or not cfg.run.progress or not sys.stderr.isatty() or cfg.run.weeks < 52:
        return None
    return tqdm(total=cfg.run.weeks, unit="week", desc=cfg.run.name, leave=False)


@hydra.main(version_base="1.3", config_path=str(CONFIG_DIR), config_name="config")
def hydra_main(dict_cfg: DictConfig) -> float:
    """One Hydra job: run the configured model and write its folder; return NPV of profit."""
    cfg = to_sim_config(dict_cfg)
    overrides = list(HydraConfig.get().overrides.task)
    dest = Path(cfg.run.results_dir) / "runs" / run_folder_name(cfg)
    folder = execute(cfg, overrides, dest)
    report = folder / "report.md"
    print(f"results: {folder.resolve()}")
    print(f"report:  {report.resolve()}")
    summary_path = folder / "summary.json"
    npv = json.loads(summary_path.read_text(encoding="utf-8")).get("npv_profit") or 0.0
    return float(npv)
