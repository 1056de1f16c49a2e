"""Plain parameter objects compiled from a validated :class:`~adsim.scenario.Scenario`.

Everything downstream (population, kernels, engine) reads these frozen dataclasses of numpy
arrays and never the pydantic models: multipliers become lookup tables (by integer age, by
region index, by device code), budgets are scaled to the simulated population, and audience
segments become a plain expression tree.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .scenario import Scenario
from .scenario.common import GENDERS, OS_NAMES
from .scenario.segments import All, AnyOf, Not

__all__ = [
    "BID_AUTO",
    "BID_CPC",
    "BID_MAX_CPM",
    "MAX_AGE",
    "AccountParams",
    "CalendarParams",
    "FeedParams",
    "Params",
    "PostingParams",
    "SegmentNode",
    "StrategyParams",
    "calendar_days",
    "to_params",
]

MAX_AGE = 100
N_AGES = MAX_AGE + 1
BID_MAX_CPM, BID_CPC, BID_AUTO = 0, 1, 2
_BID_KINDS = {"max_cpm": BID_MAX_CPM, "cpc": BID_CPC}


@dataclass(frozen=True)
class SegmentNode:
    """A plain audience expression: ``kind`` is a predicate or all/any/not."""

    kind: str
    args: dict[str, Any] = field(default_factory=dict)
    children: tuple[SegmentNode, ...] = ()


@dataclass(frozen=True)
class AccountParams:
    handle: str
    kind: str
    follower_agents: int
    interest_mult: np.ndarray  # (T,)
    region_mult: np.ndarray  # (R,)
    age_mult: np.ndarray  # (N_AGES,)
    gender_mult: np.ndarray  # (3,)


@dataclass(frozen=True)
class StrategyParams:
    name: str
    advertiser: str
    audience: SegmentNode
    exclude_installed: bool
    bid_kind: int
    bid_amount_usd: float  # CPM or CPC; the bid cap per install for BID_AUTO (inf when none)
    cost_cap_usd: float  # average CPI target of a cost cap (inf when none)
    bills_per_click: bool
    daily_budget_sim_usd: float  # budgets divided by scale; inf when not set
    lifetime_budget_sim_usd: float
    budget_total_usd: float  # real USD the strategy may spend over its flight
    even_pacing: bool
    freq_cap: int  # impressions per window; a huge number when uncapped
    freq_window_days: int
    start_h: float
    end_h: float
    daypart: np.ndarray  # (24,) bool by the viewer's local hour
    ctr: float
    topic_idx: np.ndarray  # (k,) int
    topic_lift: float
    quality: float
    account: int  # index into Params.accounts the ads run as, -1 for none
    boost: bool  # the ads promote the account's latest post


@dataclass(frozen=True)
class PostingParams:
    """A posting schedule: ``tactic`` is -1 for the standing posting (in every world)."""

    account: int  # index into Params.accounts
    tactic: int
    posts_per_day: float
    hours: np.ndarray  # (k,) advertiser-clock hours at which posts go out, in turn
    topic: int  # index into topic_names, -1 for none
    event: int  # index into calendar.event_names whose hashtag the posts carry, -1 for none
    quality: float
    app_link: float  # link clicks per view at no interest match
    hashtags: bool
    share_mult: float
    follow_mult: float
    start_h: float
    end_h: float
    cost_per_post_usd: float  # real USD


@dataclass(frozen=True)
class PrivacyParams:
    """iOS tracking consent and SKAdNetwork counting (see adsim.scenario.privacy)."""

    social_opt_in: np.ndarray  # (C,) by country: allows tracking in the app showing the ads
    app_opt_in: np.ndarray  # (C,) ... and in the advertised app
    skan_threshold_installs_per_day: float  # real installs
    models_missing: bool


@dataclass(frozen=True)
class CalendarParams:
    """The calendar (see adsim.scenario.calendar) as arrays: day multipliers, events and
    their airings on the run's clock (hours from the start), and the conversation model."""

    start_date: dt.date | None
    day_sessions_mult: np.ndarray  # (D,) weekday x season, by day of the run
    day_market_mult: np.ndarray  # (D,)
    event_names: tuple[str, ...]
    event_kinds: tuple[str, ...]
    event_topic: np.ndarray  # (E,) index into topic_names, -1 for everyone
    event_engaged_share: np.ndarray  # (E,)
    event_audience_people: np.ndarray  # (E,) real people, 0 where engaged_share applies
    event_activity_mult: np.ndarray  # (E,)
    event_talk_mult: np.ndarray  # (E,)
    event_browse_share: np.ndarray  # (E,) sessions during an airing browsing its hashtag
    event_market: np.ndarray  # (E, 3) before, during, after
    event_market_h: np.ndarray  # (E, 2) hours before and after
    airing_event: np.ndarray  # (W,) int
    airing_start_h: np.ndarray  # (W,)
    airing_end_h: np.ndarray  # (W,)
    talk_per_session: float
    precision: float
    keywords_for_full_reach: int
    keyword_topic: dict[str, int]  # lower-case keyword -> topic index


