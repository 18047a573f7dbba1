"""Who responded to which campaign, and what each customer looked like before it.

A campaign history has one row per customer and campaign: the source code, whether the customer
was contacted (``treatment``) or held out (``control``), the contact date, channel and cost. A
response is a purchase in the campaign's response window, read from the transaction log, or a
row of an optional ``responses`` file (orders already attributed to a campaign by the client's
systems). Control customers are measured the same way as contacted ones: that is what makes the
difference between the two groups the campaign's effect.

The pre-period features (spend, purchase occasions and days since the last purchase before the
contact date) are what the balance check compares and what the uplift models learn from; they are
computed only from purchases before the contact, so the campaign cannot leak into them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cvkit.exceptions import DataError, Problem

__all__ = ["TREATMENT_LABELS", "CONTROL_LABELS", "normalise_groups", "attach_responses", "pre_period",
           "value_tiers", "contact_frame", "campaign_overview"]

TREATMENT_LABELS = frozenset({"treatment", "treated", "contacted", "test", "mailed", "target", "1", "true"})
CONTROL_LABELS = frozenset({"control", "holdout", "hold-out", "hold_out", "not contacted", "0", "false"})
TIER_LABELS = ("top 20%", "next 30%", "bottom 50%", "no purchase before")


def normalise_groups(group: pd.Series) -> pd.Series:
    """``True`` for contacted customers, ``False`` for the control group.

    Accepts the usual spellings (``treatment``/``control``, ``contacted``/``holdout``, ``1``/``0``).

    Raises
    ------
    cvkit.exceptions.DataError
        Naming the values that are neither, and the fix.
    """
    text = group.astype("str").str.strip().str.lower()
    treated = text.isin(TREATMENT_LABELS)
    control = text.isin(CONTROL_LABELS)
    bad = sorted(set(text[~(treated | control)]))
    if bad:
        raise DataError(Problem("campaigns", f"group values {bad[:5]} are neither treatment nor control",
                                "write 'treatment' for contacted customers and 'control' for the held-out group",
                                column="group", n_rows=int((~(treated | control)).sum())))
    return pd.Series(treated.to_numpy(), index=group.index, name="treated")


def attach_responses(campaigns: pd.DataFrame, *, transactions: pd.DataFrame | None = None,
                     responses: pd.DataFrame | None = None, window_days: int = 30) -> pd.DataFrame:
    """Add ``responded`` (0/1) and ``revenue`` (currency) to each customer x campaign row.

    Parameters
    ----------
    campaigns : DataFrame
        The ``campaigns`` data set: ``customer_id``, ``campaign_id``, ``group``, ``contact_date``,
        optional ``contact_cost`` and ``response_window_days`` (overrides ``window_days`` per row).
    transactions : DataFrame, optional
        The purchase log (``customer_id``, ``date``, ``amount``). A purchase on or after the contact
        date and before the end of the window is a response; its amount is the response revenue.
    responses : DataFrame, optional
        Attributed responses (``customer_id``, ``campaign_id``, optional ``date`` and ``amount``);
        used instead of the log when given. Rows with a date outside the window are not counted.
    window_days : int, default 30
        Response window in days after the contact date.

    Returns
    -------
    DataFrame
        ``campaigns`` (index reset) plus ``treated`` (bool), ``contact_cost`` (0 when missing), ``window_end``,
        ``responded`` (int 0/1) and ``revenue`` (float, summed over the window).
    """
    if transactions is None and responses is None:
        raise DataError(Problem("campaigns", "responses need a transaction log or a responses file",
                                "give data.transactions or data.responses in engagement.yaml"))
    out = campaigns.reset_index(drop=True)
    out["treated"] = normalise_groups(out["group"])
    cost = out["contact_cost"] if "contact_cost" in out.columns else pd.Series(np.nan, index=out.index)
    out["contact_cost"] = pd.to_numeric(cost, errors="coerce").fillna(0.0).astype(float)
    window = pd.Series(float(window_days), index=out.index)
    if "response_window_days" in out.columns:
        window = pd.to_numeric(out["response_window_days"], errors="coerce").fillna(window_days)
    out["window_end"] = out["contact_date"] + pd.to_timedelta(window.astype(float), unit="D")
    keys = out[["customer_id", "campaign_id", "contact_date", "window_end"]].reset_index(names="_row")
    if responses is not None:
        resp = responses.copy()
        if "amount" not in resp.columns:
            resp["amount"] = 0.0
        hits = keys.merge(resp, on=["customer_id", "campaign_id"], how="inner")
        if "date" in hits.columns:
            dated = hits["date"].notna()
            inside = (hits["date"] >= hits["contact_date"]) & (hits["date"] < hits["window_end"])
            hits = hits[~dated | inside]
    else:
        tx = transactions[["customer_id", "date", "amount"]]
        hits = keys.merge(tx[tx["customer_id"].isin(keys["customer_id"])], on="customer_id", how="inner")
        hits = hits[(hits["date"] >= hits["contact_date"]) & (hits["date"] < hits["window_end"])]
    per_row = hits.groupby("_row")["amount"].agg(["size", "sum"])
    responded = np.zeros(len(out), dtype=int)
    revenue = np.zeros(len(out), dtype=float)
    rows = per_row.index.to_numpy(int)
    responded[rows] = (per_row["size"] > 0).to_numpy()
    revenue[rows] = per_row["sum"].fillna(0.0).to_numpy(float)
    return out.assign(responded=responded, revenue=revenue)


def pre_period(contacts: pd.DataFrame, transactions: pd.DataFrame, *, days: int = 365) -> pd.DataFrame:
    """Spend, purchase occasions and recency of each customer before each contact.

    Parameters
    ----------
    contacts : DataFrame
        Rows with ``customer_id`` and ``contact_date``.
    transactions : DataFrame
        ``customer_id``, ``date``, ``amount``.
    days : int, default 365
        Length of the pre-period, in days before the contact date.

    Returns
    -------
    DataFrame, same index as ``contacts``
        ``pre_spend`` (currency in the pre-period), ``pre_purchases`` (purchase days in the
        pre-period) and ``recency_days`` (days from the last earlier purchase to the contact;
        ``days`` when there is none in the pre-period, i.e. censored at the period length).
    """
    keys = contacts[["customer_id", "contact_date"]].reset_index(names="_row")
    tx = transactions.loc[transactions["customer_id"].isin(keys["customer_id"]), ["customer_id", "date", "amount"]]
    hits = keys.merge(tx, on="customer_id", how="inner")
    start = hits["contact_date"] - pd.Timedelta(days=days)
    hits = hits[(hits["date"] < hits["contact_date"]) & (hits["date"] >= start)]
    agg = hits.groupby("_row").agg(pre_spend=("amount", "sum"), pre_purchases=("date", "nunique"),
                                   last=("date", "max"), contact=("contact_date", "first"))
    out = pd.DataFrame({"pre_spend": 0.0, "pre_purchases": 0, "recency_days": float(days)},
                       index=pd.RangeIndex(len(contacts)))
    out.loc[agg.index, "pre_spend"] = agg["pre_spend"].to_numpy(float)
    out.loc[agg.index, "pre_purchases"] = agg["pre_purchases"].to_numpy(int)
    out.loc[agg.index, "recency_days"] = (agg["contact"] - agg["last"]).dt.days.to_numpy(float)
    out.index = contacts.index
    return out


def value_tiers(spend: pd.Series) -> pd.Series:
    """Value tier by pre-period spend: top 20%, next 30%, bottom 50% of the spenders.

    Customers with no purchase in the pre-period form their own tier (``no purchase before``), so
    a base of many dormant customers does not push actual spenders into the bottom tier.
    """
    spend = spend.astype(float)
    spenders = spend > 0
    rank = spend[spenders].rank(method="first", ascending=False, pct=True)
    tier = pd.Series(TIER_LABELS[3], index=spend.index, dtype="str")
    tier[spenders] = np.where(rank <= 0.2, TIER_LABELS[0], np.where(rank <= 0.5, TIER_LABELS[1], TIER_LABELS[2]))
    return pd.Categorical(tier, categories=list(TIER_LABELS), ordered=True)


def contact_frame(campaigns: pd.DataFrame, *, transactions: pd.DataFrame | None = None,
                  responses: pd.DataFrame | None = None, customers: pd.DataFrame | None = None,
                  segment_column: str = "", window_days: int = 30, pre_days: int = 365) -> pd.DataFrame:
    """The one table every campaign computation reads: contacts, responses, pre-period and segments.

    Returns
    -------
    DataFrame, one row per customer x campaign
        ``attach_responses`` columns plus ``pre_spend``, ``pre_purchases``, ``recency_days``,
        ``value_tier`` (by pre-period spend within the campaign) and ``segment`` (the customers
        file's ``segment_column``, ``"all"`` when none is given, ``"unknown"`` when unmatched).
    """
    out = attach_responses(campaigns, transactions=transactions, responses=responses, window_days=window_days)
    if transactions is not None:
        out = out.join(pre_period(out, transactions, days=pre_days))
    else:
        out = out.assign(pre_spend=np.nan, pre_purchases=np.nan, recency_days=np.nan)
    tiers = out.groupby("campaign_id", observed=True)["pre_spend"].transform(
        lambda s: pd.Series(value_tiers(s.fillna(0.0)), index=s.index).astype("str"))
    out["value_tier"] = pd.Categorical(tiers, categories=list(TIER_LABELS), ordered=True)
    if customers is not None and segment_column:
        if segment_column not in customers.columns:
            raise DataError(Problem("customers", f"segment_column = {segment_column!r} is not a column of the "
                                    f"customers file (columns: {list(customers.columns)})",
                                    "set analyses.campaigns.segment_column to one of them, or to ''"))
        seg = customers.drop_duplicates("customer_id").set_index("customer_id")[segment_column]
        out["segment"] = out["customer_id"].map(seg).astype("str").fillna("unknown")
        out.loc[out["segment"].isin(["nan", "<NA>", "None"]), "segment"] = "unknown"
    else:
        out["segment"] = "all"
    return out


def campaign_overview(contacts: pd.DataFrame) -> pd.DataFrame:
    """One row per campaign: source code, channel, date, contacted and control customers, cost.

    Returns
    -------
    DataFrame
        ``campaign_id``, ``source_code``, ``channel``, ``contact_date`` (first), ``contacted``,
        ``control``, ``control_share`` (0..1), ``cost`` (currency), ``window_days``.
    """
    def first(col: str) -> pd.Series:
        if col not in contacts.columns:
            return pd.Series(dtype="str")
        return contacts.groupby("campaign_id", observed=True)[col].agg(
            lambda s: ", ".join(sorted({str(v) for v in s.dropna()})) or None)

    g = contacts.groupby("campaign_id", observed=True)
    out = pd.DataFrame({
        "source_code": first("source_code"), "channel": first("channel"),
        "contact_date": g["contact_date"].min(), "contacted": g["treated"].sum().astype(int),
        "control": (~contacts["treated"]).groupby(contacts["campaign_id"], observed=True).sum().astype(int),
        "cost": contacts["contact_cost"].where(contacts["treated"], 0.0).groupby(contacts["campaign_id"],
                                                                                 observed=True).sum(),
        "window_days": ((contacts["window_end"] - contacts["contact_date"]).dt.days).groupby(
            contacts["campaign_id"], observed=True).max(),
    })
    out["control_share"] = out["control"] / (out["contacted"] + out["control"])
    return out.reset_index()
