"""Scenario schema: the calendar. Dates and weekdays, seasons, and named events (a match, a
TV show's episodes, a conference, a holiday sale) that move who is online, what they talk
about and what the rest of the market pays.

Published figures the defaults and the bundled examples lean on:

- Twitter averaged ~2,900 tweets/s; the 2012 Super Bowl peaked at 12,233/s (~4x) and the
  all-time peak was 25,088/s (~8.6x) (press reports of Twitter's own figures).
- Social CPMs rose ~50% on Black Friday, ~38% on Cyber Monday and ~19% the day before
  (Smartly.io); ~17% during Euro 2020 (agency comment); Meta CPMs went from ~$7 to ~$15
  between 8 Nov and 3 Dec 2024 (Jon Loomer).
- X event targeting reaches people engaging with an event while it happens; TV targeting
  people tweeting about a show before, during and after it airs; keyword targeting people who
  recently searched, tweeted or engaged with a keyword, "within minutes", with at least ~25
  keywords advised, and many of them not interested (X Ads help pages).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import Field, model_validator

from .common import Label, Model, Mult, Positive, Probability, check_unique

__all__ = ["WEEKDAYS", "Airing", "Calendar", "Conversation", "Event", "EventMarket", "Season"]

WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
# A date written as YAML's 2026-11-27 or the text "2026-11-27".
Date = Annotated[dt.date, Field(strict=False)]
MAX_DAY = 365
# A day of the run (0 = the first) or a calendar date (needs calendar.start_date).
DayRef = Annotated[int, Field(ge=0, le=MAX_DAY)] | Date


class Airing(Model):
    """One window of an event: an episode, a match, a sale day."""

    day: DayRef
    """The day it starts: a day of the run (0 = the first) or a date (needs start_date)."""
    hour: float = Field(default=0.0, ge=0, lt=24)
    """The hour it starts, on the advertiser's clock."""
    hours: Positive = Field(default=2.0, le=24 * 14)
    """How long it lasts (hours)."""


class EventMarket(Model):
    """Multipliers on the rest of the market's prices around an event: every advertiser sees
    the same calendar, so these move what everyone bids, for everyone on the platform."""

    before: Mult = 1.0
    """In the ``before_h`` hours before each airing."""
    during: Mult = 1.0
    """While it airs."""
    after: Mult = 1.0
    """In the ``after_h`` hours after each airing."""
    before_h: float = Field(default=24.0, ge=0, le=24 * 14)
    """Hours before each airing that ``before`` applies (Smartly.io: +19% the day before
    Black Friday)."""
    after_h: float = Field(default=24.0, ge=0, le=24 * 14)
    """Hours after each airing that ``after`` applies."""


class Event(Model):
    """A named moment. Of the people holding its topic (everyone when it has none), an
    ``engaged_share`` follow it: while it airs they open the app ``activity_mult`` times as
    often and talk about its topic ``talk_mult`` times as often, and every session of theirs
    during an airing makes them part of the event's audience (``event`` and ``tv``
    targeting)."""

    name: Label
    """The event's name, used by ``event:`` and ``tv:`` targeting and in outputs."""
    kind: Literal["sport", "tv", "conference", "sale", "other"] = "other"
    """What it is: ``tv`` events can be targeted with ``tv:``, all with ``event:``."""
    topic: str | None = None
    """The interest topic it belongs to (its followers come from the topic's holders)."""
    airings: list[Airing] = Field(min_length=1, max_length=400)
    """When it happens: one window, or one per episode."""
    engaged_share: Probability = 0.3
    """Share of the topic's holders who follow it (ASSUMPTION: X's events calendar shows past
    audience sizes, not this share; give ``audience_people`` to set it from one)."""
    audience_people: int | None = Field(default=None, gt=0, le=10**10)
    """The event's past audience size as X's events calendar shows it (real people): sets
    the followers to that many of the topic's holders (all of them at most), in place of
    ``engaged_share``."""
    activity_mult: Mult = 2.0
    """Sessions of engaged people while it airs, x their usual (ASSUMPTION; tweets per second
    were ~4x the average at the 2012 Super Bowl, and part of that is more posts per session)."""
    talk_mult: Mult = 4.0
    """How much more often engaged people talk about its topic per session while it airs
    (~4x: Twitter's 2012 Super Bowl peak over its average)."""
    market: EventMarket = Field(default_factory=EventMarket)
    """The rest of the market's prices around it."""
    hashtag_browse_share: Probability = 0.3
    """Share of its followers' sessions during an airing in which they browse its hashtag, so
    see posts published into it (``posting.event``) without following the author
    (ASSUMPTION: X's events calendar shows an event's hashtags; no published share)."""
    keywords: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(
        default_factory=list, max_length=1000
    )
    """Its keywords and hashtags: ``keywords`` targeting with them reaches people talking
    about its topic."""


