"""Scenario schema: the synthetic population and the named accounts people follow."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from .common import (
    AgeBandMult,
    AgeBandShare,
    Gender,
    Label,
    Model,
    Mult,
    NonNeg,
    Os,
    Positive,
    Probability,
    Sigma,
    check_shares,
    check_unique,
)

__all__ = [
    "MAX_REGIONS",
    "MAX_SESSIONS_PER_DAY",
    "Account",
    "Activity",
    "FollowGraph",
    "Interest",
    "Population",
    "Region",
]

# Engine limits: region ids are int16, per-person impression counters uint16
# (150 sessions a day x 366 days = 54,900 < 65,535).
MAX_REGIONS = 10_000
MAX_SESSIONS_PER_DAY = 150.0


class Region(Model):
    """A place people live: each agent gets a point near ``(lat, lon)`` for radius targeting."""

    name: Label
    """Region name (unique), as audiences, the market and the app's fit refer to it."""
    country: str = Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2 code.")
    utc_offset_h: float = Field(ge=-12, le=14, description="Local time minus UTC, hours.")
    lat: float = Field(ge=-90, le=90)
    """Latitude of the region's centre (degrees)."""
    lon: float = Field(ge=-180, le=180)
    """Longitude of the region's centre (degrees)."""
    spread_km: Positive = Field(
        default=15.0, le=20_000, description="Std. dev. of agents' distance."
    )
    share: Probability = Field(description="Share of the population living here.")
    languages: dict[str, Probability] = Field(default_factory=lambda: {"en": 1.0})
    """Shares of the region's people by language code (sum to 1)."""

    @field_validator("languages")
    @classmethod
    def _languages(cls, v: dict[str, float]) -> dict[str, float]:
        check_shares(v, "language shares")
        return v


class Interest(Model):
    """One topic of the interest taxonomy, with how common it is and who holds it more."""

    name: str = Field(min_length=1, pattern=r"^[a-z0-9_]+$")
    """Topic name (lowercase letters, digits, _), as audiences, creatives and the app's fit refer to
    it."""
    prevalence: float = Field(
        ge=0, le=0.95, description="Share of the population holding the topic."
    )
    age_tilt: list[AgeBandMult] = Field(default_factory=list)
    """Prevalence multipliers by age band (who holds the topic more)."""
    gender_tilt: dict[Gender, Mult] = Field(default_factory=dict)
    """Prevalence multipliers by gender."""


class Activity(Model):
    """How often people open the app, and when (local time)."""

    # Heavy-tailed use: Pew Research Center (2019) finds the top 10% of users write 80% of
    # tweets. Sessions are less skewed than writing; a lognormal with sigma ~1.2 gives the top
    # decile ~45% of sessions.
    sessions_per_day_median: Positive = Field(default=1.0, le=MAX_SESSIONS_PER_DAY)
    """Median sessions a person opens per day (lognormal across people)."""
    sessions_per_day_sigma: Sigma = 1.2
    """Lognormal sigma of sessions per day across people (heavy-tailed use)."""
    max_sessions_per_day: Positive = Field(
        default=60.0,
        le=MAX_SESSIONS_PER_DAY,
        description="Most sessions a person opens per day (at most 150: the engine counts "
        "impressions per person in 16 bits, and 150 a day for 366 days fits).",
    )
    diurnal: list[Mult] = Field(
        default=[
            0.3,
            0.15,
            0.1,
            0.08,
            0.08,
            0.15,
            0.4,
            0.8,
            1.1,
            1.1,
            1.0,
            1.1,
            1.3,
            1.4,
            1.3,
            1.1,
            1.1,
            1.2,
            1.3,
            1.5,
            1.7,
            1.8,
            1.5,
            0.8,
        ],
        min_length=24,
        max_length=24,
        description="Relative session rate by local hour 0..23 (normalised to mean 1).",
    )

    @field_validator("diurnal")
    @classmethod
    def _some_activity(cls, v: list[float]) -> list[float]:
        if sum(v) <= 0:
            raise ValueError("diurnal curve must have some positive hour")
        return v


