"""Named random streams derived from one seed.

Every random draw in adsim comes from a ``numpy.random.Generator`` obtained here by name, so a
stream's draws never depend on how much another stream consumed (adding a feature that draws
from a new stream does not shift existing results). Replicate ``r`` of a run with seed ``s``
uses the streams of ``SeedSequence(s, spawn_key=(r, crc32(name)))``; replicate 0 is the
single-run result.
"""

from __future__ import annotations

import zlib
from functools import cache
from statistics import NormalDist

import numpy as np

__all__ = ["NORMAL_TABLE_BITS", "Streams", "hash_key", "lognormal_table", "normal_quantiles"]

NORMAL_TABLE_BITS = 16


class Streams:
    """Factory of independent, reproducible generators keyed by name."""

    def __init__(self, seed: int, replicate: int = 0) -> None:
        self.seed = int(seed)
        self.replicate = int(replicate)

    def get(self, name: str, *sub: int) -> np.random.Generator:
        """Generator for stream ``name`` (optionally a numbered sub-stream, e.g. one per slot)."""
        key = (self.replicate, zlib.crc32(name.encode()), *(int(k) for k in sub))
        return np.random.Generator(
            np.random.PCG64(np.random.SeedSequence(self.seed, spawn_key=key))
        )

    def key(self, name: str, *sub: int) -> np.uint64:
        """A 64-bit key for the counter-based hash used inside parallel kernels."""
        return hash_key(self.get(name, *sub))


def hash_key(gen: np.random.Generator) -> np.uint64:
    return np.uint64(gen.integers(0, np.iinfo(np.uint64).max, dtype=np.uint64, endpoint=True))


@cache
def normal_quantiles(bits: int = NORMAL_TABLE_BITS) -> np.ndarray:
    """Standard-normal quantiles at the midpoints of 2**bits equal-probability cells.

    Indexed by ``bits`` random bits this is a normal draw discretised to 65,536 levels
    (|z| <= 4.5), which kernels turn into lognormal factors by one table lookup.
    """
    n = 1 << bits
    inv_cdf = NormalDist().inv_cdf
    return np.array([inv_cdf((k + 0.5) / n) for k in range(n)])


def lognormal_table(sigma: float, mean_one: bool = False) -> np.ndarray:
    """``exp(sigma z)`` over :func:`normal_quantiles` (median 1), or with mean 1."""
    z = normal_quantiles()
    return np.exp(sigma * z - (0.5 * sigma * sigma if mean_one else 0.0))
