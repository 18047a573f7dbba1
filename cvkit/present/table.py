"""Tables a client reads: a house pandas Styler with the glossary's labels and Babel's formats.

Why a pandas Styler and not great_tables: the Styler ships with pandas (no new dependency, no
extra CSS fetched: great_tables' default stylesheet imports a web font, and a deliverable loads
nothing from a network), it renders the same HTML in JupyterLab, nbconvert pages and PDFs, and
cvkit only needs what it does well (formatting functions per column, captions, classes, a hidden
index). Number formats come from :class:`cvkit.present.formats.Formats` (Babel/CLDR), labels from
:mod:`cvkit.present.glossary`.
"""

from __future__ import annotations

import hashlib
import html
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from cvkit.present import glossary
from cvkit.present.text import client_text
from cvkit.present.formats import DASH, Formats, decimals_for, default_locale

__all__ = ["configure", "current", "table", "show", "Table", "prepare", "column_kinds", "NA_NOTE", "FULL_TABLE_ATTR"]

# DataFrame.attrs key set by cvkit.engagement.outputs.Outputs.table on a large table: where its full
# files are in the deliverable (``tables/<analysis>/<name>``, then ``.csv`` / ``.parquet``).
FULL_TABLE_ATTR = "cvkit_full_table"

NA_NOTE = f"{DASH} no value: not computed for this row, or its base is below the minimum."
_INTERVAL_COLUMNS = {"lower", "upper", "low", "high", "se", "p10", "p90", "sd"}
# Inline so a table reads the same in JupyterLab as on a page (the page's stylesheet repeats it).
_STYLE = ("<style>table.cvkit-table{border-collapse:collapse;font-size:13px;margin:8px 0;width:auto;"
          "max-width:100%;table-layout:auto}"
          "table.cvkit-table th{text-align:left;vertical-align:bottom;border-bottom:1px solid #5B6770;"
          "padding:4px 8px;font-weight:600}table.cvkit-table th.num{text-align:right}"
          "table.cvkit-table td{padding:3px 8px;border-bottom:1px solid #e3e7ea;vertical-align:top}"
          "table.cvkit-table td.num{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}"
          "table.cvkit-table td.txt{text-align:left;white-space:normal;overflow-wrap:break-word;min-width:5em;"
          "max-width:34em}.cvkit-table-note{font-size:12px;color:#5B6770;margin:2px 0 10px 0}</style>")
_STATE: dict[str, Formats] = {"formats": Formats()}


def configure(locale: str | None = None, currency: str = "EUR", labels: Mapping[str, str] | None = None) -> Formats:
    """Set the locale, currency and labels every later :func:`show` uses (call once per notebook).

    ``locale`` None or empty picks English in the currency's home region (EUR: en_IE). ``labels``
    are the engagement's words for its codes (``labels:`` in engagement.yaml, e.g. ``{"pf": "Fixed
    price"}``): column headings, table cells and the charts that name attributes use them.
    """
    _STATE["formats"] = Formats(locale or default_locale(currency), currency)
    glossary.set_engagement_labels(dict(labels or {}))
    return _STATE["formats"]


def current() -> Formats:
    """The formats :func:`configure` set (en_IE and EUR until then)."""
    return _STATE["formats"]


def prepare(df: pd.DataFrame | pd.Series) -> pd.DataFrame:
    """The frame as shown: a named index becomes a column, a default index is dropped, columns flat."""
    if isinstance(df, pd.Series):
        df = df.to_frame(df.name if df.name is not None else "value")
    frame = df.copy()
    named = any(n is not None for n in frame.index.names)
    if named or not isinstance(frame.index, pd.RangeIndex):
        # Row labels (text, categories, dates) are data the reader needs; a bare integer index is not.
        # pandas 3 gives text its own dtype, so "not an integer" rather than "object" decides.
        labelled = named or not pd.api.types.is_integer_dtype(frame.index.dtype)
        if labelled and not named:
            frame.index = frame.index.rename("item")
        frame = frame.reset_index() if labelled else frame.reset_index(drop=True)
    else:
        frame = frame.reset_index(drop=True)
    if isinstance(frame.columns, pd.MultiIndex):
        frame.columns = [" ".join(str(p) for p in col if str(p) != "") for col in frame.columns]
    frame.columns = [str(c) for c in frame.columns]
    return frame


