"""Warnings about defaults that apply silently but change results: a valid scenario that
probably does not say what its author meant."""

from __future__ import annotations

from .model import Scenario
from .segments import CustomAudience, iter_segment

__all__ = ["scenario_warnings"]


def _utc(offset_h: float) -> str:
    return "UTC" if offset_h == 0 else f"UTC{offset_h:+g}"


def scenario_warnings(scenario: Scenario) -> list[str]:
    """Plain-language warnings, each naming the key to set."""
    warnings = []
    regions = scenario.population.regions
    offsets = sorted({r.utc_offset_h for r in regions})
    if "clock_utc_offset_h" not in scenario.model_fields_set and offsets != [0.0]:
        where = ", ".join(f"{r.name} {_utc(r.utc_offset_h)}" for r in regions[:3])
        more = f" and {len(regions) - 3} more" if len(regions) > 3 else ""
        warnings.append(
            "clock_utc_offset_h is not set, so daily budgets reset at UTC midnight while the "
            f"regions are at {where}{more}; set it to the ad account's time zone"
        )
    if "scale" not in scenario.population.model_fields_set:
        people = scenario.population.agents
        warnings.append(
            f"population.scale is not set, so each agent is one person and the platform has "
            f"only {people:,} users; set scale to (real users / agents)"
        )
    for strat in scenario.strategies:
        for path, node in iter_segment(strat.audience, f"strategies[{strat.name}].audience"):
            if isinstance(node, CustomAudience) and not node.custom_audience.agent_ids:
                source = node.custom_audience.path or "agent_ids"
                warnings.append(
                    f"{path}: the custom audience {source!r} holds no agent ids, so it "
                    "reaches nobody"
                )
    return warnings
