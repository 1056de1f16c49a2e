"""Print each bundled scenario's funnel figures next to the public range they must fall in.

    python validation/funnel_ranges.py [--replicates 3]

For every scenario in ``scenarios/``: the spend-weighted figures of all its strategies together
(checked: the script exits 1 if one is outside its range) and each strategy's own figures
(shown, marked when outside: a single strategy may legitimately sit outside a market average,
e.g. a retargeting list at a high CPM). Ranges and their
published sources:

- CTR 0.04%-1.2%: early Facebook game ads 0.04-0.14%, all Facebook ads 0.90% (WordStream
  2017); the upper end allows for optimised delivery picking likely clickers.
- clicks to installs 20%-50%: vendor figures; ~50% for early Facebook game ads. Social feeds
  sit between ad networks (0.6 per 100 clicks, Liftoff 2023) and search (66%, SplitMetrics).
- CPM $8-14: TikTok ~$8, Facebook ~$14 (2022).
- CPC $0.5-2.0: derived (CPM range / CTR range at 0.7-1.6%); Facebook US $1.72 (WordStream 2017).
- CPI $0.44-3.60: global Android $0.44 (2021) to iOS ~$3.60 (2025 estimate); Facebook $1.80,
  Instagram $2.23 (2020); EMEA casual games $0.90 (Liftoff 2023).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

import adsim

ROOT = Path(__file__).resolve().parents[1]
RANGES = {
    "ctr": (0.0004, 0.012, "{:.2%}"),
    "click_to_install": (0.20, 0.50, "{:.1%}"),
    "cpm_usd": (8.0, 14.0, "${:.2f}"),
    "cpc_usd": (0.5, 2.0, "${:.2f}"),
    "cpi_usd": (0.44, 3.60, "${:.2f}"),
}


def figures(spend, impressions, clicks, installs_click, installs) -> dict[str, float]:
    return {
        "ctr": clicks / impressions,
        "click_to_install": installs_click / clicks,
        "cpm_usd": 1000 * spend / impressions,
        "cpc_usd": spend / clicks,
        "cpi_usd": spend / installs,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--replicates", type=int, default=1)
    args = ap.parse_args()
    failed = []
    for path in sorted((ROOT / "scenarios").glob("*.yaml")):
        sc = adsim.load_scenario(path)
        s = adsim.run(sc, replicates=args.replicates).summary()
        cols = ("spend_usd", "impressions", "clicks", "installs_click", "installs")
        rows = {"ALL (checked)": figures(*(s[c].sum() for c in cols))}
        for name, row in s.iterrows():
            rows[str(name)] = figures(*(row[c] for c in cols))
        print(f"\n{sc.name} ({args.replicates} replicate(s))")
        print(f"  {'':24}" + "".join(f"{m:>22}" for m in RANGES))
        ranges = "".join(f"{f'{fmt.format(lo)}-{fmt.format(hi)}':>22}" for lo, hi, fmt in
                         RANGES.values())  # fmt: skip
        print(f"  {'public range':24}{ranges}")
        for label, fig in rows.items():
            cells = []
            for metric, (lo, hi, fmt) in RANGES.items():
                v = fig[metric]
                ok = np.isfinite(v) and lo <= v <= hi
                cells.append(f"{fmt.format(v) + ('' if ok else ' OUT'):>22}")
                if not ok and label.startswith("ALL"):
                    failed.append(f"{sc.name} {metric} {fmt.format(v)}")
            print(f"  {label:24}" + "".join(cells))
    if failed:
        print("\noutside the public ranges: " + "; ".join(failed))
        return 1
    print("\nall scenario-level figures inside their public ranges")
    return 0


if __name__ == "__main__":
    sys.exit(main())
