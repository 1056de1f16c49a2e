"""Hypothesis strategies for valid scenarios across the whole schema, and a slot kernel that
audits every slot (used by test_generated.py; the long profile is ``make fuzz``). Half of
the scenarios have a calendar, and their audiences may then hold time-bound predicates."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from hypothesis import strategies as st

from adsim.kernels.auction import run_slot
from adsim.params import Params
from adsim.population import Population
from adsim.scenario.model import SLOT_LENGTHS_H
from adsim.scenario.organic import FEED_PRESETS

__all__ = ["SlotAudit", "scenarios"]

TOPICS = ("cars", "music", "food")
SLOT_CHOICES = list(SLOT_LENGTHS_H)


def _typical(typical: list[float], lo: float, hi: float) -> st.SearchStrategy[float]:
    """Mostly typical values (hypothesis prefers the first branch), sometimes any in [lo, hi]:
    so that most examples deliver ads while the edges are still explored."""
    return st.one_of(st.sampled_from(typical), st.floats(lo, hi))


def _shares(draw, k: int) -> list[float]:
    """k non-negative shares summing to 1 (at least one positive)."""
    raw = draw(st.lists(st.integers(1, 20), min_size=k, max_size=k))
    total = sum(raw)
    shares = [r / total for r in raw]
    shares[-1] = 1.0 - math.fsum(shares[:-1])
    return shares


@st.composite
def _regions(draw) -> list[dict[str, Any]]:
    k = draw(st.integers(1, 3))
    shares = _shares(draw, k)
    return [
        {
            "name": f"R{i}",
            "country": draw(st.sampled_from(["AA", "BB"])),
            "utc_offset_h": draw(st.sampled_from([-8.0, -3.5, 0.0, 1.0, 5.5, 9.0, 13.0])),
            "lat": draw(st.floats(-60, 60)),
            "lon": draw(st.floats(-170, 170)),
            "share": shares[i],
            "languages": draw(st.sampled_from([{"xx": 1.0}, {"xx": 0.7, "yy": 0.3}])),
        }
        for i in range(k)
    ]


KEYWORDS = ("kw0", "kw1", "kw2")  # kw0, kw1: the match's; kw2: calendar.keywords


def _time_bound_leaves() -> list[st.SearchStrategy]:
    """Event, tv, keyword and conversation predicates over the calendar of ``_calendar``."""
    recency = st.floats(0.5, 96)
    return [
        st.builds(
            lambda r, d: {"event": {"name": "match", "recency_h": r, "only_during": d}},
            recency,
            st.booleans(),
        ),
        recency.map(lambda r: {"tv": {"show": "show", "recency_h": r}}),
        st.builds(
            lambda w, r: {"keywords": {"words": w, "recency_h": r}},
            st.lists(st.sampled_from(KEYWORDS), min_size=1, unique=True),
            recency,
        ),
        st.builds(
            lambda t, r: {"conversation": {"topics": t, "recency_h": r}},
            st.lists(st.sampled_from(TOPICS), min_size=1, unique=True),
            recency,
        ),
    ]


@st.composite
def _calendar(draw, horizon: int) -> dict[str, Any]:
    """A calendar: start date, weekday and season multipliers, a match with keywords and a
    TV show with several airings, the conversation model, a keyword of its own."""
    weekdays = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    mult = st.floats(0.3, 3)

    def airing() -> dict[str, Any]:
        return {
            "day": draw(st.integers(0, horizon)),  # sometimes beyond the horizon
            "hour": draw(st.floats(0, 23.9)),
            "hours": draw(st.floats(0.1, 30)),
        }

    return {
        "start_date": f"2026-{draw(st.integers(1, 12)):02d}-{draw(st.integers(1, 28)):02d}",
        "weekday_sessions": draw(st.dictionaries(st.sampled_from(weekdays), mult, max_size=3)),
        "weekday_market": draw(st.dictionaries(st.sampled_from(weekdays), mult, max_size=3)),
        "seasons": [
            {
                "name": "season",
                "first_day": 0,
                "last_day": draw(st.integers(0, horizon)),
                "sessions": draw(mult),
                "market": draw(mult),
            }
        ]
        if draw(st.booleans())
        else [],
        "events": [
            {
                "name": "match",
                "kind": "sport",
                "topic": draw(st.sampled_from(TOPICS)),
                "airings": [airing()],
                "engaged_share": draw(st.floats(0, 1)),
                "activity_mult": draw(st.floats(0, 5)),
                "talk_mult": draw(st.floats(0, 10)),
                "hashtag_browse_share": draw(st.floats(0, 1)),
                "market": {
                    "before": draw(mult),
                    "during": draw(mult),
                    "after": draw(mult),
                    "before_h": draw(st.floats(0, 48)),
                    "after_h": draw(st.floats(0, 48)),
                },
                "keywords": ["kw0", "kw1"],
            },
            {
                "name": "show",
                "kind": "tv",
                "topic": draw(st.sampled_from([None, *TOPICS])),
                "airings": [airing() for _ in range(draw(st.integers(1, 3)))],
            },
        ],
        "conversation": {
            "talk_per_session": draw(st.floats(0, 0.5)),
            "precision": draw(st.floats(0.05, 1)),
            "keywords_for_full_reach": draw(st.integers(1, 30)),
        },
        "keywords": {"kw2": draw(st.sampled_from(TOPICS))},
    }


@st.composite
def _segment(
    draw, regions: list[str], handles: list[str], agents: int, depth: int = 0, timed: bool = False
):
    leaves = [
        st.just({"everyone": True}),
        st.builds(
            lambda a, b: {"age": {"min": min(a, b), "max": max(a, b)}},
            st.integers(13, 80),
            st.integers(13, 80),
        ),
        st.lists(st.sampled_from(["female", "male", "unknown"]), min_size=1, unique=True).map(
            lambda g: {"gender": g}
        ),
        st.lists(st.sampled_from(regions), min_size=1, unique=True).map(lambda r: {"region": r}),
        st.lists(st.sampled_from(["ios", "android", "other"]), min_size=1, unique=True).map(
            lambda d: {"device": d}
        ),
        st.lists(st.sampled_from(TOPICS), min_size=1, max_size=2, unique=True).map(
            lambda t: {"interests": {"any": t}}
        ),
        st.just({"installed": False}),
        st.just({"site_visitors": {"lookback_days": 30, "match_rate": 0.6}}),
        st.lists(st.integers(0, agents - 1), min_size=1, max_size=50).map(
            lambda ids: {"custom_audience": {"agent_ids": ids}}
        ),
        st.builds(lambda km: {"radius": {"lat": 0.0, "lon": 0.0, "km": km}}, st.floats(1, 5000)),
        st.builds(
            lambda seed, share: {"lookalike": {"seed": seed, "share": share}},
            st.sampled_from([{"installed": True}, {"site_visitors": {}}, {"gender": ["male"]}]),
            st.floats(0.01, 0.2),
        ),
    ]
    if timed:
        leaves += _time_bound_leaves()
    if handles:
        leaves.append(
            st.lists(st.sampled_from(handles), min_size=1, unique=True).map(
                lambda h: {"followers_of": h}
            )
        )
    if depth >= 2:
        return draw(st.one_of(leaves))
    child = _segment(regions, handles, agents, depth + 1, timed)
    return draw(
        st.one_of(
            *leaves,
            st.lists(child, min_size=1, max_size=3).map(lambda c: {"all": c}),
            st.lists(child, min_size=1, max_size=3).map(lambda c: {"any": c}),
            child.map(lambda c: {"not": c}),
        )
    )


@st.composite
def _strategy(
    draw, i: int, horizon: int, regions: list[str], handles: list[str], agents: int, timed: bool
):
    kind = draw(st.sampled_from(["max_cpm", "cpc", "lowest_cost", "bid_cap", "cost_cap"]))
    bid: dict[str, Any] = {"strategy": kind}
    if kind == "max_cpm":
        bid["amount_usd"] = draw(_typical([12.0, 25.0], 0.5, 60))
    elif kind == "cpc":
        bid["amount_usd"] = draw(_typical([1.0, 2.5], 0.05, 5))
    elif kind in ("bid_cap", "cost_cap"):
        bid["amount_usd"] = draw(_typical([4.0, 10.0], 0.5, 20))
    budget = draw(
        st.sampled_from(["daily", "lifetime", "both"]).map(
            lambda b: {"daily": ("daily_usd",), "lifetime": ("lifetime_usd",)}.get(
                b, ("daily_usd", "lifetime_usd")
            )
        )
    )
    out: dict[str, Any] = {
        "name": f"s{i}",
        "advertiser": draw(st.sampled_from(["a", "b"])),
        "audience": draw(_segment(regions, handles, agents, timed=timed)),
        "exclude_installed": draw(st.booleans()),
        "bid": bid,
        "budget": {key: draw(_typical([300.0, 1000.0], 5, 3000)) for key in budget},
        "pacing": "even"
        if kind in ("lowest_cost", "bid_cap", "cost_cap")
        else draw(st.sampled_from(["even", "accelerated"])),
        "creative": {
            "ctr": draw(st.floats(0.001, 0.05)),
            "topics": draw(st.lists(st.sampled_from(TOPICS), max_size=2, unique=True)),
        },
    }
    if kind == "cpc":
        out["billing"] = draw(st.sampled_from(["impression", "click"]))
    if draw(st.booleans()):
        out["frequency_cap"] = {
            "impressions": draw(st.integers(1, 5)),
            "per_days": draw(st.integers(1, 3)),
        }
    if draw(st.booleans()):
        # Fractional days, sometimes shorter than a slot or reaching past the horizon.
        start = draw(st.floats(0, horizon - 0.01)).__round__(3)
        flight: dict[str, Any] = {"start_day": start}
        if draw(st.booleans()):
            flight["end_day"] = round(start + draw(st.floats(0.02, horizon + 1.0)), 3)
        if draw(st.booleans()):
            flight["hours"] = sorted(draw(st.sets(st.integers(0, 23), min_size=1, max_size=12)))
        out["flight"] = flight
    return out


@st.composite
def scenarios(draw) -> dict[str, Any]:
    """A valid scenario dict: small (2-5k agents, 1-3 days) so that each run takes ~0.1-1 s."""
    agents = draw(st.integers(2000, 5000))
    scale = draw(st.sampled_from([0.5, 1.0, 7.0, 250.0]))
    horizon = draw(st.integers(1, 3))
    slot_h = draw(st.sampled_from(SLOT_CHOICES))
    regions = draw(_regions())
    region_names = [r["name"] for r in regions]
    n_accounts = draw(st.integers(0, 2))
    accounts = [
        {
            "handle": f"@acc{k}",
            "followers": int(draw(st.floats(0, 0.5)) * agents * scale),
            "profile": {"interests": {draw(st.sampled_from(TOPICS)): draw(st.floats(0.5, 8))}},
        }
        for k in range(n_accounts)
    ]
    handles = [a["handle"] for a in accounts]
    bands = draw(
        st.sampled_from([[(18, 100)], [(13, 24), (25, 100)], [(18, 34), (35, 54), (55, 90)]])
    )
    age_shares = _shares(draw, len(bands))
    n_strategies = draw(st.integers(1, 3))
    calendar = draw(_calendar(horizon)) if draw(st.booleans()) else None
    strategies = [
        draw(_strategy(i, horizon, region_names, handles, agents, calendar is not None))
        for i in range(n_strategies)
    ]
    market_mode = draw(st.sampled_from(["isolated", "shared"]))
    if market_mode == "isolated" and draw(st.booleans()):
        strategies.append({**strategies[0], "name": "duplicate"})
    update_every = slot_h * draw(st.integers(1, max(1, round(12 / slot_h))))
    privacy = None
    if draw(st.booleans()):
        privacy = {
            "social_app_opt_in": draw(st.floats(0, 1)),
            "advertised_app_opt_in": draw(st.floats(0, 1)),
            "skan_threshold_installs_per_day": draw(st.sampled_from([0.0, 1.0, 88.0])),
            "platform_models_missing": draw(st.booleans()),
        }
    return {
        "name": "generated",
        "seed": draw(st.integers(0, 2**32)),
        "horizon_days": horizon,
        "slot_h": slot_h,
        "clock_utc_offset_h": draw(st.sampled_from([-5.0, 0.0, 2.0, 9.5])),
        "market_mode": market_mode,
        "population": {
            "agents": agents,
            "scale": scale,
            "regions": regions,
            "age": [
                {"min": lo, "max": hi, "share": s}
                for (lo, hi), s in zip(bands, age_shares, strict=True)
            ],
            "devices": dict(zip(("ios", "android", "other"), _shares(draw, 3), strict=True)),
            "interests": [{"name": t, "prevalence": draw(st.floats(0.0, 0.6))} for t in TOPICS],
            "activity": {
                "sessions_per_day_median": draw(_typical([1.0, 3.0], 0.2, 6)),
                "sessions_per_day_sigma": draw(st.floats(0, 2)),
            },
            "graph": {"mean_follows": draw(st.floats(0, 30))},
        },
        "accounts": accounts,
        "platform": {
            "feed_items_per_session": draw(_typical([20.0, 40.0], 1, 60)),
            "ad_load": draw(st.sampled_from([0.2, 0.1, 0.33, 0.5, 0.05])),
            "auction": draw(st.sampled_from(["second_price", "first_price"])),
            "reserve_cpm_usd": draw(st.floats(0, 5)),
            "market": {
                "cpm_median_usd": draw(_typical([8.0, 16.0], 0.5, 40)),
                "sigma": draw(st.floats(0, 1.5)),
            },
            "optimiser": {
                "mode": draw(st.sampled_from(["learning", "oracle"])),
                "update_every_h": update_every,
                "report_delay_h": draw(st.sampled_from([0.0, 2.0, 24.0])),
            },
        },
        "app": {
            "os": draw(st.sampled_from([["ios", "android"], ["android"], ["ios"]])),
            "store_cvr": draw(st.floats(0.05, 0.9)),
            "baseline_installs_per_day": draw(st.floats(0, 0.01)),
            "already_installed_share": draw(st.floats(0, 0.3)),
            "fit": {"interests": {"cars": draw(st.floats(0, 5))}},
            "intent": {
                "events": {"match": draw(st.floats(0, 0.5))}
                if calendar is not None and draw(st.booleans())
                else {}
            },
        },
        "strategies": strategies,
        **({"privacy": privacy} if privacy is not None else {}),
        **({"calendar": calendar} if calendar is not None else {}),
    }


@st.composite
def _posting(draw, handle: str, horizon: int) -> dict[str, Any]:
    plan: dict[str, Any] = {
        "account": handle,
        "posts_per_day": draw(_typical([0.7, 2.0], 0.2, 6)),
        "hours": draw(st.lists(st.integers(0, 23), min_size=1, max_size=4, unique=True)),
        "topic": draw(st.sampled_from([None, *TOPICS])),
        "quality": draw(_typical([1.0], 0.2, 5)),
        "app_link": draw(st.floats(0, 0.05)),
        "share_mult": draw(_typical([1.0, 8.0], 0, 20)),
        "follow_mult": draw(_typical([1.0, 5.0], 0, 20)),
    }
    if plan["topic"] is not None:
        plan["hashtags"] = draw(st.booleans())
    if draw(st.booleans()):
        plan["start_day"] = draw(st.floats(0, horizon - 0.25))
        if draw(st.booleans()):
            plan["end_day"] = plan["start_day"] + draw(st.floats(0.25, horizon))
    return plan


@st.composite
def feed_scenarios(draw) -> dict[str, Any]:
    """A valid scenario with the organic feed: brand and influencer accounts, standing posts,
    organic tactics of every kind, algorithm changes, and paid strategies that run as the
    brand (fatigue, halo) or boost its posts."""
    data = draw(scenarios())
    agents, scale = data["population"]["agents"], data["population"]["scale"]
    horizon = data["horizon_days"]
    # The generated accounts (audiences may name them), or one brand page if there are none.
    accounts = data["accounts"] or [
        {"handle": "@acc0", "followers": int(draw(st.floats(0, 0.5)) * agents * scale)}
    ]
    for k, account in enumerate(accounts):
        account["kind"] = "brand" if k == 0 else draw(st.sampled_from(["influencer", "media"]))
    data["accounts"] = accounts
    handles = [a["handle"] for a in data["accounts"]]
    feed: dict[str, Any] = {"preset": draw(st.sampled_from(sorted(FEED_PRESETS)))}
    for key, high in (("follow_rate", 0.05), ("hide_rate", 0.05), ("share_rate", 0.05)):
        if draw(st.booleans()):
            feed[key] = draw(st.floats(0, high))
    feed["paid_halo"] = draw(st.floats(0, 3))
    feed["hashtag_browse_share"] = draw(st.floats(0, 0.2))
    if draw(st.booleans()):
        days = sorted(draw(st.lists(st.integers(0, horizon - 1), min_size=1, max_size=2)))
        feed["changes"] = [{"day": d, "page_weight_mult": draw(st.floats(0.1, 3))} for d in days]
    data["platform"]["feed"] = feed
    data["posting"] = [
        draw(_posting(draw(st.sampled_from(handles)), horizon))
        for _ in range(draw(st.integers(0, 2)))
    ]
    if "calendar" in data:
        for plan in data["posting"]:
            if draw(st.booleans()):
                plan["event"] = "match"
    tactics = []
    for t in range(draw(st.integers(0, 2))):
        kind = draw(st.sampled_from(["posting", "hashtags", "contest", "influencer"]))
        plan = draw(_posting(draw(st.sampled_from(handles)), horizon))
        if kind == "hashtags":
            plan["topic"], plan["hashtags"] = plan["topic"] or TOPICS[0], True
        tactics.append(
            {
                "name": f"t{t}",
                "kind": kind,
                "posting": plan,
                "cost_per_post_usd": draw(st.floats(0, 500)),
                "fixed_cost_usd": draw(st.sampled_from([0.0, 1500.0])),
            }
        )
    data["organic_tactics"] = tactics
    for strat in data["strategies"]:
        if draw(st.booleans()):
            strat["account"] = draw(st.sampled_from(handles))
            strat["boost"] = draw(st.booleans())
    if data["strategies"][-1]["name"] == "duplicate":  # still identical to s0
        data["strategies"][-1] = {**data["strategies"][0], "name": "duplicate"}
    return data


class SlotAudit:
    """A slot kernel that runs the real one and checks each slot's deliveries against an
    independent reading of the inputs: an instance shows at most one impression per session,
    and only in sessions inside its flight and daypart (local hour recomputed here from the
    session time and the viewer's region) to people in its audience at the slot; a slot never
    spends more than its budget plus one price."""

    def __init__(self, p: Params, pop: Population) -> None:
        self.region = pop.region
        self.local_offset_h = p.region_utc_offset_h - p.clock_utc_offset_h  # by region
        self.slots = 0
        self.impressions = 0

    def __call__(self, **kw: Any):
        before = kw["freq_window"].copy()
        counters, spend, max_price, feedback = run_slot(**kw)
        delivered = kw["freq_window"].astype(np.int64) - before
        # (Frequency windows reset only between slots, so the difference is this slot's.)
        agents, times = kw["sess_agent"], kw["sess_time"]
        offset = self.local_offset_h[self.region[agents]]
        local_hour = np.floor(times + offset).astype(np.int64) % 24
        for j, s in enumerate(kw["inst_strategy"]):
            ok = (
                (times >= kw["flight_start_h"][s])
                & (times < kw["flight_end_h"][s])
                & kw["daypart"][s, local_hour]
            )
            allowed = np.bincount(agents[ok], minlength=delivered.shape[1])
            over = np.flatnonzero(delivered[j] > allowed)
            assert over.size == 0, (
                f"instance {j} (strategy {s}) showed {delivered[j, over[0]]} impressions to "
                f"agent {over[0]} with {allowed[over[0]]} in-flight, in-daypart sessions"
            )
            assert delivered[j].sum() == counters[j, 1]
            # Only to people in the audience now (time-bound audiences change every slot).
            outside = np.flatnonzero((delivered[j] > 0) & (kw["segment"][s] == 0))
            assert outside.size == 0, f"instance {j} showed ads outside its audience"
            self.impressions += int(counters[j, 1])
        limit = kw["budget_left"] + max_price + 1e-9
        assert (spend <= limit).all(), (spend, kw["budget_left"], max_price)
        self.slots += 1
        return counters, spend, max_price, feedback
