"""Shared machinery of the CLV models: data compression, MLE on log-parameters, diagnostics.

Every model here defines a per-row log-likelihood and its gradient with
respect to the *natural* parameters; this module optimises the weighted sum on
the log scale (so parameters stay positive without bounds), checks the
result (gradient norm, positive definite observed information) and builds the
summary table with standard errors.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, stats

from cvkit._threads import one_blas_thread
from cvkit.estimator import check_is_fitted
from cvkit.exceptions import ConvergenceWarning, FitError

__all__ = ["LikelihoodModel", "CompressedData", "compress_rows", "as_array", "logsumexp_weights"]


def compress_rows(*columns: np.ndarray, weights: np.ndarray | None = None) -> tuple[list[np.ndarray], np.ndarray,
                                                                                   np.ndarray]:
    """Collapse identical rows into unique rows with summed weights.

    Customers with the same ``(frequency, recency, T)`` contribute the same
    likelihood term, so the log-likelihood over unique rows times their counts
    is exact and usually far cheaper (e.g. all non-repeaters acquired on the
    same day share one row).

    Parameters
    ----------
    *columns : ndarray, shape (n,)
        The data columns.
    weights : ndarray, shape (n,), optional
        Existing row weights (counts); default 1.

    Returns
    -------
    unique_columns : list of ndarray, shape (m,)
    counts : ndarray, shape (m,)
        Summed weights of each unique row.
    inverse : ndarray, shape (n,)
        Index of each original row in the unique rows.
    """
    cols = [np.asarray(c, dtype=float).reshape(-1) for c in columns]
    # Hash-factorise each column and fold the integer codes together (exact, O(n)), then sort
    # only the unique rows, so the result does not depend on the input order.
    code = np.zeros(len(cols[0]), dtype=np.int64)
    bound = 1
    for c in cols:
        c_codes, c_uniques = pd.factorize(c, sort=False)
        if bound * len(c_uniques) >= 2**62:  # re-number before the folded code could overflow
            code, uniq_codes = pd.factorize(code, sort=False)
            bound = len(uniq_codes)
        code = code * len(c_uniques) + c_codes
        bound *= len(c_uniques)
    code, _ = pd.factorize(code, sort=False)
    m = int(code.max()) + 1 if len(code) else 0
    first = np.empty(m, dtype=np.int64)
    first[code[::-1]] = np.arange(len(code) - 1, -1, -1)
    uniq = [c[first] for c in cols]
    order = np.lexsort(uniq[::-1])
    rank = np.empty(m, dtype=np.int64)
    rank[order] = np.arange(m)
    inverse = rank[code]
    uniq = np.column_stack([u[order] for u in uniq]) if m else np.empty((0, len(cols)))
    w = np.ones(len(code)) if weights is None else np.asarray(weights, dtype=float)
    counts = np.bincount(inverse, weights=w, minlength=len(uniq))
    return [uniq[:, j].copy() for j in range(uniq.shape[1])], counts, inverse


@dataclass
class CompressedData:
    """Compressed data handed to a model's log-likelihood."""

    cols: dict[str, np.ndarray]
    weights: np.ndarray
    cache: dict[str, Any]


