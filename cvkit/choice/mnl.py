"""Aggregate conditional (multinomial) logit with analytic gradient and Hessian.

The log-likelihood of the conditional logit is globally concave, so Newton's
method with a backtracking line search (a trust region in effect: steps that
do not increase the likelihood are shortened) converges in a handful of
iterations. Every quantity is computed on the dense (S, J, K) array in a few
BLAS calls, which is why this beats general-purpose estimators.

References
----------
McFadden, D. (1974). Conditional logit analysis of qualitative choice behavior.
Train, K. E. (2009). *Discrete Choice Methods with Simulation*, ch. 3 and 8.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import linalg, stats

from cvkit.choice.base import ChoiceEstimator, hit_rate, split_holdout
from cvkit.choice.data import ChoiceData
from cvkit.choice.spec import ChoiceSpec, as_spec
from cvkit.choice.utilities import Utilities
from cvkit.choice.wtp_simulation import cluster_robust_cov
from cvkit.estimator import check_is_fitted
from cvkit.exceptions import FitError

__all__ = ["MNL", "MNLFit", "fit_mnl_arrays", "mnl_loglik", "hit_rate", "split_holdout"]


@dataclass
class MNLFit:
    """Raw result of :func:`fit_mnl_arrays`."""

    beta: np.ndarray
    log_likelihood: float
    gradient: np.ndarray
    hessian: np.ndarray
    scores: np.ndarray | None
    n_iter: int
    converged: bool


def _offset(avail: np.ndarray) -> np.ndarray:
    return np.where(avail, 0.0, -np.inf)


def _probs(X: np.ndarray, offset: np.ndarray, beta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Choice probabilities (S, J) and log-sum-exp (S,) for coefficients ``beta``."""
    S, J, K = X.shape
    V = (X.reshape(S * J, K) @ beta).reshape(S, J) + offset
    m = V.max(axis=1, keepdims=True)
    E = np.exp(V - m)
    den = E.sum(axis=1, keepdims=True)
    return E / den, (np.log(den) + m)[:, 0], V


def mnl_loglik(X: np.ndarray, avail: np.ndarray, chosen: np.ndarray, beta: np.ndarray,
               weights: np.ndarray | None = None) -> float:
    """Log-likelihood of a conditional logit.

    Parameters
    ----------
    X : ndarray, shape (S, J, K)
    avail : ndarray of bool, shape (S, J)
    chosen : ndarray of int, shape (S,)
    beta : ndarray, shape (K,)
    weights : ndarray, shape (S,), optional

    Returns
    -------
    float
    """
    P, lse, V = _probs(X, _offset(avail), beta)
    ll = V[np.arange(len(chosen)), chosen] - lse
    return float(ll.sum() if weights is None else ll @ weights)


def _derivatives(X, offset, chosen, beta, w, wXc, scores=False):
    """Log-likelihood, gradient (K,), Hessian (K, K) and optionally per-situation scores (S, K).

    ``w`` is None for unit weights (saves a pass over the data); ``wXc`` is the
    weighted sum of the chosen alternatives' rows, which does not depend on beta.
    """
    S, J, K = X.shape
    X2 = X.reshape(S * J, K)
    V = (X2 @ beta).reshape(S, J)
    if offset is not None:
        V += offset
    # max and sum over the few alternatives as J elementwise passes: numpy's reductions
    # along a short axis are several times slower
    m = V[:, 0].copy()
    for j in range(1, J):
        np.maximum(m, V[:, j], out=m)
    P = np.exp(V - m[:, None])
    den = P[:, 0].copy()
    for j in range(1, J):
        den += P[:, j]
    P /= den[:, None]
    ll_s = V[np.arange(S), chosen] - np.log(den) - m
    Xbar = np.einsum("sj,sjk->sk", P, X)                  # (S, K) expected attributes
    # sum_sj p x x' as Y'Y with Y = sqrt(p) x: NumPy hands Y.T @ Y to BLAS syrk (half a gemm).
    if w is None:
        ll = float(ll_s.sum())
        g = wXc - Xbar.sum(axis=0)
        Y = X2 * np.sqrt(P).reshape(-1, 1)
        H = -(Y.T @ Y - Xbar.T @ Xbar)
    else:
        ll = float(ll_s @ w)
        g = wXc - w @ Xbar
        Y = X2 * np.sqrt(P * w[:, None]).reshape(-1, 1)
        H = -(Y.T @ Y - (Xbar * w[:, None]).T @ Xbar)
    sc = None
    if scores:
        sc = X[np.arange(S), chosen] - Xbar
        if w is not None:
            sc *= w[:, None]
    return ll, g, H, sc


