"""Numba kernels, checked against their plain-Python ``py_func`` and against hand-worked cases."""

from __future__ import annotations

import math

import numpy as np
import pytest

from adsim.kernels.auction import SLOT_COUNTERS, attribute_installs, run_slot, wearout
from adsim.kernels.hashing import hash_uniform
from adsim.kernels.sessions import (
    _alias_tables,
    _pick_slot,
    _poisson,
    draw_day_sessions,
    slot_sessions,
)
from adsim.kernels.targeting import creative_ctr, within_radius
from adsim.rng import lognormal_table, normal_quantiles

IMPRESSIONS = SLOT_COUNTERS.index("impressions")
AUCTIONS = SLOT_COUNTERS.index("auctions")


def test_hash_uniform_matches_py_func_and_is_uniform():
    key = np.uint64(12345)
    draws = np.array([hash_uniform(key, i, 7) for i in range(20000)])
    assert all(hash_uniform.py_func(key, i, 7) == draws[i] for i in range(0, 20000, 997))
    assert draws.min() >= 0.0 and draws.max() < 1.0
    # Mean of n uniforms has sd 1/sqrt(12 n) = 0.0020 for n = 20000; allow 4 sd.
    assert abs(draws.mean() - 0.5) < 4 * (1 / math.sqrt(12 * 20000))
    # Different salts give unrelated streams (correlation sd ~ 1/sqrt(n) = 0.007).
    other = np.array([hash_uniform(key, i, 8) for i in range(20000)])
    assert abs(np.corrcoef(draws, other)[0, 1]) < 4 / math.sqrt(20000)


def test_wearout_shape():
    decay = math.log(2) / 4.0
    assert wearout(0, 4, decay, 0.0) == wearout.py_func(0, 4, decay, 0.0) == 1.0
    assert wearout(4, 4, decay, 0.0) == 1.0
    assert wearout(8, 4, decay, 0.0) == pytest.approx(0.5)  # halves after half_life more
    assert wearout(12, 4, decay, 0.0) == pytest.approx(0.25)
    # With a floor, the distance to the floor halves: never below it, however many.
    assert wearout(8, 4, decay, 0.5) == pytest.approx(0.75)
    assert wearout(1e6, 4, decay, 0.5) == pytest.approx(0.5)
    assert wearout(6.5, 4, decay, 0.5) == wearout.py_func(6.5, 4, decay, 0.5)  # fading counts


def test_poisson_mean():
    lam, n = 0.3, 40000
    key = np.uint64(99)
    draws = np.array([_poisson(lam, hash_uniform(key, i, 0)) for i in range(n)])
    # Poisson mean has sd sqrt(lam / n) = 0.0027; allow 4 sd.
    assert abs(draws.mean() - lam) < 4 * math.sqrt(lam / n)
    assert _poisson.py_func(lam, 0.999) == _poisson(lam, 0.999) >= 1


def test_within_radius_known_distance():
    # Madrid - Barcelona great-circle distance is about 505 km.
    lat = np.array([41.3874], dtype=np.float32)
    lon = np.array([2.1686], dtype=np.float32)
    assert within_radius(lat, lon, 40.4168, -3.7038, 510.0)[0]
    assert not within_radius(lat, lon, 40.4168, -3.7038, 500.0)[0]
    assert within_radius.py_func(lat, lon, 40.4168, -3.7038, 510.0)[0]


def test_creative_ctr_matches_py_func_and_lifts_topic_holders():
    interests = np.array([[0b01], [0b10], [0b11], [0]], dtype=np.uint64)
    interests = np.hstack([interests, np.zeros_like(interests)])
    device = np.array([0, 1, 1, 0], dtype=np.uint8)
    args = (interests, device, np.uint64(5), 0.01, np.array([0]), 1.0, np.array([1.0, 1.2, 1.0]))
    fast, slow = creative_ctr(*args), creative_ctr.py_func(*args)
    np.testing.assert_array_equal(fast, slow)
    assert fast[1] == pytest.approx(0.012)  # no topic: base x device multiplier
    assert fast[3] == pytest.approx(0.01)
    assert 0.01 * 1.2 < fast[0] < 0.02  # holds the topic: lifted by an affinity in [0.2, 1)


