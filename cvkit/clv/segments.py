"""CLV by a customer segment, with acquisition cost and the CLV:CAC ratio."""

from __future__ import annotations

from typing import Any

import pandas as pd

from cvkit import metrics
from cvkit.clv.value import attach_segment, clv_interval

__all__ = ["value_by_segment"]


def value_by_segment(summary: pd.DataFrame, values: pd.DataFrame, customers: pd.DataFrame, column: str,
                     purchase_model: Any, spend_model: Any, *, horizon_months: float, annual_discount_rate: float,
                     margin: float, n_draws: int, seed: int) -> tuple[pd.DataFrame, list[str]]:
    """CLV with intervals per segment, mean acquisition cost, lifetime value, P(alive) and CLV:CAC.

    Parameters
    ----------
    summary, values : DataFrame
        :func:`cvkit.clv.summarize` and :func:`cvkit.clv.customer_value_table` of the same customers.
    customers : DataFrame
        The customers file (``customer_id``, ``column``, optional ``acquisition_cost``).
    column : str
        The customers column to break value down by.
    purchase_model, spend_model, horizon_months, annual_discount_rate, margin, n_draws, seed
        As for :func:`cvkit.clv.clv_interval`.

    Returns
    -------
    (DataFrame, list of str)
        One row per segment plus ``total``: :func:`clv_interval`'s columns and
        ``acquisition_cost``, ``lifetime_value``, ``p_alive`` (means) and ``clv_to_cac`` (where the
        cost is known); and the sentences :func:`attach_segment` wrote about gaps in the join.
    """
    joined, gaps = attach_segment(values, customers, column)
    table = clv_interval(summary, purchase_model, spend_model, groups=joined[column], horizon_months=horizon_months,
                         annual_discount_rate=annual_discount_rate, margin=margin, n_draws=n_draws, seed=seed)
    costs = joined.groupby(column).agg(acquisition_cost=("acquisition_cost", "mean"),
                                       lifetime_value=("lifetime_value", "mean"), p_alive=("p_alive", "mean"))
    costs.loc["total"] = [joined["acquisition_cost"].mean(), joined["lifetime_value"].mean(), joined["p_alive"].mean()]
    table = table.merge(costs, left_on="group", right_index=True, how="left")
    known = table["acquisition_cost"] > 0
    table.loc[known, "clv_to_cac"] = metrics.clv_to_cac(table.loc[known, "lifetime_value"].to_numpy(),
                                                        table.loc[known, "acquisition_cost"].to_numpy())
    return table, gaps
