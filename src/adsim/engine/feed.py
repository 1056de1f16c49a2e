"""The organic feed in the engine: scheduled posts (simpy), the feed kernel per slot, and
what the organic tactics spent, showed and drove.

Worlds: the paid strategies' worlds carry the standing posting; the organic baseline world
(row 0 of ``extra_install_time``) carries the standing posting only, and tactic t's world
(row 1 + t) the standing posting plus the tactic's posts. The baseline is the counterfactual
of every tactic and, in an isolated market, of every paid strategy: the same organic world in
every comparison.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import simpy

from ..breakdown import breakdowns
from ..kernels.feed import POST_COUNTERS, run_feed_slot, transpose_csr
from ..params import Params
from ..population import Population
from ..rng import Streams
from ..segments import overlap_matrix
from .recorder import install_sources

if TYPE_CHECKING:
    from .sim import RunRecord

__all__ = ["FeedRecord", "OrganicFeed", "with_tactics"]

# Shared posts a person's inbox holds at once (a share to a full inbox is dropped, and
# counted). ASSUMPTION: a feed rarely surfaces more than a few shared brand posts at once.
# Posts are numbered within their plan: ``uid = plan * POST_UID_STRIDE + k``.
INBOX_SIZE = 16
POST_UID_STRIDE = 1 << 20
# Page size (real followers) at which a brand page has the preset's page weight.
REFERENCE_PAGE_FOLLOWERS = 1000.0
_C = {name: k for k, name in enumerate(POST_COUNTERS)}


@dataclass
class FeedRecord:
    """What the feed produced in one replicate (simulated units; Result scales them)."""

    tactic_names: list[str]
    post_time_h: np.ndarray  # (P,)
    post_account: list[str]  # (P,) handles
    post_tactic: np.ndarray  # (P,) -1: the standing posting
    post_counters: np.ndarray  # (P, len(POST_COUNTERS)) int64
    post_reach: np.ndarray  # (P,) distinct viewers
    post_page_followers: np.ndarray  # (P,) the author's followers (agents)
    tactic_daily: dict[str, np.ndarray]  # each (D, T): spend_sim_usd, impressions, clicks
    tactic_installs_daily: np.ndarray  # (D, T) installs the tactic's posts drove
    tactic_reach_cum: np.ndarray  # (D, T) distinct people its posts reached by each day's end
    world_installs_daily: np.ndarray  # (1 + T, D) installs in the baseline and tactic worlds
    tactic_budget_usd: np.ndarray  # (T,) real USD the tactic costs over the run
    tactic_account: np.ndarray  # (T,) the posting account, -1 for none
    tactic_audience_agents: np.ndarray  # (T,) followers of the posting account
    tactic_install_sources: np.ndarray  # (T, len(INSTALL_SOURCES)): causes in its world
    tactic_views: np.ndarray  # (T, N) views per person, for breakdowns
    tactic_driven: np.ndarray  # (T, N) bool, the person's install came from the tactic
    share_edges_tried: int
    shares_dropped: int  # shares that met a full inbox (see INBOX_SIZE)


def post_times(plan: Any, horizon_h: float) -> list[float]:
    """Hours at which a posting plan publishes: post k goes out on day
    ``floor(k / posts_per_day)`` of the plan at hour ``hours[k % len(hours)]``."""
    first_day = math.floor(plan.start_h / 24.0)
    times = []
    k = 0
    while True:
        day = first_day + math.floor(k / plan.posts_per_day + 1e-9)
        t = day * 24.0 + float(plan.hours[k % len(plan.hours)])
        k += 1
        if t >= min(plan.end_h, horizon_h):
            break
        if t >= plan.start_h:
            times.append(t)
    return times


class OrganicFeed:
    """State of the organic feed for one replicate."""

    def __init__(self, p: Params, pop: Population, streams: Streams, n_paid_worlds: int) -> None:
        f = p.feed
        assert f is not None
        self.p, self.f, self.pop, self.streams = p, f, pop, streams
        n = pop.n
        n_tactics = len(f.tactic_names)
        self.schedules = [post_times(plan, p.horizon_h) for plan in f.plans]
        capacity = sum(len(times) for times in self.schedules)
        # People: the accounts each person follows, and each person's followers.
        self.acc_ptr, self.acc_idx = transpose_csr(pop.account_ptr, pop.account_followers, n)
        self.fol_ptr, self.fol_idx = transpose_csr(pop.follow_ptr, pop.follow_dst, n)
        self.inbox_post = np.full((n, INBOX_SIZE), -1, dtype=np.int32)
        self.inbox_time = np.zeros((n, INBOX_SIZE), dtype=np.float32)
        self.inbox_depth = np.zeros((n, INBOX_SIZE), dtype=np.uint8)
        # Posts, appended in time order as the calendar publishes them.
        self.n_posts = 0
        self.post_time = np.zeros(capacity)
        self.post_uid = np.zeros(capacity, dtype=np.int64)
        self.published = [0] * len(f.plans)
        self.post_account = np.zeros(capacity, dtype=np.int64)
        self.post_tactic = np.zeros(capacity, dtype=np.int64)
        self.post_topic = np.zeros(capacity, dtype=np.int64)
        self.post_quality = np.zeros(capacity)
        self.post_weight = np.zeros(capacity)
        self.post_app_link = np.zeros(capacity)
        self.post_hashtags = np.zeros(capacity, dtype=np.bool_)
        self.post_share_mult = np.zeros(capacity)
        self.post_counters = np.zeros((capacity, len(POST_COUNTERS)), dtype=np.int64)
        self.seen = np.zeros((capacity, (n + 63) // 64), dtype=np.uint64)
        # Worlds without paid ads: the organic baseline (row 0) and one per tactic.
        self.extra_install_time = np.repeat(pop.organic_install_h[None, :], 1 + n_tactics, axis=0)
        # What the feed caused: the install time it set in each world, and whether via a share
        # (an install later pulled forward by an ad no longer matches: the ad caused it).
        self.paid_feed_time = np.full((n_paid_worlds, n), np.nan)
        self.paid_feed_share = np.zeros((n_paid_worlds, n), dtype=np.bool_)
        self.extra_feed_time = np.full((1 + n_tactics, n), np.nan)
        self.extra_feed_share = np.zeros((1 + n_tactics, n), dtype=np.bool_)
        self.tactic_views = np.zeros((n_tactics, n), dtype=np.uint16)
        self.tactic_driven = np.zeros((n_tactics, n), dtype=np.bool_)
        days = p.horizon_days
        self.tactic_spend_daily = np.zeros((days, n_tactics))  # simulated USD
        self.tactic_slot_totals = np.zeros((p.n_slots, n_tactics, 2), dtype=np.int64)
        self.tactic_reach_cum = np.zeros((days, n_tactics), dtype=np.int64)
        self.share_edges_tried = 0
        self.shares_dropped = 0
        self.candidates_ranked = 0
        followers = np.diff(pop.account_ptr).astype(np.float64) * p.scale
        size = np.maximum(followers, 1.0) / REFERENCE_PAGE_FOLLOWERS
        self.account_weight = f.page_weight * size ** (-f.page_size_exponent)

    # ---- the calendar -----------------------------------------------------------------
    def start(self, env: simpy.Environment) -> None:
        """Register the posting processes (before the slot clock: see ``_posting``) and the
        tactics' fixed costs."""
        for k in range(len(self.f.plans)):
            env.process(self._posting(env, k))
        for t, start_h in enumerate(self.f.tactic_start_h):
            day = min(self.p.horizon_days - 1, math.floor(start_h / 24.0))
            self.tactic_spend_daily[day, t] += self.f.tactic_fixed_cost_usd[t] / self.p.scale

    def _posting(self, env: simpy.Environment, k: int):
        """Publishes plan k's posts. Each post is published at the start of the slot holding
        its time (the kernel shows it only to sessions after it); every event is created at
        once, at time 0, so at equal times posts are out before the slot clock runs."""
        slot_h = self.p.slot_h
        times = self.schedules[k]
        events = [env.timeout(math.floor(t / slot_h + 1e-9) * slot_h) for t in times]
        for t, event in zip(times, events, strict=True):
            yield event
            self._publish(k, t)

    def _publish(self, k: int, t: float) -> None:
        plan = self.f.plans[k]
        j = self.n_posts
        self.n_posts += 1
        self.post_time[j] = t
        self.post_uid[j] = k * POST_UID_STRIDE + self.published[k]
        self.published[k] += 1
        self.post_account[j] = plan.account
        self.post_tactic[j] = plan.tactic
        self.post_topic[j] = plan.topic
        self.post_quality[j] = plan.quality
        self.post_weight[j] = self.account_weight[plan.account]
        self.post_app_link[j] = plan.app_link
        self.post_hashtags[j] = plan.hashtags
        self.post_share_mult[j] = plan.share_mult
        if plan.tactic >= 0:
            day = min(self.p.horizon_days - 1, math.floor(t / 24.0))
            self.tactic_spend_daily[day, plan.tactic] += plan.cost_per_post_usd / self.p.scale

    def weight_mult(self, t: float) -> float:
        """The page-weight multiplier of the latest algorithm change by hour t."""
        k = np.searchsorted(self.f.change_h, t, side="right")
        return 1.0 if k == 0 else float(self.f.change_mult[k - 1])

    # ---- work ---------------------------------------------------------------------------
    def run_slot(self, slot: int, t0: float, inputs: dict[str, Any], paid_install_time) -> None:
        """The organic positions of the slot's sessions (the same sessions the ads see)."""
        f, p, pop = self.f, self.p, self.pop
        n = self.n_posts
        edges, dropped, ranked = run_feed_slot(
            self.streams.key("feed", slot), inputs["key"], t0, inputs["sess_agent"],
            inputs["sess_time"], inputs["sess_local_hour"], p.feed_items_mean, p.ad_every,
            f.candidates_per_session, f.window_h, f.recency_half_life_h, f.interest_lift,
            f.like_rate, f.share_rate, f.hashtag_browse_share, f.recommended_share,
            self.weight_mult(t0), n, self.post_uid[:n], self.post_time[:n], self.post_account[:n],
            self.post_tactic[:n], self.post_topic[:n], self.post_quality[:n],
            self.post_weight[:n], self.post_app_link[:n], self.post_hashtags[:n],
            self.post_share_mult[:n], self.seen[:n], self.post_counters[:n],
            self.acc_ptr, self.acc_idx, self.fol_ptr, self.fol_idx, pop.interests,
            self.inbox_post, self.inbox_time, self.inbox_depth,
            pop.app_available, pop.install_odds, pop.episode_ptr, pop.episode_start_h,
            pop.episode_end_h, p.intent_install_odds_mult, p.install_hour_mult,
            p.install_delay_median_h, p.install_delay_sigma, paid_install_time,
            self.extra_install_time, self.tactic_views, self.tactic_driven,
            self.paid_feed_time, self.paid_feed_share, self.extra_feed_time,
            self.extra_feed_share,
        )  # fmt: skip
        self.share_edges_tried += edges
        self.shares_dropped += dropped
        self.candidates_ranked += ranked
        totals = self.tactic_slot_totals[slot]
        tactic = self.post_tactic[:n]
        for t in range(totals.shape[0]):
            mine = self.post_counters[:n][tactic == t]
            totals[t, 0] = mine[:, _C["views"]].sum()
            totals[t, 1] = mine[:, _C["link_clicks"]].sum()

    def day_end(self, day: int) -> None:
        self.tactic_reach_cum[day] = (self.tactic_views > 0).sum(axis=1)

    def record(self, slots_per_day: int) -> FeedRecord:
        p, f = self.p, self.f
        n = self.n_posts
        days = p.horizon_days
        n_tactics = len(f.tactic_names)
        # Per-slot running totals -> per-day increments.
        totals = self.tactic_slot_totals  # running totals at each slot's end
        per_slot = np.diff(totals, axis=0, prepend=np.zeros_like(totals[:1]))
        per_day = per_slot.reshape(days, slots_per_day, n_tactics, 2).sum(axis=1)

        def daily_installs(times: np.ndarray) -> np.ndarray:
            times = times[(times >= 0) & (times < p.horizon_h)]
            return np.bincount((times // 24).astype(np.int64), minlength=days)[:days]

        driven = np.stack(
            [daily_installs(self.extra_install_time[1 + t][self.tactic_driven[t]])
             for t in range(n_tactics)],
            axis=1,
        ) if n_tactics else np.zeros((days, 0), dtype=np.int64)  # fmt: skip
        budget = np.array(
            [
                f.tactic_fixed_cost_usd[t]
                + sum(
                    plan.cost_per_post_usd * len(times)
                    for plan, times in zip(f.plans, self.schedules, strict=True)
                    if plan.tactic == t
                )
                for t in range(n_tactics)
            ]
        )
        tactic_account = np.full(n_tactics, -1, dtype=np.int64)
        for plan in f.plans:
            if plan.tactic >= 0:
                tactic_account[plan.tactic] = plan.account
        followers = np.diff(self.pop.account_ptr)
        reach = np.array([int(np.unpackbits(self.seen[j].view(np.uint8)).sum()) for j in range(n)])
        return FeedRecord(
            tactic_names=list(f.tactic_names),
            post_time_h=self.post_time[:n].copy(),
            post_account=[p.accounts[a].handle for a in self.post_account[:n]],
            post_tactic=self.post_tactic[:n].copy(),
            post_counters=self.post_counters[:n].copy(),
            post_reach=reach,
            post_page_followers=followers[self.post_account[:n]],
            tactic_daily={
                "spend_sim_usd": self.tactic_spend_daily,
                "impressions": per_day[:, :, 0].astype(np.float64),
                "clicks": per_day[:, :, 1].astype(np.float64),
                "auctions": np.zeros((days, n_tactics)),
            },
            tactic_installs_daily=driven,
            tactic_reach_cum=self.tactic_reach_cum,
            world_installs_daily=np.stack([daily_installs(row) for row in self.extra_install_time]),
            tactic_budget_usd=budget,
            tactic_account=tactic_account,
            tactic_audience_agents=np.where(tactic_account >= 0, followers[tactic_account], 0),
            tactic_install_sources=install_sources(
                self.extra_install_time[1:],
                self.pop.organic_install_h,
                p.horizon_h,
                self.extra_feed_time[1:],
                self.extra_feed_share[1:],
                np.zeros((n_tactics, self.pop.n), dtype=np.bool_),
            ),
            tactic_views=self.tactic_views,
            tactic_driven=self.tactic_driven,
            share_edges_tried=self.share_edges_tried,
            shares_dropped=self.shares_dropped,
        )


def with_tactics(
    rec: RunRecord, feed: FeedRecord, p: Params, pop: Population, masks: np.ndarray
) -> RunRecord:
    """``rec`` with the organic tactics appended as columns after the paid strategies: what
    they spent and showed, the installs their posts drove, and their worlds' installs against
    the organic baseline's."""
    n_tactics = len(feed.tactic_names)
    days = p.horizon_days

    def cat(paid: np.ndarray, organic: np.ndarray) -> np.ndarray:
        return np.concatenate([paid, organic.astype(paid.dtype)], axis=1)

    daily = {}
    for k, v in rec.daily.items():
        organic = feed.tactic_daily.get(k, np.zeros((days, n_tactics)))
        if k == "installs_click":
            organic = feed.tactic_installs_daily
        daily[k] = cat(v, organic)
    tactic_masks = np.zeros((n_tactics, pop.n), dtype=np.uint8)
    for t, a in enumerate(feed.tactic_account):
        if a >= 0:
            tactic_masks[t, pop.followers_of(a)] = 1
    merged = rec.breakdowns
    if n_tactics:
        credit = np.where(feed.tactic_driven, np.arange(n_tactics)[:, None], -1)
        organic = breakdowns(
            p, pop, np.arange(n_tactics), np.arange(n_tactics), feed.tactic_views,
            np.zeros(feed.tactic_views.shape, dtype=np.float32), credit,
        )  # fmt: skip
        merged = {
            by: (labels, {m: np.concatenate([v, organic[by][1][m]]) for m, v in ms.items()})
            for by, (labels, ms) in rec.breakdowns.items()
        }
    return replace(
        rec,
        strategy_names=rec.strategy_names + feed.tactic_names,
        audience_agents=np.concatenate([rec.audience_agents, feed.tactic_audience_agents]),
        audience_overlap=overlap_matrix(np.concatenate([masks, tactic_masks])),
        budget_total_usd=np.concatenate([rec.budget_total_usd, feed.tactic_budget_usd]),
        daily=daily,
        reach_cum=cat(rec.reach_cum, feed.tactic_reach_cum),
        installs_with=cat(rec.installs_with, feed.world_installs_daily[1:].T),
        installs_without=cat(
            rec.installs_without, np.repeat(feed.world_installs_daily[:1].T, n_tactics, axis=1)
        ),
        breakdowns=merged,
        install_sources=np.concatenate([rec.install_sources, feed.tactic_install_sources]),
        feed=feed,
    )
