"""Build the synthetic population: one numpy array per attribute, CSR for follows.

Deterministic from the seed: demographics come from the ``population`` stream, interests,
affinities and the follow graph from counter-based hashes keyed by named streams (so the
parallel kernels are reproducible), account followers from the ``accounts`` stream, and
organic install times from the ``organic`` stream.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..kernels.population import (
    app_fit,
    draw_interests,
    follow_graph,
    follower_keys,
    intent_episodes,
    merge_episodes,
    organic_install_times,
)
from ..params import N_AGES, Params
from ..rng import Streams
from ..scenario.common import OS_NAMES
from ..scenario.segments import MAX_LOOKBACK_DAYS

__all__ = ["Population", "build_population"]

KM_PER_DEG_LAT = 111.32
# Intent episodes are simulated from this many hours before the run, so that audiences of
# recent intent (site visitors) can look back.
INTENT_HISTORY_H = MAX_LOOKBACK_DAYS * 24.0


@dataclass
class Population:
    """N agents, each standing for ``scale`` real people. Arrays are indexed by agent id."""

    scale: float
    age: np.ndarray  # uint8 years
    gender: np.ndarray  # uint8: 0 female, 1 male, 2 unknown
    region: np.ndarray  # int16 index into Params.region_names
    lat: np.ndarray  # float32 degrees
    lon: np.ndarray  # float32 degrees
    language: np.ndarray  # uint8 index into Params.languages
    device: np.ndarray  # uint8: 0 ios, 1 android, 2 other
    interests: np.ndarray  # (N, 2) uint64 bit set over the taxonomy
    affinity_key: np.uint64  # hash key of per-agent topic affinities (kernels.population.affinity)
    sessions_per_day: np.ndarray  # float64 expected sessions per day
    app_fit: np.ndarray  # float64 install-propensity multiplier (mean 1 where available)
    app_available: np.ndarray  # bool: the app exists for the agent's device
    install_odds: np.ndarray  # float32 odds of installing after an intended click, out of market
    app_propensity: np.ndarray  # float32 general app-install propensity (odds mult, mean 1)
    has_app: np.ndarray  # bool: installed before the run
    organic_install_h: np.ndarray  # float64 hour of the organic install (-inf: has_app)
    episode_ptr: np.ndarray  # int64 (N+1,) CSR: in-market episodes of agent i
    episode_start_h: np.ndarray  # float64, from -INTENT_HISTORY_H
    episode_end_h: np.ndarray  # float64
    episode_seen: np.ndarray  # bool: the platform sees the episode's category activity
    organic_hazard_h: float  # organic installs per hour while in the market
    ctr_error: np.ndarray  # float32 persistent error of the platform's click-rate estimate
    install_error: np.ndarray  # float32 persistent error of its install-rate estimate
    propensity_seen: np.ndarray  # float32 the platform's estimate of app_propensity (x error)
    # bool: the person's installs are attributable to them (not iOS, or iOS with tracking
    # allowed in both the app showing the ads and the advertised app; see scenario.privacy),
    # and the person allows tracking in the app showing the ads (the platform knows this)
    tracked: np.ndarray
    observable: np.ndarray
    market_mult: np.ndarray  # float32 competing-bid multiplier (what every advertiser sees)
    account_ptr: np.ndarray  # int64 (A+1,) CSR: followers of account a
    account_followers: np.ndarray  # int32 sorted agent ids
    follow_ptr: np.ndarray  # int64 (N+1,) CSR: agents that agent i follows
    follow_dst: np.ndarray  # int32
    # (E, N) uint8: 1 where the agent follows calendar event e (holds its topic and is among
    # its engaged share); no rows without a calendar
    event_engaged: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.uint8))

    @property
    def n(self) -> int:
        return int(self.age.shape[0])

    def followers_of(self, account: int) -> np.ndarray:
        return self.account_followers[self.account_ptr[account] : self.account_ptr[account + 1]]

    def holds_topic(self, k: int) -> np.ndarray:
        """(N,) uint64, 1 where the agent holds interest topic k (bit k of its bit set)."""
        return holds_topic(self.interests, k)

    @property
    def nbytes(self) -> int:
        return sum(v.nbytes for v in vars(self).values() if isinstance(v, np.ndarray))


def holds_topic(interests: np.ndarray, k: int) -> np.ndarray:
    """(N,) uint64, 1 where the agent holds interest topic k (bit k of its bit set)."""
    return (interests[:, k >> 6] >> np.uint64(k & 63)) & np.uint64(1)


def _interest_probabilities(p: Params, age: np.ndarray, gender: np.ndarray) -> np.ndarray:
    """P(topic | age, gender), tilted and renormalised so the population share is the prevalence."""
    n_topics = len(p.topic_names)
    tilt = p.topic_age_tilt[:, :, None] * p.topic_gender_tilt[:, None, :]  # (T, A, 3)
    counts = np.zeros((N_AGES, 3))
    np.add.at(counts, (age, gender), 1.0)
    mean_tilt = (tilt * counts[None]).sum(axis=(1, 2)) / max(1, age.shape[0])
    scale = np.divide(p.topic_prevalence, mean_tilt, out=np.zeros(n_topics), where=mean_tilt > 0)
    return np.clip(tilt * scale[:, None, None], 0.0, 0.99)


def _demographics(p: Params, rng: np.random.Generator) -> dict[str, np.ndarray]:
    n = p.n_agents
    region = rng.choice(len(p.region_names), size=n, p=p.region_share / p.region_share.sum())
    band = rng.choice(len(p.age_band_share), size=n, p=p.age_band_share / p.age_band_share.sum())
    age = rng.integers(p.age_band_lo[band], p.age_band_hi[band], endpoint=True)
    gender = rng.choice(3, size=n, p=p.gender_share / p.gender_share.sum())
    device = rng.choice(3, size=n, p=p.device_share / p.device_share.sum())
    # Language: drawn from the region's language mix (inverse CDF on one uniform per agent).
    lang_cdf = np.cumsum(p.region_language_share, axis=1)
    lang_cdf /= lang_cdf[:, -1:]
    u = rng.random(n)
    language = (u[:, None] >= lang_cdf[region]).sum(axis=1)
    # A point near the region's centre, for radius targeting.
    spread = p.region_spread_km[region]
    lat = p.region_lat[region] + rng.standard_normal(n) * spread / KM_PER_DEG_LAT
    coslat = np.cos(np.radians(p.region_lat[region]))
    lon = p.region_lon[region] + rng.standard_normal(n) * spread / (KM_PER_DEG_LAT * coslat)
    sessions = np.minimum(
        p.sessions_max, p.sessions_median * np.exp(p.sessions_sigma * rng.standard_normal(n))
    )
    return {
        "region": region.astype(np.int16),
        "age": age.astype(np.uint8),
        "gender": gender.astype(np.uint8),
        "device": device.astype(np.uint8),
        "language": np.minimum(language, len(p.languages) - 1).astype(np.uint8),
        "lat": lat.astype(np.float32),
        "lon": lon.astype(np.float32),
        "sessions_per_day": sessions,
    }


def _account_followers(p: Params, streams: Streams, d: dict, interests: np.ndarray):
    rng = streams.get("accounts")
    ptr = np.zeros(len(p.accounts) + 1, dtype=np.int64)
    chunks = []
    for a, acc in enumerate(p.accounts):
        keys = follower_keys(
            rng.integers(0, 2**63, dtype=np.uint64), interests, d["age"], d["gender"], d["region"],
            acc.interest_mult, acc.region_mult, acc.age_mult, acc.gender_mult,
        )  # fmt: skip
        # The k smallest keys; agents with zero weight (infinite key) are never chosen.
        k = min(acc.follower_agents, int(np.isfinite(keys).sum()))
        chosen = np.argpartition(keys, k - 1)[:k] if k > 0 else np.zeros(0, dtype=np.int64)
        chunks.append(np.sort(chosen).astype(np.int32))
        ptr[a + 1] = ptr[a] + chunks[-1].shape[0]
    followers = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.int32)
    return ptr, followers


def _lognormal_mean_one(rng: np.random.Generator, sigma: float, n: int) -> np.ndarray:
    """``n`` lognormal factors with mean 1 (median exp(-sigma^2 / 2))."""
    return np.exp(sigma * rng.standard_normal(n) - sigma**2 / 2)


def _fit(
    p: Params,
    streams: Streams,
    d: dict[str, np.ndarray],
    interests: np.ndarray,
    account_ptr: np.ndarray,
    account_followers: np.ndarray,
    available: np.ndarray,
) -> np.ndarray:
    """The app's fit per agent, normalised to mean 1 over people who can install it, so that
    store_cvr and baseline_installs_per_day stay population averages and fit only says who is
    above them. Zero where the app does not exist for the device."""
    fit = app_fit(
        interests, d["age"], d["region"], d["device"],
        p.fit_interest_mult, p.fit_age_mult, p.fit_region_mult, p.fit_device_mult,
    )  # fmt: skip
    for a, mult in enumerate(p.fit_follow_mult):
        if mult != 1.0:
            fit[account_followers[account_ptr[a] : account_ptr[a + 1]]] *= mult
    if p.fit_latent_sigma > 0:
        fit *= _lognormal_mean_one(streams.get("latent_fit"), p.fit_latent_sigma, p.n_agents)
    fit *= available
    mean_fit = fit[available].mean() if available.any() else 0.0
    return fit / mean_fit if mean_fit > 0 else fit


def _event_episodes(
    p: Params, streams: Streams, fit: np.ndarray, engaged: np.ndarray, mean_h: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Episodes calendar events start (app.intent.events): in each airing, each follower
    enters the market with probability share x fit (at most 1), at a uniform time in the
    airing, for an exponential time of mean ``mean_h``. CSR sorted by start per agent."""
    cal = p.calendar
    assert cal is not None
    n = fit.shape[0]
    agents, starts, ends = [], [], []
    rng = streams.get("event_intent")
    for w in range(len(cal.airing_event)):
        e = cal.airing_event[w]
        share = p.intent_event_share[e]
        draw = rng.random(n)  # drawn for every airing, so one event's share moves no other's
        enter = np.flatnonzero((engaged[e] != 0) & (draw < share * fit))
        t = cal.airing_start_h[w] + rng.random(enter.size) * (
            cal.airing_end_h[w] - cal.airing_start_h[w]
        )
        agents.append(enter)
        starts.append(t)
        ends.append(t + rng.exponential(mean_h, enter.size))
    agent = np.concatenate(agents) if agents else np.zeros(0, np.int64)
    start = np.concatenate(starts) if starts else np.zeros(0)
    end = np.concatenate(ends) if ends else np.zeros(0)
    order = np.lexsort((start, agent))
    ptr = np.zeros(n + 1, dtype=np.int64)
    ptr[1:] = np.cumsum(np.bincount(agent, minlength=n))
    return ptr, start[order], end[order]


