"""Run results: per-strategy metrics, replicate intervals and daily time series.

Counts in a record are in simulated agents; reported counts and spend are multiplied by the
population's ``scale`` (real people per agent), rates and unit costs are scale-free.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .breakdown import BREAKDOWN_METRICS, DIMENSIONS
from .engine import RunRecord
from .scenario import Scenario
from .segments import platform_round

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["INTERVAL", "METRICS", "OUTPUT_FILES", "Result"]

OUTPUT_FILES = (
    "summary.csv",
    "timeseries.parquet",
    "breakdown.csv",
    "win_matrix.csv",
    "audience_overlap.csv",
    "scenario.json",
    "manifest.json",
)  # manifest last
INTERVAL = (0.05, 0.95)  # a 90% interval: the 5th and 95th percentiles across replicates
METRICS = (
    "audience_size", "spend_usd", "auctions", "win_rate", "impressions", "reach", "frequency",
    "clicks", "ctr", "installs", "installs_click", "installs_view", "cvr", "cpm_usd", "cpc_usd",
    "cpi_usd", "incremental_installs", "icpi_usd", "budget_used", "learning_exit_day",
)  # fmt: skip


def _ratio(num: np.ndarray, den: np.ndarray, times: float = 1.0) -> np.ndarray:
    """num / den, NaN where the denominator is zero (e.g. CPI with no installs)."""
    num, den = np.asarray(num, dtype=np.float64), np.asarray(den, dtype=np.float64)
    return np.divide(num * times, den, out=np.full(num.shape, np.nan), where=den > 0)


def learning_exit_day(rec: RunRecord) -> np.ndarray:
    """Per strategy, the first day (0-based) by whose end the platform had seen
    ``learning_installs`` real attributed installs within the last ``learning_days`` days (the
    learning phase as Meta defines it); NaN if it never left it."""
    daily = (rec.daily["installs_click"] + rec.daily["installs_view"]) * rec.scale  # (D, S)
    cum = np.vstack([np.zeros((1, daily.shape[1])), np.cumsum(daily, axis=0)])
    days = np.arange(daily.shape[0])
    window = cum[days + 1] - cum[np.maximum(0, days + 1 - rec.learning_days)]
    done = window >= rec.learning_installs
    return np.where(done.any(axis=0), done.argmax(axis=0), np.nan)


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
    }


@dataclass
class Result:
    """The outcome of :func:`adsim.run`: one :class:`RunRecord` per replicate."""

    scenario: Scenario
    seed: int
    records: list[RunRecord]

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
        """One row per strategy: replicate means, and ``<metric>_lo``/``_hi`` (90%) if R > 1."""
        import pandas as pd

        stacked = self._stack()
        cols: dict[str, np.ndarray] = {}
        # All-NaN columns (a strategy with no installs in any replicate) stay NaN, quietly.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            for m, v in stacked.items():
                finite = np.where(np.isfinite(v), v, np.nan)
                cols[m] = np.nanmean(finite, axis=0)
                if m == "audience_size":  # report the mean as a platform would: rounded
                    cols[m] = np.array(
                        [platform_round(x) for x in np.nan_to_num(cols[m])], dtype=float
                    )
                if self.replicates > 1:
                    cols[f"{m}_lo"], cols[f"{m}_hi"] = np.nanquantile(finite, INTERVAL, axis=0)
        return pd.DataFrame(cols, index=pd.Index(self.strategies, name="strategy"))

    def cpi_win_matrix(self, metric: str = "cpi_usd") -> pd.DataFrame:
        """Share of paired replicates in which the row strategy has a lower ``metric`` than the
        column strategy (a replicate where either has no value counts as not lower)."""
        import pandas as pd

        v = self._stack()[metric]
        a, b = v[:, :, None], v[:, None, :]
        with np.errstate(invalid="ignore"):
            wins = (a < b).mean(axis=0)
        np.fill_diagonal(wins, np.nan)
        return pd.DataFrame(wins, index=self.strategies, columns=self.strategies)

    def audience_overlap(self) -> pd.DataFrame:
        """Share of the row strategy's audience also in the column strategy's (mean over
        replicates: each replicate draws its own population)."""
        import pandas as pd

        mean = np.mean([r.audience_overlap for r in self.records], axis=0)
        return pd.DataFrame(mean, index=self.strategies, columns=self.strategies)

    def timeseries(self) -> pd.DataFrame:
        """Tidy daily series: one row per (replicate, strategy, day)."""
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
        return pd.concat(frames, ignore_index=True)

    def breakdown(self, by: str = "region") -> pd.DataFrame:
        """Delivery by ``by`` (age, region or device): one row per (strategy, group) with
        impressions, reach, spend_usd and attributed installs (replicate means) and
        cpi_usd = mean spend / mean installs."""
        import pandas as pd

        if by not in DIMENSIONS:
            raise ValueError(f"unknown breakdown {by!r}; choose from {', '.join(DIMENSIONS)}")
        labels = self.records[0].breakdowns[by][0]
        mean = {
            m: np.mean([r.breakdowns[by][1][m] * r.scale for r in self.records], axis=0)
            for m in BREAKDOWN_METRICS
        }
        n_groups = len(labels)
        frame = pd.DataFrame(
            {
                "strategy": np.repeat(self.strategies, n_groups),
                by: np.tile(labels, len(self.strategies)),
                "impressions": mean["impressions"].ravel(),
                "reach": mean["reach"].ravel(),
                "spend_usd": mean["spend_sim_usd"].ravel(),
                "installs": mean["installs"].ravel(),
            }
        )
        frame["cpi_usd"] = _ratio(frame["spend_usd"].to_numpy(), frame["installs"].to_numpy())
        return frame

    def breakdowns(self) -> pd.DataFrame:
        """Every breakdown in one tidy frame: ``dimension`` (age, region, device), strategy,
        ``group`` and the columns of :meth:`breakdown` (what breakdown.csv holds)."""
        import pandas as pd

        parts = [self.breakdown(by).rename(columns={by: "group"}) for by in DIMENSIONS]
        frame = pd.concat(parts, keys=DIMENSIONS, names=["dimension", None])
        return frame.reset_index(level=0).reset_index(drop=True)

    def report(self, path: str | Path) -> Path:
        """Write a one-file HTML report (tables, plots, assumptions) to ``path``."""
        from .report import ReportData, write_report

        return write_report(ReportData.from_result(self), path)

    def manifest(self) -> dict:
        """What produced these results: scenario, seed, replicates, versions, when."""
        import datetime
        import platform

        import numba
        import pandas as pd

        from . import __version__

        return {
            "scenario": self.scenario.name,
            "scenario_sha256": self.scenario.digest(),
            "seed": self.seed,
            "replicates": self.replicates,
            "strategies": self.strategies,
            "created_utc": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            "versions": {
                "adsim": __version__,
                "python": platform.python_version(),
                "numpy": np.__version__,
                "numba": numba.__version__,
                "pandas": pd.__version__,
            },
        }

    def save(self, out_dir: str | Path) -> Path:
        """Write summary.csv, timeseries.parquet, breakdown.csv, win_matrix.csv (share of
        paired replicates in which the row has the lower CPI), audience_overlap.csv,
        scenario.json (the scenario with every default filled in) and manifest.json to
        ``out_dir``.

        Everything is written to a temporary folder first. A new ``out_dir`` appears whole; in an
        existing folder these files are replaced one by one (the manifest last) and nothing
        else there is touched. Raises ``FileExistsError`` if ``out_dir`` is a file.
        """

        out = Path(out_dir)
        if out.exists() and not out.is_dir():
            raise FileExistsError(f"{out} exists and is not a directory")
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
        try:
            self.summary().to_csv(tmp / "summary.csv")
            self.timeseries().to_parquet(tmp / "timeseries.parquet", index=False)
            self.breakdowns().to_csv(tmp / "breakdown.csv", index=False)
            self.cpi_win_matrix().to_csv(tmp / "win_matrix.csv", index_label="strategy")
            self.audience_overlap().to_csv(tmp / "audience_overlap.csv", index_label="strategy")
            scenario = self.scenario.model_dump(mode="json", by_alias=True)
            (tmp / "scenario.json").write_text(json.dumps(scenario, indent=2) + "\n")
            (tmp / "manifest.json").write_text(json.dumps(self.manifest(), indent=2) + "\n")
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
