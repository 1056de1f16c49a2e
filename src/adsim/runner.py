"""Run a scenario: one or more replicates, each an independent seed, here or in parallel."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

from .confidence import (
    AUTO_MAX_REPLICATES,
    AUTO_THRESHOLD,
    COST_UNITS,
    MIN_REPLICATES,
    Confidence,
)
from .engine import Engine, RunRecord
from .parallel import Executor, available_cores
from .params import Params, to_params
from .population import build_population
from .resources import available_memory_bytes, check_memory, estimate_memory
from .result import Result
from .rng import Streams
from .scenario import Scenario, load_scenario, scenario_from_dict

__all__ = [
    "AUTO_MAX_REPLICATES",
    "AUTO_THRESHOLD",
    "as_scenario",
    "auto_check_points",
    "run",
    "run_replicate",
]

ProgressFn = Callable[[int, int, int], None]  # (replicate, slots done, slots total)
# Below this many agent-days a replicate takes about a second: starting worker processes
# (each imports numba and loads the kernels) would cost more than it saves.
PARALLEL_MIN_AGENT_DAYS = 1_500_000


def as_scenario(scenario: Scenario | Mapping[str, Any] | str | Path) -> Scenario:
    """A validated Scenario from a Scenario, a mapping (as in a YAML file) or a file path."""
    if isinstance(scenario, Scenario):
        return scenario
    if isinstance(scenario, str | Path):
        return load_scenario(scenario)
    if isinstance(scenario, Mapping):
        return scenario_from_dict(dict(scenario))
    raise TypeError(f"expected a Scenario, a mapping or a path, got {type(scenario).__name__}")


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


AUTO_STEP = 2  # replicates between two checks of an adaptive run's stopping rule


def auto_check_points() -> list[int]:
    """The replicate counts at which ``replicates="auto"`` checks its stopping rule."""
    return [*range(MIN_REPLICATES, AUTO_MAX_REPLICATES, AUTO_STEP), AUTO_MAX_REPLICATES]


def default_workers(p: Params, tasks: int, max_memory_bytes: int | None = None) -> int:
    """Local processes for ``tasks`` replicates of ``p``: one per core, as many as memory holds
    (each holds one replicate), and one when replicates are too small to gain from them."""
    if tasks < 2 or p.n_agents * p.horizon_h / 24.0 < PARALLEL_MIN_AGENT_DAYS:
        return 1
    limit = max_memory_bytes if max_memory_bytes is not None else available_memory_bytes()
    per_worker = estimate_memory(p).peak
    fit = tasks if limit is None else max(1, int(limit // max(1, per_worker)))
    return max(1, min(available_cores(), tasks, fit))


@dataclass
class _Batches:
    """Replicates in batches through one executor, keeping their records in replicate order.
    ``params_of(r)`` is replicate r's parameters (the same for every replicate, unless the
    scenario carries posterior draws)."""

    params_of: Callable[[int], Params]
    executor: Executor
    progress: ProgressFn | None
    records: list[RunRecord]

    def add(self, count: int) -> None:
        start = len(self.records)
        replicates = range(start, start + count)
        tasks: list[tuple] = [(self.params_of(r), r) for r in replicates]
        serial = self.executor.client is None and self.executor.workers == 1
        if serial:  # in this process: slot-level progress
            tasks = [(p, r, self.progress) for p, r in tasks]
        done: dict[int, RunRecord] = {}
        for k, record in self.executor.map_unordered(run_replicate, tasks):
            done[k] = record
            if self.progress is not None and not serial:
                slots = tasks[k][0].n_slots
                self.progress(start + k, slots, slots)
        self.records.extend(done[k] for k in range(count))


def _params_by_replicate(scenario: Scenario, p: Params) -> Callable[[int], Params]:
    """Replicate r's parameters: ``p``, or with a posterior, its draw r mod K (each compiled
    once), with ``p``'s seed (common random numbers: only the drawn values differ)."""
    if scenario.posterior is None:
        return lambda r: p
    compiled: dict[int, Params] = {}
    n_draws = len(scenario.posterior.draws)

    def params_of(r: int) -> Params:
        k = r % n_draws
        if k not in compiled:
            compiled[k] = replace(to_params(scenario.for_replicate(k)), seed=p.seed)
        return compiled[k]

    return params_of