@dataclass(frozen=True)
class FeedParams:
    """The organic feed (see adsim.scenario.organic.Feed), with preset defaults resolved."""

    candidates_per_session: float
    window_h: float
    recency_half_life_h: float
    page_weight: float
    page_size_exponent: float
    interest_lift: float
    like_rate: float
    share_rate: float
    recommended_share: float
    hashtag_browse_share: float
    follow_rate: float
    hide_rate: float
    fatigue_onset: float
    paid_halo: float
    change_h: np.ndarray  # (k,) hour each algorithm change takes effect
    change_mult: np.ndarray  # (k,) page-weight multiplier from then on
    plans: tuple[PostingParams, ...]
    tactic_names: tuple[str, ...]
    tactic_fixed_cost_usd: np.ndarray  # (T,) real USD
    tactic_start_h: np.ndarray  # (T,)


@dataclass(frozen=True)
class Params:
    name: str
    seed: int
    horizon_days: int
    slot_h: float
    clock_utc_offset_h: float
    shared_market: bool
    # population
    n_agents: int
    scale: float
    region_names: tuple[str, ...]
    region_share: np.ndarray
    region_utc_offset_h: np.ndarray
    region_lat: np.ndarray
    region_lon: np.ndarray
    region_spread_km: np.ndarray
    region_country: np.ndarray  # (R,) index into country_codes
    country_codes: tuple[str, ...]
    languages: tuple[str, ...]
    region_language_share: np.ndarray  # (R, L)
    age_band_lo: np.ndarray
    age_band_hi: np.ndarray
    age_band_share: np.ndarray
    gender_share: np.ndarray  # (3,) female, male, unknown
    device_share: np.ndarray  # (3,) ios, android, other
    topic_names: tuple[str, ...]
    topic_prevalence: np.ndarray  # (T,)
    topic_age_tilt: np.ndarray  # (T, N_AGES)
    topic_gender_tilt: np.ndarray  # (T, 3)
    sessions_median: float
    sessions_sigma: float
    sessions_max: float
    diurnal: np.ndarray  # (24,) mean 1, by local hour
    graph_mean_follows: float
    graph_degree_exponent: float
    graph_popularity_sigma: float
    graph_region_homophily: float
    graph_interest_homophily: float
    accounts: tuple[AccountParams, ...]
    # platform
    feed_items_mean: float
    ad_load: float  # share of feed items that are ads
    first_price: bool
    reserve_cpm_usd: float
    market_cpm_median_usd: float
    market_sigma: float
    market_hour_mult: np.ndarray  # (24,) by local hour
    market_device_mult: np.ndarray  # (3,)
    market_region_mult: np.ndarray  # (R,)
    market_age_mult: np.ndarray  # (N_AGES,)
    market_gender_mult: np.ndarray  # (3,)
    market_interest_mult: np.ndarray  # (T,) category competition, 1 where not listed
    market_interest_listed: np.ndarray  # (T,) bool
    market_activity_elasticity: float
    market_propensity_elasticity: float
    optimiser_oracle: bool
    optimiser_features: tuple[str, ...]
    prior_install_per_click: float
    prior_strength_installs: float
    ctr_error_sigma: float
    install_error_sigma: float
    intent_signal_lift: float
    update_every_h: float
    report_delay_h: float
    learning_installs: int
    learning_days: int
    click_window_h: float
    view_window_h: float
    wearout_onset: int
    wearout_half_life: float
    wearout_floor: float
    wear_memory_half_life_days: float
    device_click_mult: np.ndarray  # (3,)
    device_install_mult: np.ndarray  # (3,)
    accidental_ctr: float
    click_hour_mult: np.ndarray  # (24,) by local hour
    # app
    app_name: str
    app_os_available: np.ndarray  # (3,) bool
    store_cvr: float
    baseline_installs_per_day: float
    already_installed_share: float
    fit_interest_mult: np.ndarray  # (T,)
    fit_age_mult: np.ndarray  # (N_AGES,)
    fit_region_mult: np.ndarray  # (R,)
    fit_device_mult: np.ndarray  # (3,)
    fit_follow_mult: np.ndarray  # (A,) by account
    fit_latent_sigma: float
    in_market_share: float
    episode_days: float
    intent_install_odds_mult: float
    intent_signal_share: float
    intent_event_share: np.ndarray  # (E,) calendar events' followers entering the market
    app_propensity_sigma: float
    view_effect: float
    view_delay_median_h: float
    install_hour_mult: np.ndarray  # (24,) odds multiplier by local hour
    install_delay_median_h: float
    install_delay_sigma: float
    strategies: tuple[StrategyParams, ...]
    feed: FeedParams | None = None
    privacy: PrivacyParams | None = None
    calendar: CalendarParams | None = None

    @property
    def n_slots(self) -> int:
        return round(self.horizon_days * 24 / self.slot_h)

    @property
    def horizon_h(self) -> float:
        return self.horizon_days * 24.0

    @property
    def strategy_names(self) -> list[str]:
        return [s.name for s in self.strategies]


