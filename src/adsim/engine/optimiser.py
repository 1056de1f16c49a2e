"""The platform's optimiser: it learns each strategy's install rates instead of knowing them.

Delivery optimisation (lowest cost, cost cap, bid cap) bids a value per install x the
platform's *estimated* installs per impression. The estimate of installs per click is a
multiplicative model over features the platform observes (age band, gender, region, device,
activity band, held interests, follows of named accounts; ``platform.optimiser.features``):

    cvr_hat[j, i] = prior x m[j, 0] x prod_f m[j, f] x propensity_seen[i]

``prior`` is what the platform knows about installers of any app (the category-wide install
rate per click, no app-specific profile); ``propensity_seen[i]`` is its estimate, from every
advertiser's installs, of how readily person i installs apps at all (right on average, wrong
for individuals: ``install_error_sigma``). When a person shows a recent in-market signal
(``app.intent.signal_share``) it predicts x the strategy's intent lift, learnt like the
multipliers below from the installs of signalled impressions (prior mean
``intent_signal_lift``); those impressions teach it only the lift. Each
multiplier has a Gamma(k, k) prior (mean 1, worth ``k`` = ``prior_strength_installs`` real
installs) and is refitted every ``update_every_h`` hours from the installs the platform has
received for the strategy (``receive``): its posterior mean given O received installs where the
rest of the model expected E is ``(k + O) / (k + E / m)``. The intercept is updated exactly;
features, which overlap (every person has an age band *and* a region ...), move a 1/G share of
the way on each refit, G the number of feature groups (damped backfitting), so correlated
features are not double-counted.

What it receives is real-scale data: each impression's expected attributed installs with
Poisson noise at the real scale, arriving ``report_delay_h`` after its slot (see
kernels.auction), never an agent's install multiplied by ``scale``. So learning, the learning
phase and the cost cap that steers on the model react to noise of the real population's size,
however people are split into agents.

What the platform cannot learn: the app's fit along anything outside its features (a latent
trait, finer places than regions), and anything about people its strategy never reaches. What
an advertiser knows and the platform has not learned is what targeting adds.
"""

from __future__ import annotations

import numpy as np

from ..breakdown import AGE_BANDS, age_band
from ..kernels.optimiser import (
    expected_by_cell,
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
        self.n_features = n_feat
        self.mult = np.ones((n_inst, n_feat))
        # Real installs received so far per instance: of people showing no in-market signal
        # by feature cell (column 0: all of them), and of people showing one (column F).
        self.received = np.zeros((n_inst, n_feat + 1))
        # The intent lift the platform bids with, per instance (its category-wide prior until
        # the strategy's own installs say otherwise), and the installs its base model expected
        # from signalled impressions (simulated units, updated by the slot kernel).
        self.intent_lift = np.full(n_inst, p.intent_signal_lift)
        self.signal_exposure = np.zeros(n_inst)
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
            self.feat_ptr, self.feat_id, self.mult, self.prior, self.pop.propensity_seen,
            self.learns, self.inst_strategy, self.audience, self.cvr_hat,
        )  # fmt: skip

    def receive(self, installs: np.ndarray) -> None:
        """Installs reported to the platform (I, F + 1), real units, from kernels.auction."""
        self.received += installs

    def receive_campaign(self, instance: int, installs: float) -> None:
        """A SKAN postback: ``installs`` for the campaign, no person, so no cell: they teach
        the intercept only (scenario.privacy)."""
        self.received[instance, 0] += installs

    def refit(self, exposure: np.ndarray) -> None:
        """Refit every learning instance from the installs received so far."""
        if self.p.optimiser_oracle:
            return
        # Only people shown an ad have exposure; finding them is a fast scan, and the kernel
        # then skips the (usually many more) never reached.
        shown = shown_agents(exposure)
        expected = expected_by_cell(
            shown, self.feat_ptr, self.feat_id, self.n_features, self.cvr_hat, exposure,
            self.learns, self.pop.observable,
        )  # fmt: skip
        expected *= self.p.scale  # real installs: the prior's strength is in real installs
        observed = self.received[:, : self.n_features]
        k = self.strength
        learn = self.learns
        # Intent lift: the Gamma posterior mean given the signalled installs received and what
        # the base model expected from the same impressions (prior mean intent_signal_lift).
        lift0 = self.p.intent_signal_lift
        lift = (k + self.received[:, -1]) / (k / lift0 + self.signal_exposure * self.p.scale)
        self.intent_lift[learn] = lift[learn]
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
