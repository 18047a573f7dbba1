"""Read a client's file into a DataFrame without guessing at its values.

CSV and Excel cells are read as text (pandas ``str`` dtype), so nothing is
coerced before :func:`cvkit.data.load` checks it; Parquet keeps its own types
(it is typed already, and re-reading canonical Parquet must stay fast).
Files are only ever opened for reading.
"""

from __future__ import annotations

import codecs
import csv
import difflib
import gzip
import re
import warnings
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from cvkit.data import limits
from cvkit.data.errors import DataError, Problem

__all__ = ["read_table", "NA_MARKERS", "CSV_SUFFIXES", "EXCEL_SUFFIXES", "PARQUET_SUFFIXES",
           "normalise_name"]

# Cell texts read as "missing". Deliberately short and explicit: "none" is NOT
# here because it is a real attribute level (extras = none) in conjoint files.
NA_MARKERS: tuple[str, ...] = ("", "NA", "N/A", "n/a", "NaN", "nan", "NULL", "null", "#N/A")

CSV_SUFFIXES = (".csv", ".tsv", ".txt", ".csv.gz", ".tsv.gz", ".txt.gz")
EXCEL_SUFFIXES = (".xlsx", ".xlsm")
PARQUET_SUFFIXES = (".parquet", ".pq")
_DELIMITERS = (",", ";", "\t", "|")
_SAMPLE_BYTES = 256 * 1024
_HEADER_SCAN_ROWS = 30


def normalise_name(name: object) -> str:
    """Column name in comparable form: lower case, trimmed, blanks and dashes as ``_``.

    ``"Customer ID"``, ``"customer-id"`` and ``"customer_id"`` all become
    ``"customer_id"``; used to match headers case- and spacing-insensitively.
    """
    text = str(name).strip().lower()
    return re.sub(r"[\s\-]+", "_", text)


def _suffix(path: Path) -> str:
    name = path.name.lower()
    for suffix in CSV_SUFFIXES + EXCEL_SUFFIXES + PARQUET_SUFFIXES:
        if name.endswith(suffix):
            return suffix
    return path.suffix.lower()


def _fail(path: Path, message: str, fix: str) -> DataError:
    return DataError(Problem(file=str(path), message=message, fix=fix))


def read_table(path: str | Path, *, sheet: str | None = None,
               expected_columns: Iterable[str] | None = None) -> pd.DataFrame:
    """Read a CSV, Excel or Parquet file as it is, cells of text files as text.

    Parameters
    ----------
    path : str or Path
        ``.csv``/``.tsv``/``.txt`` (optionally ``.gz``), ``.xlsx``/``.xlsm`` or
        ``.parquet``/``.pq``.
    sheet : str, optional
        Excel sheet name; default the first sheet. Ignored for other formats.
    expected_columns : iterable of str, optional
        Column names the header should contain, used to find the header row
        when a CSV file or an Excel sheet has title rows above it (the header is
        the row among the first 30 holding most of these names). Default: every
        canonical column name of every schema in :data:`cvkit.data.SCHEMAS`.

    Returns
    -------
    DataFrame
        One row per data row. CSV and Excel columns have pandas ``str`` dtype
        with missing cells as NA (empty cells and the markers in
        :data:`NA_MARKERS`); Parquet columns keep their stored dtypes.
        ``df.attrs`` records how the file was read: ``format``; for CSV
        ``encoding`` and ``delimiter``; for Excel ``sheet``; for both
        ``header_row`` (1-based line/row of the header) and ``header_matches``
        (how many expected column names it contains).

    Raises
    ------
    DataError
        If the file is missing, empty, unreadable, has an unsupported
        extension, or an unknown sheet; the message names the file and the fix.
    """
    path = Path(path)
    if not path.exists():
        raise _fail(path, "the file does not exist.",
                    "check the path (relative paths are resolved against the engagement folder).")
    if path.is_dir():
        raise _fail(path, "this is a folder, not a file.", "give the path of the data file itself.")
    # Before opening it: a FIFO or a device never ends, a huge file is refused with its size.
    limits.check_regular_file(path)
    suffix = _suffix(path)
    if path.stat().st_size == 0:
        raise _fail(path, "the file is empty (0 bytes).",
                    "export the data again; the file should start with a header row.")
    if suffix in CSV_SUFFIXES:
        limits.check_text_file(path, gzip.open if suffix.endswith(".gz") else open)
        df = _read_csv(path, suffix.endswith(".gz"), expected_columns)
        limits.check_cells(path, df, row_offset=df.attrs.get("header_row", 1) + 1)
        return df
    if suffix in EXCEL_SUFFIXES:
        limits.check_xlsx(path)
        df = _read_excel(path, sheet, expected_columns)
        limits.check_cells(path, df, row_offset=df.attrs.get("header_row", 1) + 1, row_word="Excel row")
        return df
    if suffix in PARQUET_SUFFIXES:
        return _read_parquet(path)
    hint = " Old .xls workbooks must be saved as .xlsx first." if suffix == ".xls" else ""
    raise _fail(path, f"unsupported file type '{suffix or '(none)'}'.",
                "save the data as CSV (.csv), Excel (.xlsx) or Parquet (.parquet)." + hint)


