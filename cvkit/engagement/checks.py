"""Analysis settings checked against the engagement's data: what `run` will need, known at `validate`.

:func:`load_config` checks the config on its own (keys, types, files of ``data:``). What can only be
checked with the data in hand is here: the CLV calibration window lies inside the log, the segment
column exists and is filled, constant or collinear drivers, columns a client may send that cvkit cannot honour (``weights``) are refused. ``cvkit validate``
and ``cvkit run`` call the same :func:`check_against_data`, so a clean validate means run does not
stop on a config or data problem. (Files named by analysis options are checked with the config:
:func:`cvkit.engagement.config.check_analysis_files`.) Every message names the key as written in ``engagement.yaml``.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from cvkit.engagement.config import ANALYSES, Engagement
from cvkit.engagement.parameters import notebook_parameters

__all__ = ["MOSTLY_BLANK", "analysis_settings", "check_against_data"]

#: A column with more than this share of blank cells cannot break results down.
MOSTLY_BLANK = 0.5


def analysis_settings(cfg: Engagement, key: str) -> dict[str, Any]:
    """The notebook's defaults overlaid with the engagement's settings for analysis ``key``."""
    defaults = {name: p.default for name, p in notebook_parameters(ANALYSES[key].path).items()}
    return {**defaults, **cfg.analysis_parameters(key)}


def check_against_data(cfg: Engagement, tables: dict[str, Any]) -> list[str]:
    """Problems between the analysis settings and the loaded data (empty when run can proceed).

    Parameters
    ----------
    cfg : Engagement
        The loaded config.
    tables : dict
        The intake's loaded tables by data set (:class:`cvkit.data.LoadedTable`).
    """
    enabled = {a.key for a in cfg.enabled_analyses()}
    problems = []
    tx = tables.get("transactions")
    if tx is not None:
        problems += _weights_column(tx)
    if "value_drivers" in enabled and tables.get("survey") is not None:
        problems += _drivers(cfg, tables["survey"].df)
    if "clv" in enabled and tx is not None:
        problems += _clv_window(cfg, tx)
        problems += _segment_column(cfg, tables.get("customers"))
    if "clv" in enabled and tables.get("subscriptions") is not None:
        problems += _subscriptions(cfg, tables["subscriptions"])
    return problems


def _subscriptions(cfg: Engagement, subs: Any) -> list[str]:
    """The contractual section's fits run here as they will at run (sBG on survivor counts: milliseconds)."""
    from cvkit.clv.contractual import analyse_subscriptions
    from cvkit.exceptions import DataError, FitError

    settings = analysis_settings(cfg, "clv")
    df = getattr(subs, "df", subs)
    if df is None:  # a streamed file: checked at run
        return []
    try:
        analyse_subscriptions(df, cfg.analysis_date, cohort=str(settings.get("subscription_cohort", "auto")),
                              annual_discount_rate=float(settings.get("annual_discount_rate", 0.10)),
                              margin=float(settings.get("margin", 0.30)))
    except (DataError, FitError, ValueError) as exc:
        return [f"data.subscriptions: the subscriber analysis (analyses.clv) cannot run: {exc}"]
    return []


def _weights_column(tx: Any) -> list[str]:
    ignored = [c for c in getattr(tx, "ignored_columns", []) if str(c).strip().lower() in ("weights", "weight")]
    if not ignored:
        return []
    return [f"data.transactions: the file has a '{ignored[0]}' column. cvkit's CLV models count every row of the "
            "purchase log as one purchase and every customer once; a weights column (lifetimes' format for "
            "aggregated RFM summaries: how many customers share a row) cannot be honoured and would be silently "
            "ignored, giving a wrong fit. Fix: expand the file to one row per purchase (repeat a row as many times "
            "as its weight), or drop the column if it means something else."]


