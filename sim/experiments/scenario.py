"""Scenario files: one question, the world it is asked in, and the policies compared.

A scenario refers to configs only through config options and overrides; it never
restates parameter values. It is plain YAML, parsed safely, and may name only config
options that exist under ``configs/``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from sim.config import ConfigError
from sim.configstore import CONFIG_DIR
from sim.kpis import STUDY_METRICS

SCENARIO_DIR = CONFIG_DIR.parent / "scenarios"


@dataclass(frozen=True)
class Scenario:
    """A named study: question, world, policies, replications and what to report."""

    name: str
    question: str
    world: list[str]
    policies: list[str]
    baseline: str
    replications: int = 20
    root_seed: int = 2026
    headline: str = "npv_profit"
    metrics: list[str] = field(default_factory=lambda: list(STUDY_METRICS))
    smoke_weeks: int = 120
    smoke_replications: int = 2
    spec: dict[str, Any] = field(default_factory=dict)


def policy_options() -> list[str]:
    """Names of the policy bundles in ``configs/policy/``."""
    return sorted(p.stem for p in (CONFIG_DIR / "policy").glob("*.yaml"))


def scenario_names() -> list[str]:
    """Names of the scenarios in ``scenarios/``."""
    return sorted(p.stem for p in SCENARIO_DIR.glob("*.yaml"))


def load_scenario(name_or_path: str) -> Scenario:
    """Read and check a scenario by name (``scenarios/<name>.yaml``) or path.

    Raises:
        ConfigError: naming the field and what is allowed.
    """
    path = Path(name_or_path)
    if not path.suffix:
        path = SCENARIO_DIR / f"{name_or_path}.yaml"
    if not path.is_file():
        raise ConfigError(
            f"unknown scenario '{name_or_path}'; allowed: {', '.join(scenario_names())}"
        )
    try:
        spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        # One line: the problem and where it is (PyYAML's own text spans several).
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"{path.name}: not valid YAML{where}: {problem}") from exc
    return parse_scenario(path.stem, spec)


def parse_scenario(name: str, spec: Any) -> Scenario:
    """Check a scenario's fields and build the ``Scenario``."""
    if not isinstance(spec, dict):
        raise ConfigError(f"scenario {name}: expected a mapping of fields")
    allowed = {
        "question", "world", "policies", "baseline", "replications", "root_seed",
        "headline", "metrics", "smoke",
    }  # fmt: skip
    unknown = sorted(set(spec) - allowed)
    if unknown:
        raise ConfigError(
            f"scenario {name}: unknown key '{unknown[0]}'; allowed: {', '.join(sorted(allowed))}"
        )
    question = spec.get("question")
    if not isinstance(question, str) or not question.strip():
        raise ConfigError(f"scenario {name}.question: one sentence is required")
    world = spec.get("world", []) or []
    if not isinstance(world, list) or not all(isinstance(w, str) for w in world):
        raise ConfigError(f"scenario {name}.world: expected a list of overrides like market=tight")
    policies = spec.get("policies")
    options = policy_options()
    if not isinstance(policies, list) or len(policies) < 1:
        raise ConfigError(f"scenario {name}.policies: expected a list of policy options")
    for p in policies:
        if p not in options:
            raise ConfigError(
                f"scenario {name}.policies: unknown policy '{p}'; allowed: {', '.join(options)}"
            )
    baseline = spec.get("baseline", policies[0])
    if baseline not in policies:
        raise ConfigError(
            f"scenario {name}.baseline='{baseline}': must be one of the policies: "
            f"{', '.join(policies)}"
        )
    replications = spec.get("replications", 20)
    if not isinstance(replications, int) or isinstance(replications, bool) or replications < 1:
        raise ConfigError(f"scenario {name}.replications={replications!r}: a whole number >= 1")
    root_seed = spec.get("root_seed", 2026)
    if not isinstance(root_seed, int) or isinstance(root_seed, bool) or root_seed < 0:
        raise ConfigError(f"scenario {name}.root_seed={root_seed!r}: a whole number >= 0")
    smoke = spec.get("smoke", {}) or {}
    return Scenario(
        name=name,
        question=question.strip(),
        world=list(world),
        policies=list(policies),
        baseline=str(baseline),
        replications=replications,
        root_seed=root_seed,
        headline=str(spec.get("headline", "npv_profit")),
        metrics=list(spec.get("metrics", STUDY_METRICS)),
        smoke_weeks=int(smoke.get("weeks", 120)),
        smoke_replications=int(smoke.get("replications", 2)),
        spec=dict(spec),
    )
