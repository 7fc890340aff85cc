"""`sim validate`: quick mode runs, writes its report atomically, catches a broken mechanism."""

from __future__ import annotations

import importlib
import math
import pkgutil

import numpy as np
import pytest

from sim.config import OperationsConfig, StaffingKind
from sim.validation import core, experiments
from sim.validation.cli import main
from sim.validation.core import QUICK, Check, Fact, Scale
from sim.validation.experiments import defection_value, referral_value, service_contacts
from sim.validation.report import markdown, text_table

pytestmark = pytest.mark.slow


def patch_world(monkeypatch: pytest.MonkeyPatch, **changes: object) -> None:
    """Make every world the experiments build apply ``changes`` (``group__field=value``)."""
    original = core.world

    def changed_world(*args: object, **kwargs: object) -> object:
        return original(*args, **{**kwargs, **changes})

    # Each experiment module imports `world` by name: patch it where it is looked up.
    for info in pkgutil.iter_modules(experiments.__path__):
        module = importlib.import_module(f"{experiments.__name__}.{info.name}")
        if hasattr(module, "world"):
            monkeypatch.setattr(module, "world", changed_world)


def test_check_passes_on_band_and_conditions():
    fact = Fact("X", "claim", "lit", "measure", 1.0, 2.0)
    assert Check(fact, np.array([1.4, 1.5, 1.6])).passed
    assert not Check(fact, np.array([2.4, 2.5, 2.6])).passed
    assert not Check(fact, np.array([1.4, 1.5, 1.6]), conditions={"side": False}).passed
    # The mean inside, the CI across the edge: marginal, not a pass.
    edge = Check(fact, np.array([1.1, 1.9, 2.0]))
    assert edge.in_range
    assert (edge.verdict, edge.passed) == ("marginal", False)
    assert Check(fact, np.array([1.4, 1.5, 1.6])).verdict == "pass"
    assert Check(fact, np.array([2.4, 2.5, 2.6])).verdict == "fail"
    theory = Fact("A", "claim", "lit", "measure", 0.0, 0.0)
    assert Check(theory, np.array([-1.0, 0.5, 1.0]), analytic_se=True).passed
    assert not Check(theory, np.array([10.0, 10.1, 9.9]), analytic_se=True).passed


def test_analytic_checks_pass_in_quick_mode():
    checks = experiments.analytic(QUICK)
    assert [c.fact.fact_id for c in checks] == ["SF2", "AN1", "AN2"]
    assert all(c.passed for c in checks), text_table(checks)
    assert {c.kind for c in checks} == {"validation"}


def test_linear_retention_curve_fails_sf7(monkeypatch):
    """With a near-linear satisfaction -> defection curve the top box loses its edge."""
    # A near-linear logistic: the hazard barely depends on satisfaction, so most of the
    # box 5 / box 4 gap disappears (keep the mean hazard realistic).
    patch_world(
        monkeypatch, behaviour__retention_steepness=2.0, behaviour__defection_max_per_year=0.5
    )
    sf7 = experiments.boxes(QUICK)[0]
    assert sf7.fact.fact_id == "SF7"
    assert not sf7.passed, text_table([sf7])
    assert not sf7.mean >= 3  # below the band, or undefined when nobody stays


def test_quick_command_writes_report(tmp_path):
    out = tmp_path / "report"
    code = main(["--quick", "--only", "analytic", "asymmetry", "staff", "--out", str(out)])
    assert code in (0, 1)
    report = (out / "report.md").read_text(encoding="utf-8")
    for fact_id in ("SF2", "SF10", "SF19"):
        assert f"| {fact_id} |" in report
    assert (out / "figures" / "SF2.png").is_file()
    # Atomic: no hidden temporary folder is left next to the report.
    assert [p.name for p in tmp_path.iterdir()] == ["report"]