def _clv_window(cfg: Engagement, tx: Any) -> list[str]:
    from cvkit.engagement.flags import customer_dates

    per_customer = customer_dates(tx)  # out of core for a streamed log: one row per customer comes back
    if per_customer.empty:
        return []
    settings = analysis_settings(cfg, "clv")
    first = per_customer["first"].min().normalize()
    last = _last_day(tx)
    end = pd.Timestamp(cfg.analysis_date)
    span = f"the transaction log runs from {first.date()} to {last.date()}"
    if end <= first:
        return [f"analysis_date: {end.date()} is not after the start of the transaction log ({span}). "
                "Fix: set analysis_date to the last day of the log."]
    if settings.get("calibration_end"):
        key, cal_end = "analyses.clv.calibration_end", pd.Timestamp(str(settings["calibration_end"]))
        value = f"{cal_end.date()}"
    else:
        months = int(settings.get("holdout_months", 6))
        key = "analyses.clv.holdout_months"
        cal_end = end + pd.Timedelta(days=1) - pd.DateOffset(months=months) - pd.Timedelta(days=1)
        value = f"{months} (calibration would end on {cal_end.date()})"
    if cal_end <= first:
        return [f"{key}: {value} leaves no calibration period: {span}. Fix: set analyses.clv.calibration_end to a "
                f"date between {first.date()} and {end.date()} (about two thirds into the log), or shorten "
                "analyses.clv.holdout_months."]
    if cal_end >= end:
        return [f"{key}: {value} leaves no holdout period before analysis_date {end.date()}. Fix: set "
                f"analyses.clv.calibration_end to a date before {end.date()} ({span})."]
    if (per_customer["days"] > 1).sum() == 0:
        return [f"analyses.clv: no customer buys on two different days in the whole log ({span}), so the purchase "
                "models have no repeat purchases to learn from. Fix: give a longer log, or set "
                "analyses.clv.enabled: false."]
    if cal_end >= last:
        return [f"{key}: {value} puts the whole holdout after the last transaction ({span}, analysis_date "
                f"{end.date()}), so there is nothing to check the forecasts against. Fix: set analysis_date to "
                f"{last.date()} (the end of the log), or analyses.clv.calibration_end before it."]
    if _repeat_buyers_before(tx, cal_end) == 0:
        return [f"{key}: {value}: no customer buys twice before the calibration end, so the purchase models "
                f"cannot be fitted ({span}). Fix: move analyses.clv.calibration_end later."]
    return []


def _last_day(tx: Any) -> pd.Timestamp:
    from cvkit.engagement.flags import _last_date

    return _last_date(tx).normalize()


def _repeat_buyers_before(tx: Any, cal_end: pd.Timestamp) -> int:
    """Customers with purchases on two or more days up to ``cal_end`` (inclusive)."""
    if hasattr(tx, "sql"):
        from cvkit.data.stream import duckdb_connection

        cut = cal_end + pd.Timedelta(days=1)
        from cvkit.engagement.flags import new_days

        # Distinct days marked by a window (it spills), on the bounded connection.
        rows = new_days(tx.sql(), f"date < TIMESTAMP '{cut}'")
        query = (f"SELECT count(*) FROM (SELECT customer_id FROM ({rows}) "
                 "GROUP BY customer_id HAVING count_if(new_day) > 1)")
        con = duckdb_connection(getattr(tx, "workdir", None))
        try:
            return int(con.execute(query).fetchall()[0][0])
        finally:
            con.close()
    df = tx.df if hasattr(tx, "df") else tx
    part = df.loc[df["date"] < cal_end + pd.Timedelta(days=1)]
    return int((part.groupby("customer_id")["date"].apply(lambda d: d.dt.normalize().nunique()) > 1).sum())


