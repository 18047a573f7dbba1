"""Total CLV under other margins, discount rates and horizons (the what-if table and panel)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["clv_total", "clv_scenarios"]


def clv_total(purchase_model: Any, summary: pd.DataFrame, spend: np.ndarray, *, annual_discount_rate: float,
              margin: float, horizon_months: float) -> float:
    """Total discounted CLV (currency) of the customers in ``summary`` at one setting.

    ``spend`` is the expected value of a future purchase per customer
    (:func:`cvkit.clv.expected_spend`).
    """
    return float(purchase_model.expected_clv(summary, monetary_value=spend, horizon_months=horizon_months,
                                             annual_discount_rate=annual_discount_rate, margin=margin).sum())


def clv_scenarios(purchase_model: Any, summary: pd.DataFrame, spend: np.ndarray, *, margin: float,
                  margins: Sequence[float] = (0.2, 0.4), annual_discount_rates: Sequence[float] = (0.05, 0.10, 0.15),
                  horizons: Sequence[int] = (6, 12, 24, 36)) -> pd.DataFrame:
    """Total CLV for every margin x discount rate (rows) and horizon in months (columns).

    The engagement's ``margin`` is always among the margins compared.

    Returns
    -------
    DataFrame
        Index ``scenario``: ``"margin 30%, discount 10%"``...; columns ``"12 months"``...; values in currency.
    """
    return pd.DataFrame(
        {f"{months} months": {f"margin {m:.0%}, discount {rate:.0%}": clv_total(
            purchase_model, summary, spend, annual_discount_rate=rate, margin=m, horizon_months=months)
            for m in sorted({margin, *margins}) for rate in annual_discount_rates}
         for months in horizons}).rename_axis("scenario")
