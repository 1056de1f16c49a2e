"""The organic feed kernels: one slot's sessions take their organic positions, in every
exposure world at once.

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

A view may bring a like, a share, a follow, a hide and a link click (rates x quality x
interest); a share puts the post into the inboxes of the sharer's followers (the agent follow
graph), so cascades form; a link click leads to an install with the app's own funnel (the paid
kernel's odds). Fatigue: each brand impression, organic or paid, may make the person hide the
account (and unfollow it) with a chance that grows with their recent impressions of it; a
hidden account's posts are never shown to them again.

Exposure worlds: what people see depends on the world (a tactic's posts tire people of the
page; a paid world's ads add fatigue and a halo), so each exposure world has its own seen bits,
inboxes, follows, hides and post counters, and the worlds run in parallel (``prange``), each
in session order. Draws are keyed by (slot, person, post, purpose), so the same person meets
the same uniforms in every world (common random numbers): worlds differ only where their state
does. Paid worlds whose ads touch no account see exactly the organic baseline, so they share its
exposure world; an install there applies to each of the world's install rows.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from .auction import _install_prob
from .hashing import hash_uniform
from .sessions import SALT, ads_among, normal

__all__ = [
    "FEED_SETTINGS",
    "POST_COUNTERS",
    "POST_FLOATS",
    "POST_INTS",
    "run_boost_views",
    "run_feed_slot",
    "transpose_csr",
]

# Columns of the per-post counters.
POST_COUNTERS = (
    "views", "follower_views", "follower_views_24h", "likes", "shares", "link_clicks",
    "installs", "max_depth", "follows", "hides", "paid_views",
)  # fmt: skip
(P_VIEWS, P_FOLLOWER_VIEWS, P_FOLLOWER_24H, P_LIKES, P_SHARES, P_CLICKS, P_INSTALLS, P_DEPTH,
 P_FOLLOWS, P_HIDES, P_PAID_VIEWS) = range(11)  # fmt: skip
# Per-post attributes, as columns of a float and an int matrix.
POST_FLOATS = ("time_h", "quality", "weight", "app_link", "share_mult", "follow_mult")
POST_INTS = ("uid", "account", "tactic", "topic", "hashtags", "event")
F_TIME, F_QUALITY, F_WEIGHT, F_LINK, F_SHARE, F_FOLLOW = range(6)
I_UID, I_ACCOUNT, I_TACTIC, I_TOPIC, I_HASHTAGS, I_EVENT = range(6)
# The feed's settings, in the order of the ``cfg`` vector.
FEED_SETTINGS = (
    "candidates", "window_h", "recency_half_life_h", "interest_lift", "like_rate", "share_rate",
    "hashtag_browse", "recommend", "weight_mult", "follow_rate", "hide_rate", "fatigue_onset",
    "paid_halo",
)  # fmt: skip
(C_CANDIDATES, C_WINDOW, C_HALF_LIFE, C_LIFT, C_LIKE, C_SHARE, C_BROWSE, C_RECOMMEND,
 C_WEIGHT_MULT, C_FOLLOW, C_HIDE, C_ONSET, C_HALO) = range(13)  # fmt: skip
# A person's relation to an account in one world (bits of ``relation``).
HIDDEN, UNFOLLOWED, FOLLOWED = np.uint8(1), np.uint8(2), np.uint8(4)
_ITEMS = SALT["items"]
# Feed draws use their own key (a "feed" stream), salted by post and purpose.
_SHOW, _LIKE, _SHARE, _CLICK, _INSTALL, _DELAY, _BROWSE, _RECOMMEND, _FOLLOW, _HIDE = range(10)
_PER_POST = 16
_SESSION_SALT = 1 << 40  # per-session draws, beyond any post's salts


@njit(cache=True, inline="always")
def _seen(seen, p, i):
    return (seen[p, i >> 6] >> np.uint64(i & 63)) & np.uint64(1)


@njit(cache=True, inline="always")
def _follows(acc_ptr, acc_idx, relation, i, account):
    """Does person i follow ``account`` in this world: a follower from the start who has not
    unfollowed, or one who followed during the run."""
    rel = relation[i, account]
    if rel & FOLLOWED:
        return True
    for k in range(acc_ptr[i], acc_ptr[i + 1]):
        if acc_idx[k] == account:
            return not (rel & UNFOLLOWED)
    return False


@njit(cache=True, inline="always")
def _holds(interests, i, topic):
    if topic < 0:
        return False
    return (interests[i, topic >> 6] >> np.uint64(topic & 63)) & np.uint64(1) == np.uint64(1)


@njit(cache=True, inline="always")
def _paid_touch(w, i, account, world_ptr, inst_account, wear, freq_total):
    """Paid world w's ads running as ``account``: person i's fading count of their impressions
    (the wear-out memory) and whether any reached them so far. (0, False) outside paid worlds."""
    recent = 0.0
    touched = False
    if w < 0:
        return recent, touched
    for j in range(world_ptr[w], world_ptr[w + 1]):
        if inst_account[j] == account:
            recent += wear[j, i]
            touched = touched or freq_total[j, i] > 0
    return recent, touched


@njit(cache=True, inline="always")
def _push_share(f, p, t, depth, window_h, inbox_post, inbox_time, inbox_depth):
    """Puts post p into person f's inbox; returns False when it is full (the share is dropped:
    it never displaces another, so one post's cascade does not depend on another's)."""
    at = -1
    for q in range(inbox_post.shape[1]):  # a free place: empty, or its post too old
        if inbox_post[f, q] < 0 or inbox_time[f, q] < t - window_h:
            at = q
            break
        if inbox_post[f, q] == p:  # already there: keep the earlier share
            return True
    if at < 0:
        return False
    inbox_post[f, at] = p
    inbox_time[f, at] = t
    inbox_depth[f, at] = min(250, depth + 1)
    return True


@njit(cache=True, inline="always")
def _react(
    key, i, p, t, depth, follower, holds, organic, day, cfg, post_f, post_i, fol_ptr, fol_idx,
    inbox_post, inbox_time, inbox_depth, relation, brand_fade, followers_daily, counters,
    paid_recent, paid_touched,
):  # fmt: skip
    """What person i does after seeing post p in one world: like, share (to their followers'
    inboxes), hide the account or follow it. Returns (share edges tried, shares dropped)."""
    a = post_i[p, I_ACCOUNT]
    salt = post_i[p, I_UID] * _PER_POST
    match = 1.0 + cfg[C_LIFT] if holds else 1.0
    engage = post_f[p, F_QUALITY] * match
    halo = 1.0 + cfg[C_HALO] if paid_touched else 1.0
    edges = 0
    dropped = 0
    if hash_uniform(key, i, salt + _LIKE) < cfg[C_LIKE] * engage:
        counters[p, P_LIKES] += 1
    if hash_uniform(key, i, salt + _SHARE) < cfg[C_SHARE] * engage * post_f[p, F_SHARE] * halo:
        counters[p, P_SHARES] += 1
        if depth + 1 > counters[p, P_DEPTH]:
            counters[p, P_DEPTH] = depth + 1
        for k in range(fol_ptr[i], fol_ptr[i + 1]):
            edges += 1
            if not _push_share(
                fol_idx[k], p, t, depth, cfg[C_WINDOW], inbox_post, inbox_time, inbox_depth
            ):
                dropped += 1
    # Fatigue: the chance to hide grows with recent impressions of the account (organic
    # views, and in a paid world its ads' wear-out memory), less so for interested people.
    if organic:
        brand_fade[i, a] += np.float32(1.0)
    recent = brand_fade[i, a] + paid_recent
    p_hide = cfg[C_HIDE] * recent / cfg[C_ONSET] / match
    if hash_uniform(key, i, salt + _HIDE) < p_hide:
        relation[i, a] |= HIDDEN
        counters[p, P_HIDES] += 1
        if follower:
            if relation[i, a] & FOLLOWED:
                relation[i, a] ^= FOLLOWED  # the bit is set: clear it
            else:
                relation[i, a] |= UNFOLLOWED
            followers_daily[day, a, 1] += 1
    elif not follower:
        p_follow = cfg[C_FOLLOW] * engage * post_f[p, F_FOLLOW] * halo
        if hash_uniform(key, i, salt + _FOLLOW) < p_follow:
            relation[i, a] |= FOLLOWED
            counters[p, P_FOLLOWS] += 1
            followers_daily[day, a, 0] += 1
    return edges, dropped


@njit(cache=True, inline="always")
def _apply_install(
    x, i, t, t_install, depth, tactic, x_tactic, rows_ptr, rows, paid_install_time,
    extra_install_time, paid_feed_time, paid_feed_share, extra_feed_time, extra_feed_share,
    tactic_driven,
):  # fmt: skip
    """A feed-driven install at ``t_install`` in every install row of exposure world x where
    the person has not installed by then. Returns whether it took in the world's first row."""
    primary = False
    for k in range(rows_ptr[x], rows_ptr[x + 1]):
        r = rows[k]
        if r >= 0:
            if t < paid_install_time[r, i] and t_install < paid_install_time[r, i]:
                paid_install_time[r, i] = t_install
                paid_feed_time[r, i] = t_install
                paid_feed_share[r, i] = depth > 0
                primary = primary or k == rows_ptr[x]
        else:
            e = -1 - r
            if t < extra_install_time[e, i] and t_install < extra_install_time[e, i]:
                extra_install_time[e, i] = t_install
                extra_feed_time[e, i] = t_install
                extra_feed_share[e, i] = depth > 0
                primary = primary or k == rows_ptr[x]
                own = x_tactic[x]
                if own >= 0:  # its tactic drove it, or a standing post pre-empted it
                    tactic_driven[own, i] = tactic == own
    return primary


