"""The scenario schema: bundled files load, bad input is rejected with the field named."""

from __future__ import annotations

import json

import pytest
from conftest import SCENARIOS, scenario_dict, strategy

from adsim import Scenario, ScenarioError, load_scenario
from adsim.scenario import scenario_from_dict


@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("*.yaml")), ids=lambda p: p.name)
def test_bundled_scenarios_load(path):
    sc = load_scenario(path)
    assert sc.strategies
    assert len(sc.digest()) == 64


def _problems(data, tmp_path=None) -> list[tuple[str, str]]:
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict(data, base_dir=tmp_path)
    return info.value.problems


def test_unknown_key_is_named():
    data = scenario_dict()
    data["platform"]["auction_kind"] = "vickrey"
    assert any(path == "platform.auction_kind" for path, _ in _problems(data))


def test_shares_must_sum_to_one():
    data = scenario_dict()
    data["population"]["regions"][0]["share"] = 0.9
    (path, msg), *_ = _problems(data)
    assert path == "population.regions"
    assert "sum to 1" in msg


def test_optimiser_cadence_and_billing_problems_are_named():
    data = scenario_dict()
    data["platform"]["optimiser"] = {"update_every_h": 1.5}
    assert _problems(data) == [
        ("platform.optimiser.update_every_h", "1.5 is not a multiple of slot_h (1.0)")
    ]
    data = scenario_dict()
    data["strategies"][0]["billing"] = "click"  # a lowest-cost strategy
    (path, msg), *_ = _problems(data)
    assert path == "strategies[broad]" and "billing: click needs bid strategy cpc" in msg
    data = scenario_dict()
    data["app"]["fit"]["followers_of"] = {"@nobody": 2.0}
    (path, msg), *_ = _problems(data)
    assert path == "app.fit.followers_of" and "unknown account '@nobody'" in msg


def test_bad_value_inside_a_segment_is_named():
    data = scenario_dict()
    data["strategies"][0]["audience"] = {
        "all": [{"everyone": True}, {"age": {"min": 40, "max": 30}}]
    }
    paths = [p for p, _ in _problems(data)]
    assert paths == ["strategies[broad].audience.all[1].age"]


def test_segment_with_unknown_predicate_is_named():
    data = scenario_dict()
    data["strategies"][1]["audience"] = {"any": [{"everyone": True}, {"followers": ["@x"]}]}
    (path, msg), *_ = _problems(data)
    assert path == "strategies[cars_cpc].audience.any[1]"
    assert "unknown audience segment 'followers'; did you mean 'followers_of'?" in msg


@pytest.mark.parametrize(
    ("change", "path", "words"),
    [
        # Each message names the strategy, says what is wrong in plain words and suggests the
        # closest valid name; none carries pydantic's wording.
        (
            {"budget": {"daily_usd": 100, "daly_usd": 4}},
            "strategies[broad].budget.daly_usd",
            "unknown key 'daly_usd'; did you mean 'daily_usd'? (allowed here: daily_usd, "
            "lifetime_usd)",
        ),
        (
            {"bid": {"strategy": "max_cmp", "amount_usd": 3}},
            "strategies[broad].bid",
            "unknown strategy 'max_cmp'; did you mean 'max_cpm'?",
        ),
        (
            {"bid": {"strategy": "max_cpm", "amount": 3}},
            "strategies[broad].bid.amount",
            "did you mean 'amount_usd'?",
        ),
        (
            {"budget": {"daily_usd": "400"}},
            "strategies[broad].budget.daily_usd",
            "should be a number, got the text '400' (write it without quotes)",
        ),
        (
            {"audience": {"interests": {"any": ["car"]}}},
            "strategies[broad].audience",
            "unknown interest 'car'; did you mean 'cars'?",
        ),
        (
            {"audience": {"interests": ["cars"]}},
            "strategies[broad].audience.interests",
            "should be a mapping",
        ),
        (
            {"audience": {"everyone": True, "age": {"min": 20}}},
            "strategies[broad].audience",
            "a segment has exactly one key, got 2",
        ),
    ],
)
def test_errors_read_in_planner_words(change, path, words):
    data = scenario_dict()
    data["strategies"][0].update(change)
    problems = _problems(data)
    assert any(p == path and words in m for p, m in problems), problems
    pydantic_words = ("Input should", "Extra inputs", "instance of", "Input tag", "Field required")
    assert not any(w in m for _, m in problems for w in pydantic_words)


def test_empty_file_is_named(tmp_path):
    empty = tmp_path / "empty.yaml"
    empty.write_text("")
    with pytest.raises(ScenarioError, match="the file is empty"):
        load_scenario(empty)


def test_unknown_interest_in_segment_is_named():
    data = scenario_dict()
    data["strategies"][0]["audience"] = {"interests": {"any": ["boats"]}}
    (path, msg), *_ = _problems(data)
    assert path == "strategies[broad].audience"
    assert "unknown interest 'boats'" in msg


