"""Common interface of the continuous-time purchase models (BG/NBD, MBG/NBD, Pareto/NBD).

Time units: the purchase models work in whatever unit ``recency`` and ``T``
are in (``time_unit`` of :func:`cvkit.clv.summarize`, stored on the fitted
model as ``time_unit_``); the expected numbers of purchases are per that
unit, and :meth:`PurchaseModel.expected_clv` converts calendar months into it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from cvkit.clv.models.base import CompressedData, LikelihoodModel, as_array, compress_rows
from cvkit.clv.summary import TIME_UNIT_DAYS
from cvkit.exceptions import FitError

__all__ = ["PurchaseModel", "rfm_columns", "check_rfm"]


_DAYS_PER_MONTH = 365.25 / 12.0


def rfm_columns(frequency: Any, recency: Any, T: Any, weights: Any) -> tuple[np.ndarray, ...]:
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


def check_rfm(x: np.ndarray, t_x: np.ndarray, T: np.ndarray, w: np.ndarray | None, model: str,
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


class PurchaseModel(LikelihoodModel):
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
    max_iter : int
        Maximum optimiser iterations.
    """

    def __init__(self, *, time_unit: str | None = None, tol: float = 1e-7, max_iter: int = 2000):
        super().__init__(tol=tol, max_iter=max_iter)
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
        x, t_x, T_, w = rfm_columns(frequency, recency, T, weights)
        check_rfm(x, t_x, T_, w, self._model_name, fitting=True)
        (x, t_x, T_), counts, _ = compress_rows(x, t_x, T_, weights=w)
        keep = counts > 0
        data = CompressedData({"x": x[keep], "t_x": t_x[keep], "T": T_[keep]}, counts[keep], {})
        self.time_unit_ = unit
        return self._fit_data(data, init)

    # -- predictions shared by the purchase models --------------------------------------------
    def _rfm(self, frequency: Any, recency: Any, T: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        self._check_fitted()
        x, t_x, T_, _ = rfm_columns(frequency, recency, T, None)
        check_rfm(x, t_x, T_, None, self._model_name, fitting=False)
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
            return np.clip(self._p_alive(x, t_x, T_), 0.0, 1.0)  # rounding must not leave [0, 1]

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
                return self._p_alive(x, t_x, T_) * self._purchases_if_alive(t, ux, uT)[inv]
            return self._conditional_purchases(t, x, t_x, T_)

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
            return self._unconditional_purchases(t)

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
            alive = self._p_alive(x, t_x, T_)
            # E[Y(t)] = P(alive) G(t; x, T): G depends on (x, T) only, which repeat a lot in real
            # data (whole frequencies, ages on a daily grid), so evaluate it once per distinct pair.
            (ux, uT), _, inv = compress_rows(x, T_)
            disc = np.exp(-delta * H) * self._purchases_if_alive(np.asarray(H), ux, uT)
            if delta != 0 and H > 0:
                nodes, wq = np.polynomial.legendre.leggauss(n_nodes)
                for tk, wk in zip((nodes + 1) * H / 2, wq):
                    disc = disc + delta * (H / 2) * wk * np.exp(-delta * tk) * self._purchases_if_alive(np.asarray(tk), ux, uT)
            disc_sum = alive * disc[inv]
        return margin * np.asarray(monetary_value, dtype=float) * disc_sum

    def _check_simulation_args(self, n: int, T: Any) -> np.ndarray:
        self._check_fitted()
        T_ = np.broadcast_to(np.asarray(T, dtype=float), (int(n),)).copy()
        if np.any(T_ < 0):
            raise ValueError("simulation ages T must be >= 0")
        return T_

    # -- hooks -------------------------------------------------------------------------------
    def _p_alive(self, x, t_x, T):  # pragma: no cover - abstract
        raise NotImplementedError

    def _conditional_purchases(self, t, x, t_x, T):  # pragma: no cover - abstract
        raise NotImplementedError

    def _purchases_if_alive(self, t, x, T):  # pragma: no cover - abstract
        raise NotImplementedError

    def _unconditional_purchases(self, t):  # pragma: no cover - abstract
        raise NotImplementedError

    def _init_params(self, data: CompressedData) -> np.ndarray:
        w = data.weights
        mean_x = max(np.average(data.cols["x"], weights=w), 0.05)
        mean_T = np.average(data.cols["T"], weights=w)
        r0 = 0.5
        return np.array([r0, r0 * mean_T / mean_x, 1.0, 2.0])
