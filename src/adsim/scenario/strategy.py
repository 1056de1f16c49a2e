"""Scenario schema: a paid strategy (audience, bid, budget, pacing, caps, flight, creative)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from .common import Model, Mult, NonNeg, Positive, Probability, Usd
from .segments import Segment

__all__ = ["AUTO_BIDS", "Bid", "Budget", "Creative", "Flight", "FrequencyCap", "Strategy"]


class MaxCpm(Model):
    """Manual bid per thousand impressions."""

    strategy: Literal["max_cpm"]
    """`max_cpm`: a manual bid per 1,000 impressions."""
    amount_usd: Positive = Field(le=100_000)
    """Bid per 1,000 impressions (USD)."""


class CpcBid(Model):
    """Manual maximum bid per click (Twitter's "maximum" bid): enters the auction as bid x the
    platform's estimated CTR; billed per click by default, so a click never costs more."""

    strategy: Literal["cpc"]
    """`cpc`: a manual maximum bid per click."""
    amount_usd: Positive = Field(le=100_000)
    """Most paid per click (USD)."""


class LowestCost(Model):
    """Spend the budget and get the most installs: the platform sets the value per install."""

    strategy: Literal["lowest_cost"]
    """`lowest_cost`: spend the budget for the most installs; the platform sets the bid."""


class BidCap(Model):
    """Lowest cost, but the value bid per install never exceeds ``amount_usd`` in any auction."""

    strategy: Literal["bid_cap"]
    """`bid_cap`: lowest cost, with the value bid per install capped."""
    amount_usd: Positive = Field(le=100_000)
    """Most the platform may value an install at in any auction (USD)."""


class CostCap(Model):
    """Spend as much as possible while the average cost per install stays at or under
    ``amount_usd`` (Meta's cost cap). A cap that does not bind behaves like lowest cost."""

    strategy: Literal["cost_cap"]
    """`cost_cap`: the most installs while the average cost per install stays at or under the
    amount."""
    amount_usd: Positive = Field(le=100_000)
    """Target average cost per install (USD)."""


Bid = Annotated[MaxCpm | CpcBid | LowestCost | BidCap | CostCap, Field(discriminator="strategy")]
AUTO_BIDS = ("lowest_cost", "bid_cap", "cost_cap")


class Budget(Model):
    """Daily and/or lifetime budget in real USD (the simulation spends ``budget / scale``)."""

    daily_usd: Usd | None = None
    """Most spent per advertiser day (USD); resets at midnight of `clock_utc_offset_h`."""
    lifetime_usd: Usd | None = None
    """Most spent over the whole flight (USD)."""

    @model_validator(mode="after")
    def _some(self) -> Budget:
        if self.daily_usd is None and self.lifetime_usd is None:
            raise ValueError("give daily_usd, lifetime_usd or both")
        return self


class FrequencyCap(Model):
    impressions: int = Field(
        ge=1, le=65_535, description="Most impressions per person per window (16-bit counter)."
    )
    per_days: int = Field(default=1, ge=1, le=366, description="Window length in days.")


class Flight(Model):
    """When the strategy runs: days from the start, and local hours (dayparting)."""

    start_day: NonNeg = Field(default=0.0, le=366)
    """Day the strategy starts, from the run's start (1.5 = day 1 at noon)."""
    end_day: Positive | None = Field(default=None, le=10_000)
    """Day it stops, exclusive (default: the end of the run)."""
    hours: list[Annotated[int, Field(ge=0, le=23)]] | None = Field(
        default=None, min_length=1, description="Viewer's local hours when ads may show."
    )

    @model_validator(mode="after")
    def _ordered(self) -> Flight:
        if self.end_day is not None and self.end_day <= self.start_day:
            raise ValueError(f"end_day ({self.end_day}) must be after start_day ({self.start_day})")
        return self


class Creative(Model):
    """The ad. ``ctr`` is the click rate for a viewer with no interest in its topics."""

    # Facebook ads, US: CTR 0.90% (WordStream 2017); early Facebook game ads 0.04-0.14%.
    ctr: Probability = 0.008
    """Click rate for a viewer with no interest in the creative's topics, before wear-out."""
    topics: list[str] = Field(default_factory=list)
    """Interest topics the creative speaks to: viewers holding them click more (`topic_lift`)."""
    topic_lift: Mult = Field(default=1.0, description="Extra CTR at full affinity to a topic.")
    quality: Positive = Field(default=1.0, le=1000, description="Ad quality weight in the auction.")


class Strategy(Model):
    name: str = Field(min_length=1, max_length=60, pattern=r"^[A-Za-z0-9_.\- ]+$")
    """Unique name shown in every table (letters, digits, _ . - and spaces)."""
    advertiser: str = Field(
        default="advertiser",
        min_length=1,
        description="Who pays. In a shared market one advertiser's strategies never bid against "
        "each other: the platform enters its best-valued eligible one (as Meta does).",
    )
    audience: Segment
    """Who may see the ads: a segment (see Everyone, Age, ... All, AnyOf, Not)."""
    exclude_installed: bool = True
    """Leave out people who already have the app (the platform knows via its SDK)."""
    bid: Bid
    """How the strategy bids: `strategy` names the kind, `amount_usd` its amount."""
    billing: Literal["impression", "click"] | None = Field(
        default=None,
        description="What is charged: per impression, or per click (cpc bids only). Default: "
        "click for cpc bids, impression otherwise.",
    )
    budget: Budget
    """How much it may spend: daily, lifetime or both (USD)."""
    pacing: Literal["even", "accelerated"] = "even"
    """even: spread each day's budget over the day; accelerated: bid whenever possible until it runs
    out."""
    frequency_cap: FrequencyCap | None = None
    """Most impressions per person per window (none by default)."""
    flight: Flight = Field(default_factory=Flight)
    """When it runs: start and end day, and local hours."""
    creative: Creative = Field(default_factory=Creative)
    """The ad: click rate, topics and quality."""
    account: str | None = None
    """Handle of the brand account the ads run as (needs ``platform.feed``). Its impressions
    add to people's fatigue with the account (hides and unfollows), and people shown them
    share and follow its posts more (``platform.feed.paid_halo``). None: the ads touch no
    page."""
    boost: bool = False
    """A boosted post: the ads promote ``account``'s latest post, so an impression is also a
    view of that post, which can be liked, followed from and shared into the viewer's
    followers' feeds (earned media)."""

    @field_validator("name")
    @classmethod
    def _strip(cls, v: str) -> str:
        if v != v.strip():
            raise ValueError("name has leading or trailing spaces")
        return v

    @model_validator(mode="after")
    def _auto_bid_needs_even(self) -> Strategy:
        if self.bid.strategy in AUTO_BIDS and self.pacing != "even":
            raise ValueError(f"{self.bid.strategy} sets the bid by pacing: use pacing: even")
        if self.billing == "click" and self.bid.strategy != "cpc":
            raise ValueError("billing: click needs bid strategy cpc")
        if self.boost and self.account is None:
            raise ValueError("boost: true needs the account whose posts it promotes (account:)")
        return self

    @property
    def bills_per_click(self) -> bool:
        return self.billing == "click" or (self.billing is None and self.bid.strategy == "cpc")
