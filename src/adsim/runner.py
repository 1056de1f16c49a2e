"""Run a scenario: one or more replicates, each an independent seed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from .engine import Engine, RunRecord
from .params import Params, to_params
from .population import build_population
from .resources import check_memory
from .result import Result
from .rng import Streams
from .scenario import Scenario

__all__ = ["run", "run_replicate"]

ProgressFn = Callable[[int, int, int], None]  # (replicate, slots done, slots total)


def run_replicate(p: Params, replicate: int, progress: ProgressFn | None = None) -> RunRecord:
    """Build the population and run the engine for one replicate of ``p``."""
    try:
        streams = Streams(p.seed, replicate)
        pop = build_population(p, streams)
        engine = Engine(p, pop, streams)
        tick = None if progress is None else (lambda done: progress(replicate, done, p.n_slots))
        return engine.run(tick)
    except SystemError as exc:
        _raise_interrupt(exc)
        raise


def _raise_interrupt(exc: BaseException) -> None:
    """An interrupt (Ctrl-C) that arrives inside a numba kernel comes back as a SystemError
    ("returned a result with an exception set") caused by it: raise the interrupt itself."""
    cause = exc.__cause__ or exc.__context__
    while cause is not None:
        if isinstance(cause, KeyboardInterrupt):
            raise cause.with_traceback(None) from None
        cause = cause.__cause__ or cause.__context__


def run(
    scenario: Scenario,
    seed: int | None = None,
    replicates: int = 1,
    progress: ProgressFn | None = None,
    max_memory_bytes: int | None = None,
) -> Result:
    """Run ``scenario`` (``seed`` overrides the scenario's) for ``replicates`` seeds.

    Replicate r uses the streams of ``(seed, r)``, so replicate 0 equals a single run. A run
    whose estimated peak memory exceeds ``max_memory_bytes`` (default: the memory available
    now) raises ``MemoryLimitError`` before anything is built.
    """
    if replicates < 1:
        raise ValueError("replicates must be at least 1")
    p = to_params(scenario)
    check_memory(p, max_memory_bytes)
    if seed is not None:
        p = replace(p, seed=int(seed))
    records = [run_replicate(p, r, progress) for r in range(replicates)]
    return Result(scenario=scenario, seed=p.seed, records=records)