# --- CSV -----------------------------------------------------------------------------------

def _detect_encoding(sample: bytes) -> str:
    """Pick the text encoding from the first bytes (BOMs first, then UTF-8, then cp1252/Latin-1)."""
    if sample.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if sample.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    if b"\x00" in sample[:4096]:
        # UTF-16 without a BOM: ASCII characters leave a zero byte beside them.
        head = sample[:4096]
        return "utf-16-le" if head[1::2].count(0) > head[0::2].count(0) else "utf-16-be"
    try:
        # The sample may cut a multi-byte character at its end: decode incrementally.
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        sample.decode("cp1252")
        return "cp1252"
    except UnicodeDecodeError:
        # cp1252 leaves five bytes undefined; Latin-1 decodes every byte.
        return "latin-1"


def _sniff_delimiter(lines: list[str]) -> str:
    """Choose among , ; tab | the delimiter giving the most consistent field count.

    The typical width is the most common field count, not the first line's, so a
    title line above the header does not defeat the sniffing.
    """
    best: tuple[tuple[float, int], str] | None = None
    for delim in _DELIMITERS:
        widths = [len(r) for r in csv.reader(lines, delimiter=delim) if r]
        if not widths:
            continue
        counts = Counter(widths)
        width = max(counts, key=lambda w: (counts[w], w))
        if width < 2:
            continue
        score = (counts[width] / len(widths), width)
        if best is None or score > best[0]:
            best = (score, delim)
    return best[1] if best is not None else ","


def _find_header(lines: list[str], delimiter: str, expected: Iterable[str] | None) -> tuple[int, int]:
    """Index (0-based, among ``lines``) of the header line, and how many expected names it holds.

    The header is the line among the first few that contains the most expected
    column names; with no match at all, the first non-blank line.
    """
    wanted = {normalise_name(n) for n in expected} if expected is not None else _known_names()
    first = next((i for i, ln in enumerate(lines) if ln.strip()), 0)
    best, best_score = first, 0
    for i, line in enumerate(lines[:_HEADER_SCAN_ROWS]):
        if not line.strip():
            continue
        fields = next(csv.reader([line], delimiter=delimiter), [])
        score = sum(normalise_name(f.lstrip("\ufeff")) in wanted for f in fields)
        if score > best_score:
            best, best_score = i, score
    return best, best_score


def sniff_csv(path: Path, gz: bool, expected: Iterable[str] | None) -> dict:
    """How a CSV file is written, from its first 256 KB: encoding, delimiter, header line, header.

    Shared by the in-memory reader and the streaming intake (:mod:`cvkit.data.stream`), so both
    read a file the same way.

    Returns
    -------
    dict
        ``encoding``, ``delimiter``, ``header_at`` (0-based line of the header),
        ``header_matches`` (expected names in it), ``header`` (list of names),
        ``skip`` (lines skipped above the header: titles).

    Raises
    ------
    DataError
        If the file cannot be read, is empty or repeats a column name.
    """
    opener = gzip.open if gz else open
    try:
        with opener(path, "rb") as fh:
            sample = fh.read(_SAMPLE_BYTES)
    except OSError as exc:
        raise _fail(path, f"the file cannot be read ({exc}).",
                    "check that the file is not open in another program and that you may read it.") from None
    if not sample.strip(b" \t\r\n\x00\xef\xbb\xbf\xff\xfe"):
        raise _fail(path, "the file is empty (no header row).",
                    "export the data again; the file should start with a header row.")
    encoding = _detect_encoding(sample)
    # The csv module refuses fields over 128 KB by default; lines up to the line limit are allowed.
    csv.field_size_limit(max(csv.field_size_limit(), int(limits.current().line_kb * 1024) + 1))
    text = sample.decode(encoding, errors="ignore")
    # Physical lines as pandas counts them (str.splitlines would also split on \x0b, \u2028, ...).
    all_lines = re.split(r"\r\n|\r|\n", text)
    if len(sample) == _SAMPLE_BYTES and len(all_lines) > 1:
        all_lines = all_lines[:-1]  # the last sampled line may be cut
    all_lines = all_lines[:200]
    delimiter = _sniff_delimiter([ln for ln in all_lines if ln.strip()])
    header_at, header_matches = _find_header(all_lines, delimiter, expected)
    header = next(csv.reader([all_lines[header_at]], delimiter=delimiter), []) if all_lines else []
    header = [h.strip().lstrip("\ufeff") for h in header]
    limits.check_columns(path, len(header))
    # Lines above the header that are not blank (report titles) are skipped.
    skip = header_at if any(ln.strip() for ln in all_lines[:header_at]) else 0
    dupes = sorted({h for h in header if header.count(h) > 1 and h})
    if dupes:
        raise _fail(path, f"column name(s) {', '.join(repr(d) for d in dupes)} appear more than once "
                          "in the header.", "give every column a distinct name.")
    return {"encoding": encoding, "delimiter": delimiter, "header_at": header_at,
            "header_matches": header_matches, "header": header, "skip": skip}


