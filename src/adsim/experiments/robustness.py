"""Robustness of a ranking: sample uncertain assumptions, see who wins and what moves it.

Run a sweep whose points sample the assumptions a planner is unsure of (market CPM level, the
app's fit, the optimiser's prior, the organic baseline ...) with the random or Latin-hypercube
design. At each point the winner is the strategy with the lowest cost (a ratio of replicate
means). Reported:

* the share of points each strategy wins (its robustness to the assumptions as sampled);
* per assumption, how much it moves the ranking: the total-variation distance between the
  winners' distribution in the points below and above its median (0: the winner does not
  depend on it; 1: it decides the winner), and the Spearman correlation of the assumption with
  each strategy's cost.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

    from .sweeps import SweepResult

__all__ = ["Robustness"]


@dataclass
class Robustness:
    strategies: list[str]
    winners: pd.DataFrame  # per point: winner, p_best and the assumptions' values
    costs: pd.DataFrame  # per point (rows) and strategy (columns): the ranking cost
    parameters: list[str]
    metric: str

    @classmethod
    def from_sweep(cls, result: SweepResult) -> Robustness:
        import pandas as pd

        # Each point's costs are its ranking's (ratios of sums; inf: spend without units).
        costs = pd.DataFrame(
            [conf.cost for conf in result.confidences.values()],
            index=pd.Index(list(result.confidences), name="point"),
            columns=result.strategies,
        )
        return cls(
            strategies=result.strategies,
            winners=result.winners(),
            costs=costs,
            parameters=result.parameters,
            metric=result.rank_by,
        )

    def win_share(self) -> pd.Series:
        """Share of the sampled points each strategy wins."""
        counts = self.winners["winner"].value_counts(normalize=True)
        return counts.reindex(self.strategies, fill_value=0.0).rename("win_share")

    def influence(self) -> pd.DataFrame:
        """Per assumption: ``winner_shift`` (total-variation distance of the winners below vs
        above its median) and its Spearman correlation with each strategy's cost, sorted by
        the shift (the assumptions that move the ranking most first)."""
        import pandas as pd

        out = []
        for name in self.parameters:
            values = pd.to_numeric(self.winners[name], errors="coerce")
            if values.isna().all() or values.nunique() < 2:
                continue
            below = values <= values.median()
            if below.all():
                below = values < values.median()
            low = self.winners.loc[below, "winner"].value_counts(normalize=True)
            high = self.winners.loc[~below, "winner"].value_counts(normalize=True)
            shift = 0.5 * low.sub(high, fill_value=0.0).abs().sum()
            row = {"assumption": name, "winner_shift": shift}
            finite = self.costs.replace(np.inf, np.nan)
            for s in self.strategies:
                # Spearman's rho: Pearson's correlation of the ranks.
                row[f"rho_{s}"] = values.rank().corr(finite[s].rank())
            out.append(row)
        frame = pd.DataFrame(out)
        return (
            frame.sort_values("winner_shift", ascending=False).set_index("assumption")
            if out
            else frame
        )
