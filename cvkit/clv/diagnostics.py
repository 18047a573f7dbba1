"""What the data and the fits say about how far the CLV figures can be trusted.

Plain computations on the log, the RFM summary and the fitted models; the engagement turns them
into red flags (``cvkit.engagement.flags``). Each function returns numbers and a verdict, never text
for a page, so analysts can use them in their own notebooks.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = ["DAYS_PER_MONTH", "history_vs_horizon", "acquisition_censoring", "one_time_buyers_alive",
           "imprecise_parameters", "choose_model", "rfm_vs_alive"]

#: Mean length of a calendar month in days (365.25 / 12).
DAYS_PER_MONTH = 30.4375


def history_vs_horizon(first_date: Any, last_date: Any, horizon_months: float) -> dict[str, Any]:
    """How far the CLV horizon reaches beyond the history the models learned from.

    Parameters
    ----------
    first_date, last_date : date-like
        First and last day of the transaction log (or of the observation window).
    horizon_months : float
        CLV horizon in months.

    Returns
    -------
    dict
        ``history_months`` (float), ``horizon_months``, ``ratio`` (horizon / history) and
        ``extrapolated`` (True when the horizon is longer than the history).
    """
    days = (pd.Timestamp(last_date) - pd.Timestamp(first_date)).days + 1
    history = days / DAYS_PER_MONTH
    ratio = float(horizon_months) / history if history > 0 else np.inf
    return {"history_months": round(history, 2), "history_weeks": round(days / 7, 1),
            "horizon_months": horizon_months, "ratio": round(ratio, 2), "extrapolated": bool(ratio > 1)}


def acquisition_censoring(first_purchase: pd.Series, log_start: Any, log_end: Any, *,
                          head: float = 0.1) -> dict[str, Any]:
    """Whether the log starts after many of its customers were acquired (left censoring).

    A log cut out of an ongoing business shows a pile-up of "first" purchases in its first weeks
    (customers who had been buying for years are seen for the first time) while new customers
    keep arriving later. A cohort followed from acquisition (CDNOW) also piles up early, but no one
    arrives later. So the log is called left-censored when the first ``head`` of its span holds
    more than 2.5 times its even share of first purchases *and* more than 5% of the customers
    first appear in the second half of the log.

    Parameters
    ----------
    first_purchase : Series of datetime
        First purchase date per customer (in the log, or the customers file's acquisition date).
    log_start, log_end : date-like
        First and last day of the log.
    head : float
        Share of the log span counted as its start.

    Returns
    -------
    dict
        ``n_customers``, ``n_first_in_head`` and ``share_first_in_head`` (customers first seen in the
        first ``head`` of the span), ``head_days``, ``share_first_in_second_half``,
        ``n_before_start`` (acquisition dates before the log starts), ``censored`` (bool).
    """
    start, end = pd.Timestamp(log_start), pd.Timestamp(log_end)
    first = pd.to_datetime(first_purchase).dropna()
    span = end - start
    head_end = start + span * head
    in_head = first <= head_end
    second_half = first > start + span / 2
    before = first < start
    n = max(len(first), 1)
    share_head = float(in_head.mean()) if len(first) else 0.0
    share_late = float(second_half.mean()) if len(first) else 0.0
    censored = bool((share_head > 2.5 * head and share_late > 0.05) or before.mean() > 0.05)
    return {"n_customers": int(len(first)), "n_first_in_head": int(in_head.sum()), "share_first_in_head": share_head,
            "head_days": int(span.days * head) + 1, "share_first_in_second_half": share_late,
            "n_before_start": int(before.sum()), "share_before_start": float(before.sum() / n), "censored": censored}


def one_time_buyers_alive(summary: pd.DataFrame, model: Any, *, unseen: float) -> dict[str, Any]:
    """Customers who bought once and whom the purchase model still counts as surely active.

    Under BG/NBD a customer can only leave right after a *repeat* purchase, so every one-time
    buyer has P(alive) = 1 however long ago they bought; MBG/NBD and Pareto/NBD let them leave.

    Parameters
    ----------
    summary : DataFrame
        RFM summary (``frequency``, ``recency``, ``T``) in the model's time unit.
    model : fitted purchase model
        With ``prob_alive(frequency, recency, T)``.
    unseen : float
        Time since the purchase (model time units) from which a one-time buyer counts as long unseen.

    Returns
    -------
    dict
        ``n_one_time``, ``share_one_time``, ``n_unseen`` (one-time buyers unseen for ``unseen`` or
        more), ``n_pinned`` (one-time buyers unseen that long with P(alive) >= 0.99) and
        ``mean_p_alive_unseen``.
    """
    one = summary["frequency"].to_numpy() == 0
    gap = (summary["T"] - summary["recency"]).to_numpy()
    long_unseen = one & (gap >= unseen)
    p = np.asarray(model.prob_alive(summary["frequency"], summary["recency"], summary["T"]), dtype=float)
    return {"n_one_time": int(one.sum()), "share_one_time": float(one.mean()) if len(one) else 0.0,
            "n_unseen": int(long_unseen.sum()), "n_pinned": int((long_unseen & (p >= 0.99)).sum()),
            "mean_p_alive_unseen": float(p[long_unseen].mean()) if long_unseen.any() else float("nan")}


def imprecise_parameters(estimates: pd.DataFrame, *, ratio: float = 0.5) -> pd.DataFrame:
    """Parameters whose standard error exceeds ``ratio`` times the estimate.

    Parameters
    ----------
    estimates : DataFrame
        Columns ``estimate`` and ``se`` (a model's ``summary()``), optionally ``model`` and
        ``parameter``.

    Returns
    -------
    DataFrame
        The offending rows with ``se_ratio`` = se / |estimate|.
    """
    table = estimates.reset_index() if "parameter" not in estimates.columns else estimates.copy()
    table["se_ratio"] = table["se"] / table["estimate"].abs()
    return table.loc[~(table["se_ratio"] <= ratio)].reset_index(drop=True)


def choose_model(comparison: pd.DataFrame) -> str:
    """The purchase model to use: best on the holdout forecast and on AIC together.

    Each model is ranked on the absolute holdout error of total repeat purchases and on AIC; the
    lowest sum of ranks wins, ties going to the better holdout forecast (AIC alone rewards fit to
    the calibration period, the holdout rewards what CLV is for: forecasting). Without a holdout
    column the lowest AIC wins.

    Parameters
    ----------
    comparison : DataFrame
        :func:`cvkit.clv.compare_models` table (``model``, ``aic``, ``holdout_error``, ``converged``).
    """
    table = comparison.copy()
    if "converged" in table.columns and table["converged"].any():
        table = table.loc[table["converged"].astype(bool)]
    elif "converged" in table.columns and "holdout_error" in table.columns and table["holdout_error"].notna().any():
        # No fit converged: their likelihoods (hence AIC) are not comparable, the holdout forecast still is.
        table = table.assign(_h=table["holdout_error"].abs()).sort_values("_h", kind="stable", na_position="last")
        return str(table["model"].iloc[0])
    if "holdout_error" not in table.columns or table["holdout_error"].isna().all():
        return str(table.sort_values("aic", kind="stable")["model"].iloc[0])
    holdout = table["holdout_error"].abs()
    table = table.assign(_h=holdout.rank(method="min"), _a=table["aic"].rank(method="min"))
    table = table.assign(_score=table["_h"] + table["_a"]).sort_values(["_score", "_h", "aic"], kind="stable")
    return str(table["model"].iloc[0])


def rfm_vs_alive(segments: pd.Series, p_alive: pd.Series, lapsed: tuple[str, ...]) -> dict[str, Any]:
    """How the RFM segments that call customers lapsed compare with the model's P(alive).

    Parameters
    ----------
    segments : Series
        RFM segment per customer (index: customer id).
    p_alive : Series
        P(alive) per customer from the CLV model (index: customer id).
    lapsed : tuple of str
        Segment names that mean "lost or about to be" (e.g. Lost, Hibernating).

    Returns
    -------
    dict
        ``n_customers`` (in both), ``share_lapsed`` (of them in a lapsed segment),
        ``mean_p_alive_lapsed`` and ``mean_p_alive_other``, ``disagree`` (True when the lapsed
        customers' mean P(alive) is above 0.5: the two views tell opposite stories).
    """
    both = pd.concat({"segment": segments, "p_alive": p_alive}, axis=1, join="inner").dropna()
    is_lapsed = both["segment"].isin(lapsed)
    mean_lapsed = float(both.loc[is_lapsed, "p_alive"].mean()) if is_lapsed.any() else float("nan")
    mean_other = float(both.loc[~is_lapsed, "p_alive"].mean()) if (~is_lapsed).any() else float("nan")
    return {"n_customers": int(len(both)), "share_lapsed": float(is_lapsed.mean()) if len(both) else 0.0,
            "mean_p_alive_lapsed": mean_lapsed, "mean_p_alive_other": mean_other,
            "disagree": bool(is_lapsed.any() and mean_lapsed > 0.5)}