class FollowGraph(Model):
    """Agent-to-agent follows (CSR), built now for the organic feed."""

    mean_follows: NonNeg = Field(
        default=20.0, le=1000, description="Mean out-degree among agents (at most 1,000)."
    )
    # Kwak, Lee, Park, Moon (WWW 2010), 41.7M Twitter users: followings exponent ~2.28,
    # heavy-tailed followers.
    degree_exponent: float = Field(default=2.28, gt=1.5)
    """Power-law exponent of how many people each agent follows (Kwak et al. 2010: about 2.28)."""
    popularity_sigma: Sigma = Field(default=1.5, description="Lognormal sigma of attractiveness.")
    region_homophily: Probability = 0.6
    """Chance that a follow is drawn among people of the follower's own region."""
    interest_homophily: Probability = 0.5
    """Chance that a candidate sharing no interest with the follower is rejected (up to 3 tries)."""


class FollowerProfile(Model):
    """Who follows an account: multipliers on the chance a given person is a follower."""

    interests: dict[str, Mult] = Field(default_factory=dict)
    """Follow-chance multiplier per interest topic a person holds."""
    regions: dict[str, Mult] = Field(default_factory=dict)
    """Follow-chance multiplier per region name."""
    countries: dict[str, Mult] = Field(default_factory=dict)
    """Follow-chance multiplier per country code."""
    age: list[AgeBandMult] = Field(default_factory=list)
    """Follow-chance multiplier per age band."""
    gender: dict[Gender, Mult] = Field(default_factory=dict)
    """Follow-chance multiplier per gender."""


class Account(Model):
    """A named account (brand, celebrity, media, influencer) with a real follower set."""

    handle: str = Field(pattern=r"^@[A-Za-z0-9_]{1,30}$")
    """The account's @handle, as audiences and the app's fit refer to it."""
    kind: Literal["brand", "celebrity", "media", "influencer", "other"] = "brand"
    """What kind of account it is (a label in outputs)."""
    followers: int = Field(ge=0, description="Followers within this population (real people).")
    profile: FollowerProfile = Field(default_factory=FollowerProfile)
    """Who follows it: multipliers on each person's chance of being a follower."""


class Population(Model):
    """Who is on the platform. Each of ``agents`` stands for ``scale`` real people."""

    agents: int = Field(ge=10, le=20_000_000)
    """Simulated people (agents); each stands for `scale` real people."""
    scale: Positive = Field(default=1.0, le=1e6, description="Real people per agent.")
    regions: list[Region] = Field(
        min_length=1, max_length=MAX_REGIONS, description="At most 10,000 (16-bit index)."
    )
    age: list[AgeBandShare] = Field(min_length=1)
    """Age bands and their shares of the platform's users (shares sum to 1)."""
    gender: dict[Gender, Probability] = Field(default_factory=lambda: {"female": 0.5, "male": 0.5})
    """Shares of users by gender (sum to 1)."""
    devices: dict[Os, Probability] = Field(
        default_factory=lambda: {"ios": 0.45, "android": 0.5, "other": 0.05}
    )
    """Shares of users by device operating system (sum to 1)."""
    interests: list[Interest] = Field(default_factory=list, max_length=128)
    """Interest topics and who holds them (at most 128)."""
    activity: Activity = Field(default_factory=Activity)
    """How often people open the app, and at what local hours."""
    graph: FollowGraph = Field(default_factory=FollowGraph)
    """Who follows whom among agents."""
    # ASSUMPTION (no public per-person figure): how readily a person installs apps at all is
    # heavy-tailed (a few people install most apps), the same for every app; sigma 1 gives the
    # top 10% of people ~40% of the propensity mass. It multiplies install odds after a click,
    # and the platform sees it with error from every advertiser's data
    # (platform.optimiser.install_error_sigma), so its first predictions are far from random.
    app_propensity_sigma: Sigma = 1.0
    """Lognormal sigma (mean 1) of each person's general app-install propensity (odds
    multiplier, the same for every app; 0 = everyone alike)."""

    @field_validator("regions")
    @classmethod
    def _regions(cls, v: list[Region]) -> list[Region]:
        check_shares([r.share for r in v], "region shares")
        check_unique([r.name for r in v], "region names")
        return v

    @field_validator("age")
    @classmethod
    def _age(cls, v: list[AgeBandShare]) -> list[AgeBandShare]:
        check_shares([b.share for b in v], "age band shares")
        return v

    @field_validator("gender", "devices")
    @classmethod
    def _mix(cls, v: dict[str, float]) -> dict[str, float]:
        check_shares(v, "shares")
        return v

    @field_validator("interests")
    @classmethod
    def _unique_topics(cls, v: list[Interest]) -> list[Interest]:
        check_unique([t.name for t in v], "interest names")
        return v

    @property
    def real_people(self) -> float:
        return self.agents * self.scale
