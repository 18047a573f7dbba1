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

from cvkit.clv.models import PurchaseModel
from cvkit.clv.summary import TIME_UNIT_DAYS

__all__ = ["conditional_expectations", "period_transactions", "tracking"]


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


def tracking(model: PurchaseModel, transactions: pd.DataFrame, summary: pd.DataFrame, *,
             customer_col: str = "customer_id", date_col: str = "date", freq: str = "W",
             end: Any = None) -> pd.DataFrame:
    """Cumulative repeat purchases over calendar time, actual against expected.

    The expected curve sums each customer's unconditional expectation
    E[X(age)] from their first purchase, so it tests the model on the
    aggregate pattern through calibration *and* holdout.

    Parameters
    ----------
    model : PurchaseModel
        Fitted model (its ``time_unit_`` converts calendar time).
    transactions : pandas.DataFrame
        The log (customer id and date columns).
    summary : pandas.DataFrame
        The summary the model was fitted on (defines the customers followed
        and their first purchase dates; daily periods).
    freq : str
        Reporting step, a pandas frequency ("W" weeks, "D", "MS").
    end : date-like, optional
        Last date tracked; default the end of the log.

    Returns
    -------
    pandas.DataFrame
        ``date`` (step end), ``actual`` and ``expected`` cumulative repeat purchases.
    """
    unit = getattr(model, "time_unit_", None) or model.time_unit
    if unit not in TIME_UNIT_DAYS:
        raise ValueError("the model's time unit is unknown; fit it on a cvkit.clv.summarize table")
    log = transactions[[customer_col, date_col]].copy()
    log[customer_col] = log[customer_col].astype(str)
    log["day"] = pd.to_datetime(log[date_col]).dt.normalize()
    first = pd.Series(pd.to_datetime(summary["first_purchase"]).to_numpy(),
                      index=summary["customer_id"].astype(str))
    log = log[log[customer_col].isin(first.index)].drop_duplicates([customer_col, "day"])
    log = log[log["day"] > log[customer_col].map(first)]
    end = pd.Timestamp(end) if end is not None else log["day"].max()
    grid = pd.date_range(first.min(), end, freq=freq)
    if len(grid) == 0 or grid[-1] < end:
        grid = grid.append(pd.DatetimeIndex([end]))
    days = log["day"].sort_values().to_numpy()
    actual = np.searchsorted(days, grid.to_numpy(), side="right")
    # Customers sharing a first-purchase day share the expectation: evaluate once per day.
    births = first.value_counts()
    expected = np.zeros(len(grid))
    for birth, n in births.items():
        age = (grid - birth).days.to_numpy() / TIME_UNIT_DAYS[unit]
        age = np.clip(age, 0, None)
        expected += n * model.expected_purchases(age)
    return pd.DataFrame({"date": grid, "actual": actual.astype(float), "expected": expected})
