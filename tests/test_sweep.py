"""Sweeps: rows equal the points run one by one, in any execution; the store resumes exactly."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import ROOT, scenario_dict

import adsim
from adsim import Scenario, ScenarioError
from adsim.experiments import allocate, apply_point, sweep
from adsim.experiments.budget import concave_envelope
from adsim.experiments.design import design_points, latin_hypercube
from adsim.experiments.store import SweepStoreError
from adsim.scenario.sweep import ParameterRange

PARAMS = {"strategies.broad.budget.daily_usd": [150, 400], "budget_scale": [0.5, 1.0]}
METRIC_COLUMNS = ["spend_usd", "impressions", "installs", "incremental_installs", "cpi_usd"]


@pytest.fixture(scope="module")
def small() -> Scenario:
    return Scenario.model_validate(scenario_dict(horizon_days=2))


@pytest.fixture(scope="module")
def serial(small):
    return sweep(small, PARAMS, replicates=2, workers=1)


def test_grid_rows_equal_each_point_run_alone(small, serial):
    assert adsim.sweep is sweep  # the top-level name analysts script with
    rows = serial.rows
    assert len(serial.points) == 4 and len(rows) == 4 * 2 * 2  # points x replicates x strategies
    assert not rows.duplicated(["point", "replicate", "strategy"]).any()
    for k, point in serial.points.iterrows():
        alone = adsim.run(apply_point(small, point.to_dict()), replicates=2, workers=1)
        expected = alone.per_replicate().reset_index()
        got = rows[rows["point"] == k].reset_index(drop=True)
        assert list(got["strategy"]) == list(expected["strategy"])
        for col in METRIC_COLUMNS:  # bit-identical: same seed and streams
            np.testing.assert_array_equal(got[col].to_numpy(), expected[col].to_numpy(), col)
    # budget_scale multiplied every strategy's budget, after the point's own daily_usd.
    at = rows[(rows["point"] == 0) & (rows["replicate"] == 0)].set_index("strategy")
    assert at.loc["broad", "budget_usd"] == pytest.approx(150 * 0.5 * 2)  # x days


def test_common_random_numbers_across_points(serial):
    """cars_cpc's budget is the same at points 0 and 2 (only broad's changes): in isolated
    worlds its rows are identical, draw for draw."""
    rows = serial.rows.set_index(["point", "replicate", "strategy"])
    for r in range(2):
        a, b = rows.loc[(0, r, "cars_cpc")], rows.loc[(2, r, "cars_cpc")]
        assert a["spend_usd"] == b["spend_usd"] and a["installs"] == b["installs"]


def test_without_common_random_numbers_each_point_is_its_own_world(small):
    """Two identical points: with common random numbers their rows are equal; without, point
    k's replicate r is the run's replicate k x R + r (R = 2 here), so they differ."""
    same = [{"strategies.broad.budget.daily_usd": 300}] * 2
    shared = sweep(small, design="points", points=same, replicates=2, workers=1)
    own = sweep(small, design="points", points=same, replicates=2, workers=1,
                common_random_numbers=False)  # fmt: skip
    cols = ["spend_usd", "impressions", "installs"]
    by_point = [shared.rows[shared.rows["point"] == k][cols].to_numpy() for k in (0, 1)]
    assert np.array_equal(*by_point)
    runs = adsim.run(small, replicates=4, workers=1).per_replicate()
    for k in (0, 1):
        for r in (0, 1):
            row = own.rows.query("point == @k and replicate == @r and strategy == 'broad'")
            expected = runs.loc[(2 * k + r, "broad"), cols].to_numpy(dtype=float)
            assert np.array_equal(row[cols].to_numpy(dtype=float)[0], expected), (k, r)


def test_local_processes_give_the_same_rows(small, serial):
    parallel = sweep(small, PARAMS, replicates=2, workers=2)
    pd.testing.assert_frame_equal(parallel.rows, serial.rows)


def test_dask_local_cluster_gives_the_same_rows(small, serial):
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
            host="127.0.0.1",
        ) as cluster,
        distributed.Client(cluster) as client,
    ):  # fmt: skip
        on_dask = sweep(small, PARAMS, replicates=2, client=client)
    pd.testing.assert_frame_equal(on_dask.rows, serial.rows)


def test_store_writes_each_run_and_resumes_without_rerunning(small, serial, tmp_path):
    out = tmp_path / "s"
    first = sweep(small, PARAMS, replicates=2, workers=1, out=out)
    pd.testing.assert_frame_equal(first.rows, serial.rows)
    assert len(list((out / "runs").glob("*.parquet"))) == 8
    stamps = {f.name: f.stat().st_mtime_ns for f in (out / "runs").glob("*.parquet")}
    again = sweep(small, PARAMS, replicates=2, workers=1, out=out)  # nothing left to run
    assert {f.name: f.stat().st_mtime_ns for f in (out / "runs").glob("*.parquet")} == stamps
    pd.testing.assert_frame_equal(again.rows, serial.rows)
    # Another sweep in the same folder is refused, not mixed in.
    with pytest.raises(SweepStoreError):
        sweep(small, {"budget_scale": [2.0]}, replicates=2, workers=1, out=out)


def test_damaged_run_files_are_run_again_and_force_leaves_no_old_tables(small, serial, tmp_path):
    """A truncated, empty or garbage file in runs/ used to give a pyarrow traceback on every
    resume, counted as finished; now it is removed, rerun, and named in a note. --force
    (force=True) onto another sweep leaves none of that sweep's tables behind."""
    from adsim.experiments.sweeps import sweep_notices

    out = tmp_path / "s"
    sweep(small, PARAMS, replicates=2, workers=1, out=out)
    runs = sorted((out / "runs").glob("*.parquet"))
    runs[0].write_bytes(runs[0].read_bytes()[:100])  # truncated
    runs[1].write_bytes(b"")  # empty
    runs[2].write_bytes(b"not parquet at all")
    again = sweep(small, PARAMS, replicates=2, workers=1, out=out)
    pd.testing.assert_frame_equal(again.rows, serial.rows)
    assert again.damaged_runs == [f.name for f in runs[:3]]
    assert any("3 stored run file(s) could not be read" in n for n in sweep_notices(again))
    (out / "allocation.csv").write_text("old sweep's split")
    (out / "budget_curves.csv").write_text("old sweep's curves")
    sweep(small, {"strategies.broad.budget.daily_usd": [200]}, replicates=1, workers=1,
          out=out, force=True)  # fmt: skip
    assert not (out / "allocation.csv").exists() and not (out / "budget_curves.csv").exists()
    assert len(list((out / "runs").glob("*.parquet"))) == 1


