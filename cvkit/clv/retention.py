"""Yearly retention from a transaction log, and the simple retention-based CLV it gives.

The model-free cross-check of the probability models: of the customers who bought in the year
before last, how many bought again last year (``(E - N) / S``), and what a retained customer is
worth at that retention with constant margin (:func:`cvkit.metrics.simple_clv`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from cvkit import metrics
from cvkit.clv.aggregates import is_log_frame, retention_buyers

__all__ = ["YearlyRetention", "yearly_retention"]


@dataclass(frozen=True)
class YearlyRetention:
    """Retention over the last year of a log.

    Attributes
    ----------
    start, end, new : int
        Buyers in the year before last (S), buyers last year (E), of whom first-time buyers (N).
    retention, churn : float
        ``(E - N) / S`` and ``1 - retention``.
    annual_margin : float
        Mean margin (currency) a retained customer earned last year.
    simple_clv : float or None
        :func:`cvkit.metrics.simple_clv` at that margin and retention; None when every buyer of the
        year before bought again (retention 1: the formula has no finite value).
    """

    start: int
    end: int
    new: int
    retention: float
    churn: float
    annual_margin: float
    simple_clv: float | None


def yearly_retention(transactions: Any, summary: pd.DataFrame, end: pd.Timestamp | str, *,
                     margin: float, annual_discount_rate: float, backend: Any = None) -> YearlyRetention | None:
    """Retention of the last year before ``end``, or None when nobody bought in the year before.

    Parameters
    ----------
    transactions : DataFrame, str, Path or Ibis table
        The log (``customer_id``, ``date``, ``amount``), or the checked Parquet file / an Ibis
        table: then one row per recent buyer is computed on the engine
        (:func:`cvkit.clv.aggregates.retention_buyers`), not the rows in memory.
    summary : DataFrame
        :func:`cvkit.clv.summarize` of the log (its ``first_purchase`` tells new from returning buyers).
    end : Timestamp or str
        Last day of the log the analysis uses.
    margin : float
        Share of revenue that is profit (0-1].
    annual_discount_rate : float
        E.g. 0.10 for 10% a year.
    backend : ibis backend, optional
        Engine for a file or Ibis table; None: embedded DuckDB.
    """
    year_end = pd.Timestamp(end)
    year_start = year_end - pd.DateOffset(years=1)
    first = summary.set_index("customer_id")["first_purchase"]
    if is_log_frame(transactions):
        dates, ids = transactions["date"], transactions["customer_id"]
        buyers_prev = set(ids[(dates > year_start - pd.DateOffset(years=1)) & (dates <= year_start)])
        buyers_last = set(ids[(dates > year_start) & (dates <= year_end)])
        spend = lambda who: transactions.loc[(dates > year_start) & ids.isin(who), "amount"].sum()  # noqa: E731
    else:
        buyers = retention_buyers(transactions, year_start, backend)
        buyers_prev = set(buyers.loc[buyers["prev"], "customer_id"])
        buyers_last = set(buyers.loc[buyers["first_after"] <= year_end, "customer_id"])
        spend = lambda who: buyers.loc[buyers["customer_id"].isin(who), "spend_since"].sum()  # noqa: E731
    new_last = {c for c in buyers_last if first[c] > year_start}
    if not buyers_prev:
        return None
    returning = buyers_last - new_last
    r = metrics.retention_rate(end=len(buyers_last), new=len(new_last), start=len(buyers_prev))
    annual_margin = margin * spend(returning) / max(len(returning), 1)
    return YearlyRetention(start=len(buyers_prev), end=len(buyers_last), new=len(new_last), retention=r,
                           churn=metrics.churn_rate(len(buyers_last), len(new_last), len(buyers_prev)),
                           annual_margin=annual_margin,
                           simple_clv=metrics.simple_clv(annual_margin, r, annual_discount_rate) if r < 1 else None)
