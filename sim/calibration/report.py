"""The fit report: targets against the model at the fitted set, identifiability, patterns.

Written into the calibration's folder: ``report.md``, ``fit.json``, ``runs.csv`` (every
design run with its parameters and statistics), ``profiles.csv``, ``fitted.yaml`` (the
fitted set as a Hydra option) and figures.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd

from sim.calibration.calibrate import Calibration
from sim.calibration.fit import CHI2_95_ONE
from sim.markdown import markdown_table
from sim.output import write_text_atomically


def fitted_yaml(cal: Calibration, provenance: str) -> str:
    """The fitted set as a Hydra option (``# @package _global_``), with its provenance."""
    groups: dict[str, dict[str, float]] = {}
    for key, value in cal.fitted.items():
        group, _, name = key.partition(".")
        groups.setdefault(group, {})[name] = round(value, 4)
    lines = [
        "# @package _global_",
        "# The jointly fitted calibration (sim calibrate): the default of every run.",
        f"# {provenance}",
        "# sim/config.py's defaults must equal these (tests/test_calibration.py), so a new",
        "# fit is reviewed and committed with the defaults; `calibration=none` runs the",
        "# hand-set values the fit started from (configs/calibration/none.yaml).",
    ]
    for group, values in groups.items():
        lines.append(f"{group}:")
        lines += [f"  {name}: {value}" for name, value in values.items()]
    return "\n".join(lines) + "\n"


def _target_rows(cal: Calibration) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "target": f.target.name,
                "fact": f.target.fact,
                "statistic": f.target.statistic,
                "published": f.target.value,
                "uncertainty (sd)": f.target.sd,
                "model at the fit": f.mean,
                "95% CI": f"[{f.lo:.4g}, {f.hi:.4g}]",
                "z": f.z,
                "fit": "ok" if f.fits else "poor",
            }
            for f in cal.target_fits
        ]
    )


def _parameter_rows(cal: Calibration) -> pd.DataFrame:
    ident = cal.identifiability
    rows = []
    for i, p in enumerate(cal.declaration.parameters):
        lo, hi, closed = cal.profile_interval(p.key)
        row: dict[str, Any] = {
            "parameter": p.key,
            "range searched": f"[{p.lo:g}, {p.hi:g}]",
            "fitted": cal.fitted[p.key],
            "SE": ident.standard_errors[i],
            "profile 95%": f"[{lo:.4g}, {hi:.4g}]",
            "pinned down": "yes" if closed else "no: reaches the range's edge",
        }
        if cal.declaration.is_recovery:
            row["truth"] = cal.declaration.truth[p.key]
            row["recovered"] = "yes" if cal.recovered()[p.key] else "no"
        rows.append(row)
    return pd.DataFrame(rows)


def _correlations(cal: Calibration) -> pd.DataFrame:
    short = [k.rpartition(".")[2] for k in cal.declaration.keys]
    frame = pd.DataFrame(cal.identifiability.correlations, columns=short)
    frame.insert(0, "", short)
    return frame


def markdown(cal: Calibration, provenance: str) -> str:
    """The report as Markdown."""
    d = cal.declaration
    ok = sum(f.fits for f in cal.target_fits)
    kind = "Parameter recovery" if d.is_recovery else "Calibration"
    lines = [
        f"# {kind}: `{d.name}`",
        "",
        provenance,
        "",
        f"{len(d.keys)} free parameters fitted jointly to {len(cal.targets)} targets by the "
        f"method of simulated moments: {d.points} design points x {d.seeds} seed(s), a "
        f"quadratic surrogate per statistic for the slopes, {cal.rounds} Gauss-Newton "
        f"round(s) on the model, then {d.confirm_seeds} fresh replications at the fitted "
        f"set. Surrogate distance at its own optimum: {cal.distance:.3g}. "
        f"{cal.seconds:.0f} s.",
        "",
        "## Targets (calibration targets: reported as fit, not as validation)",
        "",
        f"{ok} of {len(cal.target_fits)} targets within the 95% range of the published "
        "level (|z| <= 1.96). z = (model - published) / sqrt(sd^2 + SE^2), SE combining the "
        "confirmation's and the fit's own seed noise.",
        "",
        markdown_table(_target_rows(cal)),
        "",
        "## Parameters and identifiability",
        "",
        "SE from the information matrix G'V^-1G at the fit (G: the surrogate's slopes; V: "
        "the targets' variance plus the simulation's); the profile "
        f"interval is where the distance stays within {CHI2_95_ONE:.2f} of its minimum with "
        "the other parameters re-fitted.",
        "",
        markdown_table(_parameter_rows(cal)),
        "",
        f"Condition number of the information matrix: {cal.identifiability.condition_number:.3g}"
        + ("" if cal.identifiability.identified else " (not identified: a flat direction)"),
        "",
        "Parameter correlations at the fit (|r| near 1: the targets trade them off):",
        "",
        markdown_table(_correlations(cal), digits=2),
        "",
        "Surrogate R^2 per statistic (over every design run; the rest is seed noise and "
        "lack of fit): " + ", ".join(f"{k} {v:.3f}" for k, v in cal.surrogate.r_squared.items()),
        "",
    ]
    if cal.patterns:
        passed = sum(p.passes for p in cal.patterns)
        lines += [
            "## Patterns (pattern-oriented modelling; not fitted)",
            "",
            f"{passed} of {len(cal.patterns)} patterns reproduced at the fitted set "
            "(every statistic's 95% CI inside its band). 'Design share' is the share of "
            "design points whose mean meets the whole pattern: how much each pattern, and "
            "all of them at once, narrow the parameter space.",
            "",
        ]
        for p in cal.patterns:
            verdict = "reproduced" if p.passes else "not reproduced"
            lines += [
                f"### {p.name} ({p.level} level, {p.fact}): {verdict}",
                "",
                f"Design share meeting it: {p.design_share:.0%}.",
                "",
                markdown_table(p.rows),
                "",
            ]
    return "\n".join(lines)


