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

__all__ = ["observed_and_expected", "predict_install_rates"]


@njit(cache=True, parallel=True)
def observed_and_expected(
    feat_ptr, feat_id, n_features, mult, prior, install_error, exposure, learns, world_ptr,
    install_time, last_click_t, last_click_inst, last_view_t, last_view_inst,
    click_window_h, view_window_h, reported_before_h,
):  # fmt: skip
    """Per learning instance j and feature f: installs reported to the platform (``observed``)
    and the installs its current model expected from the same clicks (``expected``), over
    everyone j has shown an ad to. ``exposure[j, i]`` is the platform's expected clicks of i on
    j's ads; an install counts once it happened before ``reported_before_h`` and is credited
    to j. Column 0 is the intercept (all of j's people). Simulated units."""
    n_inst = exposure.shape[0]
    n = exposure.shape[1]
    n_worlds = world_ptr.shape[0] - 1
    observed = np.zeros((n_inst, n_features), dtype=np.float64)
    expected = np.zeros((n_inst, n_features), dtype=np.float64)
    for w in prange(n_worlds):
        for i in range(n):
            t_inst = install_time[w, i]
            credit = -1
            if 0.0 <= t_inst < reported_before_h:
                credit = credited_touch(
                    w, i, t_inst, last_click_t, last_click_inst, last_view_t, last_view_inst,
                    click_window_h, view_window_h,
                )[0]  # fmt: skip
            for j in range(world_ptr[w], world_ptr[w + 1]):
                x = exposure[j, i]
                if not learns[j] or x <= 0.0:
                    continue
                pred = mult[j, 0]
                for e in range(feat_ptr[i], feat_ptr[i + 1]):
                    pred *= mult[j, feat_id[e]]
                pred *= x * prior * install_error[i]
                obs = 1.0 if credit == j else 0.0
                expected[j, 0] += pred
                observed[j, 0] += obs
                for e in range(feat_ptr[i], feat_ptr[i + 1]):
                    f = feat_id[e]
                    expected[j, f] += pred
                    observed[j, f] += obs
    return observed, expected


@njit(cache=True, parallel=True)
def predict_install_rates(feat_ptr, feat_id, mult, prior, install_error, learns, out):
    """``out[j, i]`` = the platform's installs per click of person i for learning instance j
    (at most 1), in place."""
    n_inst = out.shape[0]
    n = out.shape[1]
    for i in prange(n):
        for j in range(n_inst):
            if not learns[j]:
                continue
            pred = mult[j, 0] * prior * install_error[i]
            for e in range(feat_ptr[i], feat_ptr[i + 1]):
                pred *= mult[j, feat_id[e]]
            out[j, i] = min(1.0, pred)
