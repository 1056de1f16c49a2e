"""pytest-benchmark suites for the kernels and a whole run (``make bench``).

Timings only; correctness lives in tests/. Each benchmark uses a fixed seed and warms the
numba cache first so compile time is never measured.
"""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pytest
import yaml

import adsim
from adsim.engine import Engine
from adsim.kernels.auction import run_slot
from adsim.params import to_params
from adsim.population import build_population
from adsim.rng import Streams

ROOT = Path(__file__).resolve().parents[1]


def _scenario(agents: int, days: int = 1) -> adsim.Scenario:
    data = yaml.safe_load((ROOT / "scenarios" / "quickstart.yaml").read_text())
    data["population"]["agents"] = agents
    data["population"]["scale"] = 1
    data["accounts"][0]["followers"] = agents // 20
    data["horizon_days"] = days
    return adsim.Scenario.model_validate(data)


@pytest.fixture(scope="module")
def world():
    p = to_params(_scenario(200_000))
    pop = build_population(p, Streams(1))
    return p, pop


def test_build_population_200k(benchmark):
    p = to_params(_scenario(200_000))
    build_population(p, Streams(0))  # warm
    pop = benchmark.pedantic(build_population, args=(p, Streams(1)), rounds=3, iterations=1)
    assert pop.n == 200_000


def test_session_kernels_peak_slot(benchmark, world):
    p, pop = world
    eng = Engine(p, pop, Streams(1))
    inputs = benchmark(eng.slot_inputs, 20, 20.0)  # 20:00, the evening peak
    assert inputs["sess_agent"].size > 0


def test_auction_kernel_peak_slot(benchmark, world):
    p, pop = world
    eng = Engine(p, pop, Streams(1))
    # The state a run has at 20:00 on day 0: strategies live, today's budgets open, no throttle.
    eng.active[:] = True
    eng.allowance_today[:] = eng.daily_budget
    eng.pacing.throttle[:] = 1.0
    inputs = eng.slot_inputs(20, 20.0)
    state = {k: v for k, v in inputs.items() if isinstance(v, np.ndarray) and v.ndim == 2}

    def fresh():
        return (), {**inputs, **{k: v.copy() for k, v in state.items()}}

    run_slot(**fresh()[1])  # warm
    counters, _, _ = benchmark.pedantic(run_slot, setup=fresh, rounds=10)
    assert counters[:, 0].sum() > 0


def test_whole_run_quickstart(benchmark):
    sc = adsim.load_scenario(ROOT / "scenarios" / "quickstart.yaml")
    adsim.run(sc)  # warm
    result = benchmark.pedantic(adsim.run, args=(sc,), rounds=3, iterations=1)
    assert (result.summary()["impressions"] > 0).all()


def test_whole_run_five_strategies_200k(benchmark):
    sc = _scenario(200_000, days=2)
    data = sc.model_dump(by_alias=True)
    data["strategies"] = [
        {**copy.deepcopy(data["strategies"][n % 3]), "name": f"s{n}"} for n in range(5)
    ]
    sc = adsim.Scenario.model_validate(data)
    result = benchmark.pedantic(adsim.run, args=(sc,), rounds=2, iterations=1)
    assert len(result.strategies) == 5


def _feed_slot_inputs(cascade: bool, slot: int = 20) -> tuple:
    """The feed kernel's arguments at ``slot`` (20:00 on day 0) of a 200k-agent organic run."""
    from feed_throughput import with_feed
    from throughput import throughput_scenario

    import adsim.engine.feed as engine_feed
    from adsim.kernels.feed import run_feed_slot

    sc = with_feed(throughput_scenario(200_000, 2, 1), cascade=cascade)
    captured: list[tuple] = []

    def capture(*args):
        if len(captured) == slot:
            captured.append(tuple(a.copy() if isinstance(a, np.ndarray) else a for a in args))
        elif len(captured) < slot:
            captured.append(())
        return run_feed_slot(*args)

    engine_feed.run_feed_slot = capture
    try:
        adsim.run(sc)
    finally:
        engine_feed.run_feed_slot = run_feed_slot
    return captured[slot]


@pytest.mark.parametrize("cascade", [False, True], ids=["twitter_preset", "cascade_heavy"])
def test_feed_kernel_peak_slot(benchmark, cascade):
    from adsim.kernels.feed import run_feed_slot

    args = _feed_slot_inputs(cascade)

    def fresh():
        return tuple(a.copy() if isinstance(a, np.ndarray) else a for a in args), {}

    run_feed_slot(*fresh()[0])  # warm
    stats = benchmark.pedantic(run_feed_slot, setup=fresh, rounds=10)  # per exposure world
    edges, ranked = stats[:, 0].sum(), stats[:, 2].sum()
    assert ranked > 0 and (edges > 0 or not cascade)
    benchmark.extra_info["share_edges"] = int(edges)
    benchmark.extra_info["candidates_ranked"] = int(ranked)
