"""``adsim audience``, ``adsim validate`` and ``adsim report``: look at a scenario or a
saved run without running the strategies."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

from rich.console import Console

from .common import EXIT_BAD_INPUT, MAX_MEMORY_HELP, add_scenario_arguments, load, size

__all__ = ["add_parsers", "audience", "report", "validate"]


def add_parsers(sub: argparse._SubParsersAction) -> None:
    aud = sub.add_parser(
        "audience",
        help="estimated audience size and overlap per strategy",
        description="Build the population only and print each strategy's audience size (real "
        "people whose device the app exists for, as a run reports it) and the share of each "
        "audience inside the others; time-bound audiences (event, tv, keywords, "
        "conversation) are followed through the run's sessions and shown day by day.",
        epilog="example:\n  adsim audience scenarios/quickstart.yaml\n",
    )
    add_scenario_arguments(aud)

    val = sub.add_parser(
        "validate",
        help="check scenario files and print each one's estimated peak memory",
        description="Check scenario files without running them. Exit code 0 when all are "
        "valid, 2 when any is not (each problem is printed with its field path).",
        epilog="example:\n  adsim validate scenarios/*.yaml\n",
    )
    val.add_argument("scenarios", type=Path, nargs="+", help="scenario files")
    val.add_argument("--max-memory", type=size, metavar="SIZE", help=MAX_MEMORY_HELP)

    rep = sub.add_parser(
        "report",
        help="write a one-file HTML report (plots inlined) of a run's --out folder",
        description="Write a self-contained HTML report (tables, plots, assumptions) of a run "
        "saved with adsim run --out. It needs no network and can be emailed as one file.",
        epilog="example:\n  adsim run scenarios/wazypark_spain.yaml --replicates 5 --out out/w\n"
        "  adsim report out/w\n",
    )
    rep.add_argument("result_dir", type=Path, help="a folder written by adsim run --out")
    rep.add_argument(
        "--output",
        type=Path,
        metavar="FILE",
        help="where to write it (default: RESULT_DIR/report.html)",
    )


def audience(args: argparse.Namespace, out: Console, err: Console) -> int:
    scenario = load(args.scenario, err)
    if scenario is None:
        return EXIT_BAD_INPUT
    from ..engine.audience import audience_over_time
    from ..params import to_params
    from ..population import build_population
    from ..report import audience_table, audience_time_table
    from ..resources import MemoryLimitError, check_memory
    from ..rng import Streams
    from ..segments import is_time_bound, overlap_matrix, platform_round

    p = to_params(scenario)
    try:
        check_memory(p, args.max_memory, building_only=True)
    except MemoryLimitError as exc:
        err.print(f"{args.scenario}: {exc}", markup=False, highlight=False)
        return EXIT_BAD_INPUT
    streams = Streams(p.seed if args.seed is None else args.seed)
    pop = build_population(p, streams)
    by_slot, masks = audience_over_time(p, pop, streams)
    sizes = [platform_round(m.sum() * p.scale) for m in masks]
    audience_table(p.strategy_names, sizes, overlap_matrix(masks), out)
    timed = [s for s, strat in enumerate(p.strategies) if is_time_bound(strat.audience)]
    if timed:
        per_day = by_slot.reshape(p.horizon_days, -1, by_slot.shape[1])[:, :, timed] * p.scale
        dates = [
            str(p.calendar.start_date + dt.timedelta(days=d))
            if p.calendar is not None and p.calendar.start_date is not None
            else f"day {d}"
            for d in range(p.horizon_days)
        ]
        audience_time_table(
            [p.strategy_names[s] for s in timed],
            dates,
            per_day.mean(axis=1),
            per_day.max(axis=1),
            out,
        )
    return 0


def validate(args: argparse.Namespace, out: Console, err: Console) -> int:
    from ..params import to_params
    from ..resources import MemoryLimitError, check_memory, format_bytes

    bad = 0
    for path in args.scenarios:
        scenario = load(path, err)
        if scenario is None:
            bad += 1
            continue
        p = to_params(scenario)
        try:
            need = check_memory(p, args.max_memory)  # the estimated peak
        except MemoryLimitError as exc:
            err.print(f"{path}: {exc}", markup=False, highlight=False)
            bad += 1
            continue
        out.print(f"{path}: ok (estimated peak memory {format_bytes(need)})", highlight=False)
    return EXIT_BAD_INPUT if bad else 0


def report(args: argparse.Namespace, out: Console, err: Console) -> int:
    from ..report import ReportData, write_report

    try:
        data = ReportData.from_dir(args.result_dir)
    except (OSError, ValueError) as exc:  # a missing file, unreadable CSV or JSON
        err.print(f"{args.result_dir}: cannot read the results: {exc}", markup=False)
        return EXIT_BAD_INPUT
    target = args.output or args.result_dir / "report.html"
    try:
        path = write_report(data, target)
    except OSError as exc:
        err.print(f"--output {target}: cannot write the report: {exc}", markup=False)
        return EXIT_BAD_INPUT
    out.print(f"wrote the report to {path}", highlight=False)
    return 0
