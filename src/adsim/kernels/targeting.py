"""Targeting kernels: geographic radius, look-alike scores and per-strategy click rates."""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from .population import affinity, has_topic

__all__ = ["creative_ctr", "lookalike_scores", "within_radius"]

EARTH_RADIUS_KM = 6371.0088


@njit(cache=True, parallel=True)
def within_radius(lat, lon, lat0, lon0, km):
    """Great-circle (haversine) distance from (lat0, lon0) at most ``km``."""
    n = lat.shape[0]
    out = np.empty(n, dtype=np.bool_)
    p0, l0 = math.radians(lat0), math.radians(lon0)
    cos_p0 = math.cos(p0)
    for i in prange(n):
        p1, l1 = math.radians(lat[i]), math.radians(lon[i])
        h = math.sin((p1 - p0) / 2) ** 2 + cos_p0 * math.cos(p1) * math.sin((l1 - l0) / 2) ** 2
        out[i] = 2.0 * EARTH_RADIUS_KM * math.asin(math.sqrt(min(1.0, h))) <= km
    return out


@njit(cache=True, parallel=True)
def lookalike_scores(
    interests, age_bin, region, gender, device, topic_weight_held, topic_weight_absent,
    age_weight, region_weight, gender_weight, device_weight,
):  # fmt: skip
    """Naive-Bayes log-likelihood ratio of 'resembles the seed' vs 'is anyone', per agent,
    over what the platform observes: interests, age, region, gender and device."""
    n = interests.shape[0]
    n_topics = topic_weight_held.shape[0]
    out = np.empty(n, dtype=np.float64)
    for i in prange(n):
        s = age_weight[age_bin[i]] + region_weight[region[i]]
        s += gender_weight[gender[i]] + device_weight[device[i]]
        for k in range(n_topics):
            s += topic_weight_held[k] if has_topic(interests, i, k) else topic_weight_absent[k]
        out[i] = s
    return out


@njit(cache=True, parallel=True)
def creative_ctr(
    interests, device, affinity_key, base_ctr, topic_idx, topic_lift, device_click_mult
):
    """True click rate per agent before wear-out: ``ctr x (1 + lift x best affinity) x device``.

    The best affinity is the highest of the agent's affinities for the creative's topics it holds
    (0 when it holds none).
    """
    n = interests.shape[0]
    out = np.empty(n, dtype=np.float32)
    for i in prange(n):
        best = 0.0
        for k in topic_idx:
            if has_topic(interests, i, k):
                best = max(best, affinity(affinity_key, i, k))
        out[i] = min(1.0, base_ctr * (1.0 + topic_lift * best) * device_click_mult[device[i]])
    return out
