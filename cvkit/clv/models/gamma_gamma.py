"""Gamma-Gamma model of the value of repeat purchases (Fader, Hardie & Lee 2005; Colombo & Jiang 1999)."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import digamma, gammaln

from cvkit.clv.models.base import CompressedData, LikelihoodModel, as_array, compress_rows
from cvkit.exceptions import FitError

__all__ = ["GammaGammaModel"]


class GammaGammaModel(LikelihoodModel):
    """Gamma-Gamma model of the value of repeat purchases (Fader, Hardie & Lee 2005; Colombo & Jiang 1999).

    A customer's purchases have values ``z ~ Gamma(p, nu)`` around a
    customer-specific mean ``p / nu`` with ``nu ~ Gamma(q, gamma)``; value is
    assumed independent of the purchase process. Fitted on repeat buyers'
    mean repeat-purchase value. Fitted attributes: ``params_`` (p, q, gamma
    in currency), ``log_likelihood_``, ``n_excluded_nonpositive_``.
    """

    _param_names = ("p", "q", "gamma")
    _model_name = "Gamma-Gamma"

    def fit(self, frequency: Any, monetary_value: Any = None, *, weights: Any = None,
            init: dict[str, float] | None = None) -> "GammaGammaModel":
        """Fit on customers with at least one repeat purchase.

        Parameters
        ----------
        frequency : DataFrame or array-like, shape (n,)
            A summary table (``frequency``, ``monetary_value``) or the repeat
            purchase counts.
        monetary_value : array-like, shape (n,)
            Mean value of the repeat purchases (currency).
        weights : array-like, optional
            Customers per row.

        Returns
        -------
        self

        Notes
        -----
        Customers without repeat purchases carry no information and are left
        out. Repeat buyers with a mean value <= 0 (refunds, free orders)
        cannot come from a gamma distribution: they are left out too, with a
        warning giving their number (``n_excluded_nonpositive_``).
        """
        if isinstance(frequency, pd.DataFrame):
            df = frequency
            if "monetary_value" not in df.columns:
                raise KeyError("the summary table lacks 'monetary_value'; summarise with an amount column")
            frequency, monetary_value = df["frequency"], df["monetary_value"]
            if weights is None and "weight" in df.columns:
                weights = df["weight"]
        x = as_array(frequency, "frequency")
        m = as_array(monetary_value, "monetary_value")
        w = np.ones(len(x)) if weights is None else as_array(weights, "weights")
        repeat = x > 0
        if not np.any(repeat):
            raise FitError("Gamma-Gamma: no customer made a repeat purchase, so the spread of purchase values "
                           "across customers cannot be estimated. Fix: use a longer observation window or use "
                           "the mean first-purchase value as the expected spend")
        bad = repeat & (m <= 0)
        self.n_excluded_nonpositive_ = int(round(w[bad].sum()))
        if self.n_excluded_nonpositive_:
            warnings.warn(f"Gamma-Gamma: {self.n_excluded_nonpositive_} repeat buyers have a mean purchase value "
                          "<= 0 and are left out of the spend model (values must be positive). If these are "
                          "returns netted against purchases, summarise gross sales instead.", UserWarning,
                          stacklevel=2)
        keep = repeat & (m > 0) & (w > 0)
        if keep.sum() < 2:
            raise FitError(f"Gamma-Gamma: only {int(keep.sum())} repeat buyer(s) with a positive purchase value; "
                           "the model needs many. Fix: fit on more customers")
        (xu, mu_), counts, _ = compress_rows(x[keep], m[keep], weights=w[keep])
        data = CompressedData({"x": xu, "m": mu_}, counts, {})
        return self._fit_data(data, init)

    def _init_params(self, data: CompressedData) -> np.ndarray:
        m = np.average(data.cols["m"], weights=data.weights)
        return np.array([2.0, 3.0, 2.0 * m / 2.0])

    def _loglik(self, params: np.ndarray, data: CompressedData, grad: bool):
        p, q, g_ = params
        x, m = data.cols["x"], data.cols["m"]
        px = p * x
        lgm = np.log(g_ + m * x)
        ll = (gammaln(px + q) - gammaln(px) - gammaln(q) + q * np.log(g_) + (px - 1) * np.log(m)
              + px * np.log(x) - (px + q) * lgm)
        if not grad:
            return ll, None
        psi_pq = digamma(px + q)
        g = np.empty((len(x), 3))
        g[:, 0] = x * (psi_pq - digamma(px) + np.log(m) + np.log(x) - lgm)
        g[:, 1] = psi_pq - digamma(q) + np.log(g_) - lgm
        g[:, 2] = q / g_ - (px + q) / (g_ + m * x)
        return ll, g

    @property
    def population_mean_(self) -> float:
        """Mean purchase value across customers, p gamma / (q - 1) (currency; infinite if q <= 1)."""
        self._check_fitted()
        p, q, g_ = self.params_.to_numpy()
        return float(p * g_ / (q - 1)) if q > 1 else float("inf")

    def conditional_expected_average_value(self, frequency: Any, monetary_value: Any = None) -> np.ndarray:
        """Expected value of a customer's future purchases given their repeat history.

        A credibility-weighted mean of the population mean and the customer's
        own mean: ``(p gamma + p x m) / (p x + q - 1)``.

        Parameters
        ----------
        frequency, monetary_value : summary DataFrame or arrays, shape (n,)

        Returns
        -------
        ndarray, shape (n,)
            Expected value per purchase (currency); the population mean for
            customers without repeat purchases.
        """
        self._check_fitted()
        if isinstance(frequency, pd.DataFrame):
            frequency, monetary_value = frequency["frequency"], frequency["monetary_value"]
        x = as_array(frequency, "frequency")
        m = as_array(monetary_value, "monetary_value")
        p, q, g_ = self.params_.to_numpy()
        if q <= 1:
            raise FitError(f"Gamma-Gamma: q = {q:.3g} <= 1, so the population mean spend is infinite and "
                           "expected values are undefined. Fix: check for extreme purchase values (trim or "
                           "cap them) before fitting")
        m = np.where(x > 0, np.maximum(m, 0.0), 0.0)
        return (p * g_ + p * x * m) / (p * x + q - 1)

    conditional_expected_average_profit = conditional_expected_average_value

    def _draw_purchase_scale(self, x, m, rng):
        """One posterior draw of each customer's Gamma rate nu: Gamma(q + p x, gamma + x m) (shape, rate).

        A future purchase of the customer is then Gamma(p, nu) (shape, rate): its value varies around
        the customer's mean p / nu.
        """
        p, q, g_ = self.params_.to_numpy()
        m = np.where(x > 0, np.maximum(m, 0.0), 0.0)
        return rng.gamma(q + p * x, 1.0 / (g_ + x * m))  # x purchases worth x m in all

    def simulate(self, frequency: Any, seed: int | None = None) -> pd.DataFrame:
        """Draw mean repeat-purchase values for customers with the given repeat counts.

        Returns
        -------
        pandas.DataFrame
            ``frequency``, ``monetary_value`` (0 when frequency is 0) and the
            latent ``nu_``.
        """
        self._check_fitted()
        x = as_array(frequency, "frequency")
        p, q, g_ = self.params_.to_numpy()
        rng = np.random.default_rng(seed)
        nu = rng.gamma(q, 1.0 / g_, len(x))
        total = rng.gamma(np.maximum(p * x, 1e-300), 1.0 / nu)
        mean = np.where(x > 0, total / np.maximum(x, 1), 0.0)
        return pd.DataFrame({"frequency": x, "monetary_value": mean, "nu_": nu})