def _data_kind(series: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(series):
        return "bool"
    if pd.api.types.is_datetime64_any_dtype(series):
        return "date"
    if pd.api.types.is_integer_dtype(series):
        return "count"
    if pd.api.types.is_numeric_dtype(series):
        values = series.dropna()
        if len(values) and np.all(np.mod(values, 1) == 0) and values.abs().max() >= 1:
            return "count"
        return "number"
    return "text"


def column_kinds(df: pd.DataFrame, overrides: Mapping[str, str] | None = None) -> dict[str, str]:
    """Kind of every column: the caller's override, else the glossary, else the data.

    Interval columns (``lower``, ``upper``, ``se`` ...) take the kind of the estimate they follow,
    so a CLV's interval is money and an importance's interval is a percentage.
    """
    overrides = dict(overrides or {})
    kinds: dict[str, str] = {}
    previous = None
    for col in df.columns:
        series = df[col]
        numeric = pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)
        if col in overrides:
            found = overrides[col]
        elif col in _INTERVAL_COLUMNS and previous is not None and numeric:
            found = previous
        else:
            found = glossary.kind(col) or _data_kind(series)
        if found in ("money", "share", "pct", "points", "number", "count") and not numeric:
            found = "bool" if pd.api.types.is_bool_dtype(series) else "text"
        if found == "count" and numeric and not np.all(np.mod(series.dropna(), 1) == 0):
            found = "number"
        kinds[col] = found
        if col not in _INTERVAL_COLUMNS and found not in ("text", "id", "bool", "date"):
            previous = found
    return kinds


class Table:
    """A formatted table: ``_repr_html_`` for notebooks and pages, ``to_frame()`` for text checks."""

    def __init__(self, df: pd.DataFrame | pd.Series, *, caption: str | None = None,
                 formats: Mapping[str, str] | None = None, labels: Mapping[str, str] | None = None,
                 decimals: Mapping[str, int] | None = None, na_note: str | None = None,
                 note: str | None = None, humanise_values: bool = True, fmt: Formats | None = None,
                 max_rows: int | None = 200, drop_empty: bool = True):
        self.frame = prepare(df)
        if drop_empty:  # a column with no value at all says nothing (e.g. no brand was flagged)
            self.frame = self.frame.loc[:, self.frame.notna().any() | (len(self.frame) == 0)]
        self.cut = None  # first row of the bottom rows when only the first and last rows are shown
        if max_rows is not None and len(self.frame) > max_rows:
            top, bottom = max_rows - max_rows // 2, max_rows // 2
            shown = f"First {top:,} and last {bottom:,} of {len(self.frame):,} rows." if bottom else \
                f"First {top:,} of {len(self.frame):,} rows."
            full = df.attrs.get(FULL_TABLE_ATTR)
            if full:
                shown += f" The full table is {full}.csv (also {full}.parquet) in the deliverable's folder."
            note = ((note + " ") if note else "") + shown
            self.frame = pd.concat([self.frame.head(top), self.frame.tail(bottom)], ignore_index=True)
            self.cut = top if bottom else None
        self.caption, self.note, self.na_note = caption, note, na_note
        self.fmt = fmt or current()
        self.kinds = column_kinds(self.frame, formats)
        self.decimals = {c: (decimals or {}).get(c, decimals_for(self.frame[c], kind=k))
                         for c, k in self.kinds.items() if k in ("number", "money", "share", "pct", "points")}
        self.labels = {c: (labels or {}).get(c, glossary.label(c)) for c in self.frame.columns}
        self.humanise_values = humanise_values

    def cell(self, column: str, value: Any) -> str:
        kind = self.kinds[column]
        if kind == "text" and self.humanise_values and isinstance(value, str):
            value = client_text(glossary.value_label(value))
        if kind == "date" and isinstance(value, pd.Timestamp):
            return value.strftime("%Y-%m-%d") if not pd.isna(value) else DASH
        return self.fmt.value(value, kind, self.decimals.get(column))

    def to_frame(self) -> pd.DataFrame:
        """The table as text cells with client labels (what the page shows)."""
        shown = pd.DataFrame({self.labels[c]: [self.cell(c, v) for v in self.frame[c]] for c in self.frame.columns})
        return shown

    def has_missing(self) -> bool:
        return bool(self.frame.isna().to_numpy().any())

    def styler(self) -> Any:
        """The pandas Styler behind the HTML (index hidden, numbers right-aligned, text wrapped)."""
        text = pd.DataFrame({c: [self.cell(c, v) for v in self.frame[c]] for c in self.frame.columns})
        text.columns = [self.labels[c] for c in self.frame.columns]
        styler = text.style.hide(axis="index")
        # Deterministic ids: stored notebooks and pages do not change when nothing changed.
        styler.set_uuid(hashlib.sha1(text.to_csv().encode()).hexdigest()[:8])
        wide = self.estimated_width(text) > 80  # characters: more than an A4 portrait column holds at 8 pt
        styler.set_table_attributes('class="cvkit-table cvkit-wide"' if wide else 'class="cvkit-table"')
        classes = ["num" if k not in ("text", "id", "bool", "date") else "txt" for k in self.kinds.values()]
        styler.set_td_classes(pd.DataFrame([classes] * len(text), index=text.index, columns=text.columns))
        # Headers aligned with their column (the page's notebook stylesheet right-aligns every header).
        styler.set_table_styles([{"selector": f"th.col{i}", "props": [("text-align", "right" if c == "num" else "left")]}
                                 for i, c in enumerate(classes)], overwrite=False)
        if self.cut:  # a dashed rule where the rows not shown would be
            styler.set_table_styles([{"selector": f"tbody tr:nth-child({self.cut + 1}) td",
                                      "props": [("border-top", "2px dashed #5B6770")]}], overwrite=False)
        styler.format(escape="html")
        styler.format_index(escape="html", axis=1)  # column labels can come from data (brands, segments)
        if self.caption:
            styler.set_caption(html.escape(self.caption))
        return styler

    @staticmethod
    def estimated_width(text: pd.DataFrame) -> int:
        """Rough printed width in characters: per column the longer of its longest header word and its
        longest cell (text cells wrap at about 22 characters), plus cell padding."""
        total = 0
        for col in text.columns:
            head = max((len(w) for w in str(col).split()), default=0)
            cells = text[col].astype(str).str.len().max() if len(text) else 0
            total += max(head, min(int(cells or 0), 22)) + 2
        return total

    def to_html(self) -> str:
        body = self.styler().to_html()
        notes = []
        if self.has_missing():
            notes.append(self.na_note or NA_NOTE)
        if self.note:
            notes.append(self.note)
        foot = "".join(f'<p class="cvkit-table-note">{html.escape(n)}</p>' for n in notes)
        return f'<div class="cvkit-table-wrap">{_STYLE}{body}{foot}</div>'

    def _repr_html_(self) -> str:
        return self.to_html()

    def __repr__(self) -> str:  # text/plain fallback: the labelled table, never the raw frame
        return self.to_frame().to_string(index=False)


