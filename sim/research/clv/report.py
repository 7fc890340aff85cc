"""The analysis folder: its tables, manifest, figures and ``report.md``."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from sim.manifest import revision, versions, write_manifest
from sim.output import AtomicFolder, write_json, write_text_atomically
from sim.research.clv.compare import (
    Analysis,
    fit_parameters,
    replication_summary,
)
from sim.research.clv.fit import Fits
from sim.research.clv.plots import write_figures
from sim.units import WEEKS_PER_YEAR


def _number(value: float) -> str:
    if not math.isfinite(value):
        return "–"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.4g}"


def _percent(value: float) -> str:
    return f"{value:+.1%}" if math.isfinite(value) else "–"


def markdown_recovery(recovery: pd.DataFrame) -> str:
    """The recovery table as Markdown (the relative-error measure in its own column)."""
    lines = [
        "| quantity | true | recovered | relative error | error measure |",
        "|---|---|---|---|---|",
    ]
    for row in recovery.to_dict("records"):
        true, recovered, error, se = (
            float(row["true"]),
            float(row["recovered"]),
            float(row["relative_error"]),
            float(row["se"]),
        )
        signed = str(row["error_measure"]).startswith("(")
        shown = _percent(error) if signed else f"{error:.1%}"
        lines.append(
            f"| {row['quantity']} | {_number(true)} | {_number(recovered)}"
            + (f" (SE {se:.2g})" if math.isfinite(se) else "")
            + f" | {shown} "
            f"| {'signed' if signed else 'MAE ÷ mean'} |"
        )
    return "\n".join(lines)


def _params_lines(fits: Fits) -> list[str]:
    lines = []
    for name, label in (
        ("bgnbd", "BG/NBD"),
        ("pareto_nbd", "Pareto/NBD"),
        ("gamma_gamma", "Gamma-Gamma"),
    ):
        values = fit_parameters(fits).get(name)
        if not values:
            continue
        parts = [
            f"{k} = {v['value']:.4g}" + (f" (SE {v['se']:.2g})" if v["se"] is not None else "")
            for k, v in values.items()
        ]
        lines.append(f"- {label}: " + ", ".join(parts))
    lines += [f"- {note}" for note in fits.notes]
    return lines


def _row_value(recovery: pd.DataFrame, start: str, column: str) -> float:
    match = recovery[recovery["quantity"].str.startswith(start)]
    return float(match[column].iloc[0]) if len(match) else math.nan


def markdown_replications(summary: pd.DataFrame) -> str:
    """The spread of each relative error over seeds, as Markdown."""
    lines = [
        "| quantity | mean relative error | SD | 95% CI | seeds |",
        "|---|---|---|---|---|",
    ]
    for row in summary.to_dict("records"):
        signed = str(row["error_measure"]).startswith("(")
        show = _percent if signed else (lambda v: f"{v:.1%}")
        lines.append(
            f"| {row['quantity']} | {show(float(row['mean_relative_error']))} "
            f"| {float(row['sd']):.1%} | [{show(float(row['ci_low']))}, "
            f"{show(float(row['ci_high']))}] | {row['n']} |"
        )
    return "\n".join(lines)


def pooled_hazard(bands: pd.DataFrame) -> float:
    """Defections per customer-week at risk over several tenure bands.

    Pooled, not the mean of the bands' rates: later bands watch fewer customers.

    >>> pooled_hazard(pd.DataFrame({"defections": [1, 3], "weeks_at_risk": [100.0, 100.0]}))
    0.02
    """
    at_risk = float(bands["weeks_at_risk"].sum())
    return float(bands["defections"].sum()) / at_risk if at_risk > 0 else float("nan")


def report_text(
    analysis: Analysis,
    command: str,
    source: str,
    seconds: float,
    figures: Sequence[Path],
    replications: pd.DataFrame | None = None,
) -> str:
    """``report.md``: setup, the recovery table, scores, parameters and what they mean."""
    w, sc, rec = analysis.windows, analysis.scores, analysis.recovery
    cfg = analysis.config
    rate_err = _row_value(rec, "BG/NBD mean purchase rate", "relative_error")
    p_err = _row_value(
        rec, "BG/NBD dropout per repeat purchase a/(a+b), vs pooled", "relative_error"
    )
    pooled_err = _row_value(rec, "BG/NBD dropout per purchase, pooled", "relative_error")
    weekly_err = _row_value(rec, "Pareto/NBD dropout per week, pooled", "relative_error")
    alive_err = _row_value(rec, "share of the cohort", "relative_error")
    hold_err = _row_value(rec, "holdout purchases of the cohort, total (BG/NBD)", "relative_error")
    hazard = analysis.hazard
    first_year = pooled_hazard(hazard[hazard["weeks_to"] <= WEEKS_PER_YEAR])
    later = pooled_hazard(hazard[hazard["weeks_from"] >= WEEKS_PER_YEAR])
    lines = [
        "# CLV interoperability: BTYD models against the simulator's truth",
        "",
        f"Command: `{command}`  ",
        f"Source: {source}  ",
        f"World: {cfg.market.n_customers:,} people, {cfg.workforce.n_employees} employees, "
        f"seed {cfg.seed}; {w.weeks} recorded weeks: calibration weeks 0-"
        f"{w.calibration_weeks - 1}, holdout weeks {w.calibration_weeks}-{w.weeks - 1}.  ",
        f"Cohort: the {int(sc['cohort_customers']):,} customers whose first purchase fell in "
        f"weeks 0-{w.cohort_weeks - 1} and who were not customers at week 0.  ",
        f"Wall time (simulation and fits): {seconds:.0f} s.",
        "",
        "## Recovery: true vs recovered",
        "",
        markdown_recovery(rec),
        "",
        "Signed errors are (recovered − true) ÷ true; per-customer rows give the mean "
        "absolute error ÷ the mean true value. `recovery.csv` says how each truth is measured.",
        "",
        *(
            [
                f"## Across {int(replications['n'].max())} seeds",
                "",
                f"The same comparison for seeds {cfg.seed} to "
                f"{cfg.seed + int(replications['n'].max()) - 1} "
                "(`replications.csv`); the tables above and below are for the first seed.",
                "",
                markdown_replications(replications),
                "",
            ]
            if replications is not None
            else []
        ),
        "## Per-customer agreement",
        "",
        "| score | value |",
        "|---|---|",
        f"| correlation of true and posterior purchase rates (Pearson / Spearman) | "
        f"{sc['rate_correlation_pearson']:.3f} / {sc['rate_correlation_spearman']:.3f} |",
        f"| correlation of predicted and actual holdout purchases | "
        f"{sc['holdout_correlation']:.3f} |",
        f"| P(alive) vs truly still a customer: AUC | {sc['p_alive_auc']:.3f} |",
        f"| P(alive): Brier score (a constant at the true share: "
        f"{sc['p_alive_brier_constant']:.3f}) | {sc['p_alive_brier']:.3f} |",
        "",
        "## Fitted parameters (weeks)",
        "",
        *_params_lines(analysis.fits),
        "",
        "## Figures",
        "",
        *[f"![{p.stem}](figures/{p.name})" for p in figures],
        "",
        "## Reading it",
        "",
        f"- **Purchase rate.** BG/NBD's mean rate r/α is off by {_percent(rate_err)} and "
        f"the posterior rates correlate {sc['rate_correlation_pearson']:.2f} with the true "
        "ones: while a customer stays, the simulator's purchases are close to what BG/NBD "
        "assumes (a steady, customer-specific rate), so this part is recovered well.",
        f"- **Dropout.** a/(a+b) is {_percent(p_err)} from the pooled share "
        "(defections ÷ repeat purchases), but that comparison is unfair even to a true "
        "BG/NBD world: a/(a+b) is the mean dropout chance before anyone has left, and the "
        "pooled share is dominated by the many purchases of survivors, who leave less. "
        "Over the same purchases, BG/NBD's a/(a+b+k-1) expects "
        f"{_percent(pooled_err)} of the defections seen (Pareto/NBD over the same weeks "
        f"at risk: {_percent(weekly_err)}). The shape is right, dropout falling with the "
        "number of purchases (figure `clv_dropout`), but BG/NBD has nobody leave after the "
        "first purchase and too few later. In the simulator nobody flips a coin after a "
        "purchase: defection is a weekly hazard driven by satisfaction, rivals' pull, "
        "tenure (new customers leave more easily), switching costs and remembered "
        "failures, so per purchase it is heaviest for light buyers and moves with "
        "satisfaction.",
        f"- **Who is still there.** The mean P(alive) is off by {_percent(alive_err)} "
        f"from the true share, and P(alive) ranks customers well (AUC {sc['p_alive_auc']:.2f}).",
        f"- **Holdout.** The cohort's predicted holdout purchases are off by {_percent(hold_err)}.",
        "- **Assumptions the simulator breaks**, with their size here:",
        "  - dropout is a weekly hazard, not a coin flipped after each purchase, and it "
        f"falls with tenure ({first_year:.4f} a week in the first year after the "
        f"first purchase, {later:.4f} after it);",
        f"  - {sc['defectors_without_repeat_share']:.1%} of defectors left before any "
        "repeat purchase, which BG/NBD does not allow;",
        f"  - {sc['returned_share_of_defectors']:.1%} of defectors were customers again "
        "by the end of calibration, while BG/NBD's dropout is forever;",
        "  - at most one purchase a week (the rate of "
        f"{sc['capped_rate_share']:.1%} of the cohort sits at that cap), and fewer when "
        "dissatisfied, so the rate is neither Poisson nor constant while alive;",
        "  - spend per visit grows with tenure, which the stationary Gamma-Gamma model "
        "cannot follow.",
        "",
    ]
    return "\n".join(lines)


def new_manifest(analysis: Analysis, command: str, source: str, seconds: float) -> dict[str, Any]:
    """What made this folder: command, calendar, versions, revision and the full config."""
    from sim.configstore import to_yaml

    w = analysis.windows
    return {
        "command": command,
        "source": source,
        "windows": {
            "weeks": w.weeks,
            "calibration_weeks": w.calibration_weeks,
            "holdout_weeks": w.holdout_weeks,
            "cohort_weeks": w.cohort_weeks,
            "start_date": w.start_date,
        },
        "cohort_customers": len(analysis.table),
        "wall_seconds": round(seconds, 1),
        "versions": versions("lifetimes"),
        "git": revision(),
        "config": yaml.safe_load(to_yaml(analysis.config)),
    }


def write_outputs(
    analysis: Analysis,
    out: Path,
    command: str,
    source: str,
    seconds: float,
    figures: bool = True,
    replications: pd.DataFrame | None = None,
) -> Path:
    """Write the analysis folder atomically; return where it landed.

    ``replications`` (one recovery table per seed, with a ``seed`` column) adds
    ``replications.csv`` and the spread of each error to the report.
    """
    with AtomicFolder(out) as folder:
        part = folder.partial
        rfm_columns = [
            "frequency_cal",
            "recency_cal",
            "T_cal",
            "monetary_value_cal",
            "frequency_holdout",
            "monetary_value_holdout",
            "duration_holdout",
        ]
        analysis.table[rfm_columns].to_csv(part / "rfm.csv")
        analysis.table.to_csv(part / "customers.csv")
        analysis.recovery.to_csv(part / "recovery.csv", index=False)
        analysis.dropout.to_csv(part / "dropout_by_purchase.csv", index=False)
        analysis.hazard.to_csv(part / "hazard_by_tenure.csv", index=False)
        analysis.log.to_parquet(part / "cohort_transactions.parquet", index=False)
        write_json(part / "scores.json", analysis.scores)
        (part / "fit.json").write_text(json_dumps(fit_parameters(analysis.fits)), encoding="utf-8")
        write_manifest(part, new_manifest(analysis, command, source, seconds))
        summary = None
        if replications is not None:
            replications.to_csv(part / "replications.csv", index=False)
            summary = replication_summary(replications)
            summary.to_csv(part / "replication_summary.csv", index=False)
        paths = write_figures(analysis, part / "figures") if figures else []
        write_text_atomically(
            part / "report.md",
            report_text(analysis, command, source, seconds, paths, summary),
        )
    return folder.final


def json_dumps(data: Any) -> str:
    """Indented JSON with a final newline."""
    import json

    return json.dumps(data, indent=2) + "\n"