def _slot_inputs(
    bid_cpm, comp_cpm, *, reserve=1.0, first_price=False, budget=np.inf, cap=100, n_ads=1,
    sessions=1,
):  # fmt: skip
    """One agent, ``sessions`` sessions with ``n_ads`` ad slots each, one strategy in one
    world; no clicks, installs or view effects unless a test sets them."""
    n = 1
    ads = n_ads * sessions
    return dict(
        key=np.uint64(1), sess_agent=np.zeros(sessions, dtype=np.int32),
        sess_time=5.0 + 0.1 * np.arange(sessions), sess_local_hour=np.full(sessions, 5),
        ad_ptr=np.arange(sessions + 1) * n_ads, comp_cpm=np.full(ads, comp_cpm),
        reserve_cpm=reserve, first_price=first_price,
        wear_onset=4, wear_decay=0.1, wear_floor=0.5, accidental_ctr=0.0,
        click_hour_mult=np.ones(24), install_hour_mult=np.ones(24), intent_mult=1.0,
        view_effect=0.0, view_delay_median_h=1.0, delay_median_h=1.0, delay_sigma=0.0,
        install_odds=np.zeros(n, dtype=np.float32), ctr_error=np.ones(n, dtype=np.float32),
        ep_ptr=np.zeros(n + 1, dtype=np.int64), ep_start=np.zeros(0), ep_end=np.zeros(0),
        ep_seen=np.zeros(0, dtype=np.bool_), organic_hazard_h=0.0,
        tracked=np.ones(n, dtype=np.bool_), observable=np.ones(n, dtype=np.bool_),
        click_window_h=168.0, view_window_h=24.0, scale=1.0,
        feat_ptr=np.zeros(n + 1, dtype=np.int64), feat_id=np.zeros(0, dtype=np.int32),
        n_features=1,
        segment=np.ones((1, n), dtype=np.uint8), ctr0=np.zeros((1, n), dtype=np.float32),
        daypart=np.ones((1, 24), dtype=np.bool_), exclude_installed=np.array([True]),
        flight_start_h=np.zeros(1), flight_end_h=np.full(1, np.inf),
        freq_cap=np.array([cap]), bid_kind=np.array([0]), quality=np.array([1.0]),
        bills_click=np.array([False]), inst_strategy=np.array([0]),
        inst_advertiser=np.array([0]), world_ptr=np.array([0, 1]),
        active=np.array([True]), bid_amount=np.array([bid_cpm]), throttle=np.array([1.0]),
        pass_offset=np.zeros(1), budget_left=np.array([budget]),
        cvr_hat=np.zeros((1, n), dtype=np.float32), intent_lift=np.ones(1),
        freq_total=np.zeros((1, n), dtype=np.uint16), freq_window=np.zeros((1, n), dtype=np.uint16),
        wear=np.zeros((1, n), dtype=np.float32), exposure=np.zeros((1, n), dtype=np.float32),
        signal_exposure=np.zeros(1),
        expected_installs=np.zeros(1),
        spend_agent=np.zeros((1, n), dtype=np.float32),
        install_time=np.full((1, n), np.inf), last_click_t=np.full((1, n), -np.inf),
        last_click_inst=np.full((1, n), -1, dtype=np.int16),
        last_view_t=np.full((1, n), -np.inf), last_view_inst=np.full((1, n), -1, dtype=np.int16),
    )  # fmt: skip


