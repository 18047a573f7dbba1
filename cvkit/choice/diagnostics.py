"""MCMC convergence diagnostics: rank-normalised split R-hat and effective sample size.

Implements the formulas of Vehtari, Gelman, Simpson, Carpenter & Buerkner (2021),
"Rank-normalization, folding, and localization: an improved R-hat for assessing
convergence of MCMC", *Bayesian Analysis* 16(2), the same ones Stan and ArviZ
report, so numbers are comparable with those tools without depending on them.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

__all__ = ["rhat", "ess_bulk", "ess_tail"]


def _as_chains(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, float)
    if x.ndim == 1:
        x = x[None, :]
    if x.ndim != 2:
        raise ValueError(f"draws must have shape (chains, draws), got {x.shape}")
    if x.shape[1] < 4:
        raise ValueError(f"need at least 4 draws per chain for R-hat/ESS, got {x.shape[1]}")
    return x


def _split(x: np.ndarray) -> np.ndarray:
    half = x.shape[1] // 2
    # Drop the middle draw of an odd-length chain so both halves have equal length.
    return np.vstack([x[:, :half], x[:, x.shape[1] - half:]])


def _rank_normalise(x: np.ndarray) -> np.ndarray:
    r = stats.rankdata(x, method="average").reshape(x.shape)
    return stats.norm.ppf((r - 3 / 8) / (x.size + 1 / 4))


def _rhat_basic(x: np.ndarray) -> float:
    m, n = x.shape
    within = x.var(axis=1, ddof=1).mean()
    between = n * x.mean(axis=1).var(ddof=1)
    if within <= 0:
        return np.nan
    var_plus = (n - 1) / n * within + between / n
    return float(np.sqrt(var_plus / within))


def rhat(draws: np.ndarray) -> float:
    """Rank-normalised split R-hat (max of bulk and tail/folded versions).

    Parameters
    ----------
    draws : ndarray, shape (chains, draws) or (draws,)

    Returns
    -------
    float
        Values above about 1.01 mean the chains have not mixed: run longer.
    """
    x = _split(_as_chains(draws))
    if np.ptp(x) == 0:
        return np.nan
    bulk = _rhat_basic(_rank_normalise(x))
    tail = _rhat_basic(_rank_normalise(np.abs(x - np.median(x))))
    return max(bulk, tail)


def _autocov(x: np.ndarray) -> np.ndarray:
    """Biased autocovariance of each chain (rows) via FFT."""
    m, n = x.shape
    xc = x - x.mean(axis=1, keepdims=True)
    size = 2 ** int(np.ceil(np.log2(2 * n)))
    f = np.fft.rfft(xc, n=size, axis=1)
    ac = np.fft.irfft(f * np.conj(f), n=size, axis=1)[:, :n]
    return ac / n


def _ess(x: np.ndarray) -> float:
    """ESS of (chains, draws) with Geyer's initial monotone sequence (Stan's estimator)."""
    m, n = x.shape
    if np.ptp(x) == 0:
        return np.nan
    acov = _autocov(x)
    mean_var = acov[:, 0].mean() * n / (n - 1)
    var_plus = mean_var * (n - 1) / n
    if m > 1:
        var_plus += x.mean(axis=1).var(ddof=1)
    rho = np.zeros(n)
    rho[0] = 1.0
    even = 1.0
    odd = 1.0 - (mean_var - acov[:, 1].mean()) / var_plus
    rho[1] = odd
    t = 1
    while t < n - 3 and even + odd > 0:
        even = 1.0 - (mean_var - acov[:, t + 1].mean()) / var_plus
        odd = 1.0 - (mean_var - acov[:, t + 2].mean()) / var_plus
        if even + odd >= 0:
            rho[t + 1], rho[t + 2] = even, odd
        t += 2
    max_t = t - 2
    if odd > 0 and max_t + 1 < n:
        rho[max_t + 1] = odd
    # Geyer's monotone condition: pair sums may not increase.
    t = 1
    while t <= max_t - 2:
        if rho[t + 1] + rho[t + 2] > rho[t - 1] + rho[t]:
            rho[t + 1] = rho[t + 2] = (rho[t - 1] + rho[t]) / 2
        t += 2
    total = m * n
    tau = -1 + 2 * rho[: max_t + 1].sum() + (rho[max_t + 1] if max_t + 1 < n else 0.0)
    tau = max(tau, 1 / np.log10(total))
    return float(total / tau)


def ess_bulk(draws: np.ndarray) -> float:
    """Bulk effective sample size (rank-normalised split chains).

    Parameters
    ----------
    draws : ndarray, shape (chains, draws) or (draws,)

    Returns
    -------
    float
        Number of independent draws the chains are worth for the posterior mean;
        below ~100 per chain the posterior summaries are noisy.
    """
    return _ess(_rank_normalise(_split(_as_chains(draws))))


def ess_tail(draws: np.ndarray) -> float:
    """Tail ESS: the minimum ESS of the 5% and 95% quantile indicators."""
    x = _split(_as_chains(draws))
    q05, q95 = np.quantile(x, [0.05, 0.95])
    return min(_ess((x <= q05).astype(float)), _ess((x <= q95).astype(float)))
