"""Throughput of the organic feed: a whole run with and without it, and the feed kernel next
to its plain-Python self on the same slots.

    python benchmarks/feed_throughput.py                 # 1M agents, 5 strategies, 7 days
    python benchmarks/feed_throughput.py --agents 200000 --days 2

The scenario is the quickstart world (benchmarks/throughput.py) with a brand page and an
influencer posting, hashtags and a share-to-enter contest, so shares cascade. Prints the whole
run's auctions per second with the feed off and on (target: on >= half of off), the feed
kernel's candidates ranked and share edges tried per second, and the same slots through the
kernel's Python source (each numba function of the kernel's module as its ``py_func``,
identical counters) with the ratio.
"""

from __future__ import annotations

import argparse
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from numba.core.registry import CPUDispatcher as Dispatcher

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from throughput import throughput_scenario  # noqa: E402

import adsim  # noqa: E402
import adsim.engine.feed as engine_feed  # noqa: E402
import adsim.kernels.feed as kernel_feed  # noqa: E402
from adsim.kernels.feed import run_feed_slot  # noqa: E402


@contextmanager
def plain_python():
    """Every numba function in the feed kernel's module (its helpers and the hashing and
    funnel functions it imports) as its Python source."""
    swapped = {name: f for name, f in vars(kernel_feed).items() if isinstance(f, Dispatcher)}
    try:
        for name, f in swapped.items():
            setattr(kernel_feed, name, f.py_func)
        yield kernel_feed.run_feed_slot
    finally:
        for name, f in swapped.items():
            setattr(kernel_feed, name, f)


def with_feed(
    scenario: adsim.Scenario, share_mult: float = 10.0, cascade: bool = False
) -> adsim.Scenario:
    """The same world with organic posting: a brand page and an influencer; the contest's
    posts are shared ``share_mult`` times as often as a plain post. ``cascade``: a feed where
    brand posts win their positions and nearly every view is shared (a share-edge stress test,
    not a realistic platform)."""
    data = scenario.model_dump(mode="json", by_alias=True)
    n = data["population"]["agents"] * data["population"]["scale"]
    data["accounts"].append({"handle": "@brand", "followers": int(n // 50),
                             "profile": {"interests": {"food": 3.0}}})  # fmt: skip
    data["platform"]["feed"] = {"preset": "twitter"}
    if cascade:
        data["platform"]["feed"].update(
            candidates_per_session=10.0, page_weight=1000.0, share_rate=0.5
        )
    post = {"topic": "food", "app_link": 0.005}
    data["posting"] = [{"account": "@brand", "posts_per_day": 1, **post}]
    data["organic_tactics"] = [
        {"name": "contest", "kind": "contest", "fixed_cost_usd": 1000,
         "posting": {"account": "@brand", "posts_per_day": 1, "hashtags": True,
                     "share_mult": share_mult, **post}},
        {"name": "influencer", "kind": "influencer", "cost_per_post_usd": 300,
         "posting": {"account": "@foodie_pt", "posts_per_day": 1, **post}},
    ]  # fmt: skip
    return adsim.Scenario.model_validate(data)


class FeedProbe:
    """Stands in for the feed kernel: times every slot and, on sampled slots, runs the Python
    source on copies of the same inputs and checks that every output and state agrees."""

    def __init__(self, reference_slots: set[int]) -> None:
        self.reference_slots = reference_slots
        self.slot = -1
        self.kernel_s = self.reference_s = 0.0
        self.ranked = self.edges = 0
        self.ref_ranked = self.ref_kernel_s = self.ref_edges = 0

    def __call__(self, *args):
        self.slot += 1
        if self.slot in self.reference_slots:
            copies = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
            with plain_python() as reference:
                t = time.perf_counter()
                ref = reference(*copies)
                self.reference_s += time.perf_counter() - t
            t = time.perf_counter()
            out = run_feed_slot(*args)
            spent = time.perf_counter() - t
            self.ref_kernel_s += spent
            self.ref_ranked += int(out[:, 2].sum())
            self.ref_edges += int(out[:, 0].sum())
            np.testing.assert_array_equal(out, ref)
            for mine, theirs in zip(args, copies, strict=True):
                if isinstance(mine, np.ndarray):
                    np.testing.assert_array_equal(mine, theirs)
        else:
            t = time.perf_counter()
            out = run_feed_slot(*args)
            spent = time.perf_counter() - t
        self.kernel_s += spent
        self.ranked += int(out[:, 2].sum())
        self.edges += int(out[:, 0].sum())
        return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--agents", type=int, default=1_000_000)
    ap.add_argument("--strategies", type=int, default=5)
    ap.add_argument("--days", type=int, default=7)
    ap.add_argument("--reference-slots", type=int, default=3)
    ap.add_argument(
        "--cascade", action="store_true",
        help="a cascade-heavy feed (brand posts always ranked, half of views shared): measures "
        "share edges tried per second",
    )  # fmt: skip
    args = ap.parse_args()
    plain = throughput_scenario(args.agents, args.strategies, args.days)
    organic = with_feed(plain, 10.0, cascade=args.cascade)
    adsim.run(with_feed(throughput_scenario(20_000, 2, 1)))  # compile outside the timings

    rates = {}
    for label, scenario in (("feed off", plain), ("feed on", organic)):
        t = time.perf_counter()
        result = adsim.run(scenario)
        seconds = time.perf_counter() - t
        auctions = sum(float(r.daily["auctions"].sum()) for r in result.records)
        rates[label] = auctions / seconds
        print(f"{label}: whole run {seconds:.1f} s, {auctions / 1e6:.1f}M auctions, "
              f"{rates[label] / 1e6:.2f}M auctions/s")  # fmt: skip
    print(f"feed on / feed off: {rates['feed on'] / rates['feed off']:.2f} (target >= 0.5)")

    # The busiest evening slots of day 0 go through the Python source too.
    probe = FeedProbe(set(range(19, 19 + args.reference_slots)))
    engine_feed.run_feed_slot = probe
    try:
        result = adsim.run(organic)
    finally:
        engine_feed.run_feed_slot = run_feed_slot
    feed = result.records[0].feed
    print(f"feed kernel: {probe.kernel_s:.2f} s over the run; {probe.ranked:,} candidates "
          f"ranked ({probe.ranked / probe.kernel_s / 1e6:.2f}M/s), {probe.edges:,} share edges "
          f"tried ({probe.edges / probe.kernel_s / 1e6:.2f}M/s over the kernel's time); "
          f"{feed.shares_dropped} shares met a full inbox")  # fmt: skip
    if probe.reference_s > 0:
        kernel_rate = probe.ref_ranked / probe.ref_kernel_s
        ref_rate = probe.ref_ranked / probe.reference_s
        print(f"same {args.reference_slots} slots, outputs identical: kernel "
              f"{kernel_rate / 1e6:.2f}M candidates/s, plain Python {ref_rate / 1e3:.1f}k/s, "
              f"ratio {kernel_rate / ref_rate:,.0f}x")  # fmt: skip
        if probe.ref_edges:
            kernel_edges = probe.ref_edges / probe.ref_kernel_s
            ref_edges = probe.ref_edges / probe.reference_s
            print(f"  share edges on those slots: kernel {kernel_edges / 1e6:.2f}M/s, plain "
                  f"Python {ref_edges / 1e3:.1f}k/s, ratio {kernel_edges / ref_edges:,.0f}x "
                  "(per second of the whole slot, ranking included)")  # fmt: skip


if __name__ == "__main__":
    main()
