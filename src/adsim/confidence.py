"""How sure a run is of its ranking: P(best) and the replicates needed to separate two strategies.

Both work on paired replicates (replicate r of every strategy shares the population and the
draws: common random numbers) and on the same cost the summary shows, a ratio of means
(CPI = total spend / total installs over replicates).

* **P(best)**: a Bayesian bootstrap (Rubin 1981): each draw re-weights the replicates with
  Dirichlet(1, ..., 1) weights and ranks the strategies by their re-weighted ratio of means;
  P(best) of a strategy is the share of draws in which it is cheapest. It is exact for the
  replicates at hand but cannot know tails it has not seen, so it is overconfident with very
  few replicates: the adaptive run never stops before ``MIN_REPLICATES``.
* **Replicates needed**: the delta method on each pair's paired, linearised costs
  (``(spend_r - cost x units_r) / mean units``) gives the standard deviation ``sd`` of one
  replicate's difference; the two costs are separated (a 95% interval of the difference
  excludes zero) once ``n >= (1.96 sd / |difference|)^2``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "AUTO_MAX_REPLICATES",
    "AUTO_THRESHOLD",
    "MIN_REPLICATES",
    "Confidence",
    "confidence_from_metrics",
    "metric_label",
    "ranking_confidence",
]

MIN_REPLICATES = 5  # fewer paired replicates than this never count as settled
# replicates="auto" runs batches until the leader's P(best) reaches AUTO_THRESHOLD (after at
# least MIN_REPLICATES replicates) or AUTO_MAX_REPLICATES have run.
AUTO_THRESHOLD = 0.9
AUTO_MAX_REPLICATES = 30
BOOTSTRAP_DRAWS = 4000
Z_SEPARATE = 1.959963984540054  # two-sided 95%
# The cost each ranking metric is a ratio of: (spend, units).
COST_UNITS = {"cpi_usd": "installs", "icpi_usd": "incremental_installs"}
METRIC_LABELS = {"cpi_usd": "CPI", "icpi_usd": "iCPI"}


def metric_label(metric: str) -> str:
    """``cpi_usd`` -> ``CPI``, ``icpi_usd`` -> ``iCPI``, as a planner writes them."""
    return METRIC_LABELS.get(metric, metric.removesuffix("_usd"))


@dataclass(frozen=True)
class Confidence:
    """The ranking by ``metric`` and how settled it is after ``replicates`` paired replicates."""

    metric: str
    replicates: int
    strategies: list[str]
    cost: np.ndarray  # (S,) ratio of means; inf: spend without units; NaN: no spend
    p_best: np.ndarray  # (S,) share of bootstrap draws in which the strategy is cheapest
    replicates_needed: np.ndarray  # (S, S) to separate row from column (NaN: cannot tell)

    @property
    def leader(self) -> str | None:
        """The strategy with the highest P(best) (among equals, the cheaper); the cheapest by
        ``metric`` with one replicate; None when no strategy has a finite cost."""
        finite = np.isfinite(self.cost)
        if not finite.any():
            return None
        cost = np.where(finite, self.cost, np.inf)
        if not np.isfinite(self.p_best).any():
            return self.strategies[int(np.argmin(cost))]
        # lexsort: the last key is primary (highest P(best)), then the lower cost.
        return self.strategies[int(np.lexsort((cost, -np.nan_to_num(self.p_best)))[0])]

    @property
    def p_leader(self) -> float:
        return float(self.p_best[self.strategies.index(self.leader)]) if self.leader else math.nan

    def settled(self, threshold: float) -> bool:
        """The leader is cheapest with probability ``threshold`` or more, after at least
        ``MIN_REPLICATES`` replicates."""
        return self.replicates >= MIN_REPLICATES and self.p_leader >= threshold

    def sentence(self) -> str:
        """One line a planner can act on."""
        name = metric_label(self.metric)
        if self.leader is None:
            return f"no strategy has a finite {name}: nothing to rank"
        if self.replicates < 2:
            return (
                f"{self.leader} has the lowest {name} in this single replicate; one run cannot "
                "tell how sure that is (run --replicates 5 or more, or auto)"
            )
        return (
            f"{self.leader} has the lowest {name} in {self.p_leader:.0%} of re-weighted "
            f"draws of {self.replicates} paired replicates"
        )

    def to_frame(self) -> pd.DataFrame:
        """Per strategy: cost, P(best), and the paired replicates needed to separate it from
        the leader (NaN for the leader and where it cannot be told)."""
        import pandas as pd

        lead = self.strategies.index(self.leader) if self.leader else None
        needed = (
            self.replicates_needed[lead].copy()
            if lead is not None
            else np.full(len(self.strategies), np.nan)
        )
        if lead is not None:
            needed[lead] = np.nan
        return pd.DataFrame(
            {self.metric: self.cost, "p_best": self.p_best, "replicates_to_separate": needed},
            index=pd.Index(self.strategies, name="strategy"),
        )


def confidence_from_metrics(
    stacked: dict[str, np.ndarray], strategies: list[str], metric: str, seed: int = 0
) -> Confidence:
    """:func:`ranking_confidence` from per-replicate metrics (name -> (replicates,
    strategies)), ranking by ``metric``: ``cpi_usd`` or ``icpi_usd``."""
    if metric not in COST_UNITS:
        raise ValueError(f"rank by one of {', '.join(COST_UNITS)}, not {metric!r}")
    return ranking_confidence(
        stacked["spend_usd"], stacked[COST_UNITS[metric]], strategies, metric, seed
    )


def _costs(spend: np.ndarray, units: np.ndarray) -> np.ndarray:
    """Ratio of sums per column; inf where there is spend but no units, NaN with no spend."""
    s, u = spend.sum(axis=0), units.sum(axis=0)
    out = np.full(s.shape, np.nan)
    np.divide(s, u, out=out, where=u > 0)
    return np.where((u <= 0) & (s > 0), np.inf, out)


def ranking_confidence(
    spend: np.ndarray, units: np.ndarray, strategies: list[str], metric: str, seed: int = 0
) -> Confidence:
    """Confidence of the ranking by ``spend / units`` from (replicates, strategies) arrays."""
    spend = np.asarray(spend, dtype=np.float64)
    units = np.asarray(units, dtype=np.float64)
    r, s = spend.shape
    cost = _costs(spend, units)
    p_best = np.full(s, np.nan)
    if r >= 2:
        rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(r,))))
        w = rng.dirichlet(np.ones(r), size=BOOTSTRAP_DRAWS)  # (B, R)
        num, den = w @ spend, w @ units  # (B, S)
        draws = np.full(num.shape, np.inf)
        np.divide(num, den, out=draws, where=den > 0)
        draws[:, ~(spend.sum(axis=0) > 0)] = np.inf  # no spend: never "cheapest"
        ranked = np.isfinite(draws).any(axis=1)
        # Exact ties (strategies that delivered identically) share a draw's credit: a tie is
        # not a win for whichever is listed first.
        cheapest = (draws == draws.min(axis=1, keepdims=True)) & ranked[:, None]
        share = cheapest / np.maximum(cheapest.sum(axis=1, keepdims=True), 1)
        p_best = share.sum(axis=0) / BOOTSTRAP_DRAWS
    return Confidence(
        metric=metric,
        replicates=r,
        strategies=list(strategies),
        cost=cost,
        p_best=p_best,
        replicates_needed=_replicates_needed(spend, units, cost),
    )


def _replicates_needed(spend: np.ndarray, units: np.ndarray, cost: np.ndarray) -> np.ndarray:
    r, s = spend.shape
    out = np.full((s, s), np.nan)
    if r < 2:
        return out
    mean_units = units.mean(axis=0)
    finite = np.isfinite(cost) & (mean_units > 0)
    lin = np.zeros_like(spend)
    lin[:, finite] = (spend[:, finite] - cost[finite] * units[:, finite]) / mean_units[finite]
    for a in range(s):
        for b in range(s):
            if a == b or not (finite[a] and finite[b]):
                continue
            sd = np.std(lin[:, a] - lin[:, b], ddof=1)
            gap = abs(cost[a] - cost[b])
            out[a, b] = math.inf if gap == 0 else max(2.0, math.ceil((Z_SEPARATE * sd / gap) ** 2))
    return out