def test_a_sweep_of_many_hours_is_refused_unless_forced(small):
    """10,000 samples x 1,000 replicates: refused at once with the number of runs and a
    rough time; nothing is built or run."""
    from adsim.experiments.sweeps import SweepSizeError

    huge = {"budget_scale": {"low": 0.5, "high": 2}}
    with pytest.raises(SweepSizeError, match=r"10,000,000 runs, about [\d,]+ days"):
        sweep(small, huge, design="random", samples=10_000, replicates=1000, workers=2)


def _spec(tmp_path, points: int) -> tuple:
    data = scenario_dict(horizon_days=4)
    (tmp_path / "base.yaml").write_text(yaml.safe_dump(data))
    spec = {
        "name": "kill_me",
        "scenario": "base.yaml",
        "replicates": 2,
        "design": "grid",
        "parameters": {"budget_scale": [0.5 + 0.25 * k for k in range(points)]},
    }
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(spec))
    return path, points * 2


def test_a_sweep_killed_midway_resumes_to_exactly_the_full_set(tmp_path):
    spec, tasks = _spec(tmp_path, points=6)
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "adsim", "sweep", str(spec), "--out", str(out),
           "--workers", "1", "--no-progress"]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    runs = out / "runs"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if runs.exists() and len(list(runs.glob("*.parquet"))) >= 3:
            break
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)  # no chance to clean up: as a crash or a lost machine
    proc.wait()
    kept = len(list(runs.glob("*.parquet")))
    assert 3 <= kept < tasks, "the kill should land mid-way"
    assert not (out / "rows.parquet").exists()
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    resumed = pd.read_parquet(out / "rows.parquet")
    assert len(list(runs.glob("*.parquet"))) == tasks
    assert not list(runs.glob(".*"))  # no partial file left behind
    assert not resumed.duplicated(["point", "replicate", "strategy"]).any()
    whole = tmp_path / "whole"
    subprocess.run([*cmd[:6], str(whole), *cmd[7:]], check=True, capture_output=True, timeout=300)
    pd.testing.assert_frame_equal(resumed, pd.read_parquet(whole / "rows.parquet"))


