"""Audience sizes over a run's time without running its auctions (``adsim audience``).

Static audiences are fixed; time-bound ones (event, tv, keywords, conversation) follow the
same sessions and conversation draws as a run of the same scenario and seed, so the sizes
printed are the ones the strategies' auctions would see.
"""

from __future__ import annotations

import numpy as np

from ..params import Params
from ..population import Population
from ..rng import Streams
from ..segments import audience_masks
from .calendar import CalendarState
from .sim import day_sessions, slot_diurnal

__all__ = ["audience_over_time"]


def audience_over_time(
    p: Params, pop: Population, streams: Streams
) -> tuple[np.ndarray, np.ndarray]:
    """``(sizes, ever)``: (n_slots, S) agents in each strategy's audience at each slot's
    start, and (S, N) uint8 everyone who was in it at some slot (people with a device the
    app exists for; before excluding installers)."""
    masks = audience_masks(p, pop) & pop.app_available[None, :].astype(np.uint8)
    sizes = np.repeat(masks.sum(axis=1)[None, :], p.n_slots, axis=0).astype(np.int64)
    if p.calendar is None:
        return sizes, masks
    _, diurnal = slot_diurnal(p)
    calendar = CalendarState(p, pop, streams, diurnal)
    if not calendar.timed:
        return sizes, masks
    ever = masks.copy()
    ever[calendar.timed] = 0
    per_day = diurnal.shape[0]
    for day in range(p.horizon_days):
        slot_ptr, agent, time_h, _ = day_sessions(p, pop, streams, day, diurnal, calendar)
        for q in range(per_day):
            slot = day * per_day + q
            calendar.refresh(slot * p.slot_h, masks, pop.app_available)
            sizes[slot, calendar.timed] = masks[calendar.timed].sum(axis=1)
            ever[calendar.timed] |= masks[calendar.timed]
            lo, hi = slot_ptr[q], slot_ptr[q + 1]
            calendar.observe(slot, agent[lo:hi], time_h[lo:hi])
    return sizes, ever
