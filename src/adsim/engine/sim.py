"""The discrete-event engine: simpy orchestrates coarse processes, kernels do the work.

Processes (never one per person or impression), started in this order so that at equal times
they run in this order too (simpy fires simultaneous events first-in, first-out):

1. day clock   - at each advertiser midnight: daily budgets and frequency windows reset,
                 wear-out memory fades, even-pacing allowances for the day, cumulative reach
                 snapshot;
2. flights     - one per strategy: switches it on at its start and off at its end;
3. optimiser   - every ``update_every_h``: the platform refits its install-rate model from
                 the installs reported so far, and cost caps are steered by the cost per
                 install it expects from what it bought;
4. pacing      - each slot: the controller corrects throttles and auto-bids;
5. slot clock  - each slot: who is online, their ad slots, one batch kernel call for every
                 auction in every world.
"""

from __future__ import annotations

import heapq
import math
from collections import deque
from collections.abc import Callable
from typing import Any

import numpy as np
import simpy

from ..breakdown import breakdowns
from ..kernels.auction import SLOT_COUNTERS, attribute_installs, run_slot
from ..kernels.sessions import draw_day_sessions, slot_sessions
from ..kernels.targeting import creative_ctr
from ..params import BID_AUTO, Params, calendar_days
from ..population import Population
from ..rng import Streams, lognormal_table
from ..segments import audience_masks, is_time_bound, overlap_matrix
from .calendar import CalendarState, no_calendar_layers
from .feed import OrganicFeed, with_tactics
from .measurement import install_views
from .optimiser import PlatformOptimiser
from .pacing import PacingController
from .recorder import SlotRecorder, install_sources
from .records import RunRecord
from .worlds import WorldLayout

__all__ = ["Engine", "day_sessions", "slot_diurnal"]


UNCAPPED = np.inf
# ASSUMPTION: when it sizes a frequency-capped audience, the forecast takes about half of a
# person's ad opportunities to be won (a cap of c per day binds beyond 2c opportunities).
FORECAST_WIN_SHARE = 0.5
# A cost cap judges its recent expected CPI shrunk towards its target by this many real
# installs, so the first few installs (or none yet) do not swing the bid.
COST_CAP_PRIOR = 10.0
# SKAdNetwork 4: an install's first postback covers days 0-2 after the install and is sent on
# a random timer of 24-48 h after that window closes (Apple's SKAdNetwork documentation).
SKAN_WINDOW_H = 48.0
SKAN_TIMER_H = (24.0, 48.0)


def slot_diurnal(p: Params) -> tuple[np.ndarray, np.ndarray]:
    """Each region's local hours in each slot of the day (Q, R, hours in a slot), and its
    diurnal weight there (Q, R), at the region's local time."""
    slots_per_day = round(24 / p.slot_h)
    hours_per_slot = max(1, round(p.slot_h))
    starts = np.arange(slots_per_day) * p.slot_h
    offset = p.region_utc_offset_h - p.clock_utc_offset_h
    local = np.floor(starts[:, None, None] + offset[None, :, None] + np.arange(hours_per_slot))
    local_hours = (local % 24).astype(np.int64)
    return local_hours, p.diurnal[local_hours].mean(axis=2)


def day_sessions(
    p: Params,
    pop: Population,
    streams: Streams,
    day: int,
    diurnal: np.ndarray,
    calendar: CalendarState | None,
) -> tuple[np.ndarray, ...]:
    """Every session of ``day`` (kernels.sessions.draw_day_sessions), with the calendar's
    weekday, season and event layers."""
    day_mult, extra_diurnal, extra_member = (
        no_calendar_layers(diurnal, pop.n) if calendar is None else calendar.day_layers(day)
    )
    return draw_day_sessions(
        streams.key("sessions", day), day * 24.0, p.slot_h, pop.sessions_per_day, pop.region,
        diurnal, p.feed_items_mean, p.ad_load, day_mult, extra_diurnal, extra_member,
    )  # fmt: skip


