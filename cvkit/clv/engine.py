"""The CLV notebook's transaction-sized steps on the engagement's engine (DuckDB or Spark).

The transactions reach the CLV analysis as a checked Parquet file; the per-customer summary and the
log's headline counts are computed where the engine runs (embedded DuckDB out of core, or a Spark
cluster) and only per-customer rows and aggregates come back to pandas. The model fits then run
here, on the driver, from the summary.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from cvkit.clv.summary import _as_table, _execute, _quiet_backend_deprecations
from cvkit.data.engine import parse_engine

__all__ = ["engine_backend", "log_glance"]


def engine_backend(engine: Any = None) -> Any:
    """The Ibis backend :func:`cvkit.clv.summarize` runs on for an engine setting.

    Parameters
    ----------
    engine : str or dict, optional
        ``"duckdb"``/``{}``/None (embedded DuckDB), ``"spark"`` or
        ``{"spark": {"master": URL, "conf": {...}}}`` (see :func:`cvkit.data.engine.parse_engine`).

    Returns
    -------
    ibis backend or None
        None for DuckDB (``summarize``'s own out-of-core connection); an Ibis PySpark backend on a
        session at ``master`` otherwise.

    Raises
    ------
    ValueError
        If the setting is not an engine.
    ImportError
        If Spark is asked for and pyspark is not installed.
    """
    spec = parse_engine(engine or None)
    if "duckdb" in spec:
        return None
    from cvkit.clv.spark import spark_backend

    spark = spec["spark"]
    return spark_backend(master=spark["master"], conf=spark["conf"])


def log_glance(transactions: str | Path, backend: Any = None, *, customer_col: str = "customer_id",
               date_col: str = "date", amount_col: str = "amount") -> dict[str, Any]:
    """The log's scale in one aggregate on the engine: rows, customers, date range, revenue.

    Parameters
    ----------
    transactions : str or Path
        Checked transactions (Parquet), e.g. from :func:`cvkit.data.stream.checked_parquet`.
    backend : ibis backend, optional
        From :func:`engine_backend`; None: embedded DuckDB.

    Returns
    -------
    dict
        ``transactions`` and ``customers`` (counts), ``first_date`` and ``last_date``
        (Timestamps), ``revenue`` and ``mean_purchase`` (currency).
    """
    with _quiet_backend_deprecations():
        table, con, _ = _as_table(str(transactions), backend, date_col)
        day = table[date_col].cast("timestamp")
        # Customers as a grouped count (spills to disk), not a DISTINCT aggregate (held in memory).
        ids = table.select(customer_col).distinct()
        customers = _execute(ids.aggregate(n=ids.count()), con)
        row = _execute(table.aggregate(
            transactions=table.count(),
            first_date=day.min(),
            last_date=day.max(),
            revenue=table[amount_col].sum(),
            mean_purchase=table[amount_col].mean(),
        ), con).iloc[0]
    out = {k: row[k] for k in ("transactions", "revenue", "mean_purchase")}
    out["customers"] = int(customers["n"].iloc[0])
    out["transactions"], out["customers"] = int(out["transactions"]), int(out["customers"])
    for k in ("first_date", "last_date"):  # Spark returns UTC-aware timestamps, DuckDB naive ones
        ts = pd.Timestamp(row[k])
        out[k] = ts.tz_convert("UTC").tz_localize(None) if ts.tzinfo is not None else ts
    return out
