"""The scenario and sweep references (docs/scenario.md, docs/sweep.md), generated from the
schemas so they cannot drift: one section per kind of mapping, in the order a file introduces
them, with each key's type, default, accepted range and description."""

from __future__ import annotations

import json
from collections import deque
from typing import Any

from pydantic import BaseModel

from .basis import BASIS
from .common import Model
from .errors import PATTERN_WORDS
from .model import Scenario
from .sweep import SweepSpec

__all__ = ["scenario_reference", "sweep_reference"]

HEADER = """\
# Scenario reference

Generated from the schema by `adsim docs` (a test checks it is current): do not edit by hand.
Every key of a scenario file, section by section. A key without a default is required. Money is
in real US dollars; `scale` real people stand behind each simulated agent. `adsim show FILE`
prints a scenario with every default filled in; `adsim init` writes a commented starter.
"""

SWEEP_HEADER = """\
# Sweep reference

Generated from the schema by `adsim docs` (a test checks it is current): do not edit by hand.
Every key of a sweep file (`adsim sweep SPEC --out DIR`), section by section. A parameter is a
scenario path (strategies and other named items by name, `*` for every item, as in
`strategies.*.budget.daily_usd`) or `budget_scale` (every strategy's budgets x the value).
See `sweeps/` for examples.
"""


def _ref_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def _anchor(name: str) -> str:
    return name.lower()


def _type(node: dict[str, Any]) -> str:
    """A short, readable type of a schema fragment, with links to other sections."""
    if "$ref" in node:
        name = _ref_name(node["$ref"])
        return f"[{name}](#{_anchor(name)})"
    if "const" in node:
        return f"`{json.dumps(node['const'])}`"
    if "enum" in node:
        return "one of " + ", ".join(f"`{v}`" for v in node["enum"])
    for key in ("oneOf", "anyOf"):
        if key in node:
            options = [o for o in node[key] if o.get("type") != "null"]
            nullable = len(options) < len(node[key])
            text = " or ".join(_type(o) for o in options)
            return f"{text} or null" if nullable else text
    kind = node.get("type")
    if kind == "array":
        return f"list of {_type(node.get('items', {}))}"
    if kind == "object":
        value = _type(node.get("additionalProperties", {}) or {"type": "any"})
        keys = node.get("propertyNames", {}).get("enum")
        key = " | ".join(f"`{k}`" for k in keys) if keys else "name"
        return f"mapping {key} → {value}"
    return {
        "number": "number",
        "integer": "integer",
        "string": "text",
        "boolean": "true/false",
    }.get(kind, kind or "any")


def _limits(node: dict[str, Any]) -> str:
    """Accepted range of a fragment (and of the non-null option of an optional value)."""
    for key in ("anyOf", "oneOf"):
        options = [o for o in node.get(key, []) if o.get("type") != "null"]
        if len(options) == 1:
            node = {**options[0], **{k: v for k, v in node.items() if k != key}}
    parts = []
    if node.get("type") == "array":
        items = node.get("items", {})
        if "minItems" in node or "maxItems" in node:
            parts.append(_count(node.get("minItems"), node.get("maxItems"), "items"))
        inner = _limits(items)
        if inner:
            parts.append(f"each {inner}")
        return "; ".join(parts)
    if node.get("type") == "object" and "additionalProperties" in node:
        inner = _limits(node["additionalProperties"])
        return f"each {inner}" if inner else ""
    low = node.get("minimum"), node.get("exclusiveMinimum")
    high = node.get("maximum"), node.get("exclusiveMaximum")
    if low[0] is not None:
        parts.append(f"≥ {_num(low[0])}")
    if low[1] is not None:
        parts.append(f"> {_num(low[1])}")
    if high[0] is not None:
        parts.append(f"≤ {_num(high[0])}")
    if high[1] is not None:
        parts.append(f"< {_num(high[1])}")
    if "minLength" in node or "maxLength" in node:
        parts.append(_count(node.get("minLength"), node.get("maxLength"), "characters"))
    if "pattern" in node:
        pattern = node["pattern"]
        parts.append(PATTERN_WORDS.get(pattern, f"matches `{pattern}`"))
    return ", ".join(parts)


