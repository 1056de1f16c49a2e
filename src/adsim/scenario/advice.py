"""Warnings about defaults that apply silently but change results: a valid scenario that
probably does not say what its author meant."""

from __future__ import annotations

import math

from .model import Scenario
from .segments import CustomAudience, EventIn, Tv, iter_segment
from .strategy import Strategy

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
            if isinstance(node, EventIn | Tv):
                warnings += _event_outside_flight(scenario, strat, node, path)
            if isinstance(node, CustomAudience) and not node.custom_audience.agent_ids:
                source = node.custom_audience.path or "agent_ids"
                warnings.append(
                    f"{path}: the custom audience {source!r} holds no agent ids, so it "
                    "reaches nobody"
                )
    return warnings


def _event_outside_flight(
    scenario: Scenario, strat: Strategy, node: EventIn | Tv, path: str
) -> list[str]:
    """An event or tv audience holds people only from an airing to its recency after; a
    flight that misses every such window (or a run that ends first) reaches nobody."""
    cal = scenario.calendar
    if cal is None:
        return []
    name = node.event.name if isinstance(node, EventIn) else node.tv.show
    recency = node.event.recency_h if isinstance(node, EventIn) else node.tv.recency_h
    event = next((e for e in cal.events if e.name == name), None)
    if event is None:
        return []
    start_h = strat.flight.start_day * 24.0
    end_h = min(scenario.horizon_h, (strat.flight.end_day or math.inf) * 24.0)
    for airing in event.airings:
        begins = cal.day_of(airing.day) * 24.0 + airing.hour
        if begins < end_h and begins + airing.hours + recency > start_h:
            return []
    return [
        f"{path}: no airing of {name!r} (plus its {recency:g} h recency) falls inside the "
        "strategy's flight and the run, so its audience is empty"
    ]