def fit_mnl_arrays(X: np.ndarray, avail: np.ndarray, chosen: np.ndarray, *,
                   weights: np.ndarray | None = None, beta0: np.ndarray | None = None,
                   tol: float = 1e-9, max_iter: int = 100, names: list[str] | None = None,
                   checks: bool = True, scores: bool = False) -> MNLFit:
    """Maximum-likelihood conditional logit on dense arrays (Newton with line search).

    Parameters
    ----------
    X : ndarray, shape (S, J, K)
        Coded attributes; padded alternatives may hold anything.
    avail : ndarray of bool, shape (S, J)
    chosen : ndarray of int, shape (S,)
        Position of the chosen alternative in each situation.
    weights : ndarray, shape (S,), optional
        Non-negative situation weights (latent-class M-step, respondent weights).
    beta0 : ndarray, shape (K,), optional
        Starting values (default zeros).
    tol : float
        Convergence when the Newton decrement ``g' (-H)^-1 g`` falls below ``tol``.
    max_iter : int
    names : list of str, optional
        Parameter names, used in error messages.
    checks : bool
        Check identification and separation (off inside latent-class EM,
        where a nearly empty class may legitimately run off).
    scores : bool
        Also return the per-situation scores (for clustered standard errors).

    Returns
    -------
    MNLFit

    Raises
    ------
    cvkit.exceptions.FitError
        When the parameters are not identified (collinear columns) or the
        choices are perfectly separated (the likelihood has no maximum).
    """
    X = np.ascontiguousarray(X, dtype=float)
    S, J, K = X.shape
    names = names or [f"x{k}" for k in range(K)]
    w = None if weights is None else np.asarray(weights, float)
    offset = None if avail.all() else _offset(avail)
    Xc = X[np.arange(S), chosen]
    wXc = Xc.sum(axis=0) if w is None else w @ Xc
    beta = np.zeros(K) if beta0 is None else np.asarray(beta0, float).copy()
    ll, g, H, _ = _derivatives(X, offset, chosen, beta, w, wXc)
    if beta0 is None and checks:
        _check_identified(H, names)
    converged = False
    it = 0
    for it in range(1, max_iter + 1):
        try:
            c = linalg.cho_factor(-H, check_finite=False)
            step = linalg.cho_solve(c, g, check_finite=False)
        except linalg.LinAlgError:
            # Not negative definite (far from the optimum or separation): a damped step keeps going uphill.
            step = linalg.solve(-H + 1e-6 * np.trace(-H) / K * np.eye(K) + 1e-12 * np.eye(K), g)
        decrement = float(g @ step)
        if decrement < tol:
            converged = True
            break
        # Full Newton step first, evaluated together with the next derivatives; halve it only
        # when the likelihood would fall (rare: the logit likelihood is concave).
        t = 1.0
        new = beta + step
        ll_new, g_new, H_new, _ = _derivatives(X, offset, chosen, new, w, wXc)
        while ll_new < ll - 1e-12 and t > 1e-8:
            t *= 0.5
            new = beta + t * step
            ll_new, g_new, H_new, _ = _derivatives(X, offset, chosen, new, w, wXc)
        beta, ll, g, H = new, ll_new, g_new, H_new
    sc = _derivatives(X, offset, chosen, beta, w, wXc, scores=True)[3] if scores else None
    if checks:
        _check_separation(X, avail, beta, ll, converged, names)
    return MNLFit(beta, ll, g, H, sc, it, converged)


