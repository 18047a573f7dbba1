"""The deliverable's Excel workbook: a contents sheet, then every table in page order, formatted.

Each sheet has the glossary's column labels (:mod:`cvkit.present.glossary`), a frozen header row,
number formats that match the pages (money in the engagement's currency, shares as percentages,
counts as integers), widths fitted to the content, and no JSON: a cell holding a mapping or a list
is written as readable text. Values are typed column by column from the CSV text, so an ID such
as ``00001``, ``1E5``, a 20-digit number, ``NA`` or ``TRUE`` stays the text it was; text cells a
spreadsheet would run as a formula are made inert with :func:`cvkit.engagement.sanitize.neutralise_workbook`.

A large table (more than :func:`cvkit.engagement.outputs.large_table_rows` rows, e.g. one row per
customer of a retailer) is not copied whole: its sheet holds the first and last rows (500 each by
default), a row between them saying how many rows are not shown, the mean, minimum, maximum (and total
of money and counts) of every numeric column over all rows, and a note, also in the bold header row
and on the contents sheet, naming the full table's files relative to the workbook
(``tables/<analysis>/<name>.csv`` and ``.parquet``). The CSV is read in chunks, so the workbook's
memory does not grow with the table.
"""

from __future__ import annotations

import json
import re
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from cvkit.engagement.outputs import large_table_rows
from cvkit.engagement.sanitize import excel_text, neutralise_workbook, restore_frame
from cvkit.present import Formats, glossary
from cvkit.present.formats import decimals_for
from cvkit.present.table import column_kinds

__all__ = ["write_workbook", "PAGE_ORDER", "typed_frame", "excel_format"]

# Sheets follow the deliverable: the executive summary, then the pages in file order.
PAGE_ORDER = {"synthesis": (0, "Executive summary"), "overview": (1, "Engagement overview"),
              "drivers": (2, "Value drivers"), "choice": (3, "Discrete choice"), "segment": (4, "Segmentation"),
              "clv": (5, "Customer lifetime value")}
_SHORT = {"synthesis": "Summary", "overview": "Overview", "drivers": "Drivers", "choice": "Choice",
          "segment": "Segments", "clv": "CLV"}
_CHUNK_ROWS = 200_000  # CSV rows read at a time
_PREVIEW_ROWS = 500  # rows shown at each end of a large table
_NUMBER = re.compile(r"-?(0|[1-9]\d*)(\.\d+)?(e[-+]\d+)?")  # as pandas writes numbers; not "00001" or "1E5"


def _looks_numeric(values: pd.Series) -> bool:
    present = values[values != ""]
    if present.empty:
        return False
    # A whole number of more than 15 digits is an ID (Excel would round it); decimals are measurements.
    return bool(present.map(lambda v: bool(_NUMBER.fullmatch(v)) and ("." in v or "e" in v or len(v.lstrip("-")) <= 15))
                .all())


def typed_frame(text: pd.DataFrame) -> pd.DataFrame:
    """Columns of a CSV read as text, typed: numbers where every value is plainly a number, else text.

    ID and text columns of the glossary stay text whatever they hold; ``True``/``False`` columns
    become booleans; an empty cell is missing.
    """
    out = {}
    for col in text.columns:
        values = text[col].fillna("")
        kind = glossary.kind(col)
        if kind in ("id", "text"):
            out[col] = values.replace("", None)
        elif kind == "bool" or set(values[values != ""]) <= {"True", "False"} and (values != "").any():
            out[col] = values.map({"True": True, "False": False, "": None})
        elif _looks_numeric(values):
            out[col] = pd.to_numeric(values.replace("", None))
        else:
            out[col] = values.replace("", None).map(_readable)
    return pd.DataFrame(out, index=text.index)


def _readable(value: Any) -> Any:
    """A JSON mapping or list in a cell as text a reader can scan (``a: 1; b: 2``)."""
    if not isinstance(value, str) or value[:1] not in "{[":
        return value
    try:
        parsed = json.loads(value)
    except ValueError:
        return value
    if isinstance(parsed, dict):
        return "; ".join(f"{k}: {_readable(json.dumps(v)) if isinstance(v, (dict, list)) else v}"
                         for k, v in parsed.items())
    if isinstance(parsed, list):
        return ", ".join(_readable(json.dumps(v)) if isinstance(v, (dict, list)) else str(v) for v in parsed)
    return value


