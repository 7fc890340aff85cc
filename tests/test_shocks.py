"""Outside shocks: world conditions change mid-run through one official hook."""

from __future__ import annotations

import pytest

from sim.config import ConfigError, PolicyChange, validate
from sim.model import ServiceProfitChainModel
from sim.runner import run_once


def test_shock_changes_world_conditions_from_the_next_week(small_config):
    cfg = small_config(n_customers=1_500, weeks=30, run__burn_in_weeks=4)
    calm = ServiceProfitChainModel(cfg, rng=3)
    pulse = ServiceProfitChainModel(cfg, rng=3)
    calm.run(10)
    pulse.run(10)
    pulse.shock({"market.demand_multiplier": 1.5})
    calm.run(10)
    pulse.run(10)
    before = calm.metrics.frame(), pulse.metrics.frame()
    # Identical before the shock, more visits (same customers, same luck) after it.
    assert before[0].iloc[:10].equals(before[1].iloc[:10])
    assert before[1]["visits"].iloc[10:].sum() > 1.3 * before[0]["visits"].iloc[10:].sum()
    assert pulse.event_log == [(10, {"market.demand_multiplier": 1.5})]
    assert pulse.policy_log == []


def test_demand_multiplier_of_one_changes_nothing(small_config):
    cfg = small_config(n_customers=1_000, weeks=20, run__burn_in_weeks=4)
    a = ServiceProfitChainModel(cfg, rng=1)
    b = ServiceProfitChainModel(cfg, rng=1)
    b.shock({"market.demand_multiplier": 1.0})
    a.run()
    b.run()
    assert a.metrics.frame().equals(b.metrics.frame())


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"hr.perks_per_week": 10.0}, "'hr.perks_per_week' is not changeable mid-run"),
        ({"market.n_customers": 5}, "'market.n_customers' is fixed when the world is made"),
        ({"market.demand_multiplier": -1.0}, "out of range; allowed: a number in [0, 10]"),
        ({"market.nope": 1.0}, "unknown key 'market.nope'"),
    ],
)
def test_shock_refuses_what_it_cannot_change(small_config, change, message):
    model = ServiceProfitChainModel(small_config(n_customers=500, weeks=4), rng=0)
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]")):
        model.shock(change)


def test_policies_stay_policies(small_config):
    model = ServiceProfitChainModel(small_config(n_customers=500, weeks=4), rng=0)
    with pytest.raises(ConfigError, match="is not a policy"):
        model.set_policy({"market.demand_multiplier": 2.0})


def test_scheduled_change_may_mix_policy_and_world_keys(small_config):
    cfg = small_config(n_customers=1_000, weeks=20, run__burn_in_weeks=4)
    cfg.changes = [
        PolicyChange(week=8, set={"hr.perks_per_week": 40.0, "market.demand_multiplier": 0.5})
    ]
    result = run_once(validate(cfg), seed=2)
    assert result.policy_log == [(8, {"hr.perks_per_week": 40.0})]
    weekly = result.weekly
    assert weekly["policy_change"].tolist() == [int(w == 8) for w in range(20)]
    assert weekly["visits"].iloc[8:].mean() < 0.7 * weekly["visits"].iloc[:8].mean()


def test_scheduled_world_change_is_validated_before_the_run(small_config):
    cfg = small_config(n_customers=500, weeks=10)
    cfg.changes = [PolicyChange(week=2, set={"market.network_degree": 3})]
    with pytest.raises(ConfigError, match=r"changes\[0\]: 'market.network_degree' is fixed"):
        validate(cfg)
