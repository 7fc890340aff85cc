"""A run's Markdown report: headline answer, KPI table, figures, resolved config.

The report is made only from what the run already produced (its summary, its figure
files and its resolved config), so it can be rebuilt at any time from a run folder.
"""

from __future__ import annotations

import os
import re
import urllib.parse
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sim.kpis import KPIS, as_number, format_money, format_rate
from sim.output import write_text_atomically
from sim.units import WEEKS_PER_YEAR

REPORT_NAME = "report.md"

_FIGURE_CAPTIONS = {
    "chain": "The chain over time: employee satisfaction → service quality → "
    "customer satisfaction → customer retention → profit.",
    "customers_by_firm": "Customers of the focal firm, of each rival, and prospects.",
    "whale_curve": "Whale curve: cumulative share of profit, customers ranked from "
    "most to least profitable.",
    "profit_by_tier": "Lifetime profit by value quintile (1 = top fifth by revenue).",
    "workforce": "Workforce: headcount, and hires, quits and layoffs per 13 weeks.",
}


def format_kpis(summary: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Label and format the headline KPIs of a run for a table.

    Keys missing from ``summary`` are left out; values that are NaN or None are shown
    as "n/a", so a short or empty run still gets a table.

    Args:
        summary: The run's KPIs, as produced by ``sim.results.summarise`` (plus
            ``wall_seconds`` from the runner).

    Returns:
        ``(label, formatted value)`` pairs in reporting order.

    >>> format_kpis({"npv_profit": 165531.06, "annual_retention": 0.8316, "x": 1})
    [('NPV of profit', '165,531'), ('Customer retention, annual', '83.2%')]
    """
    return [(k.label, k.format(summary[k.name])) for k in KPIS if k.per_run and k.name in summary]


def _headline(summary: Mapping[str, Any]) -> str:
    """One paragraph answering "what happened", built only from the KPIs present."""
    parts: list[str] = []
    weeks = as_number(summary.get("weeks"))
    span = (
        f"Over {weeks:,.0f} weeks ({weeks / WEEKS_PER_YEAR:.1f} years)"
        if weeks is not None
        else "Over the run"
    )
    npv = as_number(summary.get("npv_profit"))
    cumulative = as_number(summary.get("cumulative_profit"))
    if npv is not None:
        text = f"{span}, the net present value of profit was **{format_money(npv)}**"
        if cumulative is not None:
            text += f" (cumulative profit {format_money(cumulative)})"
        parts.append(text + ".")
    elif cumulative is not None:
        parts.append(f"{span}, cumulative profit was **{format_money(cumulative)}**.")
    else:
        parts.append(f"{span}, no profit figure was recorded.")

    retention = as_number(summary.get("annual_retention"))
    defection = as_number(summary.get("annual_defection"))
    if retention is not None:
        text = f"Customers were retained at {format_rate(retention)} a year"
        if defection is not None:
            text += f" (defection {format_rate(defection)})"
        parts.append(text)
    elif defection is not None:
        parts.append(f"Customers defected at {format_rate(defection)} a year")
    nps = as_number(summary.get("nps"))
    if nps is not None:
        parts.append(f"the net promoter score was {nps:+.1f}")
    turnover = as_number(summary.get("employee_turnover"))
    if turnover is not None:
        parts.append(f"employee turnover was {format_rate(turnover)} a year")
    start = as_number(summary.get("customers_start"))
    end = as_number(summary.get("customers_end"))
    if start is not None and end is not None:
        parts.append(f"the customer base went from {start:,.0f} to {end:,.0f}")
    elif end is not None:
        parts.append(f"the run ended with {end:,.0f} customers")
    if len(parts) == 1:
        return parts[0]
    rest = parts[1:]
    sentence = rest[0] if len(rest) == 1 else "; ".join(rest[:-1]) + "; and " + rest[-1]
    return f"{parts[0]} {sentence[0].upper()}{sentence[1:]}."


def _fence(text: str) -> str:
    """A code fence longer than any backtick run inside ``text``."""
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    return "`" * max(3, longest + 1)


def run_name(run_dir: Path) -> str:
    """The name a run folder will have once it is final.

    Run folders are written under a hidden staging name (``.<name>.partial-<pid>``,
    see ``sim.output.AtomicFolder``) and renamed when complete; the report is written
    before the rename, so it names the folder by its final name.

    Args:
        run_dir: The run folder, staged or final.

    Returns:
        The folder's final name.

    >>> run_name(Path("runs/.20250101-1200_default_s0.partial-4242"))
    '20250101-1200_default_s0'
    >>> run_name(Path("runs/20250101-1200_default_s0"))
    '20250101-1200_default_s0'
    """
    name = Path(run_dir).name
    staged = re.fullmatch(r"\.(.+)\.partial-\d+", name)
    return staged.group(1) if staged else name


def _link(figure: Path, run_dir: Path) -> str:
    # Relative links keep the report valid when the run folder is moved or zipped.
    rel = os.path.relpath(Path(figure).resolve(), Path(run_dir).resolve())
    return urllib.parse.quote(Path(rel).as_posix())


def _table(rows: list[tuple[str, str]]) -> list[str]:
    if not rows:
        return ["_No KPIs were recorded._"]
    lines = ["| KPI | Value |", "|---|---:|"]
    lines += [f"| {label} | {value.replace('|', '\\|')} |" for label, value in rows]
    return lines


# KPIs that describe a population or a span of time: with no weeks run, or no customers
# ever, the summary holds a defined 0 (never NaN), but a reader is better told "n/a".
_RATES_AND_MEANS = frozenset(k.name for k in KPIS if k.per_run and k.rate)
_CUSTOMER_KPIS = frozenset(
    k.name for k in KPIS if k.per_run and k.rate and k.subject == "customers"
)


def shown_summary(summary: Mapping[str, Any]) -> dict[str, Any]:
    """The summary as a report shows it: KPIs with nothing to measure become None ("n/a").

    >>> shown_summary({"weeks": 0, "nps": 0.0, "npv_profit": 0.0})
    {'weeks': 0, 'nps': None, 'npv_profit': 0.0}
    """
    hidden: set[str] = set()
    if summary.get("weeks") == 0:
        hidden.update(_RATES_AND_MEANS)
    if summary.get("customers_start") == 0 and summary.get("customers_end") == 0:
        hidden.update(_CUSTOMER_KPIS)
    return {k: (None if k in hidden else v) for k, v in summary.items()}


def render_run_report(
    run_dir: Path,
    summary: Mapping[str, Any],
    figures: list[Path],
    config_yaml: str,
    question: str | None = None,
) -> str:
    """Build the text of a run's Markdown report without writing it.

    Args:
        run_dir: The run folder; figure links are made relative to it.
        summary: The run's KPIs (see ``format_kpis``).
        figures: Figure files to embed, in order.
        config_yaml: The resolved configuration, as YAML text.
        question: The question the run was meant to answer, if any.

    Returns:
        The report as Markdown.
    """
    run_dir = Path(run_dir)
    summary = shown_summary(summary)
    lines = [f"# Run report: {run_name(run_dir)}", ""]
    if question:
        lines += [f"**Question:** {question.strip()}", ""]
    lines += [_headline(summary), "", "## Key figures", ""]
    lines += _table(format_kpis(summary))
    lines += ["", "## Figures", ""]
    if not figures:
        lines += ["_No figures were made for this run._", ""]
    for figure in figures:
        figure = Path(figure)
        caption = _FIGURE_CAPTIONS.get(figure.stem, figure.stem.replace("_", " "))
        lines += [f"![{figure.stem}]({_link(figure, run_dir)})", "", caption, ""]
    fence = _fence(config_yaml)
    # Blank lines inside <details> let Markdown renderers format the fenced block.
    lines += [
        "## Configuration",
        "",
        "<details>",
        "<summary>Resolved configuration</summary>",
        "",
        f"{fence}yaml",
        config_yaml.rstrip("\n"),
        fence,
        "",
        "</details>",
        "",
    ]
    return "\n".join(lines)


def write_run_report(
    run_dir: Path,
    summary: Mapping[str, Any],
    figures: list[Path],
    config_yaml: str,
    question: str | None = None,
) -> Path:
    """Write ``report.md`` into a run folder, atomically.

    The report leads with the headline answer (NPV of profit, retention and defection,
    NPS, employee turnover, customers at start and end), then a KPI table, the figures
    (relative links) and the resolved config in a collapsed ``<details>`` block. It is
    written to a temporary file and moved into place, so readers never see half a
    report.

    Args:
        run_dir: The run folder (created if missing).
        summary: The run's KPIs (see ``format_kpis``); missing keys and NaN are fine.
        figures: Figure files to embed, in order.
        config_yaml: The resolved configuration, as YAML text.
        question: The question the run was meant to answer, if any.

    Returns:
        The path of the report.
    """
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    path = run_dir / REPORT_NAME
    write_text_atomically(path, render_run_report(run_dir, summary, figures, config_yaml, question))
    return path
