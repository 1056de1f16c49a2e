"""Calibration cost: 5 unknowns of wazypark_spain cut to 100,000 agents x 75 (14 days), from a
report of the 5 ad sets that a truth with other values ran at one agent per person.

    python benchmarks/calibration_cost.py [--samples 200] [--workers 2]

Prints the simulations run and the time they took (target: under 15 minutes on 2 cores), each
unknown's posterior against its truth, and the time a second call on the same folder takes
(a resume: every run is stored, so nothing runs again).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import pandas as pd

import adsim
from adsim.experiments.calibrate import calibrate
from adsim.outputs import export_past_report
from adsim.scenario.past_report import read_past_report

ROOT = Path(__file__).resolve().parents[1]
FIT = {
    "app.fit.interests.cars": {"low": 1, "high": 8},
    "app.fit.interests.business": {"low": 0.5, "high": 4},
    "strategies.*.creative.ctr": {"low": 0.002, "high": 0.02, "log": True},
    "platform.market.cpm_median_usd": {"low": 6, "high": 25, "log": True},
    "app.store_cvr": {"low": 0.05, "high": 0.4, "log": True},
}
TRUTH = {
    "app.fit.interests.cars": 4.5,
    "app.fit.interests.business": 1.0,
    "strategies.*.creative.ctr": 0.008,
    "platform.market.cpm_median_usd": 14.0,
    "app.store_cvr": 0.18,
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=200)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--truth-agents", type=int, default=7_500_000)
    args = ap.parse_args()
    wazypark = adsim.load_scenario(ROOT / "scenarios" / "wazypark_spain.yaml")
    base = wazypark.with_changes({"population.agents": 100_000, "population.scale": 75})
    people = 100_000 * 75
    truth = base.with_changes({
        **TRUTH, "seed": base.seed + 1, "population.agents": args.truth_agents,
        "population.scale": people / args.truth_agents,
    })  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        adsim.run(truth, workers=args.workers).save(Path(tmp) / "truth")
        path = export_past_report(Path(tmp) / "truth", Path(tmp) / "report.csv")
        print(f"truth ({args.truth_agents:,} agents) run and exported in "
              f"{time.perf_counter() - start:.0f} s", flush=True)  # fmt: skip
        report = read_past_report(path, [s.name for s in base.strategies])
        out = Path(tmp) / "cal"
        start = time.perf_counter()
        result = calibrate(base, report, FIT, samples=args.samples, workers=args.workers, out=out)
        took = time.perf_counter() - start
        runs = len(list((out / "runs" / "runs").glob("*.parquet")))
        print(f"{runs} simulations ({len(FIT)} unknowns, {result.method}) in {took:.0f} s "
              f"({took / 60:.1f} min; target under 15 min)")  # fmt: skip
        table = result.intervals()
        table["truth"] = pd.Series(TRUTH)
        table["inside"] = (table["lo"] <= table["truth"]) & (table["truth"] <= table["hi"])
        print(table[["truth", "median", "lo", "hi", "prior_lo", "prior_hi", "inside"]]
              .to_string(float_format=lambda v: f"{v:.4g}"))  # fmt: skip
        start = time.perf_counter()
        calibrate(base, report, FIT, samples=args.samples, workers=args.workers, out=out)
        print(f"the same call again (a resume with every run stored): "
              f"{time.perf_counter() - start:.1f} s")  # fmt: skip


if __name__ == "__main__":
    main()
