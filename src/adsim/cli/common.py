"""What every command shares: the parser class, argument types, loading a scenario with a
readable error, progress display, and stopping cleanly on Ctrl-C or SIGTERM."""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console

from ..confidence import AUTO_THRESHOLD

if TYPE_CHECKING:
    from ..confidence import Confidence
    from ..scenario import Scenario

__all__ = [
    "EXIT_BAD_INPUT",
    "MAX_MEMORY_HELP",
    "Parser",
    "Progress",
    "SchedulerError",
    "Terminated",
    "add_execution_arguments",
    "add_scenario_arguments",
    "announce_compile",
    "check_out_dir",
    "dask_client",
    "install_signal_handlers",
    "int_at_least",
    "load",
    "replicates_arg",
    "run_many",
    "size",
    "stop_if_signalled",
]

EXIT_BAD_INPUT = 2
MAX_MEMORY_HELP = (
    "refuse a run estimated to need more memory than SIZE, e.g. 8G or 512M "
    "(default: the memory available now)"
)


class Parser(argparse.ArgumentParser):
    """argparse with exit code 2 for usage errors (argparse's own) and examples kept as
    written in the epilog."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("formatter_class", argparse.RawDescriptionHelpFormatter)
        if kwargs.get("description"):  # raw text is not wrapped: wrap the prose here
            paragraphs = kwargs["description"].split("\n\n")
            kwargs["description"] = "\n\n".join(textwrap.fill(p, 88) for p in paragraphs)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> None:
        self.print_usage(sys.stderr)
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message}\n")


def replicates_arg(text: str) -> int | str:
    """--replicates: a whole number of at least 1, or auto."""
    if text.strip().lower() == "auto":
        return "auto"
    return int_at_least(1)(text)


def add_execution_arguments(parser: argparse.ArgumentParser) -> None:
    """Where replicates (and sweep points) run: local processes, or a Dask cluster."""
    parser.add_argument(
        "--workers",
        type=int_at_least(1),
        metavar="N",
        help="local worker processes (default: one per core when replicates are large enough "
        "to gain, each with its share of the cores' threads)",
    )
    parser.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="run on a Dask distributed cluster, e.g. tcp://10.0.0.5:8786 (needs "
        "pip install 'adsim[dask]'; workers need adsim installed)",
    )


class SchedulerError(RuntimeError):
    """The Dask scheduler cannot be used (not installed, unreachable)."""


def run_many(work: Callable[[], object], err: Console, kept_in: Path | None) -> tuple[int, object]:
    """Run ``work`` (a sweep, or a calibration made of one) as every command that runs many
    stored simulations does: bad input (a scenario, memory, the store, a sweep too long) and
    an unusable scheduler end in one line and exit 2; Ctrl-C says where the finished runs are
    kept (``kept_in``) and how to resume, exit 130. Returns ``(exit code, work's result)``."""
    from ..experiments.store import SweepStoreError
    from ..experiments.sweeps import SweepSizeError
    from ..resources import MemoryLimitError
    from ..scenario import ScenarioError

    try:
        return 0, work()
    except (ScenarioError, MemoryLimitError, SweepStoreError, SweepSizeError) as exc:
        err.print(str(exc), markup=False, highlight=False)
    except SchedulerError as exc:
        err.print(f"--scheduler: {exc}", markup=False, highlight=False)
    except KeyboardInterrupt:
        if kept_in is None:
            raise
        err.print(
            f"interrupted: finished runs are kept in {kept_in}; run the same command to resume",
            markup=False,
        )
        return 130, None
    return EXIT_BAD_INPUT, None


@contextlib.contextmanager
def dask_client(address: str | None, timeout_s: float = 20.0) -> Iterator[object | None]:
    """A ``distributed.Client`` connected to ``address`` for the block (None: no cluster)."""
    if address is None:
        yield None
        return
    try:
        from distributed import Client
    except ImportError:
        raise SchedulerError(
            "Dask is not installed: pip install 'adsim[dask]' (distributed)"
        ) from None
    try:
        client = Client(address, timeout=timeout_s)
    except (OSError, TimeoutError, ValueError) as exc:
        raise SchedulerError(f"cannot connect to {address}: {exc}") from None
    try:
        yield client
    finally:
        client.close()


def int_at_least(minimum: int) -> Callable[[str], int]:
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


def size(text: str) -> int:
    """An argparse type: a memory size such as 8G or 512M."""
    from ..resources import parse_bytes

    try:
        return parse_bytes(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def check_out_dir(out: Path, force: bool, must_be_empty: bool = True) -> str | None:
    """Why results cannot be written to ``out``, or None: checked before a long run, so a
    run never ends by losing its results. ``must_be_empty`` (runs): a folder with files needs
    ``force``; a sweep resumes in its own folder and checks that itself."""

    def broken_link(path: Path) -> str:
        return f"--out {out}: {path} is a link to {os.readlink(path)}, which does not exist"

    if out.is_symlink() and not out.exists():
        return broken_link(out)
    if out.exists():
        if not out.is_dir():
            return f"--out {out}: exists and is not a folder"
        if must_be_empty and not force and any(out.iterdir()):
            return (
                f"--out {out}: the folder is not empty; choose a new folder, or add --force "
                "to replace adsim's files in it"
            )
        parent = out
    else:
        parent = out.parent
        while not parent.exists():
            if parent.is_symlink():
                return broken_link(parent)
            parent = parent.parent
        if not parent.is_dir():
            return f"--out {out}: {parent} is a file, not a folder"
    if not os.access(parent, os.W_OK | os.X_OK):
        return f"--out {out}: cannot write in {parent.resolve()} (permission denied)"
    return None


def add_scenario_arguments(parser: argparse.ArgumentParser) -> None:
    """The scenario file, --seed and --max-memory: what every command that builds a world
    takes."""
    parser.add_argument("scenario", type=Path, help="scenario file (.yaml, .yml or .json)")
    parser.add_argument(
        "--seed", type=int_at_least(0), help="use this seed instead of the scenario's seed"
    )
    parser.add_argument("--max-memory", type=size, metavar="SIZE", help=MAX_MEMORY_HELP)


def load(path: Path, err: Console) -> Scenario | None:
    """The validated scenario at ``path``; None after printing its problems (and warnings
    about surprising defaults go to ``err`` either way)."""
    from ..scenario import ScenarioError, load_scenario, scenario_warnings

    try:
        scenario = load_scenario(path)
    except ScenarioError as exc:
        err.print(str(exc), markup=False, highlight=False)
        return None
    for warning in scenario_warnings(scenario):
        err.print(f"{path}: warning: {warning}", markup=False, highlight=False)
    return scenario


def announce_compile(err: Console) -> None:
    """Say so when this run will compile the kernels (the first run after an install): it
    takes about 30-60 s once, then numba's on-disk cache makes later runs start at once."""
    try:
        from ..kernels.auction import run_slot

        cached = Path(run_slot._cache._cache_file._index_path).exists()  # numba internals
    except Exception:  # a numba without these internals: say nothing
        return
    if not cached:
        err.print(
            "first run after install: compiling the simulation kernels "
            "(about 30-60 s, once; later runs start at once)",
            markup=False,
            highlight=False,
        )


class Progress:
    """Progress over replicates x slots: a rich bar on a terminal, otherwise a plain line on
    stderr at every tenth of a replicate (logs and CI show a long run is alive)."""

    def __init__(
        self, console: Console, replicates: int, enabled: bool = True, auto: bool = False
    ) -> None:
        self.console = console
        self.replicates = replicates
        self.auto = auto  # replicates is then a maximum
        self.enabled = enabled
        self.bar = None
        self._last_tenth = (-1, -1)
        self._start = time.perf_counter()

    def __enter__(self) -> Progress:
        if self.enabled and self.console.is_terminal:
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

            self.bar = Progress(
                TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(),
                console=self.console, transient=True,
            )  # fmt: skip
            self.bar.__enter__()
            self._task = self.bar.add_task("building the population", total=None)
        elif self.enabled:
            many = f"up to {self.replicates}" if self.auto else f"{self.replicates}"
            self.console.print(
                f"running {many} replicate(s); each builds its population first",
                markup=False,
                highlight=False,
            )
        return self

    def __call__(self, replicate: int, done: int, total: int) -> None:
        stop_if_signalled()
        if not self.enabled:
            return
        label = f"replicate {replicate + 1}/{'≤' if self.auto else ''}{self.replicates}"
        if self.bar is not None:
            self.bar.update(self._task, description=label, completed=done, total=total)
            return
        tenth = (replicate, 10 * done // max(1, total))
        if tenth != self._last_tenth:
            self._last_tenth = tenth
            elapsed = time.perf_counter() - self._start
            self.console.print(
                f"{label}: {done}/{total} slots ({elapsed:.0f} s)", markup=False, highlight=False
            )

    def batch(self, conf: Confidence) -> None:
        """After a batch of an adaptive run: how sure the ranking is so far."""
        if not self.enabled or conf.leader is None:
            return
        line = (
            f"after {conf.replicates} replicates: {conf.leader} leads with P(best) "
            f"{conf.p_leader:.0%} (stops at {AUTO_THRESHOLD:.0%})"
        )
        if self.bar is not None:
            self.bar.console.print(line, markup=False, highlight=False)
        else:
            self.console.print(line, markup=False, highlight=False)

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.__exit__(*exc)


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C so that every layer stops the same way."""


# The last stop signal received. Its exception can be lost if it is raised while C code
# (a compiled kernel, a library) swallows pending errors, so the run also checks this flag at
# every slot (stop_if_signalled) and stops there.
_received: list[int] = []


def _on_signal(signum: int, frame: object) -> None:
    _received.append(signum)
    raise Terminated() if signum == signal.SIGTERM else KeyboardInterrupt()


def install_signal_handlers() -> None:
    """Ctrl-C and SIGTERM stop the run at once (main thread only, as Python requires)."""
    import threading

    _received.clear()
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _on_signal)
        signal.signal(signal.SIGINT, _on_signal)


def stop_if_signalled() -> None:
    if _received:
        raise Terminated() if _received[-1] == signal.SIGTERM else KeyboardInterrupt()
