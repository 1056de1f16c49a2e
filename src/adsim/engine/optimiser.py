"""The platform's optimiser: it learns each strategy's install rates instead of knowing them.

Delivery optimisation (lowest cost, cost cap, bid cap) bids a value per install x the
platform's *estimated* installs per impression. The estimate of installs per click is a
multiplicative model over features the platform observes (age band, gender, region, device,
activity band, held interests, follows of named accounts; ``platform.optimiser.features``):

    cvr_hat[j, i] = prior x m[j, 0] x prod_f m[j, f] x error[i]

``prior`` is what the platform knows about installers of any app (the category-wide install
rate per click, no app-specific profile); ``error[i]`` is a persistent per-person error (the
model is wrong for individuals, right on average). Each multiplier has a Gamma(k, k) prior
(mean 1, worth ``k`` = ``prior_strength_installs`` real installs) and is refitted every
``update_every_h`` hours from the strategy's own installs reported so far (attributed, after
``report_delay_h``): its posterior mean given O observed installs where the rest of the
model expected E is ``(k + O) / (k + E / m)``. The intercept is updated exactly; features,
which overlap (every person has an age band *and* a region ...), move a 1/G share of the way
on each refit, G the number of feature groups (damped backfitting), so correlated features are
not double-counted. Counts are real people (simulated x scale): learning does not depend on
how people are split into agents.

What the platform cannot learn: the app's fit along anything outside its features (a latent
trait, finer places than regions), and anything about people its strategy never reaches. What
an advertiser knows and the platform has not learned is what targeting adds.
"""

from __future__ import annotations

import numpy as np

from ..breakdown import AGE_BANDS, age_band
from ..kernels.optimiser import (
    observed_and_expected,
    pairs_to_csr,
    predict_install_rates,
    shown_agents,
)
from ..params import Params
from ..population import Population

__all__ = ["ACTIVITY_BANDS", "PlatformOptimiser", "feature_table"]

# Sessions per day at the upper edges of the activity bands the platform observes.
ACTIVITY_BANDS = (0.5, 1.0, 3.0)


def feature_table(p: Params, pop: Population) -> tuple[np.ndarray, np.ndarray, int]:
    """Each agent's observed features as CSR ``(ptr, ids)``, and the number of feature ids.

    Id 0 is the intercept (implicit); categorical groups give each agent one id, interests and
    follows one id per held topic or followed account.
    """
    n = pop.n
    # (agent, id) pairs, in increasing id; int32 halves this table's peak memory.
    agents: list[np.ndarray] = []
    ids: list[np.ndarray] = []
    next_id = 1

    def categorical(codes: np.ndarray, n_cells: int) -> None:
        nonlocal next_id
        agents.append(np.arange(n, dtype=np.int32))
        ids.append(next_id + codes.astype(np.int32))
        next_id += n_cells

    def one_id(holders: np.ndarray) -> None:
        nonlocal next_id
        agents.append(holders.astype(np.int32))
        ids.append(np.full(holders.size, next_id, dtype=np.int32))
        next_id += 1

    for name in p.optimiser_features:
        if name == "age":
            categorical(age_band(pop.age), len(AGE_BANDS))
        elif name == "gender":
            categorical(pop.gender, 3)
        elif name == "region":
            categorical(pop.region, len(p.region_names))
        elif name == "device":
            categorical(pop.device, 3)
        elif name == "activity":
            band = np.searchsorted(np.array(ACTIVITY_BANDS), pop.sessions_per_day, side="right")
            categorical(band, len(ACTIVITY_BANDS) + 1)
        elif name == "interests":
            for k in range(len(p.topic_names)):
                one_id(np.flatnonzero(pop.holds_topic(k)))
        elif name == "follows":
            for a in range(len(p.accounts)):
                one_id(pop.followers_of(a))
    if not agents:
        return np.zeros(n + 1, dtype=np.int64), np.zeros(0, dtype=np.int32), next_id
    ptr, feat_id = pairs_to_csr(np.concatenate(agents), np.concatenate(ids), n)
    return ptr, feat_id, next_id


class PlatformOptimiser:
    """Install-rate estimates ``cvr_hat`` (I, N) for every instance, refitted on a schedule."""

    def __init__(
        self,
        p: Params,
        pop: Population,
        learns: np.ndarray,
        inst_strategy: np.ndarray,
        audience: np.ndarray,
    ) -> None:
        """``learns[j]``: instance j bids per install, so the platform models it;
        ``audience[inst_strategy[j]]`` is the (S, N) mask of people j may be shown to (only
        they are scored)."""
        self.p, self.pop = p, pop
        self.learns = learns.astype(np.bool_)
        self.inst_strategy, self.audience = inst_strategy, audience
        self.prior = p.prior_install_per_click
        self.strength = p.prior_strength_installs
        self.feat_ptr, self.feat_id, n_feat = feature_table(p, pop)
        n_inst = learns.shape[0]
        self.n_groups = max(1, len(p.optimiser_features))
        self.mult = np.ones((n_inst, n_feat))
        self.cvr_hat = np.zeros((n_inst, pop.n), dtype=np.float32)
        if p.optimiser_oracle:
            # Knows each person's true installs per click out of the market (plus its error).
            odds = pop.install_odds.astype(np.float64)
            truth = (odds / (1.0 + odds)) * pop.install_error
            self.cvr_hat[self.learns] = np.minimum(1.0, truth).astype(np.float32)
        else:
            self._predict()

    def _predict(self) -> None:
        predict_install_rates(
            self.feat_ptr, self.feat_id, self.mult, self.prior, self.pop.install_error,
            self.learns, self.inst_strategy, self.audience, self.cvr_hat,
        )  # fmt: skip

    def refit(self, now_h: float, state: dict[str, np.ndarray], world_ptr: np.ndarray) -> None:
        """Refit every learning instance from installs reported by ``now_h``."""
        p = self.p
        # Only people shown an ad have exposure; finding them is a fast scan, and the kernel
        # then skips the (usually many more) never reached.
        shown = shown_agents(state["exposure"])
        observed, expected = observed_and_expected(
            shown, self.feat_ptr, self.feat_id, self.mult.shape[1], self.cvr_hat, state["exposure"],
            self.learns, world_ptr,
            state["install_time"], state["last_click_t"], state["last_click_inst"],
            state["last_view_t"], state["last_view_inst"], p.click_window_h, p.view_window_h,
            now_h - p.report_delay_h,
        )  # fmt: skip
        observed *= p.scale  # real installs: the prior's strength is in real installs
        expected *= p.scale
        if p.optimiser_oracle:
            return
        k = self.strength
        learn = self.learns
        # Intercept: exact posterior mean; every expectation scales with it.
        m0 = self.mult[:, 0]
        new0 = (k + observed[:, 0]) / (k + expected[:, 0] / m0)
        expected *= (new0 / m0)[:, None]
        self.mult[learn, 0] = new0[learn]
        # Features: a damped step towards each cell's posterior mean (in log space).
        target = (k + observed[:, 1:]) / (k + expected[:, 1:] / self.mult[:, 1:])
        step = np.exp(np.log(target / self.mult[:, 1:]) / self.n_groups)
        self.mult[learn, 1:] *= step[learn]
        self._predict()
