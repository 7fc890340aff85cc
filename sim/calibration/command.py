"""``sim calibrate``: fit the declared targets jointly and install the fitted set.

``sim calibrate`` fits ``configs/calibration/declared/default.yaml`` and writes the
fitted values to ``configs/calibration/fitted.yaml``, the option every run uses by
default. ``sim calibrate --quick`` is parameter recovery in a small world (the targets
are the model's own statistics at a known set); it never installs anything.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from sim.calibration.calibrate import calibrate, hydra_sweep
from sim.calibration.declaration import declaration_path, read_declaration
from sim.calibration.report import fitted_yaml, write_report
from sim.config import ConfigError
from sim.configstore import CONFIG_DIR
from sim.errors import UserError
from sim.launch import LAUNCHERS
from sim.manifest import git_revision
from sim.output import timestamp, unique_path, write_text_atomically

FITTED = Path(CONFIG_DIR) / "calibration" / "fitted.yaml"
DECLARATION_COPY = "declaration.yaml"  # the declaration a folder was started with


def build_parser() -> argparse.ArgumentParser:
    """The ``sim calibrate`` argument parser."""
    parser = argparse.ArgumentParser(
        prog="sim calibrate",
        description="Fit the declared calibration targets jointly (method of simulated "
        "moments over a Hydra design sweep) and report the fit.",
    )
    parser.add_argument(
        "--declaration",
        default=None,
        help="a declaration in configs/calibration/declared/ (default, quick) or a path",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="parameter recovery in a small world (the 'quick' declaration); installs nothing",
    )
    parser.add_argument(
        "--resume", type=Path, help="finish a calibration folder (finished runs are kept)"
    )
    parser.add_argument(
        "--no-install",
        action="store_true",
        help="write the fitted set only into the output folder, not configs/calibration/",
    )
    parser.add_argument("--results-dir", type=Path, default=Path("results"))
    parser.add_argument("--launcher", choices=LAUNCHERS, default="joblib")
    parser.add_argument("--jobs", type=int, default=-1, help="joblib workers (-1: all cores)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``sim calibrate``; print the report's path and the fitted values."""
    args = build_parser().parse_args(list(argv) if argv is not None else None)
    try:
        if args.quick and args.declaration not in (None, "quick"):
            raise ConfigError("--quick is the 'quick' declaration; drop --declaration")
        if args.resume is not None:
            # The folder keeps the declaration it was started with: a resumed calibration
            # must run the same design, whatever the files in configs/ say now.
            if args.quick or args.declaration is not None:
                raise ConfigError("--resume takes the declaration from the folder; drop it")
            kept = args.resume / DECLARATION_COPY
            if not kept.is_file():
                raise ConfigError(f"--resume {args.resume}: not a calibration folder")
            declaration = read_declaration(str(kept))
            folder = args.resume
        else:
            source = declaration_path("quick" if args.quick else args.declaration or "default")
            declaration = read_declaration(str(source))
            name = f"{timestamp()}_{declaration.name}"
            folder = unique_path(args.results_dir / "calibration" / name)
            folder.mkdir(parents=True)
            text = source.read_text(encoding="utf-8")
            write_text_atomically(folder / DECLARATION_COPY, f"name: {source.stem}\n{text}")
        sweep = hydra_sweep(
            declaration.overrides,
            args.launcher,
            args.jobs,
            purpose=f"calibration '{declaration.name}'",
        )
        revision, dirty = git_revision()
        provenance = (
            f"Declaration '{declaration.name}', fitted {timestamp()} at {revision}"
            + (" (uncommitted changes)" if dirty else "")
            + f"; runs in {folder}"
        )
        result = calibrate(declaration, folder, sweep)
        report = write_report(result, folder, provenance)
    except (ConfigError, UserError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for f in result.target_fits:
        print(
            f"{f.target.name:>22}: published {f.target.value:.4g} (sd {f.target.sd:.2g}), "
            f"model {f.mean:.4g} [{f.lo:.4g}, {f.hi:.4g}], z {f.z:+.2f}"
        )
    for key, value in result.fitted.items():
        print(f"{key} = {value:.4f}")
    if declaration.is_recovery:
        recovered = result.recovered()
        print(f"recovered {sum(recovered.values())} of {len(recovered)} true values")
    elif not args.no_install:
        write_text_atomically(FITTED, fitted_yaml(result, provenance))
        print(
            f"installed: {FITTED}; copy its values into sim/config.py's defaults (a test "
            "checks they agree) and re-record the golden fingerprints"
        )
    print(f"report: {report.resolve()}")
    return 0
