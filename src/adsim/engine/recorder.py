"""Columnar recorder: one preallocated array per metric, indexed (slot, instance)."""

from __future__ import annotations

import numpy as np

from ..kernels.auction import SLOT_COUNTERS

__all__ = ["INSTALL_SOURCES", "SlotRecorder", "install_sources"]

# What caused the installs of a world within the horizon: ads (an ad's click or view set the
# install time), brand posts and shares (an organic post's link, seen directly or through a
# share), baseline (people who would install with no ads and no posts); and how many installs
# credited to the strategy its ads did not cause (attribution's overstatement).
INSTALL_SOURCES = ("ads", "brand_posts", "shares", "baseline", "credited_not_caused")


class SlotRecorder:
    """Per-slot, per-instance counters and spend; later features add columns, not rows."""

    def __init__(self, n_slots: int, n_instances: int) -> None:
        self.counts = {
            name: np.zeros((n_slots, n_instances), dtype=np.int64) for name in SLOT_COUNTERS
        }
        self.spend_sim_usd = np.zeros((n_slots, n_instances), dtype=np.float64)
        self.sessions = np.zeros(n_slots, dtype=np.int64)
        self.ad_slots = np.zeros(n_slots, dtype=np.int64)
        self.market_cpm_usd = np.full(n_slots, np.nan)

    def record(self, slot: int, counters: np.ndarray, spend: np.ndarray) -> None:
        for c, name in enumerate(SLOT_COUNTERS):
            self.counts[name][slot] = counters[:, c]
        self.spend_sim_usd[slot] = spend

    def record_platform(self, slot: int, sessions: int, comp_cpm: np.ndarray) -> None:
        """The slot's sessions and the mean competing eCPM of its ad slots (nan: none)."""
        self.sessions[slot] = sessions
        self.ad_slots[slot] = comp_cpm.shape[0]
        if comp_cpm.shape[0]:
            self.market_cpm_usd[slot] = comp_cpm.mean()

    def by_slot(self, columns: np.ndarray) -> dict[str, np.ndarray]:
        """The per-slot columns of the strategy counters and spend, instances ``columns``."""
        out = {
            name: self.counts[name][:, columns] for name in ("auctions", "impressions", "clicks")
        }
        out["spend_sim_usd"] = self.spend_sim_usd[:, columns]
        return out

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


def install_sources(
    install_time: np.ndarray,
    organic_install_h: np.ndarray,
    horizon_h: float,
    feed_time: np.ndarray | None,
    feed_share: np.ndarray | None,
    credited: np.ndarray,
) -> np.ndarray:
    """(worlds, len(INSTALL_SOURCES)) counts of what caused each world's installs within the
    horizon: a time still equal to the one the feed set is the feed's, one equal to the
    pre-drawn organic time is the baseline's, and any other an ad's (ads only ever bring an
    install forward). ``credited`` marks the installs attribution credits to the strategy."""
    installed = (install_time >= 0) & (install_time < horizon_h)
    by_feed = np.zeros_like(installed) if feed_time is None else install_time == feed_time
    via_share = by_feed & (False if feed_share is None else feed_share)
    baseline = ~by_feed & (install_time == organic_install_h[None, :])
    ads = installed & ~by_feed & ~baseline
    return np.stack(
        [
            ads.sum(axis=1),
            (installed & by_feed & ~via_share).sum(axis=1),
            (installed & via_share).sum(axis=1),
            (installed & baseline).sum(axis=1),
            (installed & credited & ~ads).sum(axis=1),
        ],
        axis=1,
    )
