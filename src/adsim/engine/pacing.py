"""Budget pacing: a feedback controller per strategy instance.

Even pacing follows LinkedIn's design (Agarwal et al., KDD 2014): a spend
plan that follows the forecast traffic of the strategy's audience through the day, and a
pass-through probability (throttle) corrected multiplicatively at each tick against the plan.
LinkedIn starts the throttle near 10% to avoid overspending before it has learnt; here the
slot cap (at most ``SLOT_CAP`` x the plan in any slot) does that job, so the throttle starts
fully open and a budget that never binds never throttles: raising it changes nothing.
Auto-bid strategies (lowest cost, bid cap, cost cap) move the bid instead, like the
bid x exp(phi) controller of Zhang et al. (WSDM 2016): the actuator is the value per install
``lambda`` the platform bids with, damped by a gain and capped by the bid cap and, for a cost
cap, by a second controller that keeps the average cost per install at the target.
Accelerated pacing passes every auction until the budget is gone.
"""

from __future__ import annotations

import numpy as np

__all__ = ["PacingController"]

START_BID_FRACTION = 0.5  # and auto-bids start below the estimate, learning upwards
MAX_STEP = 2.0  # at most x2 or /2 per tick
# Spend grows much faster than linearly in the bid (bidding into the market's lower tail), so
# bid corrections are damped: on wazypark_spain.yaml the hourly spend share's RMSE against
# the plan was 0.028 at gain 0.5 (overshoot, alternating hours), 0.014 at 0.3, 0.018 at 0.2.
BID_GAIN = 0.3
MIN_THROTTLE = 1e-4
SLOT_CAP = 3.0  # even pacing never lets one slot spend more than 3x its plan
COST_CAP_GAIN = 0.3  # damping of the cost-cap correction (CPI overshoot -> lower value cap)
# Bounds of the value cap as multiples of the target, its start, and its step when the cap
# leaves the strategy spending under half its budget at a recent cost near the target.
COST_CAP_MIN, COST_CAP_START, COST_CAP_MAX, COST_CAP_UNSTALL = 0.5, 1.25, 2.5, 1.25
# ASSUMPTION: the cost cap judges the cost per install of the recent past (a fading memory
# with this half-life), not the flight so far: the learning phase's dearer installs
# are not repaid later by starving delivery (platforms say costs may exceed a cap while
# learning).
COST_CAP_MEMORY_H = 12.0


