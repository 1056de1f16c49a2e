"""adsim: project the cost per install of paid social targeting strategies before spending.

The public API is small: :func:`load_scenario`, :class:`Scenario`, :func:`run` and
:class:`Result`. Heavy modules (numba kernels, pandas) load on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["Result", "Scenario", "ScenarioError", "__version__", "load_scenario", "run"]

if TYPE_CHECKING:
    from .result import Result
    from .runner import run
    from .scenario import Scenario, ScenarioError, load_scenario

_LAZY = {
    "Scenario": "adsim.scenario",
    "ScenarioError": "adsim.scenario",
    "load_scenario": "adsim.scenario",
    "run": "adsim.runner",
    "Result": "adsim.result",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'adsim' has no attribute {name!r}")
