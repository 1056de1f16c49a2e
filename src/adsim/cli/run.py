"""``adsim run``: run a scenario's strategies and print, save or report the comparison."""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path

from rich.console import Console

from ..confidence import AUTO_MAX_REPLICATES, AUTO_THRESHOLD, MIN_REPLICATES
from .common import (
    EXIT_BAD_INPUT,
    Progress,
    SchedulerError,
    add_execution_arguments,
    add_scenario_arguments,
    announce_compile,
    check_out_dir,
    dask_client,
    load,
    replicates_arg,
    stop_if_signalled,
)

__all__ = ["add_parser", "command"]

EXAMPLES = """\
examples:
  adsim run scenarios/quickstart.yaml
  adsim run scenarios/wazypark_spain.yaml --replicates 5 --out out/w --report
  adsim run scenarios/wazypark_spain.yaml --replicates 1   # one quick draw, no ranges
  adsim run big.yaml --scheduler tcp://10.0.0.5:8786       # replicates on a Dask cluster
  adsim run my.yaml --seed 3 --format csv > summary.csv
"""


def add_parser(sub: argparse._SubParsersAction) -> None:
    run = sub.add_parser(
        "run",
        help="run a scenario and compare its strategies",
        description="Run every strategy of a scenario and print them side by side: spend, "
        "reach, installs, CPI and incremental CPI (with 90% ranges when --replicates > 1).",
        epilog=EXAMPLES,
    )
    add_scenario_arguments(run)
    run.add_argument(
        "--replicates",
        type=replicates_arg,
        default="auto",
        metavar="N|auto",
        help="independent runs (new population and draws each), or auto: run batches until "
        f"the cheapest strategy has P(best) >= {AUTO_THRESHOLD:.0%}% (at least "
        f"{MIN_REPLICATES}, at most {AUTO_MAX_REPLICATES}) (default: auto)",
    )
    run.add_argument(
        "--rank-by",
        choices=["cpi", "icpi"],
        default="cpi",
        help="the cost that ranks strategies for --replicates auto and 'how sure' (default: cpi)",
    )
    add_execution_arguments(run)
    run.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help="also write summary, daily series, breakdowns, win matrix, the scenario and a "
        "manifest to DIR (a new or empty folder)",
    )
    run.add_argument(
        "--force", action="store_true", help="write into a non-empty --out DIR, replacing its files"
    )
    run.add_argument(
        "--format",
        choices=["table", "csv", "json"],
        default="table",
        help="what to print: a table for people, or the summary as CSV or JSON with its "
        "metadata (default: table)",
    )
    run.add_argument("--no-progress", action="store_true", help="show no progress")
    run.add_argument(
        "--breakdown",
        choices=["age", "gender", "region", "device"],
        help="also print delivery by age band, gender, region or device (table format)",
    )
    run.add_argument(
        "--report", action="store_true", help="also write DIR/report.html (needs --out)"
    )


def command(args: argparse.Namespace, out: Console, err: Console) -> int:
    if args.breakdown and args.format != "table":
        err.print(
            f"--breakdown: printed only with --format table; with --format {args.format} "
            "use --out DIR, which writes every breakdown to breakdown.csv",
            markup=False,
        )
        return EXIT_BAD_INPUT
    if args.report and args.out is None:
        err.print("--report: needs --out DIR (the report is written there)", markup=False)
        return EXIT_BAD_INPUT
    if args.force and args.out is None:
        err.print("--force: only applies with --out DIR", markup=False)
        return EXIT_BAD_INPUT
    if args.out is not None and (problem := check_out_dir(args.out, args.force)):
        err.print(problem, markup=False, highlight=False)
        return EXIT_BAD_INPUT
    scenario = load(args.scenario, err)
    if scenario is None:
        return EXIT_BAD_INPUT

    from ..outputs import OUTPUT_FILES
    from ..report import breakdown_table, result_tables
    from ..resources import MemoryLimitError
    from ..runner import run

    if not args.no_progress:
        announce_compile(err)
    shown = AUTO_MAX_REPLICATES if args.replicates == "auto" else args.replicates
    with Progress(
        err, shown, enabled=not args.no_progress, auto=args.replicates == "auto"
    ) as progress:
        try:  # a run that cannot fit is refused before anything is built
            with dask_client(args.scheduler) as client:
                result = run(
                    scenario, seed=args.seed, replicates=args.replicates, progress=progress,
                    max_memory_bytes=args.max_memory, workers=args.workers, client=client,
                    rank_by=f"{args.rank_by}_usd", on_batch=progress.batch,
                )  # fmt: skip
        except MemoryLimitError as exc:
            err.print(f"{args.scenario}: {exc}", markup=False, highlight=False)
            return EXIT_BAD_INPUT
        except SchedulerError as exc:
            err.print(f"--scheduler: {exc}", markup=False, highlight=False)
            return EXIT_BAD_INPUT
    stop_if_signalled()
    report = None
    if args.out is not None:
        command_line = shlex.join(["adsim", *sys.argv[1:]])
        try:
            result.save(args.out, overwrite=args.force, command=command_line)
            if args.report:
                report = result.report(args.out / "report.html")
        except OSError as exc:
            err.print(f"--out {args.out}: cannot write results: {exc}", markup=False)
            return EXIT_BAD_INPUT
    if args.format == "table":
        result_tables(result, out)
        if args.breakdown:
            breakdown_table(result.breakdown(args.breakdown), args.breakdown, out)
        if args.out is not None:
            out.print(f"wrote {', '.join(OUTPUT_FILES)} to {args.out}", highlight=False)
        if report is not None:
            out.print(f"wrote the report to {report}", highlight=False)
    elif args.format == "csv":
        sys.stdout.write(result.summary_csv())
    else:
        sys.stdout.write(json.dumps(result.to_json(), indent=2) + "\n")
    return 0
