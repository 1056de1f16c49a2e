"""Scenario schema: the platform (feed, auction, competing market) and the promoted app."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from .common import (
    AgeBandMult,
    Gender,
    HourlyMult,
    Label,
    Model,
    Mult,
    NonNeg,
    Os,
    Positive,
    Probability,
    Sigma,
    check_unique,
)
from .organic import Feed

__all__ = [
    "OPTIMISER_FEATURES",
    "App",
    "Attribution",
    "Intent",
    "Market",
    "Optimiser",
    "Platform",
    "WearOut",
]


class Market(Model):
    """The rest of the market: the highest competing total value per ad slot, as an eCPM.

    Lognormal around ``cpm_median_usd`` x hour x device x region x age x gender x interest x
    activity x app-install propensity multipliers: only what every advertiser can see (or the
    platform estimates for all of them), never this app's own fit, latent trait or the
    accounts its fans follow (its private knowledge moves only its own bids).
    Public 2022 CPM benchmarks: Facebook ~$14, TikTok ~$8; peak hours and Q4 cost more.
    A winner pays the runner-up, which is usually below the median (it bids into the lower
    tail), but the people an optimiser picks are the ones every performance advertiser wants
    (``propensity_elasticity``): an $11 median puts paid CPMs of the bundled scenarios inside
    $8-14 (validation/funnel_ranges.py prints them).
    """

    cpm_median_usd: Positive = Field(default=11.0, le=10_000)
    """Median competing eCPM (USD per 1,000 impressions) before the multipliers."""
    sigma: Sigma = Field(default=0.4, description="Lognormal sigma of the competing eCPM.")
    hour: list[Mult] = Field(
        default=[
            0.8,
            0.75,
            0.7,
            0.7,
            0.7,
            0.75,
            0.85,
            0.95,
            1.0,
            1.0,
            1.0,
            1.05,
            1.1,
            1.1,
            1.05,
            1.0,
            1.0,
            1.05,
            1.1,
            1.2,
            1.25,
            1.25,
            1.1,
            0.9,
        ],
        min_length=24,
        max_length=24,
        description="Multiplier by the viewer's local hour 0..23 (peak hours cost more).",
    )
    devices: dict[Os, Mult] = Field(default_factory=lambda: {"ios": 1.25, "android": 0.9})
    """Competing eCPM multiplier per device operating system."""
    regions: dict[str, Mult] = Field(default_factory=dict)
    """Competing eCPM multiplier per region name."""
    age: list[AgeBandMult] = Field(default_factory=list)
    """Competing eCPM multiplier per age band."""
    gender: dict[Gender, Mult] = Field(default_factory=dict)
    """Competing eCPM multiplier per gender."""
    interests: dict[str, Mult] = Field(default_factory=dict)
    """Category competition: competing eCPM multiplier for people holding each interest (the
    highest of a person's listed interests applies; people holding none listed get 1)."""
    # ASSUMPTION: advertisers value heavy users' impressions like anyone's (0); a positive value
    # prices heavy users up as (sessions / median)^elasticity.
    activity_elasticity: float = Field(default=0.0, ge=-2, le=2)
    """Competing eCPM x (sessions per day / population median)^elasticity."""
    # ASSUMPTION: about half of a feed's competing demand is performance (install, purchase)
    # advertisers whose bids scale with the platform's estimate of a person's propensity to
    # act; the rest (brand, reach) ignore it. 0.5 gives a person the platform rates 4x as
    # likely to install a 2x competing price.
    propensity_elasticity: float = Field(default=0.5, ge=0, le=2)
    """Competing eCPM x (platform's estimate of the person's app-install propensity)^elasticity,
    normalised to mean 1: every app-install advertiser wants people who install apps."""

    @model_validator(mode="before")
    @classmethod
    def _removed_fit_elasticity(cls, data: object) -> object:
        if isinstance(data, dict) and "fit_elasticity" in data:
            raise ValueError(
                "fit_elasticity was removed: competitors cannot see this app's fit, so their "
                "bids follow only what every advertiser sees (devices, regions, age, gender, "
                "interests, activity_elasticity, propensity_elasticity)"
            )
        return data


OPTIMISER_FEATURES = ("age", "gender", "region", "device", "activity", "interests", "follows")


class Optimiser(Model):
    """How the platform predicts install rates for lowest-cost, cost-cap and bid-cap bids.

    It never sees the app's true fit. It predicts installs per click from features it observes
    (``features``), as a prior (the install rate of app-install ads in general, with no
    app-specific profile) combined with what it learns from each strategy's own attributed
    installs as they are reported: gamma-Poisson shrinkage per feature cell, fitted every
    ``update_every_h`` hours. Each person's estimate also carries a persistent error. The
    platform's optimiser "predicts action rates from what it observes ... and learns each
    campaign's conversions as they arrive; good on average, wrong for individuals"
    (Meta Business Help Center, "About the learning phase").
    """

    mode: Literal["learning", "oracle"] = Field(
        default="learning",
        description="learning: predicts from observed features and reported installs; "
        "oracle: knows each person's true install rate (an upper bound, not a platform).",
    )
    features: list[Literal[OPTIMISER_FEATURES]] = Field(  # type: ignore[valid-type]
        default=list(OPTIMISER_FEATURES),
        description="Person features the platform's model uses (activity = sessions/day band; "
        "follows = following each named account).",
    )
    # ASSUMPTION: the category-wide click-to-install rate the platform starts from; the vendor
    # range is 20-50% (app-marketing vendors' figures, weak).
    prior_install_per_click: float = Field(default=0.25, gt=0, lt=1)
    """Installs per click the platform assumes before any data (app-install ads in general)."""
    # ASSUMPTION: a cell's estimate is half prior, half data after this many real installs in
    # it. Meta's learning phase needs ~50 events (Meta Business Help Center) before delivery
    # stabilises, so a cell needs tens of its own installs before the platform trusts it.
    prior_strength_installs: Positive = Field(default=25.0, le=1e6)
    """Real installs in a feature cell at which its estimate is half prior, half data."""
    # ASSUMPTION: persistent per-person errors (lognormal sigma) of the click-rate and install
    # predictions; platforms predict clicks from far more data than one app's installs.
    ctr_error_sigma: NonNeg = Field(default=0.3, le=3)
    """Lognormal sigma of each person's persistent click-rate prediction error."""
    install_error_sigma: NonNeg = Field(default=0.6, le=3)
    """Lognormal sigma of the platform's persistent error on each person's app-install
    propensity (``population.app_propensity_sigma``), which it knows from every
    advertiser's installs."""
    # ASSUMPTION: the platform knows from every advertiser in the category that people who
    # show recent category activity install such apps several times more readily; it uses a
    # category-wide lift, below the truth's in-market odds multiplier (app.intent).
    intent_signal_lift: float = Field(default=3.0, ge=1, le=1000)
    """Multiplier on the platform's predicted installs for a person showing a recent in-market
    signal (``app.intent.signal_share``)."""
    update_every_h: Positive = Field(
        default=6.0,
        le=24 * 366,
        description="Hours between model refits; a multiple of slot_h (unset: the smallest "
        "multiple of slot_h of at least 6).",
    )
    report_delay_h: NonNeg = Field(
        default=2.0,
        le=24 * 366,
        description="Hours before an install is reported back to the platform.",
    )
    # The learning phase lasts until ~50 optimisation events within 7 days (Meta Business Help
    # Center, "About the learning phase").
    learning_installs: int = Field(default=50, ge=0, description="Real installs that end it.")
    learning_days: int = Field(default=7, ge=1, description="... within this many days.")

    @field_validator("features")
    @classmethod
    def _unique_features(cls, v: list[str]) -> list[str]:
        check_unique(v, "features")
        return v


class Attribution(Model):
    """Last-touch attribution windows, clicks before views (defaults: 7-day click, 1-day view)."""

    click_window_days: NonNeg = Field(default=7.0, le=366)
    """Days after a click within which an install is credited to it."""
    view_window_days: NonNeg = Field(default=1.0, le=366)
    """Days after an unclicked impression within which an install is credited to it."""


class WearOut(Model):
    """Click-rate decay with the recent impressions of the same strategy, bounded and fading.

    Conversion is highest at the first impressions and declines from ~4-6; CTR drops up to 50%
    above frequency 4 (Atlas Institute 2004; AdEspresso): flat up to ``onset``, then
    decays towards ``floor`` (halving the distance every ``half_life`` further impressions).
    The impressions counted fade with ``memory_half_life_days``, so a rested audience recovers.
    """

    onset: int = Field(default=4, ge=0)
    """Recent impressions of the same strategy a person sees before fatigue starts."""
    half_life: Positive = Field(default=4.0, le=10_000)
    """Further impressions that halve the click rate's distance to the floor."""
    floor: Probability = Field(default=0.5, description="Lowest click-rate multiplier.")
    # ASSUMPTION: no public half-life; a week, the usual creative refresh cycle.
    memory_half_life_days: Positive = Field(default=7.0, le=10_000)
    """Days in which the remembered impressions halve without new ones."""


class Platform(Model):
    name: Label = "twitter"
    """The platform's name (a label)."""
    feed_items_per_session: Positive = Field(
        default=20.0,
        le=500,
        description="Mean feed items seen per session (geometric scroll depth), at most 500.",
    )
    ad_load: float = Field(
        default=0.2,
        gt=0,
        le=0.5,
        description="Share of feed items that are ads, exactly: a session of n items holds "
        "floor(n x ad_load) ads (at most every second item).",
    )
    auction: Literal["second_price", "first_price"] = "second_price"
    """What the winner pays: the runner-up's price (second_price) or its own bid (first_price)."""
    reserve_cpm_usd: NonNeg = Field(default=1.0, le=10_000)
    """Lowest price per 1,000 impressions the platform accepts (USD)."""
    market: Market = Field(default_factory=Market)
    """The other advertisers, as a distribution of competing bids."""
    optimiser: Optimiser = Field(default_factory=Optimiser)
    """How the platform predicts and learns install rates for automatic bids."""
    attribution: Attribution = Field(default_factory=Attribution)
    """Windows within which installs are credited to clicks and views."""
    wearout: WearOut = Field(default_factory=WearOut)
    """Creative fatigue: repeated impressions lower a person's click rate."""
    feed: Feed | None = None
    """The organic feed (brand posts, shares, throttled reach); none by default: sessions then
    carry ads only."""
    # Android users click more, iOS users install more after clicking (Kenshoo 2015).
    device_click_mult: dict[Os, Mult] = Field(default_factory=lambda: {"android": 1.15})
    """Click-rate multiplier per device operating system."""
    device_install_mult: dict[Os, Mult] = Field(default_factory=lambda: {"ios": 1.2})
    """Install-odds multiplier per device operating system."""
    # Ad networks see ~0.6 installs per 100 clicks because many clicks are accidental
    # (Liftoff 2023); feeds have fewer. ASSUMPTION: 0.1% of impressions, about a tenth of clicks.
    accidental_ctr: Probability = Field(
        default=0.001, le=0.1, description="Clicks by mistake per impression; never install."
    )
    # ASSUMPTION: people click a little less late at night and in the morning rush.
    click_hour_mult: HourlyMult = Field(
        default=[0.9, 0.85, 0.8, 0.8, 0.8, 0.85, 0.9, 0.95, 1.0, 1.0, 1.0, 1.0,
                 1.05, 1.05, 1.0, 1.0, 1.0, 1.05, 1.1, 1.1, 1.1, 1.1, 1.05, 0.95],
        description="Click propensity by the viewer's local hour 0..23.",
    )  # fmt: skip


class InstallDelay(Model):
    """Hours from click to first open, lognormal (store page, download, first launch)."""

    median_h: Positive = Field(default=0.5, le=24 * 366)
    """Median hours from a click to its install."""
    sigma: Sigma = 1.5
    """Lognormal sigma of the click-to-install delay."""


class AppFit(Model):
    """How much more (or less) likely a person is to install, by who they are.

    The platform never sees this product; its optimiser can only learn the parts it observes
    (see ``platform.optimiser.features``). ``latent_sigma`` adds a trait nobody observes.
    """

    interests: dict[str, Mult] = Field(default_factory=dict)
    """Install-odds multiplier per interest topic a person holds."""
    age: list[AgeBandMult] = Field(default_factory=list)
    """Install-odds multiplier per age band."""
    regions: dict[str, Mult] = Field(default_factory=dict)
    """Install-odds multiplier per region name."""
    countries: dict[str, Mult] = Field(default_factory=dict)
    """Install-odds multiplier per country code."""
    devices: dict[Os, Mult] = Field(default_factory=dict)
    """Install-odds multiplier per device operating system."""
    followers_of: dict[str, Mult] = Field(
        default_factory=dict, description="Multiplier for followers of a named account."
    )
    latent_sigma: NonNeg = Field(
        default=0.0, le=3, description="Lognormal sigma of a hidden per-person trait (mean 1)."
    )


class Intent(Model):
    """Who is in the market for the app now: episodes that start and end.

    People enter the market at a rate proportional to their fit, stay ``episode_days`` on
    average, and install organically only while in the market, so organic installs concentrate
    among in-market people, and an audience of recent intent (``site_visitors``) is largely
    people who would have installed anyway: lower-funnel audiences are the least incremental
    (Gordon, Moakler, Zettelmeyer 2023: median lift 28%, 19%, 6% from upper to lower funnel).
    """

    # ASSUMPTION: at any time 0.2% of people (at average fit) are looking for such an app.
    in_market_share: float = Field(default=0.002, gt=0, le=0.5)
    """Share of people in the market at any moment (looking for such an app)."""
    # ASSUMPTION: a need (parking in a new city, a diet) lasts days, not months.
    episode_days: Positive = Field(default=5.0, le=365)
    """Mean length of an in-market episode (days)."""
    # ASSUMPTION: someone looking for the app is several times likelier to install after a click.
    install_odds_mult: float = Field(default=4.0, ge=1, le=1000)
    """Install-odds multiplier while a person is in the market."""
    # ASSUMPTION: half of the people looking for such an app leave a trace the platform sees
    # (searching, following or engaging with the category), so lowest cost drifts toward people
    # who would install anyway, as lift studies find (Gordon, Moakler, Zettelmeyer 2023).
    signal_share: Probability = 0.5
    """Share of in-market episodes the platform observes (recent activity in the app's
    category); it then predicts x ``platform.optimiser.intent_signal_lift``."""
    events: dict[str, Probability] = Field(default_factory=dict)
    """Moments that send people looking for the app: calendar event name -> the share of its
    followers (at average fit; x their fit, at most all) who enter the market during each
    airing. Part of the app's hidden truth, like its fit: a match may send fans to a
    fantasy-football app and nobody to a parking app (ASSUMPTION: none by default)."""


class App(Model):
    """The app being promoted and its hidden appeal in the population."""

    name: Label = "app"
    """The app's name (a label)."""
    os: list[Os] = Field(default_factory=lambda: ["ios", "android"], min_length=1)
    """Operating systems the app exists for: people on other devices cannot install it."""
    # Click-to-install 20-50% (vendor figures); ~50% for early Facebook game ads.
    # Delivered campaigns convert 20-50% of clicks (app-marketing vendors' figures); the
    # optimiser picks likelier installers than average, so the population average is lower:
    # 0.2 puts the bundled scenarios' delivered click-to-install inside that range.
    store_cvr: float = Field(
        default=0.2,
        gt=0,
        lt=1,
        description="Install probability after an intended click at average fit and app-install "
        "propensity, out of the market; fit, propensity and intent multiply its odds, so it "
        "never saturates.",
    )
    baseline_installs_per_day: float = Field(
        default=2e-4,
        ge=0,
        le=0.1,
        description="Organic installs per person-day with no ads (population average), all "
        "by people in the market.",
    )
    already_installed_share: Probability = 0.01
    """Share of people who have the app when the run starts."""
    fit: AppFit = Field(default_factory=AppFit)
    """Who is likelier to install: multipliers on install odds (hidden from the platform)."""
    intent: Intent = Field(default_factory=Intent)
    """In-market episodes: spells when a person looks for such an app and installs far more
    readily."""
    # Crediting installs to an impression within 24 h adds 5-30% to attributed installs
    # (Kochava). ASSUMPTION: an unclicked impression causes an install with
    # 0.1 x the probability a click would have (click rate x install rate).
    view_effect: float = Field(
        default=0.1,
        ge=0,
        le=1,
        description="Causal installs per unclicked impression, as a "
        "share of what a click would give.",
    )
    view_delay_median_h: Positive = Field(
        default=8.0,
        le=24 * 366,
        description="Median hours from an unclicked impression to its install.",
    )
    # ASSUMPTION: installs after a click are likelier in the evening (at home, on wifi).
    install_hour_mult: HourlyMult = Field(
        default=[0.95, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.95, 0.95, 0.95, 1.0, 1.0,
                 1.0, 1.0, 1.0, 1.0, 1.0, 1.05, 1.1, 1.1, 1.15, 1.15, 1.1, 1.0],
        description="Odds multiplier of installing after a click, by local hour 0..23.",
    )  # fmt: skip
    install_delay: InstallDelay = Field(default_factory=InstallDelay)
    """Time from a click to its install (lognormal)."""

    @field_validator("os")
    @classmethod
    def _unique_os(cls, v: list[str]) -> list[str]:
        check_unique(v, "os entries")
        return v
