"""What ``sim fit-customers`` writes: holdout.json, report.md, tables, figures, the config option.

The folder is written atomically (``AtomicFolder``); the config option
``configs/customer_base/<name>.yaml`` is written after it, through a temporary file
renamed into place, so an error leaves neither half-written.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from sim.configstore import CONFIG_DIR
from sim.customers import mapping
from sim.customers.pipeline import Outcome, summary
from sim.errors import UserError
from sim.markdown import markdown_table
from sim.output import AtomicFolder

GROUP = "customer_base"
MARKER = "# Written by `sim fit-customers`"
NAME = re.compile(r"^[a-z][a-z0-9_]*$")


def slug(source: str) -> str:
    """An option name from a file stem: ``CDNOW-master.csv`` -> ``cdnow_master``."""
    stem = Path(source).stem.lower()
    text = re.sub(r"[^a-z0-9]+", "_", stem).strip("_")
    return text if text and text[0].isalpha() else f"base_{text or 'fitted'}"


def check_name(name: str, configs: Path = CONFIG_DIR) -> Path:
    """The option file for ``name``; refuse bad names and options not written by this command.

    Overwriting an option this command wrote before (same name) is allowed: a refit.

    Raises:
        UserError: naming the rule or the file that would be overwritten.
    """
    if not NAME.match(name):
        raise UserError(
            f"--name {name}: allowed: lower-case letters, digits and _, starting with a letter"
        )
    path = configs / GROUP / f"{name}.yaml"
    if path.exists() and MARKER not in path.read_text(encoding="utf-8"):
        raise UserError(
            f"--name {name}: {path} exists and was not written by sim fit-customers; "
            "choose another name"
        )
    return path


def option_text(o: Outcome, name: str) -> str:
    """The ``customer_base`` option: the fitted market settings with where they came from."""
    f = o.fit
    when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# @package _global_",
        f"{MARKER} on {when}.",
        f"# Customer base '{name}' fitted to {o.source}, calibration up to {o.log.split.date()}",
        f"# ({o.log.calibration_weeks} weeks, {o.hist.rows.size:,} customers): weekly purchase "
        f"chance mu={f.mu:.4g} (SE {f.se['mu']:.2g}),",
        f"# log-sd sigma={f.sigma:.4g} (SE {f.se['sigma']:.2g}), dropout hazard per purchase "
        f"h={f.h:.4g} (SE {f.se['h']:.2g}),",
        f"# its log-sd tau={f.tau:.4g} (SE {f.se['tau']:.2g}); see docs/customers.md.",
    ]
    groups = {"market": [f"{k}: {v:.6g}" for k, v in o.mapped.market.items()]}
    for key, value in mapping.STRUCTURE.items():
        group, field = key.split(".", 1)
        shown = str(value).lower() if isinstance(value, bool) else f"{value:.6g}"
        groups.setdefault(group, []).append(f"{field}: {shown}")
    for group, entries in groups.items():
        lines += [f"{group}:", *(f"  {entry}" for entry in entries)]
    return "\n".join(lines) + "\n"


def _figures(o: Outcome, folder: Path) -> None:
    series = o.series()
    split = o.log.split_week + 0.5
    styles: dict[str, dict[str, Any]] = {
        "actual": {"color": "black", "label": "actual"},
        "model": {"color": "tab:red", "label": "model (its weekly step)"},
        "bgnbd": {"color": "tab:blue", "linestyle": "--", "label": "BG/NBD"},
    }
    # The same tracking plot, of cumulative and of weekly repeat purchase weeks.
    panels = (
        (np.cumsum, "cumulative repeat purchase weeks", "Tracking", "cumulative.png"),
        (np.asarray, "repeat purchase weeks", "Weekly repeat purchases", "weekly.png"),
    )
    for shown, ylabel, title, name in panels:
        fig = Figure(figsize=(8, 4.2), layout="constrained")
        ax = fig.add_subplot()
        for column, style in styles.items():
            ax.plot(series["week"], shown(series[column]), **style)
        ax.axvline(split, color="0.5", linestyle=":", label="split")
        ax.set(xlabel="week", ylabel=ylabel, title=title)
        ax.legend()
        fig.savefig(folder / name, dpi=110)
    fig = Figure(figsize=(7, 4.2), layout="constrained")
    ax = fig.add_subplot()
    table = o.conditional
    for column, style in styles.items():
        ax.plot(table["frequency"], table[column], marker="o", **style)
    ax.set(
        xlabel="repeat purchase weeks in calibration",
        ylabel="mean holdout purchase weeks",
        title="Conditional expectations",
    )
    ax.legend()
    fig.savefig(folder / "conditional.png", dpi=110)


def markdown(o: Outcome, data: dict[str, Any], name: str, command: str) -> str:
    """report.md: what was fitted, the mapped settings and the holdout scores."""
    f = o.fit
    rows = [
        "| parameter | estimate | SE |",
        "|---|---:|---:|",
        f"| weekly purchase chance mu | {f.mu:.4f} | {f.se['mu']:.4f} |",
        f"| its log-sd sigma | {f.sigma:.3f} | {f.se['sigma']:.3f} |",
        f"| dropout hazard per purchase week h | {f.h:.3f} | {f.se['h']:.3f} |",
        f"| its log-sd tau (propensity to leave) | {f.tau:.3f} | {f.se['tau']:.3f} |",
    ]
    mapped = ["| setting | value | SE |", "|---|---:|---:|"] + [
        f"| market.{k} | {v:.4g} | {o.mapped.se[k]:.2g} |" for k, v in o.mapped.market.items()
    ]
    table = markdown_table(o.conditional, digits=3)
    return "\n".join(
        [
            f"# Customer base fitted to {o.source}",
            "",
            f"`{command}`",
            "",
            f"Split {data['split']}: calibration weeks 1-{o.log.calibration_weeks}, holdout "
            f"{o.log.holdout_weeks} weeks; cohort {o.hist.rows.size:,} customers (first purchase "
            "on or before the split). A transaction is a customer-week with a purchase; the "
            "model and BG/NBD are fitted to the same weekly histories.",
            "",
            "## Fit",
            "",
            *rows,
            "",
            *mapped,
            "",
            f"Config option `{GROUP}={name}` (`sim run {GROUP}={name}`).",
            "",
            "## Holdout",
            "",
            "| forecast | MAPE of cumulative repeat purchases |",
            "|---|---:|",
            f"| model ({o.model.replications} replications) | {o.model_mape_cum:.3f} |",
            f"| BG/NBD | {o.bgnbd_mape_cum:.3f} |",
            "",
            f"Ratio model/BG/NBD: {data['mape_ratio']:.2f}. Holdout repeat purchase weeks: actual "
            f"{int(o.actual_by_week[o.log.split_week + 1 :].sum()):,}, model "
            f"{o.model.weekly.sum():,.0f}, BG/NBD {o.bgnbd.weekly.sum():,.0f}.",
            "",
            "Mean holdout purchase weeks by calibration repeat purchase weeks:",
            "",
            table,
            "",
            "![cumulative](figures/cumulative.png) ![weekly](figures/weekly.png) "
            "![conditional](figures/conditional.png)",
            "",
            f"{o.seconds:.1f} s.",
            "",
        ]
    )


def write(o: Outcome, out: Path, name: str, command: str, option: Path) -> Path:
    """Write the result folder atomically, then the config option; return the folder."""
    data = summary(o)
    data["config_option"] = f"{GROUP}={name}"
    text = option_text(o, name)
    with AtomicFolder(out) as folder:
        part = folder.partial
        (part / "holdout.json").write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
        (part / "report.md").write_text(markdown(o, data, name, command), encoding="utf-8")
        o.series().to_csv(part / "series.csv", index=False)
        o.conditional.to_csv(part / "conditional_expectations.csv", index=False)
        (part / "figures").mkdir()
        _figures(o, part / "figures")
        (part / f"{GROUP}_{name}.yaml").write_text(text, encoding="utf-8")
    option.parent.mkdir(parents=True, exist_ok=True)
    temporary = option.with_name(f".{option.name}.partial-{os.getpid()}")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, option)
    return folder.final