def _plot_profiles(cal: Calibration, path: Path) -> None:
    keys = cal.declaration.keys
    fig, axes = plt.subplots(1, len(keys), figsize=(3.2 * len(keys), 3), squeeze=False)
    for ax, key in zip(axes[0], keys, strict=True):
        rows = cal.profiles[cal.profiles["parameter"] == key]
        ax.plot(rows["value"], rows["rise"], marker=".")
        ax.axhline(CHI2_95_ONE, color="grey", linestyle="--", linewidth=0.8)
        ax.axvline(cal.fitted[key], color="tab:red", linewidth=0.8)
        if cal.declaration.is_recovery:
            ax.axvline(cal.declaration.truth[key], color="tab:green", linestyle=":")
        ax.set_xlabel(key.rpartition(".")[2])
        ax.set_ylim(0, max(4 * CHI2_95_ONE, float(rows["rise"].quantile(0.5))))
    axes[0][0].set_ylabel("distance above the minimum")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _plot_targets(cal: Calibration, path: Path) -> None:
    fits = cal.target_fits
    fig, axes = plt.subplots(1, len(fits), figsize=(2.6 * len(fits), 3), squeeze=False)
    for ax, f in zip(axes[0], fits, strict=True):
        t = f.target
        ax.axhspan(t.value - 2 * t.sd, t.value + 2 * t.sd, color="tab:green", alpha=0.2)
        ax.axhline(t.value, color="tab:green")
        ax.errorbar([0], [f.mean], yerr=[[f.mean - f.lo], [f.hi - f.mean]], fmt="o")
        ax.set_xticks([])
        ax.set_title(t.name, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _json_number(x: float) -> float | None:
    return None if not math.isfinite(x) else float(x)


def write_report(cal: Calibration, folder: Path, provenance: str) -> Path:
    """Write the report files; return the report's path."""
    figures = folder / "figures"
    figures.mkdir(parents=True, exist_ok=True)
    _plot_profiles(cal, figures / "profiles.png")
    _plot_targets(cal, figures / "targets.png")
    cal.design.to_csv(folder / "runs.csv", index=False)
    cal.profiles.to_csv(folder / "profiles.csv", index=False)
    write_text_atomically(folder / "fitted.yaml", fitted_yaml(cal, provenance))
    ident = cal.identifiability
    record = {
        "declaration": cal.declaration.name,
        "fitted": cal.fitted,
        "standard_errors": dict(
            zip(cal.declaration.keys, map(_json_number, ident.standard_errors), strict=True)
        ),
        "condition_number": _json_number(ident.condition_number),
        "distance": cal.distance,
        "targets": [
            {
                "name": f.target.name,
                "statistic": f.target.statistic,
                "value": f.target.value,
                "sd": f.target.sd,
                "model_mean": f.mean,
                "model_ci": [f.lo, f.hi],
                "z": f.z,
                "fits": f.fits,
            }
            for f in cal.target_fits
        ],
        "patterns": [
            {
                "name": p.name,
                "level": p.level,
                "passes": p.passes,
                "design_share": p.design_share,
                "statistics": [
                    {
                        k: (None if isinstance(v, float) and math.isnan(v) else v)
                        for k, v in r.items()
                    }
                    for r in p.rows.to_dict("records")
                ],
            }
            for p in cal.patterns
        ],
        "truth": cal.declaration.truth or None,
        "recovered": cal.recovered() if cal.declaration.is_recovery else None,
        "seconds": cal.seconds,
    }
    write_text_atomically(folder / "fit.json", json.dumps(record, indent=2) + "\n")
    report = folder / "report.md"
    write_text_atomically(report, markdown(cal, provenance))
    return report
