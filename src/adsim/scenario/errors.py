"""Validation errors in a planner's words.

pydantic reports ``strategies.2.budget.daly_usd: Extra inputs are not permitted``; a planner
should read ``strategies[site_visitors].budget.daly_usd: unknown key 'daly_usd'; did you mean
'daily_usd'? (allowed here: daily_usd, lifetime_usd)``. List items with a name (strategies,
regions, interests) or a handle (accounts) are shown by it; others by their 0-based index.
"""

from __future__ import annotations

import datetime
import difflib
import re
import types
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, Tag, ValidationError

__all__ = ["did_you_mean", "friendly_path", "friendly_problems", "yaml_kind"]


def did_you_mean(word: str, choices: list[str] | tuple[str, ...] | set[str]) -> str:
    """'; did you mean 'x'?' for the closest choice, or '' when none is close."""
    close = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def friendly_path(parts: list[Any] | tuple[Any, ...], data: Any) -> str:
    """A location as a planner reads it: ``strategies[young_foodies].audience.all[1]``."""
    out = ""
    node = data
    for part in parts:
        if part == "[key]":  # pydantic's marker for a bad mapping key: the key is named already
            continue
        if isinstance(part, int) or (isinstance(part, str) and part.isdigit()):
            index = int(part)
            item = node[index] if isinstance(node, list) and 0 <= index < len(node) else None
            label = None
            if isinstance(item, dict):
                label = item.get("name", item.get("handle"))
            # By its name when it is a plain short name; a name that is itself the problem
            # (too long, control characters) is shown by index.
            named = isinstance(label, str) and 0 < len(label) <= 60 and label.isprintable()
            out += f"[{label}]" if named else f"[{index}]"
            node = item
        else:
            out += f".{part}" if out else str(part)
            node = node.get(part) if isinstance(node, dict) else None
    return out


# What each pattern in the schema asks for, in words (pydantic would print the regex).
PATTERN_WORDS = {
    r"^@[A-Za-z0-9_]{1,30}$": "a handle: @ then 1 to 30 letters, digits or _ (like @brand_app)",
    r"^[A-Za-z0-9_.\- ]+$": "letters, digits, spaces and _ . - only",
    r"^[A-Z]{2}$": "a two-letter country code in capitals (like SA)",
    r"^[a-z0-9_]+$": "lower-case letters, digits and _ only",
    r"^[^\x00-\x1f\x7f]+$": "one line of text without control characters (tab, NUL, ...)",
}
SHOWN_TEXT = 40  # characters of a user's text quoted back in a message


def _shown(text: str) -> str:
    """A user's text quoted back: escaped (repr) and cut, never a megabyte or a raw NUL."""
    return repr(text if len(text) <= SHOWN_TEXT else text[:SHOWN_TEXT] + "...")


def yaml_kind(value: Any) -> str:
    """What a value looks like in a YAML file."""
    if value is None:
        return "nothing (an empty value)"
    if isinstance(value, bool):
        return f"{str(value).lower()} (true/false)"
    if isinstance(value, str):
        return f"the text {_shown(value)}"
    if isinstance(value, int | float):
        return f"the number {value!r}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, datetime.date):
        return f"the date {value.isoformat()}"
    return {"bytes": "binary data", "set": "a set"}.get(type(value).__name__, type(value).__name__)


def _members(t: Any) -> list[tuple[Any, str | None]]:
    """Concrete alternatives of a type with their union tags: unwraps Annotated and unions."""
    origin = get_origin(t)
    if origin is Annotated:
        inner, *meta = get_args(t)
        tag = next((m.tag for m in meta if isinstance(m, Tag)), None)
        return [(m, tag or sub_tag) for m, sub_tag in _members(inner)]
    if origin in (Union, types.UnionType):
        return [m for arg in get_args(t) for m in _members(arg)]
    if isinstance(t, type) and issubclass(t, BaseModel):  # a Literal discriminator field
        for field in t.model_fields.values():
            values = get_args(field.annotation) if get_origin(field.annotation) is Literal else ()
            if len(values) == 1 and field.is_required():
                return [(t, str(values[0]))]
    return [(t, None)]


def _field(cls: type[BaseModel], key: str) -> Any:
    for name, field in cls.model_fields.items():
        if (field.alias or name) == key:
            return field.annotation
    return None


def _walk(root: type[BaseModel], loc: tuple[Any, ...]) -> tuple[list[Any], tuple[Any, ...]]:
    """Follow ``loc`` through the model classes: the types found there, and ``loc`` without
    the union tags pydantic inserts (``bid.max_cpm.amount_usd`` -> ``bid.amount_usd``)."""
    current: list[Any] = [root]
    kept: list[Any] = []
    for part in loc:
        following: list[Any] = []
        is_tag = False
        for t in current:
            members = _members(t)
            tagged = [m for m, tag in members if tag is not None and tag == part]
            if tagged and len(members) > 1:
                following += tagged
                is_tag = True
                continue
            for m, _ in members:
                origin = get_origin(m)
                if isinstance(part, int) and origin in (list, tuple):
                    following += list(get_args(m)[:1])
                elif isinstance(part, str) and origin is dict:
                    following += list(get_args(m)[1:2])
                elif isinstance(m, type) and issubclass(m, BaseModel):
                    child = _field(m, str(part))
                    if child is not None:
                        following.append(child)
        if not is_tag:
            kept.append(part)
        current = following
    return current, tuple(kept)


