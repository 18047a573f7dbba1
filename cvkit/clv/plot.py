"""Charts of the CLV analysis, in the house style (call :func:`cvkit.plot.set_theme` first).

Every function takes ``ax=None`` (a new figure is made) and returns the Axes.
"""

from __future__ import annotations

from typing import Any

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from cvkit.clv.aggregates import monthly_activity
from cvkit.clv.models import PurchaseModel
from cvkit.clv.value import lorenz_curve
from cvkit.plot import ACCENT, CLIENT_COLOR, axes_or_new, currency_axis, date_axis

__all__ = ["plot_monthly_transactions", "plot_rfm_distribution", "plot_conditional_expectations", "plot_period_transactions", "plot_tracking",
           "plot_frequency_recency_matrix", "plot_value_concentration", "plot_clv_by_horizon"]

_MODEL_COLOR = "0.45"


def plot_conditional_expectations(table: pd.DataFrame, ax: Any = None, *, unit_label: str = "holdout") -> Any:
    """Mean holdout purchases by calibration frequency (:func:`cvkit.clv.validation.conditional_expectations`)."""
    ax = axes_or_new(ax)
    pos = np.arange(len(table))
    ax.plot(pos, table["actual"], marker="o", color=CLIENT_COLOR, label="actual")
    ax.plot(pos, table["predicted"], marker="s", ls="--", color=_MODEL_COLOR, label="model")
    ax.set_xticks(pos, table["frequency"])
    ax.set_xlabel("repeat purchases in calibration")
    ax.set_ylabel(f"mean purchases in {unit_label}")
    ax.legend()
    return ax


def plot_period_transactions(table: pd.DataFrame, ax: Any = None) -> Any:
    """Customers by number of repeat purchases, actual vs model (:func:`~cvkit.clv.validation.period_transactions`)."""
    ax = axes_or_new(ax)
    pos = np.arange(len(table))
    ax.bar(pos - 0.2, table["actual"], width=0.4, color=CLIENT_COLOR, label="actual")
    ax.bar(pos + 0.2, table["model"], width=0.4, color=_MODEL_COLOR, label="model")
    ax.set_xticks(pos, table["frequency"])
    ax.set_xlabel("repeat purchases in calibration")
    ax.set_ylabel("customers")
    ax.legend()
    return ax


def plot_tracking(table: pd.DataFrame, calibration_end: Any = None, ax: Any = None) -> Any:
    """Cumulative repeat purchases over time, actual vs expected (:func:`~cvkit.clv.validation.tracking`)."""
    ax = axes_or_new(ax)
    ax.plot(table["date"], table["actual"], color=CLIENT_COLOR, label="actual")
    ax.plot(table["date"], table["expected"], ls="--", color=_MODEL_COLOR, label="model")
    if calibration_end is not None:
        ax.axvline(pd.Timestamp(calibration_end), color=ACCENT, lw=1, ls=":")
        ax.annotate("end of calibration", (pd.Timestamp(calibration_end), ax.get_ylim()[1] * 0.95),
                    ha="right", va="top", fontsize="small", color=ACCENT)
    locator = mdates.AutoDateLocator(maxticks=6)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    ax.set_ylabel("cumulative repeat purchases")
    ax.legend(loc="upper left")
    return ax


def plot_frequency_recency_matrix(model: PurchaseModel, T: float, *, what: str = "prob_alive",
                                  horizon: float | None = None, max_frequency: int | None = None,
                                  ax: Any = None, time_unit: str | None = None,
                                  horizon_label: str | None = None) -> Any:
    """Heat map of P(alive) or expected purchases over frequency x recency for customers of age ``T``.

    Parameters
    ----------
    model : PurchaseModel
        Fitted model.
    T : float
        Customer age at the end of observation (model time unit).
    what : {"prob_alive", "expected_purchases"}
        The quantity shown.
    horizon : float, optional
        Horizon for expected purchases (model time unit); default ``T``.
    max_frequency : int, optional
        Largest frequency shown; default about the 99th percentile of a
        customer base of age T under the model (at least 10).
    time_unit : str, optional
        Name of the model's time unit ("weeks") for the axis titles.
    horizon_label : str, optional
        How the colour bar names the horizon ("12 months"); default the horizon rounded, in ``time_unit``.
    """
    ax = axes_or_new(ax, (7, 5))
    if max_frequency is None:
        typical = float(model.expected_purchases(np.asarray(T)))
        # A fit at extreme parameters (flagged as not converged) can give no number here: keep the default.
        max_frequency = max(10, int(np.ceil(3 * typical + 5))) if np.isfinite(typical) else 10
    freq = np.arange(max_frequency + 1, dtype=float)
    rec = np.linspace(0, T, 40)
    F, R = np.meshgrid(freq, rec, indexing="ij")
    R = np.where(F == 0, 0.0, R)
    if what == "prob_alive":
        Z = model.prob_alive(F.ravel(), R.ravel(), np.full(F.size, T)).reshape(F.shape)
        label = "P(active)"
        vmin, vmax = 0, 1
    elif what == "expected_purchases":
        h = T if horizon is None else horizon
        Z = model.predict_purchases(h, F.ravel(), R.ravel(), np.full(F.size, T)).reshape(F.shape)
        span = horizon_label or f"{h:.0f} {time_unit or 'periods'}"
        label = f"expected purchases, next {span}"
        vmin, vmax = 0, None
    else:
        raise ValueError("what must be 'prob_alive' or 'expected_purchases'")
    mesh = ax.pcolormesh(rec, freq, Z, cmap="Blues", vmin=vmin, vmax=vmax, shading="nearest")
    ax.figure.colorbar(mesh, ax=ax, label=label)
    unit = f", {time_unit}" if time_unit else ""
    ax.set_xlabel(f"recency (age at last purchase{unit})")
    ax.set_ylabel("repeat purchases (frequency)")
    return ax


