"""``adsim export``, ``adsim check-report`` and ``adsim calibrate``: a run written as a past
campaign's report, a past report checked against a scenario, and a scenario's unknowns
inferred from one."""

from __future__ import annotations

import argparse
import datetime
import math
from pathlib import Path

from rich.console import Console

from .common import (
    EXIT_BAD_INPUT,
    add_execution_arguments,
    announce_compile,
    check_out_dir,
    dask_client,
    int_at_least,
    load,
    run_many,
    stop_if_signalled,
)

__all__ = ["add_parsers", "backtest", "calibrate", "check_report", "export"]


def _fit(text: str) -> tuple[str, dict]:
    """``PATH=LOW:HIGH`` or ``PATH=LOW:HIGH:log`` -> (path, a sweep range)."""
    path, sep, spec = text.partition("=")
    parts = spec.split(":")
    if not sep or not path or len(parts) not in (2, 3) or parts[2:] not in ([], ["log"]):
        raise argparse.ArgumentTypeError(
            f"{text!r}: write PATH=LOW:HIGH or PATH=LOW:HIGH:log "
            "(e.g. app.fit.interests.cars=0.5:8)"
        )
    try:
        low, high = float(parts[0]), float(parts[1])
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: LOW and HIGH must be numbers") from None
    return path, {"low": low, "high": high, "log": parts[2:] == ["log"]}