class LikelihoodModel:
    """Maximum likelihood on log-parameters with diagnostics; subclasses define the likelihood.

    Subclasses set ``_param_names`` and implement ``_loglik(params, data,
    grad)`` returning the per-row log-likelihood (shape (m,)) and, when
    ``grad`` is true, its gradient w.r.t. the natural parameters (shape
    (m, k)).
    """

    _param_names: tuple[str, ...] = ()
    _model_name: str = ""

    def __init__(self, *, tol: float = 1e-7, max_iter: int = 2000):
        self.tol = tol
        self.max_iter = max_iter

    # -- subclass hooks -----------------------------------------------------------------------
    def _loglik(self, params: np.ndarray, data: CompressedData, grad: bool) -> tuple[np.ndarray, np.ndarray | None]:
        raise NotImplementedError

    def _init_params(self, data: CompressedData) -> np.ndarray:
        raise NotImplementedError

    def _prepare(self, data: CompressedData) -> None:
        """Precompute anything that depends on the data only (e.g. unique frequencies)."""

    # -- fitting ------------------------------------------------------------------------------
    def _total(self, params: np.ndarray, data: CompressedData, grad: bool = True):
        ll, g = self._loglik(params, data, grad)
        total = float(np.dot(data.weights, ll))
        if not grad:
            return total, None
        return total, data.weights @ g

    def _fit_data(self, data: CompressedData, init: dict[str, float] | np.ndarray | None = None) -> "LikelihoodModel":
        self._prepare(data)
        n = float(data.weights.sum())
        if init is None:
            theta0 = np.log(self._init_params(data))
        elif isinstance(init, dict):
            theta0 = np.log([float(init[k]) for k in self._param_names])
        else:
            theta0 = np.log(np.asarray(init, dtype=float))

        def objective(theta: np.ndarray) -> tuple[float, np.ndarray]:
            params = np.exp(theta)
            total, g = self._total(params, data, grad=True)
            if not np.isfinite(total):
                # Steer the line search back instead of failing: an infinite objective is "worse".
                return 1e300, np.zeros_like(theta)
            # Mean negative log-likelihood per customer keeps the scale independent of n,
            # so one set of tolerances suits 100 and 10 million customers.
            return -total / n, -(g * params) / n

        with np.errstate(over="ignore", under="ignore", divide="ignore", invalid="ignore"), one_blas_thread():
            res = optimize.minimize(objective, theta0, jac=True, method="L-BFGS-B",
                                    options={"maxiter": self.max_iter, "gtol": self.tol * 1e-2,
                                             "ftol": 1e-15, "maxcor": 20})
            params = np.exp(res.x)
            total, g = self._total(params, data, grad=True)
            hess = self._hessian(params, data, g)
        self.params_ = pd.Series(params, index=list(self._param_names), name="estimate")
        self.log_likelihood_ = total
        self.n_obs_ = int(round(n))
        self.n_rows_ = len(data.weights)
        self.optimizer_result_ = res
        self.gradient_norm_ = float(np.max(np.abs(g * params)) / n)
        self._data = data
        self.hessian_ = hess
        self._check_convergence(res, hess)
        return self

    def _hessian(self, params: np.ndarray, data: CompressedData, g0: np.ndarray | None = None) -> np.ndarray:
        """Hessian of the total log-likelihood in natural parameters: forward differences of the
        analytic gradient (relative steps), symmetrised. Accurate to about 1e-5 relative, plenty
        for standard errors and the definiteness check, at k gradient evaluations."""
        k = len(params)
        if g0 is None:
            g0 = self._total(params, data)[1]
        hess = np.empty((k, k))
        for j in range(k):
            h = 1e-6 * max(abs(params[j]), 1e-8)
            up = params.copy()
            up[j] += h
            with np.errstate(all="ignore"):
                gu = self._total(up, data)[1]
            hess[:, j] = (gu - g0) / h
        return (hess + hess.T) / 2

    def _check_convergence(self, res: Any, hess: np.ndarray) -> None:
        problems = []
        if not np.all(np.isfinite(self.params_.to_numpy())) or not np.isfinite(self.log_likelihood_):
            problems.append("the log-likelihood is not finite at the estimates")
        if self.gradient_norm_ > self.tol * 10:
            problems.append(f"the gradient is not zero at the estimates (largest score per customer "
                            f"{self.gradient_norm_:.2e}, optimizer said: {res.message})")
        eig = np.linalg.eigvalsh(-hess) if np.all(np.isfinite(hess)) else np.array([np.nan])
        if not np.all(eig > 0):
            problems.append("the observed information is not positive definite, so the estimates are not a "
                            "well-defined maximum (standard errors are unavailable)")
        p = self.params_.to_numpy()
        if np.any(p > 1e6) or np.any(p < 1e-6):
            problems.append(f"some estimates are at extreme values ({self._format_params()}), which usually "
                            "means a parameter is not identified by these data")
        self.converged_ = not problems
        if problems:
            warnings.warn(
                f"{self._model_name} fit did not converge cleanly: " + "; ".join(problems) + ". "
                "What to try: express recency and T in a unit that makes them tens rather than "
                "thousands (weeks instead of days), start from other values with init={...}, check "
                "for implausible customers (e.g. thousands of purchases, test accounts), or use a "
                "simpler model (BG/NBD instead of Pareto/NBD).",
                ConvergenceWarning, stacklevel=3)

    def _format_params(self) -> str:
        return ", ".join(f"{k}={v:.4g}" for k, v in self.params_.items())

    # -- results ------------------------------------------------------------------------------
    def _check_fitted(self) -> None:
        check_is_fitted(self, "params_")

    @property
    def cov_(self) -> pd.DataFrame:
        """Asymptotic covariance of the natural parameters: inverse observed information.

        All NaN when the observed information is not positive definite (the fit is not a proper
        maximum, see ``converged_``): an "inverse" with negative variances would be no covariance.
        """
        self._check_fitted()
        names = list(self._param_names)
        try:
            np.linalg.cholesky(-self.hessian_)  # raises unless positive definite
            cov = np.linalg.inv(-self.hessian_)
        except np.linalg.LinAlgError:
            cov = np.full((len(names), len(names)), np.nan)
        return pd.DataFrame(cov, index=names, columns=names)

    @property
    def se_(self) -> pd.Series:
        """Standard errors of the natural parameters from the observed information."""
        self._check_fitted()
        cov = self.cov_.to_numpy()
        with np.errstate(invalid="ignore"):
            se = np.sqrt(np.diag(cov))
        se[~(np.diag(cov) > 0)] = np.nan
        return pd.Series(se, index=list(self._param_names), name="se")

    @property
    def aic_(self) -> float:
        """Akaike information criterion, -2 LL + 2 k."""
        self._check_fitted()
        return -2 * self.log_likelihood_ + 2 * len(self._param_names)

    @property
    def bic_(self) -> float:
        """Bayesian information criterion, -2 LL + k ln(n customers)."""
        self._check_fitted()
        return -2 * self.log_likelihood_ + len(self._param_names) * np.log(self.n_obs_)

    def summary(self, level: float = 0.95) -> pd.DataFrame:
        """Estimates with standard errors and Wald intervals.

        Parameters
        ----------
        level : float
            Coverage of the interval (0.95 = 95%).

        Returns
        -------
        pandas.DataFrame
            Index: parameter names. Columns ``estimate``, ``se`` (observed
            information), ``lower``, ``upper`` (Wald interval at ``level`` on the
            log scale, so it stays positive). ``attrs`` holds ``level``,
            ``log_likelihood`` (sum over customers, natural time units: the
            published convention), ``aic``, ``bic``, ``n_obs`` (customers) and
            ``converged``.
        """
        self._check_fitted()
        est = self.params_
        se = self.se_
        # Delta method: se(log p) = se(p) / p; intervals built on the log scale stay positive.
        half = stats.norm.ppf(0.5 + level / 2) * se / est
        out = pd.DataFrame({"estimate": est, "se": se, "lower": est * np.exp(-half), "upper": est * np.exp(half)})
        out.index.name = "parameter"
        out.attrs.update(model=self._model_name, level=level, log_likelihood=self.log_likelihood_, aic=self.aic_,
                         bic=self.bic_, n_obs=self.n_obs_, converged=self.converged_)
        return out

    def sample_parameters(self, n_draws: int, seed: int | None = None) -> np.ndarray:
        """Draw parameter vectors from the asymptotic normal distribution of the log-parameters.

        Used for parametric-bootstrap intervals on derived quantities (CLV
        totals): the log scale keeps every draw positive.

        Returns
        -------
        ndarray, shape (n_draws, k)
            Natural-scale parameter draws.
        """
        self._check_fitted()
        p = self.params_.to_numpy()
        cov = self.cov_.to_numpy()
        if not np.all(np.isfinite(cov)):
            raise FitError(f"{self._model_name}: no covariance (the fit did not converge), so parameter "
                           "uncertainty cannot be sampled; refit (see the ConvergenceWarning) first")
        cov_log = cov / np.outer(p, p)
        rng = np.random.default_rng(seed)
        return np.exp(rng.multivariate_normal(np.log(p), cov_log, size=n_draws, method="cholesky"))

    def bootstrap_parameters(self, n_draws: int, seed: int | None = None, *,
                             max_customers: int | None = None) -> np.ndarray:
        """Parameter vectors re-estimated on bootstrap resamples of the customers.

        The fallback when the observed information gives no covariance (see :attr:`cov_`): each
        draw resamples the customers with replacement (multinomial weights on the compressed rows)
        and refits from the estimates. Slower than :meth:`sample_parameters` (one fit per draw),
        but it needs no curvature at the estimates.

        Parameters
        ----------
        n_draws : int
            Refits.
        seed : int, optional
            Random seed.
        max_customers : int, optional
            Above this many customers, each refit resamples only ``m = max_customers`` of the ``n``
            (the m-out-of-n bootstrap) and its deviation from the estimates is shrunk by
            ``sqrt(m / n)`` on the log scale: the spread of an estimate from ``m`` customers is
            ``sqrt(n / m)`` times that from ``n``. A refit then costs the same for two million
            customers as for ``m``. Default: every customer (the ordinary bootstrap).

        Returns
        -------
        ndarray, shape (n_draws, k)
            Natural-scale parameter draws.
        """
        self._check_fitted()
        data, start = self._data, self.params_.to_numpy()
        n = max(int(round(float(data.weights.sum()))), 1)
        m = n if max_customers is None else min(n, int(max_customers))
        rng = np.random.default_rng(seed)
        out = np.empty((n_draws, len(self._param_names)))
        for i in range(n_draws):
            w = rng.multinomial(m, data.weights / data.weights.sum()).astype(float)
            keep = w > 0
            sample = CompressedData({k: v[keep] for k, v in data.cols.items()}, w[keep], {})
            clone = object.__new__(type(self))
            clone.__dict__.update(self.__dict__)
            with warnings.catch_warnings():  # a resample may converge loosely; its estimate still counts
                warnings.simplefilter("ignore", ConvergenceWarning)
                out[i] = clone._fit_data(sample, init=start).params_.to_numpy()
        if m < n:
            out = np.exp(np.log(start) + np.sqrt(m / n) * (np.log(out) - np.log(start)))
        return out

    def _with_params(self, params: np.ndarray) -> "LikelihoodModel":
        """A shallow copy carrying other parameter values (for bootstrap draws)."""
        clone = object.__new__(type(self))
        clone.__dict__.update(self.__dict__)
        clone.params_ = pd.Series(np.asarray(params, dtype=float), index=list(self._param_names), name="estimate")
        return clone

    def __repr__(self) -> str:
        if hasattr(self, "params_"):
            return f"{type(self).__name__}({self._format_params()}, LL={self.log_likelihood_:.2f})"
        return f"{type(self).__name__}(unfitted)"


def as_array(values: Any, name: str) -> np.ndarray:
    arr = np.asarray(values, dtype=float).reshape(-1)
    if not np.all(np.isfinite(arr)):
        bad = np.flatnonzero(~np.isfinite(arr))
        raise ValueError(f"{name} has {len(bad)} missing or infinite values (first at row {bad[0]}); "
                         "drop or fix those customers before fitting")
    return arr


def logsumexp_weights(*terms: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
    """log(sum(exp(terms))) and the softmax weights of each term, row by row; -inf terms allowed."""
    stacked = np.stack(terms)
    m = np.max(stacked, axis=0)
    m = np.where(np.isfinite(m), m, 0.0)
    e = np.exp(stacked - m)
    s = e.sum(axis=0)
    return m + np.log(s), list(e / s)


