"""``adsim export`` and ``adsim check-report``: a run written as a past campaign's report, and
a past report checked against a scenario (the input of calibration)."""

from __future__ import annotations

import argparse
import datetime
from pathlib import Path

from rich.console import Console

from .common import EXIT_BAD_INPUT, check_out_dir, load

__all__ = ["add_parsers", "check_report", "export"]


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
        written = [export_past_report(args.run_dir, args.out, args.replicate, args.start_date)]
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
