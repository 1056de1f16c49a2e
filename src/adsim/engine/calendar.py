"""The calendar in a run: what each day and slot multiply, the people's conversation and
event state, and the time-bound audiences read from it every slot.

- Sessions: a day's base sessions are x its weekday and season multiplier; each event airing
  that day adds a layer of sessions for its followers at (activity_mult - 1) x their usual
  rate in the slots it covers (kernels.sessions.draw_day_sessions).
- Market: the rest of the market's eCPM in a slot is x the day's multiplier and x each
  event's before / during / after multiplier at the slot's middle. Every advertiser sees the
  same calendar, so this moves every competing bid alike.
- Conversation: after each slot, its sessions update who last talked about each tracked topic
  and who was on during an airing (kernels.conversation.talk_slot).
- Audiences: before each slot, each time-bound strategy's mask is rebuilt from that state as
  of the slot's start (static parts are cached), so an audience follows its event with a
  delay of at most one slot.
"""

from __future__ import annotations

import numpy as np

from ..kernels.conversation import browsing_events, initial_talk, recent_talkers, talk_slot
from ..params import CalendarParams, Params, SegmentNode
from ..population import Population
from ..rng import Streams
from ..segments import compile_segment, event_index, is_time_bound

__all__ = ["CalendarState", "market_slot_mult", "no_calendar_layers", "tracked_topics"]

_BEFORE, _DURING, _AFTER = 0, 1, 2


def no_calendar_layers(diurnal: np.ndarray, n: int) -> tuple[float, np.ndarray, np.ndarray]:
    """draw_day_sessions' calendar arguments for a day without layers: no event airs."""
    n_q, n_r = diurnal.shape
    return 1.0, np.zeros((0, n_q, n_r)), np.zeros((0, n), dtype=np.uint8)


