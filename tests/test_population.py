"""The synthetic population: deterministic, calibrated to its spec, graphs well-formed."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
from conftest import scenario_dict

from adsim import Scenario
from adsim.kernels.population import _fill_guide, _pick, follow_graph
from adsim.params import to_params
from adsim.population import build_population
from adsim.rng import Streams


@pytest.fixture(scope="module")
def built():
    data = scenario_dict()
    data["population"]["agents"] = 20000
    data["population"]["scale"] = 5
    data.setdefault("platform", {})["feed"] = {"preset": "twitter"}  # the feed reads the graph
    p = to_params(Scenario.model_validate(data))
    return p, build_population(p, Streams(p.seed))


def test_same_seed_same_population(built):
    p, pop = built
    again = build_population(p, Streams(p.seed))
    for name, value in vars(pop).items():
        if isinstance(value, np.ndarray):
            np.testing.assert_array_equal(value, getattr(again, name), err_msg=name)
    other = build_population(p, Streams(p.seed + 1))
    assert not np.array_equal(pop.age, other.age)
    assert not np.array_equal(pop.follow_dst, other.follow_dst)


def test_no_feed_no_graph_and_nothing_else_changes(built):
    """Only the feed reads agent follows: without it the graph is skipped, and every other
    attribute keeps its draws (the graph has its own stream)."""
    p, pop = built
    bare = build_population(replace(p, feed=None), Streams(p.seed))
    assert bare.follow_dst.size == 0 and np.all(bare.follow_ptr == 0)
    assert pop.follow_dst.size > 0
    for name, value in vars(pop).items():
        if isinstance(value, np.ndarray) and not name.startswith("follow_"):
            np.testing.assert_array_equal(value, getattr(bare, name), err_msg=name)


def _binomial_tol(prob: float, n: int, sds: float = 4.0) -> float:
    """Tolerance for an observed share: ``sds`` binomial standard deviations."""
    return sds * math.sqrt(prob * (1 - prob) / n)


def test_shares_match_the_spec(built):
    p, pop = built
    n = pop.n
    north = (pop.region == 0).mean()
    assert abs(north - 0.6) < _binomial_tol(0.6, n)
    young = ((pop.age >= 18) & (pop.age <= 34)).mean()
    assert abs(young - 0.5) < _binomial_tol(0.5, n)
    assert pop.age.min() >= 18 and pop.age.max() <= 64
    ios = (pop.device == 0).mean()
    assert abs(ios - 0.45) < _binomial_tol(0.45, n)
    south_lang = pop.language[pop.region == 1]
    assert np.all(south_lang == p.languages.index("xx"))


def test_interest_prevalence_and_tilt(built):
    _, pop = built
    cars = (pop.interests[:, 0] & np.uint64(1)) != 0
    assert abs(cars.mean() - 0.2) < _binomial_tol(0.2, pop.n)
    # Tilt male 2.0 vs female 0.5: men hold it ~4x as often.
    assert cars[pop.gender == 1].mean() > 3 * cars[pop.gender == 0].mean()


def test_account_followers(built):
    p, pop = built
    autos = pop.followers_of(0)
    assert autos.size == round(8000 / p.scale)
    assert np.all(np.diff(autos) > 0)  # sorted, unique
    cars = (pop.interests[:, 0] & np.uint64(1)) != 0
    # Profile x8 for car fans: followers are far more car-minded than the population.
    assert cars[autos].mean() > 2 * cars.mean()
    south = pop.followers_of(1)
    assert (pop.region[south] == 1).mean() > 0.9


def test_follow_graph_is_valid_csr(built):
    p, pop = built
    ptr, dst = pop.follow_ptr, pop.follow_dst
    assert ptr[0] == 0 and ptr[-1] == dst.size and np.all(np.diff(ptr) >= 0)
    assert dst.min() >= 0 and dst.max() < pop.n
    src = np.repeat(np.arange(pop.n), np.diff(ptr))
    assert not np.any(src == dst)  # no self-follows
    for i in range(0, pop.n, 997):
        row = dst[ptr[i] : ptr[i + 1]]
        assert np.all(np.diff(row) > 0)  # sorted and unique
    mean_deg = dst.size / pop.n
    assert 0.7 * p.graph_mean_follows < mean_deg <= p.graph_mean_follows * 1.05
    # Region homophily 0.6: same-region share well above the 0.6^2 + 0.4^2 = 0.52 of random.
    same = (pop.region[src] == pop.region[dst]).mean()
    assert same > 0.7
    in_deg = np.bincount(dst, minlength=pop.n)
    assert in_deg.max() > 10 * in_deg.mean()  # heavy-tailed popularity


@pytest.mark.parametrize("lo, hi", [(0, 500), (120, 380), (499, 500)])
def test_guided_pick_is_the_inverse_cdf(lo, hi):
    # The guide table only says where to start scanning: every draw must land exactly where a
    # binary search of the block's own cumulative distribution puts it, for compiled and
    # plain-Python code alike.
    rng = np.random.default_rng(3)
    cum = np.cumsum(rng.lognormal(0.0, 1.5, 500))
    guide = np.zeros(500, dtype=np.int32)
    _fill_guide(cum, lo, hi, guide)
    base = cum[lo - 1] if lo > 0 else 0.0
    for u in np.concatenate([rng.random(300), [0.0, 1.0 - 1e-16]]):
        expected = lo + min(
            int(np.searchsorted(cum[lo:hi], base + u * (cum[hi - 1] - base), side="right")),
            hi - lo - 1,
        )
        assert _pick(cum, guide, lo, hi, u) == expected
        assert _pick.py_func(cum, guide, lo, hi, u) == expected


def test_local_follows_spread_over_a_small_region():
    # Region 0 holds 3000 agents, region 1 only 1000; everyone follows ~10 others in their own
    # region, all equally attractive. Each region-1 agent's in-degree is then about
    # Binomial(10 000, 1/999) ~ Poisson(10), and region 0's the same: P(X >= 30) = 2.5e-7, so
    # over all 4000 agents a maximum of 30 or more (chance 1e-3 for a fair sampler) means picks
    # pile up, as they did when a block's cumulative sum was offset by the previous region's
    # total and nearly every local pick in region 1 hit its last agent (in-degree 999).
    n = 4000
    region = np.repeat(np.array([0, 1], dtype=np.int16), [3000, 1000])
    ptr, dst = follow_graph(
        np.uint64(7), region, np.zeros((n, 2), dtype=np.uint64), np.arange(n, dtype=np.int64),
        np.array([0, 3000, 4000], dtype=np.int64), 10.0, 50.0, 0.0, 1.0, 0.0,
    )  # fmt: skip
    src = np.repeat(np.arange(n), np.diff(ptr))
    assert np.all(region[src] == region[dst])
    in_deg = np.bincount(dst, minlength=n)
    assert in_deg.max() < 30


def test_app_fit_is_normalised(built):
    p, pop = built
    available = p.app_os_available[pop.device]
    assert pop.app_fit[available].mean() == pytest.approx(1.0)
    cars = (pop.interests[:, 0] & np.uint64(1)) != 0
    assert pop.app_fit[cars & available].mean() == pytest.approx(
        3 * pop.app_fit[~cars & available].mean()
    )
    # Install odds after a click: store_cvr's odds x fit x device x app-install propensity
    # (no cap, never a certainty).
    odds = p.store_cvr / (1 - p.store_cvr) * pop.app_fit * p.device_install_mult[pop.device]
    odds = odds * pop.app_propensity
    np.testing.assert_allclose(pop.install_odds, odds, rtol=1e-6)
    assert np.all(np.isneginf(pop.organic_install_h[pop.has_app]))


def test_intent_episodes_and_organic_installs():
    """In-market shares and organic installs follow the intent model's stated averages."""
    data = scenario_dict()
    data["population"]["agents"] = 60_000
    data["app"] = {"baseline_installs_per_day": 0.002, "fit": {"interests": {"cars": 3.0}},
                   "intent": {"in_market_share": 0.02, "episode_days": 4}}  # fmt: skip
    p = to_params(Scenario.model_validate(data))
    pop = build_population(p, Streams(p.seed))
    owner = np.repeat(np.arange(pop.n), np.diff(pop.episode_ptr))
    now = (pop.episode_start_h <= 0) & (pop.episode_end_h > 0)
    in_market = np.zeros(pop.n, dtype=bool)
    in_market[owner[now]] = True
    fit = pop.app_fit
    # Stationary share per person: r D / (1 + r D) with r D = s / (1 - s) x fit.
    rd = 0.02 / 0.98 * fit
    expected = (rd / (1 + rd)).sum()
    # A sum of independent Bernoullis: sd = sqrt(sum p (1 - p)); allow 4 sd.
    assert abs(in_market.sum() - expected) < 4 * math.sqrt((rd / (1 + rd) ** 2).sum())
    # In-market people are the high-fit ones: fit enters the rate of starting an episode, so
    # their mean fit is the share-weighted mean; the sample mean of k of them has sd
    # sd(fit) / sqrt(k); allow 4 sd.
    share = rd / (1 + rd)
    weighted = (fit * share).sum() / share.sum()
    k = in_market.sum()
    assert weighted > 1.3 * fit.mean()
    assert abs(fit[in_market].mean() - weighted) < 4 * fit[in_market].std() / math.sqrt(k)
    # Organic installs over the 3 days: the in-market hazard h is set so that the population
    # averages baseline a day, h = baseline / mean(share_i); people who already have the app
    # do not count. In a stationary process the expected count is sum share_i x h x 72 h;
    # the count is nearly Poisson: allow 4 sd.
    hazard_per_day = 0.002 / share.mean()
    mean = (share[~pop.has_app] * hazard_per_day * 3).sum()
    organic = pop.organic_install_h
    assert abs(np.sum((organic >= 0) & (organic < 72)) - mean) < 4 * math.sqrt(mean)
    who = np.flatnonzero(np.isfinite(pop.organic_install_h) & (pop.organic_install_h >= 0))
    for i in who[:200]:
        e = slice(pop.episode_ptr[i], pop.episode_ptr[i + 1])
        t = pop.organic_install_h[i]
        assert np.any((pop.episode_start_h[e] <= t) & (t < pop.episode_end_h[e]))
