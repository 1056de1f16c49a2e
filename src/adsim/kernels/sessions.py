"""Who opens the app in a slot, and how many ad slots their feeds carry.

Each agent's session count in a slot is Poisson(rate_i x diurnal(region, slot) x slot/24),
drawn by inverse CDF from a counter-based uniform. Sessions come out in agent-id order from a
random starting agent (a rotation per slot): memory access in the auction kernel is then
nearly sequential, and no agent is systematically first when a budget runs out mid-slot.
Within a slot, budget order is this order; an agent's own sessions are in time order.

Two passes: ``count_sessions`` sizes the slot, ``fill_sessions`` lays it out with each ad
slot's competing eCPM: a 16-bit index from a counter-based hash picks an entry of a table of
exp(sigma z) over 65,536 normal quantiles (see ``adsim.rng.lognormal_table``).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from .hashing import hash_u64, hash_uniform

__all__ = ["SALT", "count_sessions", "fill_sessions", "normal"]

# Salts of the counter-based draws. Session draws use (key, agent, salt); ad draws use
# (key, ad index, salt), where the ad index is the ad slot's position in the slot.
SALT = {
    "count": 0, "time": 1 << 8, "items": 2 << 8, "pass": 4 << 8, "normals": 5 << 8,
    "click": 7 << 8, "install": 8 << 8, "delay": 9 << 8,
}  # fmt: skip
_COUNT, _TIME, _ITEMS = SALT["count"], SALT["time"], SALT["items"]
_NORMALS = SALT["normals"]
_MASK16 = np.uint64(0xFFFF)
CHUNK = 8192


@njit(cache=True, inline="always")
def normal(key, a, salt):
    """A standard normal from two counter-based uniforms (Box-Muller, cosine branch)."""
    u1 = hash_uniform(key, a, salt)
    u2 = hash_uniform(key, a, salt + 1)
    return math.sqrt(-2.0 * math.log(1.0 - u1)) * math.cos(2.0 * math.pi * u2)


@njit(cache=True, inline="always")
def _poisson(lam, u):
    """Inverse-CDF Poisson draw; rates per slot are small, so most draws stop at once
    (exp(-lam) >= 1 - lam, so u < 1 - lam means zero without computing the exponential)."""
    if u < 1.0 - lam:
        return 0
    k = 0
    p = math.exp(-lam)
    cdf = p
    while u > cdf and k < 1000:
        k += 1
        p *= lam / k
        cdf += p
    return k


@njit(cache=True, inline="always")
def _ads_in_session(key, i, e, log_continue, ad_every):
    """Feed items seen ~ geometric (scroll depth); one ad every ``ad_every`` items."""
    items = 1 + int(math.log(1.0 - hash_uniform(key, i, _ITEMS + e)) / log_continue)
    return items // ad_every


@njit(cache=True, parallel=True)
def count_sessions(key, slot_h, sessions_per_day, region, region_mult, feed_items_mean, ad_every):
    """Pass 1. Returns (rotation start, sessions per agent, sessions and ads per chunk)."""
    n = sessions_per_day.shape[0]
    start = min(n - 1, int(hash_uniform(key, n, _COUNT) * n))
    n_chunks = (n + CHUNK - 1) // CHUNK
    per_slot = slot_h / 24.0
    log_continue = math.log(1.0 - 1.0 / feed_items_mean) if feed_items_mean > 1.0 else -np.inf
    counts = np.zeros(n, dtype=np.int32)
    chunk_sessions = np.zeros(n_chunks, dtype=np.int64)
    chunk_ads = np.zeros(n_chunks, dtype=np.int64)
    for c in prange(n_chunks):
        ns = 0
        na = 0
        for p in range(c * CHUNK, min(n, (c + 1) * CHUNK)):
            i = p + start
            if i >= n:
                i -= n
            lam = sessions_per_day[i] * region_mult[region[i]] * per_slot
            k = _poisson(lam, hash_uniform(key, i, _COUNT))
            if k == 0:
                continue
            counts[i] = k
            ns += k
            for e in range(k):
                na += _ads_in_session(key, i, e, log_continue, ad_every)
        chunk_sessions[c] = ns
        chunk_ads[c] = na
    return start, counts, chunk_sessions, chunk_ads


@njit(cache=True, parallel=True)
def fill_sessions(
    key, t0, slot_h, start, counts, chunk_sessions, chunk_ads, region, region_local_offset_h,
    feed_items_mean, ad_every, market_cpm, market_hour_mult, agent_market_mult,
    market_factor,
):  # fmt: skip
    """Pass 2. Lays out the slot in processing order.

    Returns ``(agent, time_h, local_hour, ad_ptr, comp_cpm)``: ad slots of session k are
    ``ad_ptr[k]:ad_ptr[k+1]``; ``comp_cpm[a]`` is the rest of the market's highest eCPM
    (median x ``market_factor``: lognormal around the agent's and local hour's median).
    """
    n = counts.shape[0]
    n_chunks = chunk_sessions.shape[0]
    log_continue = math.log(1.0 - 1.0 / feed_items_mean) if feed_items_mean > 1.0 else -np.inf
    sess_base = np.zeros(n_chunks + 1, dtype=np.int64)
    ad_base = np.zeros(n_chunks + 1, dtype=np.int64)
    sess_base[1:] = np.cumsum(chunk_sessions)
    ad_base[1:] = np.cumsum(chunk_ads)
    n_sess, n_ads = sess_base[n_chunks], ad_base[n_chunks]
    agent = np.empty(n_sess, dtype=np.int32)
    time_h = np.empty(n_sess, dtype=np.float64)
    local_hour = np.empty(n_sess, dtype=np.int64)
    ad_ptr = np.empty(n_sess + 1, dtype=np.int64)
    ad_ptr[n_sess] = n_ads
    comp_cpm = np.empty(n_ads, dtype=np.float64)
    for c in prange(n_chunks):
        s = sess_base[c]
        a = ad_base[c]
        for p in range(c * CHUNK, min(n, (c + 1) * CHUNK)):
            i = p + start
            if i >= n:
                i -= n
            k = counts[i]
            if k == 0:
                continue
            s0 = s
            for e in range(k):
                t = t0 + slot_h * hash_uniform(key, i, _TIME + e)
                m = s
                while m > s0 and time_h[m - 1] > t:  # insertion sort: own sessions by time
                    time_h[m] = time_h[m - 1]
                    m -= 1
                time_h[m] = t
                agent[s] = i
                s += 1
            for m in range(s0, s):
                lh = math.floor(time_h[m] + region_local_offset_h[region[i]]) % 24
                local_hour[m] = lh
                ad_ptr[m] = a
                base_cpm = market_cpm * agent_market_mult[i] * market_hour_mult[lh]
                for _ in range(_ads_in_session(key, i, m - s0, log_continue, ad_every)):
                    # A 16-bit normal quantile index from a 64-bit hash.
                    k_market = hash_u64(key, a, _NORMALS) & _MASK16
                    comp_cpm[a] = base_cpm * market_factor[k_market]
                    a += 1
    return agent, time_h, local_hour, ad_ptr, comp_cpm