def test_allocator_beats_an_even_split_in_simulation():
    """broad can spend any budget; cars_cpc's CPC bid caps what it can buy. An even split
    leaves cars_cpc money it cannot spend, the allocator moves it to broad. Checked by
    simulating both splits with the same seed and replicates (paired)."""
    data = scenario_dict(horizon_days=2)
    data["strategies"][0]["budget"] = {"daily_usd": 500}
    data["strategies"][1]["budget"] = {"daily_usd": 100}
    base = Scenario.model_validate(data)
    result = sweep(base, {"budget_scale": [0.5, 1.0, 2.0, 4.0]}, replicates=3, workers=1)
    curves = result.budget_curves()
    alloc = allocate(curves, total_usd=1200.0)  # the current flight total: 2 x (500 + 100)
    assert alloc.budget_usd.sum() == pytest.approx(1200.0)
    assert alloc.outcomes["recommended"][0] >= alloc.outcomes["even"][0]
    recommended = adsim.run(alloc.scenario(base), replicates=3, workers=1)
    even = adsim.run(
        base.with_changes({"strategies.*.budget.daily_usd": 300.0}), replicates=3, workers=1
    )
    inc_rec = recommended.per_replicate()["incremental_installs"].groupby("replicate").sum()
    inc_even = even.per_replicate()["incremental_installs"].groupby("replicate").sum()
    assert inc_rec.mean() > inc_even.mean()


def test_concave_envelope_drops_dents_and_flat_tails():
    x = np.array([0.0, 1.0, 2.0, 3.0, 4.0])
    y = np.array([0.0, 1.0, 1.2, 2.5, 2.5])  # a dent at 2 and a flat tail at 4
    hx, hy = concave_envelope(x, y)
    assert list(hx) == [0.0, 1.0, 3.0] and list(hy) == [0.0, 1.0, 2.5]
    slopes = np.diff(hy) / np.diff(hx)
    assert np.all(np.diff(slopes) <= 0)


def test_designs():
    grid = design_points(
        "grid", {"a": [1, 2, 3], "b": ParameterRange(low=1, high=100, steps=3, log=True)}
    )
    assert len(grid) == 9
    assert sorted({p["b"] for p in grid}) == pytest.approx([1.0, 10.0, 100.0])
    rng = np.random.default_rng(0)
    u = latin_hypercube(8, 3, rng)
    for d in range(3):  # one value in each eighth, per dimension
        assert sorted(np.floor(u[:, d] * 8).astype(int)) == list(range(8))
    rng_range = {"x": ParameterRange(low=2.0, high=4.0)}
    a = design_points("lhs", rng_range, samples=5, seed=3)
    assert a == design_points("lhs", rng_range, samples=5, seed=3)
    assert all(2.0 <= p["x"] <= 4.0 for p in a)


def test_bad_sweeps_name_the_field(small):
    with pytest.raises(ScenarioError) as info:
        sweep(small, {"strategies.brod.budget.daily_usd": [1]}, replicates=1)
    assert "brod" in str(info.value) and "did you mean 'broad'" in str(info.value)
    with pytest.raises(ScenarioError) as info:
        sweep(small, {"horizon_days": {"low": 1, "high": 3}}, replicates=1)
    assert "steps" in str(info.value)


def test_cli_sweep_prints_curves_and_a_split(tmp_path, capsys):
    from adsim.cli import main

    spec = ROOT / "sweeps" / "quickstart_budget.yaml"
    data = yaml.safe_load(spec.read_text())
    base = yaml.safe_load((ROOT / "scenarios" / "quickstart.yaml").read_text())
    base["population"]["agents"] = 8000
    base["population"]["scale"] = 125
    (tmp_path / "q.yaml").write_text(yaml.safe_dump(base))
    data.update(scenario="q.yaml", replicates=2)
    (tmp_path / "spec.yaml").write_text(yaml.safe_dump(data))
    out = tmp_path / "o"
    code = main(["sweep", str(tmp_path / "spec.yaml"), "--out", str(out), "--no-progress"])
    text = capsys.readouterr().out
    assert code == 0
    assert "Budget curve: young_foodies" in text and "Splitting $" in text
    for name in ("budget_curves.csv", "allocation.csv", "winners.csv", "rows.parquet"):
        assert (out / name).exists(), name
    _assert_columns_documented(out, parameters=["budget_scale"])
    (tmp_path / "bad.yaml").write_text(
        "name: x\nscenario: q.yaml\ndesign: lhs\nparameters: {a: [1]}\n"
    )
    assert main(["sweep", str(tmp_path / "bad.yaml")]) == 2
    err = capsys.readouterr().err
    assert "samples" in err and "Traceback" not in err


