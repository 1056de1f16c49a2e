"""Print each bundled scenario's funnel figures next to the public range they must fall in.

    python validation/funnel_ranges.py [--replicates N]   (default 3: one draw is too noisy)

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


# Organic posts, per platform preset: a brand post's 24 h reach as a share of its page's
# followers (Facebook ~2-6.5%: EdgeRank Checker 2014, Social@Ogilvy 2014, Ignite Social Media
# 2021; Twitter 1.3-4.1%: Marketing Land 2014; Instagram 3.5% overall to ~48% for small
# accounts; TikTok mostly under 10%, 2025 estimates).
REACH_SHARE = {
    "twitter": (0.013, 0.041),
    "facebook": (0.015, 0.065),
    "instagram": (0.035, 0.48),
    "tiktok": (0.01, 0.10),
}
# Cascades: 70-95% of cascades are a single node, 1-4% go beyond one hop (Goel, Watts,
# Goldstein, EC 2012). A scenario's contests raise shares on purpose: checked on the standing
# posting and plain posting plans only.
NO_SHARE = (0.70, 0.95)
MAX_SCALE_FOR_CASCADES = 25
DEEPER_THAN_ONE_HOP = (0.0, 0.04)


def organic_figures(sc, result) -> list[str]:
    """Print the organic posts' reach share and cascade shape next to their public ranges;
    return what is outside."""
    posts = result.posts()
    plain_kinds = {t.name for t in sc.organic_tactics if t.kind in ("posting", "hashtags")}
    plain = posts[posts["tactic"].isin(plain_kinds | {"(standing)"})]
    lo, hi = REACH_SHARE[sc.platform.feed.preset]
    figures = {"reach share 24h": (plain["reach_share_24h"].mean(), lo, hi, "{:.2%}")}
    # Whether a post was shared at all is counted in agents: with many real people per agent
    # a post seen by thousands may show no share. Cascade shape is checked where an agent
    # stands for few people.
    if sc.population.scale <= MAX_SCALE_FOR_CASCADES:
        figures["posts never shared"] = ((plain["shares"] == 0).mean(), *NO_SHARE, "{:.1%}")
        figures["posts shared > 1 hop"] = (
            (plain["cascade_depth"] > 1).mean(),
            *DEEPER_THAN_ONE_HOP,
            "{:.1%}",
        )
    print(f"  organic posts ({len(plain)} standing or plain-posting posts)")
    if sc.population.scale > MAX_SCALE_FOR_CASCADES:
        print(f"    cascade shape not checked: {sc.population.scale:g} people per agent")
    failed = []
    for label, (v, lo, hi, fmt) in figures.items():
        ok = np.isfinite(v) and lo <= v <= hi
        print(f"    {label:22}{fmt.format(v):>10}   public {fmt.format(lo)}-{fmt.format(hi)}"
              + ("" if ok else "  OUT"))  # fmt: skip
        if not ok:
            failed.append(f"{sc.name} {label} {fmt.format(v)}")
    return failed


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--replicates", type=int, default=3)  # one draw is too noisy to judge
    args = ap.parse_args()
    failed = []
    for path in sorted((ROOT / "scenarios").glob("*.yaml")):
        sc = adsim.load_scenario(path)
        result = adsim.run(sc, replicates=args.replicates)
        # Paid strategies only: the ranges are paid ads' (organic tactics: organic_figures).
        s = result.summary().iloc[: len(sc.strategies)]
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
        if sc.platform.feed is not None:
            failed += organic_figures(sc, result)
    if failed:
        print("\noutside the public ranges: " + "; ".join(failed))
        return 1
    print("\nall scenario-level figures inside their public ranges")
    return 0


if __name__ == "__main__":
    sys.exit(main())