def _intent(
    p: Params, streams: Streams, fit: np.ndarray, engaged: np.ndarray | None = None
) -> tuple[tuple, np.ndarray, float]:
    """In-market episodes, organic install times and the organic install hazard per hour.

    At average fit a share ``in_market_share`` of people is in the market; the rate of entering
    it is proportional to fit. While in the market a person installs organically at a hazard
    set so that the population's organic installs per day equal ``baseline_installs_per_day``
    (without events: the moments of app.intent.events add episodes, and their installs, on
    top).
    """
    mean_h = p.episode_days * 24.0
    share = p.in_market_share
    rate_h = share / ((1.0 - share) * mean_h) * fit  # stationary share at fit 1 is `share`
    key = streams.key("intent")
    episodes = intent_episodes(key, rate_h, mean_h, -INTENT_HISTORY_H, p.horizon_h)
    if engaged is not None and p.calendar is not None and p.intent_event_share.any():
        episodes = merge_episodes(*episodes, *_event_episodes(p, streams, fit, engaged, mean_h))
    in_share = rate_h * mean_h / (1.0 + rate_h * mean_h)
    mean_in_share = in_share.mean() if in_share.size else 0.0
    hazard_h = p.baseline_installs_per_day / 24.0 / mean_in_share if mean_in_share > 0 else 0.0
    organic = organic_install_times(key, *episodes, hazard_h, 0.0)
    return episodes, organic, hazard_h