@pytest.mark.skipif(os.cpu_count() == 1, reason="needs two cores to mean anything")
def test_parallel_replicates_equal_serial(small):
    serial = adsim.run(small, replicates=3, workers=1)
    parallel = adsim.run(small, replicates=3, workers=2)
    pd.testing.assert_frame_equal(serial.summary(), parallel.summary())


def test_parallel_replicates_run_from_scripts_without_a_main_guard(tmp_path):
    """A script with no `if __name__ == "__main__":` guard, run as a file and fed on stdin:
    spawned workers used to re-run it and die (BrokenProcessPool); now they never import it.
    The numbers equal a one-process run's."""
    path = tmp_path / "small.json"
    path.write_text(json.dumps(scenario_dict(horizon_days=1)))
    script = (
        "import adsim\n"
        f"r = adsim.run({str(path)!r}, replicates=2, workers=2)\n"
        "print(r.summary()['installs'].tolist())\n"
    )
    expected = str(adsim.run(str(path), replicates=2, workers=1).summary()["installs"].tolist())
    (tmp_path / "no_guard.py").write_text(script)
    for args, stdin in (([str(tmp_path / "no_guard.py")], None), (["-"], script)):
        done = subprocess.run(
            [sys.executable, *args], input=stdin, capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, done.stderr[-2000:]
        assert done.stdout.strip() == expected


def test_cli_run_on_a_dask_scheduler_matches_the_local_run(tmp_path, capsys):
    """--scheduler ADDRESS: replicates run on the cluster (loopback here), same numbers."""
    distributed = pytest.importorskip("distributed")
    from adsim.cli import main

    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(scenario_dict(horizon_days=2)))
    assert main(["run", str(path), "--replicates", "3", "--format", "csv", "--workers", "1"]) == 0
    local = capsys.readouterr().out
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=2, processes=True, dashboard_address=None,
        host="127.0.0.1",
    ) as cluster:  # fmt: skip
        args = ["run", str(path), "--replicates", "3", "--format", "csv"]
        assert main([*args, "--scheduler", cluster.scheduler_address]) == 0
    assert capsys.readouterr().out == local


def test_ctrl_c_stops_a_parallel_sweep_cleanly_and_it_resumes(tmp_path):
    """Ctrl-C reaches the whole process group (the CLI and its workers): exit 130, one line,
    no traceback from any process, finished runs kept; the same command then completes."""
    spec, tasks = _spec(tmp_path, points=6)
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "adsim", "sweep", str(spec), "--out", str(out),
           "--workers", "2", "--no-progress"]  # fmt: skip
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    runs = out / "runs"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if runs.exists() and len(list(runs.glob("*.parquet"))) >= 2:
            break
        time.sleep(0.01)
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    kept = len(list(runs.glob("*.parquet")))
    assert kept < tasks, "the interrupt should land mid-way"
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "finished runs are kept" in err
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert len(pd.read_parquet(out / "rows.parquet")) == tasks * 2  # x 2 strategies


def test_allocator_on_known_curves_equalises_marginal_cost():
    """Two strategies with concave curves known in closed form: A buys 1 install per $1 up to
    $100 then 0.2 per $; B 0.5 per $ up to $200, then nothing. $250 should go A's first $100
    (slope 1), B's $150 (slope 0.5) and nothing more to A (0.2): the next install costs $2 on
    B and $5 on A."""
    from adsim.experiments.budget import BudgetCurves

    budgets = np.array([[50.0, 100.0, 200.0, 400.0], [50.0, 100.0, 200.0, 400.0]])
    inc_a = np.interp(budgets[0], [0, 100, 400], [0, 100, 160])
    inc_b = np.interp(budgets[1], [0, 200, 400], [0, 100, 100])
    inc = np.stack([inc_a, inc_b])[None].repeat(2, axis=0)  # 2 identical replicates
    curves = BudgetCurves(
        strategies=["a", "b"], scales=np.array([0.5, 1.0, 2.0, 4.0]), budget_usd=budgets,
        spend_usd=budgets[None].repeat(2, axis=0), installs=inc, incremental=inc,
    )  # fmt: skip
    alloc = allocate(curves, total_usd=250.0)
    np.testing.assert_allclose(alloc.budget_usd, [100.0, 150.0])
    np.testing.assert_allclose(alloc.marginal_icpi_usd, [5.0, 2.0])
    assert alloc.outcomes["recommended"][0] == pytest.approx(100 + 75)
    assert alloc.outcomes["even"][0] == pytest.approx(100 + 0.2 * 25 + 62.5)