def _read_csv(path: Path, gz: bool, expected: Iterable[str] | None) -> pd.DataFrame:
    sniffed = sniff_csv(path, gz, expected)
    encoding, delimiter, skip = sniffed["encoding"], sniffed["delimiter"], sniffed["skip"]
    header_at, header_matches = sniffed["header_at"], sniffed["header_matches"]
    df = None
    try:
        # pyarrow's multi-threaded reader is ~4x faster on large logs; any file it
        # cannot parse goes to the C engine below, whose errors name the line.
        df = pd.read_csv(path, sep=delimiter, encoding=encoding, dtype="str", keep_default_na=False,
                         na_values=list(NA_MARKERS), compression="gzip" if gz else None, engine="pyarrow",
                         skiprows=skip)
    except Exception:
        df = None
    try:
        if df is None:
            df = pd.read_csv(path, sep=delimiter, encoding=encoding, dtype="str", keep_default_na=False,
                             na_values=list(NA_MARKERS), skipinitialspace=False,
                             compression="gzip" if gz else None, skiprows=skip)
    except pd.errors.ParserError as exc:
        raise _fail(path, f"the rows do not all have the same number of fields ({str(exc).strip()}).",
                    f"values containing the delimiter {delimiter!r} must be quoted; re-export the "
                    "file from the source system with quoting on.") from None
    except UnicodeDecodeError:
        # The sample decoded but a later byte did not: fall back to a single-byte encoding.
        df = None
        for fallback in ("cp1252", "latin-1"):  # Latin-1 decodes every byte, so this ends
            try:
                df = pd.read_csv(path, sep=delimiter, encoding=fallback, dtype="str", keep_default_na=False,
                                 na_values=list(NA_MARKERS), compression="gzip" if gz else None,
                                 skiprows=skip)
                encoding = fallback
                break
            except UnicodeDecodeError:
                continue
            except pd.errors.ParserError as parse_exc:
                raise _fail(path, f"the rows do not all have the same number of fields "
                                  f"({str(parse_exc).strip()}).",
                            f"values containing the delimiter {delimiter!r} must be quoted; re-export the "
                            "file from the source system with quoting on.") from None
        assert df is not None
    except pd.errors.EmptyDataError:
        raise _fail(path, "the file is empty (no header row).",
                    "export the data again; the file should start with a header row.") from None
    df.columns = [str(c).strip().lstrip("\ufeff") for c in df.columns]
    df.attrs.update({"format": "csv", "encoding": encoding, "delimiter": delimiter,
                     "header_row": header_at + 1, "header_matches": header_matches})
    return df


# --- Excel ---------------------------------------------------------------------------------

def _known_names() -> set[str]:
    from cvkit.data.schemas import SCHEMAS  # local: schemas imports resources lazily

    return {normalise_name(n) for s in SCHEMAS.values() for n in s.names}


