"""The chain transmits: every lever and link moves outcomes the way the literature expects.

Three kinds of claim, each over paired replications (common random numbers) with a 95%
t-interval that must lie on the expected side of zero or inside the band:

- the dose-response grid of ``sim.research.dose`` (free quality gains win customers,
  fewer quits keep experience, satisfied staff serve better, satisfied customers stay,
  buy and refer, price cuts bring visits, rewards bring referrals, training pays in
  quality);
- the satisfaction and loyalty distribution of the default world (NPS, boxes, who
  defects), which a satisfaction-to-defection cliff cannot produce;
- the virtuous loop: investing in employees can raise ten-year profit, and can lower it.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim import chain
from sim.config import SimConfig
from sim.research import dose
from sim.rng import replication_seeds
from sim.runner import run_once

pytestmark = pytest.mark.slow

SEEDS = replication_seeds(2_016, 8)


@pytest.mark.parametrize("lever", dose.LEVERS, ids=lambda lever: lever.name)
def test_dose_moves_outcomes_the_expected_way(lever, report_effect):
    runs = dose.measure(lever, SEEDS, n_customers=3_000, weeks=208)
    for effect in dose.effects(runs, lever):
        report_effect(
            f"dose {lever.name}: {effect.outcome}",
            f"{effect.mean:+.4g} [{effect.low:+.4g}, {effect.high:+.4g}]",
        )
        assert effect.holds, (lever.claim, effect)


# ---------------------------------------------------------- distributions (item 1)


@pytest.fixture(scope="module")
def default_world():
    """The default configuration: 10,000 people, 100 staff, ten recorded years."""
    cfg = SimConfig()
    cfg.run.progress = False
    cfg.run.figures = False
    return [run_once(cfg, seed=s) for s in replication_seeds(1_994, 6)]


def shares(results) -> dict[str, list[float]]:
    """Per run: NPS, promoter/passive/detractor and box shares, satisfied defectors."""
    out: dict[str, list[float]] = {
        k: [] for k in ("nps", "detractors", "passives", "top_box", "satisfied_defectors")
    }
    for r in results:
        ledger = r.customers
        now = ledger.loc[ledger["status"] == "focal", "satisfaction"].to_numpy()
        # A former customer's satisfaction stays where it was when they left.
        gone = ledger.loc[ledger["status"] != "focal", "satisfaction"].to_numpy()
        score = chain.likelihood_to_recommend(now)
        out["nps"].append(chain.net_promoter_score(now))
        out["detractors"].append(float(np.mean(score <= 6)))
        out["passives"].append(float(np.mean((score >= 7) & (score <= 8))))
        out["top_box"].append(chain.top_box_share(now))
        out["satisfied_defectors"].append(float(np.mean(chain.satisfaction_box(gone) >= 4)))
    return out


@pytest.mark.parametrize(
    ("measure", "low", "high"),
    [
        ("nps", 10.0, 60.0),
        ("detractors", 0.05, 1.0),
        ("passives", 0.15, 1.0),
        ("top_box", 0.30, 0.60),
        # Most who leave were satisfied (Jones & Sasser 1995), but not all of them.
        ("satisfied_defectors", 0.5, 0.95),
    ],
)
def test_default_world_has_realistic_satisfaction_and_loyalty(
    default_world, ci, report_effect, measure, low, high
):
    found = ci(shares(default_world)[measure])
    report_effect(f"default world: {measure}", found)
    assert low <= found.low, (measure, found)
    assert found.high <= high, (measure, found)


# ------------------------------------------------------------------ virtuous loop


def npv_difference(values, ci):
    base = dose.world({}, 3_000, 260)
    treated = dose.world(values, 3_000, 260)
    seeds = replication_seeds(1_997, 10)
    return ci(
        [run_once(treated, seed=s).summary["npv_profit"] for s in seeds],
        [run_once(base, seed=s).summary["npv_profit"] for s in seeds],
    )


def test_perks_that_keep_staff_pay_for_themselves(ci, report_effect):
    """Perks of 60 a head a week: fewer quits, better service, more customers, more profit."""
    found = npv_difference({"hr.perks_per_week": 60.0}, ci)
    report_effect("virtuous loop: NPV, perks 60 - market pay", found)
    assert found.low > 0


def test_pay_far_above_the_market_does_not(ci, report_effect):
    """Wages 30% above the market: the service gain does not cover the wage bill."""
    found = npv_difference({"hr.wage_premium": 0.3}, ci)
    report_effect("virtuous loop: NPV, pay +30% - market pay", found)
    assert found.high < 0


def test_investment_map_is_paired_against_market_pay():
    """The map's baseline cell is the baseline itself: a difference of exactly 0."""
    cells = dose.investment_map(
        replication_seeds(3, 2),
        n_customers=300,
        weeks=26,
        wage_premiums=(0.0, 0.2),
        perks=(0.0, 60.0),
    )
    assert len(cells) == 4
    base = cells[(cells["wage_premium"] == 0) & (cells["perks_per_week"] == 0)].iloc[0]
    assert base["npv_difference"] == 0.0
    assert "baseline" in dose.map_table(cells)


def test_dose_command_refuses_a_single_seed(capsys):
    with pytest.raises(SystemExit) as exit_:
        dose.main(["--seeds", "1"])
    assert exit_.value.code == 2
    assert "--seeds=1: a paired CI needs at least 2" in capsys.readouterr().err
