"""A plain-Python reference for one slot of auctions: the yardstick for the numba kernel.

Written for reading, not speed: Python floats and lists, one ad slot at a time, the same
semantics as :func:`adsim.kernels.auction.run_slot` (it must return the same counters). The
throughput script times both on identical inputs and prints the ratio.
"""

from __future__ import annotations

import math

import numpy as np

from adsim.kernels.auction import poisson_at
from adsim.kernels.hashing import hash_uniform
from adsim.kernels.sessions import SALT, normal

__all__ = ["reference_slot"]


def reference_slot(**kw):
    """Same inputs and outputs as ``run_slot``; state arrays are updated in place."""
    n_inst = len(kw["inst_strategy"])
    counters = [[0] * 5 for _ in range(n_inst)]
    spend = [0.0] * n_inst
    max_price = [0.0] * n_inst
    feedback = np.zeros((n_inst, kw["n_features"] + 2))
    key = kw["key"]
    ad_ptr = kw["ad_ptr"].tolist()
    agents, times, hours = (
        kw["sess_agent"].tolist(),
        kw["sess_time"].tolist(),
        kw["sess_local_hour"].tolist(),
    )
    comp = kw["comp_cpm"].tolist()
    strat_of = kw["inst_strategy"].tolist()
    advertiser = kw["inst_advertiser"].tolist()
    world_ptr = kw["world_ptr"].tolist()
    seg, ctr0, cvr_hat = kw["segment"], kw["ctr0"], kw["cvr_hat"]
    freq_total, freq_window, install_time = kw["freq_total"], kw["freq_window"], kw["install_time"]
    wear = kw["wear"]
    onset, decay, floor = kw["wear_onset"], kw["wear_decay"], kw["wear_floor"]
    accidental = kw["accidental_ctr"]
    ep_ptr, ep_start, ep_end = kw["ep_ptr"], kw["ep_start"], kw["ep_end"]
    cw, vw, hazard = kw["click_window_h"], kw["view_window_h"], kw["organic_hazard_h"]

    def episode(i: int, t: float) -> int:
        return next(
            (e for e in range(ep_ptr[i], ep_ptr[i + 1]) if ep_start[e] <= t < ep_end[e]), -1
        )

    def wear_mult(recent: float) -> float:
        extra = recent - onset
        return 1.0 if extra <= 0 else floor + (1.0 - floor) * math.exp(-decay * extra)

    def p_install(i: int, t: float, lh: int) -> float:
        odds = float(kw["install_odds"][i]) * kw["install_hour_mult"][lh]
        if any(ep_start[e] <= t < ep_end[e] for e in range(ep_ptr[i], ep_ptr[i + 1])):
            odds *= kw["intent_mult"]
        return odds / (1.0 + odds)

    def install(w: int, i: int, j: int, t: float, a: int, median_h: float) -> None:
        delay = median_h * math.exp(kw["delay_sigma"] * normal(key, a, SALT["delay"]))
        if t + delay < install_time[w, i]:
            install_time[w, i] = t + delay
            counters[j][3] += 1

    for w in range(len(world_ptr) - 1):
        members = range(world_ptr[w], world_ptr[w + 1])
        for k, i in enumerate(agents):
            t, lh = times[k], hours[k]
            installed = install_time[w, i] <= t  # fixed for the session (installs lag clicks)
            ep = episode(i, t)
            signalled = ep >= 0 and kw["ep_seen"][ep]
            shown = set()  # instances already shown in this session
            for a in range(ad_ptr[k], ad_ptr[k + 1]):
                floor_v = max(comp[a], kw["reserve_cpm"])
                bids = {}  # instance -> (value, bid cpm, estimated ctr)
                for j in members:
                    s = strat_of[j]
                    eligible = (
                        kw["active"][j]
                        and kw["flight_start_h"][s] <= t < kw["flight_end_h"][s]
                        and kw["daypart"][s, lh]
                        and seg[s, i] != 0
                        and not (kw["exclude_installed"][s] and installed) and j not in shown
                        and freq_window[j, i] < kw["freq_cap"][s]
                        and spend[j] < kw["budget_left"][j]
                    )  # fmt: skip
                    if not eligible:
                        continue
                    u = hash_uniform(key, a, SALT["pass"]) + kw["pass_offset"][j]
                    if u - math.floor(u) >= kw["throttle"][j]:
                        continue
                    est_ctr = (
                        float(ctr0[s, i]) * wear_mult(float(wear[j, i])) * kw["click_hour_mult"][lh]
                        + accidental
                    ) * float(kw["ctr_error"][i])
                    kind = kw["bid_kind"][s]
                    if kind == 0:
                        bid = kw["bid_amount"][j]
                    elif kind == 1:
                        bid = kw["bid_amount"][j] * est_ctr * 1000.0
                    else:
                        rate = 0.0 if installed else float(cvr_hat[j, i])
                        lift = kw["intent_lift"][j] if signalled else 1.0
                        bid = kw["bid_amount"][j] * est_ctr * rate * lift * 1000.0
                    bids[j] = (bid * kw["quality"][s], bid, est_ctr)
                # Each advertiser enters its best-valued instance (the first on ties).
                entrants = [
                    j for j in bids
                    if not any(
                        advertiser[o] == advertiser[j]
                        and (bids[o][0] > bids[j][0] or (bids[o][0] == bids[j][0] and o < j))
                        for o in bids if o != j
                    )
                ]  # fmt: skip
                for j in entrants:
                    counters[j][0] += 1
                if not entrants:
                    continue
                order = sorted(entrants, key=lambda j: (-bids[j][0], j))
                j = order[0]
                best_v, bid, est_ctr = bids[j]
                if best_v <= floor_v:
                    continue
                runner_up = max([floor_v] + [bids[o][0] for o in order[1:]])
                s = strat_of[j]
                price_cpm = bid if kw["first_price"] else min(bid, runner_up / kw["quality"][s])
                shown.add(j)
                counters[j][1] += 1
                prior = int(freq_total[j, i])
                counters[j][4] += prior == 0
                freq_total[j, i] = min(prior + 1, 65535)
                freq_window[j, i] += 1
                wm = wear_mult(float(wear[j, i]))
                wear[j, i] += 1.0
                if signalled:  # teaches the intent lift, not the person's features
                    if kw["observable"][i]:
                        kw["signal_exposure"][j] += est_ctr * float(cvr_hat[j, i])
                    kw["expected_installs"][j] += (
                        est_ctr * float(cvr_hat[j, i]) * kw["intent_lift"][j]
                    )
                else:
                    kw["exposure"][j, i] += est_ctr
                    kw["expected_installs"][j] += est_ctr * float(cvr_hat[j, i])
                bills_click = kw["bills_click"][s]
                charge = price_cpm / (1000.0 * est_ctr) if bills_click else price_cpm / 1000.0
                if not bills_click:
                    spend[j] += charge
                    kw["spend_agent"][j, i] += charge
                    max_price[j] = max(max_price[j], charge)
                if installed:
                    continue
                p_c = float(ctr0[s, i]) * wm * kw["click_hour_mult"][lh]
                # What the platform is told: expected attributed installs, noisy at real scale.
                p_any = p_c + accidental
                due = p_c * p_install(i, t, lh) * (1 + kw["view_effect"] * max(0.0, 1 - p_any))
                if ep >= 0 and hazard > 0:
                    start = max(t, kw["last_click_t"][w, i] + cw, kw["last_view_t"][w, i] + vw)
                    due += hazard * (
                        min(1.0, p_any) * max(0.0, min(t + cw, ep_end[ep]) - start)
                        + max(0.0, 1 - p_any) * max(0.0, min(t + vw, ep_end[ep]) - start)
                    )
                got = poisson_at(kw["scale"] * due, key, a, SALT["feedback"])
                if got > 0 and not kw["tracked"][i]:
                    feedback[j, kw["n_features"] + 1] += got
                elif got > 0 and signalled:
                    feedback[j, kw["n_features"]] += got
                elif got > 0:
                    feedback[j, 0] += got
                    for e in range(kw["feat_ptr"][i], kw["feat_ptr"][i + 1]):
                        feedback[j, kw["feat_id"][e]] += got
                if t >= kw["last_view_t"][w, i]:
                    kw["last_view_t"][w, i], kw["last_view_inst"][w, i] = t, j
                u = hash_uniform(key, a, SALT["click"])
                if u >= p_c + accidental:
                    p_view = kw["view_effect"] * p_c * p_install(i, t, lh)
                    if kw["view_effect"] > 0 and hash_uniform(key, a, SALT["install"]) < p_view:
                        install(w, i, j, t, a, kw["view_delay_median_h"])
                    continue
                counters[j][2] += 1
                if bills_click:
                    spend[j] += charge
                    kw["spend_agent"][j, i] += charge
                    max_price[j] = max(max_price[j], charge)
                if t >= kw["last_click_t"][w, i]:
                    kw["last_click_t"][w, i], kw["last_click_inst"][w, i] = t, j
                if u < p_c and hash_uniform(key, a, SALT["install"]) < p_install(i, t, lh):
                    install(w, i, j, t, a, kw["delay_median_h"])
    return np.array(counters, dtype=np.int64), np.array(spend), np.array(max_price), feedback
