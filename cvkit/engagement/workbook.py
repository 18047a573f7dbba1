"""The deliverable's Excel workbook: a contents sheet, then every table in page order, formatted.

Each sheet has the glossary's column labels (:mod:`cvkit.present.glossary`), a frozen header row,
number formats that match the pages (money in the engagement's currency, shares as percentages,
counts as integers), widths fitted to the content, and no JSON: a cell holding a mapping or a list
is written as readable text. Values are typed column by column from the CSV text, so an ID such
as ``00001``, ``1E5``, a 20-digit number, ``NA`` or ``TRUE`` stays the text it was; text cells a
spreadsheet would run as a formula are made inert with :func:`cvkit.engagement.sanitize.neutralise_workbook`.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pandas as pd

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
        symbol = fmt.symbol().replace('"', "")
        pattern = fmt._loc.currency_formats["standard"].pattern.split(";")[0]
        number = f"#,##0{places}"
        return (f'{number} "{symbol}"' if pattern.strip().endswith("¤") else f'"{symbol}"{number}')
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


def write_workbook(tables_dir: str | Path, xlsx_path: str | Path, *, locale: str = "en_IE",
                   currency: str = "EUR") -> Path | None:
    """Gather every ``tables/<analysis>/<name>.csv`` into one formatted workbook with a contents sheet.

    Returns None when there is no table.
    """
    csvs = _ordered_tables(Path(tables_dir))
    if not csvs:
        return None
    fmt = Formats(locale, currency)
    used = {"contents"}
    contents = []
    with pd.ExcelWriter(xlsx_path, engine="openpyxl") as writer:
        pd.DataFrame(columns=["Sheet", "What it holds", "Page"]).to_excel(writer, sheet_name="Contents", index=False)
        for csv in csvs:
            text = pd.read_csv(csv, dtype=str, keep_default_na=False)
            frame = typed_frame(restore_frame(text))  # the data's own text, made inert below
            kinds = column_kinds(frame)
            if "pct" in kinds.values():  # Excel's % format multiplies by 100: store percents as fractions
                frame = frame.assign(**{c: frame[c] / 100 for c, k in kinds.items() if k == "pct"
                                        and pd.api.types.is_numeric_dtype(frame[c])})
                kinds = {c: ("share" if k == "pct" else k) for c, k in kinds.items()}
            sheet = _sheet_name(csv.parent.name, csv.stem, used)
            labelled = frame.copy()
            labelled.columns = _unique([excel_text(glossary.label(c)) for c in frame.columns])
            # excel_text: a control character XML forbids (NUL, ...) would stop the whole workbook.
            labelled = labelled.map(lambda v: excel_text(glossary.value_label(v)) if isinstance(v, str) else v)
            labelled.to_excel(writer, sheet_name=sheet, index=False)
            _format_sheet(writer.book[sheet], frame, kinds, fmt)
            page = PAGE_ORDER.get(csv.parent.name, (99, glossary.humanise(csv.parent.name)))[1]
            contents.append({"Sheet": sheet, "What it holds": glossary.humanise(csv.stem).capitalize()
                             + f" ({len(frame):,} rows)", "Page": page})
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
