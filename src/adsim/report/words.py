"""Plain words for what reports show: audiences as a planner would say them, and the meaning of
column names that are not self-evident."""

from __future__ import annotations

from typing import Any

__all__ = ["PLAIN_NAMES", "audience_words"]

# Column and label names in outputs -> words for a reader of the report.
PLAIN_NAMES: dict[str, str] = {
    "ads": "caused by the ads",
    "brand_posts": "caused by brand posts seen",
    "shares": "caused by shares of brand posts",
    "baseline": "would have installed anyway",
    "credited_not_caused": "credited to the ads, not caused by them",
    "(standing)": "(standing posts: the brand's regular posting plan)",
    "(baseline)": "(baseline: no strategy or tactic)",
}


def _listing(values: list[Any]) -> str:
    values = [str(v) for v in values]
    return values[0] if len(values) == 1 else ", ".join(values[:-1]) + " or " + values[-1]


def audience_words(segment: Any) -> str:
    """``{"all": [{"followers_of": ["@a", "@b"]}, {"region": ["Madrid"]}]}`` ->
    ``followers of @a or @b AND region Madrid``. Unknown shapes fall back to their keys."""
    if not isinstance(segment, dict) or not segment:
        return str(segment)
    (key, value), *rest = segment.items()
    if rest:  # not a single predicate: describe each key
        return " AND ".join(audience_words({k: v}) for k, v in segment.items())
    if key == "everyone":
        return "everyone"
    if key in ("all", "any"):
        parts = [audience_words(s) for s in value]
        word = "AND" if key == "all" else "OR"
        inner = f" {word} ".join(parts)
        return inner if len(parts) == 1 else f"({inner})" if key == "any" else inner
    if key == "not":
        return f"NOT {audience_words(value)}"
    if key == "age":
        lo, hi = value.get("min", 13), value.get("max", 100)
        return f"age {lo}-{hi}"
    if key in ("country", "region", "gender", "device", "language"):
        return f"{key} {_listing(value)}"
    if key == "followers_of":
        return f"followers of {_listing(value)}"
    if key == "interests":
        parts = []
        if value.get("any"):
            parts.append(f"interested in {_listing(value['any'])}")
        if value.get("all"):
            parts.append("interested in all of " + ", ".join(value["all"]))
        return " AND ".join(parts) or "interests"
    if key == "radius":
        return f"within {value.get('km', '?'):g} km of ({value.get('lat')}, {value.get('lon')})"
    if key == "lookalike":
        share = value.get("share", 0.05)
        return f"lookalike ({share:.0%}) of the followers of {_listing(value.get('of', []))}"
    if key == "custom_audience":
        name = value.get("name") or value.get("path") or "a list"
        return f"custom audience {name}"
    if key == "installed":
        return "people who have the app" if value else "people who do not have the app"
    if key == "site_visitors":
        days = value.get("lookback_days", 30)
        return f"site visitors of the last {days} days"
    return f"{key} {value}"