def _age_table(bands: list, default: float = 1.0) -> np.ndarray:
    table = np.full(N_AGES, default, dtype=np.float64)
    for band in bands:
        table[band.min : band.max + 1] = band.mult
    return table


def _by_name(mults: dict[str, float], names: tuple[str, ...], default: float = 1.0) -> np.ndarray:
    return np.array([mults.get(n, default) for n in names], dtype=np.float64)


def _region_mult(regions: dict, countries: dict, sc: Scenario) -> np.ndarray:
    """Region multipliers, where a country multiplier applies to each of its regions."""
    return np.array(
        [regions.get(r.name, 1.0) * countries.get(r.country, 1.0) for r in sc.population.regions]
    )


def _segment(node: Any) -> SegmentNode:
    if isinstance(node, All):
        return SegmentNode("all", children=tuple(_segment(c) for c in node.all))
    if isinstance(node, AnyOf):
        return SegmentNode("any", children=tuple(_segment(c) for c in node.any))
    if isinstance(node, Not):
        return SegmentNode("not", children=(_segment(node.not_),))
    (kind,) = type(node).model_fields
    value = getattr(node, kind)
    if kind == "lookalike" and value.seed is not None:
        return SegmentNode(kind, {"share": value.share, "of": None}, (_segment(value.seed),))
    args = value.model_dump() if hasattr(value, "model_dump") else {"values": value}
    return SegmentNode(kind, args)


def calendar_days(start_h: float, end_h: float) -> int:
    """Advertiser calendar days that [start_h, end_h) touches: daily budgets reset at each
    advertiser midnight (multiples of 24 h), so a flight from day 0.25 to 2.25 may spend three
    daily budgets."""
    if end_h <= start_h:
        return 0
    return math.ceil(end_h / 24.0 - 1e-9) - math.floor(start_h / 24.0 + 1e-9)