def _assert_columns_documented(out, parameters: list[str]) -> None:
    """Every column of every table a sweep wrote is in adsim.columns.SWEEP_FILES
    (docs/outputs.md): parameters as <parameter>, metrics in rows.parquet as <metric>."""
    from adsim.columns import METRIC_DOCS, SWEEP_FILES

    for name, (_, documented) in SWEEP_FILES.items():
        path = out / name
        if not path.exists() or name == "summary.csv":
            continue
        frame = pd.read_parquet(path) if name.endswith(".parquet") else pd.read_csv(path)
        for col in frame.columns:
            key = "<parameter>" if col in parameters and col not in documented else col
            if name == "rows.parquet" and col in METRIC_DOCS:
                key = "<metric>"
            if name == "robustness.csv" and col.startswith("rho_"):
                key = "rho_<strategy>"
            assert key in documented, (name, col)


def test_cli_robustness_sweep_writes_win_shares_and_influence(tmp_path, capsys):
    from adsim.cli import main

    (tmp_path / "base.yaml").write_text(yaml.safe_dump(scenario_dict(horizon_days=2)))
    spec = {
        "name": "robust", "scenario": "base.yaml", "replicates": 1, "design": "lhs",
        "samples": 6,
        "parameters": {"platform.market.cpm_median_usd": {"low": 2.0, "high": 12.0},
                       "app.fit.latent_sigma": {"low": 0.0, "high": 1.0}},
    }  # fmt: skip
    (tmp_path / "spec.yaml").write_text(yaml.safe_dump(spec))
    out = tmp_path / "o"
    assert main(["sweep", str(tmp_path / "spec.yaml"), "--out", str(out), "--no-progress"]) == 0
    text = capsys.readouterr().out
    assert "Share of 6 sampled points each strategy wins" in " ".join(text.split())
    robustness = pd.read_csv(out / "robustness.csv")
    assert set(robustness["assumption"]) <= set(spec["parameters"])
    assert robustness["winner_shift"].between(0, 1).all()
    winners = pd.read_csv(out / "winners.csv")
    assert len(winners) == 6 and set(winners["winner"]) <= {"broad", "cars_cpc"}
    _assert_columns_documented(out, parameters=list(spec["parameters"]))


def test_a_split_drops_the_strategies_it_funds_with_nothing():
    from adsim.experiments.budget import Allocation

    base = Scenario.model_validate(scenario_dict(horizon_days=2))
    split = Allocation(
        strategies=["broad", "cars_cpc"], total_usd=1200.0,
        budget_usd=np.array([1200.0, 0.0]), scale=np.array([2.0, 0.0]),
        marginal_icpi_usd=np.array([3.0, np.nan]), outcomes={}, splits={}, within_curves={},
    )  # fmt: skip
    scenario = split.scenario(base)
    assert [s.name for s in scenario.strategies] == ["broad"]
    assert scenario.strategies[0].budget.daily_usd == pytest.approx(600.0)
    result = adsim.run(scenario, replicates=1, workers=1)
    assert list(result.summary().index) == ["broad"]  # nothing left spending on cars_cpc


def test_sweep_winners_show_their_spend_and_few_replicates_are_warned():
    from adsim.experiments.sweeps import sweep_notices

    data = scenario_dict(horizon_days=1)
    data["strategies"][1]["budget"] = {"daily_usd": 5000}  # cars_cpc cannot spend this
    with pytest.warns(UserWarning, match="mostly noise"):
        result = sweep(Scenario.model_validate(data), {"budget_scale": [1.0]}, replicates=2,
                       workers=1)  # fmt: skip
    winners = result.winners()
    assert {"winner_spend_usd", "winner_budget_used"} <= set(winners.columns)
    notes = sweep_notices(result)
    assert notes[0].startswith("warning: 2 replicate(s) per point")
    # cars_cpc (a CPC bid on the people the app fits) wins on cost but cannot spend $5,000.
    assert winners["winner"].iloc[0] == "cars_cpc"
    assert winners["winner_budget_used"].iloc[0] < 0.1
    assert any("cars_cpc spent $" in n and "of its budget" in n for n in notes[1:])


