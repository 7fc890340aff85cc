"""The validation table: printed, and written as a Markdown report with one figure per fact.

The report folder is built in a hidden temporary folder next to its destination and
renamed into place, so a reader never sees a half-written report.
"""

from __future__ import annotations

import math
import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sim.manifest import revision, versions, write_manifest
from sim.output import current_umask
from sim.validation.classes import CLASSES, KIND_NAMES
from sim.validation.core import ROOT_SEED, Check

HEADER = ("fact", "class", "claim", "literature", "simulated (95% CI)", "result")
RULE = (
    "a check passes when the whole 95% CI of the replication mean lies in the band (analytic "
    "checks: within 4 standard errors of the closed form) and every side condition holds; "
    "marginal when the mean lies in the band but the CI crosses an edge; it fails otherwise"
)


def _num(x: float) -> str:
    if not math.isfinite(x):
        return "nan"
    return f"{x:.3g}" if abs(x) < 1000 else f"{x:,.0f}"


def value_text(check: Check) -> str:
    """``mean [lo, hi] (n=R)`` of one check."""
    lo, hi = check.ci
    return f"{_num(check.mean)} [{_num(lo)}, {_num(hi)}] (n={check.values.size})"


def result(check: Check) -> str:
    """The verdict as the table shows it (a failure in capitals)."""
    return "FAIL" if check.verdict == "fail" else check.verdict


def rows(checks: Sequence[Check]) -> list[tuple[str, str, str, str, str, str]]:
    """One table row per check."""
    return [
        (c.fact.fact_id, c.kind, c.fact.claim, c.fact.literature, value_text(c), result(c))
        for c in checks
    ]


def headline(checks: Sequence[Check]) -> list[str]:
    """Counts per class: validation first; input read-backs are listed, never counted.

    >>> from sim.validation.core import Fact
    >>> import numpy as np
    >>> headline([Check(Fact("SF27", "", "", "", 0, 1), np.array([0.4, 0.5, 0.6]))])[0]
    'validation (never fitted): 1 pass, 0 marginal, 0 fail of 1'
    """
    out = []
    for kind, name in KIND_NAMES.items():
        mine = [c for c in checks if c.kind == kind]
        if not mine:
            continue
        counts = {v: sum(c.verdict == v for c in mine) for v in ("pass", "marginal", "fail")}
        out.append(
            f"{name}: {counts['pass']} pass, {counts['marginal']} marginal, "
            f"{counts['fail']} fail of {len(mine)}"
        )
    return out


def text_table(checks: Sequence[Check], width: int = 60) -> str:
    """The table for the terminal: long claims are cut to ``width`` characters."""
    body = [
        tuple(cell if len(cell) <= width else cell[: width - 3] + "..." for cell in row)
        for row in rows(checks)
    ]
    widths = [max(len(r[i]) for r in [HEADER, *body]) for i in range(len(HEADER))]
    lines = ["  ".join(h.ljust(w) for h, w in zip(HEADER, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in body]
    return "\n".join(lines)


def markdown(checks: Sequence[Check], mode: str, seconds: float, figures: bool) -> str:
    """The report: the table, then per fact what was measured, details and the figure."""
    out = [
        f"# Validation report ({mode} mode)",
        "",
        *[f"- {line}" for line in headline(checks)],
        "",
        f"Run time {seconds:.0f} s. Every value is a replication mean with its 95% "
        f"t-interval; {RULE}. Classes (sim/validation/classes.py): *validation* facts were "
        "never used to set a parameter; a *target* was (its row reports the fit); an "
        "*input* reads back a sourced parameter or a built-in rule and proves nothing.",
        "",
        "| " + " | ".join(HEADER) + " |",
        "|" + "---|" * len(HEADER),
    ]
    out += ["| " + " | ".join(r) + " |" for r in rows(checks)]
    for c in checks:
        out += [
            "",
            f"## {c.fact.fact_id}: {c.fact.claim}",
            "",
            f"- Literature: {c.fact.literature}",
            f"- Measured: {c.fact.measure}",
            f"- Class: {c.kind} ({CLASSES[c.fact.fact_id][1]})",
            f"- Simulated: {value_text(c)} — **{result(c)}**",
        ]
        for name, ok in c.conditions.items():
            out.append(f"- Condition: {name}: {'yes' if ok else 'NO'}")
        if c.detail:
            out.append(f"- Details: {c.detail}")
        if figures and c.plot is not None:
            out += ["", f"![{c.fact.fact_id}](figures/{c.fact.fact_id}.png)"]
    return "\n".join(out) + "\n"


def save_figures(checks: Sequence[Check], folder: Path) -> None:
    """One PNG per fact, drawn by the check's own plot function."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    folder.mkdir(parents=True, exist_ok=True)
    for c in checks:
        if c.plot is None:
            continue
        fig, ax = plt.subplots(figsize=(6, 3.6))
        c.plot(ax)
        ax.set_title(f"{c.fact.fact_id} ({c.kind}): {result(c)}", fontsize=10)
        fig.tight_layout()
        fig.savefig(folder / f"{c.fact.fact_id}.png", dpi=110)
        plt.close(fig)


def write_report(
    checks: Sequence[Check],
    out: Path,
    mode: str,
    seconds: float,
    figures: bool = True,
    code: dict[str, Any] | None = None,
) -> Path:
    """Write ``report.md`` (and figures) to ``out`` atomically; return the report's path.

    ``code`` is the revision the experiments ran on (``sim.manifest.revision()`` taken
    when they started: the tree may have moved on since); now when not given.
    """
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    tmp.chmod(0o777 & ~current_umask())  # mkdtemp's folder is private; a report is not
    try:
        if figures:
            save_figures(checks, tmp / "figures")
        (tmp / "report.md").write_text(markdown(checks, mode, seconds, figures), encoding="utf-8")
        (tmp / "table.txt").write_text(text_table(checks, width=1000) + "\n", encoding="utf-8")
        # What made the report and how to redo it: the committed table in
        # docs/validation.md is quoted from a folder whose manifest says this.
        write_manifest(
            tmp,
            {
                "command": f"sim validate{' --quick' if mode == 'quick' else ''} --out {out}",
                "mode": mode,
                "root_seed": ROOT_SEED,
                "seconds": round(seconds, 1),
                **(code if code is not None else revision()),
                "versions": versions(),
                "verdicts": {c.fact.fact_id: c.verdict for c in checks},
            },
        )
        os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out / "report.md"
