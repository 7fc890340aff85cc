"""``sim sensitivity``: global sensitivity of the KPIs to the declared uncertainties.

SALib draws the design (Saltelli's scheme for Sobol indices, Morris trajectories for
elementary effects) over the ranges in ``configs/uncertainties.yaml``; every design
point runs under the same replication seeds (common random numbers) as one Hydra
multirun through :func:`sim.launch.run_design`, so it parallelises and scales
out (joblib, Slurm, Ray) like every other sweep and resumes where it was cut short.
The KPI of a point is its mean over the seeds; the share of variance that is seed noise
is reported beside the indices, because an agent-based model is not a deterministic
function of its parameters.

Output folder ``results/sensitivity/<time stamp>_<method>/``: the runs, ``indices.csv``,
``indices_by_year.csv``, ``kpi_noise.csv``, ``tornado_<kpi>.png``, ``by_year_<kpi>.png``
and ``report.md``.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from numpy.typing import NDArray

from sim.config import ConfigError
from sim.design import read_runs
from sim.errors import UserError
from sim.kpis import SUMMARY_KPIS, phrase
from sim.launch import LAUNCHERS, run_design
from sim.manifest import read_manifest, revision, versions, write_manifest
from sim.markdown import markdown_table
from sim.output import timestamp, unique_path, write_text_atomically
from sim.plots import save
from sim.research.uncertainties import UNCERTAINTIES_FILE, Uncertainty, load_uncertainties, scale
from sim.rng import replication_seeds, stream_key
from sim.units import WEEKS_PER_YEAR

METHODS = ("sobol", "morris")
DEFAULT_KPIS = ("npv_profit", "annual_retention", "employee_turnover")
# Sobol N=16 with 2 seeds is 384 runs of the default world: ~25 minutes on 2 shared cores.
DEFAULT_SAMPLES = {"sobol": 16, "morris": 20}
DEFAULT_REPLICATIONS = 2
DEFAULT_BY_YEAR = "profit"
# The reference world over five years: 10 years (the reference horizon) would double the
# cost of a design that already has hundreds of runs; run.weeks=520 restores it.
DEFAULT_WORLD = ("run.weeks=260",)
# A world small enough for tests and demos, over a horizon long enough for three years.
SMALL = (
    "market.n_customers=1500",
    "workforce.n_employees=15",
    "run.weeks=156",
    "run.burn_in_weeks=26",
)
CONF_LEVEL = 0.95
RESAMPLES = 500
MORRIS_LEVELS = 4
MANIFEST = "sensitivity.yaml"
UNIT_SAMPLE = "unit_sample.csv"

type _Yearly = Callable[[pd.DataFrame], float]


def _sum(column: str) -> _Yearly:
    return lambda year: float(year[column].sum())


def _last(column: str) -> _Yearly:
    return lambda year: float(year[column].iloc[-1])


def _mean(column: str) -> _Yearly:
    return lambda year: float(year[column].mean())


def _turnover(year: pd.DataFrame) -> float:
    # As the model's annual turnover: quits over the year's mean headcount.
    headcount = float(year["employee_headcount"].mean())
    return float(year["quits"].sum()) / headcount if headcount > 0 else math.nan


# KPI of year y from the weekly table: (label, weekly columns it needs, the function).
BY_YEAR: dict[str, tuple[str, tuple[str, ...], _Yearly]] = {
    "profit": ("profit of the year", ("profit",), _sum("profit")),
    "npv_profit": (
        "NPV of profit to the end of the year",
        ("discounted_profit",),
        _last("discounted_profit"),
    ),
    "revenue": ("revenue of the year", ("revenue",), _sum("revenue")),
    "customers_focal": (
        "customers at the end of the year",
        ("customers_focal",),
        _last("customers_focal"),
    ),
    "employee_turnover": (
        "employee turnover of the year",
        ("quits", "employee_headcount"),
        _turnover,
    ),
    "customer_satisfaction": (
        "mean customer satisfaction of the year",
        ("customer_satisfaction",),
        _mean("customer_satisfaction"),
    ),
    "employee_satisfaction": (
        "mean employee satisfaction of the year",
        ("employee_satisfaction",),
        _mean("employee_satisfaction"),
    ),
}


@dataclass(frozen=True)
class Settings:
    """Everything that decides which runs a sensitivity analysis makes and how it reads them."""

    method: str
    samples: int
    replications: int
    kpis: tuple[str, ...]
    by_year: str | None
    policy: str
    root_seed: int
    small: bool
    overrides: tuple[str, ...]
    uncertainties: tuple[Uncertainty, ...]

    @property
    def seeds(self) -> list[int]:
        """The replication seeds, the same at every point (common random numbers)."""
        return replication_seeds(self.root_seed, self.replications)

    def seed(self, purpose: str) -> int:
        """A seed for SALib's sampler or bootstrap, derived from the root seed.

        Never 0: SALib's Sobol analysis treats a seed of 0 as none and falls back to
        NumPy's global generator, which would make the confidence intervals irreproducible.
        """
        sequence = np.random.SeedSequence(self.root_seed, spawn_key=(stream_key(purpose),))
        return int(sequence.generate_state(1, dtype=np.uint32)[0]) or 1

    @property
    def fixed(self) -> list[str]:
        """Overrides shared by every run (the world and horizon, then the user's)."""
        return list(self.overrides)

    @property
    def points(self) -> int:
        """Number of design points."""
        k = len(self.uncertainties)
        return self.samples * (k + 2 if self.method == "sobol" else k + 1)


# ------------------------------------------------------------------ checking


def parse_kpis(text: str) -> tuple[str, ...]:
    """The comma-separated KPI list, checked against the summary's outcomes.

    Raises:
        ConfigError: naming the unknown KPI and the allowed ones.
    """
    kpis = tuple(k.strip() for k in text.split(",") if k.strip())
    if not kpis:
        raise ConfigError(f"--kpis='{text}': name at least one; allowed: {', '.join(SUMMARY_KPIS)}")
    for kpi in kpis:
        if kpi not in SUMMARY_KPIS:
            raise ConfigError(f"--kpis: unknown KPI '{kpi}'; allowed: {', '.join(SUMMARY_KPIS)}")
    if len(set(kpis)) != len(kpis):
        raise ConfigError(f"--kpis='{text}': a KPI is named twice")
    return kpis


def check_settings(settings: Settings) -> None:
    """Refuse a design SALib cannot analyse, before anything runs.

    Raises:
        ConfigError: naming the option, its value and what is allowed.
    """
    if settings.method not in METHODS:
        raise ConfigError(f"--method={settings.method}: allowed: {', '.join(METHODS)}")
    n = settings.samples
    if settings.method == "sobol" and (n < 2 or n & (n - 1)):
        # Saltelli's estimator keeps the Sobol' sequence's balance only for powers of 2.
        raise ConfigError(f"--samples={n}: Sobol needs a power of 2 (2, 4, 8, 16, 32, 64, ...)")
    if settings.method == "morris" and n < 2:
        raise ConfigError(f"--samples={n}: Morris needs at least 2 trajectories")
    if settings.replications < 1:
        raise ConfigError(f"--replications={settings.replications}: a whole number >= 1")
    if settings.by_year is not None and settings.by_year not in BY_YEAR:
        raise ConfigError(f"--by-year={settings.by_year}: allowed: {', '.join(BY_YEAR)}, or none")
    if len(settings.uncertainties) < 2:
        raise ConfigError("the uncertainties file declares fewer than 2 parameters to compare")
    keys = {u.key for u in settings.uncertainties}
    for override in settings.overrides:
        key = override.lstrip("+~").partition("=")[0]
        if key in keys:
            raise ConfigError(
                f"override '{override}' fixes {key}, which the design varies; "
                "drop the override or remove the key from the uncertainties file"
            )


def world(settings: Settings) -> dict[str, int]:
    """Compose one configuration (checking the world and policy); return its size.

    Raises:
        ConfigError: if an override or the policy is invalid, or the horizon is under a year.
    """
    from sim.compose import compose_config

    try:
        cfg = compose_config([*settings.fixed, f"policy={settings.policy}"])
    except UserError as exc:
        raise ConfigError(str(exc)) from exc
    if cfg.run.weeks < WEEKS_PER_YEAR:
        raise ConfigError(
            f"run.weeks={cfg.run.weeks}: the annual KPIs need at least {WEEKS_PER_YEAR} weeks"
        )
    return {
        "weeks": cfg.run.weeks,
        "burn_in_weeks": cfg.run.burn_in_weeks,
        "n_customers": cfg.market.n_customers,
        "n_employees": cfg.workforce.n_employees,
    }


# ------------------------------------------------------------------ the design


def problem(uncertainties: Sequence[Uncertainty]) -> dict[str, Any]:
    """SALib's problem on the unit cube; :func:`scale` maps it onto the declared ranges."""
    return {
        "num_vars": len(uncertainties),
        "names": [u.key for u in uncertainties],
        "bounds": [[0.0, 1.0]] * len(uncertainties),
    }


def unit_sample(settings: Settings) -> NDArray[np.float64]:
    """The design on the unit cube, drawn by SALib with a seed from the root seed."""
    spec = problem(settings.uncertainties)
    if settings.method == "sobol":
        x = salib("sample.sobol").sample(
            spec, settings.samples, calc_second_order=False, seed=settings.seed("sampler")
        )
    else:
        x = salib("sample.morris").sample(
            spec, settings.samples, num_levels=MORRIS_LEVELS, seed=settings.seed("sampler")
        )
    return np.asarray(x, dtype=float)


# ------------------------------------------------------------------ analysis


def analyse(settings: Settings, unit: NDArray[np.float64], y: NDArray[np.float64]) -> pd.DataFrame:
    """Indices of one outcome vector (one value per design point), one row per parameter."""
    spec = problem(settings.uncertainties)
    names = [u.key for u in settings.uncertainties]
    columns = (
        ("S1", "S1_conf", "ST", "ST_conf")
        if settings.method == "sobol"
        else ("mu", "mu_star", "mu_star_conf", "sigma")
    )
    y = np.asarray(y, dtype=float)
    if not np.all(np.isfinite(y)) or float(np.var(y)) == 0.0:
        # A KPI that is constant (or undefined) over the design has no variance to share.
        return pd.DataFrame({"parameter": names, **dict.fromkeys(columns, math.nan)})
    if settings.method == "sobol":
        result = salib("analyze.sobol").analyze(
            spec,
            y,
            calc_second_order=False,
            num_resamples=RESAMPLES,
            conf_level=CONF_LEVEL,
            seed=settings.seed("bootstrap"),
        )
    else:
        result = salib("analyze.morris").analyze(
            spec,
            unit,
            y,
            num_resamples=RESAMPLES,
            conf_level=CONF_LEVEL,
            num_levels=MORRIS_LEVELS,
            seed=settings.seed("bootstrap"),
        )
    return pd.DataFrame(
        {"parameter": names, **{c: np.asarray(result[c], dtype=float) for c in columns}}
    )


def point_means(runs: pd.DataFrame, column: str, points: int) -> NDArray[np.float64]:
    """Mean over seeds of one outcome at each design point, in point order."""
    means = runs.groupby("point")[column].mean().reindex(range(points))
    return means.to_numpy(dtype=float)


def noise(runs: pd.DataFrame, kpi: str) -> dict[str, Any]:
    """How much of an outcome's variance is seed noise rather than the parameters.

    Under common random numbers a run is ``point effect + seed effect + noise``: the seed
    effect shifts every point alike and cancels in the indices, the noise (the
    point-by-seed residual of a two-way layout) does not. ``noise_share_mean`` is the
    share of the variance of the point means (what the indices decompose) that is this
    noise; ``noise_share_run`` is the same for one run. Both need 2 seeds or more.
    """
    table = runs.pivot_table(index="point", columns="seed", values=kpi).dropna()
    between = float(runs.groupby("point")[kpi].mean().var(ddof=1))
    points, seeds = table.shape
    residual = offset = math.nan
    if points >= 2 and seeds >= 2:
        x = table.to_numpy(dtype=float)
        e = x - x.mean(axis=1, keepdims=True) - x.mean(axis=0, keepdims=True) + x.mean()
        residual = float((e**2).sum()) / ((points - 1) * (seeds - 1))
        offset = max(float(x.mean(axis=0).var(ddof=1)) - residual / points, 0.0)
    signal = max(between - residual / max(seeds, 1), 0.0)
    return {
        "kpi": kpi,
        "mean": float(runs[kpi].mean()),
        "sd_of_point_means": math.sqrt(between) if between >= 0 else math.nan,
        "sd_noise": math.sqrt(residual),
        "sd_seed_offset": math.sqrt(offset),
        "noise_share_run": residual / (residual + signal) if residual + signal > 0 else math.nan,
        "noise_share_mean": residual / seeds / between if between > 0 else math.nan,
    }


def yearly(folder: Path, runs: pd.DataFrame, kpi: str, policy: str) -> pd.DataFrame:
    """The by-year KPI of every run (point, seed, year, value) from its weekly table."""
    _label, columns, function = BY_YEAR[kpi]
    rows = []
    for point, seed in runs[["point", "seed"]].itertuples(index=False):
        path = folder / "runs" / policy / f"p{point}" / f"s{seed}" / "weekly.parquet"
        weekly = pd.read_parquet(path, columns=["week", *columns])
        # Weeks are numbered from 1; a last, partial year is left out.
        year_of_week = (weekly["week"].to_numpy() - 1) // WEEKS_PER_YEAR + 1
        for year in range(1, len(weekly) // WEEKS_PER_YEAR + 1):
            value = function(weekly[year_of_week == year])
            rows.append({"point": point, "seed": seed, "year": year, "value": value})
    return pd.DataFrame(rows)


def ranges(settings: Settings) -> pd.DataFrame:
    """Each parameter's declared range and source, to sit beside its indices."""
    return pd.DataFrame(
        {
            "parameter": [u.key for u in settings.uncertainties],
            "low": [u.lo for u in settings.uncertainties],
            "high": [u.hi for u in settings.uncertainties],
            "source": [u.source for u in settings.uncertainties],
        }
    )


def sort_key(settings: Settings) -> str:
    """The column that ranks parameters: total-order index, or Morris's mu*."""
    return "ST" if settings.method == "sobol" else "mu_star"


def indices_table(
    settings: Settings, unit: NDArray[np.float64], runs: pd.DataFrame
) -> pd.DataFrame:
    """One row per (KPI, parameter): the indices, their CIs, the range and its source."""
    frames = []
    for kpi in settings.kpis:
        table = analyse(settings, unit, point_means(runs, kpi, len(unit)))
        table.insert(0, "kpi", kpi)
        table = table.merge(ranges(settings), on="parameter")
        table = table.sort_values(sort_key(settings), ascending=False, na_position="last")
        frames.append(table)
    return pd.concat(frames, ignore_index=True)


def by_year_table(
    settings: Settings, unit: NDArray[np.float64], values: pd.DataFrame
) -> pd.DataFrame:
    """Indices of the by-year KPI, one row per (year, parameter)."""
    frames = []
    for year, sub in values.groupby("year"):
        table = analyse(settings, unit, point_means(sub, "value", len(unit)))
        table.insert(0, "year", year)
        table.insert(0, "kpi", settings.by_year)
        frames.append(table)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


# ------------------------------------------------------------------ figures


def _seeds(n: int) -> str:
    return f"{n} seed" + ("s" if n != 1 else "")


def tornado(table: pd.DataFrame, kpi: str, settings: Settings) -> Figure:
    """Horizontal bars per parameter, the most influential on top, with 95% CIs."""
    rows = table[table["kpi"] == kpi].iloc[::-1]
    k = len(rows)
    fig = Figure(figsize=(8, 1.2 + 0.42 * k), layout="constrained")
    ax = fig.subplots()
    y = np.arange(k)
    # (column, its CI half-width column, legend, colour): the ranking measure on top.
    bars: tuple[tuple[str, str | None, str, str], ...]
    if settings.method == "sobol":
        bars = (
            ("ST", "ST_conf", "total order (ST)", "tab:blue"),
            ("S1", "S1_conf", "first order (S1)", "tab:orange"),
        )
        ax.set_xlabel(f"share of the variance of {phrase(kpi)} (95% CI)")
        title = f"Sobol indices of {phrase(kpi)}"
    else:
        bars = (
            ("mu_star", "mu_star_conf", "mu* (mean |elementary effect|)", "tab:blue"),
            ("sigma", None, "sigma (interactions, non-linearity)", "tab:orange"),
        )
        ax.set_xlabel(f"effect on {phrase(kpi)} of moving across the range")
        title = f"Morris screening of {phrase(kpi)}"
    for offset, (column, conf, label, colour) in zip((0.2, -0.2), bars, strict=True):
        ax.barh(
            y + offset,
            rows[column],
            height=0.38,
            xerr=rows[conf].to_numpy() if conf else None,
            color=colour,
            alpha=0.85,
            capsize=3,
            label=label,
        )
    ax.set_yticks(y, rows["parameter"])
    ax.axvline(0, color="0.3", linewidth=0.8)
    ax.grid(alpha=0.3, axis="x")
    ax.legend(fontsize=8, loc="lower right")
    ax.set_title(
        f"{title}: N={settings.samples}, {_seeds(settings.replications)} per point", fontsize=10
    )
    return fig


def by_year_figure(table: pd.DataFrame, settings: Settings) -> Figure:
    """The ranking column per parameter over the years, with its 95% CI as a band."""
    from matplotlib import colormaps

    kpi = str(settings.by_year)
    column = sort_key(settings)
    conf = f"{column}_conf"
    fig = Figure(figsize=(9, 5), layout="constrained")
    ax = fig.subplots()
    cmap = colormaps["tab10"]
    # Legend in order of influence, as in the tornado.
    order = table.groupby("parameter")[column].mean().sort_values(ascending=False).index
    for i, parameter in enumerate(order):
        sub = table[table["parameter"] == parameter]
        colour = cmap(i % 10)
        style = "-" if i < 10 else "--"
        ax.plot(sub["year"], sub[column], style, marker="o", color=colour, label=parameter)
        band = (sub[column] - sub[conf], sub[column] + sub[conf])
        ax.fill_between(sub["year"], *band, color=colour, alpha=0.12, linewidth=0)
    ax.axhline(0, color="0.3", linewidth=0.8)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("year")
    ax.set_ylabel(
        "total-order Sobol index (ST)" if column == "ST" else "Morris mu* (effect over the range)"
    )
    ax.set_title(f"Sensitivity of the {BY_YEAR[kpi][0]}, year by year (band: 95% CI)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.0, 0.5))
    return fig


# ------------------------------------------------------------------ report


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


# ------------------------------------------------------------------ the whole analysis


def _settings_record(settings: Settings) -> dict[str, Any]:
    record = asdict(settings)
    record["kpis"] = list(settings.kpis)
    record["overrides"] = list(settings.overrides)
    record["uncertainties"] = [asdict(u) for u in settings.uncertainties]
    return record


def settings_from_record(record: dict[str, Any]) -> Settings:
    """Rebuild the settings stored in a folder's manifest."""
    return Settings(
        method=str(record["method"]),
        samples=int(record["samples"]),
        replications=int(record["replications"]),
        kpis=tuple(record["kpis"]),
        by_year=record.get("by_year"),
        policy=str(record["policy"]),
        root_seed=int(record["root_seed"]),
        small=bool(record["small"]),
        overrides=tuple(record["overrides"]),
        uncertainties=tuple(Uncertainty(**u) for u in record["uncertainties"]),
    )


def load_manifest(folder: Path) -> dict[str, Any]:
    """A sensitivity folder's manifest.

    Raises:
        ConfigError: if the folder holds none.
    """
    return read_manifest(folder, MANIFEST, "a sensitivity folder")


def prepare(settings: Settings, folder: Path, launcher: str) -> dict[str, Any]:
    """Check the settings, draw and save the design and write the manifest."""
    check_settings(settings)
    size = world(settings)
    unit = unit_sample(settings)
    old = folder / UNIT_SAMPLE
    if old.is_file():
        done = pd.read_csv(old).drop(columns="point").to_numpy(dtype=float)
        # Sobol designs of N and 2N share their first N·(k+2) rows, so a resumed folder
        # can grow; anything else would silently mix two designs.
        if len(done) > len(unit) or not np.allclose(unit[: len(done)], done):
            raise ConfigError(
                f"{folder}: the design on disk is not the start of this one; "
                "use a new folder or the settings it was made with"
            )
    sample = pd.DataFrame(unit, columns=[u.key for u in settings.uncertainties])
    sample.insert(0, "point", range(len(sample)))
    manifest = load_manifest(folder) if (folder / MANIFEST).is_file() else {}
    manifest.update(
        {
            "settings": _settings_record(settings),
            "seeds": settings.seeds,
            "world": size,
            "points": settings.points,
            "runs": settings.points * settings.replications,
            "launcher": launcher,
            "git": revision(),
            "versions": versions("SALib"),
        }
    )
    # Nothing is written until everything is checked: a refused command leaves no folder.
    folder.mkdir(parents=True, exist_ok=True)
    write_text_atomically(old, sample.to_csv(index=False))
    manifest.setdefault("created_utc", timestamp())
    manifest.setdefault("sessions", [])
    write_manifest(folder, manifest, MANIFEST)
    return manifest


def salib(module: str) -> Any:
    """A SALib module, imported when first needed: SALib is the optional extra "sensitivity".

    Raises:
        ConfigError: if SALib is not installed.
    """
    import importlib

    try:
        return importlib.import_module(f"SALib.{module}")
    except ImportError as exc:
        raise ConfigError(
            "sim sensitivity needs SALib: pip install 'service-profit-sim[sensitivity]'"
        ) from exc


def run_sensitivity(
    settings: Settings, folder: Path, launcher: str = "joblib", jobs: int = -1
) -> Path:
    """Run (or finish) the design in ``folder``, analyse it and write the report."""
    manifest = prepare(settings, folder, launcher)
    unit = pd.read_csv(folder / UNIT_SAMPLE).drop(columns="point").to_numpy(dtype=float)
    design = scale(unit, list(settings.uncertainties))
    runs_dir = folder / "runs" / settings.policy
    todo = [
        (p, s)
        for p in range(settings.points)
        for s in settings.seeds
        if not (runs_dir / f"p{p}" / f"s{s}" / "summary.json").is_file()
    ]
    print(
        f"sensitivity ({settings.method}): {settings.points} points x "
        f"{settings.replications} seeds = {manifest['runs']} runs, {len(todo)} to do -> {folder}",
        flush=True,
    )
    if not todo:
        # Launching would only compose and skip every job: re-analyse straight away.
        return analyse_folder(folder)
    started = time.time()
    try:
        run_design(
            folder,
            design,
            settings.seeds,
            fixed=settings.fixed,
            policies=(settings.policy,),
            launcher=launcher,
            jobs=jobs,
            purpose=f"sensitivity ({settings.method}) of {', '.join(settings.kpis)}",
        )
    finally:
        session = {"launcher": launcher, "jobs": jobs, "runs": len(todo)}
        elapsed = round(time.time() - started, 1)
        manifest["sessions"].append({**session, "wall_seconds": elapsed, "ended": timestamp()})
        write_manifest(folder, manifest, MANIFEST)
    return analyse_folder(folder)


def analyse_folder(folder: Path) -> Path:
    """Compute the indices, figures and report of a sensitivity folder from its runs."""
    manifest = load_manifest(folder)
    settings = settings_from_record(manifest["settings"])
    unit = pd.read_csv(folder / UNIT_SAMPLE).drop(columns="point").to_numpy(dtype=float)
    unit = unit[: settings.points]
    runs = read_runs(folder) if (folder / "design.csv").is_file() else pd.DataFrame()
    if not runs.empty:
        runs = runs[
            (runs["policy"] == settings.policy)
            & (runs["point"] < settings.points)
            & runs["seed"].isin(settings.seeds)
        ]
    missing = sorted(set(range(settings.points)) - set(runs["point"] if not runs.empty else []))
    if missing:
        raise ConfigError(
            f"{folder}: {len(missing)} of {settings.points} design points have no finished run "
            f"(see {folder / 'failures'}); fix the cause and rerun with --resume {folder}"
        )
    indices = indices_table(settings, unit, runs)
    write_text_atomically(folder / "indices.csv", indices.to_csv(index=False))
    noise_table = pd.DataFrame([noise(runs, kpi) for kpi in settings.kpis])
    write_text_atomically(folder / "kpi_noise.csv", noise_table.to_csv(index=False))
    figures: dict[str, str] = {}
    for kpi in settings.kpis:
        name = f"tornado_{kpi}.png"
        save(tornado(indices, kpi, settings), folder / name)
        figures[kpi] = name
    table: pd.DataFrame | None = None
    if settings.by_year is not None:
        values = yearly(folder, runs, settings.by_year, settings.policy)
        table = by_year_table(settings, unit, values)
        write_text_atomically(folder / "indices_by_year.csv", table.to_csv(index=False))
        if not table.empty:
            name = f"by_year_{settings.by_year}.png"
            save(by_year_figure(table, settings), folder / name)
            figures["by_year"] = name
    return write_report(folder, settings, manifest, indices, noise_table, runs, figures, table)


# ------------------------------------------------------------------ command line


def build_parser() -> argparse.ArgumentParser:
    """The ``sim sensitivity`` argument parser."""
    parser = argparse.ArgumentParser(
        prog="sim sensitivity",
        description="Global sensitivity (Sobol or Morris) of KPIs to the declared uncertainties.",
    )
    parser.add_argument("--method", choices=METHODS, help="sobol (default) or morris")
    parser.add_argument(
        "--samples",
        type=int,
        help=f"Sobol: base samples N, a power of 2 (default {DEFAULT_SAMPLES['sobol']}; "
        f"N*(k+2)*R runs); Morris: trajectories (default {DEFAULT_SAMPLES['morris']}; "
        "N*(k+1)*R runs)",
    )
    parser.add_argument(
        "--replications", type=int, help=f"seeds per point (default {DEFAULT_REPLICATIONS})"
    )
    parser.add_argument(
        "--kpis", help=f"comma-separated summary KPIs (default {','.join(DEFAULT_KPIS)})"
    )
    parser.add_argument(
        "--by-year",
        help=f"KPI for the per-year indices: {', '.join(BY_YEAR)}, or none "
        f"(default {DEFAULT_BY_YEAR})",
    )
    parser.add_argument("--policy", help="the policy every run uses (default baseline)")
    parser.add_argument(
        "--small",
        action="store_true",
        help=f"a small world: {' '.join(SMALL)} (default: {' '.join(DEFAULT_WORLD)})",
    )
    parser.add_argument(
        "--uncertainties",
        type=Path,
        help="the uncertainties file (default configs/uncertainties.yaml)",
    )
    parser.add_argument("--root-seed", type=int, help="seeds the replications and the sampler")
    parser.add_argument(
        "--resume",
        type=Path,
        help="finish (or re-analyse, or grow with a larger --samples/--replications) a folder",
    )
    parser.add_argument("--results-dir", type=Path, default=Path("results"))
    parser.add_argument("--launcher", choices=LAUNCHERS, default="joblib")
    parser.add_argument("--jobs", type=int, default=-1, help="joblib workers (-1: all cores)")
    parser.add_argument("overrides", nargs="*", help="overrides for every run, e.g. run.weeks=520")
    return parser


def resolve(args: argparse.Namespace) -> tuple[Settings, Path]:
    """Settings and output folder from the command line (or from the folder resumed)."""
    by_year = args.by_year
    if by_year is not None and by_year.lower() == "none":
        by_year = ""
    if args.resume is not None:
        fixed = {
            "--method": args.method,
            "--policy": args.policy,
            "--uncertainties": args.uncertainties,
            "--root-seed": args.root_seed,
            "--small": args.small or None,
            "overrides": args.overrides or None,
        }
        given = [name for name, value in fixed.items() if value is not None]
        if given:
            raise ConfigError(
                f"--resume takes the design from the folder; drop {', '.join(given)} "
                "(allowed with --resume: --samples, --replications, --kpis, --by-year, "
                "--launcher, --jobs)"
            )
        old = settings_from_record(load_manifest(args.resume)["settings"])
        settings = replace(
            old,
            samples=args.samples if args.samples is not None else old.samples,
            replications=args.replications if args.replications is not None else old.replications,
            kpis=parse_kpis(args.kpis) if args.kpis is not None else old.kpis,
            by_year=(by_year or None) if by_year is not None else old.by_year,
        )
        if settings.samples < old.samples or settings.replications < old.replications:
            raise ConfigError(
                f"--resume {args.resume}: --samples/--replications can only grow "
                f"(the folder has {old.samples} and {old.replications})"
            )
        if settings.method == "morris" and settings.samples != old.samples:
            raise ConfigError("--samples: a Morris design cannot grow; start a new folder")
        return settings, args.resume
    method = args.method or "sobol"
    settings = Settings(
        method=method,
        samples=args.samples if args.samples is not None else DEFAULT_SAMPLES[method],
        replications=args.replications if args.replications is not None else DEFAULT_REPLICATIONS,
        kpis=parse_kpis(args.kpis) if args.kpis is not None else DEFAULT_KPIS,
        by_year=(by_year or None) if by_year is not None else DEFAULT_BY_YEAR,
        policy=args.policy or "baseline",
        root_seed=args.root_seed if args.root_seed is not None else 0,
        small=bool(args.small),
        # Stored whole, so a resumed folder keeps its world whatever the defaults become.
        overrides=(*(SMALL if args.small else DEFAULT_WORLD), *args.overrides),
        uncertainties=tuple(load_uncertainties(args.uncertainties or UNCERTAINTIES_FILE)),
    )
    check_settings(settings)
    name = f"{timestamp()}_{method}" + ("_small" if settings.small else "")
    return settings, unique_path(args.results_dir / "sensitivity" / name)


def main(argv: Sequence[str] | None = None) -> int:
    """Run a global sensitivity analysis (``sim sensitivity``); print the report's path."""
    args = build_parser().parse_intermixed_args(list(argv) if argv is not None else None)
    try:
        settings, folder = resolve(args)
        report = run_sensitivity(settings, folder, args.launcher, args.jobs)
    except (ConfigError, UserError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    indices = pd.read_csv(folder / "indices.csv")
    first = settings.kpis[0]
    table = indices[indices["kpi"] == first]
    print(f"\n{phrase(first)}:")
    print("\n".join(indices_markdown(table, settings)))
    print(f"\nreport: {report.resolve()}")
    return 0


if __name__ == "__main__":
    from sim.commandline import module_main

    raise SystemExit(module_main(main))
