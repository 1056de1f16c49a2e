"""The ``adsim`` command line: run, audience, validate, schema.

Bad input (unreadable file, invalid YAML, a field that fails validation, a bad option) prints
what is wrong with the field path and exits with code 2, without a traceback.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path

from rich.console import Console

__all__ = ["main"]

EXIT_BAD_INPUT = 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse exits 2 too; keep its usage line
        self.print_usage(sys.stderr)
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message}\n")


def _int_at_least(minimum: int) -> Callable[[str], int]:
    """An argparse type: an integer no smaller than ``minimum``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {value}")
        return value

    return parse


def _size(text: str) -> int:
    """An argparse type: a memory size such as 8G or 512M."""
    from .resources import parse_bytes

    try:
        return parse_bytes(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


_MAX_MEMORY_HELP = "refuse runs estimated to need more (e.g. 8G; default: the memory available)"


def _parser() -> argparse.ArgumentParser:
    from . import __version__

    parser = _Parser(prog="adsim", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"adsim {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    run = sub.add_parser("run", help="run a scenario and compare its strategies")
    run.add_argument("scenario", type=Path)
    run.add_argument("--seed", type=_int_at_least(0), help="override the scenario's seed")
    run.add_argument("--replicates", type=_int_at_least(1), default=1, help="independent seeds")
    run.add_argument(
        "--out", type=Path, help="write summary, daily series, breakdowns and a manifest here"
    )
    run.add_argument("--format", choices=["table", "csv", "json"], default="table")
    run.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    run.add_argument(
        "--breakdown", choices=["age", "region", "device"], help="also print delivery by group"
    )
    run.add_argument("--max-memory", type=_size, metavar="SIZE", help=_MAX_MEMORY_HELP)
    run.add_argument("--report", action="store_true", help="also write report.html (needs --out)")

    rep = sub.add_parser(
        "report", help="write a one-file HTML report (plots inlined) of a run's --out folder"
    )
    rep.add_argument("result_dir", type=Path, help="a folder written by adsim run --out")
    rep.add_argument(
        "--output", type=Path, help="where to write it (default: RESULT_DIR/report.html)"
    )

    aud = sub.add_parser("audience", help="estimated audience size and overlap per strategy")
    aud.add_argument("scenario", type=Path)
    aud.add_argument("--seed", type=_int_at_least(0))
    aud.add_argument("--max-memory", type=_size, metavar="SIZE", help=_MAX_MEMORY_HELP)

    val = sub.add_parser(
        "validate", help="check scenario files and print each one's estimated peak memory"
    )
    val.add_argument("scenarios", type=Path, nargs="+")
    val.add_argument("--max-memory", type=_size, metavar="SIZE", help=_MAX_MEMORY_HELP)

    sub.add_parser("schema", help="print the scenario JSON Schema")
    return parser


def _load(path: Path, err: Console):
    from .scenario import ScenarioError, load_scenario

    try:
        return load_scenario(path)
    except ScenarioError as exc:
        err.print(str(exc), markup=False, highlight=False)
        return None


def _cmd_run(args: argparse.Namespace, out: Console, err: Console) -> int:
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
    scenario = _load(args.scenario, err)
    if scenario is None:
        return EXIT_BAD_INPUT
    if args.out is not None and args.out.exists() and not args.out.is_dir():
        err.print(f"--out {args.out}: exists and is not a directory", markup=False)
        return EXIT_BAD_INPUT
    from .report import breakdown_table, result_tables
    from .resources import MemoryLimitError
    from .result import OUTPUT_FILES
    from .runner import run

    with _progress(err, enabled=not args.no_progress and args.format == "table") as bar:

        def tick(replicate: int, done: int, total: int) -> None:
            _stop_if_signalled()
            if bar is not None:
                bar(replicate, done, total)

        try:  # a run that cannot fit is refused before anything is built
            result = run(
                scenario, seed=args.seed, replicates=args.replicates, progress=tick,
                max_memory_bytes=args.max_memory,
            )  # fmt: skip
        except MemoryLimitError as exc:
            err.print(f"{args.scenario}: {exc}", markup=False, highlight=False)
            return EXIT_BAD_INPUT
    _stop_if_signalled()
    if args.out is not None:
        try:
            result.save(args.out)
        except OSError as exc:
            err.print(f"--out {args.out}: cannot write results: {exc}", markup=False)
            return EXIT_BAD_INPUT
    report = result.report(args.out / "report.html") if args.report else None
    if args.format == "table":
        result_tables(result, out)
        if args.breakdown:
            breakdown_table(result.breakdown(args.breakdown), args.breakdown, out)
        if args.out is not None:
            out.print(f"wrote {', '.join(OUTPUT_FILES)} to {args.out}", highlight=False)
        if report is not None:
            out.print(f"wrote the report to {report}", highlight=False)
    elif args.format == "csv":
        sys.stdout.write(result.summary().to_csv())
    else:
        sys.stdout.write(result.summary().reset_index().to_json(orient="records", indent=2) + "\n")
    return 0


class _progress:  # noqa: N801 - a context manager yielding a progress callback
    """A rich progress bar over replicates x slots, shown only on a terminal."""

    def __init__(self, console: Console, enabled: bool) -> None:
        self.console = console
        self.enabled = enabled and console.is_terminal

    def __enter__(self):
        if not self.enabled:
            return None
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        self._bar = Progress(
            TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(),
            console=self.console, transient=True,
        )  # fmt: skip
        self._bar.__enter__()
        self._task = self._bar.add_task("building", total=None)

        def tick(replicate: int, done: int, total: int) -> None:
            self._bar.update(
                self._task, description=f"replicate {replicate + 1}", completed=done, total=total
            )

        return tick

    def __exit__(self, *exc: object) -> None:
        if self.enabled:
            self._bar.__exit__(*exc)


def _cmd_audience(args: argparse.Namespace, out: Console, err: Console) -> int:
    scenario = _load(args.scenario, err)
    if scenario is None:
        return EXIT_BAD_INPUT
    from .params import to_params
    from .population import build_population
    from .report import audience_table
    from .resources import MemoryLimitError, check_memory
    from .rng import Streams
    from .segments import audience_masks, overlap_matrix, platform_round

    p = to_params(scenario)
    try:
        check_memory(p, args.max_memory, building_only=True)
    except MemoryLimitError as exc:
        err.print(f"{args.scenario}: {exc}", markup=False, highlight=False)
        return EXIT_BAD_INPUT
    pop = build_population(p, Streams(p.seed if args.seed is None else args.seed))
    masks = audience_masks(p, pop)
    sizes = [platform_round(m.sum() * p.scale) for m in masks]
    audience_table(p.strategy_names, sizes, overlap_matrix(masks), out)
    return 0


def _cmd_validate(args: argparse.Namespace, out: Console, err: Console) -> int:
    from .params import to_params
    from .resources import MemoryLimitError, check_memory, format_bytes

    bad = 0
    for path in args.scenarios:
        scenario = _load(path, err)
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


def _cmd_report(args: argparse.Namespace, out: Console, err: Console) -> int:
    from .report import ReportData, write_report

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


def _cmd_schema(args: argparse.Namespace, out: Console, err: Console) -> int:
    from .scenario import Scenario

    sys.stdout.write(json.dumps(Scenario.model_json_schema(by_alias=True), indent=2) + "\n")
    return 0


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C so that every layer stops the same way."""


# The last stop signal received. Its exception can be lost if it is raised while C code
# (a compiled kernel, a library) swallows pending errors, so the run also checks this flag at
# every slot (_stop_if_signalled) and stops there.
_received: list[int] = []


def _on_signal(signum: int, frame: object) -> None:
    _received.append(signum)
    raise Terminated() if signum == signal.SIGTERM else KeyboardInterrupt()


def _stop_if_signalled() -> None:
    if _received:
        raise Terminated() if _received[-1] == signal.SIGTERM else KeyboardInterrupt()


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    _received.clear()
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _on_signal)
        signal.signal(signal.SIGINT, _on_signal)
    out, err = Console(), Console(stderr=True, soft_wrap=True)  # errors never fold mid-line
    if not out.is_terminal:
        out = Console(width=200)  # piped output: do not wrap tables at 80 columns
    commands = {"run": _cmd_run, "audience": _cmd_audience, "validate": _cmd_validate}
    commands["schema"] = _cmd_schema
    commands["report"] = _cmd_report
    try:
        return commands[args.command](args, out, err)
    except Terminated:
        err.print("terminated: nothing written")
        return 143
    except KeyboardInterrupt:
        err.print("interrupted: nothing written")
        return 130


if __name__ == "__main__":
    sys.exit(main())
