"""The arms of a loop attribution: the full model, each feedback link cut, all cut together."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import pandas as pd

from sim.config import ConfigError, FeedbackConfig, feedback_links

FULL = "full_model"
JOINT = "all_links"


# Short names of the links for tables and figures; what a cut holds is in the schema.
LINK_LABELS: dict[str, str] = {
    "employee_satisfaction_to_quality": "employee satisfaction -> service quality",
    "employee_satisfaction_to_quits": "employee satisfaction -> quits",
    "experience": "experience (capability) -> quality, productivity",
    "pressure_to_time": "work pressure -> time per customer",
    "pressure_to_satisfaction": "work pressure -> employee satisfaction",
    "overtime_fatigue": "overtime -> fatigue",
    "satisfaction_mirror": "customer -> employee satisfaction (mirror)",
    "layoff_insecurity": "layoffs -> job insecurity (survivors)",
    "standards_erosion": "standards erosion (drifting goal)",
    "adaptive_expectations": "customers' adaptive expectations",
    "reputation": "reputation -> market",
    "referrals": "referrals (positive word of mouth)",
    "negative_word_of_mouth": "negative word of mouth",
    "rival_reaction": "rivals' reaction",
    JOINT: "all these links cut together",
}


def link_label(arm: str) -> str:
    """Short label of a link (or of the joint cut)."""
    return LINK_LABELS.get(arm, arm)


def link_meaning(link: str) -> str:
    """What cutting ``link`` holds, from the schema's own documentation."""
    docs = {f.name: str(f.metadata.get("doc", "")) for f in dataclasses.fields(FeedbackConfig)}
    return docs[link]


def parse_links(text: str | None) -> list[str]:
    """The links named in ``a,b,c`` (all of them when ``text`` is empty), checked.

    Raises:
        ConfigError: naming the unknown link and the allowed ones.

    >>> parse_links("reputation, referrals")
    ['reputation', 'referrals']
    """
    allowed = feedback_links()
    if not text or not text.strip():
        return allowed
    links: list[str] = []
    for name in (part.strip() for part in text.split(",")):
        if name not in allowed:
            raise ConfigError(f"unknown link '{name}'; allowed: {', '.join(allowed)}")
        if name in links:
            raise ConfigError(f"--links: '{name}' is named twice")
        links.append(name)
    return links


def loop_design(links: Sequence[str]) -> tuple[list[str], pd.DataFrame]:
    """The arms (full model, each link cut, all cut together) and their design rows.

    >>> arms, design = loop_design(["reputation", "referrals"])
    >>> arms
    ['full_model', 'reputation', 'referrals', 'all_links']
    >>> design.sum().tolist()  # how many arms keep each link live
    [2, 2]
    """
    arms = [FULL, *links, *([JOINT] if len(links) > 1 else [])]
    rows = []
    for arm in arms:
        cut = set(links) if arm == JOINT else {arm}
        rows.append({f"feedback.{link}": link not in cut for link in links})
    return arms, pd.DataFrame(rows)
