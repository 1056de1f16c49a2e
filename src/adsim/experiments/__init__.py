"""Experiments above single runs: sweeps, their result store, budget curves and allocation,
and the robustness of a ranking to uncertain assumptions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = [
    "Allocation",
    "BudgetCurves",
    "Robustness",
    "SweepResult",
    "SweepStore",
    "allocate",
    "apply_point",
    "sweep",
    "sweep_from_spec",
]

if TYPE_CHECKING:
    from .budget import Allocation, BudgetCurves, allocate
    from .robustness import Robustness
    from .store import SweepStore
    from .sweeps import SweepResult, apply_point, sweep, sweep_from_spec

_LAZY = {
    "Allocation": "budget",
    "BudgetCurves": "budget",
    "allocate": "budget",
    "Robustness": "robustness",
    "SweepStore": "store",
    "SweepResult": "sweeps",
    "apply_point": "sweeps",
    "sweep": "sweeps",
    "sweep_from_spec": "sweeps",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