def excel_format(kind: str, decimals: int, fmt: Formats) -> str | None:
    """The Excel number format of a column kind (what the pages show, in the workbook's terms)."""
    places = "." + "0" * decimals if decimals > 0 else ""
    if kind == "money":
        # The pages' pattern (unambiguous symbol, its side and spacing), its quoted literals as Excel text.
        prefix, suffix = re.fullmatch(r"(.*?)[#0,.]+(.*)", fmt.money_pattern(decimals)).groups()
        prefix, suffix = (re.sub(r"'((?:[^']|'')*)'", lambda m: m.group(1).replace("''", "'"), part).replace('"', "")
                          for part in (prefix, suffix))
        number = f"#,##0{places}"
        return (f'"{prefix}"' if prefix else "") + number + (f' "{suffix.strip()}"' if suffix.strip() else "")
    if kind in ("share", "pct"):
        return f"0{places}%"
    if kind == "count":
        return "#,##0"
    if kind == "points":
        return f"+#,##0{places};-#,##0{places};0{places}"
    if kind == "number":
        return f"#,##0{places}"
    return None


def _sheet_name(analysis: str, name: str, used: set[str]) -> str:
    base = f"{_SHORT.get(analysis, analysis.title())} {glossary.humanise(name).lower()}"[:31]
    sheet, i = base, 2
    while sheet.lower() in used:
        suffix = f" {i}"
        sheet, i = base[:31 - len(suffix)] + suffix, i + 1
    used.add(sheet.lower())
    return sheet


def _ordered_tables(tables_dir: Path) -> list[Path]:
    """Every table CSV: analyses in page order, tables in the order the notebook wrote them."""
    csvs = list(tables_dir.glob("*/*.csv"))
    return sorted(csvs, key=lambda p: (PAGE_ORDER.get(p.parent.name, (99, ""))[0], p.parent.name,
                                       p.stat().st_mtime_ns, p.name))


def _format_sheet(ws: Any, frame: pd.DataFrame, kinds: dict[str, str], fmt: Formats) -> None:
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    ws.freeze_panes = "A2"
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="bottom")
    for j, col in enumerate(frame.columns, start=1):
        kind = kinds[col]
        numeric = kind in ("money", "share", "pct", "count", "number", "points")
        decimals = decimals_for(frame[col], kind=kind) if numeric else 0
        number_format = excel_format(kind, decimals, fmt) if numeric else "@"
        shown = [fmt.value(v, kind, decimals) if numeric else ("" if v is None or v != v else str(v))
                 for v in frame[col].head(200)]
        width = max([len(glossary.label(col)) * 0.8, *[len(s) for s in shown], 6])
        ws.column_dimensions[get_column_letter(j)].width = min(width + 2, 60)
        for row in ws.iter_rows(min_row=2, min_col=j, max_col=j):
            for cell in row:
                if numeric and isinstance(cell.value, (int, float)):
                    cell.number_format = number_format
                elif kind in ("text", "id") or isinstance(cell.value, str):
                    cell.number_format = "@"
                    if len(str(cell.value or "")) > 60:
                        cell.alignment = Alignment(wrap_text=True, vertical="top")


@dataclass
class _Read:
    """A table CSV as the workbook uses it: all rows (small) or the first and last rows plus stats."""

    text: pd.DataFrame  # the rows shown (as text)
    rows: int  # rows in the file
    head: int  # rows of ``text`` that come from the top (the rest are the bottom rows)
    stats: dict[str, dict[str, float]] = field(default_factory=dict)  # column -> count/sum/min/max
    pct: set[str] = field(default_factory=set)  # percent columns (stored as fractions in the sheet)

    @property
    def preview(self) -> bool:
        return self.head < self.rows and len(self.text) < self.rows