def _count(low: int | None, high: int | None, what: str) -> str:
    if low is not None and high is not None:
        return f"{low}-{high:,} {what}" if low != high else f"exactly {low} {what}"
    if low is not None:
        return "not empty" if low == 1 else f"at least {low} {what}"
    return f"at most {high:,} {what}"


def _num(value: float) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"{value:,}" if isinstance(value, int) and abs(value) < 1e12 else f"{value:g}"


def _model_classes() -> dict[str, type[BaseModel]]:
    """Every scenario model class by name (the schema's section names)."""
    found: dict[str, type[BaseModel]] = {}
    stack: list[type[BaseModel]] = [Model]
    while stack:
        cls = stack.pop()
        found.setdefault(cls.__name__, cls)
        stack.extend(cls.__subclasses__())
    return found


def _default(section: str, key: str, node: dict[str, Any], required: bool) -> str:
    if required:
        return "required"
    if "default" in node:
        value = node["default"]
    else:  # a default_factory: the schema leaves it out, the model knows it
        cls = _model_classes().get(section)
        field = next(
            (
                f
                for name, f in (cls.model_fields.items() if cls else [])
                if (f.alias or name) == key
            ),
            None,
        )
        if field is None:
            return "—"
        value = field.get_default(call_default_factory=True)
        if isinstance(value, BaseModel):
            return "its section's defaults"
    text = json.dumps(value)
    return f"`{text}`" if len(text) <= 40 else f"`{text[:37]}...`"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _refs(node: Any) -> list[str]:
    """Names of the sections a fragment links to, in order."""
    found: list[str] = []
    if isinstance(node, dict):
        if "$ref" in node:
            found.append(_ref_name(node["$ref"]))
        for value in node.values():
            found += _refs(value)
    elif isinstance(node, list):
        for value in node:
            found += _refs(value)
    return found


def scenario_reference() -> str:
    """The Markdown reference of every scenario key."""
    return model_reference(Scenario, HEADER)


def sweep_reference() -> str:
    """The Markdown reference of every sweep-file key."""
    return model_reference(SweepSpec, SWEEP_HEADER)


def model_reference(root: type[BaseModel], header: str) -> str:
    """The Markdown reference of every key of ``root``'s files."""
    top = root.__name__
    schema = root.model_json_schema(by_alias=True)
    defs: dict[str, dict[str, Any]] = schema.pop("$defs", {})
    defs[top] = schema
    used_at: dict[str, list[str]] = {top: ["(the file itself)"]}
    order: list[str] = []
    queue = deque([top])
    while queue:  # breadth first: sections follow the order a file introduces them
        name = queue.popleft()
        if name in order:
            continue
        order.append(name)
        for key, prop in defs[name].get("properties", {}).items():
            for ref in _refs(prop):
                used_at.setdefault(ref, [])
                if f"{name}.{key}" not in used_at[ref]:
                    used_at[ref].append(f"{name}.{key}")
                queue.append(ref)
    lines = [header]
    for name in order:
        model = defs[name]
        lines.append(f"## {name}\n")
        if model.get("description"):
            lines.append(" ".join(model["description"].split()) + "\n")
        sites = used_at.get(name, [])
        shown = ", ".join(f"`{s}`" for s in sites[:6]) + (" ..." if len(sites) > 6 else "")
        lines.append(f"Used in: {shown}\n")
        required = set(model.get("required", []))
        lines.append("| key | type | default | accepted | meaning |")
        lines.append("|---|---|---|---|---|")
        for key, prop in model.get("properties", {}).items():
            meaning = " ".join(prop.get("description", "").split())
            if f"{name}.{key}" in BASIS:
                meaning = f"{meaning} *Basis: {BASIS[f'{name}.{key}']}.*".strip()
            row = [
                f"`{key}`",
                _type(prop),
                _default(name, key, prop, key in required),
                _limits(prop),
                meaning,
            ]
            lines.append("| " + " | ".join(_cell(c) for c in row) + " |")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"
