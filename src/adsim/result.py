"""Run results: a run's replicate records as tables (summary with intervals, per replicate,
daily series, breakdowns, organic posts and followers), its ranking and verdict.

The numbers come from :mod:`adsim.metrics`; files are written by :mod:`adsim.outputs`.
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .breakdown import BREAKDOWN_METRICS, DIMENSIONS
from .columns import COUNT_COLUMNS, FILES
from .engine import RunRecord
from .metrics import INTERVAL, METRICS, ratio, record_metrics, summary_frame, unbounded_costs
from .outputs import for_output, save_result, versions
from .scenario import Scenario

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

    from .confidence import Confidence
    from .verdict import Verdict

__all__ = ["Result"]

POST_COLUMNS = tuple(FILES["posts.csv"][1])


@dataclass
class Result:
    """The outcome of :func:`adsim.run`: one :class:`RunRecord` per replicate."""

    scenario: Scenario
    seed: int
    records: list[RunRecord]
    # How an adaptive run (replicates="auto") stopped: rule, settled, p_best, leader.
    stopping: dict | None = None
    # The metric the ranking and the verdict use: "cpi_usd" or "icpi_usd".
    rank_by: str = "cpi_usd"

    @property
    def strategies(self) -> list[str]:
        return self.records[0].strategy_names

    @property
    def replicates(self) -> int:
        return len(self.records)

    def _stack(self) -> dict[str, np.ndarray]:
        """metric -> (replicates, strategies)."""
        per = [record_metrics(r) for r in self.records]
        return {m: np.stack([x[m] for x in per]) for m in METRICS}

    def per_replicate(self) -> pd.DataFrame:
        """One row per (replicate, strategy) with every metric."""
        import pandas as pd

        stacked = self._stack()
        idx = pd.MultiIndex.from_product(
            [range(self.replicates), self.strategies], names=["replicate", "strategy"]
        )
        return pd.DataFrame({m: v.ravel() for m, v in stacked.items()}, index=idx)

    def summary(self) -> pd.DataFrame:
        """One row per strategy and, with R > 1, ``<metric>_lo``/``_hi``: the 5th and 95th
        percentiles across replicates (see :func:`summary_frame`)."""
        return summary_frame(self._stack(), self.strategies)

    @staticmethod
    def _unbounded_costs(metric: str, stacked: dict[str, np.ndarray]) -> np.ndarray:
        return unbounded_costs(metric, stacked)

    def cpi_win_matrix(self, metric: str = "cpi_usd") -> pd.DataFrame:
        """Share of paired replicates in which the row strategy has a lower ``metric`` than the
        column strategy. A replicate in which a strategy spent without installs counts as an
        unbounded CPI (any strategy with installs beats it); one without a value at all counts
        as not lower."""
        import pandas as pd

        v = self._unbounded_costs(metric, self._stack())
        a, b = v[:, :, None], v[:, None, :]
        with np.errstate(invalid="ignore"):
            wins = (a < b).mean(axis=0)
        np.fill_diagonal(wins, np.nan)
        return pd.DataFrame(wins, index=self.strategies, columns=self.strategies)

    def confidence(self, metric: str = "cpi_usd") -> Confidence:
        """How sure the ranking by ``metric`` (``cpi_usd`` or ``icpi_usd``) is: each strategy's
        P(best) and the paired replicates needed to separate each pair (see
        :mod:`adsim.confidence`)."""
        from .confidence import confidence_from_metrics

        return confidence_from_metrics(self._stack(), self.strategies, metric, self.seed)

    def verdict(self, metric: str | None = None) -> Verdict:
        """The planner's answer: which strategy to pick, or which are tied (see
        :mod:`adsim.verdict`); by ``metric`` (default: the run's ``rank_by``)."""
        from .verdict import verdict_from

        metric = metric or self.rank_by
        stacked = self._stack()
        summary = summary_frame(stacked, self.strategies)
        nan = np.full(len(self.strategies), np.nan)
        lo = summary[f"{metric}_lo"].to_numpy() if f"{metric}_lo" in summary else nan
        hi = summary[f"{metric}_hi"].to_numpy() if f"{metric}_hi" in summary else nan
        return verdict_from(
            self.confidence(metric),
            lo,
            hi,
            self.cpi_win_matrix(metric).to_numpy(),
            summary["budget_used"].to_numpy(dtype=float),
        )

    def audience_overlap(self) -> pd.DataFrame:
        """Share of the row strategy's audience also in the column strategy's (mean over
        replicates: each replicate draws its own population)."""
        import pandas as pd

        mean = np.mean([r.audience_overlap for r in self.records], axis=0)
        return pd.DataFrame(mean, index=self.strategies, columns=self.strategies)

    def timeseries(self) -> pd.DataFrame:
        """Tidy daily series: one row per (replicate, strategy, day); counts (impressions,
        installs, people reached, ...) as whole numbers, spend in USD."""
        import pandas as pd

        frames = []
        for r, rec in enumerate(self.records):
            k = rec.scale
            n_days, n_strat = rec.reach_cum.shape
            d = rec.daily
            cols = {
                "replicate": np.full(n_days * n_strat, r),
                "strategy": np.tile(rec.strategy_names, n_days),
                "day": np.repeat(np.arange(n_days), n_strat),
                "spend_usd": (d["spend_sim_usd"] * k).ravel(),
                "auctions": (d["auctions"] * k).ravel(),
                "impressions": (d["impressions"] * k).ravel(),
                "clicks": (d["clicks"] * k).ravel(),
                "installs": ((d["installs_click"] + d["installs_view"]) * k).ravel(),
                "incremental_installs": ((rec.installs_with - rec.installs_without) * k).ravel(),
                "installs_world": (rec.installs_with * k).ravel(),
                "installs_without": (rec.installs_without * k).ravel(),
                "reach_cum": (rec.reach_cum * k).ravel(),
            }
            if rec.platform_slots is not None:
                per_day = rec.platform_slots["sessions"].shape[0] // n_days
                ps = {k: v.reshape(n_days, per_day) for k, v in rec.platform_slots.items()}
                ads = ps["ad_slots"].sum(axis=1)
                cpm_sum = np.where(ps["ad_slots"] > 0, ps["market_cpm_usd"] * ps["ad_slots"], 0)
                market = np.divide(
                    cpm_sum.sum(axis=1), ads, out=np.full(n_days, np.nan), where=ads > 0
                )
                cols["sessions"] = np.repeat(ps["sessions"].sum(axis=1) * k, n_strat)
                cols["market_cpm_usd"] = np.repeat(market, n_strat)
            frames.append(pd.DataFrame(cols))
        series = pd.concat(frames, ignore_index=True)
        counts = [c for c in series.columns if c in COUNT_COLUMNS]
        series[counts] = series[counts].round().astype("int64")  # whole people and events
        return self._with_dates(series, "day", 24.0)

    def _with_dates(self, frame: pd.DataFrame, column: str, hours_each: float) -> pd.DataFrame:
        """Add a ``date`` column (the day's date, or the slot's start as date and time)
        after ``column`` when the scenario's calendar has a start date."""
        import pandas as pd

        cal = self.scenario.calendar
        if cal is None or cal.start_date is None:
            return frame
        start = pd.Timestamp(cal.start_date)
        when = start + pd.to_timedelta(frame[column] * hours_each, unit="h")
        frame.insert(
            frame.columns.get_loc(column) + 1, "date", when if hours_each < 24 else when.dt.date
        )
        return frame

    def hourly(self) -> pd.DataFrame:
        """Tidy per-slot series of the paid strategies: one row per (replicate, strategy,
        slot), with the slot's start hour, spend_usd, auctions, impressions, clicks, and the
        platform's sessions and the rest of the market's mean competing eCPM in that slot."""
        import pandas as pd

        frames = []
        for r, rec in enumerate(self.records):
            if rec.slots is None or rec.platform_slots is None:
                continue
            k = rec.scale
            n_slots, n_strat = rec.slots["impressions"].shape
            slot_h = self.scenario.slot_h
            cols = {
                "replicate": np.full(n_slots * n_strat, r),
                "strategy": np.tile(rec.strategy_names[:n_strat], n_slots),
                "slot": np.repeat(np.arange(n_slots), n_strat),
                "hour": np.repeat(np.arange(n_slots) * slot_h, n_strat),
                "spend_usd": (rec.slots["spend_sim_usd"] * k).ravel(),
                "auctions": (rec.slots["auctions"] * k).ravel(),
                "impressions": (rec.slots["impressions"] * k).ravel(),
                "clicks": (rec.slots["clicks"] * k).ravel(),
                "sessions": np.repeat(rec.platform_slots["sessions"] * k, n_strat),
                "market_cpm_usd": np.repeat(rec.platform_slots["market_cpm_usd"], n_strat),
            }
            frames.append(pd.DataFrame(cols))
        series = pd.concat(frames, ignore_index=True)
        counts = [c for c in series.columns if c in COUNT_COLUMNS]
        series[counts] = series[counts].round().astype("int64")
        return self._with_dates(series, "slot", self.scenario.slot_h)

    def events(self) -> pd.DataFrame:
        """The calendar's event airings: one row per airing with its event, kind, topic,
        start and end hour of the run (and dates with a start date); empty without events."""
        import pandas as pd

        from .params import to_params

        p = to_params(self.scenario)
        cal = p.calendar
        cols = ["event", "kind", "topic", "start_h", "end_h"]
        if cal is None or not len(cal.airing_event):
            return pd.DataFrame(columns=cols)
        topics = p.topic_names
        e = cal.airing_event
        frame = pd.DataFrame({
            "event": [cal.event_names[i] for i in e],
            "kind": [cal.event_kinds[i] for i in e],
            "topic": [topics[cal.event_topic[i]] if cal.event_topic[i] >= 0 else "" for i in e],
            "start_h": cal.airing_start_h,
            "end_h": cal.airing_end_h,
        })  # fmt: skip
        if cal.start_date is not None:
            start = pd.Timestamp(cal.start_date)
            frame["start"] = start + pd.to_timedelta(frame["start_h"], unit="h")
            frame["end"] = start + pd.to_timedelta(frame["end_h"], unit="h")
        return frame

    def breakdown(self, by: str = "region") -> pd.DataFrame:
        """Delivery by ``by`` (age band of the scenario, region or device): one row per
        (strategy, group) with impressions, reach, spend_usd and attributed installs (replicate
        means), cpi_usd = mean spend / mean installs, and with replicates > 1 the 90% range of
        each across replicates (``<metric>_lo``/``_hi``)."""
        import pandas as pd

        if by not in DIMENSIONS:
            raise ValueError(f"unknown breakdown {by!r}; choose from {', '.join(DIMENSIONS)}")
        labels = self.records[0].breakdowns[by][0]
        per = {  # metric -> (replicates, strategies, groups)
            m: np.stack([r.breakdowns[by][1][m] * r.scale for r in self.records])
            for m in BREAKDOWN_METRICS
        }
        per["cpi_usd"] = ratio(per["spend_sim_usd"], per["installs"])
        names = {"spend_sim_usd": "spend_usd"}
        cols: dict[str, np.ndarray] = {
            "strategy": np.repeat(self.strategies, len(labels)),
            by: np.tile(labels, len(self.strategies)),
        }
        with warnings.catch_warnings():  # a group with no installs in any replicate: NaN
            warnings.simplefilter("ignore", RuntimeWarning)
            for m, v in per.items():
                name = names.get(m, m)
                if m == "cpi_usd":
                    mean = ratio(per["spend_sim_usd"].mean(axis=0), per["installs"].mean(axis=0))
                else:
                    mean = v.mean(axis=0)
                cols[name] = mean.ravel()
                if self.replicates > 1:
                    lo, hi = np.nanquantile(v, INTERVAL, axis=0)
                    cols[f"{name}_lo"], cols[f"{name}_hi"] = lo.ravel(), hi.ravel()
        return pd.DataFrame(cols).set_index("strategy")

    def breakdowns(self) -> pd.DataFrame:
        """Every breakdown in one frame indexed by strategy: ``dimension`` (age, region,
        device), ``group`` and the columns of :meth:`breakdown` (what breakdown.csv holds)."""
        import pandas as pd

        parts = [
            self.breakdown(by).rename(columns={by: "group"}).assign(dimension=by)
            for by in DIMENSIONS
        ]
        frame = pd.concat(parts)
        return frame[["dimension", *[c for c in frame.columns if c != "dimension"]]]

    def install_sources(self) -> pd.DataFrame:
        """What caused the installs in each strategy's world (replicate means, real installs):
        its ads, brand posts, shares of them, or the baseline (people who install anyway);
        and ``credited_not_caused``, installs attribution credits to the strategy that its ads
        did not cause. For organic tactics, the tactic's world (ads: none)."""
        import pandas as pd

        from .engine.recorder import INSTALL_SOURCES

        mean = np.mean([r.install_sources * r.scale for r in self.records], axis=0)
        return pd.DataFrame(
            mean, index=pd.Index(self.strategies, name="strategy"), columns=INSTALL_SOURCES
        )

    def posts(self) -> pd.DataFrame:
        """One row per organic post and replicate (empty without the feed): who posted it,
        when, and what it did. Counts are real people and events (agents x scale);
        ``page_followers`` is the account's followers when it was posted; ``reach_share_24h``
        the share of its followers (at posting or gained within 24 h) who saw it within 24 h
        (empty for posts less than 24 h before the run's end);
        ``shares`` is its cascade's size and ``cascade_depth`` its longest chain of shares."""
        import pandas as pd

        from .kernels.feed import POST_COUNTERS

        frames = []
        for r, rec in enumerate(self.records):
            f = rec.feed
            if f is None:
                continue
            c = {name: f.post_counters[:, k] for k, name in enumerate(POST_COUNTERS)}
            k = rec.scale
            tactic = np.array(["(standing)", *f.tactic_names], dtype=object)[f.post_tactic + 1]
            followers = f.post_page_followers
            frames.append(
                pd.DataFrame(
                    {
                        "replicate": r,
                        "post": np.arange(len(f.post_time_h)),
                        "account": f.post_account,
                        "tactic": tactic,
                        "time_h": f.post_time_h,
                        "page_followers": followers * k,
                        "views": c["views"] * k,
                        "reach": f.post_reach * k,
                        # Only posts whose first 24 h lie inside the run have a full window
                        # (post_followers_24h is -1 for the others).
                        "reach_share_24h": ratio(c["follower_views_24h"], f.post_followers_24h),
                        "likes": c["likes"] * k,
                        "shares": c["shares"] * k,
                        "cascade_depth": c["max_depth"],
                        "link_clicks": c["link_clicks"] * k,
                        "installs": c["installs"] * k,
                        "engagement_rate": ratio(c["likes"] + c["shares"], c["views"]),
                        "follows": c["follows"] * k,
                        "hides": c["hides"] * k,
                    }
                )
            )
        if not frames:
            return pd.DataFrame(columns=list(POST_COLUMNS))
        return pd.concat(frames, ignore_index=True)

    def followers(self) -> pd.DataFrame:
        """Followers each account gained and lost per day (real people, per replicate), in
        the organic baseline's world and in each strategy's and tactic's world: follows from
        views (and the paid halo), unfollows from fatigue. ``followers`` is the count at the
        day's end. Empty without the feed."""
        import pandas as pd

        frames = []
        for r, rec in enumerate(self.records):
            f = rec.feed
            if f is None or rec.exposure_world is None:
                continue
            k = rec.scale
            columns = zip(rec.strategy_names, rec.exposure_world.tolist(), strict=True)
            worlds = [("(baseline)", 0), *columns]
            days = f.followers_daily.shape[1]
            for name, x in worlds:
                for a, handle in enumerate(f.account_handles):
                    gained = f.followers_daily[x, :, a, 0] * k
                    lost = f.followers_daily[x, :, a, 1] * k
                    frames.append(
                        pd.DataFrame(
                            {
                                "replicate": r,
                                "world": name,
                                "account": handle,
                                "day": np.arange(days),
                                "gained": gained,
                                "lost": lost,
                                "followers": f.account_followers[a] * k + np.cumsum(gained - lost),
                            }
                        )
                    )
        if not frames:
            return pd.DataFrame(columns=list(FILES["followers.csv"][1]))
        return pd.concat(frames, ignore_index=True)

    def plot(self, kind: str = "cpi") -> Figure:
        """One of the report's charts as a matplotlib Figure (a notebook shows it inline):
        ``cpi``, ``wins``, ``daily``, ``reach``, ``audience`` or ``breakdown:<age|region|device>``.
        """
        from .report import plots

        names = self.strategies
        charts = {
            "cpi": lambda: plots.cpi_chart(self.summary()),
            "wins": lambda: plots.win_matrix_chart(self.cpi_win_matrix()),
            "daily": lambda: plots.daily_chart(self.timeseries(), names),
            "reach": lambda: plots.reach_chart(self.timeseries(), names),
            "audience": lambda: plots.audience_chart(self.summary(), self.audience_overlap()),
        }
        charts.update(
            {f"breakdown:{by}": (lambda by=by: plots.breakdown_chart(self.breakdown(by), by))
             for by in DIMENSIONS}
        )  # fmt: skip
        if kind not in charts:
            raise ValueError(f"unknown plot {kind!r}; choose from {', '.join(charts)}")
        return charts[kind]()

    def report(self, path: str | Path) -> Path:
        """Write a one-file HTML report (tables, plots, assumptions) to ``path``."""
        from .report import ReportData, write_report

        return write_report(ReportData.from_result(self), path)

    def manifest(self, command: str | None = None) -> dict:
        """What produced these results: scenario, seed, replicates, command, versions, when."""
        import datetime

        return {
            "scenario": self.scenario.name,
            "scenario_sha256": self.scenario.digest(),
            "seed": self.seed,
            "replicates": self.replicates,
            "strategies": self.strategies,
            "verdict": self.verdict().to_dict(),
            "ranking": self._ranking_manifest(),
            "command": command,
            "created_utc": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            "versions": versions(),
        }

    def _ranking_manifest(self) -> dict:
        """P(best) per strategy and the replicates needed per pair, by the run's metric."""
        conf = self.confidence(self.rank_by)

        def num(x: float) -> float | None:
            return None if not np.isfinite(x) else round(float(x), 4)

        return {
            "metric": conf.metric,
            "leader": conf.leader,
            "p_best": {s: num(v) for s, v in zip(conf.strategies, conf.p_best, strict=True)},
            "replicates_needed": {
                a: {
                    b: num(conf.replicates_needed[i, j])
                    for j, b in enumerate(conf.strategies)
                    if i != j
                }
                for i, a in enumerate(conf.strategies)
            },
            "stopping": self.stopping,
        }

    def save(
        self, out_dir: str | Path, overwrite: bool = False, command: str | None = None
    ) -> Path:
        """Write the files of ``OUTPUT_FILES`` to ``out_dir`` (see :func:`outputs.save_result`:
        a new or empty folder unless ``overwrite``; whole results or none)."""
        return save_result(self, out_dir, overwrite, command)

    def summary_csv(self) -> str:
        """summary.csv's text, at the precision of :func:`for_output`."""
        return for_output(self.summary()).to_csv()

    def to_json(self, command: str | None = None) -> dict:
        """The summary as JSON-ready data: ``{"metadata": manifest, "summary": [rows]}``."""
        rows = json.loads(for_output(self.summary()).reset_index().to_json(orient="records"))
        return {"metadata": self.manifest(command), "summary": rows}