def _segment_column(cfg: Engagement, customers: Any) -> list[str]:
    column = analysis_settings(cfg, "clv").get("segment_column") or ""
    if column and customers is None and "segment_column" in cfg.analysis_parameters("clv") \
            and analysis_settings(cfg, "clv").get("setting", "non_contractual") != "contractual":
        return [f"analyses.clv.segment_column: '{column}' is a column of the customers file, and the engagement has "
                "none, so CLV cannot be broken down by it. Fix: give data.customers (one row per customer with "
                f"'{column}'), or set analyses.clv.segment_column: \"\" (no breakdown)."]
    if not column or customers is None:
        return []
    df = customers.df
    options = [c for c in ("channel", "region", "age_band") if c in df.columns and df[c].notna().mean() > 1 - MOSTLY_BLANK]
    fix = (f"set analyses.clv.segment_column to {' or '.join(options)}, or to \"\" for no breakdown" if options
           else 'set analyses.clv.segment_column: "" (no breakdown)')
    if column not in df.columns:
        return [f"analyses.clv.segment_column: '{column}' is not a column of the customers file. Fix: {fix}."]
    blank = float(df[column].isna().mean()) if len(df) else 1.0
    if blank > MOSTLY_BLANK:
        given = "segment_column" in cfg.analysis_parameters("clv")
        origin = "" if given else " (the default)"
        found = getattr(customers, "columns_found", df.columns)
        what = "not a column of the customers file" if column not in found else f"blank for {blank:.0%} of customers"
        return [f"analyses.clv.segment_column: '{column}'{origin} is {what}, so CLV cannot be broken down by it. "
                f"Fix: {fix}."]
    return []


def _drivers(cfg: Engagement, survey: pd.DataFrame) -> list[str]:
    """Constant or perfectly collinear drivers stop the key driver analysis: say so at validate."""
    from cvkit import drivers as drv
    from cvkit.drivers.importance import check_correlation
    from cvkit.exceptions import DataError, FitError

    settings = analysis_settings(cfg, "value_drivers")
    names = list(settings.get("drivers") or [e for e in drv.element_labels() if e in survey.columns])
    names = [n for n in names if n in survey.columns]
    if len(names) < 2:
        return []
    corr = survey[names].astype(float).corr().to_numpy()
    try:
        check_correlation(corr, names)
    except (DataError, FitError) as exc:
        where = "analyses.value_drivers.drivers" if settings.get("drivers") else "the driver columns"
        problems = getattr(exc, "problems", None)
        if problems:
            return [f"data.survey ({where}): {p.message} Fix: {p.fix}." for p in problems]
        return [f"data.survey ({where}): {exc}"]
    return []


def unmatched_labels(labels: dict[str, str], tables: dict[str, Any], *, max_values: int = 1000) -> list[str]:
    """Notes for ``labels:`` keys that match no column, attribute or value of the checked data.

    A label whose code appears nowhere is most often a typo (``pff`` for ``pf``): its words would
    never show. Values are looked up in the columns with at most ``max_values`` distinct values
    (codes, not amounts); a streamed transaction log contributes its column names only.

    Returns
    -------
    list of str
        One note per unmatched key, with a did-you-mean when a code is close.
    """
    import difflib

    codes: set[str] = set()
    for table in tables.values():
        codes.update(str(c) for c in getattr(table, "columns_found", []) or [])
        df = getattr(table, "df", None) if not type(table).__name__.startswith("Streamed") else None
        if df is None:
            continue
        codes.update(str(c) for c in df.columns)
        for column in df.columns:
            values = df[column].dropna().unique()
            if len(values) <= max_values:
                codes.update(_code_text(v) for v in values)
    notes = []
    for key in labels:
        if str(key) not in codes:
            close = difflib.get_close_matches(str(key), sorted(codes), n=1)
            hint = f" Did you mean '{close[0]}'?" if close else ""
            notes.append(f"labels.{key}: matches no column, attribute or value of the data, so its words will not "
                         f"show.{hint} Fix: use the code exactly as the data writes it, or remove the label.")
    return notes


def _code_text(value: Any) -> str:
    """A value as its code: ``1.0`` -> ``1`` (a level written 1 in the data and in ``labels:``)."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)

