"""Calibration recovery: from reports adsim generated with hidden values (and their own
seeds), does `adsim.experiments.calibrate` recover them, and project a strategy the report
never ran?

    python benchmarks/calibration.py [--truths 10] [--samples 100] [--accept 0.2]
    python benchmarks/calibration.py --breakdown gender   # the report split by gender

For each truth: the small test scenario (6,000 agents x 10, 3 days) with a random app fit on
cars and broad's CTR is run once (seed 1000 + k) and exported as a report of broad only;
calibration from the base scenario fits both (with --breakdown, from a report split by the
groups of a dimension: gender tells car fans, 2x as often men, from others). Prints each truth
against its posterior median and 90% interval, how many intervals hold the truth (target: 8
of 10 per unknown), and the projected CPI of cars_cpc (never in the report), run from the
calibrated scenario's posterior draws, against its true CPI (target: within 15%) and whether
the truth lies in its range.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from conftest import scenario_dict

import adsim
from adsim import Scenario
from adsim.experiments.calibrate import calibrate
from adsim.outputs import export_past_report
from adsim.scenario.past_report import read_past_report

FIT = {
    "app.fit.interests.cars": {"low": 0.5, "high": 8},
    "strategies.broad.creative.ctr": {"low": 0.005, "high": 0.05, "log": True},
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--truths", type=int, default=10)
    ap.add_argument("--samples", type=int, default=100)
    ap.add_argument("--accept", type=float, default=0.2)
    ap.add_argument("--replicates", type=int, default=10, help="of the projection's runs")
    ap.add_argument(
        "--breakdown", choices=["age", "gender", "region", "device"],
        help="report installs by the groups of a dimension too (calibration fits their shares)",
    )  # fmt: skip
    args = ap.parse_args()
    rng = np.random.default_rng(1)
    base = Scenario.model_validate(scenario_dict(horizon_days=3))
    inside = dict.fromkeys(FIT, 0)
    errors, covered = [], 0
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        for k in range(args.truths):
            cars = rng.uniform(1, 7)
            ctr = float(np.exp(rng.uniform(np.log(0.008), np.log(0.04))))
            truth = scenario_dict(horizon_days=3, seed=1000 + k)
            truth["app"] = {**truth["app"], "fit": {"interests": {"cars": cars}}}
            truth["strategies"][0]["creative"] = {"ctr": ctr}
            run_dir = Path(tmp) / f"truth{k}"
            adsim.run(truth, workers=1).save(run_dir)
            full = pd.read_csv(
                export_past_report(run_dir, Path(tmp) / f"all{k}.csv", breakdown=args.breakdown)
            )
            path = Path(tmp) / f"broad{k}.csv"
            full[full["ad_set"] == "broad"].to_csv(path, index=False)  # cars_cpc never ran
            report = read_past_report(path, [s.name for s in base.strategies])
            result = calibrate(base, report, FIT, samples=args.samples, accept=args.accept,
                               workers=1)  # fmt: skip
            table = result.intervals()
            for name, true in zip(FIT, (cars, ctr), strict=True):
                inside[name] += bool(table.loc[name, "lo"] <= true <= table.loc[name, "hi"])
            reps = args.replicates
            # The calibrated scenario carries the kept draws: replicate r uses draw r mod K,
            # so the projection's range includes what the report left uncertain.
            projected = adsim.run(result.scenario(), replicates=reps, workers=1).summary()
            actual = adsim.run(truth, replicates=reps, workers=1).summary()
            true_cpi = actual.loc["cars_cpc", "cpi_usd"]
            error = projected.loc["cars_cpc", "cpi_usd"] / true_cpi - 1
            errors.append(error)
            lo, hi = projected.loc["cars_cpc", ["cpi_usd_lo", "cpi_usd_hi"]]
            covered += bool(lo <= true_cpi <= hi)
            print(
                f"truth {k}: cars {cars:.2f} -> {table.iloc[0]['median']:.2f} "
                f"[{table.iloc[0]['lo']:.2f}-{table.iloc[0]['hi']:.2f}], ctr {ctr:.4f} -> "
                f"{table.iloc[1]['median']:.4f} [{table.iloc[1]['lo']:.4f}-"
                f"{table.iloc[1]['hi']:.4f}]; cars_cpc CPI projected "
                f"${projected.loc['cars_cpc', 'cpi_usd']:.2f} vs true "
                f"${true_cpi:.2f} ({100 * error:+.0f}%, projected range ${lo:.2f}-${hi:.2f})",
                flush=True,
            )
    n = args.truths
    print(
        "90% intervals holding the truth: " + ", ".join(f"{k} {v}/{n}" for k, v in inside.items())
    )
    within = sum(abs(e) <= 0.15 for e in errors)
    print(f"unseen strategy's CPI within 15%: {within}/{n} (median |error| "
          f"{100 * float(np.median(np.abs(errors))):.0f}%)")  # fmt: skip
    print(f"true CPI inside the projected 5-95% range: {covered}/{n}")
    print(f"{n} calibrations x {args.samples} simulations in {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
