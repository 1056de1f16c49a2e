"""Shared fixtures: a small, fast scenario and helpers to vary it."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, settings

# Generated-scenario profiles (tests/test_generated.py). "fast" runs in `make test`: few,
# derandomised examples, so CI is reproducible; "long" is `make fuzz`.
_SLOW_RUNS = [HealthCheck.too_slow, HealthCheck.data_too_large]
settings.register_profile(
    "fast", max_examples=25, deadline=None, derandomize=True, suppress_health_check=_SLOW_RUNS
)
# No "explain" phase: it traces every line of a failing run, hours for a simulation.
settings.register_profile(
    "long",
    max_examples=2000,
    deadline=None,
    suppress_health_check=_SLOW_RUNS,
    print_blob=True,
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink],
)
settings.load_profile("fast")

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"

SMALL: dict[str, Any] = {
    "name": "small",
    "seed": 11,
    "horizon_days": 3,
    "slot_h": 1,
    "clock_utc_offset_h": 0,
    "population": {
        "agents": 6000,
        "scale": 10,
        "regions": [
            {"name": "North", "country": "AA", "utc_offset_h": 0, "lat": 50.0, "lon": 5.0,
             "spread_km": 10, "share": 0.6, "languages": {"xx": 0.8, "yy": 0.2}},
            {"name": "South", "country": "BB", "utc_offset_h": 0, "lat": 40.0, "lon": 5.0,
             "spread_km": 10, "share": 0.4, "languages": {"xx": 1.0}},
        ],
        "age": [{"min": 18, "max": 34, "share": 0.5}, {"min": 35, "max": 64, "share": 0.5}],
        "interests": [
            {"name": "cars", "prevalence": 0.2, "gender_tilt": {"male": 2.0, "female": 0.5}},
            {"name": "music", "prevalence": 0.3},
        ],
        "graph": {"mean_follows": 10},
    },
    "accounts": [
        {"handle": "@autos", "followers": 8000, "profile": {"interests": {"cars": 8.0}}},
        {"handle": "@south", "followers": 5000, "profile": {"regions": {"South": 20.0}}},
    ],
    "platform": {"market": {"cpm_median_usd": 5.0, "sigma": 0.6}},
    "app": {"baseline_installs_per_day": 0.002, "fit": {"interests": {"cars": 3.0}}},
    "strategies": [
        {"name": "broad", "audience": {"everyone": True}, "bid": {"strategy": "lowest_cost"},
         "budget": {"daily_usd": 300}},
        {"name": "cars_cpc", "audience": {"interests": {"any": ["cars"]}},
         "bid": {"strategy": "cpc", "amount_usd": 0.8}, "budget": {"daily_usd": 300},
         "frequency_cap": {"impressions": 2, "per_days": 1}},
    ],
}  # fmt: skip


def scenario_dict(**changes: Any) -> dict[str, Any]:
    """A deep copy of the small scenario with top-level keys replaced."""
    data = copy.deepcopy(SMALL)
    data.update(copy.deepcopy(changes))
    return data


def with_agents(data: dict[str, Any], agents: int | None = None) -> dict[str, Any]:
    """``data`` with the same people split into ``agents`` agents (default: one per person,
    as a real campaign counts them)."""
    people = data["population"]["agents"] * data["population"]["scale"]
    agents = round(people) if agents is None else agents
    data["population"] = {**data["population"], "agents": agents, "scale": people / agents}
    return data


def strategy(name: str, audience: dict | None = None, **fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "name": name,
        "audience": audience or {"everyone": True},
        "bid": {"strategy": "max_cpm", "amount_usd": 8.0},
        "budget": {"daily_usd": 200},
    }
    base.update(fields)
    return base


@pytest.fixture
def small() -> dict[str, Any]:
    return scenario_dict()
