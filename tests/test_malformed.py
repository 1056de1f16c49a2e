"""A corpus of malformed scenario files: every one gives exit code 2 from the CLI, one clear
message naming the field (or the file, when it cannot be read at all), no traceback, and no
output folder."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
import yaml
from conftest import SCENARIOS, SMALL, scenario_dict, strategy

from adsim.cli import main
from adsim.scenario.load import ScenarioError, load_scenario

QUICKSTART = (SCENARIOS / "quickstart.yaml").read_text()


def _json(**changes) -> bytes:
    return json.dumps(scenario_dict(**changes)).encode()


def _yaml(**changes) -> bytes:
    return yaml.safe_dump(scenario_dict(**changes), sort_keys=False).encode()


def _replace(old: str, new: str) -> bytes:
    assert old in QUICKSTART, old
    return QUICKSTART.replace(old, new, 1).encode()


def _with_strategy(**fields) -> bytes:
    return _json(strategies=[strategy("a", **fields)])


def _audience_file(name: str, content: bytes) -> tuple[bytes, dict[str, bytes]]:
    audience = {"custom_audience": {"path": name}}
    return _with_strategy(audience=audience), {name: content}


POP = SMALL["population"]
DEEP_AUDIENCE = (
    "name: x\nstrategies:\n  - audience: " + "{not: " * 300 + "{everyone: true}" + "}" * 300
).encode()

# (case id, file name, content, {extra files}, field path, words the message contains)
CASES: list[tuple[str, str, bytes, dict[str, bytes], str, str]] = [
    # ---- types
    ("string for int", "s.json", _json(horizon_days="seven"), {}, "horizon_days", "whole number"),
    ("float for int", "s.json", _json(seed=1.5), {}, "seed", "whole number"),
    (
        "bool for int",
        "s.yaml",
        _replace("horizon_days: 7", "horizon_days: yes"),
        {},
        "horizon_days",
        "whole number",
    ),
    (
        "string for number",
        "s.json",
        _with_strategy(budget={"daily_usd": "400"}),
        {},
        "strategies[a].budget.daily_usd",
        "number",
    ),
    ("mapping for list", "s.json", _json(strategies={"a": 1}), {}, "strategies", "list"),
    ("list for mapping", "s.json", _json(population=[1, 2]), {}, "population", "mapping"),
    ("date for int", "s.yaml", _replace("seed: ", "seed: 2020-01-01 #"), {}, "seed", "number"),
    # ---- signs and ranges
    (
        "negative budget",
        "s.json",
        _with_strategy(budget={"daily_usd": -5}),
        {},
        "strategies[a].budget.daily_usd",
        "greater than 0",
    ),
    (
        "zero scale",
        "s.json",
        _json(population={**POP, "scale": 0}),
        {},
        "population.scale",
        "greater than 0",
    ),
    (
        "zero frequency cap",
        "s.json",
        _with_strategy(frequency_cap={"impressions": 0}),
        {},
        "strategies[a].frequency_cap.impressions",
        "greater than or equal to 1",
    ),
    (
        "too many agents",
        "s.json",
        _json(population={**POP, "agents": 10**9}),
        {},
        "population.agents",
        "less than or equal to",
    ),
    (
        "probability above 1",
        "s.json",
        _json(app={"already_installed_share": 1.5}),
        {},
        "app.already_installed_share",
        "less than or equal to 1",
    ),
    # ---- infinities and NaN
    (
        "yaml .inf",
        "s.yaml",
        _replace("slot_h: 1", "slot_h: .inf"),
        {},
        "slot_h",
        "finite",
    ),
    (
        "yaml -.inf",
        "s.yaml",
        _replace("scale: 25", "scale: -.inf"),
        {},
        "population.scale",
        "finite",
    ),
    ("yaml .nan", "s.yaml", _replace("scale: 25", "scale: .nan"), {}, "population.scale", "finite"),
    (
        "json Infinity",
        "s.json",
        _json().replace(b'"clock_utc_offset_h": 0', b'"clock_utc_offset_h": Infinity'),
        {},
        "clock_utc_offset_h",
        "finite",
    ),
    (
        "json NaN",
        "s.json",
        _json().replace(b'"scale": 10', b'"scale": NaN'),
        {},
        "population.scale",
        "finite",
    ),
    # ---- unknown keys at every depth
    ("unknown top key", "s.json", _json(horizon=3), {}, "horizon", "unknown key"),
    (
        "unknown population key",
        "s.json",
        _json(population={**POP, "agentz": 3}),
        {},
        "population.agentz",
        "unknown key",
    ),
    (
        "unknown region key",
        "s.json",
        _json(population={**POP, "regions": [{**POP["regions"][0], "share": 1.0, "popul": 1}]}),
        {},
        "population.regions[North].popul",
        "unknown key",
    ),
    (
        "unknown bid key",
        "s.json",
        _with_strategy(bid={"strategy": "max_cpm", "amount_usd": 5, "amount": 5}),
        {},
        "strategies[a].bid.amount",
        "unknown key",
    ),
    (
        "unknown key in nested audience",
        "s.json",
        _with_strategy(audience={"all": [{"everyone": True}, {"age": {"min": 20, "agee": 3}}]}),
        {},
        "strategies[a].audience.all[1].age.agee",
        "unknown key",
    ),
    (
        "unknown audience kind",
        "s.json",
        _with_strategy(audience={"everybody": True}),
        {},
        "strategies[a].audience",
        "unknown audience segment",
    ),
    (
        "unknown market key",
        "s.json",
        _json(platform={"market": {"cpm": 3}}),
        {},
        "platform.market.cpm",
        "unknown key",
    ),
    (
        "unknown app key",
        "s.json",
        _json(app={"fit": {"interestz": {}}}),
        {},
        "app.fit.interestz",
        "unknown key",
    ),
    # ---- missing fields and unknown names
    (
        "missing name",
        "s.json",
        json.dumps({k: v for k, v in SMALL.items() if k != "name"}).encode(),
        {},
        "name",
        "required",
    ),
    (
        "missing budget",
        "s.json",
        json.dumps(
            scenario_dict(strategies=[{k: v for k, v in strategy("a").items() if k != "budget"}])
        ).encode(),
        {},
        "strategies[a].budget",
        "required",
    ),
    (
        "missing region share",
        "s.json",
        _json(
            population={
                **POP,
                "regions": [{k: v for k, v in POP["regions"][0].items() if k != "share"}],
            }
        ),
        {},
        "population.regions[North].share",
        "required",
    ),
    (
        "unknown interest",
        "s.json",
        _with_strategy(audience={"interests": {"any": ["boats"]}}),
        {},
        "strategies[a].audience",
        "unknown interest 'boats'",
    ),
    # ---- duplicate keys and nesting
    (
        "yaml duplicate key",
        "s.yaml",
        _replace("horizon_days:", "horizon_days: 3\nhorizon_days:"),
        {},
        "<root>",
        "duplicate key 'horizon_days'",
    ),
    (
        "json nested duplicate",
        "s.json",
        _json()[:-1] + b', "app": {"store_cvr": 0.2, "store_cvr": 0.3}}',
        {},
        "<root>",
        "duplicate key",
    ),
    (
        "yaml deep audience",
        "s.yaml",
        DEEP_AUDIENCE,
        {},
        "strategies[0].audience",
        "nested more than",
    ),
    (
        "json deep list",
        "s.json",
        b'{"a": ' + b"[" * 5000 + b"]" * 5000 + b"}",
        {},
        "<root>",
        "nested too deep",
    ),
    # ---- YAML tags and aliases
    (
        "python object tag",
        "s.yaml",
        b'name: !!python/object/apply:os.system ["echo hacked"]\n',
        {},
        "<root>",
        "could not determine a constructor",
    ),
    ("custom tag", "s.yaml", _replace("name:", "name: !custom"), {}, "<root>", "invalid YAML"),
    ("binary tag", "s.yaml", _replace("name: ", "name: !!binary aGVsbG8= #"), {}, "name", "text"),
    (
        "set tag",
        "s.yaml",
        _replace("horizon_days: 7", "horizon_days: !!set {7: null}"),
        {},
        "horizon_days",
        "whole number",
    ),
    (
        "alias bomb",
        "s.yaml",
        (
            "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
            + "".join(f"a{k}: &a{k} [{', '.join([f'*a{k - 1}'] * 10)}]\n" for k in range(1, 8))
        ).encode(),
        {},
        "<root>",
        "aliases",
    ),
    # ---- files that are not scenario text
    ("empty file", "s.yaml", b"", {}, "<root>", "the file is empty"),
    ("only comments", "s.yaml", b"# nothing here\n", {}, "<root>", "a scenario is a mapping"),
    ("top-level list", "s.yaml", b"- name: x\n", {}, "<root>", "a scenario is a mapping"),
    ("top-level scalar", "s.json", b"42", {}, "<root>", "a scenario is a mapping"),
    ("binary with NUL", "s.yaml", bytes(range(256)) * 4, {}, "<root>", "not UTF-8"),
    ("gzip file", "s.yaml", gzip.compress(QUICKSTART.encode()), {}, "<root>", "not UTF-8"),
    ("latin-1 text", "s.yaml", "name: café\n".encode("latin-1"), {}, "<root>", "not UTF-8"),
    ("NUL in UTF-8 text", "s.yaml", b"name: x\x00y\n", {}, "<root>", "invalid YAML"),
    ("truncated JSON", "s.json", _json()[:-40], {}, "<root>", "invalid JSON"),
    (
        "tabs in YAML",
        "s.yaml",
        b"name: x\npopulation:\n\tagents: 3\n",
        {},
        "<root>",
        "invalid YAML",
    ),
    # ---- custom audience CSVs
    (
        "csv missing",
        "s.json",
        *_audience_file("nope.csv", b"")[:1],
        {},
        "strategies[a].audience",
        "cannot read custom audience file",
    ),
    (
        "csv word row",
        "s.json",
        *_audience_file("ids.csv", b"id\n1\n2\nthree\n"),
        "strategies[a].audience",
        "line 4 is not an agent id",
    ),
    (
        "csv negative id",
        "s.json",
        *_audience_file("ids.csv", b"1\n-3\n"),
        "strategies[a].audience",
        "line 2 is not an agent id",
    ),
    (
        "csv float id",
        "s.json",
        *_audience_file("ids.csv", b"1\n2.5\n"),
        "strategies[a].audience",
        "line 2 is not an agent id",
    ),
    (
        "csv unicode digit",
        "s.json",
        *_audience_file("ids.csv", "1\n\u00b2\n".encode()),
        "strategies[a].audience",
        "is not an agent id",
    ),
    (
        "csv out of range",
        "s.json",
        *_audience_file("ids.csv", b"1\n99999999\n"),
        "strategies[a].audience",
        "out of range",
    ),
    (
        "csv binary",
        "s.json",
        *_audience_file("ids.csv", bytes(range(256))),
        "strategies[a].audience",
        "not UTF-8",
    ),
    (
        "csv NUL",
        "s.json",
        *_audience_file("ids.csv", b"1\n2\x00\n"),
        "strategies[a].audience",
        "custom audience file",
    ),
    (
        "csv is a folder",
        "s.json",
        *_audience_file("ids.csv/", b""),
        "strategies[a].audience",
        "it is a folder, not a file",
    ),
    # ---- names and handles, in words (not pydantic's regex), quoted back escaped and short
    (
        "handle without @",
        "s.json",
        _json(accounts=[{"handle": "autos", "followers": 100}]),
        {},
        "accounts[autos].handle",
        "a handle: @ then 1 to 30 letters",
    ),
    ("NUL in name", "s.json", _json(name="quick\x00start"), {}, "name", "'quick\\x00start'"),
    ("1 MB name", "s.json", _json(name="x" * 1_000_000), {}, "name", "at most 100 characters"),
    (
        "1 MB region name",
        "s.json",
        _json(population={**POP, "regions": [{**POP["regions"][0], "name": "N" * 10**6}]}),
        {},
        "population.regions[0].name",  # shown by index: the name is the problem
        "at most 100 characters, got 1,000,000",
    ),
    (
        "emoji code in a strategy name",  # printed as written, not as an emoji
        "s.json",
        _json(strategies=[strategy("broad :x:")]),
        {},
        "strategies[broad :x:].name",
        "letters, digits, spaces and _ . - only",
    ),
    (
        "empty posting hours",
        "s.json",
        _json(
            platform={"feed": {"preset": "twitter"}},
            posting=[{"account": "@autos", "posts_per_day": 1, "hours": []}],
        ),
        {},
        "posting[0].hours",
        "should list at least 1 item, got none",
    ),
    # ---- ads that touch the organic feed
    (
        "boost without account",
        "s.json",
        _with_strategy(boost=True),
        {},
        "strategies[a]",
        "boost: true needs the account",
    ),
    (
        "account without feed",
        "s.json",
        _with_strategy(account="@autos"),
        {},
        "strategies[a].account",
        "need the organic feed",
    ),
    # ---- calendar and time-bound targeting
    (
        "weekday without a start date",
        "s.json",
        _json(calendar={"weekday_market": {"fri": 1.5}}),
        {},
        "calendar",
        "need calendar.start_date",
    ),
    (
        "unknown weekday",
        "s.json",
        _json(calendar={"start_date": "2026-11-26", "weekday_market": {"friday": 1.5}}),
        {},
        "calendar.weekday_market",
        "mon",
    ),
    (
        "airing date without a start date",
        "s.json",
        _json(calendar={"events": [{"name": "m", "airings": [{"day": "2026-11-29"}]}]}),
        {},
        "calendar",
        "a date needs calendar.start_date",
    ),
    (
        "airing before the start",
        "s.json",
        _json(
            calendar={
                "start_date": "2026-11-26",
                "events": [{"name": "m", "airings": [{"day": "2026-11-01"}]}],
            }
        ),
        {},
        "calendar",
        "before calendar.start_date",
    ),
    (
        "event of an unknown topic",
        "s.json",
        _json(calendar={"events": [{"name": "m", "topic": "golf", "airings": [{"day": 1}]}]}),
        {},
        "calendar.events[m].topic",
        "unknown interest 'golf'",
    ),
    (
        "event targeting without a calendar",
        "s.json",
        _with_strategy(audience={"event": {"name": "final"}}),
        {},
        "strategies[a].audience",
        "needs a calendar section",
    ),
    (
        "unknown event in targeting",
        "s.json",
        _json(
            calendar={"events": [{"name": "final", "airings": [{"day": 1}]}]},
            strategies=[strategy("a", audience={"event": {"name": "finale"}})],
        ),
        {},
        "strategies[a].audience",
        "unknown event 'finale'",
    ),
    (
        "tv targeting of a match",
        "s.json",
        _json(
            calendar={"events": [{"name": "final", "kind": "sport", "airings": [{"day": 1}]}]},
            strategies=[strategy("a", audience={"tv": {"show": "final"}})],
        ),
        {},
        "strategies[a].audience",
        "unknown TV show 'final'",
    ),
    (
        "unknown keyword",
        "s.json",
        _json(
            calendar={"keywords": {"engine": "cars"}},
            strategies=[strategy("a", audience={"keywords": {"words": ["motor"]}})],
        ),
        {},
        "strategies[a].audience",
        "unknown keyword 'motor'",
    ),
    (
        "time-bound look-alike seed",
        "s.json",
        _json(
            calendar={"events": [{"name": "final", "airings": [{"day": 1}]}]},
            strategies=[
                strategy("a", audience={"lookalike": {"seed": {"event": {"name": "final"}}}})
            ],
        ),
        {},
        "strategies[a].audience",
        "cannot be time-bound",
    ),
    (
        "look-alike with two seeds",
        "s.json",
        _with_strategy(audience={"lookalike": {"of": ["@autos"], "seed": {"installed": True}}}),
        {},
        "strategies[a].audience",
        "exactly one of",
    ),
    (
        "moment of an unknown event",
        "s.json",
        _json(app={"intent": {"events": {"final": 0.1}}}),
        {},
        "app.intent.events",
        "unknown event 'final'",
    ),
]


def _write(tmp_path: Path, name: str, content: bytes, extra: dict[str, bytes]) -> Path:
    for extra_name, data in extra.items():
        target = tmp_path / extra_name
        if extra_name.endswith("/"):
            target.mkdir()
        else:
            target.write_bytes(data)
    path = tmp_path / name
    path.write_bytes(content)
    return path


@pytest.mark.parametrize(
    ("name", "content", "extra", "field", "words"),
    [pytest.param(*case[1:], id=case[0]) for case in CASES],
)
def test_malformed_file_is_refused_with_one_message(
    tmp_path, capsys, name, content, extra, field, words
):
    path = _write(tmp_path, name, content, extra)
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    problems = info.value.problems
    assert len(problems) == 1, problems
    got_field, message = problems[0]
    # The path names the field (an audience's path continues into the node at fault).
    assert (got_field or "<root>").startswith(field) and words in message, problems
    out = tmp_path / "results"
    assert main(["run", str(path), "--out", str(out), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert field in err and "Traceback" not in err
    assert not out.exists()


def test_missing_and_unreadable_paths(tmp_path, capsys):
    out = tmp_path / "results"
    for target in (tmp_path / "missing.yaml", tmp_path):
        assert main(["run", str(target), "--out", str(out)]) == 2
        err = capsys.readouterr().err
        assert "cannot read file" in err and "Traceback" not in err
    assert not out.exists()


def test_custom_audience_paths_that_are_not_plain_files(tmp_path, capsys, monkeypatch):
    """/dev/zero used to be read without limit and a FIFO hung `adsim validate` forever; a
    file of other content was quoted back line by line; an empty one validated silently."""
    import os

    import adsim.scenario.segments as segments

    fifo = tmp_path / "ids.fifo"
    os.mkfifo(fifo)
    secret = tmp_path / "secret.txt"
    secret.write_text("root:x:0:0\nhunter2-password\n")
    big = tmp_path / "big.csv"
    big.write_text("1\n" * 600)
    monkeypatch.setattr(segments, "MAX_AUDIENCE_FILE_BYTES", 1000)  # a 1.2 kB file is too big
    cases = {
        "/dev/zero": "a device, pipe or socket, not a file",
        str(fifo): "a device, pipe or socket, not a file",
        str(secret): "line 2 is not an agent id",
        str(big): "larger than",
    }
    for path, words in cases.items():
        scenario = tmp_path / "s.json"
        scenario.write_bytes(_with_strategy(audience={"custom_audience": {"path": path}}))
        assert main(["validate", str(scenario)]) == 2
        err = capsys.readouterr().err
        assert "strategies[a].audience" in err and words in err, (path, err)
        assert "hunter2" not in err and "Traceback" not in err
    empty = tmp_path / "empty.csv"
    empty.write_text("agent_id\n")
    scenario.write_bytes(_with_strategy(audience={"custom_audience": {"path": str(empty)}}))
    assert main(["validate", str(scenario)]) == 0
    assert "holds no agent ids, so it reaches nobody" in capsys.readouterr().err
