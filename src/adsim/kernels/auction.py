"""The ad-slot kernel: every auction of one time slot, in every parallel world.

Inputs are the slot's sessions with their ad slots and competing bids (kernels.sessions), and
the key of the slot's counter-based draws: every draw is a function of (key, ad slot, purpose),
so all worlds and strategies see the same draws (common random numbers). A *world* is a set of
strategy *instances* that compete with each other and with the rest of the market; worlds
share nothing but the draws, so ``prange`` over worlds is race-free and deterministic.

Per ad slot: each eligible instance (in flight, daypart, in segment, under its frequency cap
and slot budget, passing its pacing throttle) enters a bid; instances rank by total value =
bid as eCPM x ad quality (Meta's published form; the estimated action rates sit inside the
bid). The winner must beat the market's highest competing value and the reserve. Second
price: the winner pays the value of the runner-up (market, reserve or another instance)
divided by its quality; first price: its own bid. Billing is per impression.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from .hashing import hash_uniform
from .sessions import SALT, normal

__all__ = ["SLOT_COUNTERS", "attribute_installs", "run_slot", "wearout"]

BID_MAX_CPM, BID_CPC = 0, 1  # see adsim.params; target CPI and auto bid per install
_PASS = SALT["pass"]
_CLICK, _INSTALL, _DELAY = SALT["click"], SALT["install"], SALT["delay"]

# Columns of the per-instance slot counters returned by run_slot.
SLOT_COUNTERS = ("auctions", "impressions", "clicks", "installs_driven", "new_reach")
C_AUCTIONS, C_IMPRESSIONS, C_CLICKS, C_INSTALLS, C_NEW_REACH = range(5)


@njit(cache=True, inline="always")
def wearout(prior_impressions, onset, decay):
    """Click-rate multiplier: 1 up to ``onset`` earlier impressions, then exponential decay."""
    extra = prior_impressions - onset
    return 1.0 if extra <= 0 else math.exp(-decay * extra)


@njit(cache=True, parallel=True)
def run_slot(
    # this slot's sessions (from draw_sessions) and the key of its counter-based draws
    key, sess_agent, sess_time, sess_local_hour, ad_ptr, comp_cpm, est_noise,
    # the platform
    reserve_cpm, first_price, learning_installs,
    wear_onset, wear_decay, delay_median_h, delay_sigma,
    # per strategy s (rows) and agent i (columns)
    segment, ctr0, p_install, daypart, exclude_installed, freq_cap, bid_kind, quality,
    # per instance j; worlds own the instances world_ptr[w]:world_ptr[w+1]
    inst_strategy, world_ptr, active, bid_amount, throttle, pass_offset, budget_left,
    installs_total,
    # state, updated in place
    freq_total, freq_window, spend_agent, install_time,
    last_click_t, last_click_inst, last_view_t, last_view_inst,
):  # fmt: skip
    """Run one slot in place on the state arrays.

    Draws shared by every world: the competing eCPM and estimation noise per ad slot (from
    fill_sessions), and counter-based uniforms ``f(key, ad index, salt)`` drawn when needed.
    Returns counters (I, 5), spend (I,) and the dearest single impression (I,).
    """
    n_inst = inst_strategy.shape[0]
    n_worlds = world_ptr.shape[0] - 1
    counters = np.zeros((n_inst, 5), dtype=np.int64)
    slot_spend = np.zeros(n_inst, dtype=np.float64)
    max_price = np.zeros(n_inst, dtype=np.float64)
    for w in prange(n_worlds):
        j_lo, j_hi = world_ptr[w], world_ptr[w + 1]
        eligible = np.zeros(j_hi - j_lo, dtype=np.bool_)
        for k in range(sess_agent.shape[0]):
            i = sess_agent[k]
            t = sess_time[k]
            lh = sess_local_hour[k]
            # What cannot change during the session is decided once: flight, daypart, audience
            # and install status (an install it triggers lands after a positive delay).
            installed = install_time[w, i] <= t
            any_eligible = False
            for j in range(j_lo, j_hi):
                s = inst_strategy[j]
                ok = active[j] and daypart[s, lh] and segment[s, i] != 0
                ok = ok and not (exclude_installed[s] and installed)
                eligible[j - j_lo] = ok
                any_eligible = any_eligible or ok
            if not any_eligible:
                continue
            for a in range(ad_ptr[k], ad_ptr[k + 1]):
                floor_v = max(comp_cpm[a], reserve_cpm)
                best_v = -1.0
                best_j = -1
                best_bid = 0.0
                second_v = floor_v
                for j in range(j_lo, j_hi):
                    s = inst_strategy[j]
                    if not eligible[j - j_lo]:
                        continue
                    if freq_window[j, i] >= freq_cap[s] or slot_spend[j] >= budget_left[j]:
                        continue
                    u = hash_uniform(key, a, _PASS) + pass_offset[j]
                    if u - math.floor(u) >= throttle[j]:
                        continue
                    counters[j, C_AUCTIONS] += 1
                    kind = bid_kind[s]
                    if kind == BID_MAX_CPM:
                        bid = bid_amount[j]
                    else:
                        learning = 1 if installs_total[j] < learning_installs else 0
                        p_c = ctr0[s, i] * wearout(freq_total[j, i], wear_onset, wear_decay)
                        est_ctr = p_c * est_noise[learning, a]
                        if kind == BID_CPC:
                            bid = bid_amount[j] * est_ctr * 1000.0
                        else:
                            p_i = 0.0 if installed else p_install[i]
                            est_cvr = min(1.0, p_i * est_noise[2 + learning, a])
                            bid = bid_amount[j] * est_ctr * est_cvr * 1000.0
                    v = bid * quality[s]
                    if v > best_v:
                        second_v = max(second_v, best_v)
                        best_v, best_j, best_bid = v, j, bid
                    elif v > second_v:
                        second_v = v
                if best_j < 0 or best_v <= floor_v:
                    continue
                j = best_j
                s = inst_strategy[j]
                price = (best_bid if first_price else min(best_bid, second_v / quality[s])) / 1000.0
                slot_spend[j] += price
                max_price[j] = max(max_price[j], price)
                spend_agent[j, i] += price
                counters[j, C_IMPRESSIONS] += 1
                prior = freq_total[j, i]
                if prior == 0:
                    counters[j, C_NEW_REACH] += 1
                if prior < 65535:
                    freq_total[j, i] = prior + 1
                freq_window[j, i] += 1
                if installed:
                    continue  # no attribution or install after the person has the app
                if t >= last_view_t[w, i]:
                    last_view_t[w, i] = t
                    last_view_inst[w, i] = j
                p_c = ctr0[s, i] * wearout(prior, wear_onset, wear_decay)
                if hash_uniform(key, a, _CLICK) >= p_c:
                    continue
                counters[j, C_CLICKS] += 1
                if t >= last_click_t[w, i]:
                    last_click_t[w, i] = t
                    last_click_inst[w, i] = j
                if hash_uniform(key, a, _INSTALL) < p_install[i]:
                    delay = delay_median_h * math.exp(delay_sigma * normal(key, a, _DELAY))
                    if t + delay < install_time[w, i]:
                        install_time[w, i] = t + delay
                        counters[j, C_INSTALLS] += 1
    return counters, slot_spend, max_price


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
            jc = last_click_inst[w, i]
            if jc >= 0 and t_inst - last_click_t[w, i] <= click_window_h:
                click_attr[jc, d] += 1
                credit[w, i] = jc
                continue
            jv = last_view_inst[w, i]
            if jv >= 0 and t_inst - last_view_t[w, i] <= view_window_h:
                view_attr[jv, d] += 1
                credit[w, i] = jv
    return world_installs, click_attr, view_attr, credit
