"""Where a run's time goes: the model's week broken down by its phases.

``python -m sim.perf.profile [--customers N] [--weeks W]`` runs one model at the default
configuration (one employee per 100 customers) and prints build, burn-in, recorded weeks
and output tables, then the recorded weeks split by the lines of ``sim.week.step.advance``
(one phase per line, ``changes.apply_due`` to ``books.close_year``), each phase's
time including the helpers it calls. It needs ``line_profiler``, which is a
development tool and not a dependency: ``.venv/bin/pip install line_profiler``.
"""

from __future__ import annotations

import argparse
import inspect
import time
from collections.abc import Sequence

from sim.model import ServiceProfitChainModel
from sim.perf.update import bench_config
from sim.results import collect
from sim.week.step import advance


def step_sections() -> dict[int, tuple[int, str]]:
    """Map each source line of ``advance`` to (its order, the phase it runs).

    >>> sections = step_sections()
    >>> [title for _, title in sorted(sections.values())][2:4]
    ['staffing.manage_staff', 'tiers.retier_if_due']
    """
    lines, first = inspect.getsourcelines(advance)
    mapping: dict[int, tuple[int, str]] = {}
    for offset, text in enumerate(lines):
        code = text.split("#")[0].strip()
        if "(" in code and not code.startswith(("def ", "if ", '"""')):
            call = code.split("(")[0].split("=")[-1].strip()
            if "." in call:  # a phase is ``module.function``; ``Flows(...)`` is set-up
                mapping[first + offset] = (len(mapping) + 1, call)
    return mapping


def profile_run(customers: int, weeks: int, seed: int = 0) -> list[str]:
    """Run one model under a line profiler of ``advance``; return the report's lines."""
    try:
        from line_profiler import LineProfiler
    except ImportError as exc:  # a development tool, not a dependency
        raise SystemExit("needs line_profiler: .venv/bin/pip install line_profiler") from exc

    cfg = bench_config(customers, seed)
    cfg.run.weeks = weeks
    t0 = time.perf_counter()
    model = ServiceProfitChainModel(cfg)
    t1 = time.perf_counter()
    profiler = LineProfiler()
    profiler.add_function(advance)
    profiler.enable_by_count()
    t2 = time.perf_counter()
    model.run()
    t3 = time.perf_counter()
    profiler.disable_by_count()
    collect(model)
    t4 = time.perf_counter()

    stats = profiler.get_stats()
    sections = step_sections()
    spent: dict[tuple[int, str], float] = {}
    for (_, _, name), timings in stats.timings.items():
        if name.rsplit(".", 1)[-1] != "advance":
            continue
        for lineno, _, ticks in timings:
            key = sections.get(lineno, (0, "set-up: due changes, the week's flows"))
            spent[key] = spent.get(key, 0.0) + ticks * stats.unit
    total = sum(spent.values())
    lines = [
        f"profile: {customers:,} customers, {model.headcount} employees, {weeks} weeks "
        f"after a {cfg.run.burn_in_weeks}-week burn-in",
        f"build + burn-in {t1 - t0:.2f} s, recorded weeks {t3 - t2:.2f} s (profiled), "
        f"output tables {t4 - t3:.2f} s",
        "| phase of the week | ms per week | share |",
        "|---|---:|---:|",
    ]
    for (number, title), seconds in sorted(spent.items()):
        lines.append(f"| {number}. {title} | {1e3 * seconds / weeks:.3f} | {seconds / total:.1%} |")
    lines.append(f"| all | {1e3 * total / weeks:.3f} | 100% |")
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    """Print the breakdown for one run (see the module docstring)."""
    parser = argparse.ArgumentParser(prog="python -m sim.perf.profile", description=__doc__)
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--weeks", type=int, default=520)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(list(argv) if argv is not None else None)
    for line in profile_run(args.customers, args.weeks, args.seed):
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
