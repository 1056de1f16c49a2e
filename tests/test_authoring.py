"""Writing scenarios and reading outputs: the starter template, defaults shown, warnings,
the generated references, and every output column documented."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest
import yaml
from conftest import ROOT, SCENARIOS, scenario_dict

from adsim.cli import main
from adsim.columns import FILES, outputs_reference
from adsim.scenario import Scenario, load_scenario, scenario_from_dict, scenario_warnings
from adsim.scenario.reference import scenario_reference, sweep_reference


def test_generated_references_are_current():
    """docs/ is what `adsim docs` writes from the code: regenerate it after a schema change."""
    assert (ROOT / "docs" / "scenario.md").read_text() == scenario_reference()
    assert (ROOT / "docs" / "outputs.md").read_text() == outputs_reference()
    assert (ROOT / "docs" / "sweep.md").read_text() == sweep_reference()


def test_every_schema_field_has_a_description():
    schema = Scenario.model_json_schema(by_alias=True)
    models = {**schema.pop("$defs"), "Scenario": schema}
    missing = [
        f"{name}.{key}"
        for name, model in models.items()
        for key, prop in model.get("properties", {}).items()
        if not prop.get("description")
    ]
    assert missing == []


def test_every_key_is_in_the_reference():
    text = scenario_reference()
    schema = Scenario.model_json_schema(by_alias=True)
    for name, model in {**schema.pop("$defs"), "Scenario": schema}.items():
        assert f"## {name}\n" in text
        for key in model.get("properties", {}):
            assert f"| `{key}` |" in text, (name, key)


def test_every_output_column_is_documented(tmp_path):
    out = tmp_path / "o"
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(scenario_dict()))
    assert main(["run", str(path), "--replicates", "2", "--out", str(out), "--no-progress"]) == 0
    frames = {
        "summary.csv": pd.read_csv(out / "summary.csv"),
        "timeseries.parquet": pd.read_parquet(out / "timeseries.parquet"),
        "breakdown.csv": pd.read_csv(out / "breakdown.csv"),
    }
    for name, frame in frames.items():
        documented = FILES[name][1]
        for col in frame.columns:
            base = col.removesuffix("_lo").removesuffix("_hi")
            assert base in documented, (name, col)
    manifest = json.loads((out / "manifest.json").read_text())
    assert set(manifest) == set(FILES["manifest.json"][1])
    # Counts are whole numbers in the files; money has at most cents.
    summary = frames["summary.csv"]
    assert summary["impressions"].dtype.kind == "i" and summary["reach_hi"].dtype.kind == "i"
    assert (summary["spend_usd"].round(2) == summary["spend_usd"]).all()
    breakdown = frames["breakdown.csv"]
    assert {"installs_lo", "installs_hi", "cpi_usd_lo"} <= set(breakdown.columns)
    assert set(breakdown.loc[breakdown["dimension"] == "age", "group"]) == {"18-34", "35-64"}


def test_init_writes_a_starter_that_validates_and_is_not_overwritten(tmp_path, capsys):
    target = tmp_path / "mine.yaml"
    assert main(["init", str(target)]) == 0
    scenario = load_scenario(target)
    assert len(scenario.strategies) >= 2 and scenario_warnings(scenario) == []
    assert target.read_text().count("#") > 10  # commented
    target.write_text("mine")
    assert main(["init", str(target)]) == 2
    assert "--force" in capsys.readouterr().err and target.read_text() == "mine"
    assert main(["init", str(target), "--force"]) == 0


def test_show_fills_in_every_default(capsys):
    path = SCENARIOS / "quickstart.yaml"
    assert main(["show", str(path)]) == 0
    shown = yaml.safe_load(capsys.readouterr().out)
    # Defaults the file leaves out are there, and the result is the same scenario.
    assert shown["platform"]["optimiser"]["mode"] == "learning"
    assert shown["strategies"][0]["pacing"] == "even"
    assert scenario_from_dict(shown, base_dir=SCENARIOS) == load_scenario(path)
    assert main(["show", str(path), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["name"] == "quickstart"


def test_surprising_defaults_are_warned_about(tmp_path, capsys):
    data = scenario_dict()
    data.pop("clock_utc_offset_h")
    data["population"]["regions"][0]["utc_offset_h"] = 2
    scenario = scenario_from_dict(data)
    (warning,) = scenario_warnings(scenario)
    assert "clock_utc_offset_h is not set" in warning and "North UTC+2" in warning
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(data))
    assert main(["validate", str(path)]) == 0
    assert "warning: clock_utc_offset_h" in capsys.readouterr().err
    del data["population"]["scale"]
    data["accounts"] = []  # their follower counts exceed a population of scale 1
    warnings = scenario_warnings(scenario_from_dict(data))
    assert any("population.scale is not set" in w for w in warnings)


def test_python_dash_m_and_help_with_examples():
    proc = subprocess.run(
        [sys.executable, "-m", "adsim", "run", "--help"], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0
    assert "examples:" in proc.stdout and "adsim run scenarios/quickstart.yaml" in proc.stdout
    assert "(default: auto)" in " ".join(proc.stdout.split()) and "--force" in proc.stdout
    top = subprocess.run([sys.executable, "-m", "adsim", "--help"], capture_output=True, text=True)
    assert "adsim init" in top.stdout and "``" not in top.stdout


def test_progress_is_plain_lines_when_not_a_terminal(tmp_path, capsys):
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(scenario_dict()))
    assert main(["run", str(path), "--replicates", "2"]) == 0
    lines = [ln for ln in capsys.readouterr().err.splitlines() if ln.startswith("replicate")]
    # A line at each new tenth of each replicate: 11 each (1/72 in the first tenth ... 72/72).
    assert lines[0].startswith("replicate 1/2: 1/72 slots")
    assert lines[-1].startswith("replicate 2/2: 72/72 slots")
    assert len(lines) == 22


@pytest.mark.parametrize("name", ["quickstart.yaml", "wazypark_spain.yaml"])
def test_bundled_scenarios_raise_no_warning(name):
    assert scenario_warnings(load_scenario(SCENARIOS / name)) == []


def test_every_default_that_can_move_a_ranking_has_a_basis():
    """Each numeric default of the ranking sections names a source or says ASSUMPTION, and
    every basis belongs to a real key (docs/scenario.md prints them)."""
    from adsim.scenario import Scenario
    from adsim.scenario.basis import BASIS, RANKING_SECTIONS

    schema = Scenario.model_json_schema(by_alias=True)
    sections = {**schema.pop("$defs"), "Scenario": schema}
    for path, basis in BASIS.items():
        section, key = path.split(".")
        assert key in sections[section]["properties"], path
        assert basis.startswith(("ASSUMPTION", "Source")), path
    missing = [
        f"{section}.{key}"
        for section in RANKING_SECTIONS
        for key, prop in sections[section]["properties"].items()
        if prop.get("type") in ("number", "integer", "array", "object")
        and "$ref" not in prop
        and key not in sections[section].get("required", [])  # no default to rest on
        and f"{section}.{key}" not in BASIS
        and key not in ("os", "name", "age", "regions", "countries", "interests", "gender")
    ]
    assert not missing, missing
