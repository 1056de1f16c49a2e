"""Run results: per-strategy metrics, replicate intervals and daily time series.

Counts in a record are in simulated agents; reported counts and spend are multiplied by the
population's ``scale`` (real people per agent), rates and unit costs are scale-free.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .breakdown import BREAKDOWN_METRICS, DIMENSIONS
from .columns import COUNT_COLUMNS, FILES
from .engine import RunRecord
from .scenario import Scenario
from .segments import platform_round

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

    from .confidence import Confidence
    from .verdict import Verdict

__all__ = [
    "INTERVAL",
    "METRICS",
    "OUTPUT_FILES",
    "Result",
    "for_output",
    "record_metrics",
    "summary_frame",
]

OUTPUT_FILES = (
    "summary.csv",
    "timeseries.parquet",
    "breakdown.csv",
    "win_matrix.csv",
    "audience_overlap.csv",
    "posts.csv",
    "install_sources.csv",
    "followers.csv",
    "scenario.json",
    "manifest.json",
)  # manifest last
POST_COLUMNS = tuple(FILES["posts.csv"][1])
INTERVAL = (0.05, 0.95)  # a 90% interval: the 5th and 95th percentiles across replicates
# Summary rates and unit costs: (numerator, denominator, factor) over replicate means.
RATIO_OF_MEANS = {
    "win_rate": ("impressions", "auctions", 1.0),
    "frequency": ("impressions", "reach", 1.0),
    "ctr": ("clicks", "impressions", 1.0),
    "cvr": ("installs_click", "clicks", 1.0),
    "cpm_usd": ("spend_usd", "impressions", 1000.0),
    "cpc_usd": ("spend_usd", "clicks", 1.0),
    "cpi_usd": ("spend_usd", "installs", 1.0),
    "icpi_usd": ("spend_usd", "incremental_installs", 1.0),
}
COSTS_PER_UNIT = ("cpm_usd", "cpc_usd", "cpi_usd", "icpi_usd")
METRICS = (
    "audience_size", "spend_usd", "auctions", "win_rate", "impressions", "reach", "frequency",
    "clicks", "ctr", "installs", "installs_click", "installs_view", "cvr", "cpm_usd", "cpc_usd",
    "cpi_usd", "incremental_installs", "icpi_usd", "budget_used", "learning_exit_day",
    "followers_gained", "engagements",
)  # fmt: skip


def _quantiles(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The INTERVAL percentiles over replicates (axis 0), ignoring NaN; an interpolation that
    touches an unbounded (+inf) value is unbounded (numpy would give NaN: inf - inf)."""
    huge = 1e300
    q = np.nanquantile(np.where(np.isposinf(values), huge, values), INTERVAL, axis=0)
    q = np.where(q > 1e200, np.inf, q)  # no real cost comes near; any weight on huge does
    return q[0], q[1]


def _ratio(num: np.ndarray, den: np.ndarray, times: float = 1.0) -> np.ndarray:
    """num / den, NaN where the denominator is zero (e.g. CPI with no installs)."""
    num, den = np.asarray(num, dtype=np.float64), np.asarray(den, dtype=np.float64)
    return np.divide(num * times, den, out=np.full(num.shape, np.nan), where=den > 0)


def learning_exit_day(rec: RunRecord) -> np.ndarray:
    """Per strategy, the first day (0-based) by whose end the platform had received
    ``learning_installs`` real installs within the last ``learning_days`` days (the learning
    phase as Meta defines it, on what the platform is told); NaN if it never left it."""
    if rec.platform_installs is not None:
        daily = rec.platform_installs  # (D, S) real installs received
    else:
        daily = (rec.daily["installs_click"] + rec.daily["installs_view"]) * rec.scale
    cum = np.vstack([np.zeros((1, daily.shape[1])), np.cumsum(daily, axis=0)])
    days = np.arange(daily.shape[0])
    window = cum[days + 1] - cum[np.maximum(0, days + 1 - rec.learning_days)]
    done = window >= rec.learning_installs
    day = np.where(done.any(axis=0), done.argmax(axis=0), np.nan)
    day[rec.n_paid :] = np.nan  # organic tactics have no learning phase
    return day


