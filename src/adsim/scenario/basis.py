"""What each default that can move a ranking rests on: a public source or an ASSUMPTION.

Keys are ``Section.key`` as in docs/scenario.md; the generated reference prints each basis
beside its key, and a test checks that every numeric default of the sections in
``RANKING_SECTIONS`` has one. A planner reads which figures are measured and which to sweep.
"""

from __future__ import annotations

__all__ = ["BASIS", "RANKING_SECTIONS"]

# Sections whose every numeric default can move a ranking (with Population.app_propensity_sigma).
RANKING_SECTIONS = (
    "Market", "Optimiser", "Attribution", "WearOut", "Intent", "App", "InstallDelay", "Platform",
    "Privacy", "Event", "EventMarket", "Conversation", "EventSpec", "TvSpec", "KeywordSpec",
    "ConversationSpec",
)  # fmt: skip

_VENDOR_CVR = "Source: click-to-install 20-50% (app-marketing vendors' figures, weak)"
BASIS: dict[str, str] = {
    "Privacy.social_app_opt_in": "Source: ~25% opt in where apps show the ATT prompt "
    "(Flurry 2021-22)",
    "Privacy.advertised_app_opt_in": "Source: 46% of ATT prompts accepted (AppsFlyer, March 2022)",
    "Privacy.country_opt_in_mult": "ASSUMPTION: 1 everywhere; AppsFlyer 2022 reports higher "
    "opt-in in developing countries",
    "Privacy.skan_threshold_installs_per_day": "Source: networks advise ~88-90 installs a day "
    "per campaign to clear SKAdNetwork's privacy threshold",
    "Population.app_propensity_sigma": "ASSUMPTION: no public per-person figure; heavy-tailed "
    "like activity (Pew Research Center 2019: top 10% of users write 80% of tweets)",
    "Market.cpm_median_usd": "Source: CPM Facebook ~$14, TikTok ~$8 (2022 benchmarks); set so "
    "paid CPMs land in $8-14 (validation/funnel_ranges.py)",
    "Market.sigma": "ASSUMPTION: spread of the highest competing bid",
    "Market.hour": "ASSUMPTION shaped by the public remark that peak hours cost more",
    "Market.devices": "Source: iOS costs more than Android (Liftoff 2023 CPI by OS)",
    "Market.activity_elasticity": "ASSUMPTION: heavy users priced like anyone",
    "Market.propensity_elasticity": "ASSUMPTION: about half of competing demand is performance "
    "advertisers bidding on the platform's estimates",
    "Optimiser.features": "Source: platforms predict from demographics, place, device, "
    "interests, follows and behaviour (Meta Business Help Center, 'About the learning phase')",
    "Optimiser.prior_install_per_click": f"ASSUMPTION within {_VENDOR_CVR[8:]}",
    "Optimiser.prior_strength_installs": "ASSUMPTION scaled to Meta's learning phase of ~50 "
    "events (Meta Business Help Center)",
    "Optimiser.ctr_error_sigma": "ASSUMPTION",
    "Optimiser.install_error_sigma": "ASSUMPTION",
    "Optimiser.intent_signal_lift": "ASSUMPTION (a prior: each strategy learns its own lift)",
    "Optimiser.update_every_h": "ASSUMPTION",
    "Optimiser.report_delay_h": "ASSUMPTION",
    "Optimiser.learning_installs": "Source: ~50 optimisation events (Meta Business Help Center)",
    "Optimiser.learning_days": "Source: within 7 days (Meta Business Help Center)",
    "Attribution.click_window_days": "Source: Meta's default 7-day click attribution",
    "Attribution.view_window_days": "Source: 24 h is the standard view window (Kochava)",
    "WearOut.onset": "Source: conversion declines from ~4-6 impressions (Atlas Institute 2004)",
    "WearOut.half_life": "ASSUMPTION",
    "WearOut.floor": "Source: CTR drops up to 50% above frequency 4 (AdEspresso)",
    "WearOut.memory_half_life_days": "ASSUMPTION: a week, the usual creative refresh cycle",
    "Intent.in_market_share": "ASSUMPTION",
    "Intent.episode_days": "ASSUMPTION",
    "Intent.install_odds_mult": "ASSUMPTION",
    "Intent.signal_share": "ASSUMPTION; the resulting incremental shares are argued from "
    "Gordon, Moakler, Zettelmeyer 2023 (README)",
    "App.store_cvr": _VENDOR_CVR + " for delivered campaigns; the population average is lower",
    "App.baseline_installs_per_day": "ASSUMPTION (per app; set it from the app's own data)",
    "App.already_installed_share": "ASSUMPTION (per app)",
    "App.view_effect": "ASSUMPTION within Kochava's +5-30% of view-through credit",
    "App.view_delay_median_h": "ASSUMPTION",
    "App.install_hour_mult": "ASSUMPTION",
    "InstallDelay.median_h": "ASSUMPTION",
    "InstallDelay.sigma": "ASSUMPTION",
    "Platform.feed_items_per_session": "ASSUMPTION: Facebook shows ~300 stories a visit "
    "(Facebook 2014); a session here is one scroll",
    "Platform.ad_load": "ASSUMPTION: one ad in five feed items",
    "Platform.reserve_cpm_usd": "ASSUMPTION",
    "Platform.device_click_mult": "Source: Android users click more (Kenshoo 2015)",
    "Platform.device_install_mult": "Source: iOS users install more after clicking (Kenshoo 2015)",
    "Platform.accidental_ctr": "ASSUMPTION: about a tenth of clicks (Liftoff 2023: 0.6 installs "
    "per 100 ad-network clicks)",
    "Platform.click_hour_mult": "ASSUMPTION",
    "Intent.events": "ASSUMPTION: none by default; a moment's pull on the app is the app's own "
    "hidden truth (set it from installs around a past event, or sweep it)",
    "Event.engaged_share": "ASSUMPTION: X's events calendar shows past audience sizes, not "
    "this share",
    "Event.activity_mult": "ASSUMPTION below the ~4x tweets per second of the 2012 Super Bowl "
    "(press reports of Twitter's figures)",
    "Event.talk_mult": "Source: ~4x the average tweets per second at the 2012 Super Bowl "
    "(press reports of Twitter's figures)",
    "Event.hashtag_browse_share": "ASSUMPTION (no public figure)",
    "Event.audience_people": "Source when given: the event's past audience on X's events "
    "calendar; none by default (engaged_share applies)",
    "Event.keywords": "ASSUMPTION: none; X's events calendar lists an event's keywords and "
    "hashtags",
    "EventMarket.before": "ASSUMPTION: 1 (Smartly.io: +19% the day before Black Friday)",
    "EventMarket.during": "ASSUMPTION: 1 (Smartly.io: +50% on Black Friday, +38% Cyber "
    "Monday; ~+17% during Euro 2020, agency comment)",
    "EventMarket.after": "ASSUMPTION: 1",
    "EventMarket.before_h": "ASSUMPTION: a day",
    "EventMarket.after_h": "ASSUMPTION: a day",
    "Conversation.talk_per_session": "ASSUMPTION (Pew Research Center 2019: the top 10% of "
    "users write 80% of tweets; activity varies through sessions)",
    "Conversation.precision": "ASSUMPTION: X warns keyword targeting reaches many who are not "
    "interested and publishes no figure",
    "Conversation.keywords_for_full_reach": "Source: X advises at least ~25 keywords",
    "EventSpec.recency_h": "ASSUMPTION: X targets event audiences while the event happens and "
    "publishes no window",
    "TvSpec.recency_h": "ASSUMPTION: X's TV targeting reaches people before, during and after "
    "airings, with no published window",
    "KeywordSpec.recency_h": "ASSUMPTION: X says 'recently' and publishes no window",
    "ConversationSpec.recency_h": "ASSUMPTION: three days",
    "Feed.follow_rate": "ASSUMPTION (no public figure)",
    "Feed.hide_rate": "Source for one point: 81% hid or unliked company posts (ExactTarget 2013)",
    "Feed.paid_halo": "ASSUMPTION (no public figure)",
}