@njit(cache=True)
def _feed_world(
    x, key, slot_key, t0, day, sess_agent, sess_time, sess_local_hour, sess_events,
    feed_items_mean, ad_load, cfg, n_posts, post_f, post_i, acc_ptr, acc_idx, fol_ptr, fol_idx,
    interests,
    x_tactic, x_paid_world, rows_ptr, rows, world_ptr, inst_account, wear, freq_total,
    seen, counters, inbox_post, inbox_time, inbox_depth, relation, brand_fade, followers_daily,
    app_available, install_odds, ep_ptr, ep_start, ep_end, intent_mult, install_hour_mult,
    delay_median_h, delay_sigma, paid_install_time, extra_install_time, paid_feed_time,
    paid_feed_share, extra_feed_time, extra_feed_share, tactic_views, tactic_driven,
):  # fmt: skip
    """One exposure world's pass over the slot's sessions (see run_feed_slot)."""
    log_continue = math.log(1.0 - 1.0 / feed_items_mean) if feed_items_mean > 1.0 else -np.inf
    window_h = cfg[C_WINDOW]
    decay = math.log(2.0) / cfg[C_HALF_LIFE]
    own_tactic = x_tactic[x]
    paid_world = x_paid_world[x]
    n_accounts = relation.shape[1]
    edges = 0
    dropped = 0
    ranked = 0
    first_live = 0  # posts are in time order: skip those too old for every session here
    while first_live < n_posts and post_f[first_live, F_TIME] < t0 - window_h:
        first_live += 1
    e = 0
    for m in range(sess_agent.shape[0]):
        i = sess_agent[m]
        t = sess_time[m]
        e = e + 1 if m > 0 and sess_agent[m - 1] == i else 0
        browse = hash_uniform(key, i, _SESSION_SALT + 2 * e) < cfg[C_BROWSE]
        recommended = hash_uniform(key, i, _SESSION_SALT + 2 * e + 1) < cfg[C_RECOMMEND]
        # Inboxes fill from the front and entries are never cleared (an old one is reused),
        # so an empty first place means an empty inbox: most people's, most of the time.
        has_inbox = inbox_post[i, 0] >= 0
        in_event = sess_events[m] != 0  # browsing a live event's hashtag
        if acc_ptr[i] == acc_ptr[i + 1] and not (has_inbox or browse or recommended or in_event):
            gained = False
            for a in range(n_accounts):
                gained = gained or (relation[i, a] & FOLLOWED) != 0
            if not gained:
                continue  # no brand post can be a candidate (draws are keyed: skipping is exact)
        # The session's organic positions: its feed items (the sessions kernel's draw) less ads.
        items = 1 + int(math.log(1.0 - hash_uniform(slot_key, i, _ITEMS + e)) / log_continue)
        n_organic = items - ads_among(items, ad_load)
        if n_organic <= 0:
            continue
        for p in range(first_live, n_posts):
            posted = post_f[p, F_TIME]
            if posted > t or t - posted > window_h or _seen(seen, p, i):
                continue
            tactic = post_i[p, I_TACTIC]
            if tactic >= 0 and tactic != own_tactic:
                continue  # a tactic's posts exist only in its world
            account = post_i[p, I_ACCOUNT]
            if relation[i, account] & HIDDEN:
                continue
            # Why the post is a candidate: the viewer follows its author, a followee shared
            # it, or it reaches the viewer through a topic (hashtag browsing, recommendation).
            follower = _follows(acc_ptr, acc_idx, relation, i, account)
            arrival = posted
            depth = 0
            candidate = follower
            if not candidate and has_inbox:
                for k in range(inbox_post.shape[1]):
                    if inbox_post[i, k] == p and inbox_time[i, k] <= t:
                        candidate = True
                        arrival = inbox_time[i, k]
                        depth = int(inbox_depth[i, k])
                        break
            holds = _holds(interests, i, post_i[p, I_TOPIC])
            hashtags = post_i[p, I_HASHTAGS] != 0
            if not candidate and holds and (recommended or (browse and hashtags)):
                candidate = True
            event = post_i[p, I_EVENT]
            if (
                not candidate
                and in_event
                and event >= 0
                and (sess_events[m] >> np.uint64(event)) & np.uint64(1) != 0
            ):
                candidate = True
            if not candidate:
                continue
            ranked += 1
            match = 1.0 + cfg[C_LIFT] if holds else 1.0
            w = post_f[p, F_WEIGHT] * cfg[C_WEIGHT_MULT] * post_f[p, F_QUALITY] * match
            w *= math.exp(-decay * (t - arrival))
            p_show = 1.0 - (1.0 - w / (cfg[C_CANDIDATES] + w)) ** n_organic
            salt = post_i[p, I_UID] * _PER_POST
            if hash_uniform(key, i, salt + _SHOW) >= p_show:
                continue
            # Shown: the person sees it once.
            seen[p, i >> 6] |= np.uint64(1) << np.uint64(i & 63)
            counters[p, P_VIEWS] += 1
            if tactic >= 0 and tactic_views[tactic, i] < 65535:
                tactic_views[tactic, i] += 1
            if follower:
                counters[p, P_FOLLOWER_VIEWS] += 1
                if t - posted < 24.0:
                    counters[p, P_FOLLOWER_24H] += 1
            recent, touched = _paid_touch(
                paid_world, i, account, world_ptr, inst_account, wear, freq_total
            )
            tried, lost = _react(
                key, i, p, t, depth, follower, holds, True, day, cfg, post_f, post_i, fol_ptr,
                fol_idx, inbox_post, inbox_time, inbox_depth, relation, brand_fade,
                followers_daily, counters, recent, touched,
            )  # fmt: skip
            edges += tried
            dropped += lost
            link = post_f[p, F_LINK]
            if (
                link <= 0.0
                or hash_uniform(key, i, salt + _CLICK) >= link * post_f[p, F_QUALITY] * match
            ):
                continue
            counters[p, P_CLICKS] += 1
            if not app_available[i]:
                continue
            prob = _install_prob(
                install_odds, ep_ptr, ep_start, ep_end, intent_mult,
                install_hour_mult[sess_local_hour[m]], i, t,
            )  # fmt: skip
            if hash_uniform(key, i, salt + _INSTALL) >= prob:
                continue
            t_install = t + delay_median_h * math.exp(delay_sigma * normal(key, i, salt + _DELAY))
            if _apply_install(
                x, i, t, t_install, depth, tactic, x_tactic, rows_ptr, rows, paid_install_time,
                extra_install_time, paid_feed_time, paid_feed_share, extra_feed_time,
                extra_feed_share, tactic_driven,
            ):  # fmt: skip
                counters[p, P_INSTALLS] += 1
    return edges, dropped, ranked