def market_slot_mult(cal: CalendarParams, n_slots: int, slot_h: float) -> np.ndarray:
    """(n_slots,) the calendar's multiplier on competing eCPMs, at each slot's middle."""
    mid = (np.arange(n_slots) + 0.5) * slot_h
    mult = cal.day_market_mult[
        np.minimum((mid // 24).astype(np.int64), len(cal.day_market_mult) - 1)
    ]
    for e in range(len(cal.event_names)):
        mine = cal.airing_event == e
        start, end = cal.airing_start_h[mine], cal.airing_end_h[mine]
        before_h, after_h = cal.event_market_h[e]
        during = ((mid[:, None] >= start) & (mid[:, None] < end)).any(axis=1)
        before = ((mid[:, None] >= start - before_h) & (mid[:, None] < start)).any(axis=1)
        after = ((mid[:, None] >= end) & (mid[:, None] < end + after_h)).any(axis=1)
        level = np.select(
            [during, before, after],
            [
                cal.event_market[e, _DURING],
                cal.event_market[e, _BEFORE],
                cal.event_market[e, _AFTER],
            ],
            1.0,
        )
        mult = mult * level
    return mult


def tracked_topics(p: Params) -> list[int]:
    """Topics whose conversation some strategy's keyword or conversation predicate reads."""
    cal = p.calendar
    assert cal is not None
    found: set[int] = set()

    def walk(node: SegmentNode) -> None:
        if node.kind == "conversation":
            found.update(p.topic_names.index(t) for t in node.args["topics"])
        elif node.kind == "keywords":
            found.update(cal.keyword_topic[w.lower()] for w in node.args["words"])
        for child in node.children:
            walk(child)

    for s in p.strategies:
        walk(s.audience)
    return sorted(found)


class CalendarState:
    """The calendar's per-run state and its effect on sessions, prices and audiences."""

    def __init__(self, p: Params, pop: Population, streams: Streams, slot_diurnal: np.ndarray):
        assert p.calendar is not None
        self.p, self.pop, self.streams = p, pop, streams
        cal = self.cal = p.calendar
        self.slot_diurnal = slot_diurnal  # (Q, R)
        self.market_mult = market_slot_mult(cal, p.n_slots, p.slot_h)
        self.topics = np.array(tracked_topics(p), dtype=np.int64)
        n_topics = len(self.topics)
        # Holders of topic k talk at p_holder; others at the rate that makes holders
        # ``precision`` of the talkers: H p / (H p + (N - H) q) = precision.
        held = np.array([pop.holds_topic(int(k)).sum() for k in self.topics], dtype=np.float64)
        self.p_holder = np.full(n_topics, cal.talk_per_session)
        others = pop.n - held
        self.p_other = np.divide(
            self.p_holder * held * (1.0 - cal.precision) / cal.precision,
            others,
            out=np.zeros(n_topics),
            where=others > 0,
        ).clip(0.0, 1.0)
        # Row of last_talk of each tracked topic (by topic index).
        self.topic_row = {int(k): j for j, k in enumerate(self.topics)}
        self.event_topic_slot = np.array(
            [self.topic_row.get(int(k), -1) for k in cal.event_topic], dtype=np.int64
        )
        self.last_talk = np.empty((n_topics, pop.n), dtype=np.float32)
        initial_talk(
            streams.key("talk_history"), pop.interests, self.topics, self.p_holder, self.p_other,
            pop.sessions_per_day, self.last_talk,
        )  # fmt: skip
        self.last_event = np.full((len(cal.event_names), pop.n), -np.inf, dtype=np.float32)
        self.catch_key = streams.key("keyword_catch")
        self.timed = [s for s, strat in enumerate(p.strategies) if is_time_bound(strat.audience)]
        self._cache: dict[int, np.ndarray] = {}

    # ---- sessions -----------------------------------------------------------------------
    def day_layers(self, day: int) -> tuple[float, np.ndarray, np.ndarray]:
        """``(day_mult, extra_diurnal (L, Q, R), extra_member (L, N))`` for
        draw_day_sessions: one layer per event airing on ``day``."""
        cal, p = self.cal, self.p
        n_q = self.slot_diurnal.shape[0]
        starts = day * 24.0 + np.arange(n_q) * p.slot_h
        layers, members = [], []
        for e in range(len(cal.event_names)):
            extra = cal.event_activity_mult[e] - 1.0
            mine = cal.airing_event == e
            # Share of each slot inside an airing of e.
            lo = np.maximum(starts[:, None], cal.airing_start_h[mine])
            hi = np.minimum(starts[:, None] + p.slot_h, cal.airing_end_h[mine])
            covered = np.clip(hi - lo, 0.0, None).sum(axis=1) / p.slot_h
            if extra <= 0 or not covered.any():
                continue
            layers.append(self.slot_diurnal * (extra * np.minimum(covered, 1.0))[:, None])
            members.append(self.pop.event_engaged[e])
        mult = float(cal.day_sessions_mult[min(day, len(cal.day_sessions_mult) - 1)])
        if not layers:
            return mult, *no_calendar_layers(self.slot_diurnal, self.pop.n)[1:]
        return mult, np.stack(layers), np.stack(members)

    # ---- state --------------------------------------------------------------------------
    def observe(self, slot: int, sess_agent: np.ndarray, sess_time: np.ndarray) -> None:
        """Update who talked and who was on during an airing from one slot's sessions."""
        cal = self.cal
        talk_slot(
            self.streams.key("talk", slot), sess_agent, sess_time, self.pop.interests,
            self.topics, self.p_holder, self.p_other, self.pop.event_engaged,
            self.event_topic_slot, cal.event_talk_mult, cal.airing_event, cal.airing_start_h,
            cal.airing_end_h, self.last_talk, self.last_event,
        )  # fmt: skip

    def browsing(self, slot: int, sess_agent: np.ndarray, sess_time: np.ndarray) -> np.ndarray:
        """Bits of the live events each session browses the hashtag of (organic feed)."""
        cal = self.cal
        return browsing_events(
            self.streams.key("event_browse", slot), sess_agent, sess_time,
            self.pop.event_engaged, cal.event_browse_share, cal.airing_event,
            cal.airing_start_h, cal.airing_end_h,
        )  # fmt: skip

    def live(self, e: int, t_h: float) -> bool:
        mine = self.cal.airing_event == e
        return bool(
            ((self.cal.airing_start_h[mine] <= t_h) & (t_h < self.cal.airing_end_h[mine])).any()
        )

    def members(self, node: SegmentNode, now_h: float) -> np.ndarray:
        """Who a time-bound predicate holds at ``now_h``."""
        kind, a = node.kind, node.args
        if kind in ("event", "tv"):
            e = event_index(node, self.p)
            if a.get("only_during") and not self.live(e, now_h):
                return np.zeros(self.pop.n, dtype=np.bool_)
            return self.last_event[e] >= now_h - a["recency_h"]
        out = np.zeros(self.pop.n, dtype=np.bool_)
        since = now_h - a["recency_h"]
        if kind == "conversation":
            for t in a["topics"]:
                topic = self.p.topic_names.index(t)
                row = self.last_talk[self.topic_row[topic]]
                recent_talkers(row, since, self.catch_key, topic, 1.0, out)
            return out
        # keywords: each topic's talk, caught in proportion to how many of its words are listed
        words: dict[int, set[str]] = {}
        for w in a["words"]:
            words.setdefault(self.cal.keyword_topic[w.lower()], set()).add(w.lower())
        for topic, listed in words.items():
            coverage = min(1.0, len(listed) / self.cal.keywords_for_full_reach)
            row = self.last_talk[self.topic_row[topic]]
            recent_talkers(row, since, self.catch_key, topic, coverage, out)
        return out

    def refresh(self, now_h: float, masks: np.ndarray, available: np.ndarray) -> None:
        """Rebuild the time-bound strategies' rows of ``masks`` (S, N) as of ``now_h``."""
        for s in self.timed:
            mask = compile_segment(
                self.p.strategies[s].audience, self.p, self.pop,
                lambda node: self.members(node, now_h), self._cache,
            )  # fmt: skip
            masks[s] = mask & available
