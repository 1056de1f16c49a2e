"""Regression tests for the breaks found by generated and malformed scenarios (issue
'hardening'): each one failed before its fix."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import SCENARIOS, SMALL, scenario_dict, strategy

import adsim
from adsim import Scenario
from adsim.cli import main as cli_main
from adsim.params import calendar_days, to_params
from adsim.resources import MemoryLimitError, check_memory, estimate_memory
from adsim.scenario.load import MAX_DEPTH, ScenarioError, load_scenario, scenario_from_dict


def run(data: dict, **kw) -> adsim.Result:
    return adsim.run(Scenario.model_validate(data), **kw)


@pytest.mark.parametrize(
    ("start", "end", "days"),
    [(0.0, 1.0, 1), (0.25, 2.25, 3), (0.5, 1.5, 2), (1.0, 3.0, 2), (1.95, 2.0, 1), (0.0, 0.5, 1)],
)
def test_calendar_days_count_every_day_a_flight_touches(start, end, days):
    assert calendar_days(start * 24, end * 24) == days


@pytest.mark.parametrize(("start", "end"), [(0.25, 2.25), (0.5, 1.5)])
def test_mid_day_flights_never_spend_more_than_the_budget_they_report(start, end):
    """Budgets reset at each advertiser midnight, so a flight from day 0.25 to 2.25 may spend
    three daily budgets: the reported total must say so, and spend stays within it (plus at
    most one charge, the one that crossed the limit)."""
    s = strategy(
        "mid", bid={"strategy": "max_cpm", "amount_usd": 40.0}, budget={"daily_usd": 50},
        flight={"start_day": start, "end_day": end}, pacing="accelerated",
    )  # fmt: skip
    res = run(scenario_dict(strategies=[s], horizon_days=3))
    row = res.summary().loc["mid"]
    assert row["budget_used"] <= 1.0 + 1e-3
    # A small budget against a large audience: it spends more than the whole days the flight
    # lasts would allow, which is why the reported budget counts every day touched.
    days = calendar_days(start * 24, end * 24)
    assert row["spend_usd"] > 50 * (days - 1)
    daily = res.timeseries().groupby("day")["spend_usd"].sum()
    one_charge = res.records[0].max_price_sim_usd * res.records[0].scale  # real USD
    assert (daily <= 50 + one_charge + 1e-9).all()


def test_daily_overshoots_do_not_add_up_over_a_flight():
    """Found by the generated suite: each day may cross its daily budget by the one price that
    crossed it, and over 3 days those crossings added up to more than one price over the
    flight's budget. Each day's budget now gives back what earlier days overshot."""
    s = strategy(
        "dear", bid={"strategy": "max_cpm", "amount_usd": 95.0}, budget={"daily_usd": 1.0},
        pacing="accelerated",
    )  # fmt: skip
    res = run(scenario_dict(strategies=[s], horizon_days=6, platform={"auction": "first_price"}))
    rec = res.records[0]
    spend = rec.daily["spend_sim_usd"][:, 0]
    price = rec.max_price_sim_usd
    budget = 1.0 / rec.scale
    assert spend[0] > budget  # a day does cross its budget (by less than one price)
    assert (spend <= budget + price + 1e-12).all()
    assert spend.sum() <= 6 * budget + price + 1e-12


def test_a_flight_shorter_than_a_slot_delivers_only_inside_it():
    """Flight 1.95-2.0 d with 6 h slots: its impressions land in day 1 (inside the flight),
    none in day 2 (before the fix, all of them did)."""
    s = strategy("short", flight={"start_day": 1.95, "end_day": 2.0}, budget={"daily_usd": 5000})
    res = run(scenario_dict(strategies=[s], slot_h=6, horizon_days=3))
    by_day = res.timeseries().groupby("day")["impressions"].sum()
    assert by_day.loc[1] > 0
    assert by_day.loc[0] == 0 and by_day.loc[2] == 0


def test_even_pacing_delivers_with_two_hour_slots_and_odd_hours():
    """The pacing forecast reads every hour of a slot: a daypart of odd local hours in 2 h
    slots has traffic in every slot (before the fix: plan 0, nothing delivered)."""
    s = strategy(
        "odd", flight={"hours": list(range(1, 24, 2))}, pacing="even", budget={"daily_usd": 100}
    )
    row = run(scenario_dict(strategies=[s], slot_h=2)).summary().loc["odd"]
    assert row["impressions"] > 0
    assert row["budget_used"] > 0.5


# ---- input the schema refuses ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "path", "message"),
    [
        ({"horizon_days": True}, "horizon_days", "whole number"),
        (
            {"strategies": [strategy("a", budget={"daily_usd": "400"})]},
            "strategies[a].budget.daily_usd",
            "a number",
        ),
        (
            {"strategies": [strategy("a", budget={"daily_usd": float("inf")})]},
            "strategies[a].budget.daily_usd",
            "finite",
        ),
        (
            {"population": {**SMALL["population"], "scale": float("inf")}},
            "population.scale",
            "finite",
        ),
        (
            {"platform": {"market": {"cpm_median_usd": float("nan")}}},
            "platform.market.cpm_median_usd",
            "finite",
        ),
        # Explicit maxima where the engine has a limit (16-bit counters, int16 region ids,
        # bounded scroll depth) or where a product of values could overflow.
        (
            {"strategies": [strategy("a", frequency_cap={"impressions": 65_536})]},
            "strategies[a].frequency_cap.impressions",
            "less than or equal to 65535",
        ),
        (
            {"platform": {"feed_items_per_session": 1e9}},
            "platform.feed_items_per_session",
            "less than or equal to 500",
        ),
        (
            {"population": {**SMALL["population"], "activity": {"max_sessions_per_day": 151.0}}},
            "population.activity.max_sessions_per_day",
            "less than or equal to 150",
        ),
        (
            {"strategies": [strategy("a", bid={"strategy": "cpc", "amount_usd": 1e308})]},
            "strategies[a].bid.amount_usd",
            "less than or equal to 100000",
        ),
        (
            {"platform": {"market": {"devices": {"ios": 1e300}}}},
            "platform.market.devices.ios",
            "less than or equal to 1000",
        ),
        (
            {
                "population": {
                    **SMALL["population"],
                    "regions": [
                        {**SMALL["population"]["regions"][0], "name": f"r{k}", "share": 1e-4}
                        for k in range(10_001)
                    ],
                }
            },
            "population.regions",
            "at most 10000 items",
        ),
    ],
)
def test_numbers_are_finite_and_of_their_own_type(changes, path, message):
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict(scenario_dict(**changes))
    problems = dict(info.value.problems)
    assert path in problems and message in problems[path]


def _load_text(tmp_path: Path, name: str, text: str) -> ScenarioError:
    (tmp_path / name).write_text(text)
    with pytest.raises(ScenarioError) as info:
        load_scenario(tmp_path / name)
    assert len(info.value.problems) == 1
    return info.value


def test_duplicate_keys_are_refused_in_yaml_and_json(tmp_path):
    text = (SCENARIOS / "quickstart.yaml").read_text()
    err = _load_text(
        tmp_path, "dup.yaml", text.replace("horizon_days:", "horizon_days: 3\nhorizon_days:", 1)
    )
    assert "duplicate key 'horizon_days'" in str(err)
    err = _load_text(tmp_path, "dup.json", json.dumps(SMALL)[:-1] + ', "seed": 12}')
    assert "duplicate key 'seed'" in str(err)


def test_deep_nesting_and_alias_bombs_are_refused_with_a_message(tmp_path):
    deep = "{not: " * 300 + "{everyone: true}" + "}" * 300
    err = _load_text(tmp_path, "deep.yaml", f"name: x\nstrategies:\n  - audience: {deep}\n")
    assert f"nested more than {MAX_DEPTH} levels" in str(err)
    err = _load_text(tmp_path, "deep.json", '{"a": ' + "[" * 5000 + "]" * 5000 + "}")
    assert "nested too deep" in str(err)
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{k}: &a{k} [{', '.join([f'*a{k - 1}'] * 10)}]" for k in range(1, 8)]
    err = _load_text(tmp_path, "bomb.yaml", "\n".join(lines) + "\n")
    assert "aliases" in str(err)


# ---- interrupts ------------------------------------------------------------------------------


def _wait_until_caught(proc: subprocess.Popen, sig: int, timeout_s: float = 120.0) -> None:
    """Until ``proc`` has a handler for ``sig`` (Linux: the SigCgt mask in /proc)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and proc.poll() is None:
        status = Path(f"/proc/{proc.pid}/status").read_text()
        caught = int(
            next(ln for ln in status.splitlines() if ln.startswith("SigCgt:")).split()[1], 16
        )
        if caught >> (sig - 1) & 1:
            return
        time.sleep(0.05)
    raise AssertionError(f"the CLI never installed a handler for signal {sig}")


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_an_interrupted_run_exits_cleanly_and_writes_nothing(tmp_path, sig, code):
    """A signal during the run (most of its time is inside kernels) gives one line, the
    conventional exit code, no traceback and no output folder."""
    scenario = tmp_path / "s.json"
    scenario.write_text(json.dumps(scenario_dict(horizon_days=30)))
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "adsim", "run", str(scenario), "--replicates", "50"]
    proc = subprocess.Popen(
        [*cmd, "--out", str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        # As from a terminal: a shell's background job would inherit SIGINT ignored.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )  # fmt: skip
    # Wait until the CLI has installed its handlers (it catches SIGTERM), then a little more so
    # that the signal lands in the run (replicates, most of the time inside kernels).
    _wait_until_caught(proc, signal.SIGTERM)
    time.sleep(3.0)
    assert proc.poll() is None, "the run ended before it could be interrupted"
    proc.send_signal(sig)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == code
    assert "Traceback" not in stderr
    assert "nothing written" in stderr.strip().splitlines()[-1]
    assert not out.exists()


# ---- memory: refused up front, with the estimate --------------------------------------------


def test_memory_estimate_grows_with_agents_strategies_and_worlds():
    base = to_params(scenario_from_dict(scenario_dict()))
    est = estimate_memory(base)
    population = {**SMALL["population"], "agents": 60_000}
    bigger = to_params(scenario_from_dict(scenario_dict(population=population)))
    # Nearly everything but the fixed base is per agent (named accounts' followers are a fixed
    # number of real people): 10x the agents, just under 10x the rest.
    ratio = (estimate_memory(bigger).peak - est.base) / (est.peak - est.base)
    assert 9.5 < ratio <= 10.0
    shared = to_params(scenario_from_dict(scenario_dict(market_mode="shared")))
    assert estimate_memory(shared).engine > est.engine  # one world per strategy, plus all


def test_a_run_that_cannot_fit_is_refused_before_building(tmp_path, capsys):
    scenario = scenario_from_dict(scenario_dict())
    need = estimate_memory(to_params(scenario)).peak
    with pytest.raises(MemoryLimitError, match=r"population\.agents: this run needs about"):
        adsim.run(scenario, max_memory_bytes=need - 1)
    path = tmp_path / "s.json"
    path.write_text(json.dumps(scenario_dict()))
    out = tmp_path / "out"
    assert cli_main(["run", str(path), "--out", str(out), "--max-memory", "1M"]) == 2
    err = capsys.readouterr().err
    assert "population.agents" in err and "fewer agents with a larger scale" in err
    assert "Traceback" not in err and not out.exists()
    assert cli_main(["validate", str(path), "--max-memory", "1M"]) == 2
    assert cli_main(["validate", str(path)]) == 0
    assert "estimated peak memory" in capsys.readouterr().out


def test_the_suggested_population_fits_the_limit():
    """The advice (fewer agents, larger scale) is a scenario that passes the same check."""
    big = scenario_dict(population={**SMALL["population"], "agents": 2_000_000})
    limit = 400 * 2**20
    with pytest.raises(MemoryLimitError) as info:
        check_memory(to_params(scenario_from_dict(big)), limit)
    agents = int(re.search(r"agents: ([\d,]+)", str(info.value)).group(1).replace(",", ""))
    scale = float(re.search(r"scale: ([\d.]+)", str(info.value)).group(1))
    assert agents * scale == pytest.approx(2_000_000 * SMALL["population"]["scale"], rel=1e-3)
    fits = scenario_dict(population={**SMALL["population"], "agents": agents, "scale": scale})
    assert check_memory(to_params(scenario_from_dict(fits)), limit) <= limit


@pytest.mark.slow
def test_memory_estimate_is_within_a_quarter_of_the_measured_peak():
    """One replicate of 400k agents in a fresh process: its peak resident set (VmHWM)
    against the estimate made from the scenario alone (benchmarks/memory.py prints more).

    A first process runs the same scenario with 2,000 agents so that every kernel it needs is
    compiled and cached: compiling takes memory the estimate leaves out (a one-time cost)."""
    code = (
        "import json, sys, adsim\n"
        "from adsim.resources import peak_resident_bytes\n"
        "adsim.run(adsim.Scenario.model_validate(json.loads(sys.argv[1])))\n"
        "print(peak_resident_bytes())\n"
    )
    peaks = []
    for agents in (2_000, 400_000):
        data = scenario_dict(population={**SMALL["population"], "agents": agents}, horizon_days=1)
        proc = subprocess.run(
            [sys.executable, "-c", code, json.dumps(data)],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert proc.returncode == 0, proc.stderr
        peaks.append(int(proc.stdout.split()[-1]))
    est = estimate_memory(to_params(scenario_from_dict(data))).peak
    peak = peaks[-1]
    assert 0.75 <= est / peak <= 1.25, (est, peak)


def _cgroup_tree(tmp_path: Path, cgroup_lines: str, files: dict[str, str]) -> tuple[Path, Path]:
    proc, cgroup = tmp_path / "proc", tmp_path / "cgroup"
    (proc / "self").mkdir(parents=True)
    (proc / "self" / "cgroup").write_text(cgroup_lines)
    for name, text in files.items():
        (cgroup / name).parent.mkdir(parents=True, exist_ok=True)
        (cgroup / name).write_text(text)
    return proc, cgroup


@pytest.mark.parametrize(
    ("lines", "files", "room"),
    [
        # v2: a limit on the parent binds its child group (4 GiB - 1 GiB used).
        ("0::/box/job\n", {"box/memory.max": f"{4 * 2**30}\n", "box/memory.current": f"{2**30}",
                           "box/job/memory.max": "max\n", "box/job/memory.current": "5"},
         3 * 2**30),
        # v2 inside a container: the listed (host) path is absent, its own group is the root.
        ("0::/host/path\n", {"memory.max": "2000", "memory.current": "500"}, 1500),
        ("0::/\n", {"memory.max": "max"}, None),  # no limit
        # v1: the memory controller's line; "unlimited" is a number near 2^63.
        ("4:memory:/c\n0::/\n", {"memory/c/memory.limit_in_bytes": "1000",
                                 "memory/c/memory.usage_in_bytes": "400"}, 600),
        ("4:memory:/c\n", {"memory/c/memory.limit_in_bytes": "9223372036854771712",
                           "memory/c/memory.usage_in_bytes": "400"}, None),
    ],
)  # fmt: skip
def test_container_memory_limits_are_read_from_cgroup_v1_and_v2(tmp_path, lines, files, room):
    from adsim.resources import cgroup_room_bytes

    assert cgroup_room_bytes(*_cgroup_tree(tmp_path, lines, files)) == room


def test_an_address_space_limit_refuses_a_run_up_front(tmp_path):
    """`ulimit -v 3G`: a legal 20M-agent scenario used to die mid-build with numpy's
    _ArrayMemoryError traceback; the estimate now compares against the room left."""
    import resource

    data = scenario_dict(horizon_days=1, accounts=[])
    data["population"] = {**data["population"], "agents": 20_000_000, "scale": 1}
    path = tmp_path / "big.json"
    path.write_text(json.dumps(data))
    limit = 3 * 2**30

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    cmd = [sys.executable, "-m", "adsim", "run", str(path), "--no-progress", "--out", "o"]
    done = subprocess.run(
        cmd, preexec_fn=cap, capture_output=True, text=True, timeout=120, cwd=tmp_path
    )
    assert done.returncode == 2, done.stderr
    assert "address space left under `ulimit -v`" in done.stderr
    assert "Traceback" not in done.stderr and not (tmp_path / "o").exists()


def test_running_out_of_memory_anywhere_is_one_line_and_exit_2(tmp_path, capsys, monkeypatch):
    """A MemoryError the estimate did not foresee (here: raised by the run itself), or a
    worker the system killed, is one line naming the cause, exit 2, nothing written."""
    import concurrent.futures.process

    import adsim.runner

    for error in (MemoryError(), concurrent.futures.process.BrokenProcessPool("killed")):

        def fail(*args, error=error, **kwargs):
            raise error

        monkeypatch.setattr(adsim.runner, "run", fail)
        out = tmp_path / "o"
        code = cli_main(["run", str(SCENARIOS / "quickstart.yaml"), "--no-progress",
                         "--out", str(out)])  # fmt: skip
        err = capsys.readouterr().err
        assert code == 2 and "out of memory" in err and "Traceback" not in err
        assert len(err.strip().splitlines()) == 1 and not out.exists()
