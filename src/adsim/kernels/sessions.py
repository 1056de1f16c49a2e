"""Who opens the app in a slot, and how many ad slots their feeds carry.

An agent's sessions in a day are Poisson(rate_i x sum over slots of diurnal(region, slot) x
slot/24), each placed in a slot by inverse CDF over the region's diurnal weights and at a
uniform time within it: by Poisson splitting, the same law as an independent
Poisson(rate_i x diurnal(region, slot) x slot/24) per slot, for a draw per agent per *day*
instead of per slot (``draw_day_sessions``; the hourly pass over every agent was a quarter of
a paid-only run). All draws are counter-based uniforms keyed by (day key, agent, salt).

``slot_sessions`` lays out one slot: sessions in agent-id order from a random starting agent (a
rotation per slot), so memory access in the auction kernel is nearly sequential and no agent
is systematically first when a budget runs out mid-slot; an agent's own sessions are in time
order. Each ad slot gets the rest of the market's competing eCPM: a 16-bit index from a
counter-based hash picks an entry of a table of exp(sigma z) over 65,536 normal quantiles (see
``adsim.rng.lognormal_table``).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from .hashing import hash_u64, hash_uniform

__all__ = ["SALT", "draw_day_sessions", "normal", "slot_sessions"]

# Salts of the counter-based draws. Session draws use (key, agent, salt); ad draws use
# (key, ad index, salt), where the ad index is the ad slot's position in the slot.
SALT = {
    "count": 0, "time": 1 << 8, "items": 2 << 8, "pass": 4 << 8, "normals": 5 << 8,
    "click": 7 << 8, "install": 8 << 8, "delay": 9 << 8, "slot": 10 << 8,
    "feedback": 11 << 8,
}  # fmt: skip
_COUNT, _TIME, _ITEMS, _SLOT = SALT["count"], SALT["time"], SALT["items"], SALT["slot"]
_NORMALS = SALT["normals"]
_LAYER = 1  # count salts 2..255 are the extra layers' (count salts sit below _TIME)
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
def ads_among(items, ad_load):
    """Ad slots among a session's ``items`` feed items: ``floor(items x ad_load)``, the share
    exactly (0.45 is not 0.5). The epsilon keeps a product like 35 x 0.2 = 7.000000000000001
    or 6.999999999999999 on the whole number it means."""
    return int(items * ad_load + 1e-9)


@njit(cache=True, inline="always")
def _ads_in_session(key, i, e, log_continue, ad_load):
    """Feed items seen ~ geometric (scroll depth), ``ad_load`` of them ads."""
    items = 1 + int(math.log(1.0 - hash_uniform(key, i, _ITEMS + e)) / log_continue)
    return ads_among(items, ad_load)


@njit(cache=True, parallel=True)
def draw_day_sessions(
    key, day_t0, slot_h, sessions_per_day, region, slot_diurnal, feed_items_mean, ad_load,
    day_mult, extra_diurnal, extra_member,
):  # fmt: skip
    """Every session of one day starting at hour ``day_t0``; ``slot_diurnal[q, r]`` is region
    r's activity multiplier in slot q of the day, ``day_mult`` the day's (weekday, season).

    Extra layers (events): layer l adds, for the agents with ``extra_member[l, i]``, sessions
    at ``extra_diurnal[l, q, r]`` x their rate; by Poisson superposition the same law as one
    process at the summed rate. A layer's draws use its own count salt and continue the
    agent's session index, so the base day's draws do not change when a layer is added.

    Returns ``(slot_ptr, agent, time_h, n_ads)``: slot q's sessions are
    ``slot_ptr[q]:slot_ptr[q+1]``, in agent-id order, an agent's own in time order, each with
    its number of ad slots (feed items ~ geometric scroll depth, ``ad_load`` of them ads).
    """
    n = sessions_per_day.shape[0]
    n_q, n_r = slot_diurnal.shape
    n_layers = extra_diurnal.shape[0]
    per_slot = slot_h / 24.0
    weights = np.empty((n_layers + 1, n_r, n_q), dtype=np.float64)
    weights[0] = slot_diurnal.T
    for layer in range(n_layers):
        weights[layer + 1] = extra_diurnal[layer].T
    total_weight = np.zeros((n_layers + 1, n_r), dtype=np.float64)
    prob = np.ones((n_layers + 1, n_r, n_q), dtype=np.float64)
    alias = np.zeros((n_layers + 1, n_r, n_q), dtype=np.int64)
    for layer in range(n_layers + 1):
        for r in range(n_r):
            total_weight[layer, r] = weights[layer, r].sum()
        layer_prob, layer_alias = _alias_tables(weights[layer])
        prob[layer] = layer_prob
        alias[layer] = layer_alias
    log_continue = math.log(1.0 - 1.0 / feed_items_mean) if feed_items_mean > 1.0 else -np.inf
    n_chunks = (n + CHUNK - 1) // CHUNK
    counts = np.zeros((n_layers + 1, n), dtype=np.int32)
    chunk_slot = np.zeros((n_chunks, n_q), dtype=np.int64)
    for c in prange(n_chunks):
        for i in range(c * CHUNK, min(n, (c + 1) * CHUNK)):
            r = region[i]
            e = 0
            for layer in range(n_layers + 1):
                if layer > 0 and extra_member[layer - 1, i] == 0:
                    continue
                lam = sessions_per_day[i] * day_mult * total_weight[layer, r] * per_slot
                salt = _COUNT if layer == 0 else _LAYER + layer
                k = _poisson(lam, hash_uniform(key, i, salt))
                counts[layer, i] = k
                for _ in range(k):
                    u = hash_uniform(key, i, _SLOT + e)
                    chunk_slot[c, _pick_slot(prob[layer, r], alias[layer, r], u)] += 1
                    e += 1
    # Slot-major layout; within a slot, chunks in order, so agents ascend.
    base = np.zeros((n_chunks, n_q), dtype=np.int64)
    slot_ptr = np.zeros(n_q + 1, dtype=np.int64)
    pos = 0
    for q in range(n_q):
        slot_ptr[q] = pos
        for c in range(n_chunks):
            base[c, q] = pos
            pos += chunk_slot[c, q]
    slot_ptr[n_q] = pos
    agent = np.empty(pos, dtype=np.int32)
    time_h = np.empty(pos, dtype=np.float64)
    n_ads = np.empty(pos, dtype=np.int32)
    for c in prange(n_chunks):
        cursor = base[c].copy()
        for i in range(c * CHUNK, min(n, (c + 1) * CHUNK)):
            r = region[i]
            e = -1
            for layer in range(n_layers + 1):
                for _ in range(counts[layer, i]):
                    e += 1
                    q = _pick_slot(prob[layer, r], alias[layer, r], hash_uniform(key, i, _SLOT + e))
                    t = day_t0 + slot_h * (q + hash_uniform(key, i, _TIME + e))
                    ads = _ads_in_session(key, i, e, log_continue, ad_load)
                    m = cursor[q]
                    cursor[q] += 1
                    # Insertion sort among this agent's sessions in the slot (never before the
                    # chunk's own part of the slot: another thread writes there).
                    while m > base[c, q] and agent[m - 1] == i and time_h[m - 1] > t:
                        agent[m] = agent[m - 1]
                        time_h[m] = time_h[m - 1]
                        n_ads[m] = n_ads[m - 1]
                        m -= 1
                    agent[m] = i
                    time_h[m] = t
                    n_ads[m] = ads
    return slot_ptr, agent, time_h, n_ads


@njit(cache=True)
def _alias_tables(weights):
    """Walker's alias tables (Vose's construction) of each row of ``weights`` (R, Q): a slot
    is then one uniform and one comparison (``_pick_slot``), not a search of the CDF."""
    n_r, n_q = weights.shape
    prob = np.ones((n_r, n_q), dtype=np.float64)
    alias = np.zeros((n_r, n_q), dtype=np.int64)
    small = np.empty(n_q, dtype=np.int64)
    large = np.empty(n_q, dtype=np.int64)
    for r in range(n_r):
        total = weights[r].sum()
        if total <= 0.0:
            continue
        scaled = weights[r] * n_q / total
        ns = 0
        nl = 0
        for q in range(n_q):
            alias[r, q] = q
            if scaled[q] < 1.0:
                small[ns] = q
                ns += 1
            else:
                large[nl] = q
                nl += 1
        while ns > 0 and nl > 0:
            ns -= 1
            lo = small[ns]
            hi = large[nl - 1]
            prob[r, lo] = scaled[lo]
            alias[r, lo] = hi
            scaled[hi] = scaled[hi] + scaled[lo] - 1.0
            if scaled[hi] < 1.0:
                nl -= 1
                small[ns] = hi
                ns += 1
        # What is left has probability 1 (up to rounding): prob stays 1.
    return prob, alias


@njit(cache=True, inline="always")
def _pick_slot(prob_r, alias_r, u):
    """A slot from one uniform by the alias method."""
    x = u * prob_r.shape[0]
    k = min(int(x), prob_r.shape[0] - 1)
    return k if x - k < prob_r[k] else alias_r[k]


@njit(cache=True, parallel=True)
def slot_sessions(
    key, n_agents, day_agent, day_time, day_ads, lo, hi, region, region_local_offset_h,
    market_cpm, market_hour_mult, agent_market_mult, market_factor,
):  # fmt: skip
    """One slot's sessions ``lo:hi`` of its day, rotated to start at a random agent.

    Returns ``(agent, time_h, local_hour, ad_ptr, comp_cpm)``: ad slots of session k are
    ``ad_ptr[k]:ad_ptr[k+1]``; ``comp_cpm[a]`` is the rest of the market's highest eCPM
    (median x ``market_factor``: lognormal around the agent's and local hour's median).
    """
    m = hi - lo
    start = min(n_agents - 1, int(hash_uniform(key, n_agents, _COUNT) * n_agents))
    p0 = lo + np.searchsorted(day_agent[lo:hi], start)  # the first session of agent >= start
    agent = np.empty(m, dtype=np.int32)
    time_h = np.empty(m, dtype=np.float64)
    local_hour = np.empty(m, dtype=np.int64)
    ad_ptr = np.zeros(m + 1, dtype=np.int64)
    for k in range(m):
        src = p0 + k if p0 + k < hi else lo + (p0 + k - hi)
        agent[k] = day_agent[src]
        time_h[k] = day_time[src]
        ad_ptr[k + 1] = ad_ptr[k] + day_ads[src]
    comp_cpm = np.empty(ad_ptr[m], dtype=np.float64)
    for k in prange(m):
        i = agent[k]
        lh = math.floor(time_h[k] + region_local_offset_h[region[i]]) % 24
        local_hour[k] = lh
        base_cpm = market_cpm * agent_market_mult[i] * market_hour_mult[lh]
        for a in range(ad_ptr[k], ad_ptr[k + 1]):
            # A 16-bit normal quantile index from a 64-bit hash.
            comp_cpm[a] = base_cpm * market_factor[hash_u64(key, a, _NORMALS) & _MASK16]
    return agent, time_h, local_hour, ad_ptr, comp_cpm