class PacingController:
    """Throttles and auto-bids for all instances; ``update`` is called once per pacing tick."""

    def __init__(
        self,
        even: np.ndarray,
        auto_bid: np.ndarray,
        initial_bid: np.ndarray,
        bid_cap: np.ndarray,
        forecast: np.ndarray,
        cost_cap: np.ndarray | None = None,
    ) -> None:
        """``forecast[j, q]``: expected ad opportunities of instance j in slot q of the day;
        ``cost_cap[j]``: average CPI target (inf: none)."""
        self.even = even
        self.auto_bid = auto_bid
        self.bid_cap = bid_cap
        self.forecast = forecast
        self.cost_cap = np.full(bid_cap.shape, np.inf) if cost_cap is None else cost_cap
        # The highest value per install the cost cap allows now (inf while it does not bind).
        self.cost_cap_scale = np.full(bid_cap.shape, COST_CAP_START)
        self.cost_cap_bid = np.where(
            np.isfinite(self.cost_cap), COST_CAP_START * self.cost_cap, np.inf
        )
        # The cost cap's (spend, expected installs): cumulative at its last call, fading sums.
        self._cap_seen = np.zeros((2, *bid_cap.shape))
        self._cap_recent = np.zeros((2, *bid_cap.shape))
        self.throttle = np.ones(bid_cap.shape)
        self.bid = np.minimum(np.where(auto_bid, START_BID_FRACTION, 1.0) * initial_bid, bid_cap)
        self._last_spend = np.zeros_like(initial_bid)
        self._entered = np.zeros(initial_bid.shape, dtype=np.bool_)
        self._limited = np.zeros(initial_bid.shape, dtype=np.bool_)
        self._last_slot = -1

    def plan(self, q: int, allowance_left: np.ndarray) -> np.ndarray:
        """Planned spend in slot q of the day: the allowance left x this slot's traffic share."""
        rest = self.forecast[:, q:].sum(axis=1)
        share = np.divide(self.forecast[:, q], rest, out=np.zeros_like(rest), where=rest > 0)
        return allowance_left * share

    def slot_limit(self, q: int, allowance_left: np.ndarray) -> np.ndarray:
        """Most an instance may spend in slot q: the allowance, and for even pacing at most
        ``SLOT_CAP`` x the plan, so one slot cannot eat the day while the controller learns."""
        return np.where(
            self.even,
            np.minimum(allowance_left, SLOT_CAP * self.plan(q, allowance_left)),
            allowance_left,
        )

    def update(self, q: int, allowance_left: np.ndarray, active: np.ndarray) -> None:
        """Correct the actuators before slot q, from the spend observed in the previous slot."""
        if self._last_slot >= 0:
            target = self.plan(q, allowance_left)
            prev_fc = self.forecast[:, self._last_slot]
            predicted = self._last_spend * np.divide(
                self.forecast[:, q], prev_fc, out=np.zeros_like(prev_fc), where=prev_fc > 0
            )
            with np.errstate(over="ignore"):  # a subnormal prediction gives inf: clipped below
                ratio = np.divide(
                    target, predicted, out=np.full_like(target, MAX_STEP), where=predicted > 0
                )
            ratio = np.clip(ratio, 1.0 / MAX_STEP, MAX_STEP)
            # A slot stopped by a limit only bounds demand from below: it may lower the
            # actuator, never raise it (no wind-up while a budget is exhausted).
            ratio = np.where(self._limited, np.minimum(ratio, 1.0), ratio)
            steer = self.even & active & self._entered & (self.forecast[:, q] > 0)
            steer &= allowance_left > 0
            manual = steer & ~self.auto_bid
            auto = steer & self.auto_bid
            self.throttle[manual] = np.clip(
                self.throttle[manual] * ratio[manual], MIN_THROTTLE, 1.0
            )
            self.bid[auto] = np.minimum(
                self.bid[auto] * ratio[auto] ** BID_GAIN, self.bid_cap[auto]
            )
        self.bid = np.where(self.auto_bid, np.minimum(self.bid, self.cost_cap_bid), self.bid)

    def steer_cost_cap(
        self,
        spend_usd: np.ndarray,
        expected_installs: np.ndarray,
        prior: float,
        planned_usd: np.ndarray,
        every_h: float,
    ) -> None:
        """Cost cap: the value bid per install may not exceed target x ``cost_cap_scale``.

        Called every ``every_h`` hours with the real spend so far (``spend_usd``) and the
        installs the platform's model expected from the impressions it bought
        (``expected_installs``), both cumulative. Like a platform, it steers on its own
        predictions, which arrive at once and without the noise of rare installs; keeping them
        calibrated to the installs reported is the optimiser's job (its intercept), so while
        the model is still learning, costs can run above the cap, as platforms warn. A winner
        never pays more than it bids and usually pays less (second price), so the scale starts
        above 1; it then moves by (target / recent expected cost) ^ gain, the recent cost being
        spend over expected installs fading with a half-life of ``COST_CAP_MEMORY_H``, shrunk
        towards the target by ``prior`` installs. It loosens when the strategy spent under
        half of ``planned_usd`` (its budget's share of the period) at a cost near the target,
        so a strategy that bought nothing can find its level again. A cap that never binds
        leaves the strategy bidding exactly as lowest cost."""
        capped = np.isfinite(self.cost_cap)
        target = np.where(capped, self.cost_cap, 0.0)
        now = np.stack([spend_usd, expected_installs])
        period = now - self._cap_seen
        self._cap_seen = now
        self._cap_recent = self._cap_recent * 0.5 ** (every_h / COST_CAP_MEMORY_H) + period
        spend, expected = self._cap_recent
        cpi_recent = (spend + prior * target) / (expected + prior)
        ratio = np.divide(target, cpi_recent, out=np.ones_like(cpi_recent), where=capped)
        starved = (ratio >= 0.9) & (period[0] < 0.5 * planned_usd)
        step = np.where(starved, np.maximum(ratio, COST_CAP_UNSTALL), ratio)
        self.cost_cap_scale = np.clip(
            self.cost_cap_scale * step**COST_CAP_GAIN, COST_CAP_MIN, COST_CAP_MAX
        )
        self.cost_cap_bid = np.where(capped, target * self.cost_cap_scale, np.inf)
        self.bid = np.where(self.auto_bid, np.minimum(self.bid, self.cost_cap_bid), self.bid)

    def observe(
        self, q: int, slot_spend: np.ndarray, auctions: np.ndarray, limited: np.ndarray
    ) -> None:
        """Record the slot just run: its spend, whether it entered auctions, and whether a
        budget or slot limit stopped it."""
        self._last_spend = slot_spend.copy()
        self._entered = auctions > 0
        self._limited = limited.copy()
        self._last_slot = q
