"""``sim bench`` and its yardsticks: behaviour only, no timing asserts (machines are noisy)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim import bench
from sim.cli import main as cli_main
from sim.config import SimConfig
from sim.perf.kernel import CustomerKernel
from sim.perf.mesa_peer import PeerCustomer, PeerModel
from sim.perf.update import Outcome, UpdateParams, bench_config


def test_tiny_bench_prints_every_table_and_line(capsys):
    # The same code path as `sim bench --quick`, shrunk: two tiny sizes, three weeks.
    code = cli_main(
        ["bench", "--quick", "--sizes", "300", "600", "--weeks", "3", "--startup-runs", "1"]
    )
    out = capsys.readouterr().out
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("machine: ")
    assert "cores" in lines[0]
    assert any(
        line.startswith("full model: 3 recorded weeks after a 104-week burn-in") for line in lines
    )
    assert "| customers | build s | burn-in s | weeks s (CPU) | tables s | total s (CPU)" in out
    assert "same weekly customer update, CPU us per customer-week" in out
    rows = [line for line in lines if line.startswith(("| 300 |", "| 600 |"))]
    assert len(rows) == 4  # one row per size in each table
    assert all("nan" not in row for row in rows)
    assert "same update check at 300: defections per customer-week peer" in out
    assert "sim run start-up (python -m sim run, 1 week, 1,000 customers, no figures):" in out


def test_report_judges_the_targets_from_the_figures():
    def size(n: int, model: float, peer: float, kernel: float, rss: float) -> bench.SizeResult:
        r = bench.SizeResult(customers=n, weeks=520, burn_in_weeks=104, repeats=1)
        r.weeks_cpu_s, r.kernel_weeks, r.peer_weeks = model * n * 520 / 1e6, 520, 10
        r.kernel_cpu_s, r.peer_cpu_s = kernel * n * 520 / 1e6, peer * n * 10 / 1e6
        r.build_s, r.burn_in_s, r.tables_s, r.total_s, r.total_cpu_s = 0.1, 0.2, 0.05, 2.5, 1.9
        r.base_rss_mb, r.peak_rss_mb = 150.0, rss
        return r

    results = [
        size(10_000, 0.10, 2.0, 0.04, 200.0),
        size(100_000, 0.08, 3.2, 0.05, 400.0),
        size(1_000_000, 0.10, 3.5, 0.06, 3000.0),
    ]
    text = "\n".join(bench.format_report(results, None))
    assert "model >= 30x faster than Mesa peer at 100,000: 40.0x (met)" in text
    assert (
        "model within 2x of bare kernel: 2.50x at 10,000, 1.60x at 100,000, "
        "1.67x at 1,000,000 (NOT met at 10,000)"
    ) in text
    (_, model_marginal), (_, kernel_marginal) = bench.fixed_and_marginal(results)
    # Weekly CPU time = fixed + marginal x customers, refitted: the model's is near linear.
    assert model_marginal * 1e6 == pytest.approx(0.1, rel=0.1)
    assert f"marginal ratio {model_marginal / kernel_marginal:.2f}x" in text
    assert "1,000,000 x 520 weeks peak RSS < 4096 MB: 3,000 MB (met)" in text
    assert "<= 2 s: 2.50 s wall, 1.90 s CPU (met)" in text
    exponent = bench.fit_exponent([1e4, 1e5, 1e6], [r.weeks_cpu_s for r in results])
    assert f"log-log least squares): {exponent:.3f}" in text


def test_peer_is_one_mesa_agent_per_person_from_the_kernels_population():
    cfg = bench_config(400)
    peer = PeerModel(cfg, rng=3)
    kernel = CustomerKernel.from_config(cfg, seed=3)
    agents = peer.agents_by_type[PeerCustomer]
    assert len(agents) == 400
    # Both draw the starting population from the same seed through the same function.
    assert sum(a.firm == 0 for a in agents) == int((kernel.state.firm == 0).sum())
    assert peer.rival_customers == kernel.rival_customers.tolist()


@pytest.mark.parametrize("impl", ["peer", "kernel"])
def test_zero_hazard_means_no_defections(impl):
    cfg = bench_config(300)
    cfg.behaviour.defection_min_per_year = 0.0
    cfg.behaviour.defection_max_per_year = 0.0
    cfg.market.lapse_per_year = 0.0
    out = (
        PeerModel(cfg, rng=1).run(20)
        if impl == "peer"
        else CustomerKernel.from_config(cfg, seed=1).run(20)
    )
    assert out.customer_weeks > 0
    assert out.visits > 0
    assert out.defections == 0


def _replicate(impl: str, seeds: range, customers: int, weeks: int) -> list[Outcome]:
    cfg = bench_config(customers)
    if impl == "peer":
        return [PeerModel(cfg, rng=s).run(weeks) for s in seeds]
    return [CustomerKernel.from_config(cfg, seed=s).run(weeks) for s in seeds]


def _per_customer_week(outcome: Outcome, metric: str) -> float:
    value = getattr(outcome, metric)
    if metric in ("joins", "referral_joins", "stories", "failures", "defections_to_rivals"):
        return float(value) / max(outcome.customer_weeks, 1)
    return float(value)


@pytest.fixture(scope="module")
def replications() -> dict[str, list[Outcome]]:
    seeds, customers, weeks = range(8), 800, 80
    return {impl: _replicate(impl, seeds, customers, weeks) for impl in ("peer", "kernel")}


@pytest.mark.parametrize(
    "metric",
    [
        "defection_rate",
        "visit_rate",
        "mean_satisfaction",
        "margin",
        "joins",
        "referral_joins",
        "stories",
        "failures",
        "defections_to_rivals",
    ],
)
def test_peer_and_kernel_give_the_same_outcomes(metric, replications):
    # The two implement one update with different draws, so their replication means agree
    # within a few standard errors (seeded, so not flaky).
    peer = [_per_customer_week(o, metric) for o in replications["peer"]]
    kernel = [_per_customer_week(o, metric) for o in replications["kernel"]]
    se = math.sqrt(np.var(peer, ddof=1) / len(peer) + np.var(kernel, ddof=1) / len(kernel))
    assert abs(np.mean(peer) - np.mean(kernel)) < 4 * se


def test_defection_rate_responds_the_same_way_in_both():
    # A sharper check than equality alone: both see more defection with steeper rivals' pull.
    cfg = bench_config(600)
    cfg.market.competition_intensity = 5.0
    assert UpdateParams.from_config(cfg).competition_intensity > 1.0
    for impl in ("peer", "kernel"):
        calm = np.mean([o.defection_rate for o in _replicate(impl, range(3), 600, 60)])
        if impl == "peer":
            hot = np.mean([PeerModel(cfg, rng=s).run(60).defection_rate for s in range(3)])
        else:
            hot = np.mean(
                [CustomerKernel.from_config(cfg, seed=s).run(60).defection_rate for s in range(3)]
            )
        assert hot > calm


def _dear_and_rewarded(customers: int) -> SimConfig:
    # Above the market's price, with a discount for the new and a referral reward: every
    # new term of the customer update (price elasticity of visits, value for money,
    # reward-prompted referrals) is at work.
    cfg = bench_config(customers)
    cfg.pricing.price_index = 1.15
    cfg.pricing.new_customer_discount = 0.1
    cfg.acquisition.referral_reward = 30.0
    return cfg


@pytest.fixture(scope="module")
def priced_replications() -> dict[tuple[str, bool], list[Outcome]]:
    seeds, customers, weeks = range(6), 600, 60
    runs: dict[tuple[str, bool], list[Outcome]] = {}
    for dear in (False, True):
        cfg = _dear_and_rewarded(customers) if dear else bench_config(customers)
        runs["peer", dear] = [PeerModel(cfg, rng=s).run(weeks) for s in seeds]
        runs["kernel", dear] = [CustomerKernel.from_config(cfg, seed=s).run(weeks) for s in seeds]
    return runs


@pytest.mark.parametrize("metric", ["visit_rate", "mean_satisfaction"])
def test_price_is_felt_the_same_way_in_both(metric, priced_replications):
    # Paying above the market's price means fewer visits and, felt as lost value, lower
    # satisfaction, in both, and the two agree on how much.
    for impl in ("peer", "kernel"):
        calm = np.mean([getattr(o, metric) for o in priced_replications[impl, False]])
        dear = np.mean([getattr(o, metric) for o in priced_replications[impl, True]])
        assert dear < calm
    peer = [getattr(o, metric) for o in priced_replications["peer", True]]
    kernel = [getattr(o, metric) for o in priced_replications["kernel", True]]
    se = math.sqrt(np.var(peer, ddof=1) / len(peer) + np.var(kernel, ddof=1) / len(kernel))
    assert abs(np.mean(peer) - np.mean(kernel)) < 4 * se


def test_a_reward_prompts_one_referral_join_in_lift_less_one(priced_replications):
    lift = UpdateParams.from_config(_dear_and_rewarded(600)).referral_lift
    assert lift > 1.0
    for impl in ("peer", "kernel"):
        assert sum(o.reward_referral_joins for o in priced_replications[impl, False]) == 0
        joins = sum(o.referral_joins for o in priced_replications[impl, True])
        prompted = sum(o.reward_referral_joins for o in priced_replications[impl, True])
        share = 1.0 - 1.0 / lift
        assert joins > 0
        assert abs(prompted / joins - share) < 4 * math.sqrt(share * (1 - share) / joins)
