"""The planner's answer in one paragraph: which strategy to pick, or which ones are tied.

The verdict reads the ranking's confidence (:mod:`adsim.confidence`) and the summary's own
figures, so every number it quotes is one the summary table shows:

* **Settled** (the leader is cheapest in at least ``AUTO_THRESHOLD`` of the Bayesian-bootstrap
  draws, after at least ``MIN_REPLICATES`` paired replicates): "Pick X: CPI $a [lo-hi],
  cheaper than Y in N% of the paired replicates".
* **Not settled**: the strategies whose paired difference from the leader is still within
  noise (a 95% interval of the difference includes zero) are called tied with it; the others,
  whose intervals exclude zero, are clearly worse.
* Strategies that spent less than ``UNDERSPENT`` of their budget are named: a low CPI bought on
  a fraction of the budget is not the same answer.

The leader is always the strategy with the highest P(best).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .confidence import AUTO_THRESHOLD, MIN_REPLICATES, Confidence, metric_label

__all__ = ["UNDERSPENT", "Verdict", "verdict_from"]

UNDERSPENT = 0.9  # below this share of the budget spent, a strategy is flagged


@dataclass(frozen=True)
class Verdict:
    """The answer a planner can act on; ``text`` is what every output prints."""

    metric: str
    replicates: int
    leader: str | None  # the highest P(best)
    pick: str | None  # the leader when the ranking is settled, else None
    tied: list[str]  # strategies within noise of the leader (leader first); [] when settled
    worse: list[str]  # strategies whose difference from the leader excludes zero (95%)
    underspent: dict[str, float] = field(default_factory=dict)  # name -> share of budget spent
    text: str = ""

    def __str__(self) -> str:
        return self.text

    def to_dict(self) -> dict:
        """JSON-ready (the manifest's ``verdict``)."""
        return {
            "text": self.text,
            "metric": self.metric,
            "replicates": self.replicates,
            "leader": self.leader,
            "pick": self.pick,
            "tied": list(self.tied),
            "worse": list(self.worse),
            "underspent": {k: round(float(v), 4) for k, v in self.underspent.items()},
        }


def _usd(x: float) -> str:
    return "unbounded" if math.isinf(x) else f"${x:,.2f}"


def _names(names: list[str]) -> str:
    if len(names) <= 2:
        return " and ".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def verdict_from(
    conf: Confidence,
    lo: np.ndarray,
    hi: np.ndarray,
    wins: np.ndarray,
    budget_used: np.ndarray,
    threshold: float = AUTO_THRESHOLD,
) -> Verdict:
    """The verdict from a ranking's confidence and, per strategy, the summary's range of the
    metric (``lo``, ``hi``: 5th-95th percentile over replicates), the paired win matrix
    (``wins[a, b]``: share of replicates in which a is cheaper than b) and budget used."""
    name = metric_label(conf.metric)
    names = conf.strategies
    s = len(names)
    underspent = {
        names[k]: float(budget_used[k])
        for k in range(s)
        if np.isfinite(budget_used[k]) and budget_used[k] < UNDERSPENT
    }
    spent_note = "".join(
        f" {n} spent {u:.0%} of its budget, so its {name} buys less volume."
        if u > 0
        else f" {n} did not spend."
        for n, u in underspent.items()
    )
    finite = np.isfinite(conf.cost)
    if not finite.any():
        text = f"Nothing to rank: no strategy has a finite {name} (none bought an install)."
        return Verdict(conf.metric, conf.replicates, None, None, [], [], underspent, text)
    order = sorted(range(s), key=lambda k: (conf.cost[k] if finite[k] else math.inf, k))
    if conf.replicates < 2 or not np.isfinite(conf.p_best).any():
        lead = order[0]
        text = (
            f"One replicate cannot pick: {names[lead]} has the lowest {name} "
            f"({_usd(conf.cost[lead])}) in this single run, but one draw cannot say how sure "
            "that is; run --replicates 5 or more, or auto."
        )
        return Verdict(
            conf.metric, conf.replicates, names[lead], None, [], [], underspent,
            text + spent_note,
        )  # fmt: skip
    # The leader: the highest P(best); among equals, the lower cost.
    lead = max(range(s), key=lambda k: (conf.p_best[k], -order.index(k)))
    p_lead = float(conf.p_best[lead])
    others = [k for k in order if k != lead]
    needed = conf.replicates_needed[lead]
    separated = [
        k
        for k in others
        if not finite[k] or (np.isfinite(needed[k]) and needed[k] <= conf.replicates)
    ]
    within = [k for k in others if k not in separated]
    worse = [names[k] for k in others if k in separated]
    settled = conf.replicates >= MIN_REPLICATES and p_lead >= threshold
    cost = f"{name} {_usd(conf.cost[lead])} [{_usd(lo[lead])}-{_usd(hi[lead])}]"
    if settled:
        text = f"Pick {names[lead]}: {cost}"
        if others:
            runner = others[0]
            text += (
                f", cheaper than {names[runner]} in {wins[lead, runner]:.0%} of "
                f"{conf.replicates} paired replicates"
            )
        text += f" (P(best) {p_lead:.0%})."
        if within:
            text += f" Still within noise of it: {_names([names[k] for k in within])}."
        return Verdict(
            conf.metric, conf.replicates, names[lead], names[lead], [], worse, underspent,
            text + spent_note,
        )  # fmt: skip
    tied = [names[lead]] + [names[k] for k in within]
    if within:
        costs = ", ".join(_usd(conf.cost[k]) for k in [lead, *within])
        text = (
            f"No clear winner between {_names(tied)}: after {conf.replicates} paired "
            f"replicates their {name}s ({costs}) are within noise of each other; "
            f"{names[lead]} leads (P(best) {p_lead:.0%}, {cost})."
        )
        if conf.replicates < MIN_REPLICATES:
            text += f" Only {conf.replicates} replicates: run more (or auto) to separate them."
    else:
        text = (
            f"Leaning {names[lead]}: {cost}, P(best) {p_lead:.0%} after {conf.replicates} "
            f"paired replicates, not yet settled."
        )
    if worse:
        verb = "is" if len(worse) == 1 else "are"
        text += f" {_names(worse)} {verb} clearly worse."
    return Verdict(
        conf.metric, conf.replicates, names[lead], None, tied, worse, underspent,
        text + spent_note,
    )  # fmt: skip
