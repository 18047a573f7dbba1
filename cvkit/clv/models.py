"""Probability models of customer value: purchase processes, spend, discrete-time and contractual.

All models are fitted by maximum likelihood with analytic gradients (the
Pareto/NBD gradient uses the integral form of its likelihood, evaluated by
Gauss-Legendre quadrature), on log-parameters, with the likelihood terms
combined in log space. See :mod:`cvkit.clv._base` for the optimiser and the
diagnostics shared by all of them.

Time units: the purchase models work in whatever unit ``recency`` and ``T``
are in (``time_unit`` of :func:`cvkit.clv.summarize`, stored on the fitted
model as ``time_unit_``); the expected numbers of purchases are per that
unit, and :meth:`PurchaseModel.expected_clv` converts calendar months into it.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
from scipy import special
from scipy.special import betaln, digamma, gammaln, hyp2f1

from cvkit.clv._base import BaseModel, FitError, _Data, as_array, compress_rows
from cvkit.clv.summary import TIME_UNIT_DAYS

__all__ = [
    "PurchaseModel",
    "BetaGeoModel",
    "ModifiedBetaGeoModel",
    "ParetoNBDModel",
    "GammaGammaModel",
    "BetaGeoBetaBinomModel",
    "ShiftedBetaGeometricModel",
]

_DAYS_PER_MONTH = 365.25 / 12.0


def _rfm_columns(frequency: Any, recency: Any, T: Any, weights: Any) -> tuple[np.ndarray, ...]:
    if isinstance(frequency, pd.DataFrame):
        df = frequency
        missing = {"frequency", "recency", "T"} - set(df.columns)
        if missing:
            raise KeyError(f"the summary table lacks {sorted(missing)}; pass the output of cvkit.clv.summarize "
                           "or the three arrays frequency, recency, T")
        frequency, recency, T = df["frequency"], df["recency"], df["T"]
        if weights is None and "weight" in df.columns:
            weights = df["weight"]
    if recency is None or T is None:
        raise TypeError("give a summary DataFrame, or frequency, recency and T arrays")
    x = as_array(frequency, "frequency")
    t_x = as_array(recency, "recency")
    T_ = as_array(T, "T")
    if not (len(x) == len(t_x) == len(T_)):
        raise ValueError(f"frequency, recency and T must have the same length, got {len(x)}, {len(t_x)}, {len(T_)}")
    w = None if weights is None else as_array(weights, "weights")
    return x, t_x, T_, w


def _check_rfm(x: np.ndarray, t_x: np.ndarray, T: np.ndarray, w: np.ndarray | None, model: str,
               fitting: bool) -> None:
    def rows(mask: np.ndarray) -> str:
        idx = np.flatnonzero(mask)
        shown = ", ".join(str(i) for i in idx[:5])
        return f"{len(idx)} customer{'s' if len(idx) != 1 else ''} (rows {shown}{', ...' if len(idx) > 5 else ''})"

    problems = []
    if np.any(x < 0) or np.any(x != np.round(x)):
        problems.append(f"frequency must be a whole number >= 0: {rows((x < 0) | (x != np.round(x)))}")
    if np.any(t_x < 0):
        problems.append(f"recency is negative for {rows(t_x < 0)}")
    if np.any(t_x > T * (1 + 1e-12)):
        problems.append(f"recency is after T (a purchase after the observation end) for {rows(t_x > T * (1 + 1e-12))}")
    if np.any((x == 0) & (t_x != 0)):
        problems.append(f"customers without repeat purchases must have recency 0: {rows((x == 0) & (t_x != 0))}")
    if np.any(T < 0):
        # T = 0 (first purchase on the last day) is allowed: such customers add nothing to the likelihood.
        problems.append(f"T must be >= 0 (time from the first purchase to the observation end; negative means the "
                        f"first purchase is after the observation end): {rows(T < 0)}")
    if problems:
        raise ValueError(f"{model}: the customer summary is inconsistent: " + "; ".join(problems) +
                         ". Fix: build it with cvkit.clv.summarize and use the same observation end for all "
                         "customers")
    if fitting:
        n = float(len(x) if w is None else np.sum(w))
        if n < 2:
            raise FitError(f"{model}: only {n:g} customer in the data; the model describes how customers "
                           "differ, so it needs many (hundreds at least). Fix: fit on the whole customer base")
        rep = x > 0 if w is None else (x > 0) & (w > 0)
        if not np.any(rep):
            raise FitError(f"{model}: no customer made a repeat purchase, so purchase rates and dropout cannot "
                           "be estimated. Fix: use a longer observation window (or a later observation end), "
                           "check that same-period purchases were not all collapsed by too coarse a period "
                           "(period='M' on a short log), or report simple counts instead of a model")


class PurchaseModel(BaseModel):
    """Common interface of the continuous-time purchase models (BG/NBD, MBG/NBD, Pareto/NBD).

    Parameters
    ----------
    time_unit : {"D", "W", "M"}, optional
        Unit of recency and T. Taken from the summary's ``attrs`` when fitted
        on a :func:`cvkit.clv.summarize` table; needed by
        :meth:`expected_clv` to convert months.
    tol : float
        Convergence tolerance on the largest score (gradient of the mean
        log-likelihood per customer w.r.t. log-parameters).
    maxiter : int
        Maximum optimiser iterations.
    """

    def __init__(self, *, time_unit: str | None = None, tol: float = 1e-7, maxiter: int = 2000):
        super().__init__(tol=tol, maxiter=maxiter)
        self.time_unit = time_unit

    def fit(self, frequency: Any, recency: Any = None, T: Any = None, *, weights: Any = None,
            init: dict[str, float] | None = None) -> "PurchaseModel":
        """Fit by maximum likelihood.

        Parameters
        ----------
        frequency : DataFrame or array-like, shape (n,)
            A :func:`cvkit.clv.summarize` table (columns ``frequency``,
            ``recency``, ``T``, optional ``weight``), or the numbers of repeat
            purchases.
        recency, T : array-like, shape (n,)
            Age at the last purchase and at the end of observation, in the
            model's time unit (omit when ``frequency`` is a DataFrame).
        weights : array-like, shape (n,), optional
            Number of customers each row stands for. Identical rows are
            compressed automatically, so this is only needed for
            pre-aggregated data.
        init : dict, optional
            Starting values by parameter name.

        Returns
        -------
        self
        """
        unit = self.time_unit
        if isinstance(frequency, pd.DataFrame) and unit is None:
            unit = frequency.attrs.get("time_unit")
        x, t_x, T_, w = _rfm_columns(frequency, recency, T, weights)
        _check_rfm(x, t_x, T_, w, self._model_name, fitting=True)
        (x, t_x, T_), counts, _ = compress_rows(x, t_x, T_, weights=w)
        keep = counts > 0
        data = _Data({"x": x[keep], "t_x": t_x[keep], "T": T_[keep]}, counts[keep], {})
        self.time_unit_ = unit
        return self._fit_data(data, init)

    # -- predictions shared by the purchase models --------------------------------------------
    def _rfm(self, frequency: Any, recency: Any, T: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        self._check_fitted()
        x, t_x, T_, _ = _rfm_columns(frequency, recency, T, None)
        _check_rfm(x, t_x, T_, None, self._model_name, fitting=False)
        return x, t_x, T_

    def prob_alive(self, frequency: Any, recency: Any = None, T: Any = None) -> np.ndarray:
        """Probability that each customer is still active at the end of observation.

        Parameters
        ----------
        frequency, recency, T : summary DataFrame or arrays, shape (n,)

        Returns
        -------
        ndarray, shape (n,)
            P(alive) in [0, 1].
        """
        x, t_x, T_ = self._rfm(frequency, recency, T)
        with np.errstate(over="ignore", under="ignore", divide="ignore"):
            return self._log_alive_odds_parts(x, t_x, T_)

    def predict_purchases(self, t: float | np.ndarray, frequency: Any, recency: Any = None,
                          T: Any = None) -> np.ndarray:
        """Expected repeat purchases in the next ``t`` time units, given each customer's history.

        Parameters
        ----------
        t : float or ndarray broadcastable to (n,)
            Horizon in the model's time unit (>= 0).
        frequency, recency, T : summary DataFrame or arrays, shape (n,)

        Returns
        -------
        ndarray, shape (n,)
            Conditional expectation E[Y(t) | x, t_x, T] (purchases).
        """
        x, t_x, T_ = self._rfm(frequency, recency, T)
        t = np.asarray(t, dtype=float)
        if np.any(t < 0):
            raise ValueError("the prediction horizon t must be >= 0 (time units after the observation end)")
        with np.errstate(over="ignore", under="ignore", divide="ignore"):
            if t.ndim == 0:
                (ux, uT), _, inv = compress_rows(x, T_)
                return self._log_alive_odds_parts(x, t_x, T_) * self._G(t, ux, uT)[inv]
            return self._conditional(t, x, t_x, T_)

    conditional_expected_purchases = predict_purchases

    def expected_purchases(self, t: float | np.ndarray) -> np.ndarray:
        """Unconditional expected repeat purchases of a new customer by age ``t`` (model time unit).

        Returns
        -------
        ndarray
            E[X(t)], same shape as ``t``.
        """
        self._check_fitted()
        t = np.asarray(t, dtype=float)
        with np.errstate(over="ignore", under="ignore", divide="ignore"):
            return self._unconditional(t)

    def months_to_units(self, months: float | np.ndarray) -> np.ndarray:
        """Convert calendar months (mean Gregorian months) into the model's time unit."""
        unit = getattr(self, "time_unit_", None) or self.time_unit
        if unit not in TIME_UNIT_DAYS:
            raise ValueError(f"{self._model_name}: the time unit of recency and T is unknown, so months cannot be "
                             "converted; fit on a cvkit.clv.summarize table or pass time_unit='D'|'W'|'M' to "
                             "the model")
        if unit == "M":
            return np.asarray(months, dtype=float)
        return np.asarray(months, dtype=float) * _DAYS_PER_MONTH / TIME_UNIT_DAYS[unit]

    def expected_clv(self, frequency: Any, recency: Any = None, T: Any = None, *,
                     monetary_value: float | np.ndarray = 1.0, horizon_months: float = 12.0,
                     annual_discount_rate: float = 0.10, margin: float = 1.0,
                     n_nodes: int = 6) -> np.ndarray:
        """Discounted expected value of each customer's future purchases over a horizon.

        CLV_i = margin x monetary_value_i x integral_0^H exp(-delta t) dE[Y_i(t)],
        with continuous discounting at ``delta = ln(1 + annual_discount_rate)``
        per year, i.e. exactly the annual rate compounded. The integral is
        evaluated by parts with Gauss-Legendre quadrature (``n_nodes``
        evaluations of E[Y(t)]; six nodes are accurate to about 1e-9 relative
        because E[Y(t)] is smooth in t).

        Parameters
        ----------
        frequency, recency, T : summary DataFrame or arrays, shape (n,)
        monetary_value : float or ndarray, shape (n,)
            Expected value of one future purchase (currency), e.g. from
            :meth:`GammaGammaModel.conditional_expected_average_value`.
        horizon_months : float
            Horizon in calendar months (mean Gregorian months).
        annual_discount_rate : float
            Annual discount rate, e.g. 0.10 for 10% a year.
        margin : float
            Share of revenue that is profit (0-1]; 1 gives discounted revenue.

        Returns
        -------
        ndarray, shape (n,)
            CLV per customer in the currency of ``monetary_value``.
        """
        if horizon_months < 0:
            raise ValueError("horizon_months must be >= 0")
        if annual_discount_rate <= -1:
            raise ValueError("annual_discount_rate must be > -1 (e.g. 0.10 for 10% a year)")
        x, t_x, T_ = self._rfm(frequency, recency, T)
        H = float(self.months_to_units(horizon_months))
        units_per_year = float(self.months_to_units(12.0))
        delta = np.log1p(annual_discount_rate) / units_per_year
        with np.errstate(over="ignore", under="ignore", divide="ignore"):
            alive = self._log_alive_odds_parts(x, t_x, T_)
            # E[Y(t)] = P(alive) G(t; x, T): G depends on (x, T) only, which repeat a lot in real
            # data (whole frequencies, ages on a daily grid), so evaluate it once per distinct pair.
            (ux, uT), _, inv = compress_rows(x, T_)
            disc = np.exp(-delta * H) * self._G(np.asarray(H), ux, uT)
            if delta != 0 and H > 0:
                nodes, wq = np.polynomial.legendre.leggauss(n_nodes)
                for tk, wk in zip((nodes + 1) * H / 2, wq):
                    disc = disc + delta * (H / 2) * wk * np.exp(-delta * tk) * self._G(np.asarray(tk), ux, uT)
            disc_sum = alive * disc[inv]
        return margin * np.asarray(monetary_value, dtype=float) * disc_sum

    def _check_simulation_args(self, n: int, T: Any) -> np.ndarray:
        self._check_fitted()
        T_ = np.broadcast_to(np.asarray(T, dtype=float), (int(n),)).copy()
        if np.any(T_ < 0):
            raise ValueError("simulation ages T must be >= 0")
        return T_

    # -- hooks -------------------------------------------------------------------------------
    def _log_alive_odds_parts(self, x, t_x, T):  # pragma: no cover - abstract
        raise NotImplementedError

    def _conditional(self, t, x, t_x, T):  # pragma: no cover - abstract
        raise NotImplementedError

    def _G(self, t, x, T):  # pragma: no cover - abstract
        raise NotImplementedError

    def _unconditional(self, t):  # pragma: no cover - abstract
        raise NotImplementedError

    def _init_params(self, data: _Data) -> np.ndarray:
        w = data.weights
        mean_x = max(np.average(data.cols["x"], weights=w), 0.05)
        mean_T = np.average(data.cols["T"], weights=w)
        r0 = 0.5
        return np.array([r0, r0 * mean_T / mean_x, 1.0, 2.0])


