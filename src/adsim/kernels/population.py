"""Population kernels: interests, app fit, account followers and the agent follow graph."""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from .hashing import hash_uniform

__all__ = [
    "affinity",
    "app_fit",
    "draw_interests",
    "follow_graph",
    "follower_keys",
    "has_topic",
    "intent_episodes",
    "organic_install_times",
]

# Salt for the second argument of hash_uniform so different uses of one key never collide.
_SALT_INTEREST, _SALT_AFFINITY = 1 << 20, 2 << 20
_SALT_DEGREE, _SALT_POPULAR, _SALT_EDGE = 3 << 20, 4 << 20, 5 << 20


@njit(cache=True, inline="always")
def has_topic(interests, i, k):
    return (interests[i, k >> 6] >> np.uint64(k & 63)) & np.uint64(1) == np.uint64(1)


@njit(cache=True, inline="always")
def affinity(key, i, k):
    """Per-agent affinity in [0.2, 1) for a held topic, derived from the hash (no storage)."""
    return 0.2 + 0.8 * hash_uniform(key, i, _SALT_AFFINITY + k)


@njit(cache=True, parallel=True)
def draw_interests(key, age, gender, prob_by_age_gender):
    """Interest bit sets (N, 2) uint64: topic k is held with ``prob_by_age_gender[k, age, g]``."""
    n = age.shape[0]
    n_topics = prob_by_age_gender.shape[0]
    out = np.zeros((n, 2), dtype=np.uint64)
    for i in prange(n):
        a, g = age[i], gender[i]
        for k in range(n_topics):
            if hash_uniform(key, i, _SALT_INTEREST + k) < prob_by_age_gender[k, a, g]:
                out[i, k >> 6] |= np.uint64(1) << np.uint64(k & 63)
    return out


@njit(cache=True, parallel=True)
def app_fit(interests, age, region, device, interest_mult, age_mult, region_mult, device_mult):
    """The app's fit per agent: product of its multipliers for who the agent is."""
    n = age.shape[0]
    n_topics = interest_mult.shape[0]
    out = np.empty(n, dtype=np.float64)
    for i in prange(n):
        f = age_mult[age[i]] * region_mult[region[i]] * device_mult[device[i]]
        for k in range(n_topics):
            if interest_mult[k] != 1.0 and has_topic(interests, i, k):
                f *= interest_mult[k]
        out[i] = f
    return out


@njit(cache=True, parallel=True)
def follower_keys(
    key, interests, age, gender, region, interest_mult, region_mult, age_mult, gender_mult
):
    """Exponential-race keys for weighted sampling without replacement (Efraimidis-Spirakis).

    The ``K`` agents with the smallest keys are a weighted sample of size K, weight = product of
    the account's follower-profile multipliers; zero weight gives an infinite key.
    """
    n = age.shape[0]
    n_topics = interest_mult.shape[0]
    out = np.empty(n, dtype=np.float64)
    for i in prange(n):
        w = region_mult[region[i]] * age_mult[age[i]] * gender_mult[gender[i]]
        for k in range(n_topics):
            if interest_mult[k] != 1.0 and has_topic(interests, i, k):
                w *= interest_mult[k]
        u = hash_uniform(key, i, 0)
        out[i] = -math.log(1.0 - u) / w if w > 0 else np.inf
    return out


@njit(cache=True)
def _fill_guide(cum, lo, hi, guide):
    """Cut-point table for inverse-CDF search on ``cum[lo:hi]`` (Chen & Asau 1974).

    ``guide[k]`` for ``k`` in ``[lo, hi)`` is the first index whose cumulative weight passes the
    start of bucket ``k - lo`` of ``hi - lo`` equal buckets, so a draw starts its search next to
    its answer instead of binary-searching an array far larger than the cache.
    """
    m = hi - lo
    base = cum[lo - 1] if lo > 0 else 0.0
    total = cum[hi - 1] - base
    p = lo
    for k in range(m):
        edge = base + (k / m) * total
        while p < hi - 1 and cum[p] <= edge:
            p += 1
        guide[lo + k] = p


@njit(cache=True, inline="always")
def _pick(cum, guide, lo, hi, u):
    """Index in [lo, hi) whose cumulative-weight interval holds u * total.

    The smallest index whose cumulative weight exceeds the target (the last one if none
    does), exactly as a binary search would return; the guide table only says where to start.
    """
    base = cum[lo - 1] if lo > 0 else 0.0
    target = base + u * (cum[hi - 1] - base)
    p = guide[lo + min(int(u * (hi - lo)), hi - lo - 1)]
    while p > lo and cum[p - 1] > target:
        p -= 1
    while p < hi - 1 and cum[p] <= target:
        p += 1
    return p


