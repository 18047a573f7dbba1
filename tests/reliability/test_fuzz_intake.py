"""Fuzzed client files: intake loads exactly what the file says, or raises DataError naming file and column.

Every data set (schema) is generated from its own column definitions, written as CSV (random
delimiter, quoting, line ends, encoding with and without BOM, decimal comma, thousands separators,
date format, column order, header spelling, extra columns, NA markers), Excel (typed cells, title
rows) or Parquet (typed columns). Some examples get one corrupted cell or a dropped column. The
property, for every example:

- no corruption: ``load`` succeeds and every cell equals the value written (no rounding, no
  re-parsed IDs, no shifted dates);
- a corruption: ``load`` raises :class:`cvkit.data.DataError` (never another exception), every
  problem names the file, and one names the corrupted column.

Random bytes under every supported extension must also end in a DataError or a load, never in
another exception.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import tempfile
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from cvkit.data import SCHEMAS, DataError, load
from tests.reliability.conftest import FIGURES, FUZZ

_ID_CHARS = "ABCXYZabc0123456789-_äéüßÑ"
_TEXT_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 -_äéüß'\""
_DATE_FORMATS = [None, "%d/%m/%Y", "%m/%d/%Y", "%d.%m.%Y", "%Y/%m/%d", "%d %b %Y", "%Y%m%d"]
_ENCODINGS = ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "latin-1", "cp1252"]
_NA_TEXT = ["", "NA", "N/A", "null", "#N/A", "NaN"]


# --- what a cell holds, and how it is written -----------------------------------------------------

def _ids(draw, n: int, prefix: str = "") -> list[str]:
    core = st.text(alphabet=_ID_CHARS, min_size=1, max_size=10).filter(
        lambda s: s.upper() not in {"NA", "N/A", "NAN", "NULL"} and s.strip() == s)
    return [prefix + v for v in draw(st.lists(core, min_size=n, max_size=n, unique=True))]


def _number(draw, lo: float | None, hi: float | None, whole: bool) -> Decimal:
    if whole:
        return Decimal(draw(st.integers(int(lo if lo is not None else -10**6), int(hi if hi is not None else 10**6))))
    places = draw(st.integers(0, 9))
    top = Decimal(str(hi)) if hi is not None else Decimal(10) ** draw(st.integers(0, 15))
    bottom = Decimal(str(lo)) if lo is not None else -top
    value = draw(st.decimals(min_value=bottom, max_value=top, places=places, allow_nan=False,
                             allow_infinity=False))
    return value if value != 0 else Decimal(0)  # "-0" reads as 0.0 == -0.0 but prints differently


def _format_number(value: Decimal, decimal: str, thousands: str | None) -> str:
    text = format(value, "f")
    sign = "-" if text.startswith("-") else ""
    whole, _, frac = text.lstrip("-").partition(".")
    if thousands:
        groups = []
        while len(whole) > 3:
            groups.insert(0, whole[-3:])
            whole = whole[:-3]
        whole = thousands.join([whole, *groups])
    return sign + whole + (decimal + frac if frac else "")


class Table:
    """A generated data set: canonical values per column plus how the file writes them."""

    def __init__(self, kind: str, columns: dict[str, list], dtypes: dict[str, str]):
        self.kind, self.columns, self.dtypes = kind, columns, dtypes

    @property
    def n(self) -> int:
        return len(next(iter(self.columns.values())))


@st.composite
def tables(draw, kind: str) -> Table:
    if kind == "choice":
        return draw(choice_tables())
    schema = SCHEMAS[kind]
    n = draw(st.integers(1, 12))
    cols: dict[str, list] = {}
    dtypes: dict[str, str] = {}
    fixed = [c for c in schema.columns if c.required or draw(st.booleans())]
    group = []
    if schema.group:
        group = draw(st.lists(st.sampled_from(list(schema.group)), min_size=1, max_size=4, unique_by=lambda c: c.name))
    key = set(schema.key)
    for c in fixed + group:
        dtypes[c.name] = c.dtype
        if c.dtype == "id":
            if c.name in key and len(key) == 1 or (kind == "survey" and c.name == "respondent_id"):
                cols[c.name] = _ids(draw, n, "K")
            else:
                cols[c.name] = [draw(st.sampled_from(_ids(draw, 3))) for _ in range(n)]
        elif c.dtype in ("str", "category"):
            text = st.text(alphabet=_TEXT_CHARS, min_size=1, max_size=12).map(str.strip).filter(
                lambda s: s and s.upper() not in {"NA", "N/A", "NAN", "NULL"})
            cols[c.name] = [draw(text) for _ in range(n)]
        elif c.dtype == "date":
            cols[c.name] = [draw(st.dates(dt.date(1901, 1, 1), dt.date(2099, 12, 31))) for _ in range(n)]
        elif c.dtype in ("float", "int"):
            cols[c.name] = [_number(draw, c.min, c.max, c.dtype == "int") for _ in range(n)]
        elif c.dtype == "bool":
            cols[c.name] = [draw(st.booleans()) for _ in range(n)]
        # One empty cell at most, so a nullable column is never empty in every row.
        if c.nullable and c.dtype != "bool" and n >= 2 and draw(st.integers(0, 3)) == 0:
            cols[c.name][draw(st.integers(0, n - 1))] = None
    if kind == "utilities":
        for level in draw(st.lists(st.sampled_from(["delivery.standard", "delivery.same_day", "fee",
                                                      "returns.free", "extras.streaming"]),
                                   min_size=1, max_size=3, unique=True)):
            dtypes[level] = "float"
            cols[level] = [_number(draw, -50, 50, False) for _ in range(n)]
    # Without a (complete) key, identical rows are duplicates by the rules: keep rows distinct.
    key_cols = [k for k in schema.key if k in cols] or list(cols)
    rows = list(zip(*(cols[k] for k in key_cols)))
    assume(len(set(rows)) == len(rows))
    return Table(kind, cols, dtypes)


@st.composite
def choice_tables(draw) -> Table:
    resp = _ids(draw, draw(st.integers(1, 3)), "R")
    n_tasks, n_alts = draw(st.integers(1, 3)), draw(st.integers(2, 3))
    levels = draw(st.lists(st.text(alphabet="abcdefgh_", min_size=1, max_size=6), min_size=2, max_size=4,
                           unique=True))
    cols: dict[str, list] = {k: [] for k in ("respondent_id", "task", "alternative", "chosen", "colour", "fee")}
    for r in resp:
        for t in range(1, n_tasks + 1):
            pick = draw(st.integers(1, n_alts))
            for a in range(1, n_alts + 1):
                cols["respondent_id"].append(r)
                cols["task"].append(Decimal(t))
                cols["alternative"].append(str(a))  # an id: numbered or labelled (train, car), kept as text
                cols["chosen"].append(a == pick)
                cols["colour"].append(draw(st.sampled_from(levels)))
                cols["fee"].append(Decimal(draw(st.sampled_from([19, 29, 49, 69]))))
    dtypes = {"respondent_id": "id", "task": "int", "alternative": "id", "chosen": "bool", "colour": "str",
              "fee": "float"}
    return Table("choice", cols, dtypes)


# --- corruptions: one cell made invalid, or a required column dropped ----------------------------

def _corruptions(table: Table) -> list[tuple[str, str]]:
    """(column, bad text) pairs that must each make intake fail on that column."""
    schema = SCHEMAS[table.kind]
    out = []
    for name, dtype in table.dtypes.items():
        try:
            col = schema.column(name)
        except KeyError:
            col = None
            if table.kind == "choice":
                # A conjoint attribute is numeric only when every cell is a number; one text cell makes
                # the whole column text levels, read as written (by design, not a coercion).
                continue
        if dtype == "float":
            out += [(name, "12 EUR"), (name, "1.2.3"), (name, "inf"), (name, "1e400"), (name, "€5")]
            if col is not None and col.min is not None and col.min >= 0:
                out.append((name, "-3.5"))
        elif dtype == "int":
            out += [(name, "7.5"), (name, "seven")]
            if col is not None and col.max is not None:
                out.append((name, str(int(col.max) + 1)))
        elif dtype == "date":
            out += [(name, "2024-02-30"), (name, "soon"), (name, "2024-01-05T10:00:00+02:00"), (name, "45300")]
        elif dtype == "bool":
            out += [(name, "yes!"), (name, "2")]
        if col is not None and not col.nullable and col.required:
            out.append((name, ""))
    return out


# --- writers -------------------------------------------------------------------------------------

def _text_cells(table: Table, decimal: str, thousands: str | None, date_format: str | None,
                na: str, bool_words: tuple[str, str]) -> dict[str, list[str]]:
    cells: dict[str, list[str]] = {}
    for name, values in table.columns.items():
        dtype = table.dtypes[name]
        out = []
        for v in values:
            if v is None:
                out.append(na)
            elif dtype == "date":
                out.append(v.isoformat() if date_format is None else v.strftime(date_format))
            elif dtype in ("float", "int"):
                out.append(_format_number(v, decimal if dtype == "float" else ".", thousands if dtype == "float"
                                          else None))
            elif dtype == "bool":
                out.append(bool_words[1] if v else bool_words[0])
            else:
                out.append(str(v))
        cells[name] = out
    return cells


def _header_spelling(name: str, style: int) -> str:
    if style == 1:
        return name.upper()
    if style == 2:
        return name.replace("_", " ").title()
    return name


def _expected(table: Table) -> dict[str, list]:
    """The values intake must return, by canonical column."""
    out = {}
    for name, values in table.columns.items():
        dtype = table.dtypes[name]
        if dtype == "date":
            out[name] = [pd.NaT if v is None else pd.Timestamp(v) for v in values]
        elif dtype in ("float", "int"):
            out[name] = [math.nan if v is None else (float(v) if dtype == "float" else int(v)) for v in values]
        else:
            out[name] = [None if v is None else v for v in values]
    return out


def _check_loaded(df: pd.DataFrame, table: Table) -> None:
    expected = _expected(table)
    assert len(df) == table.n
    for name, values in expected.items():
        got = df[name].tolist()
        for i, (g, e) in enumerate(zip(got, values)):
            if e is None or (isinstance(e, float) and math.isnan(e)) or e is pd.NaT:
                assert pd.isna(g), (name, i, g)
            elif isinstance(e, float):
                assert g == e and not isinstance(g, str), (name, i, g, e)  # exact: no rounding
            else:
                assert g == e, (name, i, g, e)


def _assert_names_file_and_column(err: DataError, path: Path, column: str | None) -> None:
    assert all(p.file == str(path) for p in err.problems), [str(p) for p in err.problems]
    if column is not None:
        names = " ".join(f"{p.column} {p.message}" for p in err.problems)
        assert column in names, (column, [str(p) for p in err.problems])


def _attributes(table: Table) -> list[str] | None:
    if table.kind in ("choice", "utilities"):
        fixed = {c.name for c in SCHEMAS[table.kind].columns}
        return [c for c in table.columns if c not in fixed]
    return None


@st.composite
def csv_cases(draw, kind: str):
    table = draw(tables(kind))
    delimiter = draw(st.sampled_from([",", ";", "\t", "|"]))
    decimal = draw(st.sampled_from([".", ","]))
    thousands = draw(st.sampled_from([None, None, " ", "'", "." if decimal == "," else ","]))
    date_format = draw(st.sampled_from(_DATE_FORMATS))
    encoding = draw(st.sampled_from(_ENCODINGS))
    quoting = draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL]))
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    na = draw(st.sampled_from(_NA_TEXT))
    bool_words = draw(st.sampled_from([("0", "1"), ("false", "true"), ("no", "yes"), ("N", "Y")]))
    order = draw(st.permutations(list(table.columns)))
    style = draw(st.integers(0, 2))
    extra = draw(st.booleans())
    corruption = draw(st.none() | st.sampled_from(_corruptions(table) or [None]))
    drop = draw(st.none() | st.sampled_from([c.name for c in SCHEMAS[kind].columns if c.required
                                              and c.name in table.columns]))
    return table, delimiter, decimal, thousands, date_format, encoding, quoting, newline, na, bool_words, \
        order, style, extra, corruption, drop


def _run_csv_case(case, folder: Path):
    (table, delimiter, decimal, thousands, date_format, encoding, quoting, newline, na, bool_words, order,
     style, extra, corruption, drop) = case
    cells = _text_cells(table, decimal, thousands, date_format, na, bool_words)
    if corruption is not None:
        cells[corruption[0]][0] = corruption[1]
    order = [c for c in order if c != drop]
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter, quoting=quoting, lineterminator=newline)
    fixed = set(SCHEMAS[table.kind].names)
    header = [_header_spelling(c, style) if c in fixed else c for c in order] + (["Internal note"] if extra else [])
    writer.writerow(header)
    for i in range(table.n):
        writer.writerow([cells[c][i] for c in order] + (["see 'CRM' ticket; x=1"] if extra else []))
    text = buf.getvalue()
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:
        assume(False)
    path = folder / f"{table.kind}.csv"
    path.write_bytes(data)
    return path, dict(decimal=decimal, thousands=thousands, date_format=date_format, attributes=_attributes(table))


def _check(kind: str, path: Path, kwargs: dict, table: Table, corruption, drop) -> None:
    FIGURES["fuzzed_inputs"] += 1
    bad_column = drop if drop is not None else (corruption[0] if corruption is not None else None)
    try:
        loaded = load(kind, path, **kwargs)
    except DataError as err:
        FIGURES["fuzzed_inputs_rejected"] += 1
        if bad_column is None:
            pytest.fail(f"a valid file was rejected:\n{err}")
        _assert_names_file_and_column(err, path, bad_column)
        return
    assert bad_column is None, f"corrupted column {bad_column!r} ({corruption}) was loaded silently"
    _check_loaded(loaded.df, table)


_KINDS = list(SCHEMAS)


@pytest.mark.parametrize("kind", _KINDS)
@FUZZ
@given(data=st.data())
def test_fuzzed_csv_loads_exactly_or_names_file_and_column(kind, data):
    case = data.draw(csv_cases(kind))
    table, corruption, drop = case[0], case[13], case[14]
    with tempfile.TemporaryDirectory() as tmp:
        path, kwargs = _run_csv_case(case, Path(tmp))
        _check(kind, path, kwargs, table, corruption, drop)


@st.composite
def excel_cases(draw, kind: str):
    table = draw(tables(kind))
    typed = draw(st.booleans())
    title_rows = draw(st.integers(0, 2))
    corruption = draw(st.none() | st.sampled_from(_corruptions(table) or [None]))
    order = draw(st.permutations(list(table.columns)))
    return table, typed, title_rows, corruption, order


@pytest.mark.parametrize("kind", ["customers", "transactions", "survey", "utilities"])
@FUZZ
@given(data=st.data())
def test_fuzzed_excel_loads_exactly_or_names_file_and_column(kind, data):
    import openpyxl

    table, typed, title_rows, corruption, order = data.draw(excel_cases(kind))
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Export"
    for i in range(title_rows):
        ws.append([f"Client export {i}", None, "confidential"][: 1 + i])
    ws.append(order)
    cells = _text_cells(table, ".", None, None, "", ("0", "1"))
    for i in range(table.n):
        row = []
        for c in order:
            v, dtype = table.columns[c][i], table.dtypes[c]
            if corruption is not None and c == corruption[0] and i == 0:
                row.append(corruption[1] or None)
            elif v is None:
                row.append(None)
            elif typed and dtype == "date":
                row.append(dt.datetime(v.year, v.month, v.day))
            elif typed and dtype in ("float", "int"):
                row.append(float(v) if dtype == "float" else int(v))
            else:
                row.append(cells[c][i])
        ws.append(row)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{kind}.xlsx"
        wb.save(path)
        _check(kind, path, {"attributes": _attributes(table)}, table, corruption, None)


@pytest.mark.parametrize("kind", ["customers", "transactions", "survey", "needs", "utilities"])
@FUZZ
@given(data=st.data())
def test_fuzzed_parquet_loads_exactly_or_names_file_and_column(kind, data):
    table = data.draw(tables(kind))
    as_text = data.draw(st.booleans())
    zone = data.draw(st.sampled_from([None, "UTC", "Europe/Paris", "America/New_York"]))
    frame = {}
    for name, values in table.columns.items():
        dtype = table.dtypes[name]
        if dtype == "date":
            s = pd.Series([pd.NaT if v is None else pd.Timestamp(v) for v in values], dtype="datetime64[us]")
            frame[name] = s.dt.tz_localize(zone) if zone else s
        elif dtype in ("float", "int") and not as_text:
            frame[name] = pd.Series([np.nan if v is None else float(v) for v in values], dtype="float64")
        elif dtype in ("float", "int"):
            frame[name] = pd.Series([None if v is None else format(v, "f") for v in values], dtype="str")
        else:
            frame[name] = pd.Series(values, dtype="str" if dtype != "bool" else "bool")
    df = pd.DataFrame(frame)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{kind}.parquet"
        df.to_parquet(path, index=False)
        _check(kind, path, {"attributes": _attributes(table)}, table, None, None)


@pytest.mark.parametrize("suffix", [".csv", ".csv.gz", ".tsv", ".xlsx", ".parquet"])
@FUZZ
@given(blob=st.binary(min_size=0, max_size=600) | st.text(max_size=400).map(lambda t: t.encode("utf-8")))
def test_random_bytes_end_in_a_data_error_or_a_load(suffix, blob):
    FIGURES["fuzzed_inputs"] += 1
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"transactions{suffix}"
        path.write_bytes(blob)
        try:
            load("transactions", path, policy=None)
        except DataError as err:
            assert all(p.file == str(path) for p in err.problems)