def _read_table(csv: Path, max_rows: int, preview_rows: int) -> _Read:
    """Read ``csv`` as text in chunks: every row when it has at most ``max_rows``, else the first and
    last ``preview_rows`` rows and running statistics of each column's numbers."""
    chunks: list[pd.DataFrame] = []
    tail: deque[pd.DataFrame] = deque()
    head: pd.DataFrame | None = None
    stats: dict[str, dict[str, float] | None] = {}
    rows = 0
    with pd.read_csv(csv, dtype=str, keep_default_na=False, chunksize=_CHUNK_ROWS) as reader:
        for chunk in reader:
            rows += len(chunk)
            _accumulate(stats, chunk)
            if head is None:
                chunks.append(chunk)
                if rows <= max_rows:
                    continue
                whole = pd.concat(chunks)
                head, chunks = whole.head(preview_rows), []
                chunk = whole.iloc[preview_rows:]
            tail.append(chunk.tail(preview_rows))
            while sum(map(len, tail)) - len(tail[0]) >= preview_rows:
                tail.popleft()
    if head is None:  # small: every row (an empty CSV yields no chunk)
        text = pd.concat(chunks) if chunks else pd.read_csv(csv, dtype=str, keep_default_na=False)
        return _Read(text.reset_index(drop=True), rows, len(text))
    bottom = pd.concat(list(tail)).tail(preview_rows) if tail else head.iloc[:0]
    return _Read(pd.concat([head, bottom], ignore_index=True), rows, len(head),
                 {c: s for c, s in stats.items() if s is not None})


def _accumulate(stats: dict[str, dict[str, float] | None], chunk: pd.DataFrame) -> None:
    """Add a chunk's numbers to each column's count, sum, minimum and maximum.

    A column holding any non-empty value that is not a number gets no statistics (``None``: skipped
    in later chunks), as :func:`typed_frame` keeps such a column as text.
    """
    for col in chunk.columns:
        if col in stats and stats[col] is None:
            continue
        text = chunk[col]
        values = pd.to_numeric(text.where(text != ""), errors="coerce")
        if values.count() < (text != "").sum():
            stats[col] = None
            continue
        values = values.dropna()
        if values.empty:
            continue
        s = stats.setdefault(col, {"count": 0, "sum": 0.0, "min": float("inf"), "max": float("-inf")})
        s["count"] += len(values)
        s["sum"] += float(values.sum())
        s["min"] = min(s["min"], float(values.min()))
        s["max"] = max(s["max"], float(values.max()))


def _full_table_note(csv: Path, tables_dir: Path, read: _Read) -> str:
    """Where the full table is, relative to the workbook (which sits beside ``tables/``)."""
    rel = csv.relative_to(tables_dir.parent).as_posix()
    also = [rel[:-4] + ".parquet"] if csv.with_suffix(".parquet").exists() else []
    parts = csv.parent / f"{csv.stem}_parts"
    if parts.is_dir():
        also.append(parts.relative_to(tables_dir.parent).as_posix() + "/ (CSV parts a spreadsheet can open)")
    bottom = len(read.text) - read.head
    return (f"First {read.head:,} and last {bottom:,} of {read.rows:,} rows. Full table: {rel}"
            + (f", also {' and '.join(also)}" if also else "") + ".")


def _write_preview(ws: Any, frame: pd.DataFrame, kinds: dict[str, str], read: _Read, note: str,
                   fmt: Formats) -> None:
    """Mark the gap between the first and last rows, add the all-rows statistics and the note.

    Called on a formatted sheet: inserted rows move the formatted cells; statistics take their
    column's number format.
    """
    from openpyxl.styles import Font

    ncols = len(frame.columns)
    ws.insert_rows(read.head + 2)  # header + first rows, then the gap row
    gap = ws.cell(row=read.head + 2, column=1, value=f"... {read.rows - len(frame):,} rows not shown. {note}")
    gap.font = Font(italic=True)
    numeric = [c for c in frame.columns if kinds[c] in ("money", "share", "count", "number", "points")
               and pd.api.types.is_numeric_dtype(frame[c]) and c in read.stats]
    label_col = 1 if kinds[frame.columns[0]] in ("text", "id", "bool", "date") else ncols + 1
    row = ws.max_row + 2
    ws.cell(row=row, column=label_col, value=f"All {read.rows:,} rows").font = Font(bold=True)
    measures = [("mean", lambda s: s["sum"] / s["count"]), ("minimum", lambda s: s["min"]),
                ("maximum", lambda s: s["max"]), ("total", lambda s: s["sum"])]
    for what, stat in measures:
        row += 1
        ws.cell(row=row, column=label_col, value=what)
        for j, col in enumerate(frame.columns, start=1):
            if col in numeric and (what != "total" or _summable(col, kinds[col])):
                value = stat(read.stats[col]) / (100 if col in read.pct else 1)
                cell = ws.cell(row=row, column=j, value=value)
                cell.number_format = excel_format(kinds[col], decimals_for(frame[col], kind=kinds[col]), fmt)
    ws.cell(row=row + 2, column=1, value=note).font = Font(italic=True)
    ws.cell(row=1, column=ncols + 1).font = Font(bold=True)  # the header row stays bold to its end
    ws.cell(row=1, column=ncols + 2, value=note).font = Font(bold=True)