def _strategy(s: Any, sc: Scenario, topics: tuple[str, ...]) -> StrategyParams:
    scale = sc.population.scale
    horizon_h = sc.horizon_h
    start_h = s.flight.start_day * 24.0
    end_h = min(horizon_h, s.flight.end_day * 24.0) if s.flight.end_day else horizon_h
    daypart = np.zeros(24, dtype=np.bool_)
    daypart[s.flight.hours if s.flight.hours is not None else slice(None)] = True
    cost_cap = s.bid.amount_usd if s.bid.strategy == "cost_cap" else math.inf
    if s.bid.strategy in _BID_KINDS:
        kind, amount = _BID_KINDS[s.bid.strategy], s.bid.amount_usd
    else:
        kind = BID_AUTO
        amount = s.bid.amount_usd if s.bid.strategy == "bid_cap" else math.inf
    daily = s.budget.daily_usd or math.inf
    lifetime = s.budget.lifetime_usd or math.inf
    cap = s.frequency_cap
    handles = [a.handle.lower() for a in sc.accounts]
    return StrategyParams(
        name=s.name,
        advertiser=s.advertiser,
        audience=_segment(s.audience),
        exclude_installed=s.exclude_installed,
        bid_kind=kind,
        bid_amount_usd=float(amount),
        cost_cap_usd=float(cost_cap),
        bills_per_click=s.bills_per_click,
        daily_budget_sim_usd=daily / scale,
        lifetime_budget_sim_usd=lifetime / scale,
        budget_total_usd=min(daily * calendar_days(start_h, end_h), lifetime),
        even_pacing=s.pacing == "even",
        freq_cap=cap.impressions if cap else 65_000,
        freq_window_days=cap.per_days if cap else 1,
        start_h=start_h,
        end_h=end_h,
        daypart=daypart,
        ctr=s.creative.ctr,
        topic_idx=np.array([topics.index(t) for t in s.creative.topics], dtype=np.int64),
        topic_lift=s.creative.topic_lift,
        quality=s.creative.quality,
        account=-1 if s.account is None else handles.index(s.account.lower()),
        boost=s.boost,
    )


def _privacy(sc: Scenario, country_codes: tuple[str, ...]) -> PrivacyParams | None:
    pr = sc.privacy
    if pr is None:
        return None
    mult = np.array([pr.country_opt_in_mult.get(c, 1.0) for c in country_codes])
    return PrivacyParams(
        social_opt_in=np.minimum(1.0, pr.social_app_opt_in * mult),
        app_opt_in=np.minimum(1.0, pr.advertised_app_opt_in * mult),
        skan_threshold_installs_per_day=pr.skan_threshold_installs_per_day,
        models_missing=pr.platform_models_missing,
    )


