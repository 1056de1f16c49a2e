"""The calibration's emulator: a response surface fitted over noisy draws, and the posterior
it implies by importance sampling."""

from __future__ import annotations

import numpy as np

from adsim.experiments.emulator import Emulator, importance_sample, weighted_quantile


def test_the_emulator_recovers_a_surface_and_its_noise():
    """y = a cubic in two unknowns + N(0, 0.1) noise, 400 draws: the fitted surface lies
    within 4 standard errors of the truth at fresh points (the fitted mean's sd is about
    0.1 sqrt(k / n), k = 8 coefficients), and the noise estimate within 4 sd of 0.1 (a sample
    sd's sd is about sigma / sqrt(2 (n - k)))."""
    rng = np.random.default_rng(5)

    def surface(u):
        return 1 + 2 * u[:, 0] - u[:, 1] + 0.5 * u[:, 0] * u[:, 1] + 3 * u[:, 0] ** 3

    u = rng.random((400, 2))
    y = surface(u) + rng.normal(0, 0.1, 400)
    emulator = Emulator.fit(u, np.column_stack([y, np.where(u[:, 0] < 0.5, np.nan, y)]))
    fresh = rng.random((50, 2))
    se = 0.1 * np.sqrt(8 / 400)
    assert np.max(np.abs(emulator.predict(fresh)[:, 0] - surface(fresh))) < 4 * 3 * se
    assert abs(emulator.noise_sd[0] - 0.1) < 4 * 0.1 / np.sqrt(2 * (400 - 8))
    assert emulator.r2[0] > 0.95
    # A summary missing at some draws is fitted on the others.
    assert np.max(np.abs(emulator.predict(fresh[fresh[:, 0] > 0.5])[:, 1] -
                         surface(fresh[fresh[:, 0] > 0.5]))) < 0.1  # fmt: skip


def test_importance_sampling_finds_a_sharp_posterior():
    """A Gaussian likelihood at (0.3, 0.6) with sd 0.02 inside the unit box: uniform
    candidates alone hold few effective draws, so the proposal rounds must find it. The
    weighted mean lies within 4 standard errors (sd / sqrt(ESS)) and the weighted sd within
    10% of 0.02; the 5% and 95% weighted quantiles sit near +-1.645 sd."""
    rng = np.random.default_rng(2)
    centre, sd = np.array([0.3, 0.6]), 0.02

    def log_likelihood(u):
        return -0.5 * np.sum(((u - centre) / sd) ** 2, axis=1)

    u, w, ess = importance_sample(log_likelihood, 2, rng)
    assert ess >= 1000
    mean = w @ u
    assert np.all(np.abs(mean - centre) < 4 * sd / np.sqrt(ess))
    spread = np.sqrt(w @ (u - mean) ** 2)
    assert np.all(np.abs(spread / sd - 1) < 0.1)
    lo, hi = (weighted_quantile(u[:, 0], w, q) for q in (0.05, 0.95))
    assert abs(lo - (0.3 - 1.645 * sd)) < 0.005 and abs(hi - (0.3 + 1.645 * sd)) < 0.005


def test_weighted_quantiles_of_equal_weights_are_the_usual_ones():
    values = np.arange(1.0, 101.0)
    w = np.full(100, 0.01)
    assert abs(weighted_quantile(values, w, 0.5) - 50.5) < 1e-9
    assert abs(weighted_quantile(values, w, 0.05) - np.quantile(values, 0.05)) <= 0.5