def record_metrics(rec: RunRecord) -> dict[str, np.ndarray]:
    """Per-strategy metrics of one replicate, in real-world units."""
    k = rec.scale
    d = rec.daily
    spend = d["spend_sim_usd"].sum(axis=0) * k
    auctions = d["auctions"].sum(axis=0) * k
    impressions = d["impressions"].sum(axis=0) * k
    clicks = d["clicks"].sum(axis=0) * k
    inst_click = d["installs_click"].sum(axis=0) * k
    inst_view = d["installs_view"].sum(axis=0) * k
    installs = inst_click + inst_view
    reach = rec.reach_cum[-1] * k
    incremental = (rec.installs_with - rec.installs_without).sum(axis=0) * k
    return {
        "audience_size": np.array(
            [platform_round(a * k) for a in rec.audience_agents], dtype=float
        ),
        "spend_usd": spend,
        "auctions": auctions,
        "win_rate": _ratio(impressions, auctions),
        "impressions": impressions,
        "reach": reach,
        "frequency": _ratio(impressions, reach),
        "clicks": clicks,
        "ctr": _ratio(clicks, impressions),
        "installs": installs,
        "installs_click": inst_click,
        "installs_view": inst_view,
        "cvr": _ratio(inst_click, clicks),
        "cpm_usd": _ratio(spend, impressions, 1000.0),
        "cpc_usd": _ratio(spend, clicks),
        "cpi_usd": _ratio(spend, installs),
        "incremental_installs": incremental,
        "icpi_usd": np.where(incremental > 0, _ratio(spend, incremental), np.nan),
        "budget_used": _ratio(spend, rec.budget_total_usd),
        "learning_exit_day": learning_exit_day(rec),
        "followers_gained": _organic(rec.followers_gained, spend) * k,
        "engagements": _organic(rec.engagements, spend) * k,
    }


def _organic(values: np.ndarray | None, like: np.ndarray) -> np.ndarray:
    """An organic effect per strategy, zero without the feed."""
    return np.zeros_like(like) if values is None else values


def versions() -> dict[str, str]:
    """Versions of adsim and the libraries that decide its numbers, for manifests."""
    import platform

    import numba
    import pandas as pd

    from . import __version__

    return {
        "adsim": __version__,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "numba": numba.__version__,
        "pandas": pd.__version__,
    }


def unbounded_costs(metric: str, stacked: dict[str, np.ndarray]) -> np.ndarray:
    """Per-replicate values of ``metric`` where a cost per unit with spend but no units is
    +inf (unbounded), not missing: it ranks last, as it should."""
    v = stacked[metric]
    if metric not in COSTS_PER_UNIT:
        return np.where(np.isfinite(v), v, np.nan)
    spent = stacked["spend_usd"] > 0
    return np.where(np.isnan(v) & spent, np.inf, v)


