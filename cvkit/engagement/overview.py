"""The engagement overview: what was loaded, what was excluded, what the data covers.

Used by ``notebooks/00_engagement_overview.ipynb``, the first page of every
deliverable: before any model, the analyst and the client see which data the
analyses stand on and where it is thin.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib.axes
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from cvkit.data.schemas import DATA_KINDS
from cvkit.engagement.notebook import data_path
from cvkit.plot import ACCENT, CLIENT_COLOR, brand_palette

__all__ = ["input_files", "excluded_rows", "IntakeRecord", "write_intake_record", "read_intake_record",
           "analysis_tables", "linkage_table", "monthly_transactions", "plot_transactions_by_month",
           "plot_acquisition_by_month", "breakdown_column", "plot_survey_base", "plot_choice_positions"]

KINDS = DATA_KINDS


def input_files(**values: str) -> dict[str, Path]:
    """Resolve the notebook's data parameters (``kind=value``) to the files that exist.

    ``""`` means the bundled demo file, ``"none"`` that the engagement has no
    such data set (left out of the result).
    """
    unknown = set(values) - set(KINDS)
    if unknown:
        raise ValueError(f"unknown data set(s) {sorted(unknown)}; known: {', '.join(KINDS)}")
    out = {}
    for kind, value in values.items():
        path = data_path(kind, value)
        if path is not None:
            out[kind] = path
    return out


def excluded_rows(intake_dir: str | Path, fallback: pd.DataFrame) -> pd.DataFrame:
    """Rows removed at intake, by data set and reason.

    The runner's intake writes ``excluded.csv`` (one row per removed row) into
    ``intake_dir``; a notebook opened on its own has no such folder and shows
    ``fallback`` (its own intake's count table) instead.
    """
    path = Path(intake_dir) / "excluded.csv" if str(intake_dir) else None
    if path is None or not path.exists():
        return fallback
    from cvkit.engagement.flags import _excluded_counts

    # Counted by DuckDB over the file: a big log's exclusions can run to millions of rows.
    counts = _excluded_counts(path)
    if counts.empty:
        return pd.DataFrame({"kind": pd.Series(dtype="str"), "reason": pd.Series(dtype="str"),
                             "count": pd.Series(dtype="int64")})
    return counts.astype({"kind": "str", "reason": "str", "count": "int64"})


#: The run's intake record, written beside the checked data (``intake_dir``) by the runner.
INTAKE_RECORD = "intake.json"
_SUMMARY_COUNTS = ("rows", "excluded", "columns", "problems")


@dataclass
class IntakeRecord:
    """What the run's intake found, read back from ``intake.json``: the notebook need not check again.

    It answers what notebook 00 asks an :class:`cvkit.data.Intake`: :meth:`summary`, :meth:`report`,
    :meth:`excluded` and :attr:`ok`.
    """

    summary_frame: pd.DataFrame
    report_text: str
    excluded_frame: pd.DataFrame
    ok: bool = True

    def summary(self) -> pd.DataFrame:
        return self.summary_frame.copy()

    def report(self) -> str:
        return self.report_text

    def excluded(self) -> pd.DataFrame:
        return self.excluded_frame.copy()


def write_intake_record(result: Any, folder: str | Path, *, relative_to: str | Path | None = None) -> Path:
    """Write ``intake.json``: the intake's summary, report and exclusion counts (no data rows).

    Paths are written relative to ``relative_to`` (the engagement folder), as in ``excluded.csv``, so
    the build carries no absolute path.
    """
    from cvkit.data.intake import portable_path

    summary = result.summary()
    report = result.report()
    if relative_to is not None:
        for path in summary["file"]:
            report = report.replace(str(path), portable_path(path, relative_to))
        summary["file"] = [portable_path(p, relative_to) for p in summary["file"]]
    for column in ("date_from", "date_to"):
        summary[column] = summary[column].map(lambda v: None if pd.isna(v) else v.isoformat())
    records = summary.astype(object).where(summary.notna(), None).to_dict("records")
    target = Path(folder) / INTAKE_RECORD
    target.write_text(json.dumps({"ok": bool(result.ok), "summary": records, "report": report,
                                  "excluded": result.excluded().to_dict("records")}, indent=1))
    return target


def read_intake_record(intake_dir: str | Path, files: dict[str, Path] | None = None) -> IntakeRecord | None:
    """The run's intake record in ``intake_dir``, or None (a notebook opened on its own runs intake).

    With ``files`` (the notebook's data sets by kind), the summary keeps those data sets, and counts
    the columns of their checked Parquet: the columns the analyses read (intake adds some, e.g. the
    survey's ``wave``), as the page has always shown them.
    """
    path = Path(intake_dir) / INTAKE_RECORD if str(intake_dir) else None
    if path is None or not path.is_file():
        return None
    raw = json.loads(path.read_text())
    summary = pd.DataFrame(raw["summary"], columns=["kind", "file", "status", *_SUMMARY_COUNTS[:3],
                                                    "date_from", "date_to", "problems"])
    if files is not None:
        order = {kind: i for i, kind in enumerate(files)}  # the notebook's order, as its own intake lists them
        summary = summary[summary["kind"].isin(list(files))]
        summary = summary.sort_values("kind", key=lambda k: k.map(order), ignore_index=True)
        summary["columns"] = [_parquet_columns(files[kind], n) for kind, n in zip(summary["kind"], summary["columns"])]
    for column in _SUMMARY_COUNTS:
        summary[column] = summary[column].astype("Int64")
    for column in ("date_from", "date_to"):
        summary[column] = pd.to_datetime(summary[column])
    excluded = pd.DataFrame(raw["excluded"], columns=["kind", "reason", "count"]).astype(
        {"kind": "str", "reason": "str", "count": "int64"})
    return IntakeRecord(summary, raw["report"], excluded, bool(raw["ok"]))


def _parquet_columns(path: Path, default: Any) -> Any:
    """Columns of a checked Parquet file (its schema only), else ``default``."""
    import pyarrow.parquet as pq

    path = Path(path)
    if path.suffix.lower() != ".parquet":
        return default
    if path.is_dir():  # parts written on a Spark cluster: the first part's schema is the table's
        path = next(iter(sorted(path.glob("*.parquet"))), None)
    if path is None or not path.is_file():
        return default
    return len([name for name in pq.read_schema(path).names if name != "_row"])


def analysis_tables(result: Any, files: dict[str, Path], policy: Any = None) -> dict[str, Any]:
    """The data sets the overview charts and links: small ones in pandas, the log as its checked Parquet.

    Parameters
    ----------
    result : Intake or IntakeRecord
        This notebook's intake, or the run's record (then the small data sets are read from ``files``,
        the run's checked output).
    files : dict of str to Path
        The notebook's data sets, by kind.
    policy : IntakePolicy, optional
        The engagement's rules for bad rows (reading the small data sets of a run).

    Returns
    -------
    dict
        By kind: a DataFrame, except ``transactions``: a Parquet path (or the streamed table) that
        the overview aggregates with DuckDB, so the log is never held in memory.
    """
    from cvkit.data import load

    if isinstance(result, IntakeRecord):
        return {kind: path if kind == "transactions" else load(kind, path, policy=policy).df
                for kind, path in files.items()}
    return {kind: t if kind == "transactions" and hasattr(t, "sql") else t.df for kind, t in result.tables.items()}


def _log_ids_found(transactions: Any, known: set) -> tuple[int, int]:
    """Distinct customer IDs of the log, and how many of them are in ``known``, counted by DuckDB."""
    import pyarrow as pa

    from cvkit.data.stream import duckdb_connection, relation

    con = duckdb_connection(getattr(transactions, "workdir", None))  # bounded memory, spills beyond it
    try:
        ids = sorted(str(k) for k in known if pd.notna(k))
        con.register("cvkit_known", pa.table({"id": pa.array(ids, pa.string())}))
        # The log's distinct IDs as a grouped step (spills to disk), then joined: a DISTINCT aggregate
        # over the whole log would hold every ID in memory.
        n, found = con.sql(f"SELECT count(*), count(k.id) FROM (SELECT CAST(customer_id AS VARCHAR) AS id "
                           f"FROM {relation(transactions)} GROUP BY ALL) t LEFT JOIN cvkit_known k "
                           "ON t.id = k.id").fetchall()[0]
    finally:
        con.close()
    return int(n), int(found)


def linkage_table(tables: dict[str, Any]) -> pd.DataFrame:
    """How the data sets link: customers found in each data set and in the customer file.

    ``tables`` as :func:`analysis_tables` gives them: the transaction log may be a Parquet path or
    a streamed table, whose IDs DuckDB counts (the log is not read into memory).

    Returns
    -------
    DataFrame
        One row per data set that carries customer or respondent IDs, with the
        number of distinct IDs and how many of them the customer file (or, for
        choice data, the survey) knows.
    """
    rows = []
    customers = set(tables["customers"]["customer_id"]) if "customers" in tables else None
    respondents = set(tables["survey"]["respondent_id"]) if "survey" in tables else None
    for kind, df in tables.items():
        if not isinstance(df, pd.DataFrame):  # the log, as its checked Parquet
            if customers is not None:
                n, found = _log_ids_found(df, customers)
                rows.append({"data set": kind, "id": "customer_id", "distinct ids": n,
                             "found in": "customers", "found": found})
            continue
        if kind != "customers" and "customer_id" in df.columns and customers is not None:
            ids = set(df["customer_id"].dropna())
            rows.append({"data set": kind, "id": "customer_id", "distinct ids": len(ids),
                         "found in": "customers", "found": len(ids & customers)})
        if kind in ("choice", "needs") and "respondent_id" in df.columns and respondents is not None:
            ids = set(df["respondent_id"].dropna())
            rows.append({"data set": kind, "id": "respondent_id", "distinct ids": len(ids),
                         "found in": "survey", "found": len(ids & respondents)})
    out = pd.DataFrame(rows, columns=["data set", "id", "distinct ids", "found in", "found"])
    out["share found"] = (out["found"] / out["distinct ids"]).round(3)
    return out


def _ax(ax: matplotlib.axes.Axes | None) -> matplotlib.axes.Axes:
    return ax if ax is not None else plt.subplots()[1]


def _month_ticks(ax: matplotlib.axes.Axes, labels: Sequence[str]) -> None:
    """At most ~12 month labels at 9 pt, so they never collide however long the log."""
    step = max(1, int(np.ceil(len(labels) / 12)))
    ax.set_xticks(range(0, len(labels), step))
    ax.set_xticklabels([labels[i] for i in range(0, len(labels), step)], rotation=45, ha="right", fontsize=9)


def monthly_transactions(transactions: Any) -> pd.DataFrame:
    """Revenue and active customers per calendar month with purchases (``YYYY-MM`` index).

    ``transactions`` is the log as a DataFrame, or its checked Parquet path / streamed table: then
    DuckDB aggregates the file (:func:`cvkit.clv.aggregates.monthly_activity`) and only the months
    come back.
    """
    if isinstance(transactions, pd.DataFrame):
        month = transactions["date"].dt.to_period("M")
        by = transactions.groupby(month).agg(revenue=("amount", "sum"), customers=("customer_id", "nunique"))
        by.index = by.index.astype(str)
        return by
    from cvkit.clv.aggregates import monthly_activity

    monthly = monthly_activity(getattr(transactions, "rows_path", transactions))
    monthly = monthly[monthly["customer_id"] > 0]  # months with purchases only, as the groupby above
    return pd.DataFrame({"revenue": monthly["amount"].to_numpy(), "customers": monthly["customer_id"].to_numpy()},
                        index=pd.Index(monthly.index.strftime("%Y-%m"), name="date"))


def plot_transactions_by_month(transactions: Any, ax: matplotlib.axes.Axes | None = None,
                               currency: str = "EUR") -> matplotlib.axes.Axes:
    """Bars of revenue per calendar month (left axis) with active customers as a line (right axis).

    Each axis is titled with its measure and unit and coloured like its series; one legend, outside the data.
    ``transactions`` as :func:`monthly_transactions` takes it (a DataFrame or the checked Parquet).
    """
    from cvkit.plot import currency_axis, thousands_axis

    ax = _ax(ax)
    by = monthly_transactions(transactions)
    labels = list(by.index)
    x = np.arange(len(labels))
    bars = ax.bar(x, by["revenue"], color=ACCENT, alpha=0.8, label=f"Revenue ({currency}, left axis)")
    ax.set_ylabel(f"Revenue per month ({currency})", color=ACCENT)
    currency_axis(ax, currency)
    _month_ticks(ax, labels)
    right = ax.twinx()
    line, = right.plot(x, by["customers"], color=CLIENT_COLOR, marker="o", markersize=3,
                       label="Active customers (right axis)")
    right.set_ylabel("Active customers per month (count)", color=CLIENT_COLOR)
    thousands_axis(right)
    right.set_ylim(0, None)
    right.grid(False)
    ax.legend(handles=[bars, line], loc="upper left", bbox_to_anchor=(0, -0.22), ncol=2, frameon=False)
    ax.set_title("Transactions per month")
    return ax


def breakdown_column(customers: pd.DataFrame, preferred: tuple[str, ...] = ("channel", "region", "age_band"),
                     max_blank: float = 0.5) -> str | None:
    """The first optional customers column in ``preferred`` that is mostly filled, or None.

    Intake fills an optional column the client's file lacks with NA, so "present" means more
    than ``1 - max_blank`` of its cells hold a value.
    """
    for column in preferred:
        if column in customers.columns and customers[column].notna().mean() > 1 - max_blank:
            return column
    return None


def plot_acquisition_by_month(customers: pd.DataFrame, ax: matplotlib.axes.Axes | None = None,
                              by: str | None = "channel") -> matplotlib.axes.Axes:
    """Stacked bars of customers acquired per month, split by ``by`` (e.g. channel), legend outside the bars.

    A ``by`` column that is absent or entirely blank gives one bar per month; blank cells of a
    partly filled column are counted as "not recorded" rather than dropped. Every category has a
    colour clearly visible on white.
    """
    from cvkit.plot import CATEGORY_COLORS, thousands_axis

    ax = _ax(ax)
    month = customers["acquisition_date"].dt.to_period("M").astype(str)
    split = bool(by and by in customers.columns and customers[by].notna().any())
    if split:
        table = pd.crosstab(month, customers[by].astype("string").fillna("not recorded"))
    else:
        table = month.value_counts().sort_index().to_frame("customers")
    colors = [CATEGORY_COLORS[i % len(CATEGORY_COLORS)] for i in range(table.shape[1])] if split else [ACCENT]
    bottom = np.zeros(len(table))
    for color, col in zip(colors, table.columns):
        ax.bar(np.arange(len(table)), table[col].to_numpy(), bottom=bottom, width=0.85, color=color,
               label=str(col))
        bottom += table[col].to_numpy()
    ax.set_xlabel("")
    ax.set_ylabel("Customers acquired per month (count)")
    thousands_axis(ax)
    _month_ticks(ax, list(table.index.astype(str)))
    if split:
        ax.legend(title=str(by).replace("_", " "), loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
        ax.set_title(f"Customers acquired per month by {str(by).replace('_', ' ')}")
    else:
        ax.set_title("Customers acquired per month")
    return ax


def plot_survey_base(survey: pd.DataFrame, client_brand: str | None = None,
                     ax: matplotlib.axes.Axes | None = None, min_n: int = 100) -> matplotlib.axes.Axes:
    """Respondents per brand rated, with the minimum base size as a dashed line."""
    ax = _ax(ax)
    counts = survey.groupby("brand")["respondent_id"].nunique().sort_values(ascending=False)
    client = client_brand if client_brand in counts.index else counts.index[0]
    palette = brand_palette(counts.index, client)
    ax.bar(counts.index.astype(str), counts.values, color=[palette[b] for b in counts.index])
    ax.axhline(min_n, color="#333", linestyle="--", linewidth=1)
    ax.annotate(f"minimum base n = {min_n}", (0, min_n), xytext=(4, 4), textcoords="offset points", fontsize=9)
    ax.set_ylabel("Respondents")
    ax.set_title("Survey base per brand rated")
    return ax


def plot_choice_positions(choice: pd.DataFrame, ax: matplotlib.axes.Axes | None = None) -> matplotlib.axes.Axes:
    """Share of choices per alternative position; a strong position effect is a red flag."""
    ax = _ax(ax)
    chosen = choice.loc[choice["chosen"] == 1]
    share = chosen["alternative"].value_counts(normalize=True).sort_index()
    labels = [f"{a}{' (none)' if 'none' in choice.columns and choice.loc[choice['alternative'] == a, 'none'].max() == 1 else ''}"
              for a in share.index]
    ax.bar(labels, share.values * 100, color=ACCENT)
    ax.set_ylabel("Share of choices (%)")
    ax.set_xlabel("Alternative position in the task")
    ax.set_title("Which position respondents chose")
    return ax
