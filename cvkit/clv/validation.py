"""Out-of-sample checks of a fitted purchase model, as in the BG/NBD and Pareto/NBD papers.

* :func:`conditional_expectations` - mean holdout purchases by calibration
  frequency, actual vs predicted (the papers' "conditional expectations" chart);
* :func:`period_transactions` - how many customers made 0, 1, ..., 7+ repeat
  purchases in calibration, actual vs the model;
* :func:`tracking` - cumulative repeat purchases over calendar time, actual vs
  expected, through calibration and holdout.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from cvkit.clv.aggregates import repeat_purchase_days
from cvkit.clv.models import BetaGeoModel, ModifiedBetaGeoModel, ParetoNBDModel, PurchaseModel
from cvkit.clv.summary import TIME_UNIT_DAYS

__all__ = ["MODELS", "parameter_table", "compare_models", "describe_model", "conditional_expectations", "period_transactions",
           "tracking"]

#: Purchase models by the short names used in notebooks and engagement.yaml.
MODELS: dict[str, type[PurchaseModel]] = {
    "bg_nbd": BetaGeoModel,
    "mbg_nbd": ModifiedBetaGeoModel,
    "pareto_nbd": ParetoNBDModel,
}


def compare_models(summary: pd.DataFrame, models: list[str] | tuple[str, ...] = ("bg_nbd", "mbg_nbd", "pareto_nbd"),
                   ) -> tuple[pd.DataFrame, dict[str, PurchaseModel]]:
    """Fit several purchase models on the calibration data and compare fit and holdout accuracy.

    Parameters
    ----------
    summary : pandas.DataFrame
        Calibration/holdout summary (:func:`cvkit.clv.calibration_holdout_split`).
    models : sequence of str
        Keys of :data:`MODELS`.

    Returns
    -------
    table : pandas.DataFrame
        One row per model: ``model``, ``log_likelihood`` (calibration, sum
        over customers), ``aic``, ``bic``, ``holdout_actual`` and
        ``holdout_predicted`` (repeat purchases of all customers in the
        holdout), ``holdout_error`` (predicted / actual - 1),
        ``customer_mae`` (mean absolute error of the per-customer holdout
        forecast) and ``converged``; sorted by AIC.
    fitted : dict
        The fitted models by name.
    """
    unknown = [m for m in models if m not in MODELS]
    if unknown:
        raise ValueError(f"unknown model(s) {unknown}; choose from {sorted(MODELS)}")
    if not models:
        raise ValueError("give at least one model to compare, e.g. ['bg_nbd']")
    rows, fitted = [], {}
    for name in models:
        m = MODELS[name]().fit(summary)
        fitted[name] = m
        row = {"model": name, "log_likelihood": m.log_likelihood_, "aic": m.aic_, "bic": m.bic_}
        if "frequency_holdout" in summary.columns:
            pred = m.predict_purchases(summary["duration_holdout"].to_numpy(), summary)
            actual = summary["frequency_holdout"].to_numpy()
            row.update(holdout_actual=float(actual.sum()), holdout_predicted=float(pred.sum()),
                       holdout_error=float(pred.sum() / actual.sum() - 1) if actual.sum() > 0 else np.nan,
                       customer_mae=float(np.mean(np.abs(pred - actual))))
        row["converged"] = m.converged_
        rows.append(row)
    table = pd.DataFrame(rows).sort_values("aic", kind="stable").reset_index(drop=True)
    return table, fitted


def describe_model(model: PurchaseModel) -> list[str]:
    """The fitted parameters in plain words (for the notebook's narrative), in the page's number format.

    Numbers follow the locale :func:`cvkit.present.configure` set (``0,007`` in ``fr_FR``).

    Returns
    -------
    list of str
        One sentence per behavioural quantity, in the model's time unit.
    """
    from cvkit.present import number, percent

    p = model.params_
    unit = {"D": "day", "W": "week", "M": "month"}.get(getattr(model, "time_unit_", None) or "", "time unit")
    sep = "; " if "," in number(1.5, 1) else ", "  # a decimal comma cannot also separate the two parameters
    r, alpha = p["r"], p["alpha"]
    lines = [f"While active, the average customer buys {number(r / alpha, 3)} times per {unit}; rates differ across "
             f"customers with a coefficient of variation of {percent(1 / np.sqrt(r), 0)} (gamma shape r = "
             f"{number(r, 2)})."]
    if "a" in p.index:
        a, b = p["a"], p["b"]
        lines.append(f"After each purchase a customer stops buying for good with probability {percent(a / (a + b), 1)} "
                     f"on average (beta({number(a, 2)}{sep}{number(b, 2)}) across customers).")
        if isinstance(model, ModifiedBetaGeoModel):
            lines.append("Unlike the BG/NBD, a customer can also drop out right after the first purchase.")
    else:
        s, beta = p["s"], p["beta"]
        life = f"{number(beta / (s - 1), 1)} {unit}s" if s > 1 else "very long (the mean is infinite: s <= 1)"
        lines.append(f"Customers drop out at an average rate of {percent(s / beta, 2)} per {unit}; the mean lifetime "
                     f"is {life}, with large differences across customers (gamma shape s = {number(s, 2)}).")
    return lines


def _bucket(x: np.ndarray, max_frequency: int) -> np.ndarray:
    return np.minimum(x, max_frequency).astype(int)


def _labels(max_frequency: int) -> list[str]:
    return [str(i) for i in range(max_frequency)] + [f"{max_frequency}+"]


def conditional_expectations(model: PurchaseModel, summary: pd.DataFrame, max_frequency: int = 7) -> pd.DataFrame:
    """Mean holdout purchases by calibration frequency: actual against the model's conditional expectation.

    Parameters
    ----------
    model : PurchaseModel
        Model fitted on the calibration columns of ``summary``.
    summary : pandas.DataFrame
        :func:`cvkit.clv.calibration_holdout_split` output (needs
        ``frequency_holdout`` and ``duration_holdout``).
    max_frequency : int
        Frequencies at or above this are pooled into one ``"<max>+"`` group.

    Returns
    -------
    pandas.DataFrame
        ``frequency`` (label), ``customers``, ``actual`` and ``predicted``
        (mean purchases per customer in the holdout).
    """
    if "frequency_holdout" not in summary.columns:
        raise KeyError("the summary has no holdout columns; build it with calibration_holdout_split(...)")
    pred = model.predict_purchases(summary["duration_holdout"].to_numpy(), summary)
    b = _bucket(summary["frequency"].to_numpy(), max_frequency)
    df = pd.DataFrame({"b": b, "actual": summary["frequency_holdout"].to_numpy(), "predicted": pred})
    g = df.groupby("b").agg(customers=("actual", "size"), actual=("actual", "mean"), predicted=("predicted", "mean"))
    g = g.reindex(range(max_frequency + 1))
    g.insert(0, "frequency", _labels(max_frequency))
    g["customers"] = g["customers"].fillna(0).astype("int64")
    return g.reset_index(drop=True)


def period_transactions(model: PurchaseModel, summary: pd.DataFrame, max_frequency: int = 7,
                        n_sims: int = 20, seed: int | None = None) -> pd.DataFrame:
    """Customers by number of repeat purchases in calibration: actual against the model.

    The model's counts are averages over ``n_sims`` simulated customer bases
    with the observed ages ``T``.

    Returns
    -------
    pandas.DataFrame
        ``frequency`` (label), ``actual`` and ``model`` (numbers of customers).
    """
    rng = np.random.default_rng(seed)
    T = summary["T"].to_numpy()
    counts = np.zeros(max_frequency + 1)
    for _ in range(n_sims):
        sim = model.simulate(len(T), T, seed=int(rng.integers(2**31)))
        counts += np.bincount(_bucket(sim["frequency"].to_numpy(), max_frequency), minlength=max_frequency + 1)
    actual = np.bincount(_bucket(summary["frequency"].to_numpy(), max_frequency), minlength=max_frequency + 1)
    return pd.DataFrame({"frequency": _labels(max_frequency), "actual": actual, "model": counts / n_sims})


def tracking(model: PurchaseModel, transactions: Any, summary: pd.DataFrame, *,
             customer_col: str = "customer_id", date_col: str = "date", freq: str = "W",
             end: Any = None, backend: Any = None) -> pd.DataFrame:
    """Cumulative repeat purchases over calendar time, actual against expected.

    The expected curve sums each customer's unconditional expectation
    E[X(age)] from their first purchase, so it tests the model on the
    aggregate pattern through calibration *and* holdout.

    Parameters
    ----------
    model : PurchaseModel
        Fitted model (its ``time_unit_`` converts calendar time).
    transactions : pandas.DataFrame, str, Path or Ibis table
        The log (customer id and date columns), or the checked Parquet file / an Ibis table: then
        only the repeat purchases per day are computed, on the engine
        (:func:`cvkit.clv.aggregates.repeat_purchase_days`).
    summary : pandas.DataFrame
        The summary the model was fitted on (defines the customers followed
        and their first purchase dates; daily periods).
    freq : str
        Reporting step, a pandas frequency ("W" weeks, "D", "MS").
    end : date-like, optional
        Last date tracked; default the last repeat purchase.
    backend : ibis backend, optional
        Engine for a file or Ibis table (:func:`cvkit.clv.engine_backend`); None: embedded DuckDB.

    Returns
    -------
    pandas.DataFrame
        ``date`` (step end), ``actual`` and ``expected`` cumulative repeat purchases.
    """
    unit = getattr(model, "time_unit_", None) or model.time_unit
    if unit not in TIME_UNIT_DAYS:
        raise ValueError("the model's time unit is unknown; fit it on a cvkit.clv.summarize table")
    first = pd.Series(pd.to_datetime(summary["first_purchase"]).to_numpy(),
                      index=summary["customer_id"].astype(str))
    per_day = repeat_purchase_days(transactions, first, backend, customer_col=customer_col, date_col=date_col)
    end = pd.Timestamp(end) if end is not None else per_day.index.max()
    grid = pd.date_range(first.min(), end, freq=freq)
    if len(grid) == 0 or grid[-1] < end:
        grid = grid.append(pd.DatetimeIndex([end]))
    # Repeat occasions up to each step end: the running total of the daily counts.
    running = np.concatenate([[0], np.cumsum(per_day.to_numpy())])
    days = pd.DatetimeIndex(per_day.index).as_unit("ns").to_numpy()
    actual = running[np.searchsorted(days, grid.as_unit("ns").to_numpy(), side="right")]
    # Customers sharing a first-purchase day share the expectation: evaluate once per day.
    births = first.value_counts()
    expected = np.zeros(len(grid))
    for birth, n in births.items():
        age = (grid - birth).days.to_numpy() / TIME_UNIT_DAYS[unit]
        age = np.clip(age, 0, None)
        expected += n * model.expected_purchases(age)
    return pd.DataFrame({"date": grid, "actual": actual.astype(float), "expected": expected})


def parameter_table(models: dict[str, Any], *, log_likelihood: bool = False) -> pd.DataFrame:
    """Every model's :meth:`summary` stacked: one row per model and parameter.

    Parameters
    ----------
    models : dict of str -> fitted model
    log_likelihood : bool
        Add each model's ``log_likelihood`` (sum over customers) as a column.

    Returns
    -------
    DataFrame
        Columns ``model``, ``parameter``, ``estimate``, ``se``, ``lower``, ``upper`` [, ``log_likelihood``].
    """
    table = pd.concat({name: m.summary() for name, m in models.items()}, names=["model"]).reset_index()
    if log_likelihood:
        table["log_likelihood"] = table["model"].map({name: m.log_likelihood_ for name, m in models.items()})
    return table