def _read_excel(path: Path, sheet: str | None, expected: Iterable[str] | None) -> pd.DataFrame:
    try:
        import openpyxl

        wb = openpyxl.load_workbook(path, read_only=True)
        sheets = list(wb.sheetnames)
        wb.close()
    except Exception as exc:  # openpyxl raises several unrelated types for corrupt files
        raise _fail(path, f"the workbook cannot be opened ({type(exc).__name__}: {exc}).",
                    "open it in Excel and save it again as .xlsx.") from None
    if sheet is not None and sheet not in sheets:
        close = difflib.get_close_matches(sheet, sheets, n=1)
        dym = f" Did you mean '{close[0]}'?" if close else ""
        raise _fail(path, f"the workbook has no sheet '{sheet}' (sheets: {', '.join(sheets)}).{dym}",
                    "set `sheet:` to one of the sheet names.")
    name = sheet if sheet is not None else sheets[0]
    with warnings.catch_warnings():
        # openpyxl warns about workbook features it drops on read (default styles,
        # data validation, conditional formatting); they do not affect the cell values.
        warnings.filterwarnings("ignore", category=UserWarning, module="openpyxl")
        raw = pd.read_excel(path, sheet_name=name, header=None, dtype=object, engine="openpyxl")
    _check_uncached_formulas(path, name, raw)
    raw = raw.dropna(how="all").dropna(axis=1, how="all")
    if raw.empty:
        raise _fail(path, f"sheet '{name}' is empty.", "put the data (header row first) on this sheet.")
    wanted = {normalise_name(n) for n in expected} if expected is not None else _known_names()
    top = raw.iloc[:_HEADER_SCAN_ROWS]
    # Score every candidate row by how many of its cells are expected column names;
    # title rows ("Customer export, June 2026") score 0, the real header scores most.
    scores = top.apply(lambda col: col.map(lambda v: normalise_name(v) in wanted if pd.notna(v) else False))
    per_row = scores.sum(axis=1)
    matches = int(per_row.max())
    header_pos = int(per_row.values.argmax()) if matches > 0 else 0
    header = raw.iloc[header_pos]
    body = raw.iloc[header_pos + 1:]
    keep = header.notna()
    body = body.loc[:, keep.values]
    columns = [str(v).strip() for v in header[keep]]
    dupes = sorted({c for c in columns if columns.count(c) > 1})
    if dupes:
        raise _fail(path, f"column name(s) {', '.join(repr(d) for d in dupes)} appear more than once "
                          f"in the header of sheet '{name}'.", "give every column a distinct name.")
    limits.check_columns(path, len(columns))
    body.columns = columns
    df = body.astype("str").reset_index(drop=True)
    for col in df.columns:
        s = df[col]
        # Excel date cells arrive as datetimes; keep them as ISO dates, not "... 00:00:00".
        df[col] = s.str.replace(r"^(\d{4}-\d{2}-\d{2}) 00:00:00$", r"\1", regex=True).str.strip()
        df[col] = df[col].mask(df[col].isin(NA_MARKERS))
    df.attrs.update({"format": "excel", "sheet": name, "header_row": int(raw.index[header_pos]) + 1,
                     "header_matches": matches, "excel_rows": _row_breaks(body.index)})
    return df


def _row_breaks(index: pd.Index) -> list[tuple[int, int]]:
    """Excel row numbers of the data rows, compactly: (data row index, Excel row) where runs start.

    Blank rows are dropped when a sheet is read, so data row ``i`` is Excel row
    ``excel_row + (i - start)`` of the last break at or before ``i``.
    """
    rows = index.to_numpy() + 1
    if len(rows) == 0:
        return []
    starts = [0, *(i for i in range(1, len(rows)) if rows[i] != rows[i - 1] + 1)]
    return [(int(i), int(rows[i])) for i in starts]


def excel_row(breaks: list[tuple[int, int]], i: int) -> int:
    """Excel row number of data row ``i`` (0-based) from :func:`_row_breaks`."""
    start, row = max((b for b in breaks if b[0] <= i), default=(0, i + 2))
    return row + (i - start)


def _check_uncached_formulas(path: Path, sheet: str, raw: pd.DataFrame) -> None:
    """Refuse formula cells that have no saved result (read as empty otherwise, and called "missing").

    Files written by scripts (openpyxl, some exporters) hold formulas Excel never calculated. Only
    looked for when the sheet has empty cells, with a second read-only pass over the sheet.
    """
    if not raw.isna().to_numpy().any():
        return
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=False)
        ws = wb[sheet]
        found = []
        for r, row in enumerate(ws.iter_rows(values_only=True)):
            for c, value in enumerate(row):
                if (isinstance(value, str) and value.startswith("=") and r < raw.shape[0] and c < raw.shape[1]
                        and pd.isna(raw.iat[r, c])):
                    found.append((r + 1, c, value))
                    if len(found) >= 3:
                        break
            if len(found) >= 3:
                break
        wb.close()
    except Exception:  # the value read above already worked; this is only a diagnosis
        return
    if found:
        from openpyxl.utils import get_column_letter

        shown = ", ".join(f"{get_column_letter(c + 1)}{r}: {limits.excerpt(v, 40)}" for r, c, v in found)
        raise _fail(path, f"sheet '{sheet}' has formulas without a calculated value (e.g. {shown}): they "
                          "would read as empty cells. The file was saved by a program that does not calculate "
                          "formulas.", "open the workbook in Excel or LibreOffice and save it (that stores the "
                          "values), or export the sheet as CSV.")


# --- Parquet -------------------------------------------------------------------------------

def _read_parquet(path: Path) -> pd.DataFrame:
    try:
        df = pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises ArrowInvalid, OSError, ... for corrupt files
        raise _fail(path, f"the Parquet file cannot be read ({type(exc).__name__}: {exc}).",
                    "write the file again (pandas: df.to_parquet(path)).") from None
    df.attrs.update({"format": "parquet"})
    return df
