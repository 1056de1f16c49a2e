"""Estimated peak memory (``adsim.resources``) next to the measured peak, for scenario sizes.

Each case runs one replicate in a fresh process and reads its peak resident set
(``VmHWM``, adsim.resources.peak_resident_bytes); the estimate is computed from the scenario
alone, before anything is built.

    python benchmarks/memory.py            # 40k, 500k and 2M agents, and 1M with the feed
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CASES = [
    # (label, scenario file, agents, strategies, market mode, horizon days)
    ("quickstart, 40k agents", "quickstart.yaml", 40_000, None, None, None),
    ("wazypark, 500k agents, 2 days", "wazypark_spain.yaml", 500_000, None, None, 2),
    ("wazypark 3 strategies, 2M agents, shared", "wazypark_spain.yaml", 2_000_000, 3, "shared", 2),
    # The organic feed: 8 exposure worlds (baseline, 4 tactics, 3 paid worlds run as the page).
    ("organic_vs_paid, 1M agents, 2 days", "organic_vs_paid.yaml", 1_000_000, None, None, 2),
]


def _scenario(file: str, agents: int, strategies: int | None, mode: str | None, days: int | None):
    from adsim import Scenario
    from adsim.scenario.load import load_scenario

    data = load_scenario(ROOT / "scenarios" / file).model_dump(by_alias=True, exclude_unset=True)
    data["population"]["agents"] = agents
    if strategies is not None:
        data["strategies"] = data["strategies"][:strategies]
    if mode is not None:
        data["market_mode"] = mode
    if days is not None:
        data["horizon_days"] = days
    return Scenario.model_validate(data)


def _measure(case: list) -> None:
    """Child process: run one replicate, print the peak resident set in bytes."""
    import adsim
    from adsim.resources import peak_resident_bytes

    adsim.run(_scenario(*case))
    print(peak_resident_bytes())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        _measure(json.loads(args.child))
        return
    from adsim.params import to_params
    from adsim.resources import estimate_memory, format_bytes

    print(f"{'case':<42} {'estimate':>10} {'measured':>10} {'est/meas':>9} {'per agent':>10}")
    for label, *case in CASES:
        est = estimate_memory(to_params(_scenario(*case))).peak
        out = subprocess.run(
            [sys.executable, __file__, "--child", json.dumps(case)],
            check=True, capture_output=True, text=True,
        )  # fmt: skip
        peak = int(out.stdout.split()[-1])
        per_agent = f"{peak / case[1]:,.0f} B"
        print(
            f"{label:<42} {format_bytes(est):>10} {format_bytes(peak):>10} {est / peak:>9.2f}"
            f" {per_agent:>10}"
        )


if __name__ == "__main__":
    main()
