"""A plain-Python reference for one slot of auctions: the yardstick for the numba kernel.

Written for reading, not speed: Python floats and lists, one ad slot at a time, the same
semantics as :func:`adsim.kernels.auction.run_slot` (it must return the same counters). The
throughput script times both on identical inputs and prints the ratio.
"""

from __future__ import annotations

import math

import numpy as np

from adsim.kernels.hashing import hash_uniform
from adsim.kernels.sessions import SALT, normal

__all__ = ["reference_slot"]


def reference_slot(**kw):
    """Same inputs and outputs as ``run_slot``; state arrays are updated in place."""
    n_inst = len(kw["inst_strategy"])
    counters = [[0] * 5 for _ in range(n_inst)]
    spend = [0.0] * n_inst
    max_price = [0.0] * n_inst
    key = kw["key"]
    ad_ptr = kw["ad_ptr"].tolist()
    agents, times, hours = (
        kw["sess_agent"].tolist(),
        kw["sess_time"].tolist(),
        kw["sess_local_hour"].tolist(),
    )
    comp = kw["comp_cpm"].tolist()
    noise = kw["est_noise"].astype(np.float64).tolist()
    strat_of = kw["inst_strategy"].tolist()
    world_ptr = kw["world_ptr"].tolist()
    seg, ctr0, p_install = kw["segment"], kw["ctr0"], kw["p_install"]
    freq_total, freq_window, install_time = kw["freq_total"], kw["freq_window"], kw["install_time"]
    decay, onset = kw["wear_decay"], kw["wear_onset"]

    def wear(prior: int) -> float:
        return 1.0 if prior <= onset else math.exp(-decay * (prior - onset))

    for w in range(len(world_ptr) - 1):
        members = range(world_ptr[w], world_ptr[w + 1])
        for k, i in enumerate(agents):
            t, lh = times[k], hours[k]
            installed = install_time[w, i] <= t  # fixed for the session (installs lag clicks)
            for a in range(ad_ptr[k], ad_ptr[k + 1]):
                floor_v = max(comp[a], kw["reserve_cpm"])
                bids = []  # (value, bid, instance)
                for j in members:
                    s = strat_of[j]
                    eligible = (
                        kw["active"][j] and kw["daypart"][s, lh] and seg[s, i] != 0
                        and not (kw["exclude_installed"][s] and installed)
                        and freq_window[j, i] < kw["freq_cap"][s]
                        and spend[j] < kw["budget_left"][j]
                    )  # fmt: skip
                    if not eligible:
                        continue
                    u = hash_uniform(key, a, SALT["pass"]) + kw["pass_offset"][j]
                    if u - math.floor(u) >= kw["throttle"][j]:
                        continue
                    counters[j][0] += 1
                    learning = 1 if kw["installs_total"][j] < kw["learning_installs"] else 0
                    est_ctr = float(ctr0[s, i]) * wear(int(freq_total[j, i])) * noise[learning][a]
                    kind = kw["bid_kind"][s]
                    if kind == 0:
                        bid = kw["bid_amount"][j]
                    elif kind == 1:
                        bid = kw["bid_amount"][j] * est_ctr * 1000.0
                    else:
                        p_i = 0.0 if installed else float(p_install[i])
                        est_cvr = min(1.0, p_i * noise[2 + learning][a])
                        bid = kw["bid_amount"][j] * est_ctr * est_cvr * 1000.0
                    bids.append((bid * kw["quality"][s], bid, j))
                if not bids:
                    continue
                # Highest value wins (first in order on ties); runner-up sets the second price.
                order = sorted(range(len(bids)), key=lambda n: (-bids[n][0], n))
                best_v, best_bid, j = bids[order[0]]
                if best_v <= floor_v:
                    continue
                runner_up = max([floor_v] + [bids[n][0] for n in order[1:]])
                s = strat_of[j]
                if kw["first_price"]:
                    price = best_bid / 1000.0
                else:
                    price = min(best_bid, runner_up / kw["quality"][s]) / 1000.0
                spend[j] += price
                max_price[j] = max(max_price[j], price)
                kw["spend_agent"][j, i] += price
                counters[j][1] += 1
                prior = int(freq_total[j, i])
                counters[j][4] += prior == 0
                freq_total[j, i] = min(prior + 1, 65535)
                freq_window[j, i] += 1
                if installed:
                    continue
                if t >= kw["last_view_t"][w, i]:
                    kw["last_view_t"][w, i], kw["last_view_inst"][w, i] = t, j
                if hash_uniform(key, a, SALT["click"]) >= float(ctr0[s, i]) * wear(prior):
                    continue
                counters[j][2] += 1
                if t >= kw["last_click_t"][w, i]:
                    kw["last_click_t"][w, i], kw["last_click_inst"][w, i] = t, j
                if hash_uniform(key, a, SALT["install"]) < float(p_install[i]):
                    delay = kw["delay_median_h"] * math.exp(
                        kw["delay_sigma"] * normal(key, a, SALT["delay"])
                    )
                    if t + delay < install_time[w, i]:
                        install_time[w, i] = t + delay
                        counters[j][3] += 1
    return np.array(counters, dtype=np.int64), np.array(spend), np.array(max_price)
