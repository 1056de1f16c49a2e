"""The command line: outputs, and bad input -> field named, exit code 2, no traceback."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys

import pytest
import yaml
from conftest import SCENARIOS, scenario_dict

from adsim.cli import main
from adsim.outputs import OUTPUT_FILES


@pytest.fixture
def small_file(tmp_path):
    path = tmp_path / "small.yaml"
    path.write_text(yaml.safe_dump(scenario_dict()))
    return path


@pytest.fixture
def broken_file(tmp_path):
    data = scenario_dict()
    data["strategies"][1]["budget"] = {"daily_usd": "lots"}
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_run_table_and_outputs(small_file, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["run", str(small_file), "--out", str(out), "--no-progress"]) == 0
    text = capsys.readouterr().out
    assert "broad" in text and "cars_cpc" in text and "CPI $" in text
    assert '"strategy"' not in text  # the table only: no JSON after it
    assert (out / "summary.csv").exists() and (out / "timeseries.parquet").exists()
    assert (out / "breakdown.csv").read_text().startswith("dimension,strategy,group,impressions")
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == 11 and manifest["versions"]["adsim"]
    assert manifest["created_utc"].endswith("+00:00")


def test_run_csv_and_json(small_file, capsys):
    assert (
        main(["run", str(small_file), "--format", "csv", "--seed", "4", "--replicates", "1"]) == 0
    )
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("strategy,audience_size,spend_usd")
    assert len(lines) == 3
    assert main(["run", str(small_file), "--format", "json", "--replicates", "2"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["metadata"]["replicates"] == 2 and data["metadata"]["seed"] == 11
    rows = data["summary"]
    assert [r["strategy"] for r in rows] == ["broad", "cars_cpc"]
    assert isinstance(rows[0]["impressions"], int)
    assert "cpi_usd_lo" in rows[0] and "cpi_usd_hi" in rows[0]


def test_audience_command(capsys):
    """Sizes as a run's summary reports them: people whose device the app exists for (3% of
    quickstart's million are on other systems); time-bound audiences day by day."""
    assert main(["audience", str(SCENARIOS / "quickstart.yaml")]) == 0
    text = capsys.readouterr().out
    assert "970,000" in text and "young_foodies" in text and "by day" not in text
    assert main(["audience", str(SCENARIOS / "clasico_week.yaml")]) == 0
    text = capsys.readouterr().out
    assert "Time-bound audiences by day" in text and "2026-10-26" in text


def test_validate_good_and_bad(broken_file, capsys):
    assert main(["validate", str(SCENARIOS / "quickstart.yaml")]) == 0
    assert main(["validate", str(SCENARIOS / "quickstart.yaml"), str(broken_file)]) == 2
    err = capsys.readouterr().err
    assert "strategies[cars_cpc].budget.daily_usd" in err and "Traceback" not in err


def test_run_bad_input_writes_nothing(broken_file, tmp_path, capsys):
    out = tmp_path / "never"
    assert main(["run", str(broken_file), "--out", str(out)]) == 2
    assert not out.exists()
    assert "strategies[cars_cpc].budget.daily_usd" in capsys.readouterr().err


@pytest.mark.parametrize(
    "args",
    [["run", "x.yaml", "--replicates", "0"], ["run", "x.yaml", "--seed", "-1"], ["frobnicate"]],
)
def test_bad_options_exit_2(args, capsys):
    with pytest.raises(SystemExit) as info:
        main(args)
    assert info.value.code == 2


def test_schema_is_json(capsys):
    assert main(["schema"]) == 0
    assert json.loads(capsys.readouterr().out)["title"] == "Scenario"


