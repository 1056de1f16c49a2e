"""The root scenario model: everything a run needs, validated once."""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterator, Mapping
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from .calendar import Calendar
from .common import MAX_DESCRIPTION, Label, Model, Positive, check_unique
from .errors import did_you_mean
from .organic import OrganicTactic, PostingPlan
from .platform import App, Optimiser, Platform
from .population import Account, Population
from .posterior import Posterior
from .privacy import Privacy
from .segments import (
    ConversationIn,
    CountryIn,
    CustomAudience,
    EventIn,
    FollowersOf,
    Interests,
    Keywords,
    LanguageIn,
    Lookalike,
    RegionIn,
    Tv,
    iter_segment,
)
from .strategy import Strategy

__all__ = ["Scenario"]

SLOT_LENGTHS_H = (0.25, 0.5, 1.0, 2.0, 3.0, 4.0, 6.0)


class Scenario(Model):
    """A planner's question: a world (population, accounts, platform, app) and strategies."""

    name: Label
    """The scenario's name, shown in outputs and reports."""
    description: str = Field(default="", max_length=MAX_DESCRIPTION)
    """The question the scenario asks, shown in reports."""
    seed: int = Field(default=0, ge=0)
    """Seed of every random stream: same scenario and seed give identical results."""
    horizon_days: int = Field(default=7, ge=1, le=366)
    """Days simulated."""
    slot_h: Positive = Field(default=1.0, description="Slot length in hours; divides 24.")
    clock_utc_offset_h: float = Field(
        default=0.0,
        ge=-12,
        le=14,
        description="Advertiser's time zone: budgets reset at its midnight.",
    )
    market_mode: Literal["isolated", "shared"] = Field(
        default="isolated",
        description="isolated: each strategy is its own world (common random numbers); "
        "shared: strategies compete with each other in one market.",
    )
    population: Population
    """Who is on the platform."""
    accounts: list[Account] = Field(default_factory=list)
    """Named accounts (brands, media, influencers) with real follower sets."""
    platform: Platform = Field(default_factory=Platform)
    """The platform: feed, auction, competing market, optimiser, attribution."""
    app: App = Field(default_factory=App)
    """The app being promoted: how it converts and who it appeals to."""
    privacy: Privacy | None = None
    """iOS tracking consent (ATT) and what the ad manager and the MMP count (SKAdNetwork);
    none by default: every install is attributable, as before iOS 14.5."""
    calendar: Calendar | None = None
    """Dates, weekdays, seasons and events (matches, TV shows, sales) that move sessions,
    conversations and market prices, and that event, tv and keyword targeting read; none by
    default: every day is alike."""
    posterior: Posterior | None = None
    """Draws of some values from a calibration's posterior (written by adsim calibrate):
    replicate r runs with draw r mod K. Sweeps run the scenario's own values."""
    strategies: list[Strategy] = Field(min_length=1, max_length=64)
    """The paid strategies to compare (1 to 64, unique names)."""
    posting: list[PostingPlan] = Field(default_factory=list, max_length=64)
    """The brands' standing organic posting, in every world (needs ``platform.feed``)."""
    organic_tactics: list[OrganicTactic] = Field(default_factory=list, max_length=32)
    """Organic tactics compared side by side with the strategies (needs ``platform.feed``)."""

    @field_validator("slot_h")
    @classmethod
    def _slot(cls, v: float) -> float:
        if v not in SLOT_LENGTHS_H:
            raise ValueError(f"slot_h must be one of {list(SLOT_LENGTHS_H)}")
        return v

    @model_validator(mode="after")
    def _posterior_draws_apply(self) -> Scenario:
        """Every posterior draw must make a valid scenario (paths that exist, values in
        range): checked here, so a run never stops at replicate 7."""
        if self.posterior is not None:
            for k in range(len(self.posterior.draws)):
                try:
                    self.for_replicate(k)
                except ValueError as exc:  # ScenarioError: (path, problem) pairs
                    problems = getattr(exc, "problems", [("", str(exc))])
                    where, what = problems[0]
                    raise ValueError(f"posterior.draws.{k}: {where}: {what}") from None
        return self

    @model_validator(mode="after")
    def _unique_names(self) -> Scenario:
        seen: set[str] = set()
        for name in [s.name for s in self.strategies] + [t.name for t in self.organic_tactics]:
            if name in seen:
                raise ValueError(f"strategies: the name {name!r} is used twice")
            seen.add(name)
        return self

    @model_validator(mode="after")
    def _organic_needs_feed(self) -> Scenario:
        if (self.posting or self.organic_tactics) and self.platform.feed is None:
            where = "posting" if self.posting else "organic_tactics"
            raise ValueError(
                f"{where}: organic posts need the organic feed: add platform: {{feed: "
                "{preset: twitter}} (or facebook, instagram, tiktok)"
            )
        linked = [s.name for s in self.strategies if s.account is not None]
        if linked and self.platform.feed is None:
            raise ValueError(
                f"strategies[{linked[0]}].account: ads that run as an account need the organic "
                "feed: add platform: {feed: {preset: twitter}} (or facebook, instagram, tiktok)"
            )
        return self

    @field_validator("accounts")
    @classmethod
    def _unique_handles(cls, v: list[Account]) -> list[Account]:
        check_unique([a.handle.lower() for a in v], "account handles")
        return v

    @model_validator(mode="before")
    @classmethod
    def _cadence_default_follows_slot_h(cls, data: Any) -> Any:
        """The optimiser's refit cadence, when the user left it unset, is the smallest
        multiple of ``slot_h`` of at least its default (6 h): ``slot_h: 4`` refits every 8 h
        rather than refusing a value the user never wrote."""
        if not isinstance(data, Mapping):
            return data
        slot = data.get("slot_h", 1.0)
        platform = data.get("platform", {})
        optimiser = platform.get("optimiser", {}) if isinstance(platform, Mapping) else None
        if (
            not isinstance(slot, int | float)
            or isinstance(slot, bool)
            or not 0 < slot <= 24  # an invalid slot_h is refused by its own field
            or not isinstance(optimiser, Mapping)
            or "update_every_h" in optimiser
        ):
            return data
        default = Optimiser.model_fields["update_every_h"].default
        every = slot * math.ceil(default / slot - 1e-9)
        if every == default:
            return data
        return {
            **data,
            "platform": {**platform, "optimiser": {**optimiser, "update_every_h": every}},
        }

    @model_validator(mode="after")
    def _optimiser_cadence(self) -> Scenario:
        every = self.platform.optimiser.update_every_h
        if abs(every / self.slot_h - round(every / self.slot_h)) > 1e-9:
            raise ValueError(
                f"platform.optimiser.update_every_h: {every} is not a multiple of slot_h "
                f"({self.slot_h})"
            )
        return self

    @model_validator(mode="after")
    def _references(self) -> Scenario:
        for path, problem in self._reference_problems():
            raise ValueError(f"{path}: {problem}")
        return self

    def _reference_problems(self) -> Iterator[tuple[str, str]]:
        """Names used anywhere must exist: topics, regions, countries, handles, agent ids."""
        pop = self.population
        topics = {t.name for t in pop.interests}
        regions = {r.name for r in pop.regions}
        countries = {r.country for r in pop.regions}
        languages = {lang for r in pop.regions for lang in r.languages}
        handles = {a.handle.lower() for a in self.accounts}

        def unknown(kind: str, names: list[str], known: set[str], path: str) -> Iterator:
            for name in names:
                if name not in known:
                    hint = did_you_mean(name, known)
                    listed = ", ".join(sorted(known)) or "none"
                    yield path, f"unknown {kind} {name!r}{hint} (known: {listed})"

        if self.privacy is not None:
            yield from unknown(
                "country",
                list(self.privacy.country_opt_in_mult),
                countries,
                "privacy.country_opt_in_mult",
            )
        for i, acc in enumerate(self.accounts):
            p = f"accounts.{i}"
            yield from unknown(
                "interest", list(acc.profile.interests), topics, f"{p}.profile.interests"
            )
            yield from unknown("region", list(acc.profile.regions), regions, f"{p}.profile.regions")
            if acc.followers > pop.real_people:
                yield (
                    f"{p}.followers",
                    (
                        f"{acc.followers:,} followers exceed the population's "
                        f"{pop.real_people:,.0f} real people"
                    ),
                )
        yield from unknown("interest", list(self.app.fit.interests), topics, "app.fit.interests")
        yield from unknown(
            "interest",
            list(self.platform.market.interests),
            topics,
            "platform.market.interests",
        )
        yield from unknown(
            "account",
            [h.lower() for h in self.app.fit.followers_of],
            handles,
            "app.fit.followers_of",
        )
        yield from unknown("region", list(self.app.fit.regions), regions, "app.fit.regions")
        yield from unknown(
            "region", list(self.platform.market.regions), regions, "platform.market.regions"
        )
        plans = [(f"posting.{i}", plan) for i, plan in enumerate(self.posting)]
        plans += [
            (f"organic_tactics.{i}.posting", t.posting) for i, t in enumerate(self.organic_tactics)
        ]
        for path, plan in plans:
            yield from unknown("account", [plan.account.lower()], handles, f"{path}.account")
            if plan.topic is not None:
                yield from unknown("interest", [plan.topic], topics, f"{path}.topic")
            if plan.event is not None:
                events = {e.name for e in self.calendar.events} if self.calendar else set()
                yield from unknown("event", [plan.event], events, f"{path}.event")
            if plan.start_day >= self.horizon_days:
                yield f"{path}.start_day", f"{plan.start_day} is not before the horizon"
        yield from self._calendar_problems(topics, unknown)
        for i, strat in enumerate(self.strategies):
            p = f"strategies.{i}"
            if strat.account is not None:
                yield from unknown("account", [strat.account.lower()], handles, f"{p}.account")
            if strat.flight.start_day >= self.horizon_days:
                start, horizon = strat.flight.start_day, self.horizon_days
                yield f"{p}.flight.start_day", f"{start} is not before the horizon ({horizon} days)"
            for path, node in iter_segment(strat.audience, f"{p}.audience"):
                if isinstance(node, Interests):
                    yield from unknown("interest", node.interests.topics, topics, path)
                elif isinstance(node, RegionIn):
                    yield from unknown("region", node.region, regions, path)
                elif isinstance(node, CountryIn):
                    yield from unknown("country", node.country, countries, path)
                elif isinstance(node, LanguageIn):
                    yield from unknown("language", node.language, languages, path)
                elif isinstance(node, FollowersOf):
                    names = [h.lower() for h in node.followers_of]
                    yield from unknown("account", names, handles, path)
                elif isinstance(node, Lookalike) and node.lookalike.of is not None:
                    names = [h.lower() for h in node.lookalike.of]
                    yield from unknown("account", names, handles, path)
                elif isinstance(node, Lookalike):
                    seed = node.lookalike.seed
                    timed = [
                        q for q, n in iter_segment(seed, f"{path}.lookalike.seed")
                        if isinstance(n, EventIn | Tv | Keywords | ConversationIn)
                    ]  # fmt: skip
                    if timed:
                        yield timed[0], "a look-alike seed cannot be time-bound (event, tv, ...)"
                elif isinstance(node, EventIn | Tv | Keywords | ConversationIn):
                    yield from self._time_bound_problems(node, path, topics, unknown)
                elif isinstance(node, CustomAudience):
                    ids = node.custom_audience.agent_ids or []
                    too_big = [a for a in ids if a >= pop.agents]
                    if too_big:
                        yield (
                            path,
                            (
                                f"agent id {too_big[0]} is out of range (population has "
                                f"{pop.agents} agents, ids 0..{pop.agents - 1})"
                            ),
                        )

    def _calendar_problems(self, topics: set[str], unknown: Any) -> Iterator[tuple[str, str]]:
        cal = self.calendar
        names = {e.name for e in cal.events} if cal is not None else set()
        yield from unknown("event", list(self.app.intent.events), names, "app.intent.events")
        if cal is None:
            return
        for i, e in enumerate(cal.events):
            if e.topic is not None:
                yield from unknown("interest", [e.topic], topics, f"calendar.events.{i}.topic")
        for word, topic in cal.keywords.items():
            yield from unknown("interest", [topic], topics, f"calendar.keywords.{word}")

    def _time_bound_problems(
        self, node: Any, path: str, topics: set[str], unknown: Any
    ) -> Iterator[tuple[str, str]]:
        """Event, tv and keyword predicates name things of the calendar."""
        cal = self.calendar
        if isinstance(node, ConversationIn):
            yield from unknown("interest", node.conversation.topics, topics, path)
            return
        if cal is None:
            yield path, "time-bound targeting needs a calendar section (calendar: {events: ...})"
            return
        events = {e.name: e for e in cal.events}
        if isinstance(node, EventIn):
            yield from unknown("event", [node.event.name], set(events), f"{path}.event.name")
        elif isinstance(node, Tv):
            shows = {name for name, e in events.items() if e.kind == "tv"}
            yield from unknown("TV show", [node.tv.show], shows, f"{path}.tv.show")
        else:
            known = set(cal.keyword_topics())
            words = [w.lower() for w in node.keywords.words]
            yield from unknown("keyword", words, known, f"{path}.keywords.words")

    @property
    def horizon_h(self) -> float:
        return self.horizon_days * 24.0

    def digest(self) -> str:
        """SHA-256 of the canonical JSON form: identifies the scenario in a run's manifest."""
        canonical = json.dumps(self.model_dump(mode="json", by_alias=True), sort_keys=True)
        return hashlib.sha256(canonical.encode()).hexdigest()

    def for_replicate(self, replicate: int) -> Scenario:
        """The scenario replicate ``replicate`` runs: with its posterior draw applied (and
        no posterior left), or itself without one."""
        if self.posterior is None:
            return self
        plain = self.model_copy(update={"posterior": None})
        return plain.with_changes(self.posterior.changes(replicate), source="posterior")

    def with_changes(self, changes: Mapping[str, Any], source: str = "") -> Scenario:
        """A validated copy with ``changes`` (path -> value or callable) applied; strategies and
        other named items are addressed by name: ``{"strategies.broad.budget.daily_usd": 200}``.
        See :mod:`adsim.scenario.edit`."""
        from .edit import with_changes

        return with_changes(self, changes, source)

    @property
    def strategy_names(self) -> list[str]:
        """Paid strategies, then organic tactics: the rows of a run's summary."""
        return [s.name for s in self.strategies] + [t.name for t in self.organic_tactics]
