"""Generated scenarios across the whole schema: every run keeps the engine's invariants.

The fast profile (default, in ``make test``) runs a few dozen derandomised examples; the long
profile (``make fuzz``: ``pytest tests/test_generated.py --hypothesis-profile=long``) runs
2,000 random ones. A failing example is printed as a scenario dict: add it to
test_hardening.py as a regression test.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from generated import SlotAudit, feed_scenarios, scenarios
from hypothesis import given, settings

import adsim
from adsim import Scenario
from adsim.engine import Engine
from adsim.params import to_params
from adsim.population import build_population
from adsim.result import Result
from adsim.rng import Streams

pytestmark = pytest.mark.slow

# Ratio columns: NaN exactly when their denominator is zero (or, for icpi, not positive).
RATIOS = {
    "win_rate": "auctions", "frequency": "reach", "ctr": "impressions", "cvr": "clicks",
    "cpm_usd": "impressions", "cpc_usd": "clicks", "cpi_usd": "installs",
    "icpi_usd": "incremental_installs", "budget_used": None,
    "cpi_platform_usd": "installs_platform", "cpi_mmp_usd": "installs_mmp",
}  # fmt: skip


def _audited_run(scenario: Scenario) -> tuple[Result, SlotAudit]:
    """One replicate through the real pipeline, with every slot audited (SlotAudit)."""
    p = to_params(scenario)
    streams = Streams(p.seed, 0)
    pop = build_population(p, streams)
    audit = SlotAudit(p, pop)
    record = Engine(p, pop, streams, slot_kernel=audit).run()
    return Result(scenario=scenario, seed=p.seed, records=[record]), audit


def check_invariants(scenario: Scenario, result: Result) -> int:
    """Assert the run-level invariants; returns how many checks were made."""
    p = to_params(scenario)
    rec = result.records[0]
    s = result.summary()
    d = rec.daily
    checks = 0
    eps = 1e-9
    for k, strat in enumerate(p.strategies):
        spend = d["spend_sim_usd"][:, k]
        price = rec.max_price_sim_usd
        # Spend within the daily budget every day and within the lifetime budget overall,
        # plus at most one price (the auction that crossed it).
        assert (spend <= strat.daily_budget_sim_usd + price + eps).all()
        assert spend.sum() <= strat.lifetime_budget_sim_usd + price + eps
        used = s.loc[strat.name, "budget_used"]
        assert used <= 1 + price * p.scale / strat.budget_total_usd + eps
        # Nothing on days the flight does not touch.
        for day in range(p.horizon_days):
            if day * 24.0 >= strat.end_h or (day + 1) * 24.0 <= strat.start_h:
                assert d["impressions"][day, k] == 0 and spend[day] == 0
        checks += 4 + p.horizon_days
    impressions = d["impressions"].sum(axis=0)
    clicks = d["clicks"].sum(axis=0)
    reach = rec.reach_cum
    assert (np.diff(reach, axis=0) >= 0).all()
    assert (reach[-1] <= impressions).all()
    # A paid audience bounds its reach; an organic tactic's "audience" is its account's
    # followers, and hashtags and shares reach beyond them.
    paid = slice(0, rec.n_paid or len(p.strategies))
    assert (reach[-1][paid] <= rec.audience_agents[paid]).all()
    assert (clicks <= impressions).all()
    assert (d["installs_click"].sum(axis=0) <= clicks).all()
    assert (d["installs_view"].sum(axis=0) <= impressions).all()
    if not p.shared_market:
        # Alone in its world, a strategy only adds installs (or brings them forward) over the
        # organic-only world. Not so in a shared market: a strategy can displace a
        # better-converting one (README, "What a run reports").
        assert (rec.installs_with.sum(axis=0) >= rec.installs_without.sum(axis=0)).all()
    # What the MMP counts is part of the truth; the ad manager adds modelled installs to it.
    assert (s["installs_mmp"] <= s["installs"] + eps).all()
    assert (s["installs_platform"] >= s["installs_mmp"] - eps).all()
    checks += 9
    # Every output finite; ratios NaN only where undefined.
    for name, arr in d.items():
        assert np.isfinite(arr).all(), name
    for col in s.columns:
        values = s[col].to_numpy(dtype=float)
        if col in RATIOS:
            den = RATIOS[col]
            undefined = np.isnan(values)
            if den is not None:
                assert (~undefined | (s[den].to_numpy() <= 0)).all(), col
            assert np.isfinite(values[~undefined]).all(), col
        elif col == "learning_exit_day":
            assert not np.isinf(values).any()
        else:
            assert np.isfinite(values).all(), col
        checks += 1
    # A duplicated strategy (alone in its own world) gives an identical row.
    if "duplicate" in s.index:
        pd.testing.assert_series_equal(
            s.loc["duplicate"], s.loc["s0"], check_names=False, check_exact=True
        )
        checks += 1
    return checks


@given(data=scenarios())
def test_generated_scenarios_keep_the_invariants(data):
    scenario = Scenario.model_validate(data)
    result, audit = _audited_run(scenario)
    assert audit.slots == to_params(scenario).n_slots  # every slot went through the audit
    check_invariants(scenario, result)
    # The same scenario and seed, run plainly, is bit-identical to the audited run.
    again = adsim.run(scenario)
    pd.testing.assert_frame_equal(result.summary(), again.summary(), check_exact=True)
    pd.testing.assert_frame_equal(result.timeseries(), again.timeseries(), check_exact=True)


def check_organic_invariants(result: Result) -> int:
    """Assert the organic feed's invariants on every post and follower count; returns how
    many checks were made."""
    checks = 0
    posts = result.posts()
    if len(posts):
        # Each person sees a post at most once and reacts to it at most once.
        assert (posts["views"] >= posts["reach"]).all()
        for col in ("likes", "shares", "follows", "hides"):
            assert (posts["reach"] >= posts[col]).all(), col
        assert (posts["link_clicks"] <= posts["views"]).all()
        shares = posts["reach_share_24h"].dropna()
        assert shares.between(0.0, 1.0).all()
        assert (posts["page_followers"] >= 0).all()
        checks += 8 * len(posts)
    followers = result.followers()
    if len(followers):
        # Never below zero; every world starts from the same followers; a standing post's
        # page_followers (counted when it was posted) lies between the start less every
        # unfollow and the start plus every follow in the baseline world by the post's day.
        assert (followers[["gained", "lost", "followers"]] >= -1e-9).all().all()
        start = followers["followers"] - followers["gained"] + followers["lost"]
        first = followers.assign(start=start)[followers["day"] == 0]
        assert (first.groupby(["replicate", "account"])["start"].nunique() == 1).all()
        base = followers[followers["world"] == "(baseline)"]
        standing = posts[posts["tactic"] == "(standing)"] if len(posts) else posts
        for (r, account), rows in base.groupby(["replicate", "account"]):
            begin = rows["followers"].iloc[0] - rows["gained"].iloc[0] + rows["lost"].iloc[0]
            low = begin - np.cumsum(rows["lost"].to_numpy()) - 1e-6
            high = begin + np.cumsum(rows["gained"].to_numpy()) + 1e-6
            mine = standing[(standing["replicate"] == r) & (standing["account"] == account)]
            day = np.minimum((mine["time_h"] // 24).astype(int), len(rows) - 1)
            assert (mine["page_followers"] >= low[day]).all(), account
            assert (mine["page_followers"] <= high[day]).all(), account
            checks += 1 + 2 * len(mine)
    return checks


# A third of the profile's examples: each runs three times (with and without its tactics,
# and again for bit-identity).
@settings(max_examples=max(6, settings.default.max_examples // 3))
@given(data=feed_scenarios())
def test_generated_feed_scenarios_keep_the_organic_invariants(data):
    scenario = Scenario.model_validate(data)
    result = adsim.run(scenario)
    check_invariants(scenario, result)
    check_organic_invariants(result)
    # Bit-identical reruns, posts included.
    again = adsim.run(scenario)
    pd.testing.assert_frame_equal(result.summary(), again.summary(), check_exact=True)
    pd.testing.assert_frame_equal(result.posts(), again.posts(), check_exact=True)
    # Removing the organic tactics leaves every paid strategy's row identical: tactics live
    # in worlds of their own.
    if data["organic_tactics"]:
        plain = adsim.run(Scenario.model_validate({**data, "organic_tactics": []}))
        paid = list(plain.summary().index)
        pd.testing.assert_frame_equal(result.summary().loc[paid], plain.summary(), check_exact=True)