def to_params(sc: Scenario) -> Params:
    """Compile a validated scenario into plain arrays and lookup tables."""
    pop, plat, app = sc.population, sc.platform, sc.app
    opt = plat.optimiser
    fit_follows = {h.lower(): m for h, m in app.fit.followers_of.items()}
    region_names = tuple(r.name for r in pop.regions)
    country_codes = tuple(dict.fromkeys(r.country for r in pop.regions))
    languages = tuple(dict.fromkeys(lang for r in pop.regions for lang in r.languages))
    topics = tuple(t.name for t in pop.interests)
    diurnal = np.asarray(pop.activity.diurnal, dtype=np.float64)
    accounts = tuple(
        AccountParams(
            handle=a.handle.lower(),
            kind=a.kind,
            follower_agents=min(pop.agents, round(a.followers / pop.scale)),
            interest_mult=_by_name(a.profile.interests, topics),
            region_mult=_region_mult(a.profile.regions, a.profile.countries, sc),
            age_mult=_age_table(a.profile.age),
            gender_mult=_by_name(a.profile.gender, GENDERS),
        )
        for a in sc.accounts
    )
    return Params(
        name=sc.name,
        seed=sc.seed,
        horizon_days=sc.horizon_days,
        slot_h=sc.slot_h,
        clock_utc_offset_h=sc.clock_utc_offset_h,
        shared_market=sc.market_mode == "shared",
        n_agents=pop.agents,
        scale=pop.scale,
        region_names=region_names,
        region_share=np.array([r.share for r in pop.regions]),
        region_utc_offset_h=np.array([r.utc_offset_h for r in pop.regions]),
        region_lat=np.array([r.lat for r in pop.regions]),
        region_lon=np.array([r.lon for r in pop.regions]),
        region_spread_km=np.array([r.spread_km for r in pop.regions]),
        region_country=np.array([country_codes.index(r.country) for r in pop.regions]),
        country_codes=country_codes,
        languages=languages,
        region_language_share=np.array(
            [[r.languages.get(lang, 0.0) for lang in languages] for r in pop.regions]
        ),
        age_band_lo=np.array([b.min for b in pop.age]),
        age_band_hi=np.array([b.max for b in pop.age]),
        age_band_share=np.array([b.share for b in pop.age]),
        gender_share=_by_name(pop.gender, GENDERS, 0.0),
        device_share=_by_name(pop.devices, OS_NAMES, 0.0),
        topic_names=topics,
        topic_prevalence=np.array([t.prevalence for t in pop.interests]),
        topic_age_tilt=np.array([_age_table(t.age_tilt) for t in pop.interests]).reshape(
            len(topics), N_AGES
        ),
        topic_gender_tilt=np.array(
            [_by_name(t.gender_tilt, GENDERS) for t in pop.interests]
        ).reshape(len(topics), 3),
        sessions_median=pop.activity.sessions_per_day_median,
        sessions_sigma=pop.activity.sessions_per_day_sigma,
        sessions_max=pop.activity.max_sessions_per_day,
        diurnal=diurnal * 24.0 / diurnal.sum(),
        graph_mean_follows=pop.graph.mean_follows,
        graph_degree_exponent=pop.graph.degree_exponent,
        graph_popularity_sigma=pop.graph.popularity_sigma,
        graph_region_homophily=pop.graph.region_homophily,
        graph_interest_homophily=pop.graph.interest_homophily,
        accounts=accounts,
        feed_items_mean=plat.feed_items_per_session,
        ad_load=plat.ad_load,
        first_price=plat.auction == "first_price",
        reserve_cpm_usd=plat.reserve_cpm_usd,
        market_cpm_median_usd=plat.market.cpm_median_usd,
        market_sigma=plat.market.sigma,
        market_hour_mult=np.asarray(plat.market.hour, dtype=np.float64),
        market_device_mult=_by_name(plat.market.devices, OS_NAMES),
        market_region_mult=_region_mult(plat.market.regions, {}, sc),
        market_age_mult=_age_table(plat.market.age),
        market_gender_mult=_by_name(plat.market.gender, GENDERS),
        market_interest_mult=_by_name(plat.market.interests, topics),
        market_interest_listed=np.array([t in plat.market.interests for t in topics], dtype=bool),
        market_activity_elasticity=plat.market.activity_elasticity,
        market_propensity_elasticity=plat.market.propensity_elasticity,
        optimiser_oracle=opt.mode == "oracle",
        optimiser_features=tuple(opt.features),
        prior_install_per_click=opt.prior_install_per_click,
        prior_strength_installs=opt.prior_strength_installs,
        ctr_error_sigma=opt.ctr_error_sigma,
        install_error_sigma=opt.install_error_sigma,
        intent_signal_lift=opt.intent_signal_lift,
        update_every_h=opt.update_every_h,
        report_delay_h=opt.report_delay_h,
        learning_installs=opt.learning_installs,
        learning_days=opt.learning_days,
        click_window_h=plat.attribution.click_window_days * 24.0,
        view_window_h=plat.attribution.view_window_days * 24.0,
        wearout_onset=plat.wearout.onset,
        wearout_half_life=plat.wearout.half_life,
        wearout_floor=plat.wearout.floor,
        wear_memory_half_life_days=plat.wearout.memory_half_life_days,
        device_click_mult=_by_name(plat.device_click_mult, OS_NAMES),
        device_install_mult=_by_name(plat.device_install_mult, OS_NAMES),
        accidental_ctr=plat.accidental_ctr,
        click_hour_mult=np.asarray(plat.click_hour_mult, dtype=np.float64),
        app_name=app.name,
        app_os_available=np.array([os_name in app.os for os_name in OS_NAMES]),
        store_cvr=app.store_cvr,
        baseline_installs_per_day=app.baseline_installs_per_day,
        already_installed_share=app.already_installed_share,
        fit_interest_mult=_by_name(app.fit.interests, topics),
        fit_age_mult=_age_table(app.fit.age),
        fit_region_mult=_region_mult(app.fit.regions, app.fit.countries, sc),
        fit_device_mult=_by_name(app.fit.devices, OS_NAMES),
        fit_follow_mult=np.array(
            [fit_follows.get(a.handle.lower(), 1.0) for a in sc.accounts], dtype=np.float64
        ),
        fit_latent_sigma=app.fit.latent_sigma,
        in_market_share=app.intent.in_market_share,
        episode_days=app.intent.episode_days,
        intent_install_odds_mult=app.intent.install_odds_mult,
        intent_signal_share=app.intent.signal_share,
        intent_event_share=np.array(
            [app.intent.events.get(e.name, 0.0) for e in sc.calendar.events]
            if sc.calendar is not None
            else []
        ),
        app_propensity_sigma=pop.app_propensity_sigma,
        view_effect=app.view_effect,
        view_delay_median_h=app.view_delay_median_h,
        install_hour_mult=np.asarray(app.install_hour_mult, dtype=np.float64),
        install_delay_median_h=app.install_delay.median_h,
        install_delay_sigma=app.install_delay.sigma,
        strategies=tuple(_strategy(s, sc, topics) for s in sc.strategies),
        feed=_feed(sc, topics),
        privacy=_privacy(sc, country_codes),
        calendar=_calendar(sc, topics),
    )


