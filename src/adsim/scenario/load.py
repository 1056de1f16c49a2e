"""Reading scenario files (YAML or JSON) into a validated :class:`Scenario`.

This is the only place user input is parsed. Every failure becomes a :class:`ScenarioError`
whose lines name the field path and the problem.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from .errors import friendly_path, friendly_problems
from .model import Scenario

__all__ = [
    "MAX_DEPTH",
    "MAX_NODES",
    "ScenarioError",
    "load_scenario",
    "read_document",
    "scenario_from_dict",
]

# A scenario is a few levels deep and a few thousand values; audiences nest, but not this far.
# Beyond these a file is refused before validation (deep nesting would exhaust the stack, and
# YAML aliases can expand a small file into billions of values).
MAX_DEPTH = 64
MAX_NODES = 1_000_000


class _UniqueKeyLoader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing a key repeated in one mapping (the last would win)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: set = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=deep)
            try:
                duplicate = key in seen
            except TypeError:  # an unhashable key: the base class reports it
                continue
            if duplicate:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


class _DuplicateKeyError(ValueError):
    pass


def _unique_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateKeyError(f"duplicate key {key!r}")
        out[key] = value
    return out


def _check_shape(data: Any) -> tuple[str, str] | None:
    """The first (path, problem) that makes ``data`` too deep or too large, else None."""
    stack: list[tuple[Any, tuple[str, ...]]] = [(data, ())]
    nodes = 0
    while stack:
        value, path = stack.pop()
        nodes += 1
        if nodes > MAX_NODES:
            return "", f"more than {MAX_NODES:,} values (do YAML aliases expand too far?)"
        if len(path) > MAX_DEPTH:
            where = friendly_path(path[:6], data) + "..."
            return where, f"nested more than {MAX_DEPTH} levels deep"
        if isinstance(value, dict):
            stack.extend((v, (*path, str(k))) for k, v in value.items())
        elif isinstance(value, list):
            stack.extend((v, (*path, str(i))) for i, v in enumerate(value))
    return None


class ScenarioError(ValueError):
    """A scenario could not be read or validated; ``problems`` are ``(field path, message)``."""

    def __init__(self, source: str, problems: list[tuple[str, str]]) -> None:
        self.source = source
        self.problems = problems
        lines = [f"{source}: {len(problems)} problem(s)"]
        lines += [f"  {path or '<root>'}: {msg}" for path, msg in problems]
        super().__init__("\n".join(lines))


def scenario_from_dict(data: Any, source: str = "<dict>", base_dir: Path | None = None) -> Scenario:
    """Validate a mapping as a scenario; relative file paths resolve against ``base_dir``."""
    if not isinstance(data, dict):
        what = "the file is empty" if data is None else f"got {type(data).__name__}"
        raise ScenarioError(
            source, [("", f"a scenario is a mapping of keys (name:, population:, ...); {what}")]
        )
    problem = _check_shape(data)
    if problem is not None:
        raise ScenarioError(source, [problem])
    try:
        return Scenario.model_validate(data, context={"base_dir": str(base_dir or Path.cwd())})
    except ValidationError as exc:
        raise ScenarioError(source, friendly_problems(exc, data, Scenario)) from None


def read_document(path: str | Path) -> Any:
    """The YAML (or, by suffix, JSON) document at ``path``: refuses repeated keys, and turns
    every failure to read or parse it into a :class:`ScenarioError` with the line."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(str(path), [("", f"cannot read file: {exc.strerror}")]) from None
    except UnicodeDecodeError:
        raise ScenarioError(str(path), [("", "file is not UTF-8 text")]) from None
    try:
        if path.suffix.lower() == ".json":
            return json.loads(text, object_pairs_hook=_unique_pairs)
        return yaml.load(text, Loader=_UniqueKeyLoader)  # a SafeLoader subclass
    except RecursionError:
        raise ScenarioError(
            str(path), [("", f"nested too deep to read (at most {MAX_DEPTH} levels)")]
        ) from None
    except _DuplicateKeyError as exc:
        raise ScenarioError(str(path), [("", f"invalid JSON: {exc}")]) from None
    except json.JSONDecodeError as exc:
        raise ScenarioError(
            str(path), [("", f"invalid JSON at line {exc.lineno}: {exc.msg}")]
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ScenarioError(str(path), [("", f"invalid YAML{where}: {problem}")]) from None


def load_scenario(path: str | Path) -> Scenario:
    """Load and validate a scenario from a ``.yaml``/``.yml`` or ``.json`` file."""
    path = Path(path)
    return scenario_from_dict(read_document(path), source=str(path), base_dir=path.parent)