def plot_value_concentration(values: Any, ax: Any = None, top_share: float = 0.2) -> Any:
    """Lorenz curve of customer value with the share held by the top ``top_share`` marked."""
    ax = axes_or_new(ax, (5, 5))
    lc = lorenz_curve(values)
    ax.plot(lc["customer_share"], lc["value_share"], color=CLIENT_COLOR)
    ax.plot([0, 1], [0, 1], ls=":", color=_MODEL_COLOR, lw=1)
    y = float(np.interp(top_share, lc["customer_share"], lc["value_share"]))
    ax.plot([top_share, top_share, 0], [0, y, y], ls="--", color=ACCENT, lw=1)
    ax.annotate(f"top {top_share:.0%} hold {y:.0%}", (top_share, y), xytext=(8, -14),
                textcoords="offset points", color=ACCENT)
    ax.set_xlabel("share of customers (most valuable first)")
    ax.set_ylabel("share of value")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.01)
    return ax


def plot_clv_by_horizon(horizons: Any, totals: Any, horizon: float | None = None, *, currency: str = "EUR",
                        ax: Any = None) -> Any:
    """CLV total against the horizon, with the chosen horizon marked (the what-if panel's chart).

    Parameters
    ----------
    horizons : array-like, shape (h,)
        Horizons in months.
    totals : array-like, shape (h,)
        Discounted CLV total at each horizon (currency).
    horizon : float, optional
        The horizon in use, marked with a dashed line and its value.
    currency : str
        ISO 4217 code for the money axis.
    """
    ax = axes_or_new(ax, (6.5, 2.8))
    horizons = np.asarray(horizons, dtype=float)
    totals = np.asarray(totals, dtype=float)
    ax.plot(horizons, totals, color=CLIENT_COLOR, lw=2)
    if horizon is not None:
        value = float(np.interp(horizon, horizons, totals))
        ax.axvline(horizon, color=ACCENT, ls="--", lw=1)
        ax.plot([horizon], [value], "o", color=ACCENT)
    currency_axis(ax, currency)
    ax.set_xlabel("horizon (months)")
    ax.set_ylabel("CLV total")
    ax.set_xlim(horizons.min(), horizons.max())
    ax.set_ylim(bottom=0)
    return ax


def plot_monthly_transactions(transactions: Any, ax: Any = None, *, currency: str = "EUR",
                              backend: Any = None) -> Any:
    """Revenue (bars, left axis, currency) and buying customers (line, right axis) per calendar month.

    Parameters
    ----------
    transactions : DataFrame, str, Path or Ibis table
        The log (``date``, ``amount``, ``customer_id``), or the checked Parquet file / an Ibis
        table: then the monthly figures are computed on the engine
        (:func:`cvkit.clv.aggregates.monthly_activity`), not from the rows in memory.
    ax : Axes, optional
    currency : str
        ISO code for the revenue axis.
    backend : ibis backend, optional
        Engine for a file or Ibis table; None: embedded DuckDB.

    Returns
    -------
    Axes
        The revenue Axes (the customers' twin Axes shares its x axis).
    """
    monthly = monthly_activity(transactions, backend)
    ax = axes_or_new(ax, (8, 3.5))
    ax.bar(monthly.index, monthly["amount"], width=20, color=CLIENT_COLOR, label="revenue")
    currency_axis(ax, currency)
    date_axis(ax)
    ax2 = ax.twinx()
    ax2.plot(monthly.index, monthly["customer_id"], color=ACCENT, marker="o", label="buying customers")
    ax2.set_ylabel("buying customers")
    ax2.grid(False)
    ax.set_title("Revenue and buying customers per month")
    return ax


def plot_rfm_distribution(summary: pd.DataFrame, axes: Any = None, *, time_unit: str = "W") -> Any:
    """Histograms of repeat purchases (clipped at the 99th percentile) and of time since the last purchase.

    Parameters
    ----------
    summary : DataFrame
        :func:`cvkit.clv.summarize` table.
    axes : sequence of two Axes, optional
    time_unit : {"D", "W", "M"}
        Unit of ``recency`` and ``T`` (axis label).

    Returns
    -------
    ndarray of two Axes
    """
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(9, 3.2))
    unit = {"D": "days", "W": "weeks", "M": "months"}[time_unit]
    axes[0].hist(summary["frequency"].clip(upper=summary["frequency"].quantile(0.99)), bins=30, color=CLIENT_COLOR)
    axes[0].set_xlabel("repeat purchases (frequency)")
    axes[0].set_ylabel("customers")
    axes[1].hist(summary["T"] - summary["recency"], bins=30, color=ACCENT)
    axes[1].set_xlabel(f"time since last purchase ({unit})")
    return axes