def _posting(plan: Any, tactic: int, cost: float, sc: Scenario, topics: tuple) -> PostingParams:
    handles = [a.handle.lower() for a in sc.accounts]
    end_day = sc.horizon_days if plan.end_day is None else min(plan.end_day, sc.horizon_days)
    return PostingParams(
        account=handles.index(plan.account.lower()),
        tactic=tactic,
        posts_per_day=plan.posts_per_day,
        hours=np.array(plan.hours, dtype=np.float64),
        topic=-1 if plan.topic is None else topics.index(plan.topic),
        event=-1 if plan.event is None else [e.name for e in sc.calendar.events].index(plan.event),
        quality=plan.quality,
        app_link=plan.app_link,
        hashtags=plan.hashtags,
        share_mult=plan.share_mult,
        follow_mult=plan.follow_mult,
        start_h=plan.start_day * 24.0,
        end_h=end_day * 24.0,
        cost_per_post_usd=cost,
    )


def _feed(sc: Scenario, topics: tuple) -> FeedParams | None:
    feed = sc.platform.feed
    if feed is None:
        return None
    plans = [_posting(plan, -1, 0.0, sc, topics) for plan in sc.posting]
    plans += [
        _posting(t.posting, k, t.cost_per_post_usd, sc, topics)
        for k, t in enumerate(sc.organic_tactics)
    ]
    return FeedParams(
        candidates_per_session=feed.resolved("candidates_per_session"),
        window_h=feed.window_h,
        recency_half_life_h=feed.resolved("recency_half_life_h"),
        page_weight=feed.resolved("page_weight"),
        page_size_exponent=feed.resolved("page_size_exponent"),
        interest_lift=feed.interest_lift,
        like_rate=feed.resolved("like_rate"),
        share_rate=feed.resolved("share_rate"),
        recommended_share=feed.resolved("recommended_share"),
        hashtag_browse_share=feed.hashtag_browse_share,
        follow_rate=feed.follow_rate,
        hide_rate=feed.hide_rate,
        fatigue_onset=feed.fatigue_onset,
        paid_halo=feed.paid_halo,
        change_h=np.array([c.day * 24.0 for c in feed.changes], dtype=np.float64),
        change_mult=np.array([c.page_weight_mult for c in feed.changes], dtype=np.float64),
        plans=tuple(plans),
        tactic_names=tuple(t.name for t in sc.organic_tactics),
        tactic_fixed_cost_usd=np.array([t.fixed_cost_usd for t in sc.organic_tactics]),
        tactic_start_h=np.array([t.posting.start_day * 24.0 for t in sc.organic_tactics]),
    )


