"""The engagement overview: what was loaded, what was excluded, what the data covers.

Used by ``notebooks/00_engagement_overview.ipynb``, the first page of every
deliverable: before any model, the analyst and the client see which data the
analyses stand on and where it is thin.
"""

from __future__ import annotations

from collections.abc import Sequence

from pathlib import Path

import matplotlib.axes
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from cvkit.data.schemas import DATA_KINDS
from cvkit.engagement.notebook import data_path
from cvkit.plot import ACCENT, CLIENT_COLOR, brand_palette

__all__ = ["input_files", "excluded_rows", "linkage_table", "plot_transactions_by_month",
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
    rows = pd.read_csv(path)
    if rows.empty:
        return pd.DataFrame({"kind": pd.Series(dtype="str"), "reason": pd.Series(dtype="str"),
                             "count": pd.Series(dtype="int64")})
    return rows.groupby(["kind", "reason"], as_index=False).size().rename(columns={"size": "count"})


def linkage_table(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """How the data sets link: customers found in each data set and in the customer file.

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


def plot_transactions_by_month(transactions: pd.DataFrame, ax: matplotlib.axes.Axes | None = None,
                               currency: str = "EUR") -> matplotlib.axes.Axes:
    """Bars of revenue per calendar month (left axis) with active customers as a line (right axis).

    Each axis is titled with its measure and unit and coloured like its series; one legend, outside the data.
    """
    from cvkit.plot import currency_axis, thousands_axis

    ax = _ax(ax)
    month = transactions["date"].dt.to_period("M")
    by = transactions.groupby(month).agg(revenue=("amount", "sum"), customers=("customer_id", "nunique"))
    labels = list(by.index.astype(str))
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