class Engine:
    """One replicate of one scenario: builds state, runs the simpy calendar, returns a record."""

    def __init__(
        self, p: Params, pop: Population, streams: Streams, slot_kernel: Callable = run_slot
    ) -> None:
        """``slot_kernel`` runs one slot (default the numba kernel; tests and benchmarks may
        pass its plain-Python ``py_func`` or an instrumented wrapper)."""
        self.p, self.pop, self.streams = p, pop, streams
        self.slot_kernel = slot_kernel
        self.layout = WorldLayout.build(len(p.strategies), p.shared_market)
        # App-install ads are only delivered to devices the app exists for.
        self.masks = audience_masks(p, pop) & pop.app_available[None, :].astype(np.uint8)
        # Time-bound audiences (calendar): ``masks`` holds who is in each audience now (rebuilt
        # every slot); the optimiser scores and the pacing forecast counts everyone an audience
        # may ever hold (``audience_bound``), and the record reports who was ever in it.
        # (Copies made before the optimiser takes its reference: it must never see ``masks``.)
        timed = [s for s, strat in enumerate(p.strategies) if is_time_bound(strat.audience)]
        self.audience_bound = self.masks.copy() if timed else self.masks
        self.audience_ever = self.masks.copy() if timed else self.masks
        self.audience_ever[timed] = 0
        self.calendar: CalendarState | None = None
        self._setup_arrays()
        if p.calendar is not None:
            self.calendar = CalendarState(p, pop, streams, self.slot_diurnal)
        self.feed = None
        if p.feed is not None:
            si = self.layout.inst_strategy
            self.feed = OrganicFeed(
                p, pop, streams, self.layout,
                np.array([p.strategies[s].account for s in si], dtype=np.int64),
                np.array([p.strategies[s].boost for s in si], dtype=np.bool_),
            )  # fmt: skip

    # ---- set-up -------------------------------------------------------------------------
    def _setup_arrays(self) -> None:
        p, pop, lay = self.p, self.pop, self.layout
        n, n_inst, n_worlds = pop.n, lay.n_instances, lay.n_worlds
        strats = p.strategies
        self.ctr0 = np.stack(
            [
                creative_ctr(
                    pop.interests,
                    pop.device,
                    pop.affinity_key,
                    s.ctr,
                    s.topic_idx,
                    s.topic_lift,
                    p.device_click_mult,
                )
                for s in strats
            ]
        )
        self.daypart = np.stack([s.daypart for s in strats])
        self.flight_start_h = np.array([s.start_h for s in strats])
        self.flight_end_h = np.array([s.end_h for s in strats])
        self.exclude_installed = np.array([s.exclude_installed for s in strats])
        self.freq_cap = np.array([s.freq_cap for s in strats], dtype=np.int64)
        self.bid_kind = np.array([s.bid_kind for s in strats], dtype=np.int64)
        self.quality = np.array([s.quality for s in strats])
        self.bills_click = np.array([s.bills_per_click for s in strats])
        si = lay.inst_strategy
        advertisers = list(dict.fromkeys(s.advertiser for s in strats))
        self.inst_advertiser = np.array(
            [advertisers.index(strats[s].advertiser) for s in si], dtype=np.int64
        )
        self.daily_budget = np.array([strats[s].daily_budget_sim_usd for s in si])
        self.daily_room = self.daily_budget.copy()  # today's daily budget, see _daily_room
        self.flight_first_day = np.array(
            [math.floor(strats[s].start_h / 24.0 + 1e-9) for s in si], dtype=np.int64
        )
        self.lifetime_budget = np.array([strats[s].lifetime_budget_sim_usd for s in si])
        # Real USD per flight hour: a cost cap's yardstick for under-delivery.
        self.budget_per_h_usd = np.array(
            [strats[s].budget_total_usd / max(p.slot_h, strats[s].end_h - strats[s].start_h)
             for s in si]
        )  # fmt: skip
        self.active = np.zeros(n_inst, dtype=np.bool_)
        self.spent_today = np.zeros(n_inst)
        self.spent_total = np.zeros(n_inst)
        self.allowance_today = np.zeros(n_inst)
        self.freq_total = np.zeros((n_inst, n), dtype=np.uint16)
        self.freq_window = np.zeros((n_inst, n), dtype=np.uint16)
        self.wear = np.zeros((n_inst, n), dtype=np.float32)  # fading count for wear-out
        self.exposure = np.zeros((n_inst, n), dtype=np.float32)  # platform's expected clicks
        self.expected_installs = np.zeros(n_inst)  # platform's expected installs, cumulative
        self.spend_agent = np.zeros((n_inst, n), dtype=np.float32)
        self.install_time = np.repeat(pop.organic_install_h[None, :], n_worlds, axis=0)
        self.last_click_t = np.full((n_worlds, n), -np.inf)
        self.last_view_t = np.full((n_worlds, n), -np.inf)
        self.last_click_inst = np.full((n_worlds, n), -1, dtype=np.int16)
        self.last_view_inst = np.full((n_worlds, n), -1, dtype=np.int16)
        self.max_price = 0.0
        self.market_factor = lognormal_table(p.market_sigma)
        self.optimiser = PlatformOptimiser(
            p, pop, self.bid_kind[si] == BID_AUTO, si, self.audience_bound
        )
        self._setup_sessions()
        self._setup_pacing()

    def _setup_sessions(self) -> None:
        """Diurnal weight of each region in each slot of the day, at the region's local time."""
        p = self.p
        self.slots_per_day = round(24 / p.slot_h)
        self.region_local_offset_h = p.region_utc_offset_h - p.clock_utc_offset_h
        self.slot_local_hours, self.slot_diurnal = slot_diurnal(p)
        self._day_sessions: tuple | None = None  # (day, every session of that day)

    def _setup_pacing(self) -> None:
        p, pop, lay = self.p, self.pop, self.layout
        si = lay.inst_strategy
        # Forecast of each strategy's ad opportunities per slot of the day: its audience's
        # session rate per region x the diurnal curve x its daypart, at the region's local hour.
        # A frequency cap of c a day limits what a person can take: their opportunities count
        # up to c / FORECAST_WIN_SHARE a day.
        ads_per_session = p.feed_items_mean * p.ad_load
        opportunities = pop.sessions_per_day * max(ads_per_session, 1e-9)
        seg_rate = np.stack(
            [
                np.bincount(
                    pop.region,
                    weights=pop.sessions_per_day
                    * m
                    * np.minimum(
                        1.0,
                        s.freq_cap / s.freq_window_days / (FORECAST_WIN_SHARE * opportunities),
                    ),
                    minlength=len(p.region_names),
                )
                for m, s in zip(self.audience_bound, p.strategies, strict=True)
            ]
        )  # (S, R)
        # Every local hour a slot covers counts, weighted by the diurnal curve, so a daypart
        # of odd hours still has traffic in 2 h slots.
        hours = self.slot_local_hours  # (Q, R, H)
        in_daypart = self.daypart[:, hours] * p.diurnal[hours][None]  # (S, Q, R, H)
        fc = np.einsum("sr,sqrh->sq", seg_rate, in_daypart) / hours.shape[2]
        # Initial auto-bid: the value per install that bids the median market eCPM on average,
        # at the platform's own first estimates (the prior, not the truth).
        # One strategy at a time: an (S, N) float64 temporary would dominate peak memory.
        mean_rate = np.zeros(len(p.strategies))
        for s, j in enumerate(lay.reported):
            rate = (self.ctr0[s] * pop.ctr_error * self.optimiser.cvr_hat[j]).astype(np.float64)
            size = self.audience_bound[s].sum()
            mean_rate[s] = (rate * self.audience_bound[s]).sum() / size if size > 0 else 0.0
        lam0 = np.divide(
            p.market_cpm_median_usd / 1000.0,
            mean_rate,
            out=np.ones_like(mean_rate),
            where=mean_rate > 0,
        )
        amount = np.array([s.bid_amount_usd for s in p.strategies])
        auto = self.bid_kind == BID_AUTO
        self.pacing = PacingController(
            even=np.array([p.strategies[s].even_pacing for s in si]),
            auto_bid=auto[si],
            initial_bid=np.where(auto, lam0, amount)[si],
            bid_cap=np.where(auto, amount, np.inf)[si],
            forecast=fc[si],
            cost_cap=np.array([s.cost_cap_usd for s in p.strategies])[si],
        )

    # ---- processes ----------------------------------------------------------------------
    def _day_clock(self, env: simpy.Environment):
        p = self.p
        for day in range(p.horizon_days):
            if day > 0:
                self.reach_cum[day - 1] = (self.freq_total[self.layout.reported] > 0).sum(axis=1)
                if self.feed is not None:
                    self.feed.day_end(day - 1)
                self.wear *= np.float32(0.5 ** (1.0 / p.wear_memory_half_life_days))
            self.spent_today[:] = 0.0
            self.daily_room = self._daily_room(day)
            for j, s in enumerate(self.layout.inst_strategy):
                if day % p.strategies[s].freq_window_days == 0:
                    self.freq_window[j] = 0
            self._set_allowance(env.now)
            yield env.timeout(24.0)

    def _daily_room(self, day: int) -> np.ndarray:
        """Today's daily budget less what earlier days of the flight spent beyond theirs (a day
        may cross its budget by the one price that crossed it): over a flight, daily budgets
        add up to at most daily x days plus one price, as platforms guarantee."""
        finite = np.isfinite(self.daily_budget)
        daily = np.where(finite, self.daily_budget, 0.0)
        budget_before = daily * np.maximum(0, day - self.flight_first_day)
        overshoot = np.where(finite, np.maximum(0.0, self.spent_total - budget_before), 0.0)
        return self.daily_budget - overshoot

    def _set_allowance(self, now_h: float) -> None:
        """Today's spend allowance: the daily budget, and for even pacing of a lifetime budget
        its remainder spread over the flight's remaining days."""
        lifetime_left = self.lifetime_budget - self.spent_total
        for j, s in enumerate(self.layout.inst_strategy):
            strat = self.p.strategies[s]
            days_left = max(1, calendar_days(max(now_h, strat.start_h), strat.end_h))
            spread = lifetime_left[j] / days_left if strat.even_pacing else lifetime_left[j]
            self.allowance_today[j] = min(self.daily_room[j], spread)

    def _flight(self, env: simpy.Environment, s: int):
        """Switches strategy s on for the slots its flight overlaps. Both events are created
        at once, at time 0, before any slot's: at equal times they fire before the slot clock
        (simpy orders simultaneous events by creation). The kernel then checks each
        session's own time against the flight, so a flight that starts or ends mid-slot gets
        exactly its share."""
        strat = self.p.strategies[s]
        mine = self.layout.inst_strategy == s
        q0 = math.floor(strat.start_h / self.p.slot_h + 1e-9) * self.p.slot_h  # its first slot
        on, off = env.timeout(q0), env.timeout(strat.end_h)
        yield on
        self.active[mine] = True
        yield off
        self.active[mine] = False

    def _optimiser_clock(self, env: simpy.Environment):
        p = self.p
        every = p.update_every_h
        while True:
            yield env.timeout(every)
            self._deliver_feedback(env.now)
            self.optimiser.refit(self.exposure)
            # Cost caps: the cost per install the platform expects from what it bought.
            self.pacing.steer_cost_cap(
                self.spent_total * p.scale,
                self.expected_installs * p.scale,
                COST_CAP_PRIOR,
                self.budget_per_h_usd * every,
                every,
            )

    def _deliver_feedback(self, now_h: float) -> None:
        """Hand the platform the installs reported by ``now_h`` (each slot's arrive
        ``report_delay_h`` after it ends) and the SKAN postbacks sent by then, and count them
        by the day they arrived."""
        while self._feedback and self._feedback[0][0] <= now_h + 1e-9:
            at_h, installs = self._feedback.popleft()
            self.optimiser.receive(installs)
            day = min(int(at_h // 24.0), self.p.horizon_days - 1)
            self.platform_installs[day] += installs[:, 0] + installs[:, -1]
        while self._postbacks and self._postbacks[0][0] <= now_h + 1e-9:
            at_h, j, installs = heapq.heappop(self._postbacks)
            self.optimiser.receive_campaign(j, installs)
            self.platform_installs[min(int(at_h // 24.0), self.p.horizon_days - 1), j] += installs

    def _send_skan(self, day: int) -> None:
        """At the end of ``day``: each campaign's installs of people it cannot track that
        day become one SKAN postback, sent after the install window (days 0-2 after the
        install) closes plus Apple's random timer (24-48 h), unless they fall below the
        privacy threshold (then they never reach the platform as the campaign's). A campaign
        is an instance; counts are real installs (the feedback's real-scale noise)."""
        counts, self._skan_day = self._skan_day, np.zeros_like(self._skan_day)
        if self.p.privacy is None or not counts.any():
            return
        timer_h = self.streams.get("skan", day).uniform(*SKAN_TIMER_H, counts.shape[0])
        sent = (counts > 0) & (counts >= self.p.privacy.skan_threshold_installs_per_day)
        for j in np.flatnonzero(sent):
            at_h = (day + 1) * 24.0 + SKAN_WINDOW_H + timer_h[j]
            heapq.heappush(self._postbacks, (at_h, int(j), float(counts[j])))
            self.skan_sent.append((day, int(j), at_h, float(counts[j])))
        self.skan_withheld += np.where(sent, 0.0, counts)

    def _pacing_clock(self, env: simpy.Environment):
        while True:
            q = self._slot_of_day(env.now)
            self.pacing.update(q, self._allowance_left(), self.active)
            yield env.timeout(self.p.slot_h)

    def _slot_clock(self, env: simpy.Environment, progress: Callable[[int], None] | None):
        for slot in range(self.p.n_slots):
            self._run_slot(slot, env.now)
            if progress is not None:
                progress(slot + 1)
            yield env.timeout(self.p.slot_h)

    # ---- work ---------------------------------------------------------------------------
    def _slot_of_day(self, now_h: float) -> int:
        return round(now_h / self.p.slot_h) % self.slots_per_day

    def _allowance_left(self) -> np.ndarray:
        return np.maximum(0.0, self.allowance_today - self.spent_today)

    def slot_inputs(self, slot: int, t0: float) -> dict[str, Any]:
        """Keyword arguments of the slot kernel for ``slot``: its sessions and draws, and views
        of the engine's state arrays (the kernel updates those in place)."""
        p, pop, lay = self.p, self.pop, self.layout
        key = self.streams.key("slot", slot)
        q = slot % self.slots_per_day
        day = slot // self.slots_per_day
        if self._day_sessions is None or self._day_sessions[0] != day:
            self._day_sessions = (
                day,
                *day_sessions(p, pop, self.streams, day, self.slot_diurnal, self.calendar),
            )
        _, slot_ptr, day_agent, day_time, day_ads = self._day_sessions
        market_cpm = p.market_cpm_median_usd
        if self.calendar is not None:
            market_cpm *= self.calendar.market_mult[slot]
        agents, times, local_hour, ad_ptr, comp_cpm = slot_sessions(
            key, pop.n, day_agent, day_time, day_ads, slot_ptr[q], slot_ptr[q + 1], pop.region,
            self.region_local_offset_h, market_cpm, p.market_hour_mult,
            pop.market_mult, self.market_factor,
        )  # fmt: skip
        # Hard limits (daily and lifetime budget left), and the pacing plan's cap for the slot.
        hard_left = np.maximum(
            0.0,
            np.minimum(self.daily_room - self.spent_today, self.lifetime_budget - self.spent_total),
        )
        return dict(
            key=key, sess_agent=agents, sess_time=times, sess_local_hour=local_hour,
            ad_ptr=ad_ptr, comp_cpm=comp_cpm,
            reserve_cpm=p.reserve_cpm_usd, first_price=p.first_price,
            wear_onset=p.wearout_onset, wear_decay=math.log(2.0) / p.wearout_half_life,
            wear_floor=p.wearout_floor, accidental_ctr=p.accidental_ctr,
            click_hour_mult=p.click_hour_mult, install_hour_mult=p.install_hour_mult,
            intent_mult=p.intent_install_odds_mult, view_effect=p.view_effect,
            view_delay_median_h=p.view_delay_median_h,
            delay_median_h=p.install_delay_median_h, delay_sigma=p.install_delay_sigma,
            install_odds=pop.install_odds, ctr_error=pop.ctr_error, ep_ptr=pop.episode_ptr,
            ep_start=pop.episode_start_h, ep_end=pop.episode_end_h, ep_seen=pop.episode_seen,
            organic_hazard_h=pop.organic_hazard_h, tracked=pop.tracked,
            observable=pop.observable,
            click_window_h=p.click_window_h, view_window_h=p.view_window_h, scale=p.scale,
            feat_ptr=self.optimiser.feat_ptr, feat_id=self.optimiser.feat_id,
            n_features=self.optimiser.n_features,
            segment=self.masks, ctr0=self.ctr0, daypart=self.daypart,
            exclude_installed=self.exclude_installed, freq_cap=self.freq_cap,
            bid_kind=self.bid_kind, quality=self.quality, bills_click=self.bills_click,
            flight_start_h=self.flight_start_h, flight_end_h=self.flight_end_h,
            inst_strategy=lay.inst_strategy, inst_advertiser=self.inst_advertiser,
            world_ptr=lay.world_ptr, active=self.active, bid_amount=self.pacing.bid,
            throttle=self.pacing.throttle, pass_offset=lay.pass_offset,
            budget_left=np.minimum(hard_left, self.pacing.slot_limit(q, self._allowance_left())),
            cvr_hat=self.optimiser.cvr_hat, intent_lift=self.optimiser.intent_lift,
            freq_total=self.freq_total, freq_window=self.freq_window, wear=self.wear,
            exposure=self.exposure, signal_exposure=self.optimiser.signal_exposure,
            expected_installs=self.expected_installs, spend_agent=self.spend_agent,
            install_time=self.install_time,
            last_click_t=self.last_click_t, last_click_inst=self.last_click_inst,
            last_view_t=self.last_view_t, last_view_inst=self.last_view_inst,
        )  # fmt: skip

    def _run_slot(self, slot: int, t0: float) -> None:
        self._deliver_feedback(t0)
        if self.calendar is not None and self.calendar.timed:
            self.calendar.refresh(t0, self.masks, self.pop.app_available)
            self.audience_ever[self.calendar.timed] |= self.masks[self.calendar.timed]
        inputs = self.slot_inputs(slot, t0)
        before = None
        if self.feed is not None:  # the same sessions' organic positions, then their ads
            sess_events = (
                np.zeros(inputs["sess_agent"].shape[0], dtype=np.uint64)
                if self.calendar is None
                else self.calendar.browsing(slot, inputs["sess_agent"], inputs["sess_time"])
            )
            self.feed.run_slot(slot, t0, inputs, self.install_time, sess_events)
            before = self.feed.boost_snapshot(inputs)
        counters, spend, max_price, feedback = self.slot_kernel(**inputs)
        person, skan = feedback[:, :-1], feedback[:, -1]
        if person.any():
            self._feedback.append((t0 + self.p.slot_h + self.p.report_delay_h, person))
        self._skan_day += skan
        if (slot + 1) % self.slots_per_day == 0:
            self._send_skan(slot // self.slots_per_day)
        if self.feed is not None:  # boosted ads shown in the slot are views of their post
            self.feed.boost_views(slot, t0, inputs, before)
        self.max_price = max(self.max_price, float(max_price.max(initial=0.0)))
        self.spent_today += spend
        self.spent_total += spend
        self.recorder.record(slot, counters, spend)
        self.recorder.record_platform(slot, inputs["sess_agent"].shape[0], inputs["comp_cpm"])
        if self.calendar is not None:
            self.calendar.observe(slot, inputs["sess_agent"], inputs["sess_time"])
        # Stopped by a budget or slot limit if the next impression would have crossed it.
        budget_left = inputs["budget_left"]
        limited = (spend >= budget_left - max_price) & np.isfinite(budget_left)
        self.pacing.observe(
            slot % self.slots_per_day, spend, counters[:, SLOT_COUNTERS.index("auctions")], limited
        )

    # ---- run ----------------------------------------------------------------------------
    def run(self, progress: Callable[[int], None] | None = None) -> RunRecord:
        p, lay = self.p, self.layout
        self.recorder = SlotRecorder(p.n_slots, lay.n_instances)
        self.reach_cum = np.zeros((p.horizon_days, len(p.strategies)), dtype=np.int64)
        self._feedback: deque[tuple[float, np.ndarray]] = deque()
        self._postbacks: list[tuple[float, int, float]] = []  # SKAN: (arrival h, instance, n)
        self._skan_day = np.zeros(lay.n_instances)
        # What SKAN did during the run (for inspection): postbacks sent as (install day,
        # instance, arrival h, real installs), and the installs below the threshold.
        self.skan_sent: list[tuple[int, int, float, float]] = []
        self.skan_withheld = np.zeros(lay.n_instances)
        self.platform_installs = np.zeros((p.horizon_days, lay.n_instances))
        env = simpy.Environment()
        env.process(self._day_clock(env))
        for s in range(len(p.strategies)):
            env.process(self._flight(env, s))
        env.process(self._optimiser_clock(env))
        env.process(self._pacing_clock(env))
        if self.feed is not None:
            self.feed.start(env)  # posts are out before the slot clock runs at equal times
        env.process(self._slot_clock(env, progress))
        env.run(until=p.horizon_h)
        # The run stops before events at the horizon itself: take the last day's reach here.
        self.reach_cum[-1] = (self.freq_total[lay.reported] > 0).sum(axis=1)
        if self.feed is not None:
            self.feed.day_end(p.horizon_days - 1)
        return self._record()

    def _record(self) -> RunRecord:
        p, pop, lay = self.p, self.pop, self.layout
        world_installs, click_attr, view_attr, credit = attribute_installs(
            self.install_time, self.last_click_t, self.last_click_inst, self.last_view_t,
            self.last_view_inst, lay.world_ptr, p.click_window_h, p.view_window_h,
            p.horizon_h, p.horizon_days,
        )  # fmt: skip
        feed = None if self.feed is None else self.feed.record(self.slots_per_day)
        if feed is None:
            organic = pop.organic_install_h
            organic = organic[(organic >= 0) & (organic < p.horizon_h)]
            organic_daily = np.bincount((organic // 24).astype(np.int64), minlength=p.horizon_days)
        else:  # the organic baseline world: the standing posting, no ads
            organic_daily = feed.world_installs_daily[0]
        rep = lay.reported
        world_of = lay.world_of()
        daily = {k: v[:, rep] for k, v in self.recorder.by_day(self.slots_per_day).items()}
        daily["installs_click"] = click_attr[rep].T
        daily["installs_view"] = view_attr[rep].T
        without = np.stack(
            [organic_daily if w < 0 else world_installs[w] for w in lay.without], axis=1
        )
        rows = world_of[rep]  # each strategy's world
        views = install_views(p, pop, rep, rows, credit, self.install_time, self.freq_total)
        record = RunRecord(
            strategy_names=p.strategy_names,
            scale=p.scale,
            audience_agents=self.audience_ever.sum(axis=1).astype(np.int64),
            audience_overlap=overlap_matrix(self.audience_ever),
            budget_total_usd=np.array([s.budget_total_usd for s in p.strategies]),
            daily=daily,
            reach_cum=self.reach_cum,
            installs_with=world_installs[rows].T,
            installs_without=without,
            max_price_sim_usd=self.max_price,
            platform_installs=self.platform_installs[:, rep],
            learning_installs=p.learning_installs,
            learning_days=p.learning_days,
            breakdowns=breakdowns(
                p, pop, rep, rows, self.freq_total, self.spend_agent, credit
            ),
            n_paid=len(p.strategies),
            slots=self.recorder.by_slot(rep),
            platform_slots={
                "sessions": self.recorder.sessions,
                "ad_slots": self.recorder.ad_slots,
                "market_cpm_usd": self.recorder.market_cpm_usd,
            },
            installs_tracked=views["tracked"],
            installs_skan=views["skan"],
            installs_skan_withheld=views["skan_withheld"],
            installs_modelled=views["modelled"],
            install_sources=install_sources(
                self.install_time[rows], pop.organic_install_h, p.horizon_h,
                None if self.feed is None else self.feed.paid_feed_time[rows],
                None if self.feed is None else self.feed.paid_feed_share[rows],
                credit[rows] == rep[:, None],
            ),
        )  # fmt: skip
        if feed is None:
            return record
        px = feed.paid_exposure_world
        return with_tactics(
            record, feed, p, pop, self.audience_ever, px[rows],
            np.where(lay.without < 0, 0, px[np.maximum(lay.without, 0)]),
        )  # fmt: skip