def _allowed_keys(root: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """Keys a mapping at ``loc`` accepts ([] if the location is not found)."""
    keys: list[str] = []
    for t in _walk(root, loc)[0]:
        for m, _ in _members(t):
            if isinstance(m, type) and issubclass(m, BaseModel):
                keys += [f.alias or n for n, f in m.model_fields.items()]
    return list(dict.fromkeys(keys))


def _quoted(text: str) -> list[str]:
    return re.findall(r"'([^']*)'", text)


def _message(err: dict[str, Any], root: type[BaseModel]) -> str:
    kind, value, ctx = err["type"], err.get("input"), err.get("ctx") or {}
    msg = err["msg"].removeprefix("Value error, ")
    if kind == "extra_forbidden":
        key = str(err["loc"][-1])
        allowed = _allowed_keys(root, err["loc"][:-1])
        hint = did_you_mean(key, allowed)
        listed = f" (allowed here: {', '.join(allowed)})" if allowed else ""
        return f"unknown key {key!r}{hint}{listed}"
    if kind == "missing":
        return "required, but missing"
    if kind == "union_tag_invalid":
        key = ctx.get("discriminator", "").strip("'")
        expected = _quoted(ctx.get("expected_tags", ""))
        tag = ctx.get("tag", value)
        return f"unknown {key} {tag!r}{did_you_mean(tag, expected)} (one of: {', '.join(expected)})"
    if kind == "union_tag_not_found":
        key = ctx.get("discriminator", "").strip("'")
        return f"needs a {key!r} key saying which kind it is"
    if kind == "segment":
        from .segments import SEGMENT_KEYS

        keys = ", ".join(SEGMENT_KEYS)
        if isinstance(value, dict) and len(value) == 1:
            key = str(next(iter(value)))
            hint = did_you_mean(key, SEGMENT_KEYS)
            return f"unknown audience segment {key!r}{hint} (one of: {keys})"
        if isinstance(value, dict) and len(value) > 1:
            return (
                f"a segment has exactly one key, got {len(value)} ({', '.join(map(str, value))}); "
                "to require several, list them under all:"
            )
        return f"a segment is a mapping with one of: {keys}; got {yaml_kind(value)}"
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return f"should be a mapping (key: value lines), got {yaml_kind(value)}"
    if kind in ("list_type", "tuple_type"):
        return f"should be a list, got {yaml_kind(value)}"
    if kind in ("float_type", "int_type", "float_parsing", "int_parsing", "int_from_float"):
        want = "a whole number" if kind.startswith("int") else "a number"
        if isinstance(value, str):
            return f"should be {want}, got {yaml_kind(value)} (write it without quotes)"
        return f"should be {want}, got {yaml_kind(value)}"
    if kind == "string_type":
        return f"should be text, got {yaml_kind(value)} (quote it: '...')"
    if kind == "bool_type":
        return f"should be true or false, got {yaml_kind(value)}"
    if kind == "literal_error":
        expected = _quoted(ctx.get("expected", ""))
        if expected:
            hint = did_you_mean(str(value), expected)
            return f"unknown value {value!r}{hint} (one of: {', '.join(expected)})"
    if kind == "parameter_shape":
        return f"{msg}, got {yaml_kind(value)}"
    if kind == "string_pattern_mismatch":
        pattern = ctx.get("pattern", "")
        words = PATTERN_WORDS.get(pattern, f"text matching {pattern}")
        return f"should be {words}, got {yaml_kind(value)}"
    if kind == "string_too_short":
        return "should not be empty"
    if kind == "string_too_long":
        size = len(value) if isinstance(value, str) else "more"
        return f"should be at most {ctx.get('max_length')} characters, got {size:,}"
    if kind in ("too_short", "too_long"):
        size = ctx.get("actual_length", len(value) if isinstance(value, list | dict) else 0)
        if kind == "too_short":
            least = ctx.get("min_length", 1)
            return f"should list at least {least} item{'s' * (least != 1)}, got {size or 'none'}"
        return f"should list at most {ctx.get('max_length')} items, got {size:,}"
    if kind == "finite_number":
        return "should be a finite number (not .inf or .nan)"
    if msg.startswith("Input should be") and not isinstance(value, dict | list):
        return msg.replace("Input should be", "should be", 1) + f", got {value!r}"
    return msg


def friendly_problems(
    exc: ValidationError, data: Any, root: type[BaseModel]
) -> list[tuple[str, str]]:
    """``(path, message)`` per error of validating ``data`` as ``root``, in planner words."""
    out = []
    for err in exc.errors(include_url=False):
        msg = _message(err, root)
        loc = _walk(root, err["loc"])[1]
        # Root validators put the field path in the message ("strategies.0.audience: ...").
        if not loc and ": " in msg and " " not in msg.split(": ", 1)[0]:
            dotted, msg = msg.split(": ", 1)
            loc = tuple(int(p) if p.isdigit() else p for p in dotted.split("."))
        out.append((friendly_path(loc, data), msg))
    return out
