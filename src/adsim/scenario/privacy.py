"""Scenario schema: iOS privacy, and what each party can count of the installs.

Since iOS 14.5 (2021) an install is attributable to a person only if the person allowed
tracking (App Tracking Transparency) in both the app that showed the ad and the advertised
app. Other iOS installs reach the ad network and the advertiser's measurement partner (MMP)
only as SKAdNetwork postbacks: counts per campaign, no person or audience, and none for a
campaign-day below Apple's privacy threshold. Published figures:

- ATT opt-in ~4% (US) and 12-13% worldwide in the first weeks (Flurry 2021); later ~25% in
  apps that show the prompt (Flurry); 46% of prompts accepted, higher in developing
  countries (AppsFlyer, March 2022).
- SKAN 4: the install's postback covers days 0-2 after the install and is sent on a random
  timer starting 24 h after that window closes; campaign level only; null below the privacy
  threshold (networks advise ~88-90 installs a day per campaign).
- Measurement partners count non-consented installs they cannot match as organic; Meta
  reports some conversions as modelled (Meta, Q4 2021 earnings call).
"""

from __future__ import annotations

from pydantic import Field

from .common import Model, Mult, Probability

__all__ = ["Privacy"]


class Privacy(Model):
    """Who can be tracked on iOS, what the platform learns from, and what the ad manager and
    the MMP count of the installs. The platform's model learns person by person only from
    people who allow tracking in its own app; other installs reach it as SKAN counts per
    campaign and day, 3-4 days later, which move only its overall level (ASSUMPTION: it does
    not correct its cells for the advertised app's consent, which it cannot see).

    Absent (the default), every install is attributable to a person, as before iOS 14.5."""

    social_app_opt_in: Probability = 0.25
    """Share of iOS users who allow tracking in the app that shows the ads (Flurry 2021-22:
    ~25% in apps that show the prompt)."""
    advertised_app_opt_in: Probability = 0.46
    """Share of iOS users who allow tracking in the advertised app (AppsFlyer, March 2022:
    46% of prompts accepted). Attribution needs both."""
    country_opt_in_mult: dict[str, Mult] = Field(default_factory=dict)
    """Multiplier on both opt-in rates per country code (AppsFlyer 2022: higher in
    developing countries); rates are capped at 1."""
    skan_threshold_installs_per_day: float = Field(default=88.0, ge=0, le=1e6)
    """Real installs a day below which a campaign-day's SKAN postbacks carry no campaign
    (Apple's privacy threshold; networks advise ~88-90 a day): those installs never reach the
    platform's learning and count as organic for the MMP."""
    platform_models_missing: bool = True
    """The ad manager adds modelled installs for the non-consented iOS installs SKAN did not
    credit, estimated from the install rate of the iOS people it can track (Meta reports
    some conversions as modelled)."""