def summary_frame(stacked: dict[str, np.ndarray], strategies: list[str]) -> pd.DataFrame:
    """One row per strategy from per-replicate metrics (metric -> (replicates, strategies)),
    with ``<metric>_lo``/``_hi`` (the 5th and 95th percentiles) when there are several.

    Counts are replicate means. Rates and unit costs are ratios of those means (CPI = mean
    spend / mean installs): a mean of per-replicate CPIs would drop the replicates without
    installs and make a tactic that rarely converts look cheap. In the ranges such a
    replicate's cost per install is unbounded (shown as ∞).
    """
    import pandas as pd

    replicates = next(iter(stacked.values())).shape[0]
    means: dict[str, np.ndarray] = {}
    cols: dict[str, np.ndarray] = {}
    # All-NaN columns (a strategy with no installs in any replicate) stay NaN, quietly.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for m, v in stacked.items():
            finite = np.where(np.isfinite(v), v, np.nan)
            means[m] = np.nanmean(finite, axis=0)
        for m in stacked:
            if m in RATIO_OF_MEANS:
                num, den, times = RATIO_OF_MEANS[m]
                cols[m] = _ratio(means[num], means[den], times)
                if m == "icpi_usd":
                    cols[m] = np.where(means[den] > 0, cols[m], np.nan)
            else:
                cols[m] = means[m]
            if m == "audience_size":  # report the mean as a platform would: rounded
                cols[m] = np.array([platform_round(x) for x in np.nan_to_num(cols[m])], dtype=float)
            if replicates > 1:
                cols[f"{m}_lo"], cols[f"{m}_hi"] = _quantiles(unbounded_costs(m, stacked))
    return pd.DataFrame(cols, index=pd.Index(strategies, name="strategy"))


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
                "reach_cum": (rec.reach_cum * k).ravel(),
            }
            frames.append(pd.DataFrame(cols))
        series = pd.concat(frames, ignore_index=True)
        counts = [c for c in series.columns if c in COUNT_COLUMNS]
        series[counts] = series[counts].round().astype("int64")  # whole people and events
        return series

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
        per["cpi_usd"] = _ratio(per["spend_sim_usd"], per["installs"])
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
                    mean = _ratio(per["spend_sim_usd"].mean(axis=0), per["installs"].mean(axis=0))
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
                        "reach_share_24h": _ratio(c["follower_views_24h"], f.post_followers_24h),
                        "likes": c["likes"] * k,
                        "shares": c["shares"] * k,
                        "cascade_depth": c["max_depth"],
                        "link_clicks": c["link_clicks"] * k,
                        "installs": c["installs"] * k,
                        "engagement_rate": _ratio(c["likes"] + c["shares"], c["views"]),
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

    def summary_csv(self) -> str:
        """summary.csv's text, at the precision of :func:`for_output`."""
        return for_output(self.summary()).to_csv()

    def to_json(self, command: str | None = None) -> dict:
        """The summary as JSON-ready data: ``{"metadata": manifest, "summary": [rows]}``."""
        rows = json.loads(for_output(self.summary()).reset_index().to_json(orient="records"))
        return {"metadata": self.manifest(command), "summary": rows}

    def save(
        self, out_dir: str | Path, overwrite: bool = False, command: str | None = None
    ) -> Path:
        """Write the files of ``OUTPUT_FILES`` to ``out_dir`` (docs/outputs.md describes each
        column); ``command`` is recorded in the manifest.

        ``out_dir`` must be new or empty unless ``overwrite``; then adsim's files there are
        replaced and nothing else is touched. Everything is written to a temporary folder
        first: a new ``out_dir`` appears whole, an existing one gets its files one by one with
        the manifest last. Raises ``FileExistsError`` if ``out_dir`` is a file or, without
        ``overwrite``, a non-empty folder.
        """
        out = Path(out_dir)
        if out.exists() and not out.is_dir():
            raise FileExistsError(f"{out} exists and is not a directory")
        if out.is_dir() and not overwrite and any(out.iterdir()):
            raise FileExistsError(f"{out} is not empty (pass overwrite=True to replace files)")
        out.parent.mkdir(parents=True, exist_ok=True)
        # mkdir, not mkdtemp: the folder gets the user's normal permissions (umask), not 0700.
        tmp = out.parent / f".{out.name}.{os.getpid()}.{secrets.token_hex(4)}.partial"
        tmp.mkdir()
        try:
            (tmp / "summary.csv").write_text(self.summary_csv())
            self.timeseries().to_parquet(tmp / "timeseries.parquet", index=False)
            breakdowns = self.breakdowns().reset_index()
            order = [
                "dimension",
                "strategy",
                *[c for c in breakdowns if c not in ("dimension", "strategy")],
            ]
            for_output(breakdowns[order]).to_csv(tmp / "breakdown.csv", index=False)
            self.cpi_win_matrix().to_csv(
                tmp / "win_matrix.csv", index_label="strategy", float_format="%.4g"
            )
            self.audience_overlap().to_csv(
                tmp / "audience_overlap.csv", index_label="strategy", float_format="%.4g"
            )
            for_output(self.posts()).to_csv(tmp / "posts.csv", index=False)
            for_output(self.install_sources()).to_csv(tmp / "install_sources.csv")
            for_output(self.followers()).to_csv(tmp / "followers.csv", index=False)
            scenario = self.scenario.model_dump(mode="json", by_alias=True)
            (tmp / "scenario.json").write_text(json.dumps(scenario, indent=2) + "\n")
            manifest = self.manifest(command)
            (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
            if out.exists():
                for name in OUTPUT_FILES:
                    os.replace(tmp / name, out / name)
                tmp.rmdir()
            else:
                os.replace(tmp, out)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return out


def for_output(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` at the precision files show: counts of real people and events (means over
    replicates) as whole numbers, money in cents, other values to 6 significant digits.
    Empty values (a CPI without installs) stay empty."""
    frame = frame.copy()
    for col in frame.columns:
        base = col.removesuffix("_lo").removesuffix("_hi")
        if base in COUNT_COLUMNS:
            frame[col] = frame[col].round().astype("Int64")
        elif base.endswith("_usd"):
            frame[col] = frame[col].round(2)
        elif frame[col].dtype.kind == "f":
            frame[col] = _significant(frame[col].to_numpy(), 6)
    return frame


def _significant(values: np.ndarray, digits: int) -> np.ndarray:
    """``values`` rounded to ``digits`` significant digits (zeros and NaN unchanged)."""
    out = values.astype(np.float64).copy()
    ok = np.isfinite(out) & (out != 0)
    magnitude = np.floor(np.log10(np.abs(out[ok])))
    factor = 10.0 ** (digits - 1 - magnitude)
    out[ok] = np.round(out[ok] * factor) / factor
    return out