def _share(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a share in (0, 1]")
    return value


def _date(text: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def add_parsers(sub: argparse._SubParsersAction) -> None:
    exp = sub.add_parser(
        "export",
        help="write a saved run as a past campaign's report (CSV), with the true incremental "
        "installs beside it",
        description="Write one replicate of a run saved with adsim run --out as a past "
        "campaign's report: one row per day and strategy (ad set) with spend, impressions, "
        "clicks and attributed installs, in the format adsim check-report reads "
        "(docs/past_report.md), plus incremental_installs_true, the truth no platform "
        "reports: a known-truth dataset for testing attribution or calibration methods.",
        epilog="example:\n  adsim run scenarios/quickstart.yaml --out out/q\n"
        "  adsim export out/q --out out/q_report.csv --start-date 2026-11-02\n",
    )
    exp.add_argument("run_dir", type=Path, help="a folder written by adsim run --out")
    exp.add_argument("--out", type=Path, required=True, metavar="FILE", help="the CSV to write")
    exp.add_argument("--replicate", type=int, default=0, metavar="N", help="which replicate")
    exp.add_argument(
        "--start-date", type=_date, metavar="DATE", help="date of day 0 (default: day numbers)"
    )
    exp.add_argument(
        "--breakdown", choices=["age", "gender", "region", "device"],
        help="split each row into the groups of a dimension (each day by the run's group "
        "shares; calibration then fits the installs by group too)",
    )  # fmt: skip
    exp.add_argument(
        "--mmm",
        type=Path,
        metavar="FILE",
        help="also write the daily table marketing-mix models read (Robyn, Meridian): the KPI "
        "installs, spend and impressions per strategy, and the true incremental installs",
    )
    chk = sub.add_parser(
        "check-report",
        help="check a past campaign's report against a scenario and print its totals",
        description="Read a past campaign's report (CSV or Parquet; adsim's column names or "
        "Meta's and X's export headers, docs/past_report.md), check every row and map each "
        "ad set to the scenario's strategy of that name. Prints the days, breakdowns and each "
        "ad set's totals and CPI; exit 2 with the row and column of the first problem.",
        epilog="example:\n  adsim check-report scenarios/quickstart.yaml "
        "docs/examples/past_report_quickstart.csv\n",
    )
    chk.add_argument("scenario", type=Path, help="the scenario whose strategies the ad sets are")
    chk.add_argument("report", type=Path, help="the report (.csv or .parquet)")
    cal = sub.add_parser(
        "calibrate",
        help="infer a scenario's unknowns from a past campaign's report (a posterior)",
        description="Draw the unknowns from their ranges (Latin hypercube), simulate the "
        "report's campaigns at each draw (each its own random world), fit a response surface "
        "of the totals of spend, impressions, clicks and installs per ad set over the draws "
        "and weigh values by the report's likelihood under it (--method rejection: keep the "
        "draws whose own totals come closest). Prints each "
        "unknown's posterior median and 90%% interval and writes DIR/calibrated.yaml (the "
        "scenario at the medians), intervals.csv, posterior.csv, draws.csv and (emulator) "
        "emulator.csv. The runs are "
        "stored in DIR/runs: the same command resumes.",
        epilog="example:\n  adsim calibrate scenarios/quickstart.yaml past.csv --out out/cal "
        "--fit app.fit.interests.food=1:8 --fit 'strategies.*.creative.ctr=0.002:0.02:log'\n",
    )
    _calibration_arguments(cal)
    bt = sub.add_parser(
        "backtest",
        help="calibrate on a report's first days and check the prediction of the rest",
        description="Calibrate as adsim calibrate does, on the report's first --train-days "
        "days only (the scenario cut to them), then run the calibrated scenario with its "
        "posterior draws over the whole report and compare the held-out days: the error of "
        "daily installs, clicks and spend, of each ad set's CPI, and how often the observed "
        "values fall inside the predicted 90%% range. Writes DIR/backtest_errors.csv, "
        "DIR/backtest_daily.csv and the calibration's files.",
        epilog="example:\n  adsim backtest scenarios/quickstart.yaml past.csv --train-days 4 "
        "--out out/bt --fit 'strategies.*.creative.ctr=0.002:0.02:log'\n",
    )
    _calibration_arguments(bt)
    bt.add_argument("--train-days", type=int_at_least(1), required=True, metavar="N",
                    help="days of the report to calibrate on; the rest are predicted")  # fmt: skip
    bt.add_argument("--predict-replicates", type=int_at_least(2), default=10, metavar="N",
                    help="replicates of the prediction (default 10)")  # fmt: skip


def _calibration_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("scenario", type=Path, help="the scenario (horizon_days = the report's days)")
    p.add_argument("report", type=Path, help="the past report (.csv or .parquet)")
    p.add_argument(
        "--fit", type=_fit, action="append", required=True, metavar="PATH=LOW:HIGH[:log]",
        help="an unknown to infer, as a scenario path and its prior range (repeat)",
    )  # fmt: skip
    p.add_argument("--out", type=Path, required=True, metavar="DIR", help="where to write")
    p.add_argument("--samples", type=int_at_least(10), default=200, metavar="N",
                   help="draws to simulate (default 200)")  # fmt: skip
    p.add_argument("--accept", type=_share, default=0.1, metavar="SHARE",
                   help="posterior draws written, as a share of the draws (default 0.1); "
                   "under rejection, the closest")  # fmt: skip
    p.add_argument(
        "--method", choices=("auto", "emulator", "rejection"), default="auto",
        help="emulator: weigh values by the report's likelihood under a response surface fitted "
        "to every draw; rejection: keep the draws whose own runs come closest; auto "
        "(default): the emulator when the draws allow it",
    )  # fmt: skip
    p.add_argument("--replicates", type=int_at_least(1), default=1, metavar="N",
                   help="runs per draw (default 1)")  # fmt: skip
    p.add_argument(
        "--lift-tests", type=Path, metavar="FILE",
        help="lift-test results (CSV or Parquet: ad_set, first_day, last_day, "
        "incremental_installs, lo, hi; docs/past_report.md) to fit as well",
    )  # fmt: skip
    p.add_argument("--force", action="store_true", help="discard another calibration in DIR")
    add_execution_arguments(p)
    p.add_argument("--no-progress", action="store_true", help="show no progress")


def export(args: argparse.Namespace, out: Console, err: Console) -> int:
    from ..outputs import export_mmm_table, export_past_report

    targets = [("--out", args.out)] + ([("--mmm", args.mmm)] if args.mmm else [])
    for flag, target in targets:
        if target.is_dir():
            problem = f"{flag} {target}: is a folder, not a file"
        else:  # the folder it goes in (created if missing) must be writable
            problem = check_out_dir(target.parent, force=True, must_be_empty=False)
        if problem:
            err.print(problem)
            return EXIT_BAD_INPUT
    try:
        written = [
            export_past_report(
                args.run_dir, args.out, args.replicate, args.start_date, args.breakdown
            )
        ]
        if args.mmm:
            written.append(
                export_mmm_table(args.run_dir, args.mmm, args.replicate, args.start_date)
            )
    except (OSError, ValueError, KeyError) as exc:
        err.print(f"{args.run_dir}: cannot export the run: {exc}")
        return EXIT_BAD_INPUT
    out.print(f"wrote {', '.join(map(str, written))}")
    return 0


def check_report(args: argparse.Namespace, out: Console, err: Console) -> int:
    from ..report.tables import fmt, print_fitting
    from ..scenario import ScenarioError
    from ..scenario.past_report import read_past_report

    scenario = load(args.scenario, err)
    if scenario is None:
        return EXIT_BAD_INPUT
    try:
        report = read_past_report(args.report, [s.name for s in scenario.strategies])
    except ScenarioError as exc:
        err.print(str(exc))
        return EXIT_BAD_INPUT
    when = f"from {report.start_date}" if report.start_date else "days numbered"
    out.print(
        f"{args.report}: ok: {report.days} days ({when}), {len(report.rows):,} rows, "
        f"breakdowns: {', '.join(report.breakdowns) or 'none'}"
    )
    if report.ignored_columns:
        out.print(f"not read: {', '.join(report.ignored_columns)}")
    totals = report.totals()
    rows = (("spend_usd", "spend $", "money0"), ("impressions", "impr.", "int"),
            ("reach", "reach (sum of rows)", "int"), ("clicks", "clicks", "int"),
            ("installs", "installs", "int"), ("cpi_usd", "CPI $", "money2"))  # fmt: skip
    print_fitting(
        out, "The report's totals per ad set", "metric", list(totals.index),
        [(label, [fmt(v, kind) for v in totals[col]]) for col, label, kind in rows],
    )  # fmt: skip
    return 0


def _ranges(lo, hi) -> list[str]:
    return [f"{a:.4g}-{b:.4g}" for a, b in zip(lo, hi, strict=True)]


def _calibrating(args: argparse.Namespace, out: Console, err: Console, task) -> int:
    """Load, check and run ``task(scenario, report, options)`` with the calibration options;
    bad input and interruptions end as every command's do."""
    from ..scenario.lift_tests import read_lift_tests
    from ..scenario.past_report import read_past_report

    scenario = load(args.scenario, err)
    if scenario is None:
        return EXIT_BAD_INPUT
    if problem := check_out_dir(args.out, args.force, must_be_empty=False):
        err.print(problem)
        return EXIT_BAD_INPUT
    if not args.no_progress:
        announce_compile(err)

    def progress(done: int, total: int) -> None:
        stop_if_signalled()
        if not args.no_progress and (done == total or done % 10 == 0):
            err.print(f"calibration: {done}/{total} runs")

    def work() -> None:
        report = read_past_report(args.report, [s.name for s in scenario.strategies])
        lifts = read_lift_tests(args.lift_tests, report) if args.lift_tests else []
        with dask_client(args.scheduler) as client:
            options = {
                "samples": args.samples, "accept": args.accept, "replicates": args.replicates,
                "method": args.method,
                "workers": args.workers, "client": client, "out": args.out,
                "force": args.force, "progress": progress, "lift_tests": lifts,
            }  # fmt: skip
            task(scenario, report, options)

    return run_many(work, err, args.out / "runs")[0]


def _print_posterior(result, out: Console) -> None:
    from ..report.tables import print_fitting

    if result.lift_fit is not None:
        lift = result.lift_fit
        print_fitting(
            out,
            "Lift tests: measured and simulated incremental installs (posterior draws)",
            "",
            [f"{a} days {f}-{t}" for a, f, t in
             zip(lift["ad_set"], lift["first_day"], lift["last_day"], strict=True)],
            [
                ("measured", [f"{v:,.0f} [{lo:,.0f}-{hi:,.0f}]" for v, lo, hi in
                              zip(lift["incremental_installs"], lift["lo"], lift["hi"],
                                  strict=True)]),
                ("simulated", [f"{v:,.0f} [{lo:,.0f}-{hi:,.0f}]" for v, lo, hi in
                               zip(lift["simulated_median"], lift["simulated_lo"],
                                   lift["simulated_hi"], strict=True)]),
            ],
        )  # fmt: skip
    table = result.intervals()
    print_fitting(
        out,
        f"Posterior of {len(table)} unknown(s): {result.description()}",
        "",
        list(table.index),
        [
            ("median", [f"{v:.4g}" for v in table["median"]]),
            ("90% interval", _ranges(table["lo"], table["hi"])),
            ("prior range", _ranges(table["prior_lo"], table["prior_hi"])),
        ],
    )


# Replicates of the calibrated scenario that the calibration report's daily series show.
REPORT_REPLICATES = 10


def calibrate(args: argparse.Namespace, out: Console, err: Console) -> int:
    from ..experiments.calibrate import calibrate as run_calibration
    from ..report.calibration import write_calibration_report
    from ..runner import run

    def task(scenario, report, options) -> None:
        result = run_calibration(scenario, report, dict(args.fit), **options)
        _print_posterior(result, out)
        fitted = run(
            result.scenario(), replicates=REPORT_REPLICATES, workers=options["workers"],
            client=options["client"],
        )  # fmt: skip
        write_calibration_report(args.out / "calibration.html", result, report, fitted.timeseries())
        extra = (", emulator.csv" if result.summaries is not None else "") + (
            ", lift_tests.csv" if args.lift_tests else ""
        )
        out.print(
            f"wrote calibrated.yaml, calibration.html (the fit, plotted), intervals.csv, "
            f"posterior.csv, draws.csv{extra} to {args.out}"
        )

    return _calibrating(args, out, err, task)


def backtest(args: argparse.Namespace, out: Console, err: Console) -> int:
    from ..experiments.calibrate import backtest as run_backtest
    from ..outputs import for_output
    from ..report.calibration import write_calibration_report
    from ..report.tables import print_fitting

    def task(scenario, report, options) -> None:
        result = run_backtest(
            scenario, report, dict(args.fit), args.train_days,
            predict_replicates=args.predict_replicates, **options,
        )  # fmt: skip
        _print_posterior(result.calibration, out)
        e = result.errors
        print_fitting(
            out,
            f"Days {args.train_days}-{report.days - 1} predicted from days 0-{args.train_days - 1}",
            "",
            list(e.index),
            [
                ("error (weighted)", [f"{100 * v:.1f}%" for v in e["weighted_abs_error"]]),
                (
                    "inside 90% range",
                    ["-" if v != v else f"{100 * v:.0f}%" for v in e["inside_90"]],
                ),
            ],
        )
        e.to_csv(args.out / "backtest_errors.csv")
        for_output(result.daily).to_csv(args.out / "backtest_daily.csv", index=False)
        write_calibration_report(
            args.out / "calibration.html", result.calibration, report, result.series, result
        )
        out.print(
            f"wrote backtest_errors.csv, backtest_daily.csv, calibration.html and the "
            f"calibration to {args.out}"
        )

    return _calibrating(args, out, err, task)
