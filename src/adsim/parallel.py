"""Where independent simulations run: this process, local worker processes, or a Dask cluster.

A *task* is one replicate of one set of parameters; tasks share nothing, so they can run in
any order on any machine and give the same record (every draw comes from the seed and the
replicate number). Local workers are spawned processes from the standard library's
``concurrent.futures``; a Dask ``distributed.Client`` runs them on a cluster. adsim keeps no
scheduler or queue of its own.

Threads: numba's parallel kernels use ``threads`` threads per task, so that workers x threads
fit the cores. On a Dask worker with several threads, tasks take a per-process lock around the
simulation (numba's default threading layer must not be entered from two Python threads at
once) and use the worker's threads inside the kernels instead.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from multiprocessing import get_context
from typing import Any

__all__ = ["Executor", "available_cores"]

_SIM_LOCK = threading.Lock()


def available_cores() -> int:
    """Cores this process may use (the affinity mask, not the machine's count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def _set_threads(threads: int) -> None:
    import numba

    numba.set_num_threads(max(1, min(int(threads), numba.config.NUMBA_NUM_THREADS)))


def _init_local_worker(threads: int) -> None:
    """A local worker: the parent handles Ctrl-C (and stops its workers), so a worker ignores
    it instead of printing a traceback of its own."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _set_threads(threads)


@contextlib.contextmanager
def _main_module_hidden() -> Iterator[None]:
    """While local workers start: hide the caller's main module from them.

    A spawned worker normally re-runs the parent's main script (as ``__mp_main__``) before
    its first task; a script without an ``if __name__ == "__main__":`` guard, or one fed on
    stdin (``python - <<EOF``), then dies or starts workers of its own. adsim's tasks need
    only adsim (a task is ``run_replicate(params, replicate)``, plain arrays), so workers
    start from a clean interpreter instead: ``multiprocessing`` prepares a worker from the
    main module's ``__spec__`` or ``__file__``, and sees neither while this block runs.
    """
    main = sys.modules.get("__main__")
    saved = {k: main.__dict__[k] for k in ("__spec__", "__file__") if main and k in main.__dict__}
    try:
        if main is not None:
            main.__dict__.pop("__file__", None)
            main.__spec__ = None
        yield
    finally:
        if main is not None:
            main.__dict__.update(saved)


def _on_dask_worker(fn: Callable, args: tuple) -> Any:
    """Run one task on a Dask worker, one task at a time per process, with the worker's
    threads inside numba's kernels."""
    from distributed import get_worker

    with _SIM_LOCK:
        _set_threads(get_worker().state.nthreads)
        return fn(*args)


class Executor:
    """Runs tasks here, on local worker processes, or on a Dask cluster; reusable for several
    batches (an adaptive run submits replicates until the ranking settles).

    ``client`` (a ``distributed.Client``) sends tasks to its cluster; otherwise ``workers``
    local processes run them (1: in this process, in submission order).
    """

    def __init__(self, workers: int = 1, client: Any | None = None) -> None:
        self.client = client
        self.workers = max(1, int(workers))
        self._pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, exc_type: object, *rest: object) -> None:
        self.close(failed=exc_type is not None)

    def close(self, failed: bool = False) -> None:
        if self._pool is None:
            return
        if failed:  # interrupted or failed: stop the workers instead of finishing their tasks
            for proc in list((getattr(self._pool, "_processes", None) or {}).values()):
                proc.terminate()
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._pool = None

    def _local_pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            threads = max(1, available_cores() // self.workers)
            self._pool = ProcessPoolExecutor(
                max_workers=self.workers,
                # spawn: a fresh interpreter per worker (forking a process whose numba threads
                # run is unsafe), started without the caller's main module (see
                # _main_module_hidden), so scripts need no `__main__` guard.
                mp_context=get_context("spawn"),
                initializer=_init_local_worker,
                initargs=(threads,),
            )
        return self._pool

    def map_unordered(
        self, fn: Callable[..., Any], tasks: Sequence[tuple]
    ) -> Iterator[tuple[int, Any]]:
        """Run ``fn(*tasks[k])`` for every k and yield ``(k, result)`` as each finishes. Leaving
        the loop early cancels the tasks that have not started."""
        if not tasks:
            return
        if self.client is not None:
            yield from _run_dask(fn, tasks, self.client)
        elif self.workers == 1 or (len(tasks) == 1 and self._pool is None):
            for k, args in enumerate(tasks):
                yield k, fn(*args)
        else:
            pool = self._local_pool()
            with _main_module_hidden():  # workers start on submit
                index: dict[Future, int] = {
                    pool.submit(fn, *args): k for k, args in enumerate(tasks)
                }
            pending = set(index)
            try:
                while pending:
                    done, pending = wait(pending, return_when=FIRST_COMPLETED)
                    for fut in sorted(done, key=index.__getitem__):
                        yield index[fut], fut.result()
            finally:
                for fut in pending:
                    fut.cancel()


def _run_dask(fn: Callable, tasks: Sequence[tuple], client: Any) -> Iterator[tuple[int, Any]]:
    from distributed import as_completed

    futures = [client.submit(_on_dask_worker, fn, args, pure=False) for args in tasks]
    index = {f.key: k for k, f in enumerate(futures)}
    try:
        for fut in as_completed(futures):
            yield index[fut.key], fut.result()
    finally:
        client.cancel([f for f in futures if not f.done()])
