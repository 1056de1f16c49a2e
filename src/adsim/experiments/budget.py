"""Budget curves from a ``budget_scale`` sweep, and splitting a budget across strategies.

A curve is a strategy's flight budget -> spend, installs and incremental installs, measured at
each simulated budget (with common random numbers, the same people and draws at every budget).
Between simulated budgets it is linear; beyond the largest it is unknown, and the allocator
never goes there. With ``market_mode: isolated`` (the default) strategies do not bid against
each other, so one sweep that scales every budget together gives each strategy's own curve;
with ``shared`` a curve is measured with the others scaled alongside.

The allocator maximises total incremental installs for a total budget: on each strategy's
upper concave envelope of (budget, incremental installs), money goes to the steepest
segments first, which is optimal for concave piecewise-linear curves (equal marginal iCPI at
the optimum, as in Robyn's allocator or Meridian's budget optimisation, here on simulated
auctions instead of a fitted response model). The interval of the outcome evaluates every
replicate's own curve at the chosen split.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..metrics import INTERVAL
from ..scenario.sweep import BUDGET_SCALE

if TYPE_CHECKING:
    import pandas as pd

    from ..scenario import Scenario
    from .sweeps import SweepResult

__all__ = ["Allocation", "BudgetCurves", "allocate", "concave_envelope", "scale_budget"]

MIN_DAILY_USD = 0.01  # a split below a cent funds nothing: the strategy is left out


def scale_budget(multiplier: float) -> Callable[[dict], dict]:
    """A with_changes function: every amount of a budget mapping times ``multiplier``."""

    def scaled(budget: dict) -> dict:
        return {k: (None if v is None else v * multiplier) for k, v in budget.items()}

    return scaled


def concave_envelope(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The upper concave, non-decreasing envelope of points (x ascending, starting at (0, 0))."""
    hull: list[tuple[float, float]] = []
    for px, py in zip(x, y, strict=True):
        if hull and py <= hull[-1][1]:
            continue  # more money, no more installs: never worth buying
        while len(hull) >= 2:
            (x1, y1), (x2, y2) = hull[-2], hull[-1]
            if (y2 - y1) * (px - x1) <= (py - y1) * (x2 - x1):  # hull[-1] under the chord
                hull.pop()
            else:
                break
        hull.append((float(px), float(py)))
    hx, hy = zip(*hull, strict=True)
    return np.array(hx), np.array(hy)