def test_unknown_account_is_named():
    data = scenario_dict()
    data["strategies"][0]["audience"] = {"not": {"followers_of": ["@nobody"]}}
    (path, msg), *_ = _problems(data)
    assert path == "strategies[broad].audience.not"
    assert "@nobody" in msg


def test_duplicate_strategy_names_rejected():
    data = scenario_dict(strategies=[strategy("a"), strategy("a")])
    (path, msg), *_ = _problems(data)
    assert path == "strategies" and "used twice" in msg


def test_auto_bid_needs_even_pacing():
    s = strategy("a", bid={"strategy": "lowest_cost"}, pacing="accelerated")
    (path, msg), *_ = _problems(scenario_dict(strategies=[s]))
    assert path == "strategies[a]" and "pacing: even" in msg


def test_negative_budget_named():
    s = strategy("a", budget={"daily_usd": -5})
    (path, _), *_ = _problems(scenario_dict(strategies=[s]))
    assert path == "strategies[a].budget.daily_usd"


def test_followers_above_population_rejected():
    data = scenario_dict()
    data["accounts"][0]["followers"] = 10**9
    (path, msg), *_ = _problems(data)
    assert path == "accounts[@autos].followers" and "exceed" in msg


def test_custom_audience_csv(tmp_path):
    (tmp_path / "ids.csv").write_text("agent_id\n3\n5\n8\n")
    s = strategy("a", audience={"custom_audience": {"path": "ids.csv"}})
    sc = scenario_from_dict(scenario_dict(strategies=[s]), base_dir=tmp_path)
    assert sc.strategies[0].audience.custom_audience.agent_ids == [3, 5, 8]


def test_custom_audience_bad_rows(tmp_path):
    (tmp_path / "ids.csv").write_text("1\nabc\n")
    s = strategy("a", audience={"custom_audience": {"path": "ids.csv"}})
    (path, msg), *_ = _problems(scenario_dict(strategies=[s]), tmp_path)
    assert path == "strategies[a].audience.custom_audience" and "line 2 is not an agent id" in msg
    assert "abc" not in msg  # the file's content is never echoed


def test_custom_audience_id_out_of_range():
    s = strategy("a", audience={"custom_audience": {"agent_ids": [1, 999_999]}})
    (path, msg), *_ = _problems(scenario_dict(strategies=[s]))
    assert path == "strategies[a].audience" and "out of range" in msg


def test_missing_file_and_bad_yaml(tmp_path):
    with pytest.raises(ScenarioError, match="cannot read file"):
        load_scenario(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nstrategies: [\n")
    with pytest.raises(ScenarioError, match=r"invalid YAML at line \d+"):
        load_scenario(bad)
    listy = tmp_path / "list.yaml"
    listy.write_text("- 1\n- 2\n")
    with pytest.raises(ScenarioError, match="a scenario is a mapping"):
        load_scenario(listy)


def test_json_round_trip(tmp_path):
    sc = Scenario.model_validate(scenario_dict())
    path = tmp_path / "s.json"
    path.write_text(json.dumps(sc.model_dump(mode="json", by_alias=True)))
    again = load_scenario(path)
    assert again == sc
    assert again.digest() == sc.digest()


def test_json_schema_exports():
    schema = Scenario.model_json_schema(by_alias=True)
    assert schema["title"] == "Scenario"
    assert "strategies" in schema["properties"]


def test_unknown_language_is_named():
    data = scenario_dict()
    data["strategies"][0]["audience"] = {"language": ["klingon"]}
    (path, msg), *_ = _problems(data)
    assert path == "strategies[broad].audience" and "unknown language 'klingon'" in msg


def test_flight_after_the_horizon_is_named():
    s = strategy("late", flight={"start_day": 3})
    (path, msg), *_ = _problems(scenario_dict(strategies=[s]))  # horizon is 3 days
    assert path == "strategies[late].flight.start_day" and "horizon" in msg


def test_unset_refit_cadence_follows_slot_h_but_an_explicit_one_is_checked():
    # slot_h 4 with the optimiser left alone: refits every 8 h (the smallest multiple of 4
    # of at least the 6 h default), instead of refusing a value nobody wrote.
    scenario = Scenario.model_validate(scenario_dict(slot_h=4))
    assert scenario.platform.optimiser.update_every_h == 8
    assert Scenario.model_validate(scenario_dict(slot_h=2)).platform.optimiser.update_every_h == 6
    data = scenario_dict(slot_h=4)
    data["platform"] = {**data["platform"], "optimiser": {"update_every_h": 6}}
    with pytest.raises(ScenarioError, match="not a multiple of slot_h"):
        scenario_from_dict(data)
