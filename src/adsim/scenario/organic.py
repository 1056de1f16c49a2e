"""Scenario schema: the organic feed (how the platform ranks posts into sessions), the
brand's standing posting, and organic tactics compared side by side with paid strategies.

The feed's defaults come from platform presets. Public figures they are set against:
- Organic reach of a brand post, as a share of its page's followers: Facebook ~2% for large
  pages (Social@Ogilvy 2014; Locowise 2015: 2.27% above 1M likes; Ignite Social Media 2021:
  2.2% per brand post); Twitter impressions ~1.3-4.1% of followers (Marketing Land 2014);
  Instagram ~3.5% overall, small accounts far more (2025 estimates); TikTok "most posts
  under 10% of followers" (2025 estimate). Reach falls as the page grows.
- Candidates per visit: ~1,500 on Facebook (Facebook 2014) and on Twitter's "For You"
  (twitter/the-algorithm-ml, 2023).
- Engagement per post per follower: Twitter 0.035%, Facebook 0.06%, Instagram 0.47%, TikTok
  5.69% (Rival IQ 2023); 6% of tweets get retweeted (Sysomos 2010); 70-95% of cascades are
  a single node and 1-4% go beyond one hop (Goel, Watts, Goldstein, EC 2012).
- Fatigue: 81% of consumers have hidden or "unliked" company posts on Facebook (ExactTarget,
  "The Social Break-Up", 2013, quoted in "Has social-media marketing lost its way?", Arabic
  web article, undated).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from .common import Model, Mult, NonNeg, Positive, Probability

__all__ = ["FEED_PRESETS", "AlgorithmChange", "Feed", "OrganicTactic", "PostingPlan"]

# Per platform preset: candidates ranked per session, how fast a post ages, a brand page's
# ranking weight (relative to the average candidate, for a page of 1,000 followers) and how
# it falls with page size, and engagement per view at no interest match. ASSUMPTION: weights
# and rates are set so that the bundled checks land a typical brand post's 24 h reach share
# and engagement per follower inside the public ranges above (tests/test_feed.py measures).
FEED_PRESETS: dict[str, dict[str, float]] = {
    "twitter": {
        "candidates_per_session": 1500.0, "recency_half_life_h": 4.0, "page_weight": 5.0,
        "page_size_exponent": 0.15, "like_rate": 0.007, "share_rate": 0.002,
        "recommended_share": 0.0,
    },
    "facebook": {
        "candidates_per_session": 1500.0, "recency_half_life_h": 12.0, "page_weight": 4.5,
        "page_size_exponent": 0.3, "like_rate": 0.015, "share_rate": 0.003,
        "recommended_share": 0.0,
    },
    "instagram": {
        "candidates_per_session": 500.0, "recency_half_life_h": 12.0, "page_weight": 15.0,
        "page_size_exponent": 0.45, "like_rate": 0.02, "share_rate": 0.002,
        "recommended_share": 0.0,
    },
    "tiktok": {
        "candidates_per_session": 500.0, "recency_half_life_h": 24.0, "page_weight": 3.0,
        "page_size_exponent": 0.3, "like_rate": 0.2, "share_rate": 0.005,
        "recommended_share": 0.02,
    },
}  # fmt: skip


class AlgorithmChange(Model):
    """From ``day`` on, the platform weights brand pages' posts by ``page_weight_mult``
    (below 1: it throttles them harder, "so that businesses must pay")."""

    day: NonNeg = Field(le=366)
    """Day the change takes effect, from the run's start."""
    page_weight_mult: Mult
    """Multiplier on brand pages' ranking weight from then on."""


