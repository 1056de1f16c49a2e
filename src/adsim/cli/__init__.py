"""The ``adsim`` command line.

Bad input (an unreadable file, invalid YAML, a field that fails validation, a bad option)
prints what is wrong with its field path and exits with code 2, without a traceback; Ctrl-C
and SIGTERM stop at once and leave no partial output.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from concurrent.futures.process import BrokenProcessPool

from rich.console import Console

from . import author, inspect, past, run, sweep
from .common import EXIT_BAD_INPUT, Parser, Terminated, install_signal_handlers

__all__ = ["main"]

DESCRIPTION = """\
adsim: test paid social targeting before you spend. Each strategy of a scenario (audience,
bid, budget, creative) gets a projected cost per install with a range.
"""
EPILOG = """\
start here:
  adsim init my_scenario.yaml        write a commented starter scenario
  adsim validate my_scenario.yaml    check it
  adsim run my_scenario.yaml --out out/mine --report
  adsim sweep sweeps/quickstart_budget.yaml --out out/budget   budget curves and a split

'adsim COMMAND --help' explains each command and its options.
"""

Command = Callable[[argparse.Namespace, Console, Console], int]


def _parser() -> tuple[argparse.ArgumentParser, dict[str, Command]]:
    from .. import __version__

    parser = Parser(prog="adsim", description=DESCRIPTION, epilog=EPILOG)
    parser.add_argument("--version", action="version", version=f"adsim {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    run.add_parser(sub)
    sweep.add_parser(sub)
    inspect.add_parsers(sub)
    author.add_parsers(sub)
    past.add_parsers(sub)
    commands: dict[str, Command] = {
        "run": run.command,
        "sweep": sweep.command,
        "audience": inspect.audience,
        "validate": inspect.validate,
        "report": inspect.report,
        "init": author.init,
        "show": author.show,
        "schema": author.schema,
        "docs": author.docs,
        "export": past.export,
        "check-report": past.check_report,
        "calibrate": past.calibrate,
        "backtest": past.backtest,
    }
    return parser, commands


def _columns_from_env() -> bool:
    """COLUMNS is set to a usable width (rich then sizes piped output by it)."""
    value = os.environ.get("COLUMNS", "")
    return value.isdigit() and int(value) >= 40


def main(argv: list[str] | None = None) -> int:
    parser, commands = _parser()
    args = parser.parse_args(argv)
    install_signal_handlers()
    # Text users wrote (names, paths, messages quoting them) prints as it is: no markup
    # ("[bold]") and no emoji codes (":x:"); tables style their own cells (print_fitting).
    plain = {"markup": False, "emoji": False, "highlight": False}
    out = Console(**plain)
    err = Console(stderr=True, soft_wrap=True, **plain)  # errors never fold mid-line
    if not out.is_terminal and not _columns_from_env():
        # Piped with no COLUMNS: wide enough not to split tables at 80 columns; tables wider
        # than this are split into parts (print_fitting), never cropped. With COLUMNS set,
        # rich uses it, so `COLUMNS=100 adsim run ... | less` fits a 100-column window.
        out = Console(width=200, **plain)
    try:
        return commands[args.command](args, out, err)
    except Terminated:
        err.print("terminated: nothing written")
        return 143
    except KeyboardInterrupt:
        err.print("interrupted: nothing written")
        return 130
    except (MemoryError, BrokenProcessPool) as exc:
        # Beyond the up-front estimate (check_memory): the run outgrew what the machine, its
        # container (cgroup) or `ulimit -v` allows, here or in a worker the system killed.
        where = "a worker process was killed" if isinstance(exc, BrokenProcessPool) else "ran"
        err.print(
            f"out of memory: {where} (more than the machine, its container or `ulimit -v` "
            "allows); nothing written. Use fewer agents with a larger scale (the same real "
            "people), fewer strategies per run, or --workers 1; --max-memory SIZE checks "
            "the estimate against a limit before running",
        )
        return EXIT_BAD_INPUT


if __name__ == "__main__":
    sys.exit(main())