def _market_mult(
    p: Params, d: dict[str, np.ndarray], interests: np.ndarray, propensity_seen: np.ndarray
) -> np.ndarray:
    """Competing-bid multiplier per person from what every advertiser can see: device, region,
    age, gender, the most contested interest held, activity, and the platform's estimate of
    the person's app-install propensity (activity and propensity normalised to mean 1). The
    app's own fit, latent trait and its fans' follows never enter: they are private."""
    mult = (
        p.market_device_mult[d["device"]]
        * p.market_region_mult[d["region"]]
        * p.market_age_mult[d["age"]]
        * p.market_gender_mult[d["gender"]]
    )
    if p.market_interest_listed.any():
        best = np.full(p.n_agents, -1.0)
        for k in np.flatnonzero(p.market_interest_listed):
            held = ((interests[:, k >> 6] >> np.uint64(k & 63)) & np.uint64(1)).astype(bool)
            best = np.where(held, np.maximum(best, p.market_interest_mult[k]), best)
        mult = mult * np.where(best >= 0.0, best, 1.0)
    for factor, elasticity in (
        (d["sessions_per_day"] / p.sessions_median, p.market_activity_elasticity),
        (propensity_seen.astype(np.float64), p.market_propensity_elasticity),
    ):
        if elasticity != 0.0:
            f = factor**elasticity
            mult = mult * (f / f.mean())
    return mult


