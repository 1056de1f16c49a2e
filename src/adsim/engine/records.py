"""What one replicate produced, as plain arrays: the engine's output and Result's input.

Plain dataclasses below both the engine (``sim``, ``feed``) and the results, so neither has
to import the other to name them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["FeedRecord", "RunRecord"]


@dataclass
class FeedRecord:
    """What the feed produced in one replicate (simulated units; Result scales them)."""

    tactic_names: list[str]
    post_time_h: np.ndarray  # (P,)
    post_account: list[str]  # (P,) handles
    post_tactic: np.ndarray  # (P,) -1: the standing posting
    post_counters: np.ndarray  # (P, len(POST_COUNTERS)) int64, in the post's own world
    post_reach: np.ndarray  # (P,) distinct viewers, in the post's own world
    post_page_followers: np.ndarray  # (P,) the author's followers (agents) when it was posted
    # (P,) people who followed the author at posting or within the next 24 h (agents): the
    # denominator of its 24 h reach share, -1 where the window outlasts the run.
    post_followers_24h: np.ndarray
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
    # Followers gained and lost per exposure world, day and account (agents), and which
    # exposure world each paid world sees (0 is the organic baseline, 1 + t tactic t's).
    followers_daily: np.ndarray  # (X, D, A, 2)
    paid_exposure_world: np.ndarray  # (W,)
    boosted_views: int  # first views of a post through a boosted ad, in every world
    world_engagements: np.ndarray  # (X,) likes and shares of every post in each world
    brand_accounts: np.ndarray  # (A,) bool: accounts of kind brand
    account_handles: list[str]  # (A,)
    account_followers: np.ndarray  # (A,) followers (agents) at the start


@dataclass
class RunRecord:
    """Everything one replicate produced, as plain arrays (turned into DataFrames by Result)."""

    strategy_names: list[str]
    scale: float
    audience_agents: np.ndarray  # (S,)
    audience_overlap: np.ndarray  # (S, S) share of row's audience also in column's
    budget_total_usd: np.ndarray  # (S,) real USD a strategy may spend over its flight
    daily: dict[str, np.ndarray]  # each (D, S), simulated units, reported instances
    reach_cum: np.ndarray  # (D, S) unique agents reached by the end of each day
    installs_with: np.ndarray  # (D, S) installs in the strategy's world
    installs_without: np.ndarray  # (D, S) installs in the world without it
    max_price_sim_usd: float  # dearest single charge any instance paid
    learning_installs: int  # real installs received that end the learning phase ...
    learning_days: int  # ... within this many days
    # {dimension: (group labels, {metric: (S, G)})}, see adsim.breakdown
    breakdowns: dict[str, tuple[tuple[str, ...], dict[str, np.ndarray]]]
    # (S, len(INSTALL_SOURCES)) agents: what caused the installs in each strategy's world
    install_sources: np.ndarray | None = None
    # (D, S) real installs the platform received for each strategy, by the day they arrived
    platform_installs: np.ndarray | None = None
    # Columns [0, n_paid) are paid strategies, the rest organic tactics (with the feed on).
    n_paid: int = 0
    feed: FeedRecord | None = None
    # With the feed: each column's exposure world (see engine.feed), and the brand accounts'
    # net followers and the posts' likes and shares its world gained over the world without it
    # (agents and events; zero without the feed).
    exposure_world: np.ndarray | None = None  # (S,)
    # Credited installs as the ad manager and the MMP can count them (engine.measurement),
    # agents: person by person (tracked), through SKAN postbacks, below SKAN's threshold
    # (look organic), and the ad manager's modelled installs. None: every install tracked.
    installs_tracked: np.ndarray | None = None  # (S,)
    installs_skan: np.ndarray | None = None  # (S,)
    installs_skan_withheld: np.ndarray | None = None  # (S,)
    installs_modelled: np.ndarray | None = None  # (S,)
    # Per slot of the run: the strategies' spend_sim_usd, auctions, impressions and clicks
    # (n_slots, S), and the platform's sessions and ad slots (agents' own) and the rest of
    # the market's mean competing eCPM over the slot's ad slots (n_slots,), for hourly series.
    slots: dict[str, np.ndarray] | None = None
    platform_slots: dict[str, np.ndarray] | None = None
    followers_gained: np.ndarray | None = None  # (S,)
    engagements: np.ndarray | None = None  # (S,)