# ---------------------------------------------------------------------------------------------
# BG/NBD and MBG/NBD


class BetaGeoModel(PurchaseModel):
    """BG/NBD (Fader, Hardie & Lee 2005): Poisson purchases, dropout after a purchase.

    While active a customer buys at rate ``lambda ~ Gamma(r, alpha)``; after
    each purchase they become inactive with probability ``p ~ Beta(a, b)``.

    Fitted attributes: ``params_`` (r, alpha, a, b; alpha in time units),
    ``log_likelihood_`` (sum over customers), ``hessian_``, ``converged_``,
    ``time_unit_``. See :class:`PurchaseModel` for the methods.

    References
    ----------
    Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005). "Counting your customers"
    the easy way: an alternative to the Pareto/NBD model. Marketing Science 24(2).
    """

    _param_names = ("r", "alpha", "a", "b")
    _model_name = "BG/NBD"
    _shift = 0  # b offset of the "alive at T" term: 0 for BG/NBD, 1 for MBG/NBD
    _always_second = False  # MBG/NBD allows dropout before any repeat purchase

    def _prepare(self, data: _Data) -> None:
        ux, xi = np.unique(data.cols["x"], return_inverse=True)
        data.cache.update(ux=ux.astype(float), xi=xi.reshape(-1))

    def _loglik(self, params: np.ndarray, data: _Data, grad: bool):
        r, alpha, a, b = params
        ux, xi = data.cache["ux"], data.cache["xi"]
        x, t_x, T = data.cols["x"], data.cols["t_x"], data.cols["T"]
        k = self._shift
        # Per distinct frequency (few values) rather than per row: the gamma/beta functions dominate cost.
        A = gammaln(r + ux) - gammaln(r) + r * np.log(alpha)
        B1 = betaln(a, b + ux + k) - betaln(a, b)
        bb = b + ux + k - 1
        has2 = (ux > 0) | self._always_second
        ok = has2 & (bb > 0)
        # log of the "dropped out after the last purchase" term relative to B1; -inf where it is absent
        B2 = np.full_like(ux, -np.inf)
        B2[ok] = B1[ok] + np.log(a) - np.log(bb[ok])
        la_T = np.log(alpha + T)
        la_t = np.log(alpha + t_x)
        rx = r + x
        L1 = (A + B1)[xi] - rx * la_T
        d = (B2 - B1)[xi] - rx * (la_t - la_T)  # log(term2 / term1)
        # log(e^L1 + e^L2) = L1 + softplus(d), and the share of term 2 is expit(d): one exp, one log1p
        e = np.exp(-np.abs(d))
        ll = L1 + np.maximum(d, 0.0) + np.log1p(e)
        if not grad:
            return ll, None
        w2 = np.where(d > 0, 1.0, e) / (1.0 + e)
        w1 = 1.0 - w2
        psi_ab = digamma(a + b)
        psi_abx = digamma(a + b + ux + k)
        dB1_a = psi_ab - psi_abx
        dB1_b = digamma(b + ux + k) - psi_abx - digamma(b) + psi_ab
        inv_bb = np.zeros_like(ux)
        inv_bb[ok] = 1.0 / bb[ok]
        g = np.empty((len(x), 4))
        g[:, 0] = (digamma(r + ux) - digamma(r) + np.log(alpha))[xi] - la_T - w2 * (la_t - la_T)
        g[:, 1] = r / alpha - rx * (w1 / (alpha + T) + w2 / (alpha + t_x))
        g[:, 2] = dB1_a[xi] + w2 / a
        g[:, 3] = dB1_b[xi] - w2 * inv_bb[xi]
        return ll, g

    def _total(self, params: np.ndarray, data: _Data, grad: bool = True):
        """Weighted total log-likelihood and gradient without per-row gradient columns.

        Terms that depend on the frequency only are summed through per-frequency weight totals
        (``W_x``), so a fit on a million customers does a handful of vector passes per evaluation.
        """
        r, alpha, a, b = params
        c = data.cache
        ux, xi, w = c["ux"], c["xi"], data.weights
        if "W_x" not in c:
            c["W_x"] = np.bincount(xi, weights=w, minlength=len(ux))
            c["wx"] = w * data.cols["x"]
        W_x = c["W_x"]
        x, t_x, T = data.cols["x"], data.cols["t_x"], data.cols["T"]
        k = self._shift
        A = gammaln(r + ux) - gammaln(r) + r * np.log(alpha)
        B1 = betaln(a, b + ux + k) - betaln(a, b)
        bb = b + ux + k - 1
        ok = ((ux > 0) | self._always_second) & (bb > 0)
        B2 = np.full_like(ux, -np.inf)
        B2[ok] = B1[ok] + np.log(a) - np.log(bb[ok])
        la_T = np.log(alpha + T)
        la_t = np.log(alpha + t_x)
        rx = r + x
        d = (B2 - B1)[xi] - rx * (la_t - la_T)
        e = np.exp(-np.abs(d))
        sp = np.maximum(d, 0.0) + np.log1p(e)
        wr = w * rx
        total = float(W_x @ (A + B1) - wr @ la_T + w @ sp)
        if not grad:
            return total, None
        w2 = np.where(d > 0, 1.0, e) / (1.0 + e)
        ww2 = w * w2
        W2_x = np.bincount(xi, weights=ww2, minlength=len(ux))
        psi_ab = digamma(a + b)
        psi_abx = digamma(a + b + ux + k)
        inv_bb = np.zeros_like(ux)
        inv_bb[ok] = 1.0 / bb[ok]
        inv_T = 1.0 / (alpha + T)
        wsum = W_x.sum()
        g = np.array([
            W_x @ (digamma(r + ux) - digamma(r) + np.log(alpha)) - w @ la_T - ww2 @ (la_t - la_T),
            r / alpha * wsum - wr @ inv_T - (ww2 * rx) @ (1.0 / (alpha + t_x) - inv_T),
            W_x @ (psi_ab - psi_abx) + W2_x.sum() / a,
            W_x @ (digamma(b + ux + k) - psi_abx - digamma(b) + psi_ab) - W2_x @ inv_bb,
        ])
        return total, g

    def _log_alive_odds_parts(self, x, t_x, T):
        r, alpha, a, b = self.params_.to_numpy()
        k = self._shift
        bb = b + x + k - 1
        # log of (second term / first term); P(alive) = 1 / (1 + exp(.)) computed without overflow.
        with np.errstate(divide="ignore", invalid="ignore"):
            log_ratio = np.log(a) - np.log(np.where(bb > 0, bb, 1.0)) + (r + x) * (np.log(alpha + T) -
                                                                                   np.log(alpha + t_x))
        has2 = (x > 0) | self._always_second
        return np.where(has2, special.expit(-log_ratio), 1.0)

    def _G(self, t, x, T):
        """E[(1/p)(1 - exp(-lambda p t))] under the posterior of an active customer (Euler-transformed 2F1)."""
        r, alpha, a, b = self.params_.to_numpy()
        k = self._shift
        bprime = b + x + k
        ap = alpha + T
        z = t / (ap + t)
        # Euler's transformation turns 2F1(r+x, b'; a+b'-1; z) (huge for heavy buyers) times the
        # vanishing power ((alpha+T)/(alpha+T+t))^(r+x) into a well-scaled product.
        F = hyp2f1(a + b + k - 1 - r, a - 1, a + bprime - 1, z)
        return (a + bprime - 1) / (a - 1) * (1 - np.exp((a - 1) * np.log(ap / (ap + t))) * F)

    def _conditional(self, t, x, t_x, T):
        return self._log_alive_odds_parts(x, t_x, T) * self._G(t, x, T)

    def _unconditional(self, t):
        r, alpha, a, b = self.params_.to_numpy()
        p_alive0 = b / (a + b) if self._always_second else 1.0
        return p_alive0 * self._G(t, np.zeros_like(t), np.zeros_like(t))

    def simulate(self, n: int, T: float | np.ndarray, seed: int | None = None) -> pd.DataFrame:
        """Draw synthetic customers from the fitted parameters.

        Parameters
        ----------
        n : int
            Number of customers.
        T : float or ndarray, shape (n,)
            Age of each customer at the end of observation (time units).
        seed : int, optional
            Seed of the random generator.

        Returns
        -------
        pandas.DataFrame
            ``frequency``, ``recency``, ``T``, plus the latent ``lambda_``,
            ``p_`` and ``alive`` (active at T).
        """
        T_ = self._check_simulation_args(n, T)
        r, alpha, a, b = self.params_.to_numpy()
        rng = np.random.default_rng(seed)
        lam = rng.gamma(r, 1.0 / alpha, n)
        p = rng.beta(a, b, n)
        x = np.zeros(n)
        t_x = np.zeros(n)
        alive = np.ones(n, dtype=bool)
        if self._always_second:
            alive &= rng.random(n) >= p
        clock = np.zeros(n)
        active = alive.copy()
        # Purchase by purchase over the customers still both alive and inside their window.
        while np.any(active):
            idx = np.flatnonzero(active)
            clock[idx] += rng.exponential(1.0, len(idx)) / lam[idx]
            inside = clock[idx] <= T_[idx]
            buy = idx[inside]
            x[buy] += 1
            t_x[buy] = clock[buy]
            dies = buy[rng.random(len(buy)) < p[buy]]
            alive[dies] = False
            active[:] = False
            active[buy] = True
            active[dies] = False
        return pd.DataFrame({"frequency": x, "recency": t_x, "T": T_, "lambda_": lam, "p_": p, "alive": alive})


