"""Columnar recorder: one preallocated array per metric, indexed (slot, instance)."""

from __future__ import annotations

import numpy as np

from ..kernels.auction import SLOT_COUNTERS

__all__ = ["SlotRecorder"]


class SlotRecorder:
    """Per-slot, per-instance counters and spend; later features add columns, not rows."""

    def __init__(self, n_slots: int, n_instances: int) -> None:
        self.counts = {
            name: np.zeros((n_slots, n_instances), dtype=np.int64) for name in SLOT_COUNTERS
        }
        self.spend_sim_usd = np.zeros((n_slots, n_instances), dtype=np.float64)

    def record(self, slot: int, counters: np.ndarray, spend: np.ndarray) -> None:
        for c, name in enumerate(SLOT_COUNTERS):
            self.counts[name][slot] = counters[:, c]
        self.spend_sim_usd[slot] = spend

    def by_day(self, slots_per_day: int) -> dict[str, np.ndarray]:
        """Sum every column to (day, instance).

        Slots are added one at a time, in time order: numpy's pairwise reductions over a middle
        axis may change their rounding with the number of instances, and a strategy's floats
        must not depend on which other strategies share the run."""

        def daily(x: np.ndarray) -> np.ndarray:
            by_slot = x.reshape(-1, slots_per_day, x.shape[1])
            total = np.zeros_like(by_slot[:, 0, :])
            for h in range(slots_per_day):
                total += by_slot[:, h, :]
            return total

        out = {name: daily(v) for name, v in self.counts.items()}
        out["spend_sim_usd"] = daily(self.spend_sim_usd)
        return out