def _two_instances(inputs, bids, quality, advertisers):
    """Turn ``_slot_inputs`` into two manual-CPM strategies sharing one world."""
    inputs.update(
        segment=np.ones((2, 1), dtype=np.uint8), ctr0=np.zeros((2, 1), dtype=np.float32),
        daypart=np.ones((2, 24), dtype=np.bool_), exclude_installed=np.array([True, True]),
        flight_start_h=np.zeros(2), flight_end_h=np.full(2, np.inf),
        freq_cap=np.array([100, 100]), bid_kind=np.array([0, 0]), quality=np.array(quality),
        bills_click=np.array([False, False]), inst_strategy=np.array([0, 1]),
        inst_advertiser=np.array(advertisers), world_ptr=np.array([0, 2]),
        active=np.array([True, True]), bid_amount=np.array(bids),
        throttle=np.array([1.0, 1.0]), pass_offset=np.zeros(2),
        budget_left=np.array([np.inf, np.inf]), cvr_hat=np.zeros((2, 1), dtype=np.float32),
        intent_lift=np.ones(2), signal_exposure=np.zeros(2),
        freq_total=np.zeros((2, 1), dtype=np.uint16),
        freq_window=np.zeros((2, 1), dtype=np.uint16), wear=np.zeros((2, 1), dtype=np.float32),
        exposure=np.zeros((2, 1), dtype=np.float32), expected_installs=np.zeros(2),
        spend_agent=np.zeros((2, 1), dtype=np.float32),
    )  # fmt: skip
    return inputs


@pytest.mark.parametrize(
    ("bid", "comp", "reserve", "first", "price_cpm"),
    [
        (10.0, 4.0, 1.0, False, 4.0),  # second price: pay the competing value
        (10.0, 4.0, 6.0, False, 6.0),  # the reserve is the runner-up
        (10.0, 4.0, 1.0, True, 10.0),  # first price: pay the bid
        (3.0, 4.0, 1.0, False, None),  # outbid by the market: no impression
        (10.0, 4.0, 12.0, False, None),  # below the reserve
    ],
)
def test_auction_pricing(bid, comp, reserve, first, price_cpm):
    for kernel in (run_slot, run_slot.py_func):
        counters, spend, max_price, _ = kernel(
            **_slot_inputs(bid, comp, reserve=reserve, first_price=first)
        )
        assert counters[0, AUCTIONS] == 1
        if price_cpm is None:
            assert counters[0, IMPRESSIONS] == 0 and spend[0] == 0.0
        else:
            assert counters[0, IMPRESSIONS] == 1
            assert spend[0] == pytest.approx(price_cpm / 1000.0)
            assert max_price[0] == pytest.approx(price_cpm / 1000.0)


def test_second_price_between_two_advertisers_in_one_world():
    inputs = _two_instances(_slot_inputs(10.0, 2.0), [10.0, 7.0], [1.0, 2.0], [0, 1])
    counters, spend, _, _ = run_slot(**inputs)
    # Total value: 10 x 1 vs 7 x 2 = 14. The second wins and pays 10 / its quality 2 = 5 CPM.
    assert counters[:, IMPRESSIONS].tolist() == [0, 1]
    assert counters[:, AUCTIONS].tolist() == [1, 1]
    assert spend[1] == pytest.approx(5.0 / 1000.0)


def test_one_advertisers_strategies_never_set_each_others_price():
    inputs = _two_instances(_slot_inputs(10.0, 2.0), [10.0, 7.0], [1.0, 2.0], [0, 0])
    for kernel in (run_slot, run_slot.py_func):
        counters, spend, _, _ = kernel(**{k: v.copy() if hasattr(v, "copy") else v
                                       for k, v in inputs.items()})  # fmt: skip
        # Only the advertiser's best-valued strategy enters; it pays the market's 2 CPM / 2.
        assert counters[:, AUCTIONS].tolist() == [0, 1]
        assert counters[:, IMPRESSIONS].tolist() == [0, 1]
        assert spend[1] == pytest.approx(1.0 / 1000.0)


def test_at_most_one_impression_per_strategy_per_session():
    inputs = _slot_inputs(10.0, 4.0, n_ads=5, sessions=3)
    counters, _, _, _ = run_slot(**inputs)
    assert counters[0, IMPRESSIONS] == 3  # one in each of the three sessions
    assert inputs["freq_total"][0, 0] == 3 and inputs["wear"][0, 0] == 3.0