def _uses_time_bound(sc: Scenario) -> bool:
    from .scenario.segments import TIME_BOUND_KEYS, iter_segment

    return any(
        type(node).model_fields.keys() & set(TIME_BOUND_KEYS)
        for strat in sc.strategies
        for _, node in iter_segment(strat.audience, "")
    )


def _calendar(sc: Scenario, topics: tuple[str, ...]) -> CalendarParams | None:
    from .scenario.calendar import WEEKDAYS, Calendar

    cal = sc.calendar
    if cal is None:
        if not _uses_time_bound(sc):
            return None
        cal = Calendar()  # conversation targeting alone: the default conversation model
    days = np.arange(sc.horizon_days)
    sessions = np.ones(sc.horizon_days)
    market = np.ones(sc.horizon_days)
    if cal.start_date is not None:
        weekday = (cal.start_date.weekday() + days) % 7
        sessions *= np.array([cal.weekday_sessions.get(d, 1.0) for d in WEEKDAYS])[weekday]
        market *= np.array([cal.weekday_market.get(d, 1.0) for d in WEEKDAYS])[weekday]
    for season in cal.seasons:
        inside = (days >= cal.day_of(season.first_day)) & (days <= cal.day_of(season.last_day))
        sessions[inside] *= season.sessions
        market[inside] *= season.market
    events = cal.events
    airings = [
        (e, (cal.day_of(a.day) * 24.0 + a.hour), (cal.day_of(a.day) * 24.0 + a.hour + a.hours))
        for e, ev in enumerate(events)
        for a in ev.airings
    ]
    return CalendarParams(
        start_date=cal.start_date,
        day_sessions_mult=sessions,
        day_market_mult=market,
        event_names=tuple(e.name for e in events),
        event_kinds=tuple(e.kind for e in events),
        event_topic=np.array(
            [-1 if e.topic is None else topics.index(e.topic) for e in events], dtype=np.int64
        ),
        event_engaged_share=np.array([e.engaged_share for e in events]),
        event_audience_people=np.array([e.audience_people or 0 for e in events], dtype=float),
        event_activity_mult=np.array([e.activity_mult for e in events]),
        event_talk_mult=np.array([e.talk_mult for e in events]),
        event_browse_share=np.array([e.hashtag_browse_share for e in events]),
        event_market=np.array(
            [[e.market.before, e.market.during, e.market.after] for e in events]
        ).reshape(len(events), 3),
        event_market_h=np.array([[e.market.before_h, e.market.after_h] for e in events]).reshape(
            len(events), 2
        ),
        airing_event=np.array([a[0] for a in airings], dtype=np.int64),
        airing_start_h=np.array([a[1] for a in airings], dtype=np.float64),
        airing_end_h=np.array([a[2] for a in airings], dtype=np.float64),
        talk_per_session=cal.conversation.talk_per_session,
        precision=cal.conversation.precision,
        keywords_for_full_reach=cal.conversation.keywords_for_full_reach,
        keyword_topic={w: topics.index(t) for w, t in cal.keyword_topics().items()},
    )