@dataclass
class BudgetCurves:
    """Per paid strategy and simulated budget scale: budget, spend and installs per replicate."""

    strategies: list[str]
    scales: np.ndarray  # (K,) ascending budget multipliers
    budget_usd: np.ndarray  # (S, K) flight budget
    spend_usd: np.ndarray  # (R, S, K)
    installs: np.ndarray  # (R, S, K)
    incremental: np.ndarray  # (R, S, K)

    @classmethod
    def from_sweep(cls, result: SweepResult) -> BudgetCurves:
        if result.parameters != [BUDGET_SCALE]:
            raise ValueError(
                "budget curves need a sweep over budget_scale alone (got "
                f"{', '.join(result.parameters)})"
            )
        rows = result.rows[result.rows["strategy"].isin(result.paid_strategies)]
        scales = np.array(sorted(result.points[BUDGET_SCALE].astype(float).unique()))
        point_of = {float(v): k for k, v in result.points[BUDGET_SCALE].items()}
        strategies = list(result.paid_strategies)
        r_n, s_n, k_n = result.replicates, len(strategies), len(scales)
        cube = {
            m: np.full((r_n, s_n, k_n), np.nan)
            for m in ("spend_usd", "installs", "incremental_installs")
        }
        budget = np.full((s_n, k_n), np.nan)
        for k, scale in enumerate(scales):
            at = rows[rows["point"] == point_of[float(scale)]]
            for s, name in enumerate(strategies):
                mine = at[at["strategy"] == name].sort_values("replicate")
                budget[s, k] = float(mine["budget_usd"].iloc[0])
                for m, arr in cube.items():
                    arr[:, s, k] = mine[m].to_numpy(dtype=np.float64)
        return cls(
            strategies=strategies, scales=scales, budget_usd=budget,
            spend_usd=cube["spend_usd"], installs=cube["installs"],
            incremental=cube["incremental_installs"],
        )  # fmt: skip

    def table(self) -> pd.DataFrame:
        """One row per strategy and budget: means, 5-95% ranges over replicates, the
        marginal iCPI from the next smaller budget (from zero at the smallest), and
        ``on_envelope``: whether the budget is a corner of the curve's concave envelope, the
        curve the allocator uses (a budget below it, a dip left by noise or a step that bought
        little, is bridged: the allocator's marginal iCPI there is the envelope's slope)."""
        import pandas as pd

        lo, hi = INTERVAL
        out = []
        for s, name in enumerate(self.strategies):
            hx, _ = concave_envelope(
                np.concatenate([[0.0], self.budget_usd[s]]),
                np.concatenate([[0.0], self.incremental[:, s, :].mean(axis=0)]),
            )
            corners = set(np.round(hx, 6))
            prev_spend, prev_inc = 0.0, 0.0
            for k, scale in enumerate(self.scales):
                spend = self.spend_usd[:, s, k]
                inc = self.incremental[:, s, k]
                gain = inc.mean() - prev_inc
                out.append(
                    {
                        "strategy": name,
                        "budget_scale": scale,
                        "budget_usd": self.budget_usd[s, k],
                        "spend_usd": spend.mean(),
                        "installs": self.installs[:, s, k].mean(),
                        "incremental_installs": inc.mean(),
                        "incremental_installs_lo": np.quantile(inc, lo),
                        "incremental_installs_hi": np.quantile(inc, hi),
                        "icpi_usd": spend.mean() / inc.mean() if inc.mean() > 0 else np.nan,
                        "marginal_icpi_usd": (spend.mean() - prev_spend) / gain
                        if gain > 0
                        else np.inf,
                        "on_envelope": bool(round(float(self.budget_usd[s, k]), 6) in corners),
                    }
                )
                prev_spend, prev_inc = spend.mean(), inc.mean()
        return pd.DataFrame(out)

    def _at(self, s: int, budget: float, replicate: int | None = None) -> float:
        """Incremental installs of strategy s at ``budget``: linear between simulated budgets
        (and from zero below the smallest); the mean curve, or one replicate's."""
        x = np.concatenate([[0.0], self.budget_usd[s]])
        inc = (
            self.incremental[:, s, :].mean(axis=0)
            if replicate is None
            else self.incremental[replicate, s, :]
        )
        return float(np.interp(budget, x, np.concatenate([[0.0], inc])))

    def outcome(self, budgets: np.ndarray) -> tuple[float, float, float]:
        """Total incremental installs of a split (mean curve), and its 5-95% range over the
        replicates' own curves."""
        total = sum(self._at(s, b) for s, b in enumerate(budgets))
        per_rep = [
            sum(self._at(s, b, r) for s, b in enumerate(budgets))
            for r in range(self.incremental.shape[0])
        ]
        lo, hi = np.quantile(per_rep, INTERVAL)
        return total, float(lo), float(hi)


