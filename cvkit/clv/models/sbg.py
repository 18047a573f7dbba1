"""Shifted-beta-geometric model of contract renewals (Fader & Hardie 2007)."""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.special import betaln, digamma, hyp2f1

from cvkit.clv.models.base import CompressedData, LikelihoodModel, as_array
from cvkit.exceptions import FitError

__all__ = ["ShiftedBetaGeometricModel"]


class ShiftedBetaGeometricModel(LikelihoodModel):
    """Shifted-beta-geometric model of contract renewals (Fader & Hardie 2007).

    Each customer renews each period with a constant probability ``1 - theta``,
    ``theta ~ Beta(alpha, beta)`` across customers, so aggregate retention
    rises over time as the likely churners leave.

    Fit from a cohort's survivor counts ``[n_0, n_1, ..., n_T]`` (customers
    still active at the start of period 0, 1, ..., T).

    References
    ----------
    Fader, P. S. & Hardie, B. G. S. (2007). How to project customer retention.
    Journal of Interactive Marketing 21(1).
    """

    _param_names = ("alpha", "beta")
    _model_name = "sBG"

    def fit(self, survivors: Any, init: dict[str, float] | None = None) -> "ShiftedBetaGeometricModel":
        """Fit on survivor counts of one cohort.

        Parameters
        ----------
        survivors : array-like, shape (T + 1,)
            Customers active at the start of the cohort and at the end of each
            period; non-increasing, first value > 0.

        Returns
        -------
        self
        """
        s = as_array(survivors, "survivors")
        if len(s) < 2:
            raise FitError("sBG: give survivor counts for at least one period after the start, e.g. [1000, 631]")
        if s[0] <= 0 or np.any(np.diff(s) > 0) or np.any(s < 0):
            raise ValueError(f"sBG: survivor counts must start positive and never increase, got {s.tolist()}; "
                             "give the number of the original cohort still active after each period")
        if s[-1] == s[0]:
            raise FitError("sBG: nobody churned, so churn probabilities cannot be estimated; observe more periods")
        lost = -np.diff(s)
        t = np.arange(1, len(s))
        # rows: churned in period t (weight lost_t) and the survivors at the end (right-censored).
        data = CompressedData({"t": np.append(t, t[-1]).astype(float), "censored": np.append(np.zeros(len(t)), 1.0)},
                     np.append(lost, s[-1]), {})
        self.survivors_ = s
        return self._fit_data(data, init)

    def _init_params(self, data: CompressedData) -> np.ndarray:
        return np.array([1.0, 1.0])

    def _loglik(self, params: np.ndarray, data: CompressedData, grad: bool):
        a, b = params
        t, cens = data.cols["t"], data.cols["censored"]
        # P(T = t) = B(a+1, b+t-1)/B(a,b); S(t) = B(a, b+t)/B(a,b)
        u = np.where(cens > 0, a, a + 1)
        v = np.where(cens > 0, b + t, b + t - 1)
        ll = betaln(u, v) - betaln(a, b)
        if not grad:
            return ll, None
        d_uv = digamma(u + v)
        d_ab = digamma(a + b)
        g = np.column_stack([digamma(u) - d_uv - digamma(a) + d_ab, digamma(v) - d_uv - digamma(b) + d_ab])
        return ll, g

    def survival(self, t: Any) -> np.ndarray:
        """Share of a new cohort still active after ``t`` periods, S(t) = B(alpha, beta+t) / B(alpha, beta)."""
        self._check_fitted()
        a, b = self.params_.to_numpy()
        return np.exp(betaln(a, b + np.asarray(t, dtype=float)) - betaln(a, b))

    def retention_rate(self, t: Any) -> np.ndarray:
        """Renewal rate from period t-1 to t, (beta + t - 1) / (alpha + beta + t - 1), t >= 1."""
        self._check_fitted()
        a, b = self.params_.to_numpy()
        t = np.asarray(t, dtype=float)
        return (b + t - 1) / (a + b + t - 1)

    def expected_survivors(self, n_periods: int, cohort_size: float | None = None) -> np.ndarray:
        """Projected survivors at t = 0..n_periods for a cohort (default: the fitted cohort's size)."""
        size = self.survivors_[0] if cohort_size is None else cohort_size
        return size * self.survival(np.arange(n_periods + 1))

    def expected_discounted_lifetime(self, discount_rate: float) -> float:
        """Expected discounted lifetime of a new customer, DEL (Fader & Hardie 2010).

        ``sum_{t>=0} S(t) / (1+d)^t = 2F1(1, beta; alpha+beta; 1/(1+d))``: the
        expected number of payments, the first (now) undiscounted. Multiply by
        the margin per period to get the CLV of a new customer.

        Parameters
        ----------
        discount_rate : float
            Discount rate per period (> 0).

        Returns
        -------
        float
            Discounted number of periods paid.
        """
        self._check_fitted()
        if discount_rate <= 0:
            raise ValueError("discount_rate must be > 0 (the undiscounted expected lifetime may be infinite)")
        a, b = self.params_.to_numpy()
        return float(hyp2f1(1.0, b, a + b, 1.0 / (1 + discount_rate)))

    def expected_residual_lifetime(self, discount_rate: float, renewals: int = 0) -> float:
        """Discounted expected residual lifetime, DERL (Fader & Hardie 2010).

        For a customer who has made ``renewals = n - 1`` renewals, standing at
        the end of period n - 1 just before the n-th renewal decision: the
        expected discounted number of payments still to come, the one now (if
        they renew) undiscounted, ``sum_{t>=n} S(t)/S(n-1)/(1+d)^(t-n) =
        (beta+n-1)/(alpha+beta+n-1) 2F1(1, beta+n; alpha+beta+n; 1/(1+d))``.

        Returns
        -------
        float
            Discounted number of future payments.
        """
        self._check_fitted()
        if discount_rate <= 0:
            raise ValueError("discount_rate must be > 0 (the undiscounted expected lifetime may be infinite)")
        if renewals < 0:
            raise ValueError("renewals must be >= 0")
        a, b = self.params_.to_numpy()
        n = renewals + 1
        return float((b + n - 1) / (a + b + n - 1) * hyp2f1(1.0, b + n, a + b + n, 1.0 / (1 + discount_rate)))

    def simulate(self, n: int, n_periods: int, seed: int | None = None) -> np.ndarray:
        """Survivor counts ``[n, n_1, ..., n_{n_periods}]`` of a simulated cohort of ``n`` customers."""
        self._check_fitted()
        a, b = self.params_.to_numpy()
        rng = np.random.default_rng(seed)
        theta = rng.beta(a, b, n)
        life = rng.geometric(theta)  # period in which each customer churns (>= 1)
        return np.array([(life > t).sum() for t in range(n_periods + 1)], dtype=float)
