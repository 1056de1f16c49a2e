"""Breakdowns of a strategy's delivery by who was reached: age band, gender, region, device.

Computed once per replicate from per-person state at the end of the run (impressions per
person, spend per person, the credited strategy per install), so they cost no work in the
auction loop beyond accumulating spend per person.
"""

from __future__ import annotations

import numpy as np

from .params import Params
from .population import Population
from .scenario.common import GENDERS, OS_NAMES

__all__ = [
    "AGE_BANDS",
    "BREAKDOWN_METRICS",
    "DIMENSIONS",
    "age_band",
    "breakdowns",
    "group_labels",
    "scenario_age_bands",
]

# The platforms' usual reporting bands: (label, first age, last age). The optimiser's age
# feature uses them; breakdowns use the scenario's own bands (scenario_age_bands).
AGE_BANDS = (
    ("13-17", 13, 17), ("18-24", 18, 24), ("25-34", 25, 34), ("35-44", 35, 44),
    ("45-54", 45, 54), ("55-64", 55, 64), ("65+", 65, 200),
)  # fmt: skip
DIMENSIONS = ("age", "gender", "region", "device")
BREAKDOWN_METRICS = ("impressions", "reach", "spend_sim_usd", "installs")


def age_band(age: np.ndarray) -> np.ndarray:
    """Index into ``AGE_BANDS`` of each age."""
    return np.searchsorted(np.array([b[1] for b in AGE_BANDS]), age, side="right") - 1


def _age_bands(p: Params) -> list[tuple[int, int]]:
    """The scenario's own age bands, sorted by first age."""
    return sorted(set(zip(p.age_band_lo.tolist(), p.age_band_hi.tolist(), strict=True)))


def scenario_age_bands(p: Params, age: np.ndarray) -> tuple[np.ndarray, tuple[str, ...]]:
    """Index of each age into the scenario's own age bands (sorted by first age), and their
    labels: a breakdown shows the bands the population was built from, with no empty rows for
    ages nobody has. Where bands overlap, an age goes to the first band holding it."""
    group = np.full(age.shape, -1, dtype=np.int64)
    for k, (lo, hi) in enumerate(_age_bands(p)):
        group[(group < 0) & (age >= lo) & (age <= hi)] = k
    return group, group_labels(p, "age")


def group_labels(p: Params, by: str) -> tuple[str, ...]:
    """The groups of breakdown ``by`` for the scenario of ``p``, in output order."""
    if by == "age":
        return tuple(f"{lo}-{hi}" for lo, hi in _age_bands(p))
    if by == "gender":
        return GENDERS
    if by == "region":
        return p.region_names
    if by == "device":
        return OS_NAMES
    raise ValueError(f"unknown breakdown {by!r}; choose from {', '.join(DIMENSIONS)}")


def _groups(p: Params, pop: Population, by: str) -> tuple[np.ndarray, tuple[str, ...]]:
    if by == "age":
        return scenario_age_bands(p, pop.age)
    labels = group_labels(p, by)  # refuses an unknown dimension
    column = {"gender": pop.gender, "region": pop.region, "device": pop.device}[by]
    return column.astype(np.int64), labels


def breakdowns(
    p: Params,
    pop: Population,
    instances: np.ndarray,
    worlds: np.ndarray,
    freq_total: np.ndarray,
    spend_agent: np.ndarray,
    credit: np.ndarray,
) -> dict[str, tuple[tuple[str, ...], dict[str, np.ndarray]]]:
    """``{dimension: (group labels, {metric: (S, G) array})}`` for the reported instances.

    ``instances[s]`` is strategy s's reported instance and ``worlds[s]`` its world.
    """
    out = {}
    for by in DIMENSIONS:
        group, labels = _groups(p, pop, by)
        n_groups = len(labels)

        def per_group(weights: np.ndarray, g: np.ndarray = group, n: int = n_groups) -> np.ndarray:
            return np.bincount(g, weights=weights, minlength=n)

        metrics = {
            "impressions": np.stack([per_group(freq_total[j]) for j in instances]),
            "reach": np.stack([per_group(freq_total[j] > 0) for j in instances]),
            "spend_sim_usd": np.stack([per_group(spend_agent[j]) for j in instances]),
            "installs": np.stack(
                [per_group(credit[w] == j) for j, w in zip(instances, worlds, strict=True)]
            ),
        }
        out[by] = (labels, metrics)
    return out