class ModifiedBetaGeoModel(BetaGeoModel):
    """MBG/NBD (Batislam, Denizel & Filiztekin 2007): BG/NBD with possible dropout before any repeat.

    Like :class:`BetaGeoModel`, but a customer can also become inactive right
    after the first purchase, so non-repeaters need not be alive.

    References
    ----------
    Batislam, E. P., Denizel, M. & Filiztekin, A. (2007). Empirical validation and
    comparison of models for customer base analysis. IJRM 24(3).
    """

    _model_name = "MBG/NBD"
    _shift = 1
    _always_second = True


# ---------------------------------------------------------------------------------------------
# Pareto/NBD

# 16 nodes: the estimates and the optimiser's path are those of 24 nodes (CDNOW: identical to
# 1e-6, same number of evaluations); 12 already needs more iterations.
_GL_NODES, _GL_WEIGHTS = np.polynomial.legendre.leggauss(16)
_GL_LOG_WEIGHTS = np.log(_GL_WEIGHTS)


class ParetoNBDModel(PurchaseModel):
    """Pareto/NBD (Schmittlein, Morrison & Colombo 1987): Poisson purchases, exponential lifetimes.

    Purchase rate ``lambda ~ Gamma(r, alpha)``, dropout rate
    ``mu ~ Gamma(s, beta)`` (alpha, beta in time units).

    The likelihood's Gaussian hypergeometric functions are evaluated after
    Euler's transformation into ``2F1(1, .; .; z)`` forms, which are bounded
    for heavy buyers, and their difference is formed in log space (Fader &
    Hardie, "A note on deriving the Pareto/NBD model and related
    expressions", 2005). The gradient uses the equivalent integral form
    ``s * int_{t_x}^{T} (alpha+tau)^-(r+x) (beta+tau)^-(s+1) dtau`` by
    Gauss-Legendre quadrature on log(alpha+tau).
    """

    _param_names = ("r", "alpha", "s", "beta")
    _model_name = "Pareto/NBD"

    def _prepare(self, data: _Data) -> None:
        ux, xi = np.unique(data.cols["x"], return_inverse=True)
        data.cache.update(ux=ux, xi=xi.reshape(-1))

    @staticmethod
    def _log_F(y, r, alpha, s, beta, x):
        """log of 2F1(r+s+x, .; r+s+x+1; z(y)) / (max(alpha,beta)+y)^(r+s+x), Euler-transformed."""
        rsx1 = r + s + x + 1
        if alpha >= beta:
            z = (alpha - beta) / (alpha + y)
            return (-(r + x) * np.log(alpha + y) - s * np.log(beta + y)
                    + np.log(hyp2f1(1.0, r + x, rsx1, z)))
        z = (beta - alpha) / (beta + y)
        return (-(s + 1) * np.log(beta + y) - (r + x - 1) * np.log(alpha + y)
                + np.log(hyp2f1(1.0, s + 1, rsx1, z)))

    def _terms(self, params, x, t_x, T):
        r, alpha, s, beta = params
        L1 = -(r + x) * np.log(alpha + T) - s * np.log(beta + T)
        lf_tx = self._log_F(t_x, r, alpha, s, beta, x)
        lf_T = self._log_F(T, r, alpha, s, beta, x)
        diff = lf_T - lf_tx  # <= 0; log(F(t_x) - F(T)) = lf_tx + log(1 - exp(diff))
        with np.errstate(divide="ignore"):
            log_a0 = lf_tx + np.log(-np.expm1(np.minimum(diff, 0.0)))
        L2 = np.log(s) - np.log(r + s + x) + log_a0
        return L1, L2

    def _loglik(self, params: np.ndarray, data: _Data, grad: bool):
        r, alpha, s, beta = params
        ux, xi = data.cache["ux"], data.cache["xi"]
        x, t_x, T = data.cols["x"], data.cols["t_x"], data.cols["T"]
        C = (gammaln(r + ux) - gammaln(r))[xi] + r * np.log(alpha) + s * np.log(beta)
        L1, L2 = self._terms(params, x, t_x, T)
        ll = C + np.logaddexp(L1, L2)
        if not grad:
            return ll, None
        w2 = np.where(np.isfinite(L2), special.expit(L2 - L1), 0.0)
        w1 = 1.0 - w2
        # Expectations of d log(integrand) under the normalised integrand on [t_x, T], by
        # Gauss-Legendre on u = log(alpha + tau); einsum fuses each product with its row sum.
        lo, hi = np.log(alpha + t_x), np.log(alpha + T)
        u = ((lo + hi) / 2)[:, None] + ((hi - lo) / 2)[:, None] * _GL_NODES[None, :]
        e = np.exp(u)                      # alpha + tau
        bt = e + (beta - alpha)            # beta + tau
        log_bt = np.log(bt)
        logint = (-(r + x - 1))[:, None] * u - (s + 1) * log_bt + _GL_LOG_WEIGHTS[None, :]
        logint -= logint.max(axis=1, keepdims=True)
        q = np.exp(logint)
        q /= q.sum(axis=1, keepdims=True)
        e_u = np.einsum("ij,ij->i", q, u)
        e_inv_a = np.einsum("ij,ij->i", q, 1.0 / e)
        e_lbt = np.einsum("ij,ij->i", q, log_bt)
        e_inv_b = np.einsum("ij,ij->i", q, 1.0 / bt)
        g = np.empty((len(x), 4))
        g[:, 0] = (digamma(r + ux) - digamma(r))[xi] + np.log(alpha) - w1 * np.log(alpha + T) - w2 * e_u
        g[:, 1] = r / alpha - (r + x) * (w1 / (alpha + T) + w2 * e_inv_a)
        g[:, 2] = np.log(beta) - w1 * np.log(beta + T) + w2 * (1.0 / s - e_lbt)
        g[:, 3] = s / beta - w1 * s / (beta + T) - w2 * (s + 1) * e_inv_b
        return ll, g

    def _init_params(self, data: _Data) -> np.ndarray:
        w = data.weights
        mean_x = max(np.average(data.cols["x"], weights=w), 0.05)
        mean_T = np.average(data.cols["T"], weights=w)
        return np.array([0.5, 0.5 * mean_T / mean_x, 0.5, mean_T])

    def _log_alive_odds_parts(self, x, t_x, T):
        L1, L2 = self._terms(self.params_.to_numpy(), x, t_x, T)
        return np.where(np.isfinite(L2), special.expit(L1 - L2), 1.0)

    @staticmethod
    def _lifetime_factor(s, B, t):
        """B / (s - 1) * (1 - (B / (B + t))^(s - 1)), continuous at s = 1 (B log(1 + t/B))."""
        lq = np.log(B / (B + t))
        if abs(s - 1) < 1e-10:
            return -B * lq
        return B * (-np.expm1((s - 1) * lq)) / (s - 1)

    def _G(self, t, x, T):
        """Expected purchases in (T, T+t] of a customer known to be alive at T."""
        r, alpha, s, beta = self.params_.to_numpy()
        return (r + x) / (alpha + T) * self._lifetime_factor(s, beta + T, t)

    def _conditional(self, t, x, t_x, T):
        return self._log_alive_odds_parts(x, t_x, T) * self._G(t, x, T)

    def _unconditional(self, t):
        r, alpha, s, beta = self.params_.to_numpy()
        return r / alpha * self._lifetime_factor(s, beta, t)

    def simulate(self, n: int, T: float | np.ndarray, seed: int | None = None) -> pd.DataFrame:
        """Draw synthetic customers (see :meth:`BetaGeoModel.simulate`); latent ``lambda_``, ``mu_``."""
        T_ = self._check_simulation_args(n, T)
        r, alpha, s, beta = self.params_.to_numpy()
        rng = np.random.default_rng(seed)
        lam = rng.gamma(r, 1.0 / alpha, n)
        mu = rng.gamma(s, 1.0 / beta, n)
        death = rng.exponential(1.0, n) / mu
        active_for = np.minimum(death, T_)
        x = rng.poisson(lam * active_for).astype(float)
        # The last of x uniform event times on [0, active_for] is active_for * U^(1/x).
        with np.errstate(divide="ignore"):
            t_x = np.where(x > 0, active_for * rng.random(n) ** (1.0 / np.maximum(x, 1)), 0.0)
        return pd.DataFrame({"frequency": x, "recency": t_x, "T": T_, "lambda_": lam, "mu_": mu,
                             "alive": death > T_})