def test_markdown_lists_every_check():
    fact = Fact("SF27", "a claim", "lit", "measure", 0.0, 1.0)
    text = markdown([Check(fact, np.array([0.5, 0.6, 0.4]))], "quick", 1.0, figures=False)
    assert "| SF27 | validation | a claim | lit |" in text
    assert "validation (never fitted): 1 pass, 0 marginal, 0 fail of 1" in text


def test_pulse_leaves_adaptive_standard_lower_in_quick_mode():
    sf27 = experiments.pulse(QUICK)[0]
    assert sf27.fact.fact_id == "SF27"
    assert sf27.in_range, text_table([sf27])
    for condition in (
        "adaptive: CI of the gap below 0",
        "adaptive: still lower in >= 80% of runs",
        "standard erodes faster than it recovers",
    ):
        assert sf27.conditions[condition], sf27.detail
    # Not asserted: "fixed: recovers in >= 80% of runs". Since staff cut time as soon as
    # pressure passes 1 (operations.pressure_time_cut), time per customer also follows
    # the lasting differences in customer numbers a pulse leaves, so a fixed-standard
    # run can sit 1% below its twin two years on (4 of 6 quick runs recover). The full
    # check reports the condition; docs/validation.md carries its verdict.


def test_symmetric_standard_recovery_fails_sf27(monkeypatch):
    """If the standard recovers as fast as it erodes, the pulse leaves no lasting mark."""
    erosion = OperationsConfig().standard_erosion_weeks  # the pulse world keeps the default
    patch_world(monkeypatch, operations__standard_recovery_weeks=erosion)
    sf27 = experiments.pulse(QUICK)[0]
    assert not sf27.passed, text_table([sf27])
    assert not sf27.conditions["adaptive: still lower in >= 80% of runs"]


def test_whale_curve_and_bank_shape_in_quick_mode():
    sf34 = next(c for c in experiments.baseline(QUICK) if c.fact.fact_id == "SF34")
    # Three replications: the mean must be in the band; the CI may still cross an edge.
    assert sf34.verdict != "fail", text_table([sf34])


def test_whale_curve_needs_heterogeneity(monkeypatch):
    """Without spread in spend, visits and cost to serve there is no whale curve (§2.7)."""
    patch_world(
        monkeypatch,
        market__spend_sigma=0.0,
        market__visit_dispersion=0.0,
        market__cost_to_serve_sigma=0.0,
    )
    sf34 = next(c for c in experiments.baseline(QUICK) if c.fact.fact_id == "SF34")
    assert not sf34.passed, text_table([sf34])
    assert not sf34.mean >= 150


def test_contacts_count_loyalty_moves_from_the_model():
    """When every encounter fails, contacts lower loyalty far more often than they raise it.

    (Only a failure fixed by a recovery that lifts the experience past the desired level could
    still raise satisfaction, so the count of raising contacts may well be 0.)
    """
    cfg = core.world(
        1_000,
        4,
        run__burn_in_weeks=0,
        operations__failure_min=1.0,
        operations__failure_max=1.0,
    )
    row = service_contacts._run_contacts(cfg, 1)
    assert row["contacts"] > 100
    assert row["down_box"] > 0
    assert row["down_box"] > 4 * row["up_box"]
    assert row["fell"] > row["rose"]
    sf11 = experiments.contacts(QUICK)[0]
    assert sf11.fact.fact_id == "SF11"
    assert np.isfinite(sf11.mean)


def test_referral_intent_act_and_conversion_pass_in_quick_mode():
    """SF32's intent, act rate and conversion come out of the model's referral stage."""
    sf32 = experiments.referrals(QUICK)[0]
    assert sf32.fact.fact_id == "SF32"
    assert sf32.in_range, text_table([sf32])
    assert sf32.conditions["intent 68-81%"], sf32.detail
    assert sf32.conditions["conversion of referred prospects 10-15%"], sf32.detail


