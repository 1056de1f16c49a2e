"""Counter-based random numbers for parallel kernels.

``hash_uniform(key, a, b)`` is a pure function of its arguments (SplitMix64's finaliser over a
mixed counter), so a ``prange`` loop gets the same draws whatever the thread schedule. The
``key`` comes from a named ``numpy.random.Generator`` stream (see :mod:`adsim.rng`).
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["hash_u64", "hash_uniform"]

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX_B = np.uint64(0xD1B54A32D192ED03)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30, _S27, _S31, _S11 = np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(11)
_INV_2_53 = 1.0 / 9007199254740992.0


@njit(cache=True, inline="always")
def hash_u64(key, a, b):
    x = np.uint64(key) + np.uint64(a) * _GOLDEN + np.uint64(b) * _MIX_B
    x = (x ^ (x >> _S30)) * _M1
    x = (x ^ (x >> _S27)) * _M2
    return x ^ (x >> _S31)


@njit(cache=True, inline="always")
def hash_uniform(key, a, b):
    """A uniform float in [0, 1) from 53 bits of ``hash_u64``."""
    return float(hash_u64(key, a, b) >> _S11) * _INV_2_53