# ---------------------------------------------------------------------------------------------
# Gamma-Gamma spend model


class GammaGammaModel(BaseModel):
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
        data = _Data({"x": xu, "m": mu_}, counts, {})
        return self._fit_data(data, init)

    def _init_params(self, data: _Data) -> np.ndarray:
        m = np.average(data.cols["m"], weights=data.weights)
        return np.array([2.0, 3.0, 2.0 * m / 2.0])

    def _loglik(self, params: np.ndarray, data: _Data, grad: bool):
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


# ---------------------------------------------------------------------------------------------
# BG/BB: discrete-time non-contractual


class BetaGeoBetaBinomModel(BaseModel):
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
        data = _Data({"x": x, "t_x": t_x, "n": n}, counts, {})
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

    def _init_params(self, data: _Data) -> np.ndarray:
        return np.array([1.0, 1.0, 1.0, 1.0])

    def _loglik(self, params: np.ndarray, data: _Data, grad: bool):
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
        data = _Data({"x": x, "t_x": t_x, "n": n}, np.ones(len(x)), {})
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
        return np.exp(num - self._ll_rows(x, t_x, n))

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


# ---------------------------------------------------------------------------------------------
# sBG: contractual retention


class ShiftedBetaGeometricModel(BaseModel):
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
        data = _Data({"t": np.append(t, t[-1]).astype(float), "censored": np.append(np.zeros(len(t)), 1.0)},
                     np.append(lost, s[-1]), {})
        self.survivors_ = s
        return self._fit_data(data, init)

    def _init_params(self, data: _Data) -> np.ndarray:
        return np.array([1.0, 1.0])

    def _loglik(self, params: np.ndarray, data: _Data, grad: bool):
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
