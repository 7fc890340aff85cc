"""``report.md`` of a sensitivity analysis: design, seed noise, one table per KPI, caveats."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd

from sim.kpis import phrase
from sim.markdown import markdown_table
from sim.output import write_text_atomically
from sim.research.sensitivity.indices import sort_key
from sim.research.sensitivity.settings import (
    BY_YEAR,
    CONF_LEVEL,
    MORRIS_LEVELS,
    RESAMPLES,
    Settings,
)

SOBOL_MIN_SAMPLES = 16  # Saltelli's N below this gives indices dominated by chance


def design_flags(method: str, samples: int, replications: int) -> list[str]:
    """Statistical flags of a design too small to trust (issue 20).

    >>> design_flags("sobol", 4, 1)[0][:38]
    '> **Statistical flag:** Sobol with N ='
    >>> design_flags("sobol", 64, 3), design_flags("morris", 4, 3)
    ([], [])
    """
    flags = []
    if method == "sobol" and samples < SOBOL_MIN_SAMPLES:
        flags.append(
            f"> **Statistical flag:** Sobol with N = {samples} base samples (fewer than "
            f"{SOBOL_MIN_SAMPLES}): the indices and their intervals are dominated by chance."
        )
    if replications < 2:
        flags.append(
            "> **Statistical flag:** one seed per point: seed noise is counted as parameter "
            "effect and cannot be measured."
        )
    return [*flags, ""] if flags else []


def _num(value: float, digits: int = 3) -> str:
    if not math.isfinite(value):
        return "n/a"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.{digits}f}"


def _range(low: float, high: float) -> str:
    return f"{low:g}–{high:g}"


def indices_markdown(table: pd.DataFrame, settings: Settings) -> list[str]:
    """The indices of one KPI as Markdown table lines (already sorted)."""
    if settings.method == "sobol":
        header = ["parameter", "range", "S1", "±", "ST", "±"]
        cols = ("S1", "S1_conf", "ST", "ST_conf")
    else:
        header = ["parameter", "range", "mu*", "±", "mu", "sigma"]
        cols = ("mu_star", "mu_star_conf", "mu", "sigma")
    rows = [
        [r["parameter"], _range(r["low"], r["high"]), *(_num(float(r[c])) for c in cols)]
        for _, r in table.iterrows()
    ]
    return markdown_table(pd.DataFrame(rows, columns=header), align="llrrrr").splitlines()


def _noise_lines(noise_table: pd.DataFrame, reps: int) -> list[str]:
    out = [
        "| KPI | mean | sd of point means | sd of noise (one run) | sd of seed offset "
        f"| noise share, one run | noise share, {reps}-seed mean |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for _, r in noise_table.iterrows():
        pct = [
            "n/a" if not math.isfinite(v) else f"{100 * v:.1f}%"
            for v in (r["noise_share_run"], r["noise_share_mean"])
        ]
        sds = " | ".join(_num(r[c]) for c in ("sd_of_point_means", "sd_noise", "sd_seed_offset"))
        out.append(f"| {phrase(str(r['kpi']))} | {_num(r['mean'])} | {sds} | {pct[0]} | {pct[1]} |")
    return out


# A parameter whose total-order index stays below this, CI included, can be fixed
# anywhere in its range without changing the KPI's variance noticeably (factor fixing).
NEGLIGIBLE = 0.01


def reading(table: pd.DataFrame, settings: Settings) -> list[str]:
    """Plain-language reading of one KPI's indices: what matters, what can be fixed."""
    column = sort_key(settings)
    conf = f"{column}_conf"
    ranked = table.dropna(subset=[column])
    if ranked.empty:
        return ["The KPI does not vary over the design: nothing to apportion."]
    top = [
        f"`{r['parameter']}` ({column} {_num(r[column], 2)} ± {_num(r[conf], 2)})"
        for _, r in ranked.head(3).iterrows()
    ]
    limit = NEGLIGIBLE if settings.method == "sobol" else NEGLIGIBLE * ranked[column].max()
    fixed = ranked[ranked[column] + ranked[conf] < limit]["parameter"].tolist()
    out = [f"Most influential: {', '.join(top)}."]
    if settings.method == "sobol":
        out.append(
            f"Sum of first-order indices: {_num(float(ranked['S1'].sum()), 2)} (1 would mean "
            "no interactions; what is left is interaction and noise)."
        )
    if fixed:
        what = "ST" if settings.method == "sobol" else "mu* (relative to the largest)"
        out.append(
            f"Negligible ({what} + CI below {NEGLIGIBLE:g}): "
            + ", ".join(f"`{p}`" for p in fixed)
            + "; these could be fixed anywhere in their range."
        )
    return [" ".join(out)]


def year_table(by_year: pd.DataFrame, settings: Settings) -> list[str]:
    """The by-year ranking column as a Markdown table: parameters x years."""
    column = sort_key(settings)
    wide = by_year.pivot_table(index="parameter", columns="year", values=column, sort=False)
    wide = wide.loc[wide.mean(axis=1).sort_values(ascending=False).index]
    years = [int(y) for y in wide.columns]
    out = [
        f"| {column} by year | " + " | ".join(str(y) for y in years) + " |",
        "|---|" + "---:|" * len(years),
    ]
    for parameter, row in wide.iterrows():
        out.append(f"| {parameter} | " + " | ".join(_num(float(v), 2) for v in row) + " |")
    return out


