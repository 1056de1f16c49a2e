"""The ad-slot kernel: every auction of one time slot, in every parallel world.

Inputs are the slot's sessions with their ad slots and competing bids (kernels.sessions), and
the key of the slot's counter-based draws: every draw is a function of (key, ad slot, purpose),
so all worlds and strategies see the same draws (common random numbers). A *world* is a set of
strategy *instances* that compete with each other and with the rest of the market; worlds
share nothing but the draws, so ``prange`` over worlds is race-free and deterministic.

Per ad slot: each eligible instance (in flight, daypart, in segment, under its frequency cap
and slot budget, not yet shown in this feed session, passing its pacing throttle) has a value
= bid as eCPM x ad quality (Meta's published form). Bids per click or install are converted
with the platform's *estimates* (``est_ctr`` below and the learned ``cvr_hat``), never the
truth. One advertiser's instances never bid against each other: only its best-valued one
enters. The winner must beat the market's highest competing value and the reserve. Second
price: the winner pays what the runner-up's value requires; first price: its own bid. Billing
per impression, or per click (the price per click is the impression price / estimated CTR,
so it never exceeds a CPC bid).

The truth, which only the draws see: intended clicks at creative CTR x relevance x device x
wear-out x hour; accidental clicks that never install; installs after an intended click with
odds = store odds x fit x device x propensity x hour (x intent while in the market); and
installs caused by unclicked impressions (``view_effect``).

What the platform learns from (``feedback``): each impression's *expected* attributed installs
given everything true at that moment (installs its click or view causes, and the organic
installs of an in-market person that its attribution windows newly cover), with Poisson noise
drawn at the real scale: the ``scale`` real people an agent stands for each install on their
own, so the platform's data has the statistics of the real population however people are split
into agents (an agent's one realised install would arrive as ``scale`` installs at once).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from .hashing import hash_uniform
from .sessions import SALT, _poisson, normal

__all__ = [
    "SLOT_COUNTERS",
    "attribute_installs",
    "credited_touch",
    "episode_at",
    "in_market",
    "poisson_at",
    "run_slot",
    "wearout",
]

BID_MAX_CPM, BID_CPC = 0, 1  # see adsim.params; anything else bids a value per install
_PASS = SALT["pass"]
_CLICK, _INSTALL, _DELAY = SALT["click"], SALT["install"], SALT["delay"]
_FEEDBACK = SALT["feedback"]
# Above this mean a Poisson count is drawn from its normal approximation (error < 1%).
_POISSON_NORMAL = 30.0

# Columns of the per-instance slot counters returned by run_slot.
SLOT_COUNTERS = ("auctions", "impressions", "clicks", "installs_driven", "new_reach")
C_AUCTIONS, C_IMPRESSIONS, C_CLICKS, C_INSTALLS, C_NEW_REACH = range(5)


@njit(cache=True, inline="always")
def wearout(recent_impressions, onset, decay, floor):
    """Click-rate multiplier: 1 up to ``onset`` recent impressions, then decaying towards
    ``floor`` (the distance to the floor halves every ``log(2) / decay`` impressions)."""
    extra = recent_impressions - onset
    return 1.0 if extra <= 0 else floor + (1.0 - floor) * math.exp(-decay * extra)


@njit(cache=True, inline="always")
def in_market(ep_ptr, ep_start, ep_end, i, t):
    """Whether agent i is in an in-market episode at hour t."""
    for e in range(ep_ptr[i], ep_ptr[i + 1]):  # noqa: SIM110 (a generator is slow in numba)
        if ep_start[e] <= t < ep_end[e]:
            return True
    return False


@njit(cache=True, inline="always")
def episode_at(ep_ptr, ep_start, ep_end, i, t):
    """Index of agent i's in-market episode at hour t, -1 if none."""
    for e in range(ep_ptr[i], ep_ptr[i + 1]):
        if ep_start[e] <= t < ep_end[e]:
            return e
    return -1


@njit(cache=True)
def poisson_at(lam, key, a, salt):
    """A Poisson(lam) count from counter-based draws: inverse CDF for small means, the
    rounded normal approximation above ``_POISSON_NORMAL``."""
    if lam <= 0.0:
        return 0.0
    if lam <= _POISSON_NORMAL:
        return float(_poisson(lam, hash_uniform(key, a, salt)))
    return max(0.0, math.floor(lam + math.sqrt(lam) * normal(key, a, salt + 1) + 0.5))


@njit(cache=True, inline="always")
def _install_prob(install_odds, ep_ptr, ep_start, ep_end, intent_mult, hour_mult, i, t):
    odds = install_odds[i] * hour_mult
    if in_market(ep_ptr, ep_start, ep_end, i, t):
        odds *= intent_mult
    return odds / (1.0 + odds)


