"""Validated edits of a scenario by path, for what-if scripts and sweeps.

A path is dot-separated keys; list items with a name (strategies, organic tactics, regions,
posting plans) or a handle (accounts) are addressed by it, others by their 0-based index, and
``*`` means every item of the list::

    strategies.young_foodies.budget.daily_usd
    strategies[young_foodies].budget.daily_usd   (the form error messages use)
    strategies.*.bid.amount_usd
    accounts[@autos].followers

A value replaces what is there (a mapping replaces a whole sub-tree); a callable receives the
current value and returns the new one (``lambda usd: usd * 2``). The edited scenario is
validated as a whole, so an edit never yields a scenario the engine could not run, and a bad
one raises the same :class:`ScenarioError` as a bad file.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from .errors import did_you_mean
from .load import ScenarioError, scenario_from_dict

if TYPE_CHECKING:
    from .model import Scenario

__all__ = ["parse_path", "plain_value", "with_changes"]

_TOKEN = re.compile(r"\[([^\]]+)\]|([^.\[\]]+)")


def parse_path(path: str) -> list[str]:
    """``'strategies[a b].budget.daily_usd'`` -> ``['strategies', 'a b', 'budget',
    'daily_usd']``."""
    if not isinstance(path, str) or not path.strip():
        raise ValueError("a change's path is empty")
    rest = path.replace("].", "]").strip()
    tokens: list[str] = []
    pos = 0
    while pos < len(rest):
        if rest[pos] == ".":
            pos += 1
            continue
        m = _TOKEN.match(rest, pos)
        if m is None:
            raise ValueError(f"cannot read the path {path!r} at {rest[pos:]!r}")
        tokens.append((m.group(1) or m.group(2)).strip())
        pos = m.end()
    if not tokens or any(not t for t in tokens):
        raise ValueError(f"the path {path!r} names no field (write e.g. 'app.store_cvr')")
    return tokens


def plain_value(value: Any) -> Any:
    """numpy scalars and arrays as Python numbers and lists, tuples as lists (inside lists and
    mappings too): values as a YAML file would give them."""
    tolist = getattr(value, "tolist", None)
    if callable(tolist) and not isinstance(value, str | bytes):
        return tolist()  # a numpy scalar gives a Python number, an array a (nested) list
    if isinstance(value, tuple | list):
        return [plain_value(v) for v in value]
    if isinstance(value, dict):
        return {k: plain_value(v) for k, v in value.items()}
    return value


def _label(item: Any) -> str | None:
    if isinstance(item, dict):
        label = item.get("name", item.get("handle"))
        return label if isinstance(label, str) else None
    return None


def _items(node: list, key: str, where: str) -> list[int]:
    """Indices of the list items ``key`` addresses (a name, a handle, an index or ``*``)."""
    if key == "*":
        return list(range(len(node)))
    labels = [_label(item) for item in node]
    if key in labels:
        return [labels.index(key)]
    if key.lstrip("-").isdigit() and -len(node) <= int(key) < len(node):
        return [int(key) % len(node)]
    named = [x for x in labels if x is not None]
    hint = did_you_mean(key, named) if named else ""
    known = f" (there are: {', '.join(named)})" if named else f" ({len(node)} items)"
    raise KeyError(f"no item {key!r} in {where}{hint}{known}")


def _apply(node: Any, tokens: list[str], value: Any, where: str, every: bool = False) -> int:
    """Apply ``value`` at ``tokens`` below ``node``; the number of places changed.

    Below a ``*`` (``every``) a function skips items where the field is not set (a bid amount
    on a lowest-cost strategy); a path that changes nothing at all is an error."""
    key, rest = tokens[0], tokens[1:]
    here = f"{where}.{key}" if where else key
    if isinstance(node, list):
        targets: list[Any] = _items(node, key, where or "<root>")
    elif isinstance(node, dict):
        if rest and key not in node:
            hint = did_you_mean(key, list(node))
            keys = ", ".join(map(str, node))
            raise KeyError(f"no key {key!r} in {where or '<root>'}{hint} (keys there: {keys})")
        targets = [key]
    else:
        raise KeyError(f"{where} is a value, not a mapping or a list: it has no {key!r}")
    every = every or (isinstance(node, list) and key == "*")
    changed = 0
    for t in targets:
        # The concrete place, with the item's name where the path said '*' or an index.
        at = f"{where}[{_label(node[t]) or t}]" if isinstance(node, list) else here
        if rest:
            child = node[t]
            if child is None:
                if every and callable(value):
                    continue
                raise KeyError(f"{at} is not set in this scenario: set {at} as a whole")
            changed += _apply(child, rest, value, at, every)
        elif callable(value):
            current = node.get(t) if isinstance(node, dict) else node[t]
            if current is None:
                if every:
                    continue
                raise KeyError(
                    f"{at} is not set in this scenario: a function has nothing to change"
                )
            try:
                node[t] = plain_value(value(current))
            except Exception as exc:  # the caller's function: report it with the place
                raise KeyError(f"{at}: the change function failed on {current!r}: {exc}") from None
            changed += 1
        else:
            node[t] = plain_value(value)
            changed += 1
    return changed


def with_changes(
    scenario: Scenario, changes: Mapping[str, Any | Callable[[Any], Any]], source: str = ""
) -> Scenario:
    """A new scenario: ``scenario`` with ``changes`` (path -> value or callable) applied in order,
    validated as a whole (raises :class:`ScenarioError` naming the field and the problem)."""
    label = source or f"{scenario.name} with changes"
    if not isinstance(changes, Mapping):
        got = type(changes).__name__
        raise ScenarioError(
            label, [("changes", f"should be a mapping of path -> value (a dict), not {got}")]
        )
    data = scenario.model_dump(mode="json", by_alias=True)
    problems: list[tuple[str, str]] = []
    for path, value in changes.items():
        try:
            if _apply(data, parse_path(path), value, "") == 0:
                raise KeyError(f"{path} is not set on any item of this scenario: nothing to change")
        except (KeyError, ValueError) as exc:
            problems.append((str(path), str(exc.args[0]) if exc.args else str(exc)))
    if problems:
        raise ScenarioError(label, problems)
    return scenario_from_dict(data, source=label)
