"""The organic feed in the engine: scheduled posts (simpy), the feed kernel per slot, and
what the organic tactics spent, showed and drove.

Worlds: the paid strategies' worlds carry the standing posting; the organic baseline world
(row 0 of ``extra_install_time``) carries the standing posting only, and tactic t's world
(row 1 + t) the standing posting plus the tactic's posts. The baseline is the counterfactual
of every tactic and, in an isolated market, of every paid strategy: the same organic world in
every comparison.

Exposure worlds are what people see: the baseline's (shared by every paid world whose ads run
as no account: their feeds are the baseline's, draw for draw), each tactic's, and each paid
world whose ads run as an account (their impressions tire people of the page and raise its
shares and follows; a boosted post's impressions are views of the post). Each keeps its own
seen bits, inboxes, follows and hides.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

import numpy as np
import simpy

from ..breakdown import breakdowns
from ..kernels.feed import (
    POST_COUNTERS,
    POST_FLOATS,
    POST_INTS,
    run_boost_views,
    run_feed_slot,
    transpose_csr,
)
from ..params import Params
from ..population import Population
from ..rng import Streams
from ..segments import overlap_matrix
from .recorder import install_sources
from .records import FeedRecord, RunRecord
from .worlds import WorldLayout

__all__ = ["OrganicFeed", "with_tactics"]

# Shared posts a person's inbox holds at once, per world (a share to a full inbox is dropped,
# and counted). ASSUMPTION: a feed rarely surfaces more than a few shared brand posts at once.
# Posts are numbered within their plan: ``uid = plan * POST_UID_STRIDE + k``.
INBOX_SIZE = 8
POST_UID_STRIDE = 1 << 20
# Page size (real followers) at which a brand page has the preset's page weight.
REFERENCE_PAGE_FOLLOWERS = 1000.0
_C = {name: k for k, name in enumerate(POST_COUNTERS)}
_F = {name: k for k, name in enumerate(POST_FLOATS)}
_I = {name: k for k, name in enumerate(POST_INTS)}


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
    """State of the organic feed for one replicate: one exposure world per distinct thing
    people can see (see the module docstring and ``kernels.feed``)."""

    def __init__(
        self, p: Params, pop: Population, streams: Streams, layout: WorldLayout,
        inst_account: np.ndarray, inst_boost: np.ndarray,
    ) -> None:  # fmt: skip
        f = p.feed
        assert f is not None
        self.p, self.f, self.pop, self.streams = p, f, pop, streams
        n = pop.n
        n_tactics = len(f.tactic_names)
        n_accounts = max(1, len(p.accounts))
        self.schedules = [post_times(plan, p.horizon_h) for plan in f.plans]
        capacity = sum(len(times) for times in self.schedules)
        # Exposure worlds: 0 the organic baseline (and every paid world whose ads touch no
        # account), 1 + t tactic t's world, then one per paid world with account-linked ads.
        self.inst_account = inst_account
        self.boosted = np.flatnonzero(inst_boost)  # instances whose ads promote a post
        self.world_ptr = layout.world_ptr
        self.inst_world = layout.world_of()
        linked = sorted({int(w) for w in self.inst_world[inst_account >= 0]})
        self.paid_x = np.zeros(layout.n_worlds, dtype=np.int64)
        rows: list[list[int]] = [[-1]] + [[-2 - t] for t in range(n_tactics)]
        for w in range(layout.n_worlds):
            if w in linked:
                self.paid_x[w] = len(rows)
                rows.append([w])
            else:
                rows[0].append(w)
        n_x = len(rows)
        self.x_tactic = np.array([-1] + list(range(n_tactics)) + [-1] * len(linked))
        self.x_paid_world = np.array([-1] * (1 + n_tactics) + linked, dtype=np.int64)
        self.rows_ptr = np.cumsum([0] + [len(r) for r in rows]).astype(np.int64)
        self.rows = np.array([r for rs in rows for r in rs], dtype=np.int64)
        # People: the accounts each person follows, and each person's followers.
        self.acc_ptr, self.acc_idx = transpose_csr(pop.account_ptr, pop.account_followers, n)
        self.fol_ptr, self.fol_idx = transpose_csr(pop.follow_ptr, pop.follow_dst, n)
        self.inbox_post = np.full((n_x, n, INBOX_SIZE), -1, dtype=np.int32)
        self.inbox_time = np.zeros((n_x, n, INBOX_SIZE), dtype=np.float32)
        self.inbox_depth = np.zeros((n_x, n, INBOX_SIZE), dtype=np.uint8)
        self.relation = np.zeros((n_x, n, n_accounts), dtype=np.uint8)
        self.brand_fade = np.zeros((n_x, n, n_accounts), dtype=np.float32)
        self.followers_daily = np.zeros((n_x, p.horizon_days, n_accounts, 2), dtype=np.int64)
        self.fade = np.float32(0.5 ** (1.0 / p.wear_memory_half_life_days))
        # Posts, appended in time order as the calendar publishes them.
        self.n_posts = 0
        self.post_f = np.zeros((capacity, len(POST_FLOATS)))
        self.post_i = np.zeros((capacity, len(POST_INTS)), dtype=np.int64)
        self.published = [0] * len(f.plans)
        # Each post's audience of followers in its home world: followers at posting, and the
        # account's follows gained by then, then by the end of its first 24 h (-1: open).
        self.post_followers = np.zeros(capacity, dtype=np.int64)
        self.post_gained = np.zeros((capacity, 2), dtype=np.int64)
        self.post_gained[:, 1] = -1
        self.post_counters = np.zeros((n_x, capacity, len(POST_COUNTERS)), dtype=np.int64)
        self.seen = np.zeros((n_x, capacity, (n + 63) // 64), dtype=np.uint64)
        # Worlds without paid ads: the organic baseline (row 0) and one per tactic.
        self.extra_install_time = np.repeat(pop.organic_install_h[None, :], 1 + n_tactics, axis=0)
        # What the feed caused: the install time it set in each world, and whether via a share
        # (an install later pulled forward by an ad no longer matches: the ad caused it).
        n_paid_worlds = layout.n_worlds
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
        self.boosted_views = 0
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
        self.post_f[j] = [
            t, plan.quality, self.account_weight[plan.account], plan.app_link, plan.share_mult,
            plan.follow_mult,
        ]  # fmt: skip
        uid = k * POST_UID_STRIDE + self.published[k]
        self.published[k] += 1
        self.post_i[j] = [
            uid, plan.account, plan.tactic, plan.topic, int(plan.hashtags), plan.event
        ]  # fmt: skip
        gained, lost = self._follow_events(plan.tactic, plan.account)
        start = self.pop.account_ptr[plan.account + 1] - self.pop.account_ptr[plan.account]
        self.post_followers[j] = start + gained - lost
        self.post_gained[j, 0] = gained
        if plan.tactic >= 0:
            day = min(self.p.horizon_days - 1, math.floor(t / 24.0))
            self.tactic_spend_daily[day, plan.tactic] += plan.cost_per_post_usd / self.p.scale

    def _follow_events(self, tactic: int, account: int) -> tuple[int, int]:
        """Follows gained and lost so far by ``account`` in the home world of a post of
        ``tactic`` (the baseline for standing posts, the tactic's own world otherwise)."""
        events = self.followers_daily[0 if tactic < 0 else 1 + tactic, :, account]
        return int(events[:, 0].sum()), int(events[:, 1].sum())

    def _close_windows(self, t: float) -> None:
        """Records the follows gained by posts whose first 24 h ended by hour t. Called when
        every event before t has run, so the count may include a slot's events past the
        window's end but never misses one inside it: the share stays within [0, 1]."""
        n = self.n_posts
        closing = (self.post_gained[:n, 1] < 0) & (self.post_f[:n, _F["time_h"]] + 24.0 <= t)
        for j in np.flatnonzero(closing):
            gained, _ = self._follow_events(
                int(self.post_i[j, _I["tactic"]]), int(self.post_i[j, _I["account"]])
            )
            self.post_gained[j, 1] = gained

    def weight_mult(self, t: float) -> float:
        """The page-weight multiplier of the latest algorithm change by hour t."""
        k = np.searchsorted(self.f.change_h, t, side="right")
        return 1.0 if k == 0 else float(self.f.change_mult[k - 1])

    def settings(self, t: float) -> np.ndarray:
        """The kernels' ``cfg`` vector (FEED_SETTINGS) at hour t."""
        f = self.f
        return np.array([
            f.candidates_per_session, f.window_h, f.recency_half_life_h, f.interest_lift,
            f.like_rate, f.share_rate, f.hashtag_browse_share, f.recommended_share,
            self.weight_mult(t), f.follow_rate, f.hide_rate, f.fatigue_onset, f.paid_halo,
        ])  # fmt: skip

    # ---- work ---------------------------------------------------------------------------
    def run_slot(
        self,
        slot: int,
        t0: float,
        inputs: dict[str, Any],
        paid_install_time: np.ndarray,
        sess_events: np.ndarray,
    ) -> None:
        """The organic positions of the slot's sessions (the same sessions the ads see);
        ``sess_events[m]``: bits of the live events session m browses (calendar)."""
        p, pop = self.p, self.pop
        self._close_windows(t0)
        n = self.n_posts
        stats = run_feed_slot(
            self.streams.key("feed", slot), inputs["key"], float(t0), int(t0 // 24.0),
            inputs["sess_agent"], inputs["sess_time"], inputs["sess_local_hour"], sess_events,
            p.feed_items_mean, p.ad_load, self.settings(t0), n, self.post_f[:n],
            self.post_i[:n], self.acc_ptr, self.acc_idx, self.fol_ptr, self.fol_idx,
            pop.interests, self.x_tactic, self.x_paid_world, self.rows_ptr, self.rows,
            self.world_ptr, self.inst_account, inputs["wear"], inputs["freq_total"],
            self.seen, self.post_counters, self.inbox_post, self.inbox_time,
            self.inbox_depth, self.relation, self.brand_fade, self.followers_daily,
            pop.app_available, pop.install_odds, pop.episode_ptr, pop.episode_start_h,
            pop.episode_end_h, p.intent_install_odds_mult, p.install_hour_mult,
            p.install_delay_median_h, p.install_delay_sigma, paid_install_time,
            self.extra_install_time, self.paid_feed_time, self.paid_feed_share,
            self.extra_feed_time, self.extra_feed_share, self.tactic_views, self.tactic_driven,
        )  # fmt: skip
        self.share_edges_tried += int(stats[:, 0].sum())
        self.shares_dropped += int(stats[:, 1].sum())
        self.candidates_ranked += int(stats[:, 2].sum())
        totals = self.tactic_slot_totals[slot]
        tactic = self.post_i[:n, _I["tactic"]]
        for t in range(totals.shape[0]):
            mine = self.post_counters[1 + t, :n][tactic == t]  # in the tactic's own world
            totals[t, 0] = mine[:, _C["views"]].sum()
            totals[t, 1] = mine[:, _C["link_clicks"]].sum()

    def boost_snapshot(self, inputs: dict[str, Any]) -> np.ndarray | None:
        """Boosted instances' impression counts before the slot's auctions (see boost_views)."""
        return inputs["freq_total"][self.boosted].copy() if self.boosted.size else None

    def boost_views(
        self, slot: int, t0: float, inputs: dict[str, Any], before: np.ndarray | None
    ) -> None:
        """After the slot's auctions: each person a boosted ad reached views the account's
        latest standing post (published by the slot's start) in that paid world's exposure
        world."""
        if before is None:
            return
        n = self.n_posts
        standing = self.post_i[:n, _I["tactic"]] == -1
        account = self.post_i[:n, _I["account"]]
        worlds, agents, posts = [], [], []
        for j, counts in zip(self.boosted, before, strict=True):
            mine = np.flatnonzero(standing & (account == self.inst_account[j]))
            if mine.size == 0:
                continue  # nothing posted yet: the ad shows, but there is no post to share
            reached = np.flatnonzero(inputs["freq_total"][j] != counts).astype(np.int32)
            worlds.append(np.full(reached.size, self.paid_x[self.inst_world[j]]))
            agents.append(reached)
            posts.append(np.full(reached.size, mine[-1]))
        if not agents:
            return
        stats = run_boost_views(
            self.streams.key("boost", slot), t0 + self.p.slot_h, int(t0 // 24.0),
            np.concatenate(worlds), np.concatenate(agents), np.concatenate(posts),
            self.settings(t0), self.post_f[:n], self.post_i[:n], self.acc_ptr, self.acc_idx,
            self.fol_ptr, self.fol_idx, self.pop.interests, self.x_paid_world, self.world_ptr,
            self.inst_account, inputs["wear"], inputs["freq_total"], self.seen,
            self.post_counters, self.inbox_post, self.inbox_time, self.inbox_depth,
            self.relation, self.brand_fade, self.followers_daily,
        )  # fmt: skip
        self.share_edges_tried += int(stats[:, 0].sum())
        self.shares_dropped += int(stats[:, 1].sum())
        self.boosted_views += int(stats[:, 2].sum())

    def day_end(self, day: int) -> None:
        self.tactic_reach_cum[day] = (self.tactic_views > 0).sum(axis=1)
        self.brand_fade *= self.fade  # the same memory as the ads' wear-out

    def record(self, slots_per_day: int) -> FeedRecord:
        p, f = self.p, self.f
        self._close_windows(p.horizon_h)
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
        post_tactic = self.post_i[:n, _I["tactic"]]
        post_account = self.post_i[:n, _I["account"]]
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
        # Each post as its own world saw it: the baseline for standing posts, a tactic's
        # world for the tactic's.
        home = np.where(post_tactic < 0, 0, 1 + post_tactic)
        counters = self.post_counters[home, np.arange(n)]
        reach = np.array(
            [int(np.unpackbits(self.seen[home[j], j].view(np.uint8)).sum()) for j in range(n)]
        )
        return FeedRecord(
            tactic_names=list(f.tactic_names),
            post_time_h=self.post_f[:n, _F["time_h"]].copy(),
            post_account=[p.accounts[a].handle for a in post_account],
            post_tactic=post_tactic.copy(),
            post_counters=counters,
            post_reach=reach,
            post_page_followers=self.post_followers[:n].copy(),
            post_followers_24h=np.where(
                self.post_gained[:n, 1] >= 0,
                self.post_followers[:n] + self.post_gained[:n, 1] - self.post_gained[:n, 0],
                -1,
            ),
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
            followers_daily=self.followers_daily[:, :, : len(p.accounts)].copy(),
            paid_exposure_world=self.paid_x.copy(),
            boosted_views=self.boosted_views,
            world_engagements=self.post_counters[:, :n, [_C["likes"], _C["shares"]]].sum(
                axis=(1, 2)
            ),
            brand_accounts=np.array([a.kind == "brand" for a in p.accounts], dtype=np.bool_),
            account_handles=[a.handle for a in p.accounts],
            account_followers=followers,
        )


def _pad(values: np.ndarray | None, n: int) -> np.ndarray | None:
    """Per-strategy values followed by zeros for ``n`` organic tactics."""
    return None if values is None else np.concatenate([values, np.zeros(n)])


def with_tactics(
    rec: RunRecord, feed: FeedRecord, p: Params, pop: Population, masks: np.ndarray,
    paid_with_x: np.ndarray, paid_without_x: np.ndarray,
) -> RunRecord:  # fmt: skip
    """``rec`` with the organic tactics appended as columns after the paid strategies: what
    they spent and showed, the installs their posts drove, and their worlds' installs against
    the organic baseline's. Every column also gets the brand followers and engagements its
    world gained over the world without it (``paid_with_x``/``paid_without_x``: the exposure
    worlds of each paid strategy's world and of its counterfactual)."""
    n_tactics = len(feed.tactic_names)
    with_x = np.concatenate([paid_with_x, 1 + np.arange(n_tactics)]).astype(np.int64)
    without_x = np.concatenate([paid_without_x, np.zeros(n_tactics)]).astype(np.int64)
    brand = feed.followers_daily[:, :, feed.brand_accounts]  # (X, D, A', 2)
    net = (brand[..., 0] - brand[..., 1]).sum(axis=2)  # (X, D)
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
        platform_installs=None
        if rec.platform_installs is None
        else cat(rec.platform_installs, np.zeros((rec.platform_installs.shape[0], n_tactics))),
        # A tactic's installs come through its own links: the brand counts each one.
        installs_tracked=None
        if rec.installs_tracked is None
        else np.concatenate([rec.installs_tracked, feed.tactic_installs_daily.sum(axis=0)]),
        installs_skan=_pad(rec.installs_skan, n_tactics),
        installs_skan_withheld=_pad(rec.installs_skan_withheld, n_tactics),
        installs_modelled=_pad(rec.installs_modelled, n_tactics),
        install_sources=np.concatenate([rec.install_sources, feed.tactic_install_sources]),
        feed=feed,
        exposure_world=with_x,
        followers_gained=(net[with_x] - net[without_x]).sum(axis=1).astype(np.float64),
        engagements=(feed.world_engagements[with_x] - feed.world_engagements[without_x]).astype(
            np.float64
        ),
    )