@njit(cache=True, parallel=True)
def run_slot(
    # this slot's sessions (from draw_sessions) and the key of its counter-based draws
    key, sess_agent, sess_time, sess_local_hour, ad_ptr, comp_cpm,
    # the platform and the app
    reserve_cpm, first_price, wear_onset, wear_decay, wear_floor, accidental_ctr,
    click_hour_mult, install_hour_mult, intent_mult, view_effect, view_delay_median_h,
    delay_median_h, delay_sigma,
    # per agent i (episodes in CSR), and the platform's view: features in CSR, intent signals
    install_odds, ctr_error, ep_ptr, ep_start, ep_end, ep_seen, organic_hazard_h,
    click_window_h, view_window_h, scale, feat_ptr, feat_id, n_features,
    # per agent i under iOS privacy: installs attributable to i, and i allows tracking in the
    # platform's own app (so it counts i's impressions in its person-level model)
    tracked, observable,
    # per strategy s (rows) and agent i (columns)
    segment, ctr0, daypart, exclude_installed, freq_cap, bid_kind, quality, bills_click,
    flight_start_h, flight_end_h,
    # per instance j; worlds own the instances world_ptr[w]:world_ptr[w+1]
    inst_strategy, inst_advertiser, world_ptr, active, bid_amount, throttle, pass_offset,
    budget_left, cvr_hat, intent_lift,
    # state, updated in place
    freq_total, freq_window, wear, exposure, signal_exposure, expected_installs, spend_agent,
    install_time,
    last_click_t, last_click_inst, last_view_t, last_view_inst,
):  # fmt: skip
    """Run one slot in place on the state arrays.

    Draws shared by every world: the competing eCPM per ad slot (from fill_sessions), and
    counter-based uniforms ``f(key, ad index, salt)`` drawn when needed. Returns counters
    (I, 5), spend (I,), the dearest single charge (I,), and the installs the platform will
    receive from this slot's impressions (I, F + 2), real installs: of impressions to people
    showing no in-market signal, column 0 all and column f those of people with feature f;
    column F those of impressions to people showing one (see the module docstring); column
    F + 1 those of people it cannot track, which reach it only as SKAN counts per campaign.
    """
    n_inst = inst_strategy.shape[0]
    n_worlds = world_ptr.shape[0] - 1
    counters = np.zeros((n_inst, 5), dtype=np.int64)
    slot_spend = np.zeros(n_inst, dtype=np.float64)
    max_price = np.zeros(n_inst, dtype=np.float64)
    feedback = np.zeros((n_inst, n_features + 2), dtype=np.float64)
    for w in prange(n_worlds):
        j_lo, j_hi = world_ptr[w], world_ptr[w + 1]
        m = j_hi - j_lo
        eligible = np.zeros(m, dtype=np.bool_)
        value = np.zeros(m, dtype=np.float64)  # this ad slot's bids (-1: none)
        session_value = np.zeros(m, dtype=np.float64)
        bid_cpm = np.zeros(m, dtype=np.float64)
        est_ctr = np.zeros(m, dtype=np.float64)
        for k in range(sess_agent.shape[0]):
            i = sess_agent[k]
            t = sess_time[k]
            lh = sess_local_hour[k]
            click_hour = click_hour_mult[lh]
            # What cannot change during the session is decided once: flight, daypart, audience,
            # install status (an install it triggers lands after a positive delay), and the
            # bid. An instance's frequency, wear-out and slot spend change only when it wins,
            # and then it has had its impression of the session.
            installed = install_time[w, i] <= t
            # The platform's view of intent: a visible in-market episode lifts its prediction
            # by the lift it has learnt for the instance.
            ep = episode_at(ep_ptr, ep_start, ep_end, i, t)
            signalled = ep >= 0 and ep_seen[ep]
            any_eligible = False
            for j in range(j_lo, j_hi):
                q = j - j_lo
                s = inst_strategy[j]
                ok = active[j] and flight_start_h[s] <= t < flight_end_h[s]
                ok = ok and daypart[s, lh] and segment[s, i] != 0
                ok = ok and not (exclude_installed[s] and installed)
                ok = ok and freq_window[j, i] < freq_cap[s] and slot_spend[j] < budget_left[j]
                eligible[q] = ok
                if not ok:
                    continue
                any_eligible = True
                kind = bid_kind[s]
                wear_mult = wearout(wear[j, i], wear_onset, wear_decay, wear_floor)
                e_ctr = (ctr0[s, i] * wear_mult * click_hour + accidental_ctr) * ctr_error[i]
                if kind == BID_MAX_CPM:
                    b = bid_amount[j]
                elif kind == BID_CPC:
                    b = bid_amount[j] * e_ctr * 1000.0
                else:  # a value per install x the platform's estimated installs/impression
                    lift = intent_lift[j] if signalled else 1.0
                    b = 0.0 if installed else bid_amount[j] * e_ctr * cvr_hat[j, i] * lift * 1000.0
                session_value[q] = b * quality[s]
                bid_cpm[q] = b
                est_ctr[q] = e_ctr
            if not any_eligible:
                continue
            for a in range(ad_ptr[k], ad_ptr[k + 1]):
                floor_v = max(comp_cpm[a], reserve_cpm)
                n_bids = 0
                for j in range(j_lo, j_hi):
                    q = j - j_lo
                    value[q] = -1.0
                    if not eligible[q]:
                        continue
                    if throttle[j] < 1.0:  # (at 1 every draw passes: no draw needed)
                        u = hash_uniform(key, a, _PASS) + pass_offset[j]
                        if u - math.floor(u) >= throttle[j]:
                            continue
                    value[q] = session_value[q]
                    n_bids += 1
                if n_bids == 0:
                    continue
                # Only an advertiser's best-valued instance enters (first on ties), and the
                # entrants rank by value; the runner-up sets the second price.
                best_v = -1.0
                best_j = -1
                second_v = floor_v
                for j in range(j_lo, j_hi):
                    q = j - j_lo
                    v = value[q]
                    if v < 0.0:
                        continue
                    if n_bids > 1:
                        beaten = False
                        for j2 in range(j_lo, j_hi):
                            v2 = value[j2 - j_lo]
                            if (
                                j2 != j
                                and inst_advertiser[j2] == inst_advertiser[j]
                                and (v2 > v or (v2 == v and j2 < j))
                            ):
                                beaten = True
                                break
                        if beaten:
                            continue
                    counters[j, C_AUCTIONS] += 1
                    if v > best_v:
                        second_v = max(second_v, best_v)
                        best_v, best_j = v, j
                    elif v > second_v:
                        second_v = v
                if best_j < 0 or best_v <= floor_v:
                    continue
                j = best_j
                q = j - j_lo
                s = inst_strategy[j]
                b = bid_cpm[q]
                price_cpm = b if first_price else min(b, second_v / quality[s])
                eligible[q] = False  # at most one impression per strategy per feed session
                counters[j, C_IMPRESSIONS] += 1
                prior = freq_total[j, i]
                if prior == 0:
                    counters[j, C_NEW_REACH] += 1
                if prior < 65535:
                    freq_total[j, i] = prior + 1
                freq_window[j, i] += 1
                wear_mult = wearout(wear[j, i], wear_onset, wear_decay, wear_floor)
                wear[j, i] += 1.0
                # The platform's expected clicks, kept apart for signalled impressions (which
                # teach it the intent lift, not the person's features).
                if signalled:
                    if observable[i]:  # what the intent lift is learnt against
                        signal_exposure[j] += est_ctr[q] * cvr_hat[j, i]
                    expected_installs[j] += est_ctr[q] * cvr_hat[j, i] * intent_lift[j]
                else:
                    exposure[j, i] += est_ctr[q]
                    expected_installs[j] += est_ctr[q] * cvr_hat[j, i]
                click_price = price_cpm / (1000.0 * est_ctr[q]) if est_ctr[q] > 0 else 0.0
                if not bills_click[s]:
                    price = price_cpm / 1000.0
                    slot_spend[j] += price
                    spend_agent[j, i] += price
                    max_price[j] = max(max_price[j], price)
                if installed:
                    continue  # no attribution or install after the person has the app
                p_c = ctr0[s, i] * wear_mult * click_hour
                p_i = _install_prob(
                    install_odds, ep_ptr, ep_start, ep_end, intent_mult, install_hour_mult[lh],
                    i, t,
                )  # fmt: skip
                # Expected attributed installs of this impression: caused by a click or by the
                # view, plus organic installs of an in-market person in the attribution time
                # it newly covers (the windows of earlier touches already cover the rest).
                p_any = p_c + accidental_ctr
                due = p_c * p_i * (1.0 + view_effect * max(0.0, 1.0 - p_any))
                if ep >= 0 and organic_hazard_h > 0.0:
                    covered = max(
                        last_click_t[w, i] + click_window_h, last_view_t[w, i] + view_window_h
                    )
                    start = max(t, covered)
                    end_c = min(t + click_window_h, ep_end[ep])
                    end_v = min(t + view_window_h, ep_end[ep])
                    due += organic_hazard_h * (
                        min(1.0, p_any) * max(0.0, end_c - start)
                        + max(0.0, 1.0 - p_any) * max(0.0, end_v - start)
                    )
                got = poisson_at(scale * due, key, a, _FEEDBACK)
                if got > 0.0 and not tracked[i]:
                    feedback[j, n_features + 1] += got  # SKAN: a count for the campaign
                elif got > 0.0 and signalled:
                    feedback[j, n_features] += got
                elif got > 0.0:
                    feedback[j, 0] += got
                    for e in range(feat_ptr[i], feat_ptr[i + 1]):
                        feedback[j, feat_id[e]] += got
                if t >= last_view_t[w, i]:
                    last_view_t[w, i] = t
                    last_view_inst[w, i] = j
                u = hash_uniform(key, a, _CLICK)
                if u >= p_c + accidental_ctr:  # no click: the impression may still cause one
                    p_view = view_effect * p_c * p_i
                    if p_view > 0.0 and hash_uniform(key, a, _INSTALL) < p_view:
                        delay = view_delay_median_h * math.exp(delay_sigma * normal(key, a, _DELAY))
                        if t + delay < install_time[w, i]:
                            install_time[w, i] = t + delay
                            counters[j, C_INSTALLS] += 1
                    continue
                counters[j, C_CLICKS] += 1
                if bills_click[s]:
                    slot_spend[j] += click_price
                    spend_agent[j, i] += click_price
                    max_price[j] = max(max_price[j], click_price)
                if t >= last_click_t[w, i]:
                    last_click_t[w, i] = t
                    last_click_inst[w, i] = j
                if u >= p_c:
                    continue  # an accidental click: the store page is closed at once
                if hash_uniform(key, a, _INSTALL) < p_i:
                    delay = delay_median_h * math.exp(delay_sigma * normal(key, a, _DELAY))
                    if t + delay < install_time[w, i]:
                        install_time[w, i] = t + delay
                        counters[j, C_INSTALLS] += 1
    return counters, slot_spend, max_price, feedback