@njit(cache=True, parallel=True)
def run_feed_slot(
    # this slot's sessions and the draws' keys
    key, slot_key, t0, day, sess_agent, sess_time, sess_local_hour, sess_events,
    feed_items_mean, ad_load,
    # feed settings (FEED_SETTINGS) and the posts [0, n_posts), in time order
    cfg, n_posts, post_f, post_i,
    # people: follows of accounts, followers in the agent graph, interests
    acc_ptr, acc_idx, fol_ptr, fol_idx, interests,
    # exposure worlds: own tactic, paid world, install rows; the paid worlds' ads
    x_tactic, x_paid_world, rows_ptr, rows, world_ptr, inst_account, wear, freq_total,
    # per exposure world: seen bits, post counters, inboxes, relations, fatigue, follows/day
    seen, counters, inbox_post, inbox_time, inbox_depth, relation, brand_fade, followers_daily,
    # the install funnel and the worlds' install times
    app_available, install_odds, ep_ptr, ep_start, ep_end, intent_mult, install_hour_mult,
    delay_median_h, delay_sigma, paid_install_time, extra_install_time, paid_feed_time,
    paid_feed_share, extra_feed_time, extra_feed_share, tactic_views, tactic_driven,
):  # fmt: skip
    """Process one slot's sessions in every exposure world (in parallel over worlds). Updates
    the worlds' state and the install rows in place; returns per world (share edges tried,
    shares dropped because an inbox was full, candidates ranked).

    Exposure world x holds the standing posts and, if ``x_tactic[x]`` is t >= 0, tactic t's
    posts; ``x_paid_world[x]`` is the paid world whose ads (instances ``world_ptr[w]:
    world_ptr[w+1]`` with ``inst_account``) add fatigue and halo, or -1. Its installs go to
    ``rows[rows_ptr[x]:rows_ptr[x+1]]``: r >= 0 is paid world r's row of
    ``paid_install_time``, r < 0 row -1 - r of ``extra_install_time`` (0: the organic
    baseline, 1 + t: tactic t's world). Every install row belongs to exactly one exposure
    world, so the worlds never write to the same place.

    A post's draws are keyed by its ``uid`` (its plan and its number in the plan), not by its
    place among all posts, so the standing posting draws the same whatever tactics exist.
    """
    n_worlds = x_tactic.shape[0]
    stats = np.zeros((n_worlds, 3), dtype=np.int64)
    for x in prange(n_worlds):
        edges, dropped, ranked = _feed_world(
            x, key, slot_key, t0, day, sess_agent, sess_time, sess_local_hour, sess_events,
            feed_items_mean, ad_load, cfg, n_posts, post_f, post_i, acc_ptr, acc_idx, fol_ptr,
            fol_idx, interests, x_tactic, x_paid_world, rows_ptr, rows, world_ptr, inst_account,
            wear, freq_total, seen[x], counters[x], inbox_post[x], inbox_time[x], inbox_depth[x],
            relation[x], brand_fade[x], followers_daily[x], app_available, install_odds,
            ep_ptr, ep_start, ep_end, intent_mult, install_hour_mult, delay_median_h,
            delay_sigma, paid_install_time, extra_install_time, paid_feed_time,
            paid_feed_share, extra_feed_time, extra_feed_share, tactic_views, tactic_driven,
        )  # fmt: skip
        stats[x, 0] = edges
        stats[x, 1] = dropped
        stats[x, 2] = ranked
    return stats


