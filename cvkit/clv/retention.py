"""Yearly retention from a transaction log, and the simple retention-based CLV it gives.

The model-free cross-check of the probability models: of the customers who bought in the year
before last, how many bought again last year (``(E - N) / S``), and what a retained customer is
worth at that retention with constant margin (:func:`cvkit.metrics.simple_clv`).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from cvkit import metrics

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
    simple_clv : float
        :func:`cvkit.metrics.simple_clv` at that margin and retention.
    """

    start: int
    end: int
    new: int
    retention: float
    churn: float
    annual_margin: float
    simple_clv: float


def yearly_retention(transactions: pd.DataFrame, summary: pd.DataFrame, end: pd.Timestamp | str, *,
                     margin: float, annual_discount_rate: float) -> YearlyRetention | None:
    """Retention of the last year before ``end``, or None when nobody bought in the year before.

    Parameters
    ----------
    transactions : DataFrame
        The log (``customer_id``, ``date``, ``amount``).
    summary : DataFrame
        :func:`cvkit.clv.summarize` of the log (its ``first_purchase`` tells new from returning buyers).
    end : Timestamp or str
        Last day of the log the analysis uses.
    margin : float
        Share of revenue that is profit (0-1].
    annual_discount_rate : float
        E.g. 0.10 for 10% a year.
    """
    year_end = pd.Timestamp(end)
    year_start = year_end - pd.DateOffset(years=1)
    first = summary.set_index("customer_id")["first_purchase"]
    dates, ids = transactions["date"], transactions["customer_id"]
    buyers_prev = set(ids[(dates > year_start - pd.DateOffset(years=1)) & (dates <= year_start)])
    buyers_last = set(ids[(dates > year_start) & (dates <= year_end)])
    new_last = {c for c in buyers_last if first[c] > year_start}
    if not buyers_prev:
        return None
    returning = buyers_last - new_last
    r = metrics.retention_rate(end=len(buyers_last), new=len(new_last), start=len(buyers_prev))
    annual_margin = margin * transactions.loc[(dates > year_start) & ids.isin(returning), "amount"].sum() / max(
        len(returning), 1)
    return YearlyRetention(start=len(buyers_prev), end=len(buyers_last), new=len(new_last), retention=r,
                           churn=metrics.churn_rate(len(buyers_last), len(new_last), len(buyers_prev)),
                           annual_margin=annual_margin,
                           simple_clv=metrics.simple_clv(annual_margin, r, annual_discount_rate))
