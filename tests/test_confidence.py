"""How sure a ranking is: P(best) by Bayesian bootstrap, replicates needed by the delta method,
and the adaptive run that stops when the ranking settles."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from conftest import scenario_dict, strategy

import adsim
from adsim import Scenario
from adsim.confidence import AUTO_MAX_REPLICATES, MIN_REPLICATES, ranking_confidence
from adsim.parallel import Executor


def test_a_strategy_cheaper_in_every_replicate_is_surely_best():
    spend = np.full((6, 3), 100.0)
    units = np.array([[50.0, 40.0, 10.0]] * 6) + np.arange(6)[:, None]  # A always has most
    conf = ranking_confidence(spend, units, ["a", "b", "c"], "cpi_usd", seed=1)
    assert conf.leader == "a" and conf.p_best[0] == 1.0 and conf.settled(0.9)
    assert conf.p_best.sum() == pytest.approx(1.0)


def test_exchangeable_strategies_split_p_best():
    """Two strategies whose costs are the same draws in swapped order: neither should be
    sure. Each bootstrap draw picks one; with 8 replicates the leader's share stays far from 1."""
    rng = np.random.default_rng(5)
    a = rng.normal(100, 10, 8)
    units = np.stack([a, a[::-1]], axis=1)
    conf = ranking_confidence(np.full((8, 2), 1000.0), units, ["a", "b"], "cpi_usd", seed=2)
    assert conf.p_best.sum() == pytest.approx(1.0)
    assert conf.p_leader < 0.8 and not conf.settled(0.9)


def test_replicates_needed_matches_the_delta_method():
    """Costs 1.0 and 1.1 with paired linearised differences of sd 0.2 (spend varies, units
    fixed at 1): separating them needs (1.96 x 0.2 / 0.1)^2 = 15.4 -> 16 replicates."""
    d = np.array([0.2, -0.2] * 5)  # sd (ddof=1) = 0.2 x sqrt(10/9)
    spend = np.stack([1.0 + d, np.full(10, 1.1)], axis=1)
    units = np.ones((10, 2))
    conf = ranking_confidence(spend, units, ["a", "b"], "cpi_usd")
    sd = np.std(d, ddof=1)
    assert conf.replicates_needed[0, 1] == math.ceil((1.959963984540054 * sd / 0.1) ** 2)
    assert conf.replicates_needed[0, 1] == conf.replicates_needed[1, 0]


def test_spend_without_installs_never_wins():
    spend = np.full((5, 2), 100.0)
    units = np.array([[0.0, 1.0]] * 5)
    conf = ranking_confidence(spend, units, ["none", "some"], "cpi_usd")
    assert conf.cost[0] == np.inf and conf.leader == "some" and conf.p_best[0] == 0.0


def test_auto_replicates_stop_when_settled_and_say_so():
    data = scenario_dict(horizon_days=2)
    # cars_cpc reaches people the app fits (cars x3): clearly cheaper than broad.
    seen: list[int] = []
    result = adsim.run(
        Scenario.model_validate(data), replicates="auto", workers=1,
        on_batch=lambda conf: seen.append(conf.replicates),
    )  # fmt: skip
    assert seen[0] >= MIN_REPLICATES and seen[-1] == result.replicates
    assert seen == sorted(seen)
    assert MIN_REPLICATES <= result.replicates <= AUTO_MAX_REPLICATES
    assert result.stopping["settled"] and result.stopping["leader"] == "cars_cpc"
    assert result.stopping["p_best"] >= 0.9
    assert result.manifest()["ranking"]["stopping"] == result.stopping
    # Deterministic: the same scenario stops at the same replicate with the same answer.
    again = adsim.run(Scenario.model_validate(data), replicates="auto", workers=1)
    assert again.replicates == result.replicates
    assert again.confidence().p_leader == result.confidence().p_leader


def test_auto_stops_at_the_minimum_when_nothing_can_be_ranked():
    """No strategy can spend (a bid far below the market): after the minimum batch there is
    nothing to rank, so the run stops instead of going on to the maximum."""
    data = scenario_dict(horizon_days=1)
    for s in data["strategies"]:
        s["bid"] = {"strategy": "max_cpm", "amount_usd": 0.01}
    result = adsim.run(Scenario.model_validate(data), replicates="auto", workers=1)
    assert result.replicates == MIN_REPLICATES
    assert result.stopping["leader"] is None and not result.stopping["settled"]


def test_identical_strategies_share_p_best_and_never_settle():
    """Two strategies that deliver identically (the same draws) tie in every bootstrap
    draw: each gets half the credit. argmin used to give all of it to the first listed, so
    the adaptive run called a tie settled at 5 replicates."""
    spend = np.full((6, 2), 100.0)
    units = np.stack([np.arange(6) + 10.0] * 2, axis=1)
    conf = ranking_confidence(spend, units, ["a", "b"], "cpi_usd")
    assert conf.p_best.tolist() == [0.5, 0.5] and not conf.settled(0.9)


class _FakeLanes(Executor):
    """Runs tasks in this process, last submitted first, while claiming ``lanes`` workers:
    the batch sizes of a many-core machine without starting its processes."""

    lanes = 8

    def __init__(self, workers: int = 1, client=None) -> None:
        super().__init__(self.lanes, client)

    def map_unordered(self, fn, tasks):
        for k in reversed(range(len(tasks))):
            yield k, fn(*tasks[k])


@pytest.mark.parametrize("lanes", [2, 8])
def test_auto_stops_at_the_same_replicate_whatever_runs_it(monkeypatch, lanes):
    """Replaying the stopping rule used to stop at 5 replicates with 1-4 workers, 8 with 8
    and 16 with 16: batches were max(2, workers). The rule is now checked at fixed counts
    (5, 7, 9, ...), so 1 and `lanes` workers give the same records and answer. b's budget
    is 3% above a's: close enough that the run goes past the first check."""
    import adsim.runner

    data = scenario_dict(horizon_days=1)
    data["strategies"] = [
        strategy("a", budget={"daily_usd": 300}),
        strategy("b", budget={"daily_usd": 310}),
    ]
    scenario = Scenario.model_validate(data)
    one = adsim.run(scenario, replicates="auto", workers=1)
    assert one.replicates > MIN_REPLICATES  # the case is only a test if it runs on
    monkeypatch.setattr(_FakeLanes, "lanes", lanes)
    monkeypatch.setattr(adsim.runner, "Executor", _FakeLanes)
    seen: list[int] = []
    many = adsim.run(scenario, replicates="auto", on_batch=lambda c: seen.append(c.replicates))
    assert many.replicates == one.replicates and many.stopping == one.stopping
    assert seen == list(range(MIN_REPLICATES, one.replicates + 1, 2))
    pd.testing.assert_frame_equal(many.summary(), one.summary())
