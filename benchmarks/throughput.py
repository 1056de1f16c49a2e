"""Throughput of a whole run, and the same auctions through a plain-Python reference loop.

    python benchmarks/throughput.py            # 1M agents, 5 strategies, 7 days
    python benchmarks/throughput.py --wazypark # also: wazypark_spain.yaml with 5 replicates

Prints population build time, auctions per second for the whole run (per run and per core),
the reference loop's rate on the same slots (its counters must equal the kernel's), the ratio,
and peak memory. Targets (2 cores): >= 3M auctions/s per core, build < 10 s, peak < 2 GiB,
wazypark 5 replicates < 2 min.

An *auction* here is one strategy entering one ad slot's auction (the ``auctions`` column of
a run's summary). Each ad slot is auctioned once per world; with isolated strategies, that is
once per strategy for which the person is eligible. Eligibility rules change with the model
(e.g. at most one impression per strategy per session), so the script also prints *ad slots
offered*: ad slots x worlds, a unit that depends only on the sessions drawn, for comparing
versions of the engine on the same scenario.
"""

from __future__ import annotations

import argparse
import copy
import os
import sys
import time
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

from reference import reference_slot  # noqa: E402

import adsim  # noqa: E402
from adsim.engine import Engine  # noqa: E402
from adsim.kernels.auction import SLOT_COUNTERS, run_slot  # noqa: E402
from adsim.params import to_params  # noqa: E402
from adsim.population import build_population  # noqa: E402
from adsim.resources import peak_resident_bytes  # noqa: E402
from adsim.rng import Streams  # noqa: E402

AUCTIONS = SLOT_COUNTERS.index("auctions")


def throughput_scenario(agents: int, strategies: int, days: int) -> adsim.Scenario:
    """The quickstart world at ``agents`` agents with ``strategies`` strategies."""
    data = yaml.safe_load((ROOT / "scenarios" / "quickstart.yaml").read_text())
    data["population"]["agents"] = agents
    data["population"]["scale"] = 1
    data["accounts"][0]["followers"] = agents // 20
    data["horizon_days"] = days
    base = data["strategies"]
    data["strategies"] = []
    for n in range(strategies):
        s = copy.deepcopy(base[n % len(base)])
        s["name"] = f"{s['name']}_{n}"
        s["budget"] = {"daily_usd": 400 * agents / 40_000}
        data["strategies"].append(s)
    return adsim.Scenario.model_validate(data)


class AdSlotCounter:
    """The slot kernel, counting the ad slots it is offered (ad slots x worlds)."""

    def __init__(self) -> None:
        self.offered = 0

    def __call__(self, **kw):
        self.offered += int(kw["ad_ptr"][-1]) * (kw["world_ptr"].size - 1)
        return run_slot(**kw)


class ReferenceProbe:
    """A slot kernel that, on sampled slots, also runs the reference on copies of the same
    inputs, checks the counters agree and times both."""

    def __init__(self, slots: set[int]) -> None:
        self.slots = slots
        self.slot = -1
        self.kernel_s = self.reference_s = 0.0
        self.auctions = 0

    def __call__(self, **kw):
        self.slot += 1
        if self.slot not in self.slots:
            return run_slot(**kw)
        state = {k: v.copy() for k, v in kw.items() if isinstance(v, np.ndarray)}
        t = time.perf_counter()
        ref = reference_slot(**{**kw, **state})
        self.reference_s += time.perf_counter() - t
        t = time.perf_counter()
        out = run_slot(**kw)
        self.kernel_s += time.perf_counter() - t
        np.testing.assert_array_equal(out[0], ref[0], err_msg=f"slot {self.slot}")
        np.testing.assert_allclose(out[1], ref[1], rtol=1e-9)
        self.auctions += int(out[0][:, AUCTIONS].sum())
        return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--agents", type=int, default=1_000_000)
    ap.add_argument("--strategies", type=int, default=5)
    ap.add_argument("--days", type=int, default=7)
    ap.add_argument("--reference-slots", type=int, default=3, help="slots run in plain Python")
    ap.add_argument("--wazypark", action="store_true", help="also time wazypark x 5 replicates")
    args = ap.parse_args()
    cores = os.cpu_count() or 1

    sc = throughput_scenario(args.agents, args.strategies, args.days)
    p = to_params(sc)
    warm = to_params(throughput_scenario(2000, args.strategies, 1))  # compile / load the cache
    Engine(warm, build_population(warm, Streams(0)), Streams(0)).run()

    t = time.perf_counter()
    pop = build_population(p, Streams(p.seed))
    build_s = time.perf_counter() - t
    print(f"population: {pop.n:,} agents, {pop.follow_dst.size:,} follow edges, "
          f"{pop.account_followers.size:,} account follows, built in {build_s:.2f} s "
          f"(target < 10 s), {pop.nbytes / 2**20:.0f} MiB")  # fmt: skip

    t = time.perf_counter()
    counter = AdSlotCounter()
    eng = Engine(p, pop, Streams(p.seed), slot_kernel=counter)
    rec = eng.run()
    run_s = time.perf_counter() - t
    auctions = int(rec.daily["auctions"].sum())
    rate = auctions / run_s
    print(f"whole run: {args.strategies} strategies x {args.days} days: {auctions:,} auctions "
          f"in {run_s:.1f} s = {rate / 1e6:.2f} M/s, {rate / cores / 1e6:.2f} M/s per core "
          f"on {cores} cores (target >= 3 M/s per core); {counter.offered:,} ad slots offered "
          f"= {counter.offered / run_s / 1e6:.2f} M/s")  # fmt: skip

    # The reference on the busiest slots of day 0 (evening peak), same inputs as the kernel.
    slots = set(range(20, 20 + args.reference_slots))
    probe = ReferenceProbe(slots)
    Engine(p, pop, Streams(p.seed), slot_kernel=probe).run()
    kernel_rate = probe.auctions / probe.kernel_s
    ref_rate = probe.auctions / probe.reference_s
    print(f"same auctions, slots {min(slots)}-{max(slots)} ({probe.auctions:,} auctions, "
          f"counters identical): kernel {kernel_rate / 1e6:.2f} M/s, plain Python "
          f"{ref_rate / 1e3:.1f} k/s, ratio {kernel_rate / ref_rate:,.0f}x")  # fmt: skip
    peak = peak_resident_bytes() / 2**30
    print(f"peak memory (max RSS): {peak:.2f} GiB (target < 2 GiB)")

    if args.wazypark:
        wz = adsim.load_scenario(ROOT / "scenarios" / "wazypark_spain.yaml")
        t = time.perf_counter()
        adsim.run(wz, replicates=5)
        print(
            f"wazypark_spain.yaml, 5 replicates: {time.perf_counter() - t:.1f} s (target < 120 s)"
        )


if __name__ == "__main__":
    main()
