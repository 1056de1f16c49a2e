"""The scenario schema (pydantic v2): the only place user input is parsed."""

from .advice import scenario_warnings
from .edit import with_changes
from .load import ScenarioError, load_scenario, scenario_from_dict
from .model import Scenario

__all__ = [
    "Scenario",
    "ScenarioError",
    "load_scenario",
    "scenario_from_dict",
    "scenario_warnings",
    "with_changes",
]
