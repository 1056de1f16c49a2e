"""Scenario schema: audience segments as boolean expressions over predicates.

A segment node is a mapping with exactly one key, e.g.::

    all:
      - country: [ES]
      - age: {min: 25, max: 40}
      - any:
          - followers_of: ["@DGTes"]
          - interests: {any: [cars]}
      - not: {device: [other]}
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, Literal, Union

from pydantic import Discriminator, Field, Tag, ValidationInfo, model_validator

from .common import Gender, Model, Os, Positive

__all__ = [
    "MAX_LOOKBACK_DAYS",
    "SEGMENT_KEYS",
    "TIME_BOUND_KEYS",
    "Segment",
    "iter_segment",
]


class Everyone(Model):
    everyone: Literal[True]
    """Everyone on the platform: write `everyone: true`."""


class AgeRangeSpec(Model):
    min: int = Field(default=13, ge=13, le=100)
    """Youngest age included (years)."""
    max: int = Field(default=100, ge=13, le=100)
    """Oldest age included (years, inclusive)."""

    @model_validator(mode="after")
    def _ordered(self) -> AgeRangeSpec:
        if self.max < self.min:
            raise ValueError(f"max ({self.max}) is below min ({self.min})")
        return self


class Age(Model):
    age: AgeRangeSpec
    """People whose age lies within min..max."""


class GenderIn(Model):
    gender: list[Gender] = Field(min_length=1)
    """People of these genders."""


class CountryIn(Model):
    country: list[Annotated[str, Field(pattern=r"^[A-Z]{2}$")]] = Field(min_length=1)
    """People living in these countries (ISO codes of the scenario's regions)."""


class RegionIn(Model):
    region: list[str] = Field(min_length=1)
    """People living in these regions (region names)."""


class Circle(Model):
    lat: float = Field(ge=-90, le=90)
    """Latitude of the circle's centre (degrees)."""
    lon: float = Field(ge=-180, le=180)
    """Longitude of the circle's centre (degrees)."""
    km: Positive = Field(le=20_000)
    """Radius of the circle (km)."""


class Radius(Model):
    radius: Circle
    """People whose home point lies within a circle."""


class InterestSpec(Model):
    any: list[str] | None = Field(default=None, min_length=1)
    """People holding at least one of these topics."""
    all: list[str] | None = Field(default=None, min_length=1)
    """People holding every one of these topics."""

    @model_validator(mode="after")
    def _one(self) -> InterestSpec:
        if (self.any is None) == (self.all is None):
            raise ValueError("give exactly one of 'any' or 'all'")
        return self

    @property
    def topics(self) -> list[str]:
        return list(self.any or self.all or [])


class Interests(Model):
    interests: InterestSpec
    """People by interest topics: give `any` or `all`."""


class FollowersOf(Model):
    followers_of: list[str] = Field(min_length=1)
    """People following at least one of these accounts (handles)."""


class LookalikeSpec(Model):
    """The seed is the followers of ``of`` or the people in ``seed``: a customer list
    (``custom_audience``), the app's installers (``installed: true``) or its site visitors
    (``site_visitors``), or any static segment of them."""

    of: list[str] | None = Field(
        default=None, min_length=1, description="Seed accounts whose followers to resemble."
    )
    seed: Segment | None = None
    """A seed audience instead of accounts' followers (no time-bound predicates)."""
    # Meta offers look-alikes at 1-20% of a country (Meta Business Help Center).
    share: float = Field(default=0.05, ge=0.01, le=0.2, description="Share of the population.")

    @model_validator(mode="after")
    def _one_seed(self) -> LookalikeSpec:
        if (self.of is None) == (self.seed is None):
            raise ValueError("give exactly one of 'of' (accounts) or 'seed' (a segment)")
        return self


class Lookalike(Model):
    lookalike: LookalikeSpec
    """People most like a seed (followers of some accounts, a customer list, the app's
    installers or site visitors), as the platform ranks them by what it observes."""


class DeviceIn(Model):
    device: list[Os] = Field(min_length=1)
    """People whose device runs one of these operating systems."""


class LanguageIn(Model):
    language: list[str] = Field(min_length=1)
    """People speaking one of these languages (codes from the regions' language mixes)."""


MAX_AUDIENCE_FILE_BYTES = 256 * 2**20  # 20M agents' ids, one per line, fit in 180 MB


def read_agent_ids(path: Path) -> list[int]:
    """The agent ids in a CSV file (first column; a header row is allowed). Only a regular
    file is opened (a device or pipe could be read forever), at most MAX_AUDIENCE_FILE_BYTES
    of it, and no message quotes its content: the path may name any file on the machine."""
    import stat

    where = f"custom audience file {str(path)!r}"
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        raise ValueError(f"cannot read {where}: {exc.strerror}") from None
    if not stat.S_ISREG(mode):
        kind = "a folder" if stat.S_ISDIR(mode) else "a device, pipe or socket"
        raise ValueError(f"cannot read {where}: it is {kind}, not a file")
    try:
        with path.open("rb") as f:
            raw = f.read(MAX_AUDIENCE_FILE_BYTES + 1)
    except OSError as exc:
        raise ValueError(f"cannot read {where}: {exc.strerror}") from None
    if len(raw) > MAX_AUDIENCE_FILE_BYTES:
        raise ValueError(f"{where}: larger than {MAX_AUDIENCE_FILE_BYTES // 2**20} MiB")
    try:
        lines = raw.decode("utf-8").splitlines()
        rows = [(n, r[0].strip()) for n, r in enumerate(csv.reader(lines), 1) if r and r[0].strip()]
    except UnicodeDecodeError:
        raise ValueError(f"{where}: not UTF-8 text") from None
    except csv.Error:
        raise ValueError(f"{where}: not CSV") from None

    def is_id(row: str) -> bool:  # ASCII digits only: '²'.isdigit() is True
        return row.isascii() and row.isdigit()

    if rows and not is_id(rows[0][1]):
        rows = rows[1:]  # header
    bad = next((n for n, r in rows if not is_id(r)), None)
    if bad is not None:
        raise ValueError(f"{where}: line {bad} is not an agent id (a whole number from 0)")
    return [int(r) for _, r in rows]


class CustomAudienceSpec(Model):
    """Agent ids, inline or from a CSV file (one id per row; a header row is allowed)."""

    path: str | None = None
    """CSV file of agent ids, one per row (relative to the scenario file)."""
    agent_ids: list[Annotated[int, Field(ge=0)]] | None = None
    """Agent ids given inline (0 to agents - 1)."""

    @model_validator(mode="before")
    @classmethod
    def _read_file(cls, data: Any, info: ValidationInfo) -> Any:
        if not isinstance(data, dict) or data.get("path") is None or "agent_ids" in data:
            return data
        base = Path((info.context or {}).get("base_dir", "."))
        path = Path(str(data["path"]))
        path = path if path.is_absolute() else base / path
        return {**data, "agent_ids": read_agent_ids(path)}

    @model_validator(mode="after")
    def _one(self) -> CustomAudienceSpec:
        if self.agent_ids is None:
            raise ValueError("give 'path' (a CSV of agent ids) or 'agent_ids'")
        return self


class CustomAudience(Model):
    custom_audience: CustomAudienceSpec
    """A customer list: agent ids, inline or from a CSV file."""


class Installed(Model):
    """People who had the app before the run starts (a platform knows via its SDK)."""

    installed: bool
    """true: people who already have the app; false: people who do not."""


MAX_LOOKBACK_DAYS = 60


class SiteVisitorsSpec(Model):
    """A retargeting-like custom audience: people who showed intent for the app (were in the
    market, so visited its site or store page) in the last ``lookback_days`` before the run,
    of whom ``match_rate`` are matched to platform accounts."""

    lookback_days: int = Field(default=30, ge=1, le=MAX_LOOKBACK_DAYS)
    """Days before the run within which a visit counts."""
    match_rate: float = Field(default=0.6, gt=0, le=1)
    """Share of the visitors the platform matches to accounts."""


class SiteVisitors(Model):
    site_visitors: SiteVisitorsSpec
    """People who showed intent for the app before the run (a retargeting list)."""


# Time-bound predicates: their members change during the run, so the engine re-evaluates
# them every slot from the people's conversation and event state (see adsim.calendar).


class EventSpec(Model):
    name: str
    """The event (a name in calendar.events)."""
    recency_h: float = Field(default=72.0, gt=0, le=24 * 60)
    """How long a person stays in the audience after their last session during an airing
    (ASSUMPTION: X targets event audiences while the event happens and publishes no window)."""
    only_during: bool = False
    """true: the audience exists only while the event airs."""


class EventIn(Model):
    event: EventSpec
    """People engaged with an event: its followers who were on the platform while it aired."""


class TvSpec(Model):
    show: str
    """The show (a calendar event of kind tv)."""
    recency_h: float = Field(default=24.0, gt=0, le=24 * 60)
    """How long a viewer stays in the audience after an airing they were on during."""


class Tv(Model):
    tv: TvSpec
    """People watching and talking about a TV show around its airings."""


class KeywordSpec(Model):
    words: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(min_length=1)
    """Keywords or hashtags (each known from calendar.keywords or an event's keywords)."""
    recency_h: float = Field(default=24.0, gt=0, le=24 * 60)
    """How recently a person must have posted, searched or engaged with one (X publishes no
    window: ASSUMPTION 24 h)."""


class Keywords(Model):
    keywords: KeywordSpec
    """People who recently used some keywords: the topics' talkers, of whom
    calendar.conversation.precision hold the topic, caught in proportion to how many of the
    topic's keywords are listed."""


class ConversationSpec(Model):
    topics: list[str] = Field(min_length=1)
    """Interest topics."""
    recency_h: float = Field(default=72.0, gt=0, le=24 * 60)
    """How recently a person must have talked about one (ASSUMPTION 3 days)."""


class ConversationIn(Model):
    conversation: ConversationSpec
    """People who recently talked about some topics (the platform's topic classifier: every
    such conversation, of which calendar.conversation.precision come from holders)."""


TIME_BOUND_KEYS = ("event", "tv", "keywords", "conversation")


class All(Model):
    all: list[Segment] = Field(min_length=1)
    """People in every listed segment (AND)."""


class AnyOf(Model):
    any: list[Segment] = Field(min_length=1)
    """People in at least one listed segment (OR)."""


class Not(Model):
    not_: Segment = Field(alias="not")
    """People not in this segment."""


_NODES: dict[str, type[Model]] = {
    "everyone": Everyone,
    "age": Age,
    "gender": GenderIn,
    "country": CountryIn,
    "region": RegionIn,
    "radius": Radius,
    "interests": Interests,
    "followers_of": FollowersOf,
    "lookalike": Lookalike,
    "device": DeviceIn,
    "language": LanguageIn,
    "custom_audience": CustomAudience,
    "installed": Installed,
    "site_visitors": SiteVisitors,
    "event": EventIn,
    "tv": Tv,
    "keywords": Keywords,
    "conversation": ConversationIn,
    "all": All,
    "any": AnyOf,
    "not": Not,
}
SEGMENT_KEYS: tuple[str, ...] = tuple(_NODES)


def _segment_kind(value: Any) -> str | None:
    if isinstance(value, Model):
        return next(k for k, cls in _NODES.items() if isinstance(value, cls))
    if isinstance(value, dict) and len(value) == 1:
        key = next(iter(value))
        return key if key in _NODES else None
    return None


Segment = Annotated[
    Union[tuple(Annotated[cls, Tag(key)] for key, cls in _NODES.items())],  # noqa: UP007
    Discriminator(
        _segment_kind,
        custom_error_type="segment",
        custom_error_message="a segment is a mapping with exactly one of: " + ", ".join(_NODES),
    ),
]

for _cls in (All, AnyOf, Not, LookalikeSpec, Lookalike):
    _cls.model_rebuild()


def iter_segment(node: Model, path: str) -> Iterator[tuple[str, Model]]:
    """Yield every node of a segment tree with its dotted path (for reference checks)."""
    yield path, node
    if isinstance(node, All | AnyOf):
        children = node.all if isinstance(node, All) else node.any
        key = "all" if isinstance(node, All) else "any"
        for i, child in enumerate(children):
            yield from iter_segment(child, f"{path}.{key}.{i}")
    elif isinstance(node, Not):
        yield from iter_segment(node.not_, f"{path}.not")
    elif isinstance(node, Lookalike) and node.lookalike.seed is not None:
        yield from iter_segment(node.lookalike.seed, f"{path}.lookalike.seed")
