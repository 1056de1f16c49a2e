"""The points of a sweep: a grid, a list, or random / Latin-hypercube samples of ranges.

Draws come from a generator seeded by the sweep's seed, so the same spec gives the same points.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..scenario.sweep import ParameterRange

__all__ = ["design_points", "latin_hypercube"]


def latin_hypercube(n: int, dims: int, rng: np.random.Generator) -> np.ndarray:
    """(n, dims) points in [0, 1): each dimension's n values fall one in each of n equal
    strata, the strata paired at random across dimensions (McKay, Beckman & Conover 1979)."""
    u = rng.random((n, dims))
    strata = np.stack([rng.permutation(n) for _ in range(dims)], axis=1)
    return (strata + u) / n


def design_points(
    design: str,
    parameters: Mapping[str, Sequence[Any] | ParameterRange],
    points: Sequence[Mapping[str, Any]] = (),
    samples: int | None = None,
    seed: int = 0,
) -> list[dict[str, Any]]:
    """The sweep's points, each a mapping of parameter path -> value, in a fixed order."""
    if design == "points":
        return [dict(p) for p in points]
    names = list(parameters)
    if design == "grid":
        axes = [v if not isinstance(v, ParameterRange) else v.grid() for v in parameters.values()]
        return [dict(zip(names, combo, strict=True)) for combo in itertools.product(*axes)]
    if samples is None:
        raise ValueError(f"design {design}: samples is required")
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(0x5EE9,))))
    if design == "lhs":
        u = latin_hypercube(samples, len(names), rng)
    elif design == "random":
        u = rng.random((samples, len(names)))
    else:
        raise ValueError(f"unknown design {design!r}")
    out = []
    for row in u:
        point = {}
        for name, q in zip(names, row, strict=True):
            values = parameters[name]
            if isinstance(values, ParameterRange):
                point[name] = values.at(float(q))
            else:  # a list under the random design: each value equally likely
                point[name] = values[min(len(values) - 1, int(q * len(values)))]
        out.append(point)
    return out
