"""An emulator of a calibration's simulated summaries, and the posterior it implies.

Rejection ABC judges each draw by its own simulation, so that simulation's noise widens the
posterior: one run at scale s counts installs in agents that stand for s people each, so its
totals carry about sqrt(s) times the counting noise of the real campaign the report comes
from. The emulator pools every draw instead. Each summary (log1p of an ad set's spend,
impressions, clicks and installs; a lift test's window; an ad set's share of installs per
breakdown group) is regressed on the unknowns over all draws, a polynomial response surface
(Box & Wilson 1951) in the unknowns' unit coordinates, as global emulators do for ABC (Wilkinson
2014; Wood 2010's synthetic likelihood). The fitted surface is the summary's expected value at
any point of the prior box; the residuals' spread is one simulation's noise. Candidate values
are then weighed by the likelihood of the report around the emulated expectation
(importance sampling), which gives the posterior its draws and intervals.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = [
    "Emulator",
    "feature_count",
    "importance_sample",
    "polynomial_features",
    "weighted_quantile",
]


def polynomial_features(u: np.ndarray) -> np.ndarray:
    """(n, d) unit coordinates -> (n, k) regressors: 1, each u_i, each product u_i u_j
    (i <= j) and each u_i^3 (a full quadratic, plus the cubic of each unknown alone: an
    install count saturates along a fit multiplier, which a quadratic bends too little)."""
    n, d = u.shape
    columns = [np.ones(n)]
    columns += [u[:, i] for i in range(d)]
    columns += [u[:, i] * u[:, j] for i in range(d) for j in range(i, d)]
    columns += [u[:, i] ** 3 for i in range(d)]
    return np.stack(columns, axis=1)


def feature_count(dims: int) -> int:
    """How many regressors :func:`polynomial_features` makes of ``dims`` unknowns."""
    return polynomial_features(np.zeros((1, dims))).shape[1]


@dataclass
class Emulator:
    """Least-squares coefficients per summary (``coef``: (k, m)), each summary's residual
    standard deviation (one draw's noise, ``noise_sd``), its R^2, and the mean leverage of a
    draw (k / n: the emulated mean's own variance is about noise_sd^2 k / n)."""

    coef: np.ndarray
    noise_sd: np.ndarray
    r2: np.ndarray
    leverage: float

    @classmethod
    def fit(cls, u: np.ndarray, y: np.ndarray) -> Emulator:
        """Fit each column of ``y`` ((n, m) summaries; NaN where a draw has none) on ``u``."""
        x = polynomial_features(u)
        n, k = x.shape
        m = y.shape[1]
        coef = np.zeros((k, m))
        noise = np.zeros(m)
        r2 = np.ones(m)
        for j in range(m):
            ok = np.isfinite(y[:, j])
            if ok.sum() <= k:
                raise ValueError(f"summary {j}: {int(ok.sum())} draws for {k} coefficients")
            coef[:, j], *_ = np.linalg.lstsq(x[ok], y[ok, j], rcond=None)
            resid = y[ok, j] - x[ok] @ coef[:, j]
            noise[j] = float(np.sqrt(np.sum(resid**2) / (ok.sum() - k)))
            spread = float(np.var(y[ok, j]))
            r2[j] = 1.0 - float(np.mean(resid**2)) / spread if spread > 0 else 1.0
        return cls(coef, noise, r2, k / n)

    def predict(self, u: np.ndarray) -> np.ndarray:
        return polynomial_features(u) @ self.coef


def importance_sample(
    log_likelihood: Callable[[np.ndarray], np.ndarray],
    dims: int,
    rng: np.random.Generator,
    size: int = 8192,
    min_ess: float = 1000.0,
    rounds: int = 4,
) -> tuple[np.ndarray, np.ndarray, float]:
    """Candidates in the unit box and their normalised posterior weights (a uniform prior on
    the unit coordinates, i.e. the ranges' uniform or log-uniform priors), and the effective
    sample size 1 / sum(w^2). Starts from uniform candidates; while too few carry the weight
    (a sharp posterior), proposes again from a Gaussian at the weighted mean with twice the
    weighted covariance, truncated to the box, weighing by likelihood / proposal density."""
    u = rng.random((size, dims))
    log_w = log_likelihood(u)
    for _ in range(rounds):
        w = _normalised(log_w)
        ess = 1.0 / float(np.sum(w**2))
        if ess >= min_ess:
            break
        mean = w @ u
        cov = 2.0 * ((u - mean).T * w) @ (u - mean) + 1e-8 * np.eye(dims)
        chol = np.linalg.cholesky(cov)
        z = mean + rng.standard_normal((4 * size, dims)) @ chol.T
        z = z[np.all((z >= 0) & (z < 1), axis=1)][:size]
        if len(z) < dims + 1:
            break
        solved = np.linalg.solve(chol, (z - mean).T)
        log_q = -0.5 * np.sum(solved**2, axis=0)  # up to a constant, the same for every z
        u, log_w = z, log_likelihood(z) - log_q
    w = _normalised(log_w)
    return u, w, 1.0 / float(np.sum(w**2))


def _normalised(log_w: np.ndarray) -> np.ndarray:
    finite = np.where(np.isfinite(log_w), log_w, -np.inf)
    top = np.max(finite)
    if not np.isfinite(top):
        return np.full(len(log_w), 1.0 / len(log_w))
    w = np.exp(finite - top)
    return w / w.sum()


def weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    """The q-quantile of ``values`` under ``weights`` (the inverse of the weighted CDF,
    interpolated between midpoints of each value's weight)."""
    order = np.argsort(values)
    v, w = values[order], weights[order]
    cdf = np.cumsum(w) - 0.5 * w
    return float(np.interp(q, cdf / w.sum(), v))