@njit(cache=True, parallel=True)
def run_boost_views(
    key, t, day, view_world, view_agent, view_post, cfg, post_f, post_i, acc_ptr, acc_idx,
    fol_ptr, fol_idx, interests, x_paid_world, world_ptr, inst_account, wear, freq_total,
    seen, counters, inbox_post, inbox_time, inbox_depth, relation, brand_fade, followers_daily,
):  # fmt: skip
    """Boosted posts: person ``view_agent[v]`` was shown post ``view_post[v]`` as an ad in
    exposure world ``view_world[v]`` during the slot. A first view of the post counts as a
    paid view and may bring a like, a share into the person's followers' inboxes (at ``t``,
    the slot's end: earned media), a follow or a hide; a person who hid the account ignores
    it. The ad's own clicks and installs are the auction's. Returns per world (share edges
    tried, shares dropped, first views)."""
    n_worlds = x_paid_world.shape[0]
    stats = np.zeros((n_worlds, 3), dtype=np.int64)
    for x in prange(n_worlds):
        rel, sn, cn = relation[x], seen[x], counters[x]
        for v in range(view_agent.shape[0]):
            if view_world[v] != x:
                continue
            i, p = view_agent[v], view_post[v]
            account = post_i[p, I_ACCOUNT]
            if rel[i, account] & HIDDEN or _seen(sn, p, i):
                continue
            sn[p, i >> 6] |= np.uint64(1) << np.uint64(i & 63)
            cn[p, P_PAID_VIEWS] += 1
            stats[x, 2] += 1
            follower = _follows(acc_ptr, acc_idx, rel, i, account)
            recent, _ = _paid_touch(
                x_paid_world[x], i, account, world_ptr, inst_account, wear, freq_total
            )
            tried, lost = _react(
                key, i, p, t, 0, follower, _holds(interests, i, post_i[p, I_TOPIC]), False, day,
                cfg, post_f, post_i, fol_ptr, fol_idx, inbox_post[x], inbox_time[x],
                inbox_depth[x], rel, brand_fade[x], followers_daily[x], cn, recent, True,
            )  # fmt: skip
            stats[x, 0] += tried
            stats[x, 1] += lost
    return stats


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