@pytest.mark.parametrize(
    ("field", "value", "condition"),
    [
        ("referrals_per_promoter_year", 0.0, None),  # nobody acts: act 0%
        ("referral_conversion", 0.0, "conversion of referred prospects 10-15%"),
        ("referral_intent_satisfaction", 0.99, "intent 68-81%"),  # nearly nobody intends
        # Intent read as the NPS promoter cut (LTR >= 9): well under 68% intend.
        ("referral_intent_satisfaction", 9 / 11, "intent 68-81%"),
    ],
)
def test_broken_referral_stage_fails_sf32(monkeypatch, field, value, condition):
    patch_world(monkeypatch, **{f"behaviour__{field}": value})
    sf32 = experiments.referrals(QUICK)[0]
    assert not sf32.passed, text_table([sf32])
    if condition is None:
        assert not sf32.in_range
    else:
        assert not sf32.conditions[condition], sf32.detail


def test_matched_value_gain_compares_like_with_like():
    """Referred customers worth 20% more within every stratum: +20%, whatever the mix."""
    stratum = np.array([0, 0, 0, 1, 1, 1, 1, 1])
    referred = np.array([1, 0, 0, 1, 1, 1, 0, 0], dtype=bool)
    value = np.where(stratum == 0, 100.0, 1_000.0) * np.where(referred, 1.2, 1.0)
    gain = referral_value._matched_gain(value, referred, ~referred, stratum)
    assert gain == pytest.approx(0.2)
    assert value[referred].mean() / value[~referred].mean() - 1 > 0.5  # the raw mix misleads


# ---------------------------------------------------------------- SF1 (npv)

TINY = Scale("quick", replications=3, n_customers=1_000, workers=1)


def test_closed_form_npv_reproduces_the_retention_arithmetic():
    """§2.1: flat margin m at each year's end, A = 0: +20% for d 20->15%, +33% for 10->5%."""
    rate, m, years = 0.10, 100.0, 6
    gains = m * (1 + rate) ** -np.arange(1, years + 1)  # value of year k, discounted

    def npv(d, acquisition=0.0):
        return defection_value._closed_form_npv(d, gains, acquisition, rate)

    assert npv(0.2) == pytest.approx(m / (1 + rate - 0.8))
    assert npv(0.2, 150.0) == pytest.approx(-150.0 + m / (1 + rate - 0.8))
    assert npv(0.15) / npv(0.2) - 1 == pytest.approx(0.20)
    assert npv(0.05) / npv(0.10) - 1 == pytest.approx(1 / 3)
    # Acquisition cost of one to two years' margin: about +30% to +56% (§2.1).
    assert npv(0.15, m) / npv(0.2, m) - 1 == pytest.approx(2 / 7)
    assert npv(0.05, 2 * m) / npv(0.1, 2 * m) - 1 == pytest.approx(5 / 9)


def test_constant_hazard_gain_is_the_weekly_version_of_the_note():
    """Weekly margins and weekly discounting give a little more than §2.1's annual form."""
    g20, g10 = (defection_value._constant_hazard_gain(d, d - 0.05, 0.10) for d in (0.2, 0.1))
    assert 20.0 < g20 < 25.0
    assert 33.3 < g10 < 40.0
    assert defection_value._constant_hazard_gain(0.2, 0.2, 0.10) == 0.0
    # Continuous-time limit: NPV ~ 1 / (ln(1 + r) - ln(1 - d)).
    cont = (math.log(1.1) - math.log(0.8)) / (math.log(1.1) - math.log(0.85)) - 1
    assert g20 == pytest.approx(100 * cont, abs=0.3)


def test_ratio_gain_is_a_ratio_of_means_with_its_delta_interval():
    base = np.array([100.0, 120.0, 80.0, 110.0])
    cut = np.array([150.0, 170.0, 130.0, 160.0])
    values = defection_value._ratio_gain(cut, base)
    assert values.mean() == pytest.approx(100 * (cut.mean() / base.mean() - 1))
    assert np.all(defection_value._ratio_gain(base, base) == 0.0)