class Feed(Model):
    """How the platform fills a session's organic positions. Each session ranks the explicit
    candidates (posts of followed accounts, posts shared by followed people, hashtag or
    recommended posts) against a statistical background of ordinary posts: a candidate of
    weight w takes one of the session's n organic positions with probability
    1 - (1 - w / (M + w))^n, where M background candidates have mean weight 1."""

    preset: Literal["twitter", "facebook", "instagram", "tiktok"] = "twitter"
    """Platform whose defaults fill the fields left out below."""
    candidates_per_session: Positive | None = Field(default=None, le=100_000)
    """Background candidates ranked per session (default: the preset's)."""
    window_h: Positive = Field(default=48.0, le=24 * 30)
    """Hours a post stays a candidate after it was posted or shared."""
    recency_half_life_h: Positive | None = Field(default=None, le=24 * 30)
    """Hours in which a candidate's weight halves with its age (default: the preset's)."""
    page_weight: Positive | None = Field(default=None, le=1000)
    """A brand page's post weight relative to an average candidate, for a page of 1,000
    followers at no interest match (default: the preset's): the commercial-page penalty."""
    page_size_exponent: NonNeg | None = Field(default=None, le=2)
    """Page weight x (followers / 1,000)^-exponent: reach share falls as a page grows."""
    interest_lift: Mult = 2.0
    """Extra weight and engagement for viewers holding the post's topic (x (1 + lift))."""
    like_rate: Probability | None = None
    """Likes per view at no interest match (default: the preset's)."""
    share_rate: Probability | None = None
    """Shares per view at no interest match (default: the preset's)."""
    recommended_share: Probability | None = None
    """Chance per session that a person holding a post's topic gets it recommended without
    following its author (default: the preset's; TikTok-like feeds recommend most)."""
    hashtag_browse_share: Probability = 0.02
    """Chance per session that a person holding a topic browses it (sees its hashtag posts)."""
    follow_rate: Probability = 0.002
    """Chance that a view of an account's post makes a non-follower follow it, at no interest
    match (x quality x (1 + lift) with a match, x the plan's ``follow_mult``)."""
    # ASSUMPTION: no public per-view follow rate; 0.2% gives a page a few new followers per
    # post, against the ~1-4% of followers that see it.
    hide_rate: Probability = 0.002
    """Chance that a brand impression makes the person hide the account (and unfollow it),
    when they have had ``fatigue_onset`` recent impressions of it (organic or paid); it grows
    in proportion to that count, and falls x 1 / (1 + lift) with an interest match."""
    # The 0.2% default: one brand impression a day keeps about 10 recent ones (the count
    # fades with platform.wearout.memory_half_life_days, 7), so a person hides that brand
    # within a year with probability 1 - 0.998^365 = 52%; over the few brands a person
    # follows, most people hide one, as the 81% of ExactTarget (2013) says.
    fatigue_onset: Positive = Field(default=10.0, le=10_000)
    """Recent impressions of one account (organic views plus its paid ads, fading with
    platform.wearout.memory_half_life_days) at which a further one is hidden at ``hide_rate``."""
    paid_halo: NonNeg = Field(default=0.3, le=100)
    """Extra share and follow rate (x (1 + halo)) on an account's posts for people its ads
    (strategies with that ``account``) have reached: paid exposure raises earned media."""
    # ASSUMPTION: no public figure for the lift of organic engagement after ad exposure; 0.3
    # is a modest default for a planner to vary (a sweep over platform.feed.paid_halo).
    changes: list[AlgorithmChange] = Field(default_factory=list, max_length=100)
    """Algorithm changes over the run, in day order."""

    def resolved(self, key: str) -> float:
        """A field's value, or the preset's when left out."""
        value = getattr(self, key)
        return FEED_PRESETS[self.preset][key] if value is None else float(value)

    @model_validator(mode="after")
    def _ordered(self) -> Feed:
        days = [c.day for c in self.changes]
        if days != sorted(days):
            raise ValueError("changes must be in day order")
        return self


class PostingPlan(Model):
    """Posts an account publishes on a schedule."""

    account: str
    """Handle of the posting account (one of the scenario's accounts)."""
    posts_per_day: Positive = Field(le=100)
    """Posts a day, spread evenly over ``hours``."""
    hours: list[Annotated[int, Field(ge=0, le=23)]] = Field(
        default_factory=lambda: [9, 13, 19], min_length=1
    )
    """Local hours of the advertiser's clock at which posts go out, in turn."""
    topic: str | None = None
    """Interest topic of the posts (viewers holding it rank and engage them more)."""
    quality: Positive = Field(default=1.0, le=100)
    """Content quality: multiplies the posts' ranking weight and engagement rates."""
    app_link: Probability = 0.0
    """Link clicks per view (at no interest match) that lead to the app's store page; 0 for
    posts without a link. Installs follow the app's funnel."""
    hashtags: bool = False
    """Posts carry the topic's hashtag: people browsing the topic see them too."""
    event: str | None = None
    """A calendar event whose hashtag the posts carry: while it airs, its followers who
    browse it (``hashtag_browse_share`` of their sessions) see posts published into it."""
    share_mult: Mult = 1.0
    """Multiplier on share rates (a contest with share-to-enter raises it)."""
    follow_mult: Mult = 1.0
    """Multiplier on follow rates (a contest with follow-to-enter raises it)."""
    start_day: NonNeg = Field(default=0.0, le=366)
    """Day the plan starts."""
    end_day: Positive | None = Field(default=None, le=10_000)
    """Day it stops (default: the end of the run)."""

    @model_validator(mode="after")
    def _needs_topic(self) -> PostingPlan:
        if self.hashtags and self.topic is None:
            raise ValueError("hashtags need a topic")
        if self.end_day is not None and self.end_day <= self.start_day:
            raise ValueError(f"end_day ({self.end_day}) must be after start_day")
        return self


class OrganicTactic(Model):
    """An organic tactic compared with the paid strategies: extra posting (a content plan,
    hashtags, a contest, an influencer's posts) on top of the standing posting, priced per
    post plus a fixed cost. Its incremental installs compare a world with it to the same world
    without it (common random numbers)."""

    name: str = Field(min_length=1, max_length=60, pattern=r"^[A-Za-z0-9_.\- ]+$")
    """Unique name shown in every table (shared with the strategies' names)."""
    kind: Literal["posting", "hashtags", "contest", "influencer"] = "posting"
    """What the tactic is (a label; its effect comes from ``posting``)."""
    posting: PostingPlan
    """The posts the tactic adds."""
    cost_per_post_usd: NonNeg = Field(default=0.0, le=1e7)
    """Production cost or influencer fee per post (USD)."""
    fixed_cost_usd: NonNeg = Field(default=0.0, le=1e9)
    """One-off cost, counted when the tactic starts: a contest's prizes, a fee (USD)."""