@njit(cache=True, parallel=True)
def follow_graph(
    key, region, interests, order_by_region, region_ptr, mean_follows, degree_exponent,
    popularity_sigma, region_homophily, interest_homophily,
):  # fmt: skip
    """Agent-to-agent follow edges as CSR ``(indptr, indices)``, rows sorted and unique.

    Out-degrees are Pareto with the given exponent, rescaled to ``mean_follows``. Targets are
    chosen by a lognormal attractiveness (heavy-tailed in-degree), from the follower's own region
    with probability ``region_homophily``, and rejected up to 3 times when they share no interest
    with the follower, with probability ``interest_homophily``.
    """
    n = region.shape[0]
    # Attractiveness in region order, cumulated once: a region's block [lo, hi) of the running
    # sum is its own cumulative distribution (offset by cum[lo - 1]), so one array serves both
    # local and global picks.
    attract = np.empty(n, dtype=np.float64)
    for p in prange(n):
        i = order_by_region[p]
        u = hash_uniform(key, i, _SALT_POPULAR)
        z = math.sqrt(-2.0 * math.log(1.0 - u)) * math.cos(
            2.0 * math.pi * hash_uniform(key, i, _SALT_POPULAR + 1)
        )
        attract[p] = math.exp(popularity_sigma * z)
    cum = np.cumsum(attract)
    n_regions = region_ptr.shape[0] - 1
    guide_region = np.empty(n, dtype=np.int32)
    for r in prange(n_regions):
        if region_ptr[r + 1] > region_ptr[r]:
            _fill_guide(cum, region_ptr[r], region_ptr[r + 1], guide_region)
    guide_all = np.empty(n, dtype=np.int32)
    if n > 0:
        _fill_guide(cum, 0, n, guide_all)
    # Out-degrees.
    raw = np.empty(n, dtype=np.float64)
    inv = -1.0 / (degree_exponent - 1.0)
    for i in prange(n):
        raw[i] = min((1.0 - hash_uniform(key, i, _SALT_DEGREE)) ** inv, 1e6)
    factor = mean_follows / raw.mean() if n > 1 and mean_follows > 0 else 0.0
    degree = np.empty(n, dtype=np.int64)
    for i in prange(n):
        d = int(raw[i] * factor + hash_uniform(key, i, _SALT_DEGREE + 1))
        degree[i] = min(d, n - 1)
    indptr = np.zeros(n + 1, dtype=np.int64)
    indptr[1:] = np.cumsum(degree)
    indices = np.empty(indptr[n], dtype=np.int32)
    kept = np.zeros(n, dtype=np.int64)
    for i in prange(n):
        start = indptr[i]
        d = degree[i]
        r = region[i]
        for e in range(d):
            base = _SALT_EDGE + 16 * e
            local = hash_uniform(key, i, base) < region_homophily
            lo = region_ptr[r] if local else 0
            hi = region_ptr[r + 1] if local else n
            guide = guide_region if local else guide_all
            j = i
            for attempt in range(4):
                p = _pick(cum, guide, lo, hi, hash_uniform(key, i, base + 1 + attempt))
                j = order_by_region[p]
                if j == i:
                    continue
                if hash_uniform(key, i, base + 8 + attempt) >= interest_homophily:
                    break
                if (interests[i, 0] & interests[j, 0]) != 0 or (
                    interests[i, 1] & interests[j, 1]
                ) != 0:
                    break
            indices[start + e] = j
        row = np.sort(indices[start : start + d])
        m = 0
        for e in range(d):
            v = row[e]
            if v != i and (m == 0 or v != indices[start + m - 1]):
                indices[start + m] = v
                m += 1
        kept[i] = m
    # Compact rows after dropping duplicates and self-loops.
    out_ptr = np.zeros(n + 1, dtype=np.int64)
    out_ptr[1:] = np.cumsum(kept)
    out = np.empty(out_ptr[n], dtype=np.int32)
    for i in prange(n):
        out[out_ptr[i] : out_ptr[i + 1]] = indices[indptr[i] : indptr[i] + kept[i]]
    return out_ptr, out


_SALT_EPISODE, _SALT_ORGANIC = 6 << 20, 7 << 20


