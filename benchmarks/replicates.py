"""Replicates per second of a whole scenario, and the parallel efficiency of local workers.

    python benchmarks/replicates.py                  # wazypark_spain.yaml, 6 replicates each
    python benchmarks/replicates.py --replicates 20 --only-default   # the planner's 20-run case

Prints, for the same replicates (identical results, checked):
  * one process, one numba thread (the unit of work);
  * one process, every core's numba threads (replicates one after another, kernels parallel);
  * N local worker processes, one thread each (``adsim.run``'s default on this machine);
and replicates/s, the speed-up over one thread, and the parallel efficiency (speed-up / cores).
Target (2 cores): wazypark with 20 replicates in under 60 s. Times include starting the worker
processes (each imports numba and loads the cached kernels).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def timed(scenario, replicates: int, workers: int, threads: int | None = None):
    import numba

    import adsim

    if threads is not None:
        numba.set_num_threads(threads)
    try:
        start = time.perf_counter()
        result = adsim.run(scenario, replicates=replicates, workers=workers)
        return time.perf_counter() - start, result
    finally:
        numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)


def main() -> int:
    import numba
    import pandas as pd

    import adsim
    from adsim.parallel import available_cores
    from adsim.runner import default_workers

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", default=str(ROOT / "scenarios" / "wazypark_spain.yaml"))
    ap.add_argument("--replicates", type=int, default=6)
    ap.add_argument("--only-default", action="store_true", help="time adsim.run's default only")
    args = ap.parse_args()
    scenario = adsim.load_scenario(args.scenario)
    cores = available_cores()
    print(f"{scenario.name}: {args.replicates} replicates, {cores} cores, numba threads "
          f"{numba.config.NUMBA_NUM_THREADS}")  # fmt: skip
    timed(scenario, 1, 1)  # compile or load the kernels once, outside the timings
    from adsim.params import to_params

    workers = default_workers(to_params(scenario), args.replicates)
    runs = []
    if not args.only_default:
        runs.append(("1 process, 1 thread", 1, 1))
        runs.append((f"1 process, {cores} threads", 1, None))
    runs.append((f"{workers} worker processes (default)", workers, None))
    base_rate = None
    reference = None
    for label, n_workers, threads in runs:
        seconds, result = timed(scenario, args.replicates, n_workers, threads)
        rate = args.replicates / seconds
        if base_rate is None and threads == 1:
            base_rate = rate
        speedup = rate / base_rate if base_rate else float("nan")
        summary = result.summary()
        if reference is None:
            reference = summary
        else:
            pd.testing.assert_frame_equal(summary, reference)  # where it ran changes nothing
        used = 1 if threads == 1 else cores  # cores the configuration keeps busy
        print(
            f"  {label:<34} {seconds:7.1f} s  {rate:6.3f} replicates/s  speed-up x{speedup:.2f}"
            f"  parallel efficiency {speedup / used:.0%}"
            if base_rate
            else f"  {label:<34} {seconds:7.1f} s  {rate:6.3f} replicates/s"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