def test_click_billing_never_charges_more_than_the_cpc_bid():
    # A CPC bid of $0.50 with an estimated CTR of 2% enters at $10 CPM; the market is at $4.
    inputs = _slot_inputs(0.5, 4.0, n_ads=1, sessions=400)
    inputs.update(bid_kind=np.array([1]), bills_click=np.array([True]), wear_onset=10**6)
    inputs.update(freq_cap=np.array([10**4]))
    inputs["ctr0"][:] = 0.02
    inputs["ctr_error"][:] = 2.0  # the platform overestimates this person's CTR twofold
    for first_price in (False, True):
        fresh = {k: v.copy() if isinstance(v, np.ndarray) else v for k, v in inputs.items()}
        counters, spend, max_price, _ = run_slot(**{**fresh, "first_price": first_price})
        clicks = counters[0, SLOT_COUNTERS.index("clicks")]
        assert counters[0, IMPRESSIONS] == 400 and clicks > 0
        assert max_price[0] <= 0.5 + 1e-12  # never more than the bid for a click
        per_click = 0.5 if first_price else 4.0 / (1000 * 0.02 * 2.0)  # $0.10 second price
        assert spend[0] == pytest.approx(clicks * per_click)


def test_accidental_clicks_never_install():
    inputs = _slot_inputs(10.0, 4.0, n_ads=1, sessions=300)
    inputs.update(accidental_ctr=1.0, freq_cap=np.array([10**4]))
    inputs["install_odds"][:] = 1e6  # anyone who means to click installs
    counters, _, _, _ = run_slot(**inputs)
    assert counters[0, SLOT_COUNTERS.index("clicks")] == 300
    assert counters[0, SLOT_COUNTERS.index("installs_driven")] == 0


def test_budget_stops_bidding_within_one_price():
    inputs = _slot_inputs(10.0, 4.0, budget=0.01, sessions=20)
    counters, spend, max_price, _ = run_slot(**inputs)
    # Each impression costs 0.004: bidding stops once spend reaches the budget, so at most one
    # price over it (3 impressions: 0.012).
    assert spend[0] <= 0.01 + max_price[0]
    assert counters[0, IMPRESSIONS] == 3


def test_frequency_cap_and_counters_agree_with_py_func():
    fast = _slot_inputs(10.0, 4.0, cap=3, sessions=10)
    slow = _slot_inputs(10.0, 4.0, cap=3, sessions=10)
    c_fast, s_fast, _, _ = run_slot(**fast)
    c_slow, s_slow, _, _ = run_slot.py_func(**slow)
    np.testing.assert_array_equal(c_fast, c_slow)
    np.testing.assert_array_equal(s_fast, s_slow)
    assert c_fast[0, IMPRESSIONS] == 3
    assert fast["freq_window"][0, 0] == 3 and fast["freq_total"][0, 0] == 3


def test_click_and_install_update_attribution_state():
    inputs = _slot_inputs(10.0, 4.0)
    inputs["ctr0"][:] = 1.0  # always clicks
    inputs["install_odds"][:] = 1e12  # always installs, after delay_median_h = 1 h
    counters, _, _, _ = run_slot(**inputs)
    assert counters[0, SLOT_COUNTERS.index("clicks")] == 1
    assert counters[0, SLOT_COUNTERS.index("installs_driven")] == 1
    assert inputs["install_time"][0, 0] == pytest.approx(6.0)
    assert inputs["last_click_t"][0, 0] == 5.0 and inputs["last_click_inst"][0, 0] == 0


def test_installed_people_are_excluded():
    inputs = _slot_inputs(10.0, 4.0)
    inputs["install_time"][:] = 1.0  # installed before the session at 5 h
    counters, spend, _, _ = run_slot(**inputs)
    assert counters[0, AUCTIONS] == 0 and spend[0] == 0.0