def test_console_script_exit_code_without_traceback(broken_file):
    proc = subprocess.run(
        [sys.executable, "-m", "adsim", "validate", str(broken_file)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 2
    assert "strategies[cars_cpc].budget.daily_usd" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_out_into_existing_folder_needs_force_and_keeps_other_files(
    small_file, tmp_path, capsys, monkeypatch
):
    out = tmp_path / "results"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    import adsim.runner

    with monkeypatch.context() as m:  # refused before running: run() is never called
        m.setattr(adsim.runner, "run", lambda *a, **k: pytest.fail("ran before refusing"))
        assert main(["run", str(small_file), "--out", str(out), "--format", "csv"]) == 2
    err = capsys.readouterr().err
    assert "not empty" in err and "--force" in err
    assert [p.name for p in out.iterdir()] == ["notes.txt"]
    assert main(["run", str(small_file), "--out", str(out), "--format", "csv", "--force"]) == 0
    assert (out / "notes.txt").read_text() == "mine"
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted([*OUTPUT_FILES, "notes.txt"])
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".results.")]  # no temp left


def test_out_that_is_a_file_is_bad_input(small_file, tmp_path, capsys):
    target = tmp_path / "file.txt"
    target.write_text("keep")
    assert main(["run", str(small_file), "--out", str(target)]) == 2
    assert "not a folder" in capsys.readouterr().err
    assert target.read_text() == "keep"
    assert main(["run", str(small_file), "--out", str(target / "sub")]) == 2
    assert "is a file, not a folder" in capsys.readouterr().err


def test_new_out_folder_has_normal_permissions(small_file, tmp_path):
    old = os.umask(0o022)
    try:
        assert main(["run", str(small_file), "--out", str(tmp_path / "o"), "--no-progress"]) == 0
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "o").stat().st_mode) == 0o755


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere")
def test_unwritable_out_is_refused_before_running(small_file, tmp_path, capsys):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o555)
    assert main(["run", str(small_file), "--out", str(locked / "o")]) == 2
    assert "permission denied" in capsys.readouterr().err


def test_breakdown_table(small_file, capsys):
    assert main(["run", str(small_file), "--breakdown", "region", "--no-progress"]) == 0
    text = capsys.readouterr().out
    assert "By region" in text and "North" in text and "South" in text


def test_breakdown_needs_the_table_format(small_file, capsys):
    # A machine-readable stdout holds one table; silently dropping the breakdown would mislead.
    assert main(["run", str(small_file), "--format", "csv", "--breakdown", "age"]) == 2
    captured = capsys.readouterr()
    assert "--breakdown" in captured.err and captured.out == ""


@pytest.mark.parametrize("columns", [100, 60])
def test_piped_output_fits_columns_and_crops_nothing(small_file, capsys, monkeypatch, columns):
    # Piped output with COLUMNS set uses that width: every line fits, wide tables are split
    # into parts rather than cut, and every strategy's CPI still appears.
    monkeypatch.setenv("COLUMNS", str(columns))
    assert main(["run", str(small_file), "--replicates", "2", "--no-progress"]) == 0
    text = capsys.readouterr().out
    assert max(len(line) for line in text.splitlines()) <= columns
    assert "broad" in text and "cars_cpc" in text and "Verdict:" in text


def test_out_paths_that_cannot_hold_results_are_refused_before_running(tmp_path, capsys):
    """A file in the way, a dangling link (itself or a parent): exit 2 with one line, before
    any simulation (a run used to finish and then lose its results; a sweep gave a
    NotADirectoryError or FileExistsError traceback)."""
    from conftest import SCENARIOS

    from adsim.cli import main

    (tmp_path / "afile").write_text("x")
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere")
    scenario = str(SCENARIOS / "quickstart.yaml")
    spec = str(SCENARIOS.parent / "sweeps" / "quickstart_budget.yaml")
    cases = {
        "afile/x": "afile is a file, not a folder",
        "afile": "exists and is not a folder",
        "dangling": "which does not exist",
        "dangling/x": "which does not exist",
    }
    for out, words in cases.items():
        for argv in (["run", scenario], ["sweep", spec]):
            assert main([*argv, "--out", str(tmp_path / out), "--no-progress"]) == 2, argv
            err = capsys.readouterr().err
            assert words in err and "Traceback" not in err, (argv, out, err)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile", "dangling"]