_NOT_SUMMABLE = re.compile(r"(^|_)(per|mean|avg|average|monetary|decile|quantile|rank|tier|score|index)(_|$)")


def _summable(column: str, kind: str) -> bool:
    """A total over all rows means something: money or counts, not averages, ranks or deciles."""
    return (kind in ("money", "count") and not _NOT_SUMMABLE.search(column.lower())
            and " per " not in glossary.label(column).lower())


def write_workbook(tables_dir: str | Path, xlsx_path: str | Path, *, locale: str = "en_IE",
                   currency: str = "EUR", max_rows: int | None = None,
                   preview_rows: int | None = None) -> Path | None:
    """Gather every ``tables/<analysis>/<name>.csv`` into one formatted workbook with a contents sheet.

    Parameters
    ----------
    max_rows : int, optional
        Tables of more rows are previewed (default :func:`cvkit.engagement.outputs.large_table_rows`).
    preview_rows : int, optional
        Rows shown at each end of a previewed table (default 500, at most half of ``max_rows``).

    Returns None when there is no table.
    """
    tables_dir = Path(tables_dir)
    csvs = _ordered_tables(tables_dir)
    if not csvs:
        return None
    max_rows = large_table_rows() if max_rows is None else max_rows
    preview_rows = preview_rows or max(1, min(_PREVIEW_ROWS, max_rows // 2))
    fmt = Formats(locale, currency)
    used = {"contents"}
    contents = []
    with pd.ExcelWriter(xlsx_path, engine="openpyxl") as writer:
        pd.DataFrame(columns=["Sheet", "What it holds", "Page"]).to_excel(writer, sheet_name="Contents", index=False)
        for csv in csvs:
            read = _read_table(csv, max_rows, preview_rows)
            frame = typed_frame(restore_frame(read.text))  # the data's own text, made inert below
            kinds = column_kinds(frame)
            read.pct = {c for c, k in kinds.items() if k == "pct" and pd.api.types.is_numeric_dtype(frame[c])}
            if read.pct:  # Excel's % format multiplies by 100: store percents as fractions
                frame = frame.assign(**{c: frame[c] / 100 for c in read.pct})
                kinds = {c: ("share" if k == "pct" else k) for c, k in kinds.items()}
            sheet = _sheet_name(csv.parent.name, csv.stem, used)
            labelled = frame.copy()
            labelled.columns = _unique([excel_text(glossary.label(c)) for c in frame.columns])
            # excel_text: a control character XML forbids (NUL, ...) would stop the whole workbook.
            labelled = labelled.map(lambda v: excel_text(glossary.value_label(v)) if isinstance(v, str) else v)
            labelled.to_excel(writer, sheet_name=sheet, index=False)
            _format_sheet(writer.book[sheet], frame, kinds, fmt)
            what = glossary.humanise(csv.stem).capitalize()
            if read.preview:
                note = _full_table_note(csv, tables_dir, read)
                _write_preview(writer.book[sheet], frame, kinds, read, note, fmt)
                what += f" ({note})"
            else:
                what += f" ({len(frame):,} rows)"
            page = PAGE_ORDER.get(csv.parent.name, (99, glossary.humanise(csv.parent.name)))[1]
            contents.append({"Sheet": sheet, "What it holds": what, "Page": page})
        ws = writer.book["Contents"]
        for i, row in enumerate(contents, start=2):
            cell = ws.cell(row=i, column=1, value=row["Sheet"])
            cell.hyperlink = f"#'{row['Sheet']}'!A1"
            ws.cell(row=i, column=2, value=row["What it holds"])
            ws.cell(row=i, column=3, value=row["Page"])
        _format_sheet(ws, pd.DataFrame(contents, columns=["Sheet", "What it holds", "Page"]),
                      {"Sheet": "text", "What it holds": "text", "Page": "text"}, fmt)
        neutralise_workbook(writer.book)
    return Path(xlsx_path)


def _unique(labels: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for lab in labels:
        seen[lab] = seen.get(lab, 0) + 1
        out.append(lab if seen[lab] == 1 else f"{lab} ({seen[lab]})")
    return out
