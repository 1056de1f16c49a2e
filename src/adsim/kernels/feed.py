"""The organic feed kernel: one slot's sessions take their organic positions.

Per session, the explicit candidates are the live posts (younger than the window) of accounts
the viewer follows, posts that people the viewer follows have shared (an inbox per person,
filled by shares), and, when the viewer browses a topic they hold or the platform recommends
it, that topic's hashtag or recommended posts. Everything else in the feed (ordinary
people's posts, the bulk of the candidates) is a statistical background: M candidates of
mean weight 1. A candidate of weight w takes one of the session's n organic positions with
probability 1 - (1 - w / (M + w))^n (n weighted draws from M + 1 candidates).

w = page weight (the commercial-page penalty, falling with page size, x any algorithm change)
x content quality x (1 + interest lift if the viewer holds the post's topic) x 0.5^(age /
recency half-life). A seen post is not shown again to the same person.

A view may bring a like, a share and a link click (rates x quality x interest); a share puts
the post into the inboxes of the sharer's followers (the agent follow graph), so cascades
form; a link click leads to an install with the app's own funnel (the paid kernel's odds).
Exposures do not depend on the world (brand posts do not compete with each other, only with
the background), so they are computed once; an install applies to every world the post
exists in where the person has not installed yet (common random numbers).

The kernel runs sequentially: shares write into other people's inboxes.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from .auction import _install_prob
from .hashing import hash_uniform
from .sessions import SALT, normal

__all__ = ["POST_COUNTERS", "run_feed_slot", "transpose_csr"]

# Columns of the per-post counters.
POST_COUNTERS = (
    "views", "follower_views", "follower_views_24h", "likes", "shares", "link_clicks",
    "installs", "max_depth",
)  # fmt: skip
P_VIEWS, P_FOLLOWER_VIEWS, P_FOLLOWER_24H, P_LIKES, P_SHARES, P_CLICKS, P_INSTALLS, P_DEPTH = range(
    8
)
_ITEMS = SALT["items"]
# Feed draws use their own key (a "feed" stream), salted by post and purpose.
_SHOW, _LIKE, _SHARE, _CLICK, _INSTALL, _DELAY, _BROWSE, _RECOMMEND = range(8)
_PER_POST = 16
_SESSION_SALT = 1 << 40  # per-session draws, beyond any post's salts


@njit(cache=True, inline="always")
def _seen(seen, p, i):
    return (seen[p, i >> 6] >> np.uint64(i & 63)) & np.uint64(1)


@njit(cache=True, inline="always")
def _follows(acc_ptr, acc_idx, i, account):
    for k in range(acc_ptr[i], acc_ptr[i + 1]):  # noqa: SIM110 (a generator is slow in numba)
        if acc_idx[k] == account:
            return True
    return False


@njit(cache=True, inline="always")
def _holds(interests, i, topic):
    if topic < 0:
        return False
    return (interests[i, topic >> 6] >> np.uint64(topic & 63)) & np.uint64(1) == np.uint64(1)


@njit(cache=True)
def run_feed_slot(
    # this slot's sessions and the draws' keys
    key, slot_key, t0, sess_agent, sess_time, sess_local_hour, feed_items_mean, ad_every,
    # feed settings
    candidates, window_h, recency_half_life_h, interest_lift, like_rate, share_rate,
    hashtag_browse, recommend, weight_mult,
    # posts [0, n_posts), in time order, and their state
    n_posts, post_uid, post_time, post_account, post_tactic, post_topic, post_quality,
    post_weight, post_app_link, post_hashtags, post_share_mult, seen, post_counters,
    # people: follows of accounts, followers in the agent graph, interests, inboxes
    acc_ptr, acc_idx, fol_ptr, fol_idx, interests, inbox_post, inbox_time, inbox_depth,
    # the install funnel and the worlds' install times
    app_available, install_odds, ep_ptr, ep_start, ep_end, intent_mult, install_hour_mult,
    delay_median_h, delay_sigma, paid_install_time, extra_install_time, tactic_views,
    tactic_driven,
    # what the feed caused: the install time it set per world and person, and via a share?
    paid_feed_time, paid_feed_share, extra_feed_time, extra_feed_share,
):  # fmt: skip
    """Process one slot's sessions. Updates the posts' counters and seen bits, the inboxes,
    the install times of every world and each tactic's views and driven installs per person
    in place. Returns (share edges tried, shares dropped because an inbox was full,
    candidates ranked).

    A post's draws are keyed by ``post_uid`` (its plan and its number in the plan), not by its
    place among all posts, so the standing posting draws the same whatever tactics exist.
    A share never displaces another from an inbox (it is dropped when the inbox is full), so
    one post's cascade does not depend on another's either.

    Worlds: ``paid_install_time`` rows are the paid strategies' worlds; ``extra_install_time``
    row 0 is the organic baseline (the standing posting only) and row 1 + t tactic t's world.
    A standing post (``post_tactic`` -1) exists in every world, tactic t's posts only in its.
    """
    log_continue = math.log(1.0 - 1.0 / feed_items_mean) if feed_items_mean > 1.0 else -np.inf
    decay = math.log(2.0) / recency_half_life_h
    n_sess = sess_agent.shape[0]
    k_inbox = inbox_post.shape[1]
    n_paid_worlds = paid_install_time.shape[0]
    n_extra = extra_install_time.shape[0]
    edges = 0
    dropped = 0
    ranked = 0
    first_live = 0  # posts are in time order: skip those too old for every session here
    while first_live < n_posts and post_time[first_live] < t0 - window_h:
        first_live += 1
    e = 0
    for m in range(n_sess):
        i = sess_agent[m]
        t = sess_time[m]
        e = e + 1 if m > 0 and sess_agent[m - 1] == i else 0
        browse = hash_uniform(key, i, _SESSION_SALT + 2 * e) < hashtag_browse
        recommended = hash_uniform(key, i, _SESSION_SALT + 2 * e + 1) < recommend
        # Inboxes fill from the front and entries are never cleared (an old one is reused),
        # so an empty first place means an empty inbox: most people's, most of the time.
        has_inbox = inbox_post[i, 0] >= 0
        if acc_ptr[i] == acc_ptr[i + 1] and not (has_inbox or browse or recommended):
            continue  # no brand post can be a candidate (draws are keyed: skipping is exact)
        # The session's organic positions: its feed items (the sessions kernel's draw) less ads.
        items = 1 + int(math.log(1.0 - hash_uniform(slot_key, i, _ITEMS + e)) / log_continue)
        n_organic = items - items // ad_every
        if n_organic <= 0:
            continue
        for p in range(first_live, n_posts):
            if post_time[p] > t or t - post_time[p] > window_h or _seen(seen, p, i):
                continue
            # Why the post is a candidate: the viewer follows its author, a followee shared
            # it, or it reaches the viewer through a topic (hashtag browsing, recommendation).
            follower = _follows(acc_ptr, acc_idx, i, post_account[p])
            arrival = post_time[p]
            depth = 0
            candidate = follower
            if not candidate and has_inbox:
                for k in range(k_inbox):
                    if inbox_post[i, k] == p and inbox_time[i, k] <= t:
                        candidate = True
                        arrival = inbox_time[i, k]
                        depth = int(inbox_depth[i, k])
                        break
            holds = _holds(interests, i, post_topic[p])
            if not candidate and holds and (recommended or (browse and post_hashtags[p])):
                candidate = True
            if not candidate:
                continue
            ranked += 1
            match = 1.0 + interest_lift if holds else 1.0
            w = post_weight[p] * weight_mult * post_quality[p] * match
            w *= math.exp(-decay * (t - arrival))
            p_show = 1.0 - (1.0 - w / (candidates + w)) ** n_organic
            salt = post_uid[p] * _PER_POST
            if hash_uniform(key, i, salt + _SHOW) >= p_show:
                continue
            # Shown: the person sees it once.
            seen[p, i >> 6] |= np.uint64(1) << np.uint64(i & 63)
            post_counters[p, P_VIEWS] += 1
            tactic = post_tactic[p]
            if tactic >= 0 and tactic_views[tactic, i] < 65535:
                tactic_views[tactic, i] += 1
            if follower:
                post_counters[p, P_FOLLOWER_VIEWS] += 1
                if t - post_time[p] < 24.0:
                    post_counters[p, P_FOLLOWER_24H] += 1
            engage = post_quality[p] * match
            if hash_uniform(key, i, salt + _LIKE) < like_rate * engage:
                post_counters[p, P_LIKES] += 1
            if hash_uniform(key, i, salt + _SHARE) < share_rate * engage * post_share_mult[p]:
                post_counters[p, P_SHARES] += 1
                if depth + 1 > post_counters[p, P_DEPTH]:
                    post_counters[p, P_DEPTH] = depth + 1
                for k in range(fol_ptr[i], fol_ptr[i + 1]):
                    f = fol_idx[k]
                    edges += 1
                    at = -1
                    for q in range(k_inbox):  # a free place: empty, or its post too old
                        if inbox_post[f, q] < 0 or inbox_time[f, q] < t - window_h:
                            at = q
                            break
                        if inbox_post[f, q] == p:  # already there: keep the earlier share
                            at = -2
                            break
                    if at == -1:
                        dropped += 1
                    elif at >= 0:
                        inbox_post[f, at] = p
                        inbox_time[f, at] = t
                        inbox_depth[f, at] = min(250, depth + 1)
            if post_app_link[p] <= 0.0:
                continue
            if hash_uniform(key, i, salt + _CLICK) >= post_app_link[p] * engage:
                continue
            post_counters[p, P_CLICKS] += 1
            if not app_available[i]:
                continue
            prob = _install_prob(
                install_odds, ep_ptr, ep_start, ep_end, intent_mult,
                install_hour_mult[sess_local_hour[m]], i, t,
            )  # fmt: skip
            if hash_uniform(key, i, salt + _INSTALL) >= prob:
                continue
            t_install = t + delay_median_h * math.exp(delay_sigma * normal(key, i, salt + _DELAY))
            if tactic < 0:  # a standing post exists in the paid worlds too
                for w_ in range(n_paid_worlds):
                    if t < paid_install_time[w_, i] and t_install < paid_install_time[w_, i]:
                        paid_install_time[w_, i] = t_install
                        paid_feed_time[w_, i] = t_install
                        paid_feed_share[w_, i] = depth > 0
            home = 0 if tactic < 0 else 1 + tactic
            for r in range(n_extra):
                if tactic >= 0 and r != home:
                    continue
                if t < extra_install_time[r, i] and t_install < extra_install_time[r, i]:
                    extra_install_time[r, i] = t_install
                    extra_feed_time[r, i] = t_install
                    extra_feed_share[r, i] = depth > 0
                    if r > 0 and r != home:  # a standing post pre-empts the tactic's install
                        tactic_driven[r - 1, i] = False
                    if r == home:
                        post_counters[p, P_INSTALLS] += 1
                        if tactic >= 0:
                            tactic_driven[tactic, i] = True
    return edges, dropped, ranked


@njit(cache=True)
def transpose_csr(ptr, idx, n_dst):
    """The transpose of a CSR relation (rows -> idx) as CSR (idx -> rows), by counting sort:
    e.g. whom each agent follows -> who follows each agent. Rows within a list stay sorted."""
    counts = np.zeros(n_dst + 1, dtype=np.int64)
    for k in range(idx.shape[0]):
        counts[idx[k] + 1] += 1
    out_ptr = np.cumsum(counts)
    fill = out_ptr[:-1].copy()
    out_idx = np.empty(idx.shape[0], dtype=np.int32)
    for row in range(ptr.shape[0] - 1):
        for k in range(ptr[row], ptr[row + 1]):
            d = idx[k]
            out_idx[fill[d]] = row
            fill[d] += 1
    return out_ptr, out_idx