class Season(Model):
    """A stretch of days with its own activity and prices (Q4, a sale week, the summer)."""

    name: Label
    """A name for outputs and messages."""
    first_day: DayRef
    """First day (run day or date)."""
    last_day: DayRef
    """Last day, inclusive (run day or date)."""
    sessions: Mult = 1.0
    """Sessions per person, x their usual."""
    market: Mult = 1.0
    """The rest of the market's prices, x their usual."""


class Conversation(Model):
    """How people talk about their topics, which keyword and conversation targeting read."""

    talk_per_session: Probability = 0.03
    """Chance that a session of someone holding a topic includes a post, search or engagement
    about it (ASSUMPTION: Pew 2019 found the top 10% of users write 80% of tweets; activity
    already varies by person through sessions)."""
    precision: float = Field(default=0.5, gt=0, le=1)
    """Share of the talk about a topic's keywords that comes from people holding the topic;
    the rest use the words without the interest (ASSUMPTION: X warns keyword targeting
    reaches many who are not interested, and publishes no figure). Over a long recency
    window the share of people is a little lower: holders talk more than once."""
    keywords_for_full_reach: int = Field(default=25, ge=1, le=10_000)
    """Keywords of a topic a campaign lists to catch all of its conversation; fewer catch a
    proportional share of the people (X advises at least ~25 keywords)."""


class Calendar(Model):
    """When the run happens, and what happens meanwhile. Times are on the advertiser's clock."""

    start_date: Date | None = None
    """The run's first day: gives weekdays and dates (needed by weekday multipliers and dates
    anywhere in the calendar)."""
    weekday_sessions: dict[Weekday, Mult] = Field(default_factory=dict)
    """Sessions per person by weekday, x their usual (mon..sun; 1 where not listed)."""
    weekday_market: dict[Weekday, Mult] = Field(default_factory=dict)
    """The rest of the market's prices by weekday (mon..sun; 1 where not listed)."""
    seasons: list[Season] = Field(default_factory=list, max_length=100)
    """Stretches of days with their own activity and prices; overlapping ones multiply."""
    events: list[Event] = Field(default_factory=list, max_length=64)
    """Named events (up to 64); overlapping ones' market multipliers multiply."""
    conversation: Conversation = Field(default_factory=Conversation)
    """How people talk about their topics (keyword and conversation targeting)."""
    keywords: dict[Annotated[str, Field(min_length=1, max_length=100)], str] = Field(
        default_factory=dict, max_length=10_000
    )
    """Keywords and hashtags and the interest topic each belongs to (events add theirs)."""

    @model_validator(mode="after")
    def _dates_need_a_start(self) -> Calendar:
        if self.start_date is not None:
            return self
        if self.weekday_sessions or self.weekday_market:
            which = "weekday_sessions" if self.weekday_sessions else "weekday_market"
            raise ValueError(f"{which}: weekday multipliers need calendar.start_date")
        for path, ref in self._day_refs():
            if isinstance(ref, dt.date):
                raise ValueError(f"{path}: a date needs calendar.start_date (or give a run day)")
        return self

    @model_validator(mode="after")
    def _names(self) -> Calendar:
        check_unique([e.name for e in self.events], "calendar.events names")
        for i, s in enumerate(self.seasons):
            if self.day_of(s.last_day) < self.day_of(s.first_day):
                raise ValueError(f"seasons.{i}.last_day: before its first_day")
        for path, ref in self._day_refs():
            if self.day_of(ref) < 0:
                raise ValueError(f"{path}: {ref} is before calendar.start_date")
        return self

    def _day_refs(self) -> list[tuple[str, int | dt.date]]:
        refs: list[tuple[str, int | dt.date]] = []
        for i, s in enumerate(self.seasons):
            refs += [(f"seasons.{i}.first_day", s.first_day), (f"seasons.{i}.last_day", s.last_day)]
        for i, e in enumerate(self.events):
            refs += [(f"events.{i}.airings.{k}.day", a.day) for k, a in enumerate(e.airings)]
        return refs

    def day_of(self, ref: int | dt.date) -> int:
        """A day reference as a day of the run (0 = the first)."""
        if isinstance(ref, dt.date):
            assert self.start_date is not None  # checked by _dates_need_a_start
            return (ref - self.start_date).days
        return ref

    def date_of(self, day: int) -> dt.date | None:
        return None if self.start_date is None else self.start_date + dt.timedelta(days=day)

    def keyword_topics(self) -> dict[str, str]:
        """Every known keyword (lower case) and its topic: the calendar's and its events'."""
        words = {w.lower(): t for w, t in self.keywords.items()}
        for e in self.events:
            if e.topic is not None:
                words.update({w.lower(): e.topic for w in e.keywords})
        return words