def test_budget_curve_table_marks_the_dips_the_allocator_bridges():
    from adsim.experiments.budget import BudgetCurves

    # Incremental installs 100, 120, 260, 300 at budgets 100..400: the step to 200 bought
    # little (a dip below the chord from 100 to 300), so 200 is not a corner of the envelope.
    inc = np.array([[[100.0, 120.0, 260.0, 300.0]]])
    budgets = np.array([[100.0, 200.0, 300.0, 400.0]])
    curves = BudgetCurves(
        strategies=["a"], scales=np.array([0.5, 1.0, 1.5, 2.0]), budget_usd=budgets,
        spend_usd=budgets[None, :, :], installs=inc, incremental=inc,
    )  # fmt: skip
    table = curves.table()
    assert table["on_envelope"].tolist() == [True, False, True, True]
    assert table["marginal_icpi_usd"].tolist() == pytest.approx([1.0, 5.0, 100 / 140, 2.5])


def test_sweep_values_as_a_tuple_or_numpy_array_are_taken_as_a_list():
    base = Scenario.model_validate(scenario_dict(horizon_days=1))
    for values in ((0.5, 1.0), np.array([0.5, 1.0]), [np.float64(0.5), np.int64(1)]):
        result = sweep(base, {"budget_scale": values}, replicates=1, workers=1)
        assert sorted(result.points["budget_scale"].astype(float)) == [0.5, 1.0]


def test_integer_ranges_set_integer_fields():
    """`integer: true` gives whole numbers as ints: a grid over horizon_days and a random
    design over population.agents both reach the scenario's integer fields."""
    base = Scenario.model_validate(scenario_dict(horizon_days=1))
    days = {"low": 1, "high": 2, "steps": 2, "integer": True}
    result = sweep(base, {"horizon_days": days}, replicates=1, workers=1)
    assert sorted(result.points["horizon_days"]) == [1, 2]
    agents = ParameterRange(low=2000, high=3000, integer=True)
    for point in design_points("random", {"population.agents": agents}, samples=3, seed=1):
        assert type(point["population.agents"]) is int
        assert apply_point(base, point).population.agents == point["population.agents"]


# (spec's parameters, the path named, words of the one message): each gave 2-5 messages in
# pydantic's internals (`list[union[float,int,str,bool]][0].str`) before.
BAD_PARAMETERS = [
    ({"budget_scale": float("inf")}, "parameters.budget_scale", "a list of values"),
    ({"budget_scale": 2}, "parameters.budget_scale", "got the number 2"),
    ({"budget_scale": []}, "parameters.budget_scale", "at least 1 item, got none"),
    (
        {"budget_scale": {"low": 0, "high": 2, "log": True, "steps": 3}},
        "parameters.budget_scale",
        "log: true needs low above 0",
    ),
    ({"budget_scale": ["0.5"]}, "parameters.budget_scale", "write it without quotes"),
    ({"budget_scale": [float("nan")]}, "parameters.budget_scale[0]", "finite number"),
    ({"budget_scale": [[1]]}, "parameters.budget_scale[0]", "got a list"),
    ({"horizon_days": [None]}, "parameters.horizon_days[0]", "got nothing"),
    ({"budget_scale": {"low": 1}}, "parameters.budget_scale.high", "required"),
    (
        {"budget_scale": {"low": 1, "high": float("inf"), "steps": 2}},
        "parameters.budget_scale.high",
        "finite number",
    ),
]


@pytest.mark.parametrize(("parameters", "field", "words"), BAD_PARAMETERS)
def test_bad_sweep_parameters_get_one_message_in_words(tmp_path, capsys, parameters, field, words):
    from adsim.cli import main

    spec = {"name": "x", "scenario": str(ROOT / "scenarios" / "quickstart.yaml"),
            "parameters": parameters}  # fmt: skip
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(spec))
    with pytest.raises(ScenarioError) as info:
        adsim.scenario.sweep.load_sweep_spec(path)
    assert len(info.value.problems) == 1, info.value.problems
    got_field, message = info.value.problems[0]
    assert got_field == field and words in message and "union" not in message
    assert main(["sweep", str(path), "--out", str(tmp_path / "o"), "--no-progress"]) == 2
    assert "Traceback" not in capsys.readouterr().err and not (tmp_path / "o").exists()
