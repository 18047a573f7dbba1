"""Willingness to pay by simulation from the estimates' distribution (Krinsky & Robb 1986), clustered SEs.

A WTP is a ratio, ``-(utility difference) / price coefficient``; its sampling distribution is skewed
(and wide when the price coefficient is imprecise), so the delta method's symmetric interval can
mislead. Drawing parameter vectors from the estimates' asymptotic normal distribution, computing the
WTP for each draw and taking quantiles gives an interval that follows that shape. The covariance is
the respondent-clustered sandwich by default: the tasks of one respondent are not independent
observations (their tastes persist), and the classical inverse-Hessian covariance treats them as if
they were, so its intervals are too narrow.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

__all__ = ["cluster_robust_cov", "krinsky_robb", "mnl_wtp_simulation"]


def cluster_robust_cov(hessian: np.ndarray, scores: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Cluster-robust (sandwich) covariance ``H^-1 (sum_g s_g s_g') H^-1 * G / (G - 1)``.

    Parameters
    ----------
    hessian : ndarray, shape (K, K)
        Hessian of the log-likelihood at the estimates.
    scores : ndarray, shape (S, K)
        Per-observation scores (choice situations).
    groups : ndarray of int, shape (S,)
        Cluster (respondent) code of each observation, 0..G-1.
    """
    bread = np.linalg.inv(-hessian)
    G = int(groups.max()) + 1
    meat = np.zeros((G, scores.shape[1]))
    for k in range(scores.shape[1]):
        meat[:, k] = np.bincount(groups, weights=scores[:, k], minlength=G)
    return bread @ (meat.T @ meat) @ bread * (G / (G - 1) if G > 1 else 1.0)


def krinsky_robb(beta: np.ndarray, cov: np.ndarray, fn: Callable[[np.ndarray], np.ndarray], *,
                 n_draws: int = 4000, level: float = 0.95, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Point value and simulated interval of ``fn(beta)`` with ``beta ~ N(estimate, cov)``.

    Draws come in antithetic pairs (``b + e`` and ``b - e``), so their mean is the estimate itself.

    Parameters
    ----------
    fn : callable
        Maps parameter draws, shape (D, K), to the quantities, shape (D, Q).

    Returns
    -------
    (value, low, high) : ndarrays, shape (Q,)
        ``fn(beta)`` and the central ``level`` quantiles of ``fn`` over the draws (NaN draws, e.g.
        a non-negative price coefficient, are left out).
    """
    beta = np.asarray(beta, float)
    vals, vecs = np.linalg.eigh(np.asarray(cov, float))
    root = vecs * np.sqrt(np.clip(vals, 0, None))
    e = np.random.default_rng(seed).standard_normal((n_draws // 2, len(beta))) @ root.T
    draws = beta + np.vstack([e, -e])
    sims = np.asarray(fn(draws), float)
    low, high = np.nanquantile(sims, [0.5 - level / 2, 0.5 + level / 2], axis=0)
    return np.asarray(fn(beta[None, :]), float)[0], low, high


def mnl_wtp_simulation(model, *, robust: bool = True, n_draws: int = 4000, level: float = 0.95,
                       seed: int = 0) -> pd.DataFrame:
    """WTP of every level over its attribute's first level, intervals by Krinsky-Robb simulation.

    Parameters
    ----------
    model : cvkit.choice.MNL
        A fitted aggregate MNL.
    robust : bool, default True
        Draw from the respondent-clustered covariance (``robust_cov_``) rather than the classical one.

    Returns
    -------
    DataFrame
        :func:`cvkit.choice.wtp` columns (``attribute``, ``from_level``, ``to_level``,
        ``utility_diff``, ``wtp``, ``lower``, ``upper``) plus ``covariance`` (``clustered`` or
        ``classical``) and ``method`` (``simulation``).
    """
    from cvkit.choice.utilities import Utilities, wtp
    from cvkit.estimator import check_is_fitted

    check_is_fitted(model, "params_")
    cov = (model.robust_cov_ if robust else model.cov_).to_numpy()
    T = model.spec.level_map()
    beta = model.params_.to_numpy()
    vals, vecs = np.linalg.eigh(cov)
    e = np.random.default_rng(seed).standard_normal((n_draws // 2, len(beta))) @ (vecs * np.sqrt(np.clip(vals, 0, None))).T
    draws = (beta + np.vstack([e, -e])) @ T.T  # antithetic: the draws' mean is the estimate
    ids = model.data_.respondent_ids
    u = Utilities(model.spec, pd.DataFrame(np.tile(T @ beta, (len(ids), 1)), columns=model.spec.level_columns,
                                           index=pd.Index(ids, name="respondent_id")),
                  mean=T @ beta, cov=T @ cov @ T.T, draws=draws, source="mnl")
    return wtp(u, level=level).assign(covariance="clustered" if robust else "classical", method="simulation")
