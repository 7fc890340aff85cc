"""Loop knock-outs: a cut link holds its input at week 0, and `sim loops` attributes to loops."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest
import yaml

from sim.config import ConfigError, FeedbackConfig, StaffingKind, feedback_links, validate
from sim.metrics import COST_LINES
from sim.model import ServiceProfitChainModel
from sim.research import loops
from sim.runner import run_once
from sim.state import FOCAL

TABLES = ("weekly", "customers", "employees")
LINKS = feedback_links()


def cut(cfg, *links):
    """A copy of ``cfg`` with ``links`` cut."""
    feedback = dataclasses.replace(cfg.feedback, **dict.fromkeys(links, False))
    return validate(dataclasses.replace(cfg, feedback=feedback))


def same_tables(a, b) -> bool:
    return all(getattr(a, t).equals(getattr(b, t)) for t in TABLES)


@pytest.fixture
def stressed(small_config):
    """A tight market hit by a deep layoff: overload, overtime, insecurity, erosion.

    20 staff, not 12: with overload and fatigue calibrated to modest quit effects (SF27),
    12 staff over 27 weeks gave too few quit draws for the satisfaction-to-quits cut to
    flip one on seed 5, so that wired link looked inert.
    """
    return small_config(
        n_customers=2_000,
        weeks=40,
        run__burn_in_weeks=13,
        market__competition_intensity=2.5,
        market__switching_cost_mean=0.1,
        staffing__kind=StaffingKind.layoff,
        staffing__layoff_week=4,
        staffing__layoff_share=0.35,
    )


# ------------------------------------------------------------ the switches


def test_all_links_live_is_the_default_run(small_config):
    from sim.compose import compose_config

    assert compose_config([]).feedback == FeedbackConfig()
    cfg = small_config(n_customers=1_000, weeks=30, run__burn_in_weeks=8)
    explicit = dataclasses.replace(cfg, feedback=FeedbackConfig(**dict.fromkeys(LINKS, True)))
    a, b = run_once(cfg, seed=4), run_once(explicit, seed=4)
    for table in TABLES:
        pd.testing.assert_frame_equal(getattr(a, table), getattr(b, table), check_exact=True)
    with pytest.raises(RuntimeError, match="no feedback link is cut"):
        _ = ServiceProfitChainModel(cfg, rng=4).feedback_baseline


@pytest.mark.parametrize(
    ("link", "overrides"),
    [
        # The standard never drifts when standards are fixed anyway.
        ("standards_erosion", {"operations__adaptive_standards": False}),
        # Steady staffing lays nobody off: insecurity is 0 at week 0 and stays 0.
        ("layoff_insecurity", {}),
    ],
)
def test_a_cut_whose_input_never_moves_changes_nothing(small_config, link, overrides):
    cfg = small_config(n_customers=1_000, weeks=40, run__burn_in_weeks=8, **overrides)
    assert same_tables(run_once(cfg, seed=2), run_once(cut(cfg, link), seed=2))


def employee_satisfaction_after_shock(cfg, shock: bool, weeks: int = 20) -> np.ndarray:
    model = ServiceProfitChainModel(cfg, rng=9)
    if shock:
        c = model.customers
        c.satisfaction[c.firm == FOCAL] = 0.3
    model.run(weeks)
    return model.metrics.frame()["employee_satisfaction"].to_numpy()


def test_with_the_mirror_cut_employees_no_longer_feel_customers(small_config):
    # Ample staff keep work pressure below 1, so the mirror is the only path from
    # customers' mood to employees' satisfaction.
    cfg = small_config(n_customers=1_500, n_employees=30, weeks=20, run__burn_in_weeks=13)
    live_calm = employee_satisfaction_after_shock(cfg, shock=False)
    live_shocked = employee_satisfaction_after_shock(cfg, shock=True)
    assert live_shocked[-1] < live_calm[-1] - 0.03
    cfg_cut = cut(cfg, "satisfaction_mirror")
    cut_calm = employee_satisfaction_after_shock(cfg_cut, shock=False)
    cut_shocked = employee_satisfaction_after_shock(cfg_cut, shock=True)
    np.testing.assert_array_equal(cut_shocked, cut_calm)


def test_cut_expectations_stay_at_their_week_0_values(stressed):
    model = ServiceProfitChainModel(cut(stressed, "adaptive_expectations"), rng=1)
    c = model.customers
    at_start = c.expectation.copy()
    focal_at_start = c.firm == FOCAL
    model.run(30)
    stayed = focal_at_start & (c.last_exit_week < 0)
    assert stayed.sum() > 50
    np.testing.assert_array_equal(c.expectation[stayed], at_start[stayed])
    live = ServiceProfitChainModel(stressed, rng=1)
    live.run(30)
    assert not np.array_equal(live.customers.expectation[stayed], at_start[stayed])


def test_cut_standard_stays_at_its_week_0_value(stressed):
    live = run_once(stressed, seed=1).weekly["service_standard"]
    held = run_once(cut(stressed, "standards_erosion"), seed=1).weekly["service_standard"]
    assert live.iloc[-1] < held.iloc[0]  # the layoff erodes the live standard
    assert (held == held.iloc[0]).all()


@pytest.mark.parametrize("react", [True, False])
def test_cut_rivals_keep_their_week_0_offer(small_config, react):
    cfg = small_config(n_customers=1_000, weeks=13, run__burn_in_weeks=8)
    model = ServiceProfitChainModel(cfg if react else cut(cfg, "rival_reaction"), rng=3)
    offers = [(r.quality, r.price_index) for r in model.competitors]
    for rival in model.competitors:
        rival.customers_last_quarter = 10 * rival.customers + 100  # as if it lost a lot
    model.run(13)
    after = [(r.quality, r.price_index) for r in model.competitors]
    assert (after != offers) is react


# ------------------------------------------------- every cut keeps the books


def check_identities(result, cfg) -> None:
    w = result.weekly
    costs = w[list(COST_LINES)].sum(axis=1)
    scale = (w["revenue"] + costs).abs().max()
    assert np.allclose(w["total_cost"], costs, rtol=0, atol=1e-9 * scale)
    assert np.allclose(w["profit"], w["revenue"] - costs, rtol=0, atol=1e-9 * scale)
    assert np.allclose(w["cumulative_profit"], w["profit"].cumsum(), rtol=0, atol=1e-8 * scale)
    people = w["customers_focal"] + w["customers_rivals"] + w["prospects"]
    assert (people == cfg.market.n_customers).all()
    start = result.summary["customers_start"]
    assert (w["customers_focal"] == start + (w["acquisitions"] - w["defections"]).cumsum()).all()
    staff0 = len(result.employees) - w["hires"].sum()
    flows = (w["hires"] - w["quits"] - w["layoffs"]).cumsum()
    assert (w["employee_headcount"] == staff0 + flows).all()
    assert math.isclose(
        result.customers["lifetime_revenue"].sum(), w["revenue"].sum(), rel_tol=1e-9
    )
    for column in ("customer_satisfaction", "employee_satisfaction", "reputation"):
        assert w[column].dropna().between(0.0, 1.0).all(), column


@pytest.fixture(scope="module")
def full_stressed_run():
    cache: dict[str, object] = {}
    return cache


@pytest.mark.parametrize("links", [*[(link,) for link in LINKS], tuple(LINKS)], ids=str)
def test_each_cut_keeps_the_books_and_is_deterministic(stressed, links, full_stressed_run):
    cfg = cut(stressed, *links)
    first, second = run_once(cfg, seed=5), run_once(cfg, seed=5)
    check_identities(first, cfg)
    for table in TABLES:
        pd.testing.assert_frame_equal(
            getattr(first, table), getattr(second, table), check_exact=True
        )
    if "full" not in full_stressed_run:
        full_stressed_run["full"] = run_once(stressed, seed=5)
    # Each switch is wired: the cut run departs from the full model (rivals react
    # only to a lost quarter, which has its own test above).
    if links != ("rival_reaction",):
        assert not same_tables(first, full_stressed_run["full"])


def test_a_cut_needs_a_burn_in(small_config):
    cfg = small_config(run__burn_in_weeks=0)
    with pytest.raises(ConfigError, match=r"feedback.reputation=false: .*burn_in_weeks >= 1"):
        cut(cfg, "reputation")


# ----------------------------------------------------------- the attribution


def test_attribution_is_the_share_of_the_paired_difference():
    arms, design = loops.loop_design(["reputation", "referrals"])
    assert arms == [loops.FULL, "reputation", "referrals", loops.JOINT]
    assert design.to_dict("records")[-1] == {
        "feedback.reputation": False,
        "feedback.referrals": False,
    }
    rows = []
    for seed, (base, policy, base_cut, policy_cut) in enumerate(
        [(100, 110, 100, 105), (200, 212, 200, 206), (300, 314, 300, 307)]
    ):
        for arm in arms:
            b, p = (base, policy) if arm == loops.FULL else (base_cut, policy_cut)
            rows += [
                {"arm": arm, "policy": "base", "seed": seed, "npv_profit": b},
                {"arm": arm, "policy": "new", "seed": seed, "npv_profit": p},
            ]
    # A seed missing one cell is left out of every row, not just of that arm's.
    rows.append({"arm": loops.FULL, "policy": "base", "seed": 99, "npv_profit": 0})
    table = loops.attribution(pd.DataFrame(rows), arms, ["base", "new"], "base", "npv_profit")
    assert table["link"].tolist() == arms[1:]
    assert (table["n"] == 3).all()
    row = table.to_dict("records")[0]
    assert (row["full_diff"], row["cut_diff"], row["carried"]) == (12.0, 6.0, 6.0)
    assert row["share"] == 0.5
    # Carried is exactly half of the full difference on every seed: no uncertainty.
    assert (row["share_ci_low"], row["share_ci_high"]) == pytest.approx((0.5, 0.5))


def test_shares_of_a_difference_that_is_not_significant_are_not_shown():
    """Issue 20, defect 5: no ``513% [-7477%, 8504%]``; the amounts carried stay."""
    from sim.research.loops.report import NOT_SIGNIFICANT, attribution_markdown

    arms = [loops.FULL, "reputation"]
    rows = []
    for seed, (policy, policy_cut) in enumerate([(110, 104), (95, 101), (103, 100)]):
        for arm in arms:
            p = policy if arm == loops.FULL else policy_cut
            rows += [
                {"arm": arm, "policy": "base", "seed": seed, "npv_profit": 100},
                {"arm": arm, "policy": "new", "seed": seed, "npv_profit": p},
            ]
    table = loops.attribution(pd.DataFrame(rows), arms, ["base", "new"], "base", "npv_profit")
    text = "\n".join(attribution_markdown(table, "new"))
    assert NOT_SIGNIFICANT in text
    assert "%" not in text.replace(NOT_SIGNIFICANT, "").replace("share [95% CI]", "")
    # With a clear difference the share is shown.
    clear = table.assign(full_diff_ci_low=1.0, full_diff_ci_high=20.0)
    assert NOT_SIGNIFICANT not in "\n".join(attribution_markdown(clear, "new"))


def test_bad_link_names_are_one_clear_error(capsys):
    with pytest.raises(ConfigError, match=r"unknown link 'bogus'; allowed: employee_sat"):
        loops.parse_links("reputation,bogus")
    assert loops.main(["layoff_spiral", "--links", "reputation,bogus"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: unknown link 'bogus'; allowed: ")
    assert "rival_reaction" in err
    assert len(err.strip().splitlines()) == 1
    assert loops.main(["no_such_scenario"]) == 2
    assert "unknown scenario 'no_such_scenario'" in capsys.readouterr().err


def test_command_writes_attribution_runs_and_report(tmp_path):
    scenario = tmp_path / "tiny_layoff.yaml"
    scenario.write_text(
        yaml.safe_dump(
            {
                "question": "Does a layoff pay in a tiny tight market?",
                "world": ["market=tight"],
                "policies": ["steady_staffing", "one_off_layoff"],
                "baseline": "steady_staffing",
                "root_seed": 7,
            }
        )
    )
    # One link keeps the sweep small (2 arms x 2 policies x 2 seeds); the joint arm of
    # several links is covered by loop_design's doctest and the attribution test.
    code = loops.main(
        [str(scenario), "--smoke", "--links", "layoff_insecurity", "--launcher", "basic",
         "--results-dir", str(tmp_path / "out"), "market.n_customers=400",
         "workforce.n_employees=4", "run.weeks=30", "run.burn_in_weeks=6",
         "staffing.layoff_week=5"]
    )  # fmt: skip
    assert code == 0
    (folder,) = (tmp_path / "out" / "loops" / "tiny_layoff").iterdir()
    table = pd.read_csv(folder / "attribution.csv")
    assert table[["policy", "link"]].to_numpy().tolist() == [
        ["one_off_layoff", "layoff_insecurity"]
    ]
    assert (table["n"] == 2).all()
    numbers = ["full_diff", "cut_diff", "carried", "share", "share_ci_low", "share_ci_high"]
    assert np.isfinite(table[numbers].to_numpy()).all()
    assert np.allclose(table["carried"], table["full_diff"] - table["cut_diff"])
    runs = pd.read_csv(folder / "runs.csv")
    assert len(runs) == 2 * 2 * 2  # arms x policies x seeds
    assert set(runs["arm"]) == {loops.FULL, "layoff_insecurity"}
    report = (folder / "report.md").read_text()
    assert report.startswith("# Loop attribution: tiny_layoff")
    assert "need **not** sum to 100%" in report
    assert "## one_off_layoff vs steady_staffing" in report
    assert (folder / "figures" / "attribution.png").stat().st_size > 5_000
    # Rebuilding from the runs alone gives the same table.
    assert loops.main(["--analyse", str(folder)]) == 0
    pd.testing.assert_frame_equal(pd.read_csv(folder / "attribution.csv"), table)
