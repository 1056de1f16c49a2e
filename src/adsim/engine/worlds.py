"""Parallel worlds and strategy instances.

Isolated mode (default): strategy s runs alone in world s; the world without it is the
organic-only world, shared by all (computed from the population, no kernel needed).
Shared mode: world 0 holds every strategy; world s+1 holds all but s, so incremental
installs of s are installs(world 0) - installs(world s+1) with the same random draws.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["WorldLayout"]

_GOLDEN_RATIO_FRAC = 0.6180339887498949


@dataclass(frozen=True)
class WorldLayout:
    inst_strategy: np.ndarray  # (I,) strategy index of each instance
    world_ptr: np.ndarray  # (W+1,) instances of world w: world_ptr[w]:world_ptr[w+1]
    reported: np.ndarray  # (S,) instance whose metrics are reported for strategy s
    without: np.ndarray  # (S,) world without s; -1 = the organic-only world
    pass_offset: np.ndarray  # (I,) shift of the shared throttle draw, see build()

    @property
    def n_worlds(self) -> int:
        return self.world_ptr.shape[0] - 1

    @property
    def n_instances(self) -> int:
        return self.inst_strategy.shape[0]

    def world_of(self) -> np.ndarray:
        return np.repeat(np.arange(self.n_worlds), np.diff(self.world_ptr))

    @classmethod
    def build(cls, n_strategies: int, shared: bool) -> WorldLayout:
        """Instances pass their pacing throttle when a shared uniform, shifted by
        ``pass_offset`` (mod 1), is below the throttle. Alone in its world an instance needs no
        shift, so identical strategies see identical draws; sharing a world, strategy s shifts
        by s x the golden ratio, so their throttles are not in lockstep, and s keeps the same
        shift in every world (common random numbers between 'with' and 'without' worlds)."""
        s_all = np.arange(n_strategies)
        if not shared or n_strategies == 1:
            return cls(
                s_all, np.arange(n_strategies + 1), s_all, np.full(n_strategies, -1),
                np.zeros(n_strategies),
            )  # fmt: skip
        members = [s_all] + [np.delete(s_all, s) for s in s_all]
        ptr = np.concatenate([[0], np.cumsum([m.size for m in members])])
        inst = np.concatenate(members)
        return cls(inst, ptr, s_all, s_all + 1, (inst * _GOLDEN_RATIO_FRAC) % 1.0)