@dataclass
class Allocation:
    """A split of ``total_usd`` across strategies, and what it buys next to other splits."""

    strategies: list[str]
    total_usd: float
    budget_usd: np.ndarray  # (S,) the recommended flight budgets
    scale: np.ndarray  # (S,) the recommended budget / the scenario's budget
    marginal_icpi_usd: np.ndarray  # (S,) cost of the next incremental install at the split
    outcomes: dict[str, tuple[float, float, float]]  # split -> (installs, lo, hi)
    splits: dict[str, np.ndarray]  # split name -> budgets (S,)
    within_curves: dict[str, bool]  # split name -> every budget within the simulated ones
    unallocated_usd: float = 0.0

    def table(self) -> pd.DataFrame:
        import pandas as pd

        frame = pd.DataFrame(
            {f"{name}_budget_usd": b for name, b in self.splits.items()}, index=self.strategies
        )
        frame.insert(1, "recommended_scale", self.scale)
        frame.insert(2, "marginal_icpi_usd", self.marginal_icpi_usd)
        frame.index.name = "strategy"
        return frame

    def outcome_table(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame(
            [{"split": k, "incremental_installs": v[0], "incremental_installs_lo": v[1],
              "incremental_installs_hi": v[2], "within_curves": self.within_curves[k]}
             for k, v in self.outcomes.items()]
        ).set_index("split")  # fmt: skip

    def scenario(self, base: Scenario) -> Scenario:
        """``base`` with the recommended budgets, to run and check the allocation. A strategy
        the split funds with nothing is removed (it would otherwise still spend)."""
        from ..scenario import scenario_from_dict

        funded = {
            name: float(scale)
            for name, scale, usd in zip(self.strategies, self.scale, self.budget_usd, strict=True)
            if usd >= MIN_DAILY_USD
        }
        if not funded:
            raise ValueError("the split funds no strategy: nothing to run")
        data = base.model_dump(mode="json", by_alias=True)
        data["strategies"] = [
            s for s in data["strategies"] if s["name"] in funded or s["name"] not in self.strategies
        ]
        label = f"{base.name}, allocated"
        kept = scenario_from_dict(data, source=label)
        changes = {
            f"strategies.{name}.budget": scale_budget(scale) for name, scale in funded.items()
        }
        return kept.with_changes(changes, source=label)


def allocate(
    curves: BudgetCurves, total_usd: float | None = None, extra_usd: float | None = None
) -> Allocation:
    """Split ``total_usd`` (or the scenario's budgets plus ``extra_usd``) across the paid
    strategies to maximise incremental installs, within the simulated budgets."""
    if (total_usd is None) == (extra_usd is None):
        raise ValueError("give total_usd or extra_usd")
    unit = np.argmin(np.abs(curves.scales - 1.0))
    if not np.isclose(curves.scales[unit], 1.0):
        raise ValueError("the budget curves need budget_scale 1 (the scenario's own budgets)")
    current = curves.budget_usd[:, unit]
    total = float(total_usd if total_usd is not None else current.sum() + extra_usd)
    segments = []  # (slope, strategy, width)
    hulls = []
    for s in range(len(curves.strategies)):
        x = np.concatenate([[0.0], curves.budget_usd[s]])
        y = np.concatenate([[0.0], curves.incremental[:, s, :].mean(axis=0)])
        hx, hy = concave_envelope(x, y)
        hulls.append((hx, hy))
        for k in range(1, hx.size):
            segments.append(((hy[k] - hy[k - 1]) / (hx[k] - hx[k - 1]), s, hx[k] - hx[k - 1]))
    segments.sort(key=lambda seg: -seg[0])
    budgets = np.zeros(len(curves.strategies))
    left = total
    for slope, s, width in segments:
        if left <= 0 or slope <= 0:
            break
        take = min(width, left)
        budgets[s] += take
        left -= take
    # The cost of the next incremental install at the split: the slope of the envelope just
    # above each budget (inf at the end of a curve, where more money buys nothing known).
    marginal = np.full(len(curves.strategies), np.inf)
    for s, (hx, hy) in enumerate(hulls):
        k = int(np.searchsorted(hx, budgets[s] * (1 + 1e-12), side="right"))
        if k < hx.size:
            slope = (hy[k] - hy[k - 1]) / (hx[k] - hx[k - 1])
            marginal[s] = 1.0 / slope if slope > 0 else np.inf
    splits = {
        "recommended": budgets,
        "even": np.full(budgets.size, total / budgets.size),
        "current_mix": current * total / current.sum(),
    }
    max_budget = curves.budget_usd.max(axis=1)
    # A split beyond a curve is counted at the curve's largest budget (unknown beyond it, and
    # curves flatten): within_curves says so, and a wider budget_scale range removes it.
    outcomes = {name: curves.outcome(np.minimum(b, max_budget)) for name, b in splits.items()}
    within = {name: bool(np.all(b <= max_budget * (1 + 1e-9))) for name, b in splits.items()}
    return Allocation(
        strategies=curves.strategies, total_usd=total, budget_usd=budgets,
        scale=budgets / current, marginal_icpi_usd=marginal, outcomes=outcomes, splits=splits,
        within_curves=within, unallocated_usd=max(0.0, left),
    )  # fmt: skip
