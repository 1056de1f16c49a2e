"""The platform's install-rate model: what it has observed, and what it predicts from it.

The model of strategy instance j predicts installs per click of person i as
``prior x m[j, 0] x prod(m[j, f] for the features f of i) x error[i]``; the engine refits the
multipliers ``m`` from the sums these kernels return (see :mod:`adsim.engine.optimiser`).
Features are given per agent in CSR form (``feat_ptr``, ``feat_id``); feature 0 is the
intercept, which every agent has implicitly.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from .auction import credited_touch

__all__ = ["observed_and_expected", "pairs_to_csr", "predict_install_rates", "shown_agents"]

_CHUNKS = 64  # agent chunks of observed_and_expected


@njit(cache=True)
def pairs_to_csr(rows, cols, n_rows):
    """CSR ``(ptr, cols)`` of (row, col) pairs, each row's columns in input order."""
    ptr = np.zeros(n_rows + 1, dtype=np.int64)
    for r in rows:
        ptr[r + 1] += 1
    for r in range(n_rows):
        ptr[r + 1] += ptr[r]
    fill = ptr[:-1].copy()
    out = np.empty(rows.shape[0], dtype=np.int32)
    for e in range(rows.shape[0]):
        r = rows[e]
        out[fill[r]] = cols[e]
        fill[r] += 1
    return ptr, out


@njit(cache=True)
def shown_agents(exposure):
    """Ascending ids of the agents with exposure to any instance (everyone shown an ad)."""
    n_inst, n = exposure.shape
    keep = np.zeros(n, dtype=np.bool_)
    for j in range(n_inst):
        row = exposure[j]
        for i in range(n):
            if row[i] > 0.0:
                keep[i] = True
    return np.flatnonzero(keep)


@njit(cache=True, parallel=True)
def observed_and_expected(
    agents, feat_ptr, feat_id, n_features, cvr_hat, exposure, learns, world_ptr, install_time,
    last_click_t, last_click_inst, last_view_t, last_view_inst, click_window_h, view_window_h,
    reported_before_h,
):  # fmt: skip
    """Per learning instance j and feature f: installs reported to the platform (``observed``)
    and the installs its current model expected from the same clicks (``expected``), over
    everyone j has shown an ad to. ``exposure[j, i]`` is the platform's expected clicks of i on
    j's ads and ``cvr_hat[j, i]`` its installs per click; an install counts once it happened
    before ``reported_before_h`` and is credited to j. Column 0 is the intercept (all of j's
    people). Only ``agents`` (ascending ids: everyone shown an ad so far) are read.
    Simulated units."""
    n_inst = exposure.shape[0]
    n = agents.shape[0]
    n_worlds = world_ptr.shape[0] - 1
    # Agents in fixed chunks, each summing into its own slice (deterministic for any number
    # of threads); an agent's feature list is read once for all instances.
    n_chunks = min(_CHUNKS, max(1, n))
    obs_c = np.zeros((n_chunks, n_inst, n_features), dtype=np.float64)
    exp_c = np.zeros((n_chunks, n_inst, n_features), dtype=np.float64)
    for c in prange(n_chunks):
        obs, exp = obs_c[c], exp_c[c]
        for p in range(c * n // n_chunks, (c + 1) * n // n_chunks):
            i = agents[p]
            for w in range(n_worlds):
                credit = -2  # not looked up yet: only people shown an ad can be credited
                for j in range(world_ptr[w], world_ptr[w + 1]):
                    x = exposure[j, i]
                    if x <= 0.0 or not learns[j]:
                        continue
                    if credit == -2:
                        credit = -1
                        t_inst = install_time[w, i]
                        if 0.0 <= t_inst < reported_before_h:
                            credit = credited_touch(
                                w, i, t_inst, last_click_t, last_click_inst, last_view_t,
                                last_view_inst, click_window_h, view_window_h,
                            )[0]  # fmt: skip
                    pred = x * cvr_hat[j, i]
                    o = 1.0 if credit == j else 0.0
                    exp[j, 0] += pred
                    obs[j, 0] += o
                    for e in range(feat_ptr[i], feat_ptr[i + 1]):
                        f = feat_id[e]
                        exp[j, f] += pred
                        obs[j, f] += o
    observed = np.zeros((n_inst, n_features), dtype=np.float64)
    expected = np.zeros((n_inst, n_features), dtype=np.float64)
    for c in range(n_chunks):
        observed += obs_c[c]
        expected += exp_c[c]
    return observed, expected


@njit(cache=True, parallel=True)
def predict_install_rates(
    feat_ptr, feat_id, mult, prior, install_error, learns, inst_strategy, segment, out
):
    """``out[j, i]`` = the platform's installs per click of person i for learning instance j
    (at most 1), in place, for the people in j's audience (no one else is ever scored)."""
    n_inst = out.shape[0]
    n = out.shape[1]
    for i in prange(n):
        for j in range(n_inst):
            if not learns[j] or not segment[inst_strategy[j], i]:
                continue
            pred = mult[j, 0] * prior * install_error[i]
            for e in range(feat_ptr[i], feat_ptr[i + 1]):
                pred *= mult[j, feat_id[e]]
            out[j, i] = min(1.0, pred)
