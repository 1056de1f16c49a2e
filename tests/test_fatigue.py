"""Exposure worlds of the organic feed: fatigue (hides and unfollows) from organic and paid
brand impressions, follows gained from views, the halo of paid exposure, boosted posts, and
the organic baseline shared by every comparison."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import scenario_dict, strategy

import adsim
from adsim import Scenario
from adsim.kernels.feed import POST_COUNTERS

C = {name: k for k, name in enumerate(POST_COUNTERS)}


def _scenario(feed: dict | None = None, strategies: list | None = None, **posting) -> dict:
    """20,000 agents (scale 5), a 40,000-follower brand page posting 4 times a day for 2
    days, its posts ranked high enough that most followers online see them (so fatigue has
    people to act on), and no shares unless asked."""
    data = scenario_dict(horizon_days=2)
    data["population"] = {**data["population"], "agents": 20_000, "scale": 5}
    data["accounts"] = [
        {"handle": "@brand", "followers": 40_000},
        {"handle": "@ghost", "followers": 0},
    ]
    data["platform"] = {
        **data["platform"],
        "feed": {"preset": "twitter", "page_weight": 300.0, "share_rate": 0.0, "hide_rate": 0.0,
                 "follow_rate": 0.0, "paid_halo": 0.0, **(feed or {})},
    }  # fmt: skip
    plan = {"account": "@brand", "posts_per_day": 4, "hours": [8, 12, 16, 20], "topic": "cars"}
    data["posting"] = [{**plan, **posting}]
    if strategies is not None:
        data["strategies"] = strategies
    return data


def _run(data: dict, replicates: int = 1) -> adsim.Result:
    return adsim.run(Scenario.model_validate(data), replicates=replicates)


def _day_follower_views(result: adsim.Result, day: int) -> int:
    """Views by followers of the standing posts published on ``day`` (the baseline world)."""
    f = result.records[0].feed
    mine = (f.post_time_h >= 24 * day) & (f.post_time_h < 24 * (day + 1))
    return int(f.post_counters[mine, C["follower_views"]].sum())


def test_hides_and_unfollows_lower_later_reach():
    calm = _run(_scenario())
    tired = _run(_scenario({"hide_rate": 0.3, "fatigue_onset": 1.0}))
    # The day-0 posts are seen before most hides; the day-1 posts meet the hidden page.
    # Each follower who views a post hides with chance >= 0.3 / 3 (0.3 x recent / onset /
    # (1 + lift)) per view and sees several posts a day, so over half of day 0's viewers
    # have hidden the page by day 1: far beyond the few-percent noise of ~1,000 views.
    assert _day_follower_views(tired, 1) < 0.6 * _day_follower_views(calm, 1)
    f = tired.records[0].feed
    assert f.post_counters[:, C["hides"]].sum() > 0
    # Hides of followers are unfollows: the page's followers fall day by day.
    followers = tired.followers()
    base = followers[(followers.world == "(baseline)") & (followers.account == "@brand")]
    assert base["gained"].sum() == 0 and base["lost"].sum() > 0
    assert base["followers"].is_monotonic_decreasing
    assert base["followers"].iloc[-1] == 40_000 - base["lost"].sum()
    calm_lost = calm.followers()["lost"].sum()
    assert calm_lost == 0


def test_follows_from_views_make_later_posts_reach_new_followers():
    # A page nobody follows, found only by people browsing its hashtag.
    posting = {"account": "@ghost", "hashtags": True}
    feed = {"hashtag_browse_share": 0.3}
    without = _run(_scenario(feed, **posting))
    with_follows = _run(_scenario({**feed, "follow_rate": 1.0}, **posting))
    assert without.records[0].feed.post_counters[:, C["follower_views"]].sum() == 0
    f = with_follows.records[0].feed
    assert f.post_counters[:, C["follows"]].sum() > 0
    # New followers see later posts as followers: the follow changed future reach.
    assert f.post_counters[:, C["follower_views"]].sum() > 0
    gained = with_follows.followers()
    ghost = gained[(gained.world == "(baseline)") & (gained.account == "@ghost")]
    assert ghost["gained"].sum() == f.post_counters[:, C["follows"]].sum() * 5  # scale 5


def _linked(**fields) -> list:
    return [
        strategy("linked", account="@brand", budget={"daily_usd": 400}, **fields),
        strategy("unlinked", budget={"daily_usd": 400}),
    ]


def test_ads_that_run_as_no_page_or_touch_nothing_leave_the_organic_world_unchanged():
    # With no fatigue, halo or boost, a linked paid world sees exactly the baseline's feed:
    # its own exposure world runs the same draws on the same state.
    result = _run(_scenario(strategies=_linked()))
    row = result.summary()
    assert (row["engagements"] == 0).all() and (row["followers_gained"] == 0).all()
    rec = result.records[0]
    assert rec.exposure_world.tolist() == [1, 0]  # its own world; the unlinked shares 0


def test_paid_impressions_tire_people_of_the_page():
    feed = {"hide_rate": 0.05, "fatigue_onset": 1.0, "like_rate": 0.5}
    result = _run(_scenario(feed, strategies=_linked(frequency_cap=None)), replicates=2)
    summary = result.summary()
    # The linked ads add their wear-out memory to every organic view's hide chance, so more
    # followers hide the page in its world than in the baseline: fewer likes on later posts
    # and net followers lost. The unlinked strategy's world is the baseline itself.
    assert summary.loc["linked", "followers_gained"] < 0
    assert summary.loc["linked", "engagements"] < 0
    assert summary.loc["unlinked", "followers_gained"] == 0
    assert summary.loc["unlinked", "engagements"] == 0


def test_paid_halo_raises_shares_and_follows_of_people_the_ads_reached():
    feed = {"share_rate": 0.05, "follow_rate": 0.05, "paid_halo": 5.0}
    posting = {"hashtags": True}
    summary = _run(_scenario(feed, strategies=_linked(), **posting), replicates=2).summary()
    assert summary.loc["linked", "engagements"] > 0
    assert summary.loc["linked", "followers_gained"] > 0
    assert summary.loc["unlinked", "engagements"] == 0


def test_boosted_post_impressions_are_shared_into_followers_feeds():
    feed = {"share_rate": 0.2, "page_weight": 0.01}  # organic reach near zero: boosts do it
    boosted = [strategy("boost", account="@brand", boost=True, budget={"daily_usd": 400})]
    plain = [strategy("boost", account="@brand", budget={"daily_usd": 400})]
    with_boost = _run(_scenario(feed, strategies=boosted))
    without = _run(_scenario(feed, strategies=plain))
    rec = with_boost.records[0]
    assert rec.feed.boosted_views > 0
    # Boosted views bring shares (earned media) the same ads without the post do not.
    assert with_boost.summary().loc["boost", "engagements"] > 0
    assert without.summary().loc["boost", "engagements"] == 0
    assert rec.feed.share_edges_tried > without.records[0].feed.share_edges_tried


def test_every_comparison_keeps_the_same_organic_baseline_with_linked_ads():
    feed = {"hide_rate": 0.05, "share_rate": 0.01, "follow_rate": 0.01, "paid_halo": 1.0}
    data = _scenario(feed, strategies=_linked(), app_link=0.05)
    data["organic_tactics"] = [
        {"name": "more", "posting": {"account": "@brand", "posts_per_day": 2, "topic": "cars",
                                     "app_link": 0.05}},
    ]  # fmt: skip
    result = _run(data)
    without = result.records[0].installs_without
    assert all(np.array_equal(without[:, 0], without[:, k]) for k in range(without.shape[1]))
    # The baseline world's posts are the same run on their own (common random numbers).
    alone = _run({**data, "strategies": [strategy("solo")], "organic_tactics": []})
    np.testing.assert_array_equal(
        result.records[0].feed.post_counters[result.records[0].feed.post_tactic < 0],
        alone.records[0].feed.post_counters,
    )


def test_boost_needs_an_account_and_accounts_need_the_feed():
    with pytest.raises(ValueError, match="boost: true needs the account"):
        Scenario.model_validate(_scenario(strategies=[strategy("b", boost=True)]))
    data = scenario_dict(strategies=[strategy("b", account="@x")])
    with pytest.raises(ValueError, match="need the organic feed"):
        Scenario.model_validate(data)


def test_fatigue_does_not_depend_on_the_agents_scale_split():
    # (20,000 agents x 5) and (80,000 x 1.25) are the same 100,000 people. Hides are drawn
    # per person and view, so the share of the page's followers lost by the end is the same.
    # Tolerance: ~8,000 and ~32,000 follower agents with a lost share near 0.5 give binomial
    # standard deviations of 0.0056 and 0.0028; 0.03 is over 4.5 sd of their difference.
    shares = []
    for agents, scale in ((20_000, 5), (80_000, 1.25)):
        data = _scenario({"hide_rate": 0.3, "fatigue_onset": 1.0})
        data["population"] = {**data["population"], "agents": agents, "scale": scale}
        followers = _run(data).followers()
        base = followers[(followers.world == "(baseline)") & (followers.account == "@brand")]
        shares.append(base["lost"].sum() / 40_000)
    assert shares[0] > 0.05
    assert abs(shares[0] - shares[1]) < 0.03