def _check_identified(H: np.ndarray, names: list[str]) -> None:
    ev, vec = np.linalg.eigh(-H)
    if ev[0] <= 1e-10 * max(ev[-1], 1e-300):
        involved = [names[k] for k in np.flatnonzero(np.abs(vec[:, 0]) > 0.1)]
        raise FitError(
            f"choice data: the parameters {involved} are not identified: their columns are collinear "
            "(or constant within every task), so the data cannot tell their effects apart. Fix: "
            "drop one of them, or check that the design varies these attributes independently "
            "(an attribute constant within every task, e.g. a respondent characteristic, needs an "
            "interaction with an attribute that varies).")


def _check_separation(X, avail, beta, ll, converged, names) -> None:
    # Under perfect separation the likelihood keeps rising towards 0 as some
    # coefficients run off to infinity; utilities spanning tens of logit units
    # are the symptom (real part-worths rarely exceed ~10 per unit of spread).
    flat = X.reshape(-1, X.shape[2]) if avail.all() else X[avail]
    spread = np.ptp(flat, axis=0) if len(flat) else np.zeros(X.shape[2])
    size = np.abs(beta) * spread
    diverging = [names[k] for k in np.flatnonzero(size > 30)]
    if diverging or not converged and not np.isfinite(ll):
        raise FitError(
            f"choice data: perfect separation: the choices are (almost) perfectly predicted by {diverging}, "
            f"so their estimates run off to infinity (log-likelihood {ll:.3g}). Typical causes: a level that is "
            "never or always chosen, or a dominant alternative in every task. Fix: "
            "check the level counts in the design diagnostics, merge or drop the level, collect more varied "
            "tasks, or use hierarchical Bayes (its prior keeps the estimates finite).")