@njit(cache=True, inline="always")
def _exponential(key, i, salt):
    return -math.log(1.0 - hash_uniform(key, i, salt))


@njit(cache=True)
def _walk_episodes(key, i, rate_h, mean_h, in_share, t0, t1, starts, ends, out_base):
    """One agent's in-market episodes over [t0, t1): an alternating renewal process started
    in its stationary state. Writes them at ``out_base`` when ``starts`` is not empty and
    returns how many there are (draws are the same on both passes)."""
    n = 0
    salt = _SALT_EPISODE
    in_market = hash_uniform(key, i, salt) < in_share
    t = t0
    while t < t1 and n < 10_000:
        salt += 2
        if in_market:
            end = t + mean_h * _exponential(key, i, salt)
            if starts.shape[0] > 0:
                starts[out_base + n] = t
                ends[out_base + n] = end
            n += 1
            t = end
        elif rate_h > 0.0:
            t = t + _exponential(key, i, salt + 1) / rate_h
        else:
            break
        in_market = not in_market
    return n


@njit(cache=True, parallel=True)
def intent_episodes(key, rate_h, mean_h, t0, t1):
    """In-market episodes of every agent over [t0, t1) as CSR ``(ptr, start_h, end_h)``.

    Agent i enters the market at ``rate_h[i]`` per hour and stays an exponential time with mean
    ``mean_h``; at ``t0`` it is in the market with its stationary probability
    ``rate x mean / (1 + rate x mean)``. An episode's end may lie beyond ``t1``.
    """
    n = rate_h.shape[0]
    counts = np.zeros(n, dtype=np.int64)
    empty = np.zeros(0, dtype=np.float64)
    for i in prange(n):
        share = rate_h[i] * mean_h / (1.0 + rate_h[i] * mean_h)
        counts[i] = _walk_episodes(key, i, rate_h[i], mean_h, share, t0, t1, empty, empty, 0)
    ptr = np.zeros(n + 1, dtype=np.int64)
    ptr[1:] = np.cumsum(counts)
    starts = np.empty(ptr[n], dtype=np.float64)
    ends = np.empty(ptr[n], dtype=np.float64)
    for i in prange(n):
        if counts[i] > 0:
            share = rate_h[i] * mean_h / (1.0 + rate_h[i] * mean_h)
            _walk_episodes(key, i, rate_h[i], mean_h, share, t0, t1, starts, ends, ptr[i])
    return ptr, starts, ends


@njit(cache=True, parallel=True)
def organic_install_times(key, ep_ptr, ep_start, ep_end, hazard_h, t_from):
    """First organic install of each agent: hazard ``hazard_h`` per hour while in the market,
    none outside it, counted from ``t_from``. ``inf`` when it does not happen."""
    n = ep_ptr.shape[0] - 1
    out = np.full(n, np.inf)
    for i in prange(n):
        for e in range(ep_ptr[i], ep_ptr[i + 1]):
            lo = max(ep_start[e], t_from)
            if ep_end[e] <= lo or hazard_h <= 0.0:
                continue
            t = lo + _exponential(key, i, _SALT_ORGANIC + e - ep_ptr[i]) / hazard_h
            if t < ep_end[e]:
                out[i] = t
                break
    return out


@njit(cache=True)
def merge_episodes(ptr, start, end, add_ptr, add_start, add_end):
    """Two CSR sets of in-market episodes joined per agent: in start order, overlapping or
    touching ones merged into one (a person is in the market or not; organic installs and the
    auction read the union). ``add_*`` is sorted by start within each agent."""
    n = ptr.shape[0] - 1
    out_ptr = np.zeros(n + 1, dtype=np.int64)
    out_start = np.empty(start.shape[0] + add_start.shape[0], dtype=np.float64)
    out_end = np.empty(start.shape[0] + add_start.shape[0], dtype=np.float64)
    k = 0
    for i in range(n):
        a, a_end = ptr[i], ptr[i + 1]
        b, b_end = add_ptr[i], add_ptr[i + 1]
        first = k
        while a < a_end or b < b_end:
            if b >= b_end or (a < a_end and start[a] <= add_start[b]):
                s, e = start[a], end[a]
                a += 1
            else:
                s, e = add_start[b], add_end[b]
                b += 1
            if k > first and s <= out_end[k - 1]:
                out_end[k - 1] = max(out_end[k - 1], e)
            else:
                out_start[k] = s
                out_end[k] = e
                k += 1
        out_ptr[i + 1] = k
    return out_ptr, out_start[:k].copy(), out_end[:k].copy()
