"""BG/BB (Fader, Hardie & Shang 2010): discrete-time non-contractual purchases."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy.special import betaln, digamma, gammaln

from cvkit.clv.models.base import CompressedData, LikelihoodModel, as_array, compress_rows
from cvkit.exceptions import FitError

__all__ = ["BetaGeoBetaBinomModel"]


class BetaGeoBetaBinomModel(LikelihoodModel):
    """BG/BB (Fader, Hardie & Shang 2010) for discrete transaction opportunities.

    Each period an active customer transacts with probability
    ``p ~ Beta(alpha, beta)``; at the start of each period an active customer
    drops out with probability ``theta ~ Beta(gamma, delta)``. Data per
    customer: ``frequency`` x (periods with a transaction, after the first),
    ``recency`` t_x (the last such period, 0 if none) and ``n_periods`` n
    (opportunities observed).

    References
    ----------
    Fader, P. S., Hardie, B. G. S. & Shang, J. (2010). Customer-base analysis in a
    discrete-time noncontractual setting. Marketing Science 29(6).
    """

    _param_names = ("alpha", "beta", "gamma", "delta")
    _model_name = "BG/BB"

    def fit(self, frequency: Any, recency: Any = None, n_periods: Any = None, *, weights: Any = None,
            init: dict[str, float] | None = None) -> "BetaGeoBetaBinomModel":
        """Fit by maximum likelihood.

        Parameters
        ----------
        frequency : DataFrame or array-like, shape (n,)
            Table with ``frequency``, ``recency``, ``n_periods`` (optional
            ``weight``) or the transaction counts.
        recency, n_periods : array-like, shape (n,)
            Period of the last transaction (0..n) and number of opportunities.
        weights : array-like, shape (n,), optional
            Customers per row (the published tables are aggregated).

        Returns
        -------
        self
        """
        x, t_x, n, w = self._columns(frequency, recency, n_periods, weights)
        if len(x) == 0 or (w is not None and w.sum() < 2) or (w is None and len(x) < 2):
            raise FitError("BG/BB: fewer than 2 customers; the model needs many (hundreds at least)")
        if not np.any(x > 0):
            raise FitError("BG/BB: no customer transacted in any period after the first, so transaction and "
                           "dropout probabilities cannot be estimated. Fix: use more periods")
        (x, t_x, n), counts, _ = compress_rows(x, t_x, n, weights=w)
        data = CompressedData({"x": x, "t_x": t_x, "n": n}, counts, {})
        return self._fit_data(data, init)

    @staticmethod
    def _columns(frequency, recency, n_periods, weights):
        if isinstance(frequency, pd.DataFrame):
            df = frequency
            frequency, recency, n_periods = df["frequency"], df["recency"], df["n_periods"]
            if weights is None and "weight" in df.columns:
                weights = df["weight"]
        x = as_array(frequency, "frequency")
        t_x = as_array(recency, "recency")
        n = as_array(n_periods, "n_periods")
        w = None if weights is None else as_array(weights, "weights")
        bad = (x < 0) | (x > t_x) | (t_x > n) | ((x == 0) & (t_x != 0)) | ((x > 0) & (t_x < 1)) | (n < 1)
        if np.any(bad):
            idx = np.flatnonzero(bad)
            raise ValueError(f"BG/BB: {len(idx)} rows are not valid (first: row {idx[0]}): need 0 <= frequency "
                             "<= recency <= n_periods, recency 0 exactly when frequency is 0, and whole "
                             "periods. Fix: count periods with a transaction after the first one")
        return x, t_x, n, w

    def _init_params(self, data: CompressedData) -> np.ndarray:
        return np.array([1.0, 1.0, 1.0, 1.0])

    def _loglik(self, params: np.ndarray, data: CompressedData, grad: bool):
        al, be, ga, de = params
        x, t_x, n = data.cols["x"], data.cols["t_x"], data.cols["n"]
        K = int(np.max(n - t_x)) if len(n) else 0
        i = np.arange(K)[None, :]
        valid = i < (n - t_x)[:, None]
        v = be + t_x[:, None] - x[:, None] + i
        dd = de + t_x[:, None] + i
        base = -betaln(al, be) - betaln(ga, de)
        T0 = betaln(al + x, be + n - x) + betaln(ga, de + n) + base
        Ti = np.where(valid, betaln((al + x)[:, None], v) + betaln(ga + 1, dd) + base, -np.inf)
        allt = np.column_stack([T0, Ti])
        mx = allt.max(axis=1, keepdims=True)
        e = np.exp(allt - mx)
        s = e.sum(axis=1, keepdims=True)
        ll = (mx + np.log(s))[:, 0]
        if not grad:
            return ll, None
        wts = e / s
        d_ab = digamma(al + be)
        d_gd = digamma(ga + de)
        c_al = -(digamma(al) - d_ab)
        c_be = -(digamma(be) - d_ab)
        c_ga = -(digamma(ga) - d_gd)
        c_de = -(digamma(de) - d_gd)
        dT0 = np.column_stack([
            digamma(al + x) - digamma(al + be + n) + c_al,
            digamma(be + n - x) - digamma(al + be + n) + c_be,
            digamma(ga) - digamma(ga + de + n) + c_ga,
            digamma(de + n) - digamma(ga + de + n) + c_de,
        ])
        tot_ab = (al + be + t_x)[:, None] + i
        tot_gd = (ga + de + 1 + t_x)[:, None] + i
        with np.errstate(invalid="ignore"):
            dTi = [
                digamma((al + x)[:, None]) - digamma(tot_ab) + c_al,
                digamma(v) - digamma(tot_ab) + c_be,
                digamma(ga + 1) - digamma(tot_gd) + c_ga,
                digamma(dd) - digamma(tot_gd) + c_de,
            ]
        wi = wts[:, 1:]
        g = np.empty((len(x), 4))
        for j in range(4):
            g[:, j] = wts[:, 0] * dT0[:, j] + np.where(valid, wi * dTi[j], 0.0).sum(axis=1)
        return ll, g

    def _ll_rows(self, x, t_x, n):
        data = CompressedData({"x": x, "t_x": t_x, "n": n}, np.ones(len(x)), {})
        return self._loglik(self.params_.to_numpy(), data, grad=False)[0]

    def prob_alive(self, frequency: Any, recency: Any = None, n_periods: Any = None,
                   n_ahead: int = 1) -> np.ndarray:
        """Probability of being active in period ``n + n_ahead`` (FHS 2010, eq. 11 for n_ahead = 1).

        Returns
        -------
        ndarray, shape (n,)
            Probabilities in [0, 1].
        """
        self._check_fitted()
        x, t_x, n, _ = self._columns(frequency, recency, n_periods, None)
        al, be, ga, de = self.params_.to_numpy()
        num = betaln(al + x, be + n - x) - betaln(al, be) + betaln(ga, de + n + n_ahead) - betaln(ga, de)
        # A ratio of two likelihoods: when almost nobody drops out (gamma -> 0) rounding can put it a hair above 1.
        return np.clip(np.exp(num - self._ll_rows(x, t_x, n)), 0.0, 1.0)

    def predict_purchases(self, n_ahead: int, frequency: Any, recency: Any = None,
                          n_periods: Any = None) -> np.ndarray:
        """Expected transactions in the next ``n_ahead`` periods (FHS 2010, eq. 13).

        Returns
        -------
        ndarray, shape (n,)
            E[X(n, n + n_ahead) | x, t_x, n].
        """
        self._check_fitted()
        x, t_x, n, _ = self._columns(frequency, recency, n_periods, None)
        al, be, ga, de = self.params_.to_numpy()
        lead = np.exp(betaln(al + x + 1, be + n - x) - betaln(al, be) - self._ll_rows(x, t_x, n))
        c = de / (ga - 1) * np.exp(gammaln(ga + de) - gammaln(1 + de))
        tail = (np.exp(gammaln(1 + de + n) - gammaln(ga + de + n))
                - np.exp(gammaln(1 + de + n + n_ahead) - gammaln(ga + de + n + n_ahead)))
        return lead * c * tail

    def expected_purchases(self, n: int | np.ndarray) -> np.ndarray:
        """Unconditional expected transactions of a new customer in ``n`` periods (FHS 2010, eq. 7)."""
        self._check_fitted()
        al, be, ga, de = self.params_.to_numpy()
        n = np.asarray(n, dtype=float)
        ratio = np.exp(gammaln(ga + de) + gammaln(1 + de + n) - gammaln(ga + de + n) - gammaln(1 + de))
        return al / (al + be) * de / (ga - 1) * (1 - ratio)

    def simulate(self, n: int, n_periods: int, seed: int | None = None) -> pd.DataFrame:
        """Draw ``n`` customers observed for ``n_periods`` opportunities.

        Returns
        -------
        pandas.DataFrame
            ``frequency``, ``recency``, ``n_periods``, latent ``p_``, ``theta_``, ``alive``.
        """
        self._check_fitted()
        al, be, ga, de = self.params_.to_numpy()
        rng = np.random.default_rng(seed)
        p = rng.beta(al, be, n)
        th = rng.beta(ga, de, n)
        alive = np.ones(n, dtype=bool)
        x = np.zeros(n)
        t_x = np.zeros(n)
        for t in range(1, n_periods + 1):
            alive &= rng.random(n) >= th
            buy = alive & (rng.random(n) < p)
            x[buy] += 1
            t_x[buy] = t
        return pd.DataFrame({"frequency": x, "recency": t_x, "n_periods": float(n_periods), "p_": p,
                             "theta_": th, "alive": alive})
