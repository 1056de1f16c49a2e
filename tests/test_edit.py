"""Scenario.with_changes: validated edits by path, named items addressed by name."""

from __future__ import annotations

import pytest
from conftest import scenario_dict

import adsim
from adsim import Scenario, ScenarioError
from adsim.runner import as_scenario
from adsim.scenario.edit import parse_path


@pytest.fixture(scope="module")
def small() -> Scenario:
    return Scenario.model_validate(scenario_dict())


def test_paths_read_dots_brackets_and_names():
    assert parse_path("strategies[young foodies].budget.daily_usd") == [
        "strategies", "young foodies", "budget", "daily_usd",
    ]  # fmt: skip
    assert parse_path("accounts.@autos.followers") == ["accounts", "@autos", "followers"]
    with pytest.raises(ValueError):
        parse_path("  ")


def test_edits_address_items_by_name_index_and_star(small):
    edited = small.with_changes(
        {
            "strategies.cars_cpc.budget.daily_usd": 120,
            "strategies[broad].bid": {"strategy": "max_cpm", "amount_usd": 4.0},
            "accounts.@south.followers": 2000,
            "strategies.*.frequency_cap": {"impressions": 3, "per_days": 1},
            "population.regions.0.share": 0.7,
            "population.regions.South.share": 0.3,
        }
    )
    by_name = {s.name: s for s in edited.strategies}
    assert by_name["cars_cpc"].budget.daily_usd == 120
    assert by_name["broad"].bid.strategy == "max_cpm"
    assert all(s.frequency_cap.impressions == 3 for s in edited.strategies)
    assert edited.accounts[1].followers == 2000
    assert [r.share for r in edited.population.regions] == [0.7, 0.3]
    # The original is untouched (scenarios are immutable), and a callable maps a value.
    assert {s.name: s.budget.daily_usd for s in small.strategies}["cars_cpc"] == 300
    doubled = small.with_changes({"strategies.*.budget.daily_usd": lambda usd: usd * 2})
    assert [s.budget.daily_usd for s in doubled.strategies] == [600, 600]


@pytest.mark.parametrize(
    ("changes", "path", "words"),
    [
        ({"strategies.brod.budget.daily_usd": 1}, "strategies.brod.budget.daily_usd",
         ["no item 'brod'", "did you mean 'broad'"]),
        ({"strategies.broad.budget.daly_usd": 1}, "strategies[broad].budget.daly_usd",
         ["unknown key 'daly_usd'", "did you mean 'daily_usd'"]),
        ({"strategies.broad.budget.daily_usd": -5}, "strategies[broad].budget.daily_usd",
         ["greater than 0"]),
        ({"horizon_days": "7"}, "horizon_days", ["without quotes"]),
        ({"strategies.broad.bid.amount_usd": lambda v: v * 2},
         "strategies.broad.bid.amount_usd", ["is not set in this scenario"]),
        ({"strategies.*.budget.lifetime_usd": lambda v: v * 2},
         "strategies.*.budget.lifetime_usd", ["not set on any item"]),
        ({".": 1}, ".", ["names no field"]),
        ({"..": 1}, "..", ["names no field"]),
    ],
)  # fmt: skip
def test_bad_edits_raise_the_friendly_error(small, changes, path, words):
    with pytest.raises(ScenarioError) as info:
        small.with_changes(changes)
    (where, message), *_ = info.value.problems
    assert where == path
    for word in words:
        assert word in message
    assert "pydantic" not in str(info.value) and "errors.pydantic.dev" not in str(info.value)


def test_star_with_a_function_changes_every_item_where_the_field_is_set(small):
    # The README's example: a bid amount scaled on every strategy that has one (broad is
    # lowest cost and has none), numpy numbers and tuples taken as a YAML file would give them.
    import numpy as np

    edited = small.with_changes(
        {
            "strategies.*.bid.amount_usd": lambda usd: usd * 0.5,
            "strategies.cars_cpc.budget.daily_usd": np.int64(200),
            "horizon_days": np.int64(3),
            "population.regions.0.share": np.float64(0.5),
            "population.regions.1.share": np.float32(0.5),
        }
    )
    by_name = {s.name: s for s in edited.strategies}
    assert by_name["cars_cpc"].bid.amount_usd == pytest.approx(0.4)
    assert by_name["cars_cpc"].budget.daily_usd == 200
    assert by_name["broad"].bid.strategy == "lowest_cost"
    assert edited.horizon_days == 3


@pytest.mark.parametrize("changes", [[("app.store_cvr", 0.1)], None, "app.store_cvr", 3])
def test_changes_that_are_not_a_mapping_are_refused_by_name(small, changes):
    with pytest.raises(ScenarioError) as info:
        small.with_changes(changes)
    assert info.value.problems[0][0] == "changes"
    assert "should be a mapping" in info.value.problems[0][1]


def test_a_whole_edit_is_validated_not_only_the_field(small):
    # Each change alone is a valid value, but region shares must sum to 1.
    with pytest.raises(ScenarioError):
        small.with_changes({"population.regions.North.share": 0.9})


def test_run_accepts_a_path_a_mapping_or_a_scenario(tmp_path, small):
    import yaml

    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(scenario_dict()))
    assert as_scenario(path) == as_scenario(str(path)) == as_scenario(scenario_dict()) == small
    with pytest.raises(ScenarioError):
        adsim.run({"name": "x"})
    with pytest.raises(TypeError):
        as_scenario(42)