class MNL(ChoiceEstimator):
    """Aggregate conditional logit (one set of part-worths for everyone).

    Parameters
    ----------
    spec : ChoiceSpec or dict
        Attribute definitions (a dict of attribute -> levels is turned into a
        :class:`ChoiceSpec` with ``spec_options``).
    tol : float
        Convergence tolerance on the Newton decrement.
    max_iter : int
    **spec_options
        ``price``, ``linear``, ``none``, ``coding``, ``interactions`` when
        ``spec`` is a dict.

    Attributes
    ----------
    params_ : Series (K,)
        Estimates, logit utility per unit of the coded column.
    cov_, robust_cov_ : DataFrame (K, K)
        Classical (inverse Hessian) and respondent-clustered sandwich covariance
        (with the G/(G-1) small-sample factor, as Stata and R sandwich do).
    se_, robust_se_ : Series (K,)
    log_likelihood_, log_likelihood_null_ : float
        At the estimates and with all coefficients 0 (equal shares).
    rho2_, rho2_adj_ : float
        McFadden's rho-squared ``1 - LL/LL0`` and its adjusted version ``1 - (LL-K)/LL0``.
    aic_, bic_ : float
        ``-2LL + 2K`` and ``-2LL + K ln(S)`` (S situations).
    n_obs_ : int
        Choice situations used (= ``n_situations_``).
    n_situations_, n_respondents_, n_iter_ : int
    converged_ : bool
    hit_rate_ : float or None
        Share of holdout tasks whose chosen alternative has the highest
        predicted probability (when ``holdout`` was given to ``fit``).
    """

    def __init__(self, spec: ChoiceSpec | dict, *, tol: float = 1e-9, max_iter: int = 100, **spec_options):
        self.spec = as_spec(spec, **spec_options)
        self.tol = tol
        self.max_iter = max_iter

    def fit(self, data: pd.DataFrame | ChoiceData, *, holdout=None, weights: np.ndarray | None = None) -> "MNL":
        """Estimate the model.

        Parameters
        ----------
        data : DataFrame or ChoiceData
            Long-format choice data (see :func:`cvkit.choice.prepare`).
        holdout : sequence of task labels or bool array over situations, optional
            Tasks kept out of estimation; ``hit_rate_`` is computed on them.
        weights : ndarray, shape (N,), optional
            Respondent weights (in the order of ``data.respondent_ids``).

        Returns
        -------
        self
        """
        train, test = self._start_fit(data, holdout)
        w = None if weights is None else np.asarray(weights, float)[train.resp]
        fit = fit_mnl_arrays(train.X, train.avail, train.chosen, weights=w, tol=self.tol,
                             max_iter=self.max_iter, names=self.spec.params, scores=True)
        names = self.spec.params
        K = len(names)
        self.params_ = pd.Series(fit.beta, index=names, name="estimate")
        cov = np.linalg.inv(-fit.hessian)
        robust = cluster_robust_cov(fit.hessian, fit.scores, np.asarray(train.resp))
        self.cov_ = pd.DataFrame(cov, index=names, columns=names)
        self.robust_cov_ = pd.DataFrame(robust, index=names, columns=names)
        self.se_ = pd.Series(np.sqrt(np.diag(cov)), index=names, name="se")
        self.robust_se_ = pd.Series(np.sqrt(np.diag(robust)), index=names, name="robust_se")
        self.log_likelihood_ = fit.log_likelihood
        nalt = train.avail.sum(axis=1)
        self.log_likelihood_null_ = float(-(np.log(nalt) if w is None else np.log(nalt) * w).sum())
        self.rho2_ = 1 - self.log_likelihood_ / self.log_likelihood_null_
        self.rho2_adj_ = 1 - (self.log_likelihood_ - K) / self.log_likelihood_null_
        self.aic_ = -2 * self.log_likelihood_ + 2 * K
        self.bic_ = -2 * self.log_likelihood_ + K * np.log(train.n_situations)
        self.n_obs_ = self.n_situations_ = train.n_situations
        self.n_respondents_ = train.n_respondents
        self.n_iter_ = fit.n_iter
        self.converged_ = fit.converged
        self.hit_rate_ = self._holdout_hit_rate()
        return self

    def summary(self, level: float = 0.95, robust: bool = False) -> pd.DataFrame:
        """Estimates table: estimate, se, z, p-value and the ``level`` interval.

        Parameters
        ----------
        level : float
            Coverage of the interval (0.95 = 95%).
        robust : bool
            Use the respondent-clustered standard errors.

        Returns
        -------
        DataFrame
            Index: parameters. Columns ``estimate``, ``se``, ``z``, ``p_value``, ``lower``,
            ``upper``, ``robust_se``; ``attrs["level"]``.
        """
        check_is_fitted(self, "params_")
        se = self.robust_se_ if robust else self.se_
        z = self.params_ / se
        q = stats.norm.ppf(0.5 + level / 2)
        out = pd.DataFrame({"estimate": self.params_, "se": se, "z": z, "p_value": 2 * stats.norm.sf(np.abs(z)),
                            "lower": self.params_ - q * se, "upper": self.params_ + q * se,
                            "robust_se": self.robust_se_})
        out.attrs["level"] = level
        return out

    def fit_statistics(self) -> pd.Series:
        """LL, LL(0), rho-squared, adjusted rho-squared, AIC, BIC, sizes and hit rate."""
        check_is_fitted(self, "params_")
        return pd.Series({"log_likelihood": self.log_likelihood_, "log_likelihood_null": self.log_likelihood_null_,
                          "rho2": self.rho2_,
                          "rho2_adj": self.rho2_adj_, "aic": self.aic_, "bic": self.bic_,
                          "n_parameters": len(self.params_), "n_situations": self.n_situations_,
                          "n_respondents": self.n_respondents_, "holdout_hit_rate": self.hit_rate_})

    def predict_proba(self, data: pd.DataFrame | ChoiceData) -> np.ndarray:
        """Choice probabilities, shape (S, J) (0 for padded alternatives)."""
        cd = self._prepared(data)
        P, _, _ = _probs(cd.X, _offset(cd.avail), self.params_.to_numpy())
        return P

    def utilities(self):
        """The estimates as :class:`cvkit.choice.Utilities` (every respondent the same).

        Population uncertainty is the classical covariance, so WTP intervals are
        delta-method intervals.
        """
        check_is_fitted(self, "params_")
        T = self.spec.level_map()
        ids = self.data_.respondent_ids
        values = np.tile(T @ self.params_.to_numpy(), (len(ids), 1))
        return Utilities(self.spec, pd.DataFrame(values, columns=self.spec.level_columns,
                                                 index=pd.Index(ids, name="respondent_id")),
                         mean=T @ self.params_.to_numpy(), cov=T @ self.cov_.to_numpy() @ T.T, source="mnl")