def table(df: pd.DataFrame | pd.Series, **options: Any) -> Table:
    """A :class:`Table` of ``df`` with the configured locale and currency (see :class:`Table`)."""
    return Table(df, **options)


def show(df: pd.DataFrame | pd.Series, **options: Any) -> None:
    """Display ``df`` as a client table in the notebook (formatted, labelled, no index).

    Returns None, so ``show(df)`` as a cell's last line displays the table once.

    Parameters
    ----------
    df : DataFrame or Series
        A named index is shown as a column; a default 0..n-1 index is not shown.
    caption : str, optional
        A line above the table.
    formats : mapping, optional
        Column -> kind (``money``, ``share``, ``pct``, ``count``, ``number``, ``points``, ``text``)
        where the glossary's kind is not right for this table.
    labels : mapping, optional
        Column -> label overrides.
    decimals : mapping, optional
        Column -> decimals overrides.
    na_note, note : str, optional
        The footnote for missing values (a dash) and any other note under the table.
    """
    from IPython.display import display

    shown = Table(df, **options)
    display({"text/html": shown.to_html(), "text/plain": repr(shown)}, raw=True)


def show_text(lines: str | Sequence[str]) -> None:
    """Display sentences as paragraphs (not console text): the notebook's way to state a result."""
    from IPython.display import display

    items = [str(s) for s in ([lines] if isinstance(lines, str) else lines) if str(s).strip()]
    display({"text/html": "".join(f'<p class="cvkit-text">{html.escape(s)}</p>' for s in items),
             "text/plain": "\n".join(items)}, raw=True)


NOT_APPLICABLE = "cvkit_not_applicable"
"""Output metadata key of :func:`not_applicable`: the report drops the section that printed it."""


def not_applicable(reason: str) -> None:
    """Say why this section does not apply to the engagement (no subscriptions, no customers file...).

    The analyst sees the sentence in JupyterLab and in the analyst version; the client version of the
    page leaves the whole section out (its heading, explanation and cells, up to the next heading of the
    same or a higher level), so a client reads only what their data supports.
    """
    from IPython.display import display

    shown = f'<p class="cvkit-text">{html.escape(str(reason))}</p>' if str(reason).strip() else ""
    display({"text/html": shown, "text/plain": str(reason)}, raw=True, metadata={NOT_APPLICABLE: True})

