"""The KPI registry matches what runs and studies compute, and every list derives from it."""

from __future__ import annotations

import pandas as pd
import pytest

from sim import kpis
from sim.experiments.analysis import run_kpis, trial_effects
from sim.report import format_kpis, shown_summary
from sim.runner import run_once

LEVELS = ("retention", "spend", "profit")


@pytest.fixture(scope="module")
def summary(small_config):
    return run_once(small_config(n_customers=300, weeks=60, run__burn_in_weeks=4)).summary


def test_every_summary_key_is_registered_and_every_run_kpi_is_computed(summary):
    per_run = {k.name for k in kpis.KPIS if k.per_run}
    assert set(summary) <= per_run
    # The transaction count is added by `sim run` only when the run keeps a log.
    assert per_run - set(summary) == {"transactions"}


def test_study_only_kpis_are_what_a_study_adds_per_run(tmp_path, small_config):
    from sim.app import execute

    folder = execute(small_config(n_customers=300, weeks=30), [], tmp_path / "run", quiet=True)
    arms = pd.DataFrame(
        {
            "arm": ["treated", "control"],
            "last_exit_week": [-1, 5],
            "lifetime_revenue": [10.0, 8.0],
            "lifetime_value": [3.0, 2.0],
        }
    )
    added = (set(run_kpis(folder)) | set(trial_effects(arms))) - set(kpis.KPI)
    study_only = {k.name for k in kpis.KPIS if not k.per_run}
    assert study_only <= set(run_kpis(folder)) | set(trial_effects(arms))
    # Unregistered columns are only the per-arm levels behind the trial effects.
    arms_levels = {f"{arm}_{what}" for arm in ("treated", "control") for what in LEVELS}
    assert added == arms_levels


def test_names_labels_and_phrases_are_unique_and_selections_registered():
    for field in ("name", "label", "phrase"):
        values = [getattr(k, field) for k in kpis.KPIS]
        assert len(values) == len(set(values)), field
    assert set(kpis.STUDY_METRICS) <= set(kpis.KPI)
    assert set(kpis.SUMMARY_KPIS) <= {k.name for k in kpis.KPIS if k.per_run}


def test_reports_read_the_registry(summary):
    labels = [label for label, _ in format_kpis(summary)]
    assert labels == [k.label for k in kpis.KPIS if k.name in summary]
    empty = shown_summary({**summary, "weeks": 0})
    assert {k for k, v in empty.items() if v is None} == {
        k.name for k in kpis.KPIS if k.per_run and k.rate
    }
    assert kpis.format_short("employee_turnover", 0.2) == "20.0%"
    assert kpis.phrase("customers_end") == "customers at the end"