def test_attribution_windows():
    # Five agents in one world with one instance; horizon 48 h, click window 24 h, view 6 h.
    install = np.array([[10.0, 30.0, 30.0, 30.0, 50.0]])
    click_t = np.array([[5.0, 1.0, 1.0, -np.inf, 45.0]])
    click_i = np.array([[0, 0, 0, -1, 0]], dtype=np.int16)
    view_t = np.array([[5.0, 26.0, 20.0, 29.0, 45.0]])
    view_i = np.array([[0, 0, 0, 0, 0]], dtype=np.int16)
    args = (install, click_t, click_i, view_t, view_i, np.array([0, 1]), 24.0, 6.0, 48.0, 2)
    for kernel in (attribute_installs, attribute_installs.py_func):
        world, click_attr, view_attr, credit = kernel(*args)
        # agent 0: click 5 h before, day 0. agent 1: click too old, view 4 h before -> view.
        # agent 2: both too old. agent 3: view only, 1 h before. agent 4: after the horizon.
        assert world.tolist() == [[1, 3]]
        assert click_attr.tolist() == [[1, 0]]
        assert view_attr.tolist() == [[0, 2]]
        assert credit.tolist() == [[0, 0, -1, 0, -1]]


def test_session_kernels_match_py_func_and_rates():
    n = 50000
    rate = np.full(n, 2.4)  # sessions per day
    region = np.zeros(n, dtype=np.int16)
    diurnal = np.ones((24, 1))
    diurnal[:6] = 0.25  # quiet nights: 6 x 0.25 + 18 = 19.5 of 24 slot-weights
    key = np.uint64(77)
    no_layers = (np.zeros((0, *diurnal.shape)), np.zeros((0, rate.shape[0]), np.uint8))
    args = (key, 0.0, 1.0, rate, region, diurnal, 20.0, 0.2, 1.0, *no_layers)
    day = draw_day_sessions(*args)
    again = draw_day_sessions.py_func(*args)
    for got, ref in zip(day, again, strict=True):
        np.testing.assert_array_equal(got, ref)
    # An event layer (kernels.sessions: Poisson superposition) for half the agents in slots
    # 10-11 at 2x the diurnal weight: the base day's draws are unchanged, and the layer adds
    # ~ n/2 x 2.4/24 x 2 x 2 = 10,000 sessions there (Poisson: sd 100; 5 sd tolerance).
    extra = np.zeros((1, *diurnal.shape))
    extra[0, 10:12] = 2.0
    member = (np.arange(n) % 2 == 0).astype(np.uint8)[None, :]
    layered_args = (*args[:9], extra, member)
    layered = draw_day_sessions(*layered_args)
    for got, ref in zip(layered, draw_day_sessions.py_func(*layered_args), strict=True):
        np.testing.assert_array_equal(got, ref)
    added = np.diff(layered[0]) - np.diff(day[0])
    assert (added[:10] == 0).all() and (added[12:] == 0).all()
    assert abs(added[10:12].sum() - 10_000) < 500
    slot_ptr, agent, time_h, n_ads = day
    per_slot = np.diff(slot_ptr)
    # Slot q's sessions ~ Poisson(n x 2.4 / 24 x diurnal[q]): 5000 by day, 1250 by night.
    for q in (3, 12):
        mean = n * 2.4 / 24 * diurnal[q, 0]
        assert abs(per_slot[q] - mean) < 4 * math.sqrt(mean)
    for q in range(24):  # agents ascend in a slot; times fall inside it
        a, t = agent[slot_ptr[q] : slot_ptr[q + 1]], time_h[slot_ptr[q] : slot_ptr[q + 1]]
        assert np.all(np.diff(a) >= 0) and np.all((t >= q) & (t < q + 1))
        same = np.diff(a) == 0  # an agent's own sessions in time order
        assert np.all(np.diff(t)[same] >= 0)
    # Mean items 20, one ad in five: ~3.5 ads per session (floor of a geometric / 5).
    assert 3.0 < n_ads.mean() < 4.0
    q = 12
    out = slot_sessions(
        key, n, agent, time_h, n_ads, slot_ptr[q], slot_ptr[q + 1], region, np.array([0.0]),
        4.0, np.ones(24), np.ones(n, dtype=np.float32), lognormal_table(0.0),
    )  # fmt: skip
    s_agent, _, local_hour, ad_ptr, comp = out
    # The same sessions, rotated to start at one agent: a rotation of agent order.
    assert sorted(s_agent.tolist()) == sorted(agent[slot_ptr[q] : slot_ptr[q + 1]].tolist())
    assert np.sum(np.diff(s_agent.astype(np.int64)) < 0) <= 1
    assert np.all(local_hour == 12) and ad_ptr[-1] == n_ads[slot_ptr[q] : slot_ptr[q + 1]].sum()
    np.testing.assert_allclose(comp, 4.0)  # market sigma 0: always the median
    # The competing eCPM is lognormal around the median: log-sd sigma over m draws.
    comp = slot_sessions(
        key, n, agent, time_h, n_ads, slot_ptr[q], slot_ptr[q + 1], region, np.array([0.0]),
        4.0, np.ones(24), np.ones(n, dtype=np.float32), lognormal_table(0.5),
    )[4]  # fmt: skip
    logs = np.log(comp / 4.0)
    # The sample mean of m standard-normal logs x 0.5 has sd 0.5 / sqrt(m); allow 4 sd.
    assert abs(logs.mean()) < 4 * 0.5 / math.sqrt(logs.size)
    assert abs(logs.std() - 0.5) < 0.02


