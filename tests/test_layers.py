"""The package's layers look only down: scenario -> params -> population -> kernels -> engine
-> result -> report / experiments -> cli. Checked on the source (ast), not by importing it.

Imports inside functions and under ``if TYPE_CHECKING:`` (names for type hints) are not
edges: they never run at import time. The lazy ones that reach up are a method delegating to
the layer above in one place (``Scenario.with_changes`` -> ``scenario.edit``,
``Result.report``/``Result.plot`` -> ``report``), for the convenience of scripts.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "adsim"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _runtime_imports(path: Path) -> set[str]:
    """adsim modules ``path`` imports when it is imported (module level only)."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found: set[str] = set()

    def visit(body: list[ast.stmt]) -> None:
        for node in body:
            if isinstance(node, ast.If) and not _is_type_checking(node):
                visit(node.body)
                visit(node.orelse)
            elif isinstance(node, ast.Try):
                visit(node.body)
            elif isinstance(node, ast.Import):
                found.update(a.name for a in node.names if a.name.startswith("adsim"))
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")
                    base = base[: len(base) - (node.level - 1)]
                    target = ".".join(base + ([node.module] if node.module else []))
                else:
                    target = node.module or ""
                if not target.startswith("adsim"):
                    continue
                found.add(target)
                for alias in node.names:  # `from . import feed`: a submodule
                    sub = f"{target}.{alias.name}"
                    if (SRC / Path(*sub.split("."))).with_suffix(".py").exists():
                        found.add(sub)

    visit(ast.parse(path.read_text()).body)
    return found - {name}


GRAPH = {_module_name(p): _runtime_imports(p) for p in sorted(PACKAGE.rglob("*.py"))}


def test_the_source_tree_is_read():
    assert "adsim.engine.sim" in GRAPH and "adsim.kernels.auction" in GRAPH
    assert "adsim.engine.records" in GRAPH["adsim.engine.sim"]


def test_no_module_imports_itself_through_others():
    """No cycle of module-level imports (engine.feed <-> engine.sim, result <-> report,
    scenario.model <-> scenario.edit and experiments.sweeps <-> budget were such circles)."""
    done: set[str] = set()

    def walk(module: str, stack: list[str]) -> None:
        if module in stack:
            cycle = [*stack[stack.index(module) :], module]
            pytest.fail("import cycle: " + " -> ".join(cycle))
        if module in done or module not in GRAPH:
            return
        for target in sorted(GRAPH[module]):
            walk(target, [*stack, module])
        done.add(module)

    for module in GRAPH:
        walk(module, [])


@pytest.mark.parametrize(
    ("layer", "above"),
    [
        ("adsim.kernels", ("scenario", "params", "population", "engine", "result", "report",
                           "experiments", "cli", "runner")),
        ("adsim.scenario", ("params", "population", "kernels", "engine", "result", "report",
                            "experiments", "cli", "runner")),
        ("adsim.engine", ("result", "report", "experiments", "cli", "runner", "scenario")),
        ("adsim.report", ("experiments", "cli", "runner")),
        ("adsim.experiments", ("cli",)),
    ],
)  # fmt: skip
def test_each_layer_imports_only_layers_below_it(layer, above):
    for module, targets in GRAPH.items():
        if module == layer or module.startswith(layer + "."):
            upward = sorted(t for t in targets if t.split(".")[1] in above)
            assert not upward, f"{module} imports {upward}"
