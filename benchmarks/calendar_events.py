"""The calendar's cost and the ranking it decides.

    python benchmarks/calendar_events.py --speed     # throughput.py's 1M-agent week, one event
    python benchmarks/calendar_events.py --ranking   # clasico_week.yaml, 30 replicates x 2 apps
    python benchmarks/calendar_events.py --moments --replicates 12  # the moment's strength

--speed runs throughput.py's world (1M agents, 5 strategies, 7 days) with a calendar: a start
date, weekday multipliers, one 2-hour match on the football topic, and two of the five
strategies targeting time-bound audiences (the match's followers, 25 football keywords). It
times every call into the calendar's state (day layers, conversation updates, audience
rebuilds, hashtag browsing) and prints their share of the whole run (target: at most 20%),
next to the same week without a calendar.

--ranking runs the bundled clasico_week.yaml as written (a match that sends 2% of its
followers, x their fit, looking for a fantasy-football app) and with an app whose fit lies
elsewhere (food_drink x4, no moment), and prints each strategy's CPI and how often event
targeting beats broad in paired replicates.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

from throughput import throughput_scenario  # noqa: E402

import adsim  # noqa: E402
from adsim.engine import calendar as engine_calendar  # noqa: E402
from adsim.scenario import load_scenario  # noqa: E402

WORDS = [f"football_{k}" for k in range(25)]


def with_event(sc: adsim.Scenario) -> adsim.Scenario:
    """``sc`` with a calendar of one match and two time-bound strategies of five."""
    match = {
        "name": "derby",
        "kind": "sport",
        "topic": "football",
        "airings": [{"day": 3, "hour": 20}],
        "market": {"during": 1.17},
    }
    changes = {
        "calendar": {
            "start_date": "2026-10-22",
            "weekday_sessions": {"sat": 1.1, "sun": 1.1},
            "weekday_market": {"sat": 0.9, "sun": 0.9},
            "events": [match],
            "keywords": dict.fromkeys(WORDS, "football"),
        },
        f"strategies.{sc.strategies[1].name}.audience": {"event": {"name": "derby"}},
        f"strategies.{sc.strategies[2].name}.audience": {
            "keywords": {"words": WORDS, "recency_h": 24}
        },
    }
    return sc.with_changes(changes)


def speed(agents: int) -> None:
    timed = {"s": 0.0}
    names = ("day_layers", "observe", "refresh", "browsing")
    originals = {n: getattr(engine_calendar.CalendarState, n) for n in names}

    def timing(fn):
        def wrapper(*args, **kwargs):
            t = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                timed["s"] += time.perf_counter() - t

        return wrapper

    base = throughput_scenario(agents, 5, 7)
    event = with_event(base)
    for sc in (throughput_scenario(20_000, 5, 4),):  # compile every kernel first
        adsim.run(sc)
        adsim.run(with_event(sc))
    t = time.perf_counter()
    adsim.run(base)
    plain_s = time.perf_counter() - t
    for n, fn in originals.items():
        setattr(engine_calendar.CalendarState, n, timing(fn))
    try:
        init = engine_calendar.CalendarState.__init__
        engine_calendar.CalendarState.__init__ = timing(init)
        t = time.perf_counter()
        adsim.run(event)
        event_s = time.perf_counter() - t
    finally:
        engine_calendar.CalendarState.__init__ = init
        for n, fn in originals.items():
            setattr(engine_calendar.CalendarState, n, fn)
    print(f"{agents:,} agents, 5 strategies, 7 days")
    print(f"  without a calendar:               {plain_s:6.1f} s")
    print(f"  with one event, 2 time-bound:     {event_s:6.1f} s")
    print(
        f"  of which the calendar's state:    {timed['s']:6.1f} s "
        f"({timed['s'] / event_s:.1%} of the run; target <= 20%)"
    )


def ranking(replicates: int) -> None:
    import pandas as pd

    pd.set_option("display.width", 200)
    sc = load_scenario(ROOT / "scenarios" / "clasico_week.yaml")
    other = sc.with_changes({"app.fit.interests": {"food_drink": 4.0}, "app.intent.events": {}})
    for label, scenario in (("as bundled (fit follows football, 2% moment)", sc),
                            ("fit on food_drink, no moment", other)):  # fmt: skip
        result = adsim.run(scenario, replicates=replicates)
        cpi = result.per_replicate()["cpi_usd"].unstack("strategy")
        diff = np.log(cpi["event_clasico"]) - np.log(cpi["broad"])
        se = diff.std(ddof=1) / np.sqrt(len(diff))
        summary = result.summary()[["cpi_usd", "cpi_usd_lo", "cpi_usd_hi", "icpi_usd"]]
        print(f"\n{label}, {replicates} replicates")
        print(summary.round(2).to_string())
        print(
            f"event_clasico beats broad in {(diff < 0).mean():.0%} of paired replicates; "
            f"mean log CPI difference {diff.mean():+.3f} (se {se:.3f})"
        )


def moments(replicates: int) -> None:
    """How strong must the moment be for event targeting to pay? The bundled scenario with
    the match sending 0-20% of its followers (x their fit) looking for the app."""
    sc = load_scenario(ROOT / "scenarios" / "clasico_week.yaml")
    print(f"\nmoment share -> CPI (event, broad, interest), event beats broad / interest "
          f"in paired replicates ({replicates} each)")  # fmt: skip
    for share in (0.0, 0.02, 0.05, 0.1, 0.2):
        scenario = sc.with_changes({"app.intent.events": {"el_clasico": share}})
        result = adsim.run(scenario, replicates=replicates)
        cpi = result.per_replicate()["cpi_usd"].unstack("strategy")
        mean = result.summary()["cpi_usd"]
        beats = [(cpi["event_clasico"] < cpi[o]).mean() for o in ("broad", "interest_football")]
        print(
            f"  {share:4.0%}: ${mean['event_clasico']:.2f}, ${mean['broad']:.2f}, "
            f"${mean['interest_football']:.2f}; {beats[0]:.0%} / {beats[1]:.0%}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--speed", action="store_true")
    parser.add_argument("--ranking", action="store_true")
    parser.add_argument("--moments", action="store_true")
    parser.add_argument("--agents", type=int, default=1_000_000)
    parser.add_argument("--replicates", type=int, default=30)
    args = parser.parse_args()
    if args.speed or not (args.ranking or args.moments):
        speed(args.agents)
    if args.ranking:
        ranking(args.replicates)
    if args.moments:
        moments(args.replicates)


if __name__ == "__main__":
    main()