@njit(cache=True, inline="always")
def credited_touch(w, i, t_inst, last_click_t, last_click_inst, last_view_t, last_view_inst,
                   click_window_h, view_window_h):  # fmt: skip
    """Last-touch credit of an install at ``t_inst`` in world w: ``(instance, by_click)`` for
    the last click within the click window, else the last impression within the view window;
    instance -1 for none."""
    jc = last_click_inst[w, i]
    if jc >= 0 and t_inst - last_click_t[w, i] <= click_window_h:
        return jc, True
    jv = last_view_inst[w, i]
    if jv >= 0 and t_inst - last_view_t[w, i] <= view_window_h:
        return jv, False
    return -1, False


@njit(cache=True, parallel=True)
def attribute_installs(
    install_time, last_click_t, last_click_inst, last_view_t, last_view_inst,
    world_ptr, click_window_h, view_window_h, horizon_h, n_days,
):  # fmt: skip
    """Installs per world and day, and last-touch attributed installs per instance and day.

    An install at T in [0, horizon) is credited to the instance of the last click within
    ``click_window_h`` before T, else of the last impression within ``view_window_h``. Touches
    after an install are never recorded (see run_slot), so the stored last touch is the last
    one before T. Returns ``(world_installs (W, D), click_attr (I, D), view_attr (I, D),
    credit (W, N))`` where ``credit`` is the credited instance per person, -1 for none.
    """
    n_worlds = install_time.shape[0]
    n_agents = install_time.shape[1]
    n_inst = world_ptr[n_worlds]
    world_installs = np.zeros((n_worlds, n_days), dtype=np.int64)
    click_attr = np.zeros((n_inst, n_days), dtype=np.int64)
    view_attr = np.zeros((n_inst, n_days), dtype=np.int64)
    credit = np.full((n_worlds, n_agents), -1, dtype=np.int16)
    for w in prange(n_worlds):
        for i in range(n_agents):
            t_inst = install_time[w, i]
            if not (0.0 <= t_inst < horizon_h):
                continue
            d = min(int(t_inst // 24.0), n_days - 1)
            world_installs[w, d] += 1
            j, by_click = credited_touch(
                w, i, t_inst, last_click_t, last_click_inst, last_view_t, last_view_inst,
                click_window_h, view_window_h,
            )  # fmt: skip
            if j < 0:
                continue
            credit[w, i] = j
            if by_click:
                click_attr[j, d] += 1
            else:
                view_attr[j, d] += 1
    return world_installs, click_attr, view_attr, credit
