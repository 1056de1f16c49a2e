"""The platform's install-rate model: what it has observed, and what it predicts from it.

The model of strategy instance j predicts installs per click of person i as
``prior x m[j, 0] x prod(m[j, f] for the features f of i) x propensity_seen[i]``; the engine
refits the multipliers ``m`` from the installs it receives and the sums these kernels return
(see :mod:`adsim.engine.optimiser`).
Features are given per agent in CSR form (``feat_ptr``, ``feat_id``); feature 0 is the
intercept, which every agent has implicitly.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

__all__ = ["expected_by_cell", "pairs_to_csr", "predict_install_rates", "shown_agents"]

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
def expected_by_cell(agents, feat_ptr, feat_id, n_features, cvr_hat, exposure, learns, observable):
    """Per learning instance j and feature f: the installs j's current model expects from
    everyone it has shown an ad to (``exposure[j, i]``: the platform's expected clicks of i on
    j's ads, ``cvr_hat[j, i]``: its installs per click). Column 0 is the intercept (all of
    j's people: their installs reach it person by person or as SKAN counts); feature columns
    count only ``observable`` people (whose installs it can place in a cell). Only ``agents``
    (ascending ids: everyone shown an ad so far) are read. Simulated units."""
    n_inst = exposure.shape[0]
    n = agents.shape[0]
    # Agents in fixed chunks, each summing into its own slice (deterministic for any number
    # of threads); an agent's feature list is read once for all instances.
    n_chunks = min(_CHUNKS, max(1, n))
    exp_c = np.zeros((n_chunks, n_inst, n_features), dtype=np.float64)
    for c in prange(n_chunks):
        exp = exp_c[c]
        for p in range(c * n // n_chunks, (c + 1) * n // n_chunks):
            i = agents[p]
            for j in range(n_inst):
                x = exposure[j, i]
                if x <= 0.0 or not learns[j]:
                    continue
                pred = x * cvr_hat[j, i]
                exp[j, 0] += pred
                if not observable[i]:
                    continue
                for e in range(feat_ptr[i], feat_ptr[i + 1]):
                    exp[j, feat_id[e]] += pred
    expected = np.zeros((n_inst, n_features), dtype=np.float64)
    for c in range(n_chunks):
        expected += exp_c[c]
    return expected


@njit(cache=True, parallel=True)
def predict_install_rates(
    feat_ptr, feat_id, mult, prior, propensity_seen, learns, inst_strategy, segment, out
):
    """``out[j, i]`` = the platform's installs per click of person i for learning instance j
    (at most 1), in place, for the people in j's audience (no one else is ever scored):
    ``propensity_seen[i]`` is its estimate of how readily i installs apps at all."""
    n_inst = out.shape[0]
    n = out.shape[1]
    for i in prange(n):
        for j in range(n_inst):
            if not learns[j] or not segment[inst_strategy[j], i]:
                continue
            pred = mult[j, 0] * prior * propensity_seen[i]
            for e in range(feat_ptr[i], feat_ptr[i + 1]):
                pred *= mult[j, feat_id[e]]
            out[j, i] = min(1.0, pred)
