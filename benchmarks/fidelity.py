"""Platform fidelity figures: does the scenario, not the model's shortcuts, decide the ranking?

    python benchmarks/fidelity.py                 # every figure (~10 min on 2 cores)
    python benchmarks/fidelity.py scale caps      # some of them

Figures (wazypark_spain.yaml unless said; paired replicates share seeds):
  scale      broad CPI and budget used, the same 7.5M people as 500k x 15 and 50k x 150
  private    the optimiser blind to interests and follows: followers_big_cities vs broad
             lowest cost, CPI per paired replicate; and with every feature over days 0-2
  caps       cost caps at 0.85x and 1.15x lowest cost's CPI; bid caps raised by 10% steps
  starve     a loose $6 cost cap at 100k x 75 agents: budget used per replicate (a cap
             starves when noise in day 0's installs stops it spending)
  budget     broad CPI at 1x and 5x the budget
  increment  incremental share of attributed installs (quickstart: broad vs site_visitors)
  rank       Spearman correlation of the platform's predicted and the true install rate per
             click over each audience, before the flight and at its end
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
WAZYPARK = ROOT / "scenarios" / "wazypark_spain.yaml"
QUICKSTART = ROOT / "scenarios" / "quickstart.yaml"


def _run(sc, replicates: int):
    import adsim

    return adsim.run(sc, replicates=replicates, workers=1)


def _per_replicate(result, metric: str):
    """(R, S) per-replicate values of a summary metric."""
    return result.per_replicate()[metric].unstack("strategy")


def _data(path: Path) -> dict:
    import yaml

    return yaml.safe_load(path.read_text())


def _only(path: Path, names: list[str], changes: dict | None = None):
    """The scenario at ``path`` with only the strategies ``names``, and ``changes``."""
    from adsim.scenario import scenario_from_dict

    data = _data(path)
    data["strategies"] = [s for s in data["strategies"] if s["name"] in names]
    sc = scenario_from_dict(data)
    return sc.with_changes(changes) if changes else sc


def scale(replicates: int) -> None:
    sc = _only(WAZYPARK, ["broad_lowest_cost"])
    for agents, s in ((500_000, 15), (50_000, 150)):
        t = time.perf_counter()
        res = _run(
            sc.with_changes({"population.agents": agents, "population.scale": s}), replicates
        )
        row = res.summary().loc["broad_lowest_cost"]
        print(
            f"scale: {agents:,} x {s}: broad CPI ${row['cpi_usd']:.2f} "
            f"[{row['cpi_usd_lo']:.2f}-{row['cpi_usd_hi']:.2f}], budget used "
            f"{row['budget_used']:.1%}, {replicates} replicates in {time.perf_counter() - t:.0f} s"
        )


def private(replicates: int) -> None:
    names = ["broad_lowest_cost", "followers_big_cities"]
    blind = _only(
        WAZYPARK,
        names,
        {"platform.optimiser.features": ["age", "gender", "region", "device", "activity"]},
    )
    for label, sc in (("blind to interests and follows, 14 days", blind),
                      ("every feature, days 0-2", _only(WAZYPARK, names, {"horizon_days": 3})),
                      ("every feature, 14 days", _only(WAZYPARK, names))):  # fmt: skip
        cpi = _per_replicate(_run(sc, replicates), "cpi_usd")
        ratio = cpi["followers_big_cities"] / cpi["broad_lowest_cost"]
        print(
            f"private ({label}): followers_big_cities / broad CPI per replicate "
            f"{', '.join(f'{r:.2f}' for r in ratio)}; mean CPI "
            f"${cpi['followers_big_cities'].mean():.2f} vs ${cpi['broad_lowest_cost'].mean():.2f}"
        )


def caps(replicates: int) -> None:
    from adsim.scenario import scenario_from_dict

    lc = _run(_only(WAZYPARK, ["broad_lowest_cost"]), replicates).summary()
    lc = lc.loc["broad_lowest_cost"]
    print(f"caps: lowest cost CPI ${lc['cpi_usd']:.2f}, win rate {lc['win_rate']:.2%}")
    data = _data(WAZYPARK)
    strat = next(s for s in data["strategies"] if s["name"] == "broad_lowest_cost")
    variants = []

    def usd(mult: float) -> float:
        return round(lc["cpi_usd"] * mult, 2)

    for mult in (0.7, 0.85, 1.0, 1.15):
        bid = {"strategy": "cost_cap", "amount_usd": usd(mult)}
        variants.append({**strat, "name": f"cost_cap_{mult:.2f}x", "bid": bid})
    for k, mult in enumerate((0.8, 0.88, 0.97, 1.06, 1.17)):  # steps of ~10%
        bid = {"strategy": "bid_cap", "amount_usd": usd(mult)}
        variants.append({**strat, "name": f"bid_cap_{k}", "bid": bid})
    data["strategies"] = variants
    summary = _run(scenario_from_dict(data), replicates).summary()
    for name, row in summary.iterrows():
        cap = next(v for v in variants if v["name"] == name)["bid"]["amount_usd"]
        print(
            f"caps: {name} (${cap:.2f}): CPI ${row['cpi_usd']:.2f} "
            f"[{row['cpi_usd_lo']:.2f}-{row['cpi_usd_hi']:.2f}], "
            f"CPI/cap {row['cpi_usd'] / cap:.2f}, "
            f"budget used {row['budget_used']:.1%}, win rate {row['win_rate']:.2%}"
        )


def starve(replicates: int) -> None:
    changes = {
        "population.agents": 100_000,
        "population.scale": 75,
        "strategies.broad_cost_cap.bid.amount_usd": 6.0,
    }
    result = _run(_only(WAZYPARK, ["broad_cost_cap"], changes), replicates)
    used = _per_replicate(result, "budget_used")["broad_cost_cap"].to_numpy()
    cpi = _per_replicate(result, "cpi_usd")["broad_cost_cap"].to_numpy()
    starved = int((used < 0.5).sum())
    print(
        f"starve: $6 cost cap at 100k x 75, budget used per replicate "
        f"{', '.join(f'{u:.0%}' for u in used)}; CPI {', '.join(f'${c:.2f}' for c in cpi)}; "
        f"starved (< 50% of budget) in {starved} of {len(used)}"
    )


def budget(replicates: int) -> None:
    for path, name in ((WAZYPARK, "broad_lowest_cost"), (QUICKSTART, "broad")):
        base = _only(path, [name])
        daily = base.strategies[0].budget.daily_usd
        cpis = []
        for mult in (0.2, 1, 5):
            sc = base.with_changes({f"strategies.{name}.budget.daily_usd": daily * mult})
            cpis.append(_run(sc, replicates).summary().loc[name, "cpi_usd"])
        print(
            f"budget ({path.name}): {name} CPI at 0.2x / 1x / 5x the budget "
            f"${cpis[0]:.2f} / ${cpis[1]:.2f} / ${cpis[2]:.2f}; 5x / 1x = {cpis[2] / cpis[1]:.2f}"
        )


def increment(replicates: int) -> None:
    import adsim

    for path in (QUICKSTART, WAZYPARK):
        summary = _run(adsim.load_scenario(path), replicates).summary()
        share = summary["incremental_installs"] / summary["installs"]
        print(f"increment ({path.name}): incremental / attributed installs "
              + ", ".join(f"{k} {v:.0%}" for k, v in share.items()))  # fmt: skip


def rank(replicates: int) -> None:
    import adsim
    from adsim.engine import Engine
    from adsim.params import to_params
    from adsim.population import build_population
    from adsim.rng import Streams

    p = to_params(adsim.load_scenario(WAZYPARK))
    streams = Streams(p.seed, 0)
    pop = build_population(p, streams)
    eng = Engine(p, pop, streams)
    odds = pop.install_odds.astype(np.float64)
    truth = odds / (1.0 + odds)

    def spearman(j: int) -> float:
        s = eng.layout.inst_strategy[j]
        m = eng.masks[s].astype(bool)
        a = np.argsort(np.argsort(eng.optimiser.cvr_hat[j][m]))
        b = np.argsort(np.argsort(truth[m]))
        return float(np.corrcoef(a, b)[0, 1])

    before = [spearman(j) for j in eng.layout.reported]
    eng.run()
    after = [spearman(j) for j in eng.layout.reported]
    for name, b, a in zip(p.strategy_names, before, after, strict=True):
        print(
            f"rank: {name}: Spearman(predicted, true installs per click) "
            f"{b:.2f} before, {a:.2f} after"
        )


FIGURES = {"scale": scale, "private": private, "caps": caps, "starve": starve, "budget": budget,
           "increment": increment, "rank": rank}  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("figures", nargs="*", help=f"any of {', '.join(FIGURES)} (default: all)")
    ap.add_argument("--replicates", type=int, default=5)
    args = ap.parse_args()
    unknown = sorted(set(args.figures) - set(FIGURES))
    if unknown:
        ap.error(f"unknown figures {unknown}; choose from {', '.join(FIGURES)}")
    for name in args.figures or FIGURES:
        t = time.perf_counter()
        FIGURES[name](args.replicates)
        print(f"({name}: {time.perf_counter() - t:.0f} s)", file=sys.stderr)


if __name__ == "__main__":
    main()