def run(
    scenario: Scenario | Mapping[str, Any] | str | Path,
    seed: int | None = None,
    replicates: int | Literal["auto"] = 1,
    progress: ProgressFn | None = None,
    max_memory_bytes: int | None = None,
    workers: int | None = None,
    client: Any | None = None,
    rank_by: str = "cpi_usd",
    on_batch: Callable[[Confidence], None] | None = None,
) -> Result:
    """Run ``scenario`` (a Scenario, a mapping or a file path; ``seed`` overrides its seed).

    Replicate r uses the streams of ``(seed, r)``, so replicate 0 equals a single run, and
    the records do not depend on where or in which order replicates ran. ``replicates="auto"``
    runs batches until the cheapest strategy by ``rank_by`` is settled (P(best) >=
    ``AUTO_THRESHOLD``, see :mod:`adsim.confidence`) or ``AUTO_MAX_REPLICATES`` have run.

    Replicates run on ``workers`` local processes (default: one per core when replicates are
    large enough to gain), or on a Dask cluster through ``client`` (a
    ``distributed.Client``). A run whose estimated peak memory exceeds ``max_memory_bytes``
    (default: the memory available now) raises ``MemoryLimitError`` before anything is built.
    ``on_batch`` receives the ranking's confidence after each batch of an adaptive run.
    """
    scenario = as_scenario(scenario)
    if rank_by not in COST_UNITS:
        raise ValueError(f"rank_by is one of {', '.join(COST_UNITS)}, not {rank_by!r}")
    auto = replicates == "auto"
    if not auto and (not isinstance(replicates, int) or replicates < 1):
        raise ValueError("replicates must be a whole number of at least 1, or 'auto'")
    p = to_params(scenario)
    check_memory(p, max_memory_bytes)
    if seed is not None:
        p = replace(p, seed=int(seed))
    first = AUTO_MAX_REPLICATES if auto else int(replicates)
    if workers is None:
        workers = default_workers(p, first, max_memory_bytes)
    records: list[RunRecord] = []
    stopping: dict[str, Any] | None = None
    with Executor(workers, client) as ex:
        batches = _Batches(_params_by_replicate(scenario, p), ex, progress, records)
        if not auto:
            batches.add(int(replicates))
        else:
            # The rule is checked at fixed counts (5, 7, 9, ... 30) whatever runs the
            # replicates, so a scenario and seed stop at the same count on any machine. Many
            # workers run ahead in larger batches; replicates past the stopping count are
            # dropped.
            lanes = workers if client is None else len(client.nthreads())
            checks = iter(auto_check_points())
            check = next(checks)
            while True:
                if len(records) < check:
                    batches.add(
                        min(max(lanes, check - len(records)), AUTO_MAX_REPLICATES - len(records))
                    )
                conf = Result(scenario=scenario, seed=p.seed, records=records[:check]).confidence(
                    rank_by
                )
                if on_batch is not None:
                    on_batch(conf)
                # Stop when settled, at the maximum, or when no strategy has a finite cost
                # (nothing to settle).
                if conf.settled(AUTO_THRESHOLD) or conf.leader is None:
                    break
                if (check := next(checks, None)) is None:
                    break
            del records[conf.replicates :]
            stopping = {
                "rule": f"P(best by {rank_by}) >= {AUTO_THRESHOLD} or {AUTO_MAX_REPLICATES} "
                "replicates",
                "settled": conf.settled(AUTO_THRESHOLD),
                "p_best": conf.p_leader,
                "leader": conf.leader,
            }
    return Result(
        scenario=scenario, seed=p.seed, records=records, stopping=stopping, rank_by=rank_by
    )