def _duration(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m {secs:02d}s" if hours else f"{minutes}m {secs:02d}s"


def write_report(
    folder: Path,
    settings: Settings,
    manifest: dict[str, Any],
    indices: pd.DataFrame,
    noise_table: pd.DataFrame,
    runs: pd.DataFrame,
    figures: dict[str, str],
    by_year: pd.DataFrame | None = None,
) -> Path:
    """Write ``report.md``: question, design, one table per KPI, figures, caveats."""
    method = "Sobol" if settings.method == "sobol" else "Morris"
    k = len(settings.uncertainties)
    expected = settings.points * settings.replications
    wall = sum(s["wall_seconds"] for s in manifest.get("sessions", []))
    size = manifest.get("world", {})
    kpi_names = ", ".join(phrase(kpi) for kpi in settings.kpis)
    lines = [
        f"# Global sensitivity ({method}) of {kpi_names}",
        "",
        f"**Question.** Which of the {k} declared uncertainties (configs/uncertainties.yaml, "
        "each over the range the literature supports) drive "
        f"{kpi_names} under the `{settings.policy}` policy, and how much do they interact?",
        "",
        "## Design",
        "",
        f"- Method: {method} "
        + (
            f"(Saltelli sampling, first and total order, N = {settings.samples} base samples, "
            f"N·(k+2) = {settings.points} points)"
            if settings.method == "sobol"
            else f"({settings.samples} trajectories of {k + 1} points, {MORRIS_LEVELS} levels, "
            f"{settings.points} points)"
        ),
        f"- Parameters: k = {k}, sampled uniformly and independently over their ranges",
        f"- Replications: {settings.replications} seeds per point, the same at every point "
        f"(common random numbers); the KPI of a point is the mean over its seeds",
        f"- Runs: {len(runs)} of {expected} finished; wall time {_duration(wall)} "
        f"({manifest.get('launcher', '?')} launcher)",
        f"- World: {size.get('n_customers', 0):,} people in the market, "
        f"{size.get('n_employees', 0)} employees, {size.get('weeks')} weeks after "
        f"{size.get('burn_in_weeks')} weeks of burn-in (overrides: "
        f"`{' '.join(settings.fixed) or 'none'}`); policy `{settings.policy}`",
        f"- Root seed {settings.root_seed} (the seeds, the sampler's and the bootstrap's "
        "derive from it); "
        f"confidence intervals: {int(CONF_LEVEL * 100)}% bootstrap, {RESAMPLES} resamples",
        "",
        *design_flags(settings.method, settings.samples, settings.replications),
    ]
    if len(runs) < expected:
        lines += [
            f"**Incomplete:** {expected - len(runs)} runs failed or are missing (see "
            "`failures/`); points are averaged over the seeds they have. "
            "Rerun with `--resume` to fill them in.",
            "",
        ]
    lines += ["## How much is seed noise", "", *_noise_lines(noise_table, settings.replications)]
    lines += [
        "",
        "Every point runs the same seeds, so a seed's common offset (one seed's world is "
        "simply luckier) cancels out of the comparison between points. What remains is "
        "noise: how differently the same seed plays out at different parameter values. Its "
        "share of the variance of the point means is variance the parameters cannot "
        "explain; it shows up as a little spurious total-order index on every parameter"
        + (" (one seed per point: not measurable)." if settings.replications < 2 else "."),
        "",
    ]
    for kpi in settings.kpis:
        table = indices[indices["kpi"] == kpi]
        lines += [f"## {phrase(kpi)}", "", *indices_markdown(table, settings), ""]
        lines += [*reading(table, settings), ""]
        if kpi in figures:
            lines += [f"![{phrase(kpi)}]({figures[kpi]})", ""]
    if settings.by_year is not None and by_year is not None and "by_year" in figures:
        lines += [
            f"## Year by year: {BY_YEAR[settings.by_year][0]}",
            "",
            "Indices computed separately for each year (`indices_by_year.csv`); "
            "CIs are in the file and as bands in the figure.",
            "",
            *year_table(by_year, settings),
            "",
            f"![by year]({figures['by_year']})",
            "",
        ]
    lines += [
        "## Caveats",
        "",
        "- The indices answer the question only over the declared ranges and with every "
        "other parameter at its configured value, under one policy; different ranges give "
        "different indices.",
        "- Parameters are sampled independently and uniformly; correlated uncertainties "
        "would change the picture.",
        "- With small N the bootstrap intervals are wide and S1 can come out slightly "
        "negative or above ST; such differences within the CI are estimation error. Raise "
        "N (a power of 2) and `--resume` the folder: Sobol designs are nested, so every run "
        "already made is reused.",
        "- Seed noise is shared out among the parameters as apparent interaction; read the "
        "noise table before reading small indices.",
        "",
    ]
    path = folder / "report.md"
    write_text_atomically(path, "\n".join(lines))
    return path
