"""Small aggregates of the transaction log for the CLV page's charts and checks, on the engine.

The monthly chart, the tracking plot, the yearly retention rate, the red flags and the BG/BB
participation need far less than the row-level log: counts and sums by month, repeat purchases
by day, a few flags per customer, purchase periods per customer. Each function here takes either
a DataFrame of the log (computed in pandas, as before) or the checked Parquet file / an Ibis table
(computed where the engagement's engine runs, embedded DuckDB or Spark), and returns the same
small frame either way, so the CLV notebook never needs the log in memory.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import ibis
import pandas as pd
import pyarrow as pa

from cvkit.clv.summary import _as_table, _execute, _is_spark, _quiet_backend_deprecations

__all__ = ["is_log_frame", "monthly_activity", "repeat_purchase_days", "log_buyers", "retention_buyers",
           "period_participation", "customer_periods", "first_date", "last_date"]

# pandas period codes -> the unit Ibis truncates timestamps to.
_TRUNCATE = {"Y": "Y", "A": "Y", "Q": "Q", "M": "M"}


def is_log_frame(transactions: Any) -> bool:
    """True when ``transactions`` is the log as a DataFrame (the in-memory path)."""
    return isinstance(transactions, pd.DataFrame)


def _table(transactions: Any, backend: Any, date_col: str) -> tuple[Any, Any]:
    source = str(transactions) if isinstance(transactions, Path) else transactions
    table, con, _ = _as_table(source, backend, date_col)
    return table, con


def _new_value(table: Any, customer_col: str, value: Any) -> Any:
    """True on the first row of each distinct (customer, ``value``): a window over each customer's rows.

    Distinct pairs are marked by a window partitioned by customer (a sort, which DuckDB spills to
    disk) rather than found by a hash aggregate keyed on (customer, value): at a 1 GB limit DuckDB
    could not spill that two-key aggregate over a 100M-row log with 2M customers.
    """
    previous = value.lag().over(ibis.window(group_by=table[customer_col], order_by=value))
    return previous.isnull() | (previous != value)


def _distinct_pairs(table: Any, customer_col: str, value: Any, name: str) -> Any:
    """The distinct (customer, ``value``) pairs of ``table`` as columns ``customer_col`` and ``name``."""
    marked = table.select(table[customer_col], value.name(name),
                          cvkit_new=_new_value(table, customer_col, value))
    return marked.filter(marked["cvkit_new"]).select(customer_col, name)


def _naive(values: Any) -> pd.DatetimeIndex:
    """Timestamps as naive nanosecond values: Spark returns UTC-aware ones, DuckDB naive ones."""
    index = pd.DatetimeIndex(pd.to_datetime(values))
    if index.tz is not None:
        index = index.tz_convert("UTC").tz_localize(None)
    return index.as_unit("ns")


def monthly_activity(transactions: Any, backend: Any = None, *, customer_col: str = "customer_id",
                     date_col: str = "date", amount_col: str = "amount") -> pd.DataFrame:
    """Revenue and buying customers per calendar month, months without purchases included (zeros).

    Parameters
    ----------
    transactions : DataFrame, str, Path or Ibis table
        The log as a DataFrame (aggregated in pandas) or the checked Parquet file / an Ibis table
        (aggregated on the engine).
    backend : ibis backend, optional
        From :func:`cvkit.clv.engine_backend`; None: embedded DuckDB.

    Returns
    -------
    DataFrame
        Indexed by month start (``MS``): ``amount`` (revenue) and ``customer_id`` (distinct buyers),
        the columns ``DataFrame.resample("MS")`` gives.
    """
    if is_log_frame(transactions):
        return transactions.set_index(date_col).resample("MS").agg({amount_col: "sum", customer_col: "nunique"})
    with _quiet_backend_deprecations():
        table, con = _table(transactions, backend, date_col)
        month = table[date_col].cast("timestamp").truncate("M").name("month")
        revenue = _execute(table.group_by(month).aggregate(amount=table[amount_col].sum()), con)
        # Distinct buyers per month from distinct (customer, month) pairs found by a window (it spills),
        # not a DISTINCT aggregate (every month's set of customers held in memory).
        pairs = _distinct_pairs(table, customer_col, month, "month")
        buyers = _execute(pairs.group_by("month").aggregate(customers=pairs.count()), con)
        df = revenue.merge(buyers, on="month", how="left")
    df.index = _naive(df["month"])
    df = df.sort_index()
    # resample fills the months without a purchase with zeros: so does the engine path.
    full = pd.date_range(df.index.min(), df.index.max(), freq="MS", name=date_col)
    out = pd.DataFrame({amount_col: df["amount"].astype(float), customer_col: df["customers"].astype("int64")})
    return out.reindex(full, fill_value=0)


def _first_purchase_table(first: pd.Series, con: Any) -> Any:
    """The followed customers and their first purchase day as a table on ``con`` (one row each)."""
    arrow = pa.table({"cvkit_customer": first.index.astype(str).to_numpy(dtype=object),
                      "cvkit_first": pd.to_datetime(first.to_numpy()).normalize().date})
    if con is not None and _is_spark(con):
        con._session.createDataFrame(arrow).createOrReplaceTempView("cvkit_first_purchase")
        return con.table("cvkit_first_purchase")
    return ibis.memtable(arrow)


def repeat_purchase_days(transactions: Any, first_purchase: pd.Series, backend: Any = None, *,
                         customer_col: str = "customer_id", date_col: str = "date") -> pd.Series:
    """Repeat purchase days per calendar day: the followed customers' purchase days after their first.

    Several purchases of one customer on one day are one purchase occasion, as in the summary.

    Parameters
    ----------
    transactions : DataFrame, str, Path or Ibis table
        The log, or the checked Parquet file / an Ibis table (aggregated on the engine).
    first_purchase : Series
        First purchase date indexed by customer id (the customers followed, e.g. a calibration
        summary's ``first_purchase``).
    backend : ibis backend, optional

    Returns
    -------
    Series
        Number of (customer, day) repeat occasions indexed by day (ascending, days with none left out).
    """
    first = pd.Series(pd.to_datetime(first_purchase.to_numpy()), index=first_purchase.index.astype(str))
    if is_log_frame(transactions):
        log = transactions[[customer_col, date_col]].copy()
        log[customer_col] = log[customer_col].astype(str)
        log["day"] = pd.to_datetime(log[date_col]).dt.normalize()
        log = log[log[customer_col].isin(first.index)].drop_duplicates([customer_col, "day"])
        log = log[log["day"] > log[customer_col].map(first)]
        return log["day"].value_counts().sort_index().rename("repeat_purchases")
    with _quiet_backend_deprecations():
        table, con = _table(transactions, backend, date_col)
        pairs = _distinct_pairs(table, customer_col, table[date_col].cast("timestamp").cast("date"), "day")
        days = pairs.select(cvkit_customer=pairs[customer_col].cast("string"), day=pairs["day"])
        followed = _first_purchase_table(first, con)
        joined = days.join(followed, "cvkit_customer")
        repeat = joined.filter(joined["day"] > joined["cvkit_first"])
        df = _execute(repeat.group_by("day").aggregate(n=repeat.count()), con)
    counts = pd.Series(df["n"].astype("int64").to_numpy(), index=_naive(df["day"]), name="repeat_purchases")
    return counts.sort_index()


def log_buyers(transactions: Any, backend: Any = None, *, customer_col: str = "customer_id",
               date_col: str = "date") -> dict[str, Any]:
    """Customers, those who bought on more than one day, and the first purchase date, in one query.

    Parameters
    ----------
    transactions : str, Path or Ibis table
        The checked Parquet file or an Ibis table (aggregated on the engine).
    backend : ibis backend, optional

    Returns
    -------
    dict
        ``customers`` and ``repeat_buyers`` (int), ``first_date`` (Timestamp).
    """
    with _quiet_backend_deprecations():
        table, con = _table(transactions, backend, date_col)
        stamp = table[date_col].cast("timestamp")
        # Distinct days counted on a window over each customer's rows (it spills), not a DISTINCT aggregate.
        marked = table.select(table[customer_col], stamp.name("stamp"),
                              new=_new_value(table, customer_col, stamp.cast("date")))
        per = marked.group_by(customer_col).aggregate(days=marked["new"].sum(), first=marked["stamp"].min())
        row = _execute(per.aggregate(customers=per.count(), repeat_buyers=(per["days"] > 1).sum(),
                                     first_date=per["first"].min()), con).iloc[0]
    repeat = row["repeat_buyers"]
    return {"customers": int(row["customers"]), "repeat_buyers": 0 if pd.isna(repeat) else int(repeat),
            "first_date": _naive([row["first_date"]])[0]}


def retention_buyers(transactions: Any, year_start: pd.Timestamp, backend: Any = None, *,
                     customer_col: str = "customer_id", date_col: str = "date",
                     amount_col: str = "amount") -> pd.DataFrame:
    """Per customer who bought in the two years before the retention year's end: who bought when, and spend.

    Parameters
    ----------
    transactions : str, Path or Ibis table
        The checked Parquet file or an Ibis table (aggregated on the engine).
    year_start : Timestamp
        Start of the last year (exclusive); the year before it is ``year_start - 1 year`` .. ``year_start``.
    backend : ibis backend, optional

    Returns
    -------
    DataFrame
        ``customer_id``, ``prev`` (bought in the year before last), ``spend_since`` (revenue after
        ``year_start``, all later dates) and ``first_after`` (the first purchase after ``year_start``,
        NaT if none: a buyer of the last year is one whose ``first_after`` is within it).
    """
    prev_start = year_start - pd.DateOffset(years=1)
    with _quiet_backend_deprecations():
        table, con = _table(transactions, backend, date_col)
        stamp = table[date_col].cast("timestamp")
        after = stamp > year_start.to_pydatetime()
        in_prev = (stamp > prev_start.to_pydatetime()) & (stamp <= year_start.to_pydatetime())
        per = table.filter(stamp > prev_start.to_pydatetime()).group_by(table[customer_col]).aggregate(
            prev=in_prev.cast("int64").max(),
            spend_since=ibis.ifelse(after, table[amount_col], 0).sum(),
            first_after=ibis.ifelse(after, stamp, ibis.null("timestamp")).min())
        df = _execute(per, con)
    df = df.rename(columns={customer_col: "customer_id"})
    df["first_after"] = _naive(df["first_after"])
    df["prev"] = df["prev"].fillna(0).astype(bool)
    return df.sort_values("customer_id", ignore_index=True)


def period_participation(transactions: Any, period: str, backend: Any = None, *,
                         customer_col: str = "customer_id", date_col: str = "date") -> pd.DataFrame:
    """Distinct (customer, period) purchases, each period given by its start date.

    Parameters
    ----------
    transactions : str, Path or Ibis table
        The checked Parquet file or an Ibis table (aggregated on the engine).
    period : {"Y", "Q", "M"}
        The purchase opportunity.
    backend : ibis backend, optional

    Returns
    -------
    DataFrame
        ``customer_id`` and ``date`` (the start of a period the customer bought in), one row per pair.
    """
    unit = _TRUNCATE.get(period.upper())
    if unit is None:
        raise ValueError(f"participation period {period!r} is not known. Fix: use Y, Q or M.")
    with _quiet_backend_deprecations():
        table, con = _table(transactions, backend, date_col)
        start = table[date_col].cast("timestamp").truncate(unit)
        pairs = _distinct_pairs(table, customer_col, start, "date")
        df = _execute(pairs.select(customer_id=pairs[customer_col], date=pairs["date"]), con)
    df["date"] = _naive(df["date"])
    return df.sort_values(["customer_id", "date"], ignore_index=True)


def customer_periods(transactions: Any, period: str, before: pd.Timestamp, backend: Any = None, *,
                     customer_col: str = "customer_id", date_col: str = "date") -> pd.DataFrame:
    """Per customer: first and last period bought in, and how many distinct periods, before a date.

    What the BG/BB participation summary needs, computed on the engine so that one row per customer
    comes back (not one per customer and period: millions of customers by month would be large).

    Parameters
    ----------
    transactions : str, Path or Ibis table
        The checked Parquet file or an Ibis table (aggregated on the engine).
    period : {"Y", "Q", "M"}
        The purchase opportunity.
    before : Timestamp
        Purchases from this moment on are left out (the start of the first incomplete period).
    backend : ibis backend, optional

    Returns
    -------
    DataFrame
        ``customer_id``, ``first`` and ``last`` (start dates of the first and last period with a
        purchase) and ``periods`` (distinct periods with a purchase, int), sorted by customer.
    """
    unit = _TRUNCATE.get(period.upper())
    if unit is None:
        raise ValueError(f"participation period {period!r} is not known. Fix: use Y, Q or M.")
    with _quiet_backend_deprecations():
        table, con = _table(transactions, backend, date_col)
        stamp = table[date_col].cast("timestamp")
        table = table.filter(stamp < pd.Timestamp(before).to_pydatetime())
        start = table[date_col].cast("timestamp").truncate(unit)
        # Distinct periods counted on a window over each customer's rows (it spills), then one row each.
        marked = table.select(table[customer_col], start.name("start"), new=_new_value(table, customer_col, start))
        per = marked.group_by(customer_col).aggregate(first=marked["start"].min(), last=marked["start"].max(),
                                                      periods=marked["new"].cast("int64").sum())
        df = _execute(per.select(customer_id=per[customer_col], first=per["first"], last=per["last"],
                                 periods=per["periods"]), con)
    df["first"], df["last"] = _naive(df["first"]), _naive(df["last"])
    df["periods"] = df["periods"].astype("int64")
    return df.sort_values("customer_id", ignore_index=True)


def last_date(transactions: Any, backend: Any = None, *, date_col: str = "date") -> pd.Timestamp:
    """The log's last purchase timestamp, from the DataFrame or on the engine."""
    return _date_bound(transactions, backend, date_col, last=True)


def first_date(transactions: Any, backend: Any = None, *, date_col: str = "date") -> pd.Timestamp:
    """The log's first purchase timestamp, from the DataFrame or on the engine."""
    return _date_bound(transactions, backend, date_col, last=False)


def _date_bound(transactions: Any, backend: Any, date_col: str, *, last: bool) -> pd.Timestamp:
    if is_log_frame(transactions):
        return transactions[date_col].max() if last else transactions[date_col].min()
    with _quiet_backend_deprecations():
        table, con = _table(transactions, backend, date_col)
        stamp = table[date_col].cast("timestamp")
        row = _execute(table.aggregate(bound=stamp.max() if last else stamp.min()), con).iloc[0]
    return _naive([row["bound"]])[0]
