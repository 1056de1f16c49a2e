"""Scenario schema: the platform (feed, auction, competing market) and the promoted app."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from .common import AgeBandMult, Model, NonNeg, Os, Positive, Probability

__all__ = ["App", "Attribution", "Estimation", "Market", "Platform", "WearOut"]


class Market(Model):
    """The rest of the market: the highest competing total value per ad slot, as an eCPM.

    Lognormal around ``cpm_median_usd`` x hour x device x region x age multipliers.
    Public CPMs: Facebook ~$14, TikTok ~$8 (2022); peak hours cost more (calibration.md).
    The default median sits just below TikTok's; with the default funnel it puts the CPI of
    reasonable targeting inside the public $1-2.4 range (calibration.md: Fiksu 2015, 2020-21).
    """

    cpm_median_usd: Positive = 7.0
    sigma: NonNeg = Field(default=0.5, description="Lognormal sigma of the competing eCPM.")
    hour: list[NonNeg] = Field(
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
    devices: dict[Os, NonNeg] = Field(default_factory=lambda: {"ios": 1.25, "android": 0.9})
    regions: dict[str, NonNeg] = Field(default_factory=dict)
    age: list[AgeBandMult] = Field(default_factory=list)
    fit_elasticity: NonNeg = Field(
        default=0.5,
        description="Competitors want the same people: competing eCPM x (app fit)^elasticity. "
        "0 = the market ignores who the person is.",
    )


class Estimation(Model):
    """How well the platform predicts each person's click and install rates.

    Estimate = truth x lognormal noise with mean 1. Noisier in the learning phase, which on
    Meta ends after ~50 optimisation events (calibration.md).
    """

    noise_sigma: NonNeg = 0.35
    learning_noise_sigma: NonNeg = 0.9
    learning_installs: int = Field(default=50, ge=0)


class Attribution(Model):
    """Last-touch attribution windows, clicks before views (defaults: 7-day click, 1-day view)."""

    click_window_days: NonNeg = 7.0
    view_window_days: NonNeg = 1.0


class WearOut(Model):
    """Click-rate decay with the number of earlier impressions of the same strategy.

    Conversion is highest at the first impressions and declines from ~4-6; CTR drops up to 50%
    above frequency 4 (Atlas 2004; AdEspresso; calibration.md): flat up to ``onset``, then
    halves every ``half_life`` further impressions.
    """

    onset: int = Field(default=4, ge=0)
    half_life: Positive = 4.0


class Platform(Model):
    name: str = "twitter"
    feed_items_per_session: Positive = Field(
        default=20.0, description="Mean feed items seen per session (geometric scroll depth)."
    )
    ad_load: float = Field(
        default=0.2, gt=0, le=0.5, description="Share of feed items that are ads."
    )
    auction: Literal["second_price", "first_price"] = "second_price"
    reserve_cpm_usd: NonNeg = 1.0
    market: Market = Field(default_factory=Market)
    estimation: Estimation = Field(default_factory=Estimation)
    attribution: Attribution = Field(default_factory=Attribution)
    wearout: WearOut = Field(default_factory=WearOut)
    # Android users click more, iOS users install more after clicking (Kenshoo 2015).
    device_click_mult: dict[Os, NonNeg] = Field(default_factory=lambda: {"android": 1.15})
    device_install_mult: dict[Os, NonNeg] = Field(default_factory=lambda: {"ios": 1.2})

    @model_validator(mode="after")
    def _ad_every_n(self) -> Platform:
        if round(1.0 / self.ad_load) < 2:
            raise ValueError("ad_load leaves no organic items between ads")
        return self


class InstallDelay(Model):
    """Hours from click to first open, lognormal (store page, download, first launch)."""

    median_h: Positive = 0.5
    sigma: NonNeg = 1.5


class AppFit(Model):
    """How much more (or less) likely a person is to install, by who they are."""

    interests: dict[str, NonNeg] = Field(default_factory=dict)
    age: list[AgeBandMult] = Field(default_factory=list)
    regions: dict[str, NonNeg] = Field(default_factory=dict)
    countries: dict[str, NonNeg] = Field(default_factory=dict)
    devices: dict[Os, NonNeg] = Field(default_factory=dict)


class App(Model):
    """The app being promoted and its hidden appeal in the population."""

    name: str = "app"
    os: list[Os] = Field(default_factory=lambda: ["ios", "android"], min_length=1)
    # Click-to-install 20-50% (vendor figures); ~50% for early Facebook game ads (calibration.md).
    store_cvr: Probability = 0.3
    baseline_installs_per_day: float = Field(
        default=2e-4,
        ge=0,
        le=1,
        description="Organic install hazard per person-day with no ads (before fit multipliers).",
    )
    already_installed_share: Probability = 0.01
    fit: AppFit = Field(default_factory=AppFit)
    install_delay: InstallDelay = Field(default_factory=InstallDelay)

    @field_validator("os")
    @classmethod
    def _unique_os(cls, v: list[str]) -> list[str]:
        if len(set(v)) != len(v):
            raise ValueError("os entries must be unique")
        return v
