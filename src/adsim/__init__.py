"""adsim: project the cost per install of paid social targeting strategies before spending.

The public API is small: :func:`load_scenario`, :class:`Scenario` (and its
``with_changes``), :func:`run`, :class:`Result` and :func:`sweep` (more experiments in
:mod:`adsim.experiments`). Heavy modules (numba kernels, pandas) load on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = [
    "Result",
    "Scenario",
    "ScenarioError",
    "__version__",
    "load_scenario",
    "run",
    "sweep",
]

if TYPE_CHECKING:
    from .experiments import sweep
    from .result import Result
    from .runner import run
    from .scenario import Scenario, ScenarioError, load_scenario

_LAZY = {
    "Scenario": "adsim.scenario",
    "ScenarioError": "adsim.scenario",
    "load_scenario": "adsim.scenario",
    "run": "adsim.runner",
    "Result": "adsim.result",
    "sweep": "adsim.experiments",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'adsim' has no attribute {name!r}")