def test_npv_ledger_adds_up_and_tenure_profile_comes_from_the_model():
    """NPV per customer = -A + sum_k S(k-1) g_k + terminal value, exactly (the model's ledger)."""
    cfg = core.world(2_000, 6 * 52, staffing__kind=StaffingKind.demand)
    row = defection_value._run_npv(cfg, 3, cohort_years=2, horizon_years=4)
    s = np.array([row[f"s{k}"] for k in range(5)])
    g = np.array([row[f"g{k}"] for k in range(1, 5)])
    assert s[0] == 1.0
    assert np.all(np.diff(s) <= 0)
    assert s[-1] > 0
    assert row["acquisition_cost"] > cfg.acquisition.onboarding_cost  # + marketing per win
    assert row["npv"] == pytest.approx(-row["acquisition_cost"] + s[:-1] @ g + row["terminal"])
    assert row["npv_no_acquisition"] - row["npv"] == pytest.approx(row["acquisition_cost"])
    assert row["m1"] < row["m2"] < row["m4"]  # spend grows, staff time falls with tenure
    assert 0.0 < row["late_defection"] < 1.0


def test_zero_cut_gives_exactly_zero_gain(monkeypatch):
    """With a cut of 0 the secant keeps the multiplier at 1: both arms are the same runs."""
    monkeypatch.setattr(defection_value, "NPV_CUT", 0.0)
    sf1 = experiments.npv_gain(TINY)[0]
    assert np.all(sf1.values == 0.0), sf1.detail
    assert not sf1.passed
    assert "multiplier 1.000" in sf1.detail


def test_sf1_finds_a_five_point_cut_in_quick_mode():
    sf1 = experiments.npv_gain(QUICK)[0]
    assert sf1.fact.fact_id == "SF1"
    assert sf1.conditions["the cut is 5 points (4.5-5.5) in every profile"], sf1.detail
    key = "profit per survivor rises with tenure (year 5 >= 1.5 x year 2), and is flat"
    assert sf1.conditions[next(k for k in sf1.conditions if k.startswith(key))], sf1.detail


def test_inert_churn_multiplier_fails_sf1(monkeypatch):
    """If the exogenous multiplier did nothing, no 5-point cut is found and SF1 fails."""
    patch_world(monkeypatch, market__churn_multiplier=1.0)
    sf1 = experiments.npv_gain(TINY)[0]
    assert not sf1.passed
    assert not sf1.conditions["the cut is 5 points (4.5-5.5) in every profile"], sf1.detail


def test_no_tenure_effects_fail_sf1(monkeypatch):
    """Without tenure-rising profit the premise of SF1's upper range is gone: SF1 fails."""
    patch_world(monkeypatch, behaviour__spend_growth_max=1.0, behaviour__new_cost_to_serve=1.0)
    sf1 = experiments.npv_gain(TINY)[0]
    assert not sf1.passed
    key = next(k for k in sf1.conditions if k.startswith("profit per survivor rises"))
    assert not sf1.conditions[key], sf1.detail


def test_every_fact_has_a_class_and_inputs_never_decide_the_exit(monkeypatch, capsys):
    from sim.validation import classes, cli

    ids = set(classes.CLASSES)
    assert {"SF4", "SF10", "SF18", "SF19", "SF25", "SF29"} <= {
        k for k in ids if classes.kind_of(k) == "input"
    }
    with pytest.raises(KeyError, match="no class"):
        classes.kind_of("SF99")
    # A failing input read-back is reported but does not fail the run; a failing
    # validation check does.
    failing_input = Check(Fact("SF19", "c", "l", "m", 0, 1), np.array([5.0, 5.0, 5.0]))
    failing_fact = Check(Fact("SF27", "c", "l", "m", 0, 1), np.array([5.0, 5.0, 5.0]))
    for checks, status in (([failing_input], 0), ([failing_input, failing_fact], 1)):
        monkeypatch.setattr(cli, "run_all", lambda scale, only, c=checks: c)
        monkeypatch.setattr(cli, "write_report", lambda *a, **k: "report.md")
        assert cli.main(["--quick", "--out", "unused", "--no-figures"]) == status
    out = capsys.readouterr().out
    assert "input read-backs (not counted): 0 pass, 0 marginal, 1 fail of 1" in out
