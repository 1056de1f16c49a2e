"""Per-strategy metrics of a replicate, and their summary over replicates.

Counts in a record are in simulated agents; metrics are in real-world units: counts and spend
times the population's ``scale`` (real people per agent); rates and unit costs are scale-free.
Shared by :class:`adsim.Result` and the sweeps (which keep only these numbers per run).
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

import numpy as np

from .engine import RunRecord
from .segments import platform_round

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "COSTS_PER_UNIT",
    "INTERVAL",
    "METRICS",
    "learning_exit_day",
    "quantiles",
    "ratio",
    "record_metrics",
    "summary_frame",
    "unbounded_costs",
]

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
    "cpi_platform_usd": ("spend_usd", "installs_platform", 1.0),
    "cpi_mmp_usd": ("spend_usd", "installs_mmp", 1.0),
}
COSTS_PER_UNIT = ("cpm_usd", "cpc_usd", "cpi_usd", "icpi_usd", "cpi_platform_usd", "cpi_mmp_usd")
METRICS = (
    "audience_size", "spend_usd", "auctions", "win_rate", "impressions", "reach", "frequency",
    "clicks", "ctr", "installs", "installs_click", "installs_view", "cvr", "cpm_usd", "cpc_usd",
    "cpi_usd", "incremental_installs", "icpi_usd", "budget_used", "learning_exit_day",
    "followers_gained", "engagements", "installs_platform", "cpi_platform_usd", "installs_mmp",
    "cpi_mmp_usd",
)  # fmt: skip


def quantiles(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The INTERVAL percentiles over replicates (axis 0), ignoring NaN; an interpolation that
    touches an unbounded (+inf) value is unbounded (numpy would give NaN: inf - inf)."""
    huge = 1e300
    q = np.nanquantile(np.where(np.isposinf(values), huge, values), INTERVAL, axis=0)
    q = np.where(q > 1e200, np.inf, q)  # no real cost comes near; any weight on huge does
    return q[0], q[1]


def ratio(num: np.ndarray, den: np.ndarray, times: float = 1.0) -> np.ndarray:
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
    # What the ad manager and the MMP count (engine.measurement); all of it without privacy.
    if rec.installs_tracked is None:
        on_platform = on_mmp = installs
    else:
        on_mmp = (rec.installs_tracked + rec.installs_skan) * k
        on_platform = on_mmp + rec.installs_modelled * k
    return {
        "audience_size": np.array(
            [platform_round(a * k) for a in rec.audience_agents], dtype=float
        ),
        "spend_usd": spend,
        "auctions": auctions,
        "win_rate": ratio(impressions, auctions),
        "impressions": impressions,
        "reach": reach,
        "frequency": ratio(impressions, reach),
        "clicks": clicks,
        "ctr": ratio(clicks, impressions),
        "installs": installs,
        "installs_click": inst_click,
        "installs_view": inst_view,
        "cvr": ratio(inst_click, clicks),
        "cpm_usd": ratio(spend, impressions, 1000.0),
        "cpc_usd": ratio(spend, clicks),
        "cpi_usd": ratio(spend, installs),
        "incremental_installs": incremental,
        "icpi_usd": np.where(incremental > 0, ratio(spend, incremental), np.nan),
        "budget_used": ratio(spend, rec.budget_total_usd),
        "learning_exit_day": learning_exit_day(rec),
        "followers_gained": _organic(rec.followers_gained, spend) * k,
        "engagements": _organic(rec.engagements, spend) * k,
        "installs_platform": on_platform,
        "cpi_platform_usd": ratio(spend, on_platform),
        "installs_mmp": on_mmp,
        "cpi_mmp_usd": ratio(spend, on_mmp),
    }


def _organic(values: np.ndarray | None, like: np.ndarray) -> np.ndarray:
    """An organic effect per strategy, zero without the feed."""
    return np.zeros_like(like) if values is None else values


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
                cols[m] = ratio(means[num], means[den], times)
                if m == "icpi_usd":
                    cols[m] = np.where(means[den] > 0, cols[m], np.nan)
            else:
                cols[m] = means[m]
            if m == "audience_size":  # report the mean as a platform would: rounded
                cols[m] = np.array([platform_round(x) for x in np.nan_to_num(cols[m])], dtype=float)
            if replicates > 1:
                cols[f"{m}_lo"], cols[f"{m}_hi"] = quantiles(unbounded_costs(m, stacked))
    return pd.DataFrame(cols, index=pd.Index(strategies, name="strategy"))