def _tracked(
    p: Params, streams: Streams, d: dict[str, np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """(tracked, observable): everyone without scenario.privacy; with it, non-iOS people and
    iOS people who allowed tracking in both apps are tracked, and those who allowed it in the
    app showing the ads are observable (two independent consents, each at its country's
    rate). Its own stream: turning privacy on changes no other draw."""
    n = p.n_agents
    if p.privacy is None:
        everyone = np.ones(n, dtype=np.bool_)
        return everyone, everyone
    country = p.region_country[d["region"]]
    rng = streams.get("privacy")
    social = rng.random(n) < p.privacy.social_opt_in[country]
    app = rng.random(n) < p.privacy.app_opt_in[country]
    not_ios = d["device"] != OS_NAMES.index("ios")
    return not_ios | (social & app), not_ios | social


def _event_engaged(p: Params, streams: Streams, interests: np.ndarray) -> np.ndarray:
    """Who follows each calendar event: an ``engaged_share`` of its topic's holders (of
    everyone for an event without a topic), or as many as its past ``audience_people``
    (in agents: people / scale), one stream per event."""
    cal = p.calendar
    n = interests.shape[0]
    if cal is None:
        return np.zeros((0, n), dtype=np.uint8)
    engaged = np.zeros((len(cal.event_names), n), dtype=np.uint8)
    for e, topic in enumerate(cal.event_topic):
        eligible = np.ones(n, dtype=bool) if topic < 0 else holds_topic(interests, int(topic)) != 0
        share = cal.event_engaged_share[e]
        if cal.event_audience_people[e] > 0:
            holders = max(1, int(eligible.sum()))
            share = min(1.0, cal.event_audience_people[e] / p.scale / holders)
        draw = streams.get("event_engaged", e).random(n)
        engaged[e] = eligible & (draw < share)
    return engaged


def build_population(p: Params, streams: Streams) -> Population:
    """Draw every agent's attributes, interests, follows and hidden app appeal."""
    d = _demographics(p, streams.get("population"))
    interests = draw_interests(
        streams.key("interests"),
        d["age"],
        d["gender"],
        _interest_probabilities(p, d["age"], d["gender"]),
    )
    account_ptr, account_followers = _account_followers(p, streams, d, interests)
    order = np.argsort(d["region"], kind="stable")
    region_ptr = np.searchsorted(d["region"][order], np.arange(len(p.region_names) + 1))
    if p.feed is not None:
        follow_ptr, follow_dst = follow_graph(
            streams.key("graph"), d["region"], interests, order, region_ptr.astype(np.int64),
            p.graph_mean_follows, p.graph_degree_exponent, p.graph_popularity_sigma,
            p.graph_region_homophily, p.graph_interest_homophily,
        )  # fmt: skip
    else:
        # Only the organic feed reads agent-to-agent follows; the graph is a third of a paid-only
        # replicate's time. Its draws come from its own hashed stream, so skipping it changes
        # no other draw.
        follow_ptr, follow_dst = np.zeros(p.n_agents + 1, dtype=np.int64), np.zeros(0, np.int32)
    available = p.app_os_available[d["device"]]
    fit = _fit(p, streams, d, interests, account_ptr, account_followers, available)
    # Install odds after an intended click: store_cvr's odds at average fit and propensity,
    # times fit, device and the person's general app-install propensity; odds never saturate
    # the way a capped probability does.
    base_odds = p.store_cvr / (1.0 - p.store_cvr)
    propensity = _lognormal_mean_one(streams.get("propensity"), p.app_propensity_sigma, p.n_agents)
    install_odds = base_odds * fit * p.device_install_mult[d["device"]] * propensity
    rng = streams.get("organic")
    has_app = rng.random(p.n_agents) < np.minimum(1.0, p.already_installed_share * fit)
    engaged = _event_engaged(p, streams, interests)
    episodes, organic, hazard_h = _intent(p, streams, fit, engaged)
    organic[has_app] = -np.inf
    episode_seen = streams.get("intent_signal").random(episodes[1].shape[0]) < p.intent_signal_share
    err = streams.get("estimation")
    ctr_error = _lognormal_mean_one(err, p.ctr_error_sigma, p.n_agents)
    install_error = _lognormal_mean_one(err, p.install_error_sigma, p.n_agents)
    # Every advertiser's installs tell the platform who installs apps, with error.
    propensity_seen = propensity * install_error
    market_mult = _market_mult(p, d, interests, propensity_seen)
    tracked, observable = _tracked(p, streams, d)
    return Population(
        event_engaged=engaged,
        scale=p.scale,
        interests=interests,
        affinity_key=streams.key("affinity"),
        app_fit=fit,
        app_available=available,
        install_odds=install_odds.astype(np.float32),
        app_propensity=propensity.astype(np.float32),
        has_app=has_app,
        organic_install_h=organic,
        episode_ptr=episodes[0],
        episode_start_h=episodes[1],
        episode_end_h=episodes[2],
        episode_seen=episode_seen,
        organic_hazard_h=float(hazard_h),
        ctr_error=ctr_error.astype(np.float32),
        install_error=install_error.astype(np.float32),
        propensity_seen=propensity_seen.astype(np.float32),
        market_mult=market_mult.astype(np.float32),
        tracked=tracked,
        observable=observable,
        account_ptr=account_ptr,
        account_followers=account_followers,
        follow_ptr=follow_ptr,
        follow_dst=follow_dst,
        **d,
    )
