"""Conversation and event state: who recently talked about a topic, who was on the platform
during an event. Read by keyword, conversation, event and tv targeting.

A session of someone holding topic k includes talk about k (a post, a search, an engagement)
with probability ``p_holder[k]`` x the talk multiplier of any event on k they follow that is
airing; someone not holding k uses its keywords with ``p_other[k]`` (set by the engine so
that holders make ``precision`` of the talkers). A session of an event's follower during one
of its airings puts them in its audience. The state is the hour of the last such session:
audiences are then "last time >= now - recency", read without a pass over history.

Draws are counter-based uniforms keyed by (slot key, agent, salt), the salt from the agent's
session index in the slot and the topic, so results do not depend on threads.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from .hashing import hash_uniform

__all__ = ["browsing_events", "initial_talk", "recent_talkers", "talk_slot"]

_TALK_SALT = 1 << 20  # + 64 x session index in the slot + topic (at most 64 topics tracked)
_CATCH_SALT = 1 << 21
_BROWSE_SALT = 1 << 22  # + 64 x session index in the slot + event


@njit(cache=True)
def _holds(interests, i, topic):
    return (interests[i, topic >> 6] >> np.uint64(topic & 63)) & np.uint64(1) != 0


@njit(cache=True)
def talk_slot(
    key, sess_agent, sess_time, interests, topics, p_holder, p_other, engaged, event_topic_slot,
    talk_mult, airing_event, airing_start_h, airing_end_h, last_talk, last_event,
):  # fmt: skip
    """Update ``last_talk`` (K, N) and ``last_event`` (E, N) from one slot's sessions.

    ``topics[k]``: the topic index of tracked topic k; ``event_topic_slot[e]``: event e's
    tracked topic (-1 when its topic is not tracked or it has none); ``engaged`` (E, N)."""
    n_topics = topics.shape[0]
    n_events = engaged.shape[0]
    boost = np.ones(n_topics)
    live = np.zeros(n_events, dtype=np.bool_)
    e_idx = 0
    for m in range(sess_agent.shape[0]):
        i = sess_agent[m]
        t = sess_time[m]
        e_idx = e_idx + 1 if m > 0 and sess_agent[m - 1] == i else 0
        live[:] = False
        for w in range(airing_event.shape[0]):
            if airing_start_h[w] <= t < airing_end_h[w]:
                live[airing_event[w]] = True
        boost[:] = 1.0
        for ev in range(n_events):
            if live[ev] and engaged[ev, i]:
                last_event[ev, i] = t
                if event_topic_slot[ev] >= 0:
                    k = event_topic_slot[ev]
                    boost[k] = max(boost[k], talk_mult[ev])
        for k in range(n_topics):
            held = _holds(interests, i, topics[k])
            p = min(1.0, p_holder[k] * boost[k]) if held else p_other[k]
            if p > 0.0 and hash_uniform(key, i, _TALK_SALT + 64 * e_idx + k) < p:
                last_talk[k, i] = t


@njit(cache=True)
def initial_talk(key, interests, topics, p_holder, p_other, sessions_per_day, last_talk):
    """The time of each person's last talk before the run (negative hours): for a Poisson
    process of rate r an hour the time since the last event is Exp(r), so the state starts
    stationary and keyword audiences are not empty at the start."""
    n = sessions_per_day.shape[0]
    for k in range(topics.shape[0]):
        for i in range(n):
            p = p_holder[k] if _holds(interests, i, topics[k]) else p_other[k]
            rate = p * sessions_per_day[i] / 24.0
            if rate <= 0.0:
                last_talk[k, i] = -np.inf
                continue
            u = hash_uniform(key, i, _TALK_SALT + k)
            last_talk[k, i] = math.log(1.0 - u) / rate


@njit(cache=True)
def recent_talkers(last_talk_k, since_h, key, k, coverage, out):
    """OR into ``out`` the people whose last talk about tracked topic k is at or after
    ``since_h`` and whom a keyword list covering ``coverage`` of k's conversation catches (a
    fixed share of people per topic: the words they use are the listed ones or not)."""
    for i in range(last_talk_k.shape[0]):
        if last_talk_k[i] >= since_h and (
            coverage >= 1.0 or hash_uniform(key, i, _CATCH_SALT + k) < coverage
        ):
            out[i] = True


@njit(cache=True)
def browsing_events(
    key, sess_agent, sess_time, engaged, browse_share, airing_event, airing_start_h, airing_end_h
):  # fmt: skip
    """(M,) uint64 bits: the events whose hashtag session m browses (one of its followers,
    while it airs, with probability ``browse_share[e]``); read by the organic feed."""
    out = np.zeros(sess_agent.shape[0], dtype=np.uint64)
    e_idx = 0
    for m in range(sess_agent.shape[0]):
        i = sess_agent[m]
        t = sess_time[m]
        e_idx = e_idx + 1 if m > 0 and sess_agent[m - 1] == i else 0
        for w in range(airing_event.shape[0]):
            ev = airing_event[w]
            if (
                airing_start_h[w] <= t < airing_end_h[w]
                and engaged[ev, i]
                and hash_uniform(key, i, _BROWSE_SALT + 64 * e_idx + ev) < browse_share[ev]
            ):
                out[m] |= np.uint64(1) << np.uint64(ev)
    return out
