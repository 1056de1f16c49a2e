"""Named random streams derived from one seed.

Every random draw in adsim comes from a ``numpy.random.Generator`` obtained here by name, so a
stream's draws never depend on how much another stream consumed (adding a feature that draws
from a new stream does not shift existing results). Replicate ``r`` of a run with seed ``s``
uses the streams of ``SeedSequence(s, spawn_key=(r, crc32(name)))``; replicate 0 is the
single-run result.
"""

from __future__ import annotations

import zlib

import numpy as np

__all__ = ["Streams", "hash_key"]


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