def test_alias_tables_draw_each_slot_at_its_weight():
    weights = np.random.default_rng(1).uniform(0.0, 3.0, (2, 24))
    weights[1, 5] = 0.0
    prob, alias = _alias_tables(weights)
    u = (np.arange(48_000) + 0.5) / 48_000  # an even grid: exact shares up to 1/48,000 each
    for r in range(2):
        picks = np.array([_pick_slot(prob[r], alias[r], x) for x in u])
        share = np.bincount(picks, minlength=24) / u.size
        np.testing.assert_allclose(share, weights[r] / weights[r].sum(), atol=24 / u.size)


def test_normal_quantile_table():
    z = normal_quantiles()
    assert z.shape == (65536,) and np.all(np.diff(z) > 0)
    assert abs(z.mean()) < 1e-12  # symmetric
    assert z.std() == pytest.approx(1.0, abs=1e-3)  # discretisation trims only the far tails
    assert lognormal_table(0.5, mean_one=True).mean() == pytest.approx(1.0, abs=1e-3)
    assert np.median(lognormal_table(0.5)) == pytest.approx(1.0, abs=1e-4)


def test_ad_load_is_the_exact_share_of_feed_items():
    """A session of n items holds floor(n x ad_load) ads, for any share: ad_load used to be
    rounded to 1/round(1/ad_load), so 0.4, 0.45 and 0.5 all behaved as 0.5. Checked against
    exact rational arithmetic (the decimal the planner wrote) for 1-2,000 items."""
    from fractions import Fraction
    from math import floor

    from adsim.kernels.sessions import ads_among

    for load in (0.05, 0.1, 0.2, 0.33, 0.4, 0.45, 0.5):
        exact = Fraction(str(load))
        assert all(ads_among(n, load) == floor(n * exact) for n in range(1, 2001)), load


def test_a_higher_ad_load_opens_more_auctions():
    from conftest import scenario_dict

    import adsim
    from adsim import Scenario

    auctions = []
    for load in (0.4, 0.45, 0.5):
        data = scenario_dict(horizon_days=1)
        data["platform"] = {**data["platform"], "ad_load": load}
        result = adsim.run(Scenario.model_validate(data), workers=1)
        auctions.append(result.summary().loc["broad", "auctions"])
    assert auctions[0] < auctions[1] < auctions[2], auctions
