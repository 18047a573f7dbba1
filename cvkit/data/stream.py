"""Out-of-core intake: check a large data set with DuckDB over the file itself and write it as Parquet.

The in-memory path (:func:`cvkit.data.load`) reads a file into pandas; a retailer's
two-year purchase log does not fit. Here the same rules run as SQL over the file
(CSV, or Parquet: one file, a folder or a glob of parts), in a few passes whose
memory is bounded by DuckDB's ``memory_limit`` (spilling to disk), not by the
file size:

1. *stage*: one parallel scan of the file writes every parsed value, one boolean
   per check (bad number, date in another format, negative amount, missing
   value, ...) and a cell's text where a check may quote it to a Parquet file,
   in the file's row order (a row's 1-based number is its position there, read
   back as ``file_row_number``: no window over the whole file);
2. *report*: one aggregate over the stage counts each check's rows; the first
   offending rows and values are read, from the flagged rows only, for the
   checks a message quotes; the problems are worded exactly as the in-memory
   path words them (both use :class:`_Checker`'s messages through
   :mod:`cvkit.data.load`);
3. *duplicates*: identical rows and repeated keys found by grouping, among the
   rows still kept;
4. *write*: kept rows in canonical columns to ``<kind>.rows.parquet`` (with
   their row numbers, for cross-file checks) and excluded rows beside it.

The analyst sees the same problems, fixes and exclusions whichever path ran;
:data:`STREAM_BYTES` decides which (transactions always stream).
"""

from __future__ import annotations

import codecs
import glob as _glob
import gzip
import os
import re
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from cvkit.data import limits
from cvkit.data.errors import DataError, Problem
from cvkit.data.policy import IntakePolicy
from cvkit.data.readers import CSV_SUFFIXES, NA_MARKERS, PARQUET_SUFFIXES, sniff_csv
from cvkit.data.schemas import SCHEMAS, Column, Schema

__all__ = ["STREAM_BYTES", "STREAMED_KINDS", "should_stream", "StreamedTable", "stream_load", "checked_parquet",
           "checked_kind", "CHECKED_MARK",
           "duckdb_connection", "relation"]

STREAM_BYTES = int(os.environ.get("CVKIT_STREAM_BYTES", 64 * 1024 ** 2))
#: Parquet key-value metadata key of a data set cvkit's intake checked and wrote (value: the kind).
CHECKED_MARK = "cvkit_checked"
"""Data sets larger than this (bytes on disk) are checked out of core, whatever their kind."""

STREAMED_KINDS = frozenset({"transactions"})
"""Data sets that always stream: the ones that grow with the client's business, not with a survey."""

# Choice data need task-level checks across rows (one chosen alternative per task) that only the
# in-memory path implements; choice files are survey-sized.
_NEVER_STREAMED = frozenset({"choice"})

_MAX_ROWS_SHOWN = 20
# Intake's working Parquet files (stage, kept rows) are written without dictionary encoding: it cost a third
# of their write time for mostly distinct IDs. The data set written for the notebooks keeps the default.
_WORKING = "FORMAT parquet, ROW_GROUP_SIZE 122880, DICTIONARY_SIZE_LIMIT 1"
# Python's str.strip() removes every Unicode blank; DuckDB's trim() only spaces unless told which.
_BLANKS = "".join(ch for ch in map(chr, range(0x3001)) if ch.isspace())
_NUMBER = r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?|[+-]?(inf|infinity|nan)"


def duckdb_connection(workdir: str | Path | None = None, *, memory_limit: str | None = None,
                      threads: int | None = None) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection that spills to ``workdir`` and keeps row order.

    ``memory_limit`` defaults to ``$CVKIT_DUCKDB_MEMORY_LIMIT`` or 1 GB: intake's peak memory is
    this plus Python's, whatever the file size.
    """
    con = duckdb.connect(config={"preserve_insertion_order": True})
    limit = memory_limit or os.environ.get("CVKIT_DUCKDB_MEMORY_LIMIT", "1GB")
    con.execute(f"SET memory_limit = '{limit}'")
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    if workdir is not None:
        spill = Path(workdir) / ".duckdb_spill"
        con.execute(f"SET temp_directory = {_lit(str(spill))}")
    return con


def _lit(text: str) -> str:
    """A SQL string literal."""
    return "'" + str(text).replace("'", "''") + "'"


def _ident(name: str) -> str:
    """A SQL identifier."""
    return '"' + str(name).replace('"', '""') + '"'


def _plain_ends(x: str) -> str:
    """SQL true where text ``x`` starts and ends with printable ASCII (so ``x.strip()`` is ``x``)."""
    return f"ascii({x}) BETWEEN 33 AND 126 AND ascii(({x})[-1]) BETWEEN 33 AND 126"


def _strip(x: str) -> str:
    """SQL of ``x.strip()``: DuckDB's trim with Unicode blanks is slow, so only cells that start or end
    outside printable ASCII take it."""
    return f"CASE WHEN {_plain_ends(x)} THEN {x} ELSE trim({x}, {_lit(_BLANKS)}) END"


def is_glob(path: str) -> bool:
    """Whether ``path`` is a pattern (``*``, ``?`` or ``[``) naming several files."""
    return any(ch in str(path) for ch in "*?[")


_is_glob = is_glob


def _suffix(name: str) -> str:
    low = name.lower()
    for s in CSV_SUFFIXES + PARQUET_SUFFIXES:
        if low.endswith(s):
            return s
    return Path(low).suffix


def should_stream(kind: str, path: str | Path, *, sheet: str | None = None) -> bool:
    """Whether data set ``kind`` at ``path`` goes through the out-of-core path.

    Transactions always do, as does any CSV/Parquet data set above :data:`STREAM_BYTES`, a folder
    or a glob of Parquet parts; Excel files (at most a million rows) and choice data never do.
    """
    if kind in _NEVER_STREAMED or kind not in SCHEMAS or sheet is not None:
        return False
    schema = SCHEMAS[kind]
    if schema.free == "attributes" or any(c.dtype == "bool" for c in schema.columns + schema.group):
        return False  # 0/1 flags and conjoint attributes are checked in memory only (survey-sized data)
    text = str(path)
    if _is_glob(text):
        return True
    p = Path(text)
    if p.is_dir():
        return True
    if _suffix(p.name) not in CSV_SUFFIXES + PARQUET_SUFFIXES or not p.is_file():
        return False
    return kind in STREAMED_KINDS or p.stat().st_size > STREAM_BYTES


@dataclass
class StreamedTable:
    """A data set checked out of core: its kept rows live in a Parquet file, not in memory.

    Attributes
    ----------
    kind, source, columns_found, ignored_columns, read_info
        As :class:`cvkit.data.LoadedTable`.
    rows_path : Path
        Parquet of the kept rows: canonical columns plus ``_row`` (1-based data row in the file); a
        folder of parts in the file's order when the rows were checked on a Spark cluster.
    excluded_paths : list of Path
        Parquet files of excluded rows: ``row``, ``reason``, then the row's cells as text.
    n_rows, n_excluded : int
        Rows kept and excluded.
    """

    kind: str
    source: str
    rows_path: Path
    excluded_paths: list[Path]
    n_rows: int
    n_excluded: int
    columns_found: list[str] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    read_info: dict[str, Any] = field(default_factory=dict)
    workdir: Path | None = None
    #: The SparkIntake that checked the rows (None: DuckDB here); :meth:`write` copies on its executors.
    spark: Any = field(default=None, repr=False)

    streamed = True

    @property
    def schema(self) -> Schema:
        return SCHEMAS[self.kind]

    @property
    def df(self) -> pd.DataFrame:
        """The kept rows in pandas (reads the whole Parquet: for small data and tests only)."""
        return pd.read_parquet(self.rows_path).drop(columns="_row")

    @property
    def row_numbers(self) -> np.ndarray:
        return pd.read_parquet(self.rows_path, columns=["_row"])["_row"].to_numpy(np.int64)

    @property
    def excluded(self) -> pd.DataFrame:
        """Excluded rows in pandas (small data and tests; intake writes them without pandas)."""
        con = duckdb.connect()
        try:
            return con.sql(self.excluded_sql()).df().reset_index(drop=True)
        finally:
            con.close()

    def excluded_sql(self) -> str:
        """A SQL query over every excluded row (``row``, ``reason``, cells as text), in row order."""
        cols = [c for c in self.columns_found]
        if not self.excluded_paths:
            parts = ["CAST(NULL AS BIGINT) AS row", "CAST(NULL AS VARCHAR) AS reason"] + \
                    [f"CAST(NULL AS VARCHAR) AS {_ident(c)}" for c in cols]
            return f"SELECT {', '.join(parts)} WHERE false"
        files = ", ".join(_lit(str(p)) for p in self.excluded_paths)
        return f"SELECT * FROM read_parquet([{files}], union_by_name = true) ORDER BY row"

    def sql(self) -> str:
        """A SQL relation over the kept rows (with ``_row``)."""
        return f"read_parquet({_lit(str(self.rows_path))})"

    def query(self, sql: str, params: Sequence | None = None) -> pd.DataFrame:
        """Run ``sql`` (``{rows}`` stands for the kept rows) and return the (small) result."""
        con = duckdb_connection(self.workdir)
        try:
            return con.execute(sql.replace("{rows}", self.sql()), params or []).df()
        finally:
            con.close()

    def replace_rows(self, con: duckdb.DuckDBPyConnection, select_sql: str) -> None:
        """Rewrite the kept rows from ``select_sql`` (which may read ``{rows}``)."""
        target = self.rows_path.with_name(self.rows_path.stem + ".next.parquet")
        select_sql = select_sql.replace("{rows}", self.sql())
        con.execute(f"COPY ({select_sql}) TO {_lit(str(target))} ({_WORKING})")
        if self.rows_path.is_dir():  # parts written on a Spark cluster, now one file
            shutil.rmtree(self.rows_path)
        os.replace(target, self.rows_path)
        self.n_rows = int(con.execute(f"SELECT count(*) FROM {self.sql()}").fetchone()[0])

    def exclude_where(self, con: duckdb.DuckDBPyConnection, condition: str, reason: str) -> int:
        """Move the kept rows matching SQL ``condition`` to the excluded rows with ``reason``."""
        n = int(con.execute(f"SELECT count(*) FROM {self.sql()} WHERE {condition}").fetchone()[0])
        if n == 0:
            return 0
        target = self.rows_path.with_name(f"{self.kind}.excluded.{len(self.excluded_paths)}.parquet")
        dtypes = {c.name: c.dtype for c in self.schema.columns + self.schema.group}
        cells = ", ".join(f"{_value_text(_ident(c), dtypes.get(c, 'float'))} AS {_ident(c)}"
                          for c in self.columns_found)
        con.execute(f"COPY (SELECT _row AS row, {_lit(reason)} AS reason, {cells} FROM {self.sql()} "
                    f"WHERE {condition} ORDER BY _row) TO {_lit(str(target))} (FORMAT parquet)")
        self.excluded_paths.append(target)
        self.n_excluded += n
        self.replace_rows(con, f"SELECT * FROM {{rows}} WHERE NOT ({condition})")
        return n

    def write(self, target: Path, con: duckdb.DuckDBPyConnection | None = None) -> None:
        """Write the kept rows in canonical columns (no ``_row``) to ``target``.

        Rows checked on a Spark cluster are copied part by part on its executors: ``target`` is then a
        folder of parts in the file's order, each marked as checked (DuckDB, Spark and pandas read it
        as one table).
        """
        if self.spark is not None and self.rows_path.is_dir():
            self.spark.copy(self.rows_path, Path(target), self.kind)
            return
        own = con is None
        con = con or duckdb_connection(self.workdir)
        try:
            # The mark lets an engine read the file as checked (checked_parquet) instead of checking it again.
            con.execute(f"COPY (SELECT * EXCLUDE (_row) FROM {self.sql()}) TO {_lit(str(target))} "
                        f"(FORMAT parquet, ROW_GROUP_SIZE 122880, KV_METADATA {{{CHECKED_MARK}: {_lit(self.kind)}}})")
        finally:
            if own:
                con.close()


def relation(source: Any) -> str:
    """A DuckDB relation over a data set's rows: a :class:`StreamedTable` or a Parquet path."""
    return source.sql() if hasattr(source, "sql") else f"read_parquet({_lit(str(source))})"


def checked_kind(path: str | Path) -> str | None:
    """The data set a Parquet file holds when cvkit's intake checked and wrote it (its key-value mark), else None."""
    import pyarrow.parquet as pq

    path = Path(path)
    if path.is_dir() and path.suffix.lower() == ".parquet":  # parts written on a Spark cluster: all marked
        kinds = {checked_kind(part) for part in sorted(path.glob("*.parquet"))}
        return kinds.pop() if len(kinds) == 1 else None
    if not path.is_file() or path.suffix.lower() != ".parquet":
        return None
    try:
        meta = pq.read_schema(path).metadata or {}
    except Exception:  # not Parquet after all: it is checked like any other file
        return None
    kind = meta.get(CHECKED_MARK.encode())
    return kind.decode() if kind else None


def checked_parquet(kind: str, path: str | Path, workdir: str | Path | None = None, *,
                    columns: dict[str, str] | None = None, policy: IntakePolicy | None = None) -> Path:
    """Data set ``kind`` as a checked Parquet file that DuckDB or Spark can scan, without pandas.

    The file written by an engagement's intake (``build/data/<kind>.parquet``, marked in its
    metadata) is used as it is: it was checked under the engagement's policy. Any other file (a
    notebook opened on its own, on a client's raw export) is checked out of core with
    :func:`stream_load` into ``workdir`` first.

    Parameters
    ----------
    kind : str
        The data set, e.g. ``"transactions"``.
    path : str or Path
        CSV or Parquet (a file, a folder of parts or a glob).
    workdir : str or Path, optional
        Where a check writes its Parquet; default a temporary folder removed when the process ends.
    columns, policy
        As :func:`cvkit.data.load`.

    Returns
    -------
    Path
        Absolute path of a Parquet file of the kept rows in canonical columns (a checked copy may
        carry ``_row``, the row number in the source file, as well).

    Raises
    ------
    DataError
        With every problem of the file, as :func:`cvkit.data.load` words them.
    """
    if checked_kind(path) == kind:
        return Path(path).resolve()
    if workdir is None:
        import atexit

        workdir = tempfile.mkdtemp(prefix=f"cvkit-{kind}-")
        atexit.register(shutil.rmtree, workdir, ignore_errors=True)
    table, problems = stream_load(kind, path, workdir, columns=columns, policy=policy)
    if problems:
        raise DataError(problems)
    assert table is not None
    return table.rows_path.resolve()


# --- the source: one CSV, or Parquet file(s) ---------------------------------------------------

def _parquet_files(path: str) -> list[str]:
    if _is_glob(path):
        return sorted(_glob.glob(path, recursive=True))
    p = Path(path)
    if p.is_dir():
        return sorted(str(f) for f in p.rglob("*") if f.is_file() and _suffix(f.name) in PARQUET_SUFFIXES)
    return [str(p)]


def _transcode(path: Path, gz: bool, encoding: str, workdir: Path) -> Path:
    """A UTF-8 copy of a CSV written in another encoding, converted in 1 MB pieces."""
    target = workdir / (path.name.removesuffix(".gz") + ".utf8.csv")
    opener = gzip.open if gz else open
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    with opener(path, "rb") as src, open(target, "w", encoding="utf-8", newline="") as dst:
        while chunk := src.read(1 << 20):
            dst.write(decoder.decode(chunk))
        dst.write(decoder.decode(b"", final=True))
    return target


def _ragged_message(exc: Exception | str) -> str:
    """DuckDB's CSV error in the words pandas uses (the in-memory path's wording)."""
    text = str(exc)
    line = re.search(r"Line:\s*(\d+)", text)
    want = re.search(r"Expected Number of Columns:\s*(\d+)\s*Found:\s*(\d+)", text)
    if line and want:
        return (f"Error tokenizing data. C error: Expected {want.group(1)} fields in line {line.group(1)}, "
                f"saw {want.group(2)}")
    return text.strip().splitlines()[0]


class _Source:
    """Where the rows come from, as a DuckDB relation over raw columns (text or typed)."""

    def __init__(self, con: duckdb.DuckDBPyConnection, path: str, label: str, workdir: Path,
                 expected: set[str]):
        self.con, self.path, self.label, self.workdir = con, path, label, workdir
        self.info: dict[str, Any] = {}
        self.types: dict[str, str] = {}
        self.zones: dict[str, str] = {}
        self.text = True  # cells are text (CSV): NA markers apply
        suffix = _suffix(Path(path).name)
        if _is_glob(path) or Path(path).is_dir() or suffix in PARQUET_SUFFIXES:
            self._open_parquet()
        else:
            self._open_csv(Path(path), suffix.endswith(".gz"), expected)

    def fail(self, message: str, fix: str) -> DataError:
        return DataError(Problem(file=self.label, message=message, fix=fix))

    def _open_parquet(self) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        files = _parquet_files(self.path)
        if not files:
            raise self.fail("no Parquet file matches this path (a folder or glob must hold .parquet parts).",
                            "check the path, or give the folder that holds the .parquet files.")
        self.files = files
        try:
            schema = pq.read_schema(files[0])
            rel = self.con.sql(f"SELECT * FROM read_parquet([{', '.join(_lit(f) for f in files)}], "
                               "union_by_name = true) LIMIT 0")
        except Exception as exc:  # pyarrow/duckdb raise several types for corrupt files
            raise self.fail(f"the Parquet file cannot be read ({type(exc).__name__}: {exc}).",
                            "write the file again (pandas: df.to_parquet(path)).") from None
        self.columns = [str(c) for c in rel.columns]
        try:
            for f in files:
                limits.check_regular_file(Path(f))
            limits.check_columns(self.path, len(self.columns))
        except DataError as exc:
            raise DataError([Problem(file=self.label, message=p.message, fix=p.fix) for p in exc.problems]) \
                from None
        self.types = {c: str(t) for c, t in zip(rel.columns, rel.types)}
        for f in schema:
            if pa.types.is_timestamp(f.type) and f.type.tz:
                self.zones[f.name] = f.type.tz
        self.text = False
        self.relation = f"read_parquet([{', '.join(_lit(f) for f in files)}], union_by_name = true)"
        self.info = {"format": "parquet", "files": len(files)}

    def _open_csv(self, path: Path, gz: bool, expected: set[str]) -> None:
        if not path.exists():
            raise self.fail("the file does not exist.",
                            "check the path (relative paths are resolved against the engagement folder).")
        try:
            # Only a regular file within the size, line and header limits is opened (cvkit.data.limits).
            limits.check_regular_file(path)
            if path.stat().st_size == 0:
                raise self.fail("the file is empty (0 bytes).",
                                "export the data again; the file should start with a header row.")
            limits.check_text_file(path, gzip.open if gz else open)
            sniffed = sniff_csv(path, gz, expected)
        except DataError as exc:
            raise DataError([Problem(file=self.label, message=p.message, fix=p.fix) for p in exc.problems]) \
                from None
        self.columns = list(sniffed["header"])
        self.delimiter = sniffed["delimiter"]
        self.encoding = sniffed["encoding"]
        self.gz = gz
        self.file = path
        if self.encoding not in ("utf-8", "utf-8-sig"):
            # A byte the sniffed encoding cannot decode falls back to cp1252, then Latin-1 (as in memory).
            for enc in (self.encoding, "cp1252", "latin-1"):
                try:
                    self.file = _transcode(path, gz, enc, self.workdir)
                    self.encoding = enc
                    break
                except UnicodeDecodeError:
                    continue
        self.skip = sniffed["header_at"]
        self.info = {"format": "csv", "encoding": self.encoding, "delimiter": self.delimiter,
                     "header_row": sniffed["header_at"] + 1, "header_matches": sniffed["header_matches"]}
        self.relation = self._csv_relation()

    def _csv_relation(self) -> str:
        cols = ", ".join(f"{_lit(f'c{i}')}: 'VARCHAR'" for i in range(len(self.columns)))
        compression = "'gzip'" if self.gz and self.file == self.path_obj() else "'none'"
        return (f"read_csv({_lit(str(self.file))}, delim = {_lit(self.delimiter)}, header = true, "
                f"skip = {self.skip}, columns = {{{cols}}}, quote = '\"', escape = '\"', "
                f"auto_detect = false, strict_mode = true, null_padding = false, "
                f"compression = {compression}, nullstr = '\u0001')")

    def path_obj(self) -> Path:
        return Path(self.path)

    def fallback_encoding(self) -> bool:
        """After an invalid UTF-8 byte past the sample: re-read as cp1252 (else Latin-1)."""
        if not self.text or self.encoding not in ("utf-8", "utf-8-sig"):
            return False
        for enc in ("cp1252", "latin-1"):
            try:
                self.file = _transcode(Path(self.path), self.gz, enc, self.workdir)
            except UnicodeDecodeError:
                continue
            self.encoding = enc
            self.info["encoding"] = enc
            self.relation = self._csv_relation()
            return True
        return False

    def raw(self, name: str) -> str:
        """SQL of the raw column ``name`` of the file."""
        if self.text:
            return _ident(f"c{self.columns.index(name)}")
        return _ident(name)


# --- checks: SQL flags plus the in-memory path's wording -----------------------------------------

class _Plan:
    """Staged columns in layers (each layer may use the previous ones) and the checks' flags."""

    def __init__(self) -> None:
        self.layers: list[list[str]] = [[] for _ in range(7)]
        self.keep: list[str] = []  # columns written to the stage (in the file's row order; no row number)
        self.examples: dict[str, str] = {}  # flag -> staged column quoted in messages
        self.steps: list = []  # callables(report) in the in-memory path's order
        self.empty: set[str] = set()  # columns empty in every row (known after the stage)
        self.column_flags: dict[str, list[str]] = {}  # column number -> its flags
        self.sparse_text: dict[str, str] = {}  # text column -> value column (text kept where needed)
        # flag -> SQL true where the flagged cell's text is rebuilt exactly from its value (not staged)
        self.rebuilt: dict[str, str] = {}
        # typed text column -> SQL of its cell as text from the value column (the two hold the same values)
        self.rebuild: dict[str, str] = {}

    def add(self, layer: int, name: str, sql: str, keep: bool = False) -> str:
        self.layers[layer].append(f"{sql} AS {name}")
        if keep and name not in self.keep:
            self.keep.append(name)
        return name

    def flag(self, layer: int, name: str, sql: str, example: str) -> str:
        column = re.search(r"\d+", name).group(0)
        self.column_flags.setdefault(column, []).append(name)
        self.add(layer, name, f"coalesce({sql}, false)", keep=True)
        self.examples[name] = example
        if re.fullmatch(r"_\w+", example) and example not in self.keep:
            self.keep.append(example)
        return name

    def sql(self, relation: str, raw: list[str]) -> str:
        # No row_number() OVER (): that window gathers the whole file in one thread before any check
        # runs. The stage keeps the file's order (preserve_insertion_order), so a row's number is its
        # position in the stage, read back as Parquet's file_row_number (see _staged).
        ctes = [f"_l0 AS (SELECT {', '.join(raw) or 'true AS _rowmark'} FROM {relation})"]
        for i, layer in enumerate(self.layers, 1):
            cols = ", ".join(["*"] + layer)
            ctes.append(f"_l{i} AS (SELECT {cols} FROM _l{i - 1})")
        out = []
        for name in self.keep:
            if name in self.sparse_text:
                # Parsed numbers and dates are staged as values; their text is kept only where a check
                # quotes it (flagged or empty cells), which halves what the stage writes.
                flags = [f"({f} AND NOT ({self.rebuilt[f]}))" if f in self.rebuilt else f
                         for f in self.column_flags.get(name[2:], [])]
                cond = " OR ".join([f"{self.sparse_text[name]} IS NULL"] + flags)
                out.append(f"CASE WHEN {cond} THEN {name} END AS {name}")
            else:
                out.append(name)
        out = out or ["true AS _rowmark"]  # no checked column: the stage still counts the rows
        return f"WITH {', '.join(ctes)} SELECT {', '.join(out)} FROM _l{len(self.layers)}"


class _Report:
    """The in-memory checker's bookkeeping, driven by counts from the stage instead of masks."""

    def __init__(self, label: str, policy: IntakePolicy, stats: _Stats):
        self.label, self.policy, self.stats = label, policy, stats
        self.problems: list[Problem] = []
        self.exclusions: list[tuple[str, str]] = []  # (flag, reason) in check order

    def n(self, flag: str) -> int:
        return self.stats.counts[flag]

    def examples(self, flag: str, limit: int = 3) -> str:
        _, rows, values = self.stats[flag]
        return ", ".join(f"{limits.excerpt(v)} (row {r})" for r, v in list(zip(rows, values))[:limit])

    def problem(self, message: str, fix: str, column: str | None = None, flag: str | None = None) -> None:
        rows: tuple[int, ...] = ()
        n: int | None = None
        if flag is not None:
            count, first, _ = self.stats[flag]
            rows, n = tuple(int(r) for r in first[:_MAX_ROWS_SHOWN]), count
        self.problems.append(Problem(file=self.label, message=message, fix=fix, column=column, rows=rows,
                                     n_rows=n))

    def flag(self, flag: str, action: str, reason: str, message: str, fix: str,
             column: str | None = None) -> None:
        if self.n(flag) == 0:
            return
        if action == "exclude":
            self.exclusions.append((flag, reason))
        elif action == "error":
            self.problem(message, fix, column, flag)


_NUMERIC_TYPES = ("DOUBLE", "FLOAT", "REAL", "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT",
                  "USMALLINT", "UINTEGER", "UBIGINT", "DECIMAL", "BOOLEAN")


def _is_numeric(sql_type: str) -> bool:
    return sql_type.upper().startswith(_NUMERIC_TYPES)


class _Columns:
    """Builds each column's SQL and its checks, mirroring :class:`cvkit.data.checker._Checker`."""

    def __init__(self, src: _Source, plan: _Plan, policy: IntakePolicy, decimal: str, thousands: str | None,
                 date_format: str | None, config_key: str):
        self.src, self.plan, self.policy = src, plan, policy
        self.decimal, self.thousands, self.date_format, self.config_key = decimal, thousands, date_format, config_key
        self.raw: list[str] = []
        self.value: dict[str, str] = {}  # canonical name -> staged value column
        self.text: dict[str, str] = {}  # canonical name -> staged text column
        self.typed: dict[str, bool] = {}
        self.sql_type: dict[str, str] = {}  # canonical name -> the file column's SQL type

    def _stage_text(self, i: int, name: str, file_col: str) -> str:
        raw = self.src.raw(file_col)
        self.raw.append(f"{raw} AS _r{i}")
        sql_type = self.src.types.get(file_col, "VARCHAR")
        typed = not self.src.text and sql_type.upper() != "VARCHAR"
        self.typed[name] = typed
        self.sql_type[name] = sql_type.upper()
        if not typed:
            cleaned = f"NULLIF({_strip(f'_r{i}')}, '')"
            if self.src.text:
                # An OR of equalities, not IN or list_contains: DuckDB plans both of those as a hash (mark)
                # join per use, which took more than half of the stage's CPU on a 6M-row log.
                marker = " OR ".join(f"_r{i} = {_lit(m)}" for m in NA_MARKERS)
                cleaned = f"CASE WHEN {marker} THEN NULL ELSE {cleaned} END"
                # Most cells need neither: one test sends them through unchanged (a cell with plain ends is
                # not empty; the other markers are short), the rest take the exact expression above.
                short = max(len(m.encode()) for m in NA_MARKERS)
                plain = f"{_plain_ends(f'_r{i}')} AND NOT (strlen(_r{i}) <= {short} AND ({marker}))"
                cleaned = f"CASE WHEN {plain} THEN _r{i} ELSE {cleaned} END"
        elif sql_type.upper() in ("DOUBLE", "FLOAT", "REAL"):
            cleaned = f"CASE WHEN isnan(_r{i}) THEN NULL ELSE _r{i} END"
        elif file_col in self.src.zones:
            cleaned = f"timezone({_lit(self.src.zones[file_col])}, _r{i})"
        else:
            cleaned = f"_r{i}"
        self.text[name] = self.plan.add(0, f"_t{i}", cleaned, keep=True)
        return self.text[name]

    def add(self, i: int, c: Column, file_col: str, free: str | None = None) -> None:
        t = self._stage_text(i, c.name, file_col)
        if c.dtype in ("id", "str", "category"):
            as_text = self._as_text(i, t, file_col)
            self.value[c.name] = t if as_text == t else self.plan.add(1, f"_v{i}", as_text, keep=True)
        elif c.dtype == "date":
            self._date(i, c, t, file_col)
        elif c.dtype in ("float", "int"):
            self._number(i, c, t)
        else:  # bool columns belong to choice data, which never streams
            raise NotImplementedError(f"streaming intake has no {c.dtype} columns ({c.name})")
        if free == "levels":
            miss = self.plan.flag(1, f"_m{i}", f"{t} IS NULL", t)
            self.plan.steps.append(lambda r, m=miss, f=c.name: r.flag(
                m, self.policy.missing_values, f"missing {f}",
                f"{r.n(m)} empty cell(s); every respondent needs a utility for every level.",
                f"fill '{f}' (re-export the estimates), or set intake.missing_values: exclude to drop "
                "these respondents.", f))

    def missing(self, i: int, c: Column) -> None:
        """The non-nullable column's empty cells, checked after its conversion (as in memory)."""
        # Layer 1, not 0: an alias used in the SELECT that defines it is inlined, i.e. computed twice.
        miss = self.plan.flag(1, f"_m{i}", f"{self.text[c.name]} IS NULL", self.text[c.name])

        def step(r: _Report) -> None:
            if c.name in self.plan.empty:  # reported once as an empty column instead
                return
            r.flag(miss, self.policy.missing_values, f"missing {c.name}",
                   f"{r.n(miss)} empty cell(s) in a column that must be filled"
                   + (" (0 or 1)." if c.dtype == "bool" else "."),
                   f"fill '{c.name}' in these rows, or set intake.missing_values: exclude to drop them.", c.name)
        self.plan.steps.append(step)

    def _as_text(self, i: int, t: str, file_col: str) -> str:
        if not self.typed.get(next(k for k, v in self.text.items() if v == t)):
            return t
        sql_type = self.src.types[file_col].upper()
        if sql_type in ("DOUBLE", "FLOAT", "REAL"):
            # Parquet IDs stored as 12.0 must read "12", not "12.0" (when every value is whole).
            whole = self.src.con.execute(
                f"SELECT coalesce(bool_and({_ident(file_col)} = floor({_ident(file_col)})), true) "
                f"FROM {self.src.relation} WHERE NOT isnan({_ident(file_col)})").fetchone()[0]
            if whole:
                return f"CAST(CAST({t} AS BIGINT) AS VARCHAR)"
        return f"NULLIF({_strip(f'CAST({t} AS VARCHAR)')}, '')"

    # -- numbers --------------------------------------------------------------------------------
    def _number(self, i: int, c: Column, t: str) -> None:
        plan, name = self.plan, c.name
        if self.typed[name]:
            n0 = plan.add(1, f"_n{i}", f"CAST({t} AS DOUBLE)")
            bad = plan.flag(2, f"_b{i}", f"isinf({n0})", f"CAST({t} AS DOUBLE)")
            grouped = None
            other = bad
        else:
            ok, x = "true", t
            if self.thousands is not None:
                sep, dec = re.escape(self.thousands), re.escape(self.decimal)
                pattern = rf"[-+]?\d{{1,3}}({sep}\d{{3}})+({dec}\d+)?"
                ok = f"(NOT contains({x}, {_lit(self.thousands)}) OR regexp_full_match({x}, {_lit(pattern)}))"
                x = f"replace({x}, {_lit(self.thousands)}, '')"
            if self.decimal == ",":
                ok = f"({ok} AND NOT contains({x}, '.'))"
                x = f"replace({x}, ',', '.')"
            plan.add(1, f"_x{i}", x)
            plan.add(1, f"_ok{i}", f"coalesce({ok}, true)")
            # Each step one layer after what it reads: an alias used in its own SELECT is inlined (computed again).
            n0 = plan.add(2, f"_n{i}", f"CASE WHEN regexp_full_match(_x{i}, {_lit(_NUMBER)}) "
                                       f"THEN TRY_CAST(_x{i} AS DOUBLE) END")
            plan.add(3, f"_b{i}", f"({t} IS NOT NULL AND ({n0} IS NULL OR isinf({n0}) OR isnan({n0}))) "
                                  f"OR NOT _ok{i}")
            from cvkit.data.checker import _DECIMAL_COMMA, _GROUPED_NUMBER
            looks = (f"coalesce(regexp_full_match({t}, {_lit(_GROUPED_NUMBER.pattern)}) OR "
                     f"regexp_full_match({t}, {_lit(_DECIMAL_COMMA.pattern)}), false)")
            grouped = plan.flag(4, f"_fg{i}", f"_b{i} AND {looks}", t)
            other = plan.flag(4, f"_fo{i}", f"_b{i} AND NOT {looks}", t)
            bad = f"_b{i}"
        num = plan.add(4, f"_u{i}", f"CASE WHEN {bad} THEN NULL ELSE {n0} END")
        self.plan.steps.append(lambda r: self._number_problem(r, name, grouped, other))
        shown = t if not self.typed[name] else num
        if c.dtype == "int":
            frac = plan.flag(5, f"_fr{i}", f"{num} IS NOT NULL AND {num} % 1 <> 0", shown)
            self.plan.steps.append(lambda r: r.flag(
                frac, self.policy.unparsable_numbers, f"not a whole number in '{name}'",
                f"{r.n(frac)} value(s) are not whole numbers: {r.examples(frac)}.",
                f"'{name}' takes whole numbers ({c.range_text or 'integers'}); correct these cells.", name))
            num = plan.add(5, f"_w{i}", f"CASE WHEN {frac} THEN NULL ELSE {num} END")
        conds = []
        if c.min is not None:
            conds.append(f"{num} < {float(c.min)!r}")
        if c.max is not None:
            conds.append(f"{num} > {float(c.max)!r}")
        # A DOUBLE column checked as float: its value is its cell wherever the value is set, so the stage keeps
        # the value once (not the cell, the range check's copy and the value: 100M Parquet rows write less).
        same = self.typed[name] and c.dtype == "float" and self.sql_type[name] == "DOUBLE"
        if conds:
            out = plan.flag(6, f"_fx{i}", f"{num} IS NOT NULL AND ({' OR '.join(conds)})",
                            shown if shown != num else (f"_v{i}" if same else f"_u{i}"))
            self.plan.steps.append(lambda r: self._range_problem(r, c, out))
        value = f"CAST(round({num}) AS BIGINT)" if c.dtype == "int" else num
        self.value[name] = plan.add(6, f"_v{i}", value, keep=True)
        if not self.typed[name]:
            plan.sparse_text[t] = self.value[name]
        elif same:
            plan.sparse_text[t] = self.value[name]
            plan.rebuild[t] = f"CAST({self.value[name]} AS VARCHAR)"

    def _number_problem(self, r: _Report, col: str, grouped: str | None, other: str) -> None:
        opts = f"{self.config_key}.decimal / {self.config_key}.thousands"
        if grouped is not None and r.n(grouped):
            r.flag(grouped, self.policy.unparsable_numbers, f"number format in '{col}'",
                   f"{r.n(grouped)} value(s) use thousands separators or a decimal comma "
                   f"(current options: decimal '{self.decimal}', thousands "
                   f"{repr(self.thousands) if self.thousands else 'none'}): "
                   f"{r.examples(grouped)}; they are not guessed.",
                   f"set {opts} for this file (e.g. decimal: ',' and thousands: '.' for '1.234,5'), "
                   "or export numbers as 1234.5.", column=col)
        if r.n(other):
            r.flag(other, self.policy.unparsable_numbers, f"text in numeric column '{col}'",
                   f"{r.n(other)} value(s) are not numbers: {r.examples(other)}.",
                   "correct these cells: numbers only, without units or currency symbols; leave "
                   "unknown values empty.", column=col)

    def _range_problem(self, r: _Report, c: Column, flag: str) -> None:
        if not r.n(flag):
            return
        action = getattr(self.policy, c.range_check)
        if c.range_check == "negative_amounts":
            msg = f"{r.n(flag)} negative value(s): {r.examples(flag)}."
            fix = ("amounts must be >= 0: net refunds and returns into the purchase they belong to, "
                   "or set intake.negative_amounts: exclude to drop these rows.")
            reason = f"negative {c.name}"
        else:
            msg = (f"{r.n(flag)} value(s) outside the allowed range {c.range_text}: "
                   f"{r.examples(flag)}.")
            fix = (f"'{c.name}' must be {c.range_text} ({c.unit or 'see the data dictionary'}); "
                   "correct or recode these cells (e.g. a 1-11 scale minus 1), or set "
                   "intake.out_of_range: exclude to drop these rows.")
            reason = f"{c.name} out of range"
        r.flag(flag, action, reason, msg, fix, c.name)

    # -- dates ----------------------------------------------------------------------------------
    def _date(self, i: int, c: Column, t: str, file_col: str) -> None:
        from cvkit.data.checker import _DATE_SHAPES, _ISO_DATE

        plan, col = self.plan, c.name
        if self.typed[col]:
            self.value[col] = plan.add(1, f"_v{i}", f"CAST({t} AS TIMESTAMP)", keep=True)
            if self.sql_type[col] == "TIMESTAMP":  # the value is the cell: staged once (see _number)
                plan.sparse_text[t] = self.value[col]
                plan.rebuild[t] = f"CAST({self.value[col]} AS VARCHAR)"
            self._future(i, col, t)
            return
        if self.date_format is None:
            parsed = f"CASE WHEN regexp_full_match({t}, {_lit(_ISO_DATE)}) THEN TRY_CAST({t} AS TIMESTAMP) END"
        else:
            try:
                if re.search(r"%[zZ]", self.date_format):
                    raise ValueError("dates with time zones cannot be compared across rows")
                self.src.con.execute("SELECT try_strptime('2000-01-01', ?)", [self.date_format]).fetchall()
            except (duckdb.Error, ValueError) as exc:
                self.plan.steps.append(lambda r, e=exc: r.problem(
                    f"the date format {self.date_format!r} cannot be applied ({e}).",
                    f"set {self.config_key}.date_format to a strftime pattern without time zones, "
                    "e.g. '%d/%m/%Y'.", column=col))
                self.value[col] = plan.add(1, f"_v{i}", "CAST(NULL AS TIMESTAMP)", keep=True)
                return
            parsed = f"try_strptime({t}, {_lit(self.date_format)})"
        self.value[col] = plan.add(1, f"_v{i}", parsed, keep=True)
        plan.sparse_text[t] = self.value[col]
        bad = plan.flag(2, f"_db{i}", f"{t} IS NOT NULL AND _v{i} IS NULL", t)
        if self.date_format is None:
            # A well-formed date of 10 characters (YYYY-MM-DD, year >= 1000) is its value printed back: its
            # text need not be staged for every row (only quoted as the example of the expected format).
            # The same holds for an excluded row's cell (_cell_text prints a midnight value this way).
            good = plan.flag(2, f"_dg{i}", f"{t} IS NOT NULL AND _v{i} IS NOT NULL",
                             f"coalesce({t}, strftime({self.value[col]}, '%Y-%m-%d'))")
            plan.rebuilt[good] = f"length({t}) = 10 AND {self.value[col]} >= TIMESTAMP '1000-01-01'"
        else:
            good = plan.flag(2, f"_dg{i}", f"{t} IS NOT NULL AND _v{i} IS NOT NULL", t)
        shapes, seen = [], []
        for k, (pattern, name, hint) in enumerate(_DATE_SHAPES):
            cond = f"{bad} AND regexp_full_match({t}, {_lit(pattern)})" + "".join(f" AND NOT {s}" for s in seen)
            flag = plan.flag(3, f"_ds{i}_{k}", cond, t)
            seen.append(flag)
            shapes.append((flag, name, hint))
        rest = plan.flag(4, f"_dr{i}", f"{bad}" + "".join(f" AND NOT {s}" for s in seen), t)
        self.plan.steps.append(lambda r: self._date_problem(r, col, bad, good, shapes, rest))
        self._future(i, col, t)

    def _future(self, i: int, col: str, t: str) -> None:
        """Dates after the analysis date (``intake.future_dates``), as :meth:`load._Checker.check_future`."""
        as_of = self.policy.as_of
        if as_of is None:
            return
        first_after = (pd.Timestamp(as_of) + pd.Timedelta(days=1)).strftime("%Y-%m-%d %H:%M:%S")
        flag = self.plan.flag(2, f"_df{i}", f"_v{i} >= TIMESTAMP {_lit(first_after)}", t)

        def step(r: _Report) -> None:
            r.flag(flag, self.policy.future_dates, f"{col} after the analysis date",
                   f"{r.n(flag)} date(s) after the analysis date {as_of.isoformat()}: {r.examples(flag)}.",
                   "correct these dates, set analysis_date later if the data really runs past it, or set "
                   "intake.future_dates: exclude to drop these rows (they are listed in excluded.csv).", col)
        self.plan.steps.append(step)

    def _date_problem(self, r: _Report, col: str, bad: str, good: str, shapes: list, rest: str) -> None:
        if not r.n(bad):
            return
        found = [s for s in shapes if r.n(s[0])]
        expected = f"format {self.date_format!r}" if self.date_format else "ISO 8601 (YYYY-MM-DD)"
        key = f"{self.config_key}.date_format"
        if not r.n(good) and not r.n(rest) and len(found) == 1 and found[0][2]:
            flag, name, hint = found[0]
            r.problem(f"the dates are not {expected}: they look like {name}, e.g. {r.examples(flag)}; "
                      "the day/month order is not guessed.",
                      f"set {key}: {hint} for this file in engagement.yaml, or convert the dates to "
                      "YYYY-MM-DD.", column=col)
            return
        if not r.n(good) and not found:
            r.problem(f"no value could be read as a date ({expected}), e.g. {r.examples(bad)}.",
                      f"write dates as YYYY-MM-DD or set {key} to their strftime format.", column=col)
            return
        for flag, name, hint in found:
            if r.n(good):
                msg = (f"dates are written in more than one format: {r.n(good)} row(s) use {expected} "
                       f"(e.g. {r.examples(good, 1)}) but {r.n(flag)} use {name}: {r.examples(flag)}.")
            else:
                msg = f"{r.n(flag)} date(s) in another format ({name}): {r.examples(flag)}."
            fix = ("Excel serial numbers: format the column as a date (yyyy-mm-dd) before exporting."
                   if not hint else
                   f"write every date in one format (YYYY-MM-DD preferred; set {key} if all use another).")
            r.flag(flag, self.policy.unparsable_dates, f"date in another format in '{col}'", msg, fix, col)
        r.flag(rest, self.policy.unparsable_dates, f"unparsable date in '{col}'",
               f"{r.n(rest)} value(s) are not valid dates ({expected}): {r.examples(rest)}.",
               "correct these cells (a real calendar date, YYYY-MM-DD), or leave them empty if unknown.", col)


# --- the whole file ------------------------------------------------------------------------------

def _staged(stage: str | Path) -> str:
    """The stage as a relation with ``_row``, the 1-based data row: the stage holds the rows in the file's
    order, so a row's number is its position (Parquet's ``file_row_number``, read in parallel)."""
    return (f"(SELECT file_row_number + 1 AS _row, * EXCLUDE (file_row_number) "
            f"FROM read_parquet({_lit(str(stage))}, file_row_number = true))")


class _Stats:
    """Each flag's (count, first rows, first example values), as ``stats[flag]``.

    Counts come from one pass over the stage. The first rows and examples are read only for the
    flags a message quotes, and from the flagged rows only (most flags are false on every row of a
    clean file): rare flags together in one filtered pass, a flag true on many rows (e.g. well-formed
    dates, the example of the expected format) on its own.
    """

    def __init__(self, con: duckdb.DuckDBPyConnection, stage: str, plan: _Plan, n: int, counts: dict[str, int]):
        self.con, self.stage, self.plan, self.n, self.counts = con, stage, plan, n, counts
        self.details: dict[str, tuple[list, list]] = {}

    def __getitem__(self, flag: str) -> tuple[int, list, list]:
        count = self.counts[flag]
        if not count:
            return 0, [], []
        if flag not in self.details:
            self._read(flag)
        rows, values = self.details[flag]
        return count, rows, values

    def _batch(self, flag: str) -> list[str]:
        """The flags to read with ``flag``: every unread rare flag together, a common one alone."""
        rare = [f for f, c in self.counts.items() if 0 < c <= max(10_000, self.n // 100) and f not in self.details]
        return rare if flag in rare else [flag]

    def _read(self, flag: str) -> None:
        batch = self._batch(flag)
        parts = []
        for f in batch:
            parts += [f"min(_row, {_MAX_ROWS_SHOWN}) FILTER (WHERE {f})",
                      f"arg_min(CAST({self.plan.examples[f]} AS VARCHAR), _row, 3) FILTER (WHERE {f})"]
        row = self.con.execute(f"SELECT {', '.join(parts)} FROM {_staged(self.stage)} "
                               f"WHERE {' OR '.join(batch)}").fetchone()
        for k, f in enumerate(batch):
            self.details[f] = (list(row[2 * k] or []), list(row[2 * k + 1] or []))


def _stats(con: duckdb.DuckDBPyConnection, stage: str, plan: _Plan, texts: dict[str, str]
           ) -> tuple[int, _Stats, dict[str, int]]:
    """Row count, each flag's (count, first rows, first example values), non-empty cells per column."""
    parts = ["count(*)"] + [f"count_if({f})" for f in plan.examples]
    parts += [f"count({t})" + (f" + count({plan.sparse_text[t]})" if t in plan.sparse_text else "")
              for t in texts.values()]
    row = con.execute(f"SELECT {', '.join(parts)} FROM read_parquet({_lit(stage)})").fetchone()
    n = int(row[0])
    counts = {f: int(row[1 + k] or 0) for k, f in enumerate(plan.examples)}
    k = 1 + len(counts)
    filled = {name: int(row[k + j]) for j, name in enumerate(texts)}
    return n, _Stats(con, stage, plan, n, counts), filled


def _typed_example(value: Any) -> str:
    return value


def stream_load(kind: str, path: str | Path, workdir: str | Path, *, columns: dict[str, str] | None = None,
                policy: IntakePolicy | None = None, name: str | None = None, date_format: str | None = None,
                decimal: str = ".", thousands: str | None = None, attributes: Sequence[str] | None = None,
                config_key: str | None = None, spark: Any = None) -> tuple[StreamedTable | None, list[Problem]]:
    """Check data set ``kind`` at ``path`` out of core; the kept rows go to ``workdir/<kind>.rows.parquet``.

    Same arguments, rules, problems and exclusions as :func:`cvkit.data.load._load` (CSV, or Parquet:
    a file, a folder of parts or a glob). Memory is bounded by DuckDB's ``memory_limit``, not by
    the size of the file.

    ``spark``: a :class:`cvkit.data.stream_spark.SparkIntake`: the stage, the report, the duplicates
    and the write then run on its cluster, same rules and outputs, the kept rows a folder of Parquet parts. A source the cluster cannot check (a CSV that
    is not UTF-8) is checked here; ``read_info["checked_on"]`` says where it was checked and why.

    Returns
    -------
    (StreamedTable or None, list of Problem)
        The table is None when the file could not be read or lacks required columns.
    """
    from cvkit.data.checker import _Checker

    policy = policy or IntakePolicy()
    label = name or str(path)
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    chk = _Checker(kind, label, policy, decimal, thousands, date_format, config_key or f"data.{kind}")
    schema = chk.schema
    mapping = dict(columns or {})
    expected = set(schema.names) | set(mapping.values()) | set(attributes or ())
    con = duckdb_connection(workdir)
    try:
        try:
            src = _Source(con, str(path), label, workdir, expected)
        except DataError as exc:
            return None, list(exc.problems)
        resolved = chk.resolve_columns(pd.DataFrame(columns=src.columns), mapping, src.info, attributes)
        if resolved is None:
            return None, chk.problems
        chosen, free, ignored, complete = resolved
        fixed_present = [c for c in schema.columns + schema.group if c.name in chosen]
        plan = _Plan()
        cols = _Columns(src, plan, policy, decimal, thousands, date_format, chk.config_key)
        file_cols = [(c, chosen[c.name], None) for c in fixed_present] + \
                    [(Column(f, "float", nullable=True), f, schema.free) for f in free]
        for i, (c, file_col, free_kind) in enumerate(file_cols):
            cols.add(i, c, file_col, free_kind)
            if not c.nullable and free_kind is None:
                cols.missing(i, c)
        if spark is not None:  # on the cluster, unless this source cannot be checked there
            done = spark.check(kind, path, label, src, plan, cols, chk, fixed_present, free, ignored, complete,
                               workdir)
            if done is not None:
                return done
        stage = workdir / f"{kind}.stage.parquet"
        sql = plan.sql(src.relation, cols.raw)
        while True:
            try:
                con.execute(f"COPY ({sql}) TO {_lit(str(stage))} ({_WORKING})")
                break
            except duckdb.Error as exc:
                text = str(exc)
                if "unicode" in text.lower() and src.fallback_encoding():
                    sql = plan.sql(src.relation, cols.raw)
                    continue
                problems = _stage_error(src, label, text)
                if problems is None:
                    raise
                return None, problems
        try:
            return _finish(con, kind, path, label, src, stage, plan, cols, chk, policy, fixed_present, free,
                           ignored, complete, workdir)
        finally:
            stage.unlink(missing_ok=True)
    finally:
        con.close()
        shutil.rmtree(workdir / ".duckdb_spill", ignore_errors=True)


def _stage_error(src: _Source, label: str, text: str) -> list[Problem] | None:
    """The problem of a stage DuckDB could not run (a ragged CSV, an unreadable Parquet file), in the
    in-memory path's words; None for any other error (a bug: raised as it is)."""
    if src.text and "CSV Error" in text:
        return [Problem(
            file=label, message=f"the rows do not all have the same number of fields ({_ragged_message(text)}).",
            fix=f"values containing the delimiter {src.delimiter!r} must be quoted; re-export "
                "the file from the source system with quoting on.")]
    if src.text:
        return None
    return [Problem(file=label, message=f"the Parquet file cannot be read ({text.splitlines()[0]}).",
                    fix="write the file again (pandas: df.to_parquet(path)).")]


def _report(label: str, policy: IntakePolicy, stats: Any, chk: Any, fixed_present: list[Column],
            filled: dict[str, int], plan: _Plan, complete: bool, n: int) -> tuple[_Report, bool]:
    """The staged checks' problems and exclusions, in the in-memory path's words; and whether the rows
    can be written (every required column present and filled, some rows)."""
    schema = chk.schema
    report = _Report(label, policy, stats)
    report.problems = list(chk.problems)
    if n == 0:
        report.problem("the file has a header but no data rows.",
                       "export the data again including the rows, or remove this file from engagement.yaml.")
        return report, False
    empty = {c.name for c in fixed_present if filled[c.name] == 0}
    for c in fixed_present:
        if c.name in empty and schema.column(c.name).required:
            report.problem(f"required column '{c.name}' is empty in every row.",
                           f"fill the column (or map the right column in {chk.config_key}.columns.{c.name}).",
                           column=c.name)
            complete = False
    plan.empty |= empty
    for step in plan.steps:
        step(report)
    return report, complete


def _reason_sql(report: _Report) -> str:
    """SQL of a row's exclusion reason: the first exclusion check it fails, else NULL."""
    if not report.exclusions:
        return "CAST(NULL AS VARCHAR)"
    return "CASE " + " ".join(f"WHEN {f} THEN {_lit(r)}" for f, r in report.exclusions) + " END"


def _out_columns(schema: Schema, values: dict[str, str], free: list[str]) -> list[str]:
    """SQL of the kept rows' canonical columns (absent optional columns typed, empty)."""
    out_cols = []
    for c in schema.columns:
        if c.name in values:
            out_cols.append(f"{values[c.name]} AS {_ident(c.name)}")
        elif not c.required:
            out_cols.append(f"{_empty_sql(c)} AS {_ident(c.name)}")
    out_cols += [f"{values[c.name]} AS {_ident(c.name)}" for c in schema.group if c.name in values]
    out_cols += [f"{values[f]} AS {_ident(f)}" for f in free]
    return out_cols


def _excluded_cells(names: list[str], cols: _Columns, plan: _Plan, fixed_present: list[Column]) -> str:
    """SQL of an excluded row's cells as text, one column per checked column."""
    dtypes = {c.name: c.dtype for c in fixed_present}
    texts = [cols.text[nm] for nm in names]
    return ", ".join(f"{_cell_text(t, plan.sparse_text.get(t), dtypes.get(nm, 'float'), plan.rebuild.get(t))} "
                     f"AS {_ident(nm)}" for nm, t in zip(names, texts))


def _finish(con, kind, path, label, src, stage, plan, cols, chk, policy, fixed_present, free, ignored,
            complete, workdir) -> tuple[StreamedTable | None, list[Problem]]:
    """Report the staged checks, find duplicates, write kept and excluded rows."""
    schema = chk.schema
    names = [c.name for c in fixed_present] + free
    n, stats, filled = _stats(con, str(stage), plan, {nm: cols.text[nm] for nm in names})
    report, ok = _report(label, policy, stats, chk, fixed_present, filled, plan, complete, n)
    if not ok:
        return None, report.problems
    staged = f"(SELECT *, {_reason_sql(report)} AS _reason FROM {_staged(stage)})"
    values = {nm: cols.value[nm] for nm in names}
    extra = _duplicates(con, staged, schema, values, chk, report)
    out_cols = _out_columns(schema, values, free)
    rows_path = workdir / f"{kind}.rows.parquet"
    if extra:
        staged = (f"(SELECT s.* REPLACE (coalesce(s._reason, e._why) AS _reason) FROM {staged} s "
                  "LEFT JOIN _extra e USING (_row) ORDER BY s._row)")
    con.execute(f"COPY (SELECT _row, {', '.join(out_cols)} FROM {staged} WHERE _reason IS NULL) "
                f"TO {_lit(str(rows_path))} ({_WORKING})")
    cells = _excluded_cells(names, cols, plan, fixed_present)
    excluded_path = workdir / f"{kind}.excluded.0.parquet"
    con.execute(f"COPY (SELECT _row AS row, _reason AS reason, {cells} FROM {staged} WHERE _reason IS NOT NULL) "
                f"TO {_lit(str(excluded_path))} (FORMAT parquet)")
    n_kept = int(con.execute(f"SELECT count(*) FROM read_parquet({_lit(str(rows_path))})").fetchone()[0])
    table = StreamedTable(kind=kind, source=str(path), rows_path=rows_path, excluded_paths=[excluded_path],
                          n_rows=n_kept, n_excluded=n - n_kept, columns_found=names, ignored_columns=ignored,
                          read_info=dict(src.info, streamed=True), workdir=workdir)
    return table, report.problems


def _value_text(value: str, dtype: str) -> str:
    """SQL of a checked value as text, as pandas writes it (dates without a time at midnight)."""
    if dtype == "date":
        return (f"CASE WHEN CAST({value} AS TIME) = TIME '00:00:00' THEN strftime({value}, '%Y-%m-%d') "
                f"ELSE CAST({value} AS VARCHAR) END")
    return f"CAST({value} AS VARCHAR)"


def _cell_text(text: str, value: str | None, dtype: str = "float", rebuild: str | None = None) -> str:
    """SQL of an excluded cell as text: as written, or (where the stage kept only the value) the value
    (``rebuild``: a typed cell's text from its value)."""
    if value is None:
        return f"CAST({text} AS VARCHAR)"
    return f"coalesce(CAST({text} AS VARCHAR), {rebuild or _value_text(value, dtype)})"


def _empty_sql(c: Column) -> str:
    """An absent optional column, typed like the in-memory path's empty column."""
    return {"date": "CAST(NULL AS TIMESTAMP)", "float": "CAST(NULL AS DOUBLE)", "int": "CAST(NULL AS BIGINT)",
            "bool": "false"}.get(c.dtype, "CAST(NULL AS VARCHAR)")


def _duplicates(con, staged: str, schema: Schema, values: dict[str, str], chk, report: _Report) -> bool:
    """Identical rows, then rows sharing a key, among rows kept so far.

    New exclusions go to the temp table ``_extra(_row, _why)`` (row sets stay in DuckDB, not Python, so a
    log with millions of repeated rows costs disk, not memory); returns whether there are any.
    """
    policy = chk.policy
    con.execute("CREATE OR REPLACE TEMP TABLE _extra (_row BIGINT, _why VARCHAR)")
    vcols = list(values.values())
    present = [k for k in schema.key if k in values]
    filled = con.execute(f"SELECT {', '.join(f'count({values[k]}) > 0' for k in present)} FROM {staged}"
                         ).fetchone() if present else ()
    key_names = [k for k, f in zip(present, filled) if f]
    key = [values[k] for k in key_names]
    alive = "_reason IS NULL"
    key_unique = False
    if key:
        complete = " AND ".join(f"{k} IS NOT NULL" for k in key)
        n_alive, n_complete = con.execute(
            f"SELECT count(*), count_if({complete}) FROM {staged} WHERE {alive}").fetchone()
        key_unique = n_alive == n_complete and not _repeats(con, staged, alive, key)
    con.execute("CREATE OR REPLACE TEMP TABLE _dups (_row BIGINT, later BOOLEAN)")
    if not key_unique:
        cols = ", ".join(vcols)
        con.execute(
            f"INSERT INTO _dups WITH g AS (SELECT {cols} FROM {staged} WHERE {alive} GROUP BY ALL "
            f"HAVING count(*) > 1) SELECT s._row, row_number() OVER (PARTITION BY "
            f"{', '.join('s.' + v for v in vcols)} ORDER BY s._row) > 1 FROM {staged} s SEMI JOIN g ON "
            + " AND ".join(f"s.{v} IS NOT DISTINCT FROM g.{v}" for v in vcols) + f" WHERE s.{alive}")
        n_dup, n_later = con.execute("SELECT count(*), count_if(later) FROM _dups").fetchone()
        if n_dup:
            if policy.duplicate_rows == "exclude":
                con.execute("INSERT INTO _extra SELECT _row, 'duplicate row' FROM _dups WHERE later")
            elif policy.duplicate_rows == "error":
                rows = [r for (r,) in con.execute(
                    f"SELECT _row FROM _dups ORDER BY _row LIMIT {_MAX_ROWS_SHOWN}").fetchall()]
                report.problems.append(Problem(
                    file=report.label, message=f"{n_later} row(s) repeat an earlier row exactly.",
                    fix="remove the repeated rows, or set intake.duplicate_rows: exclude to drop the copies"
                        + (" (or keep, if they are genuine identical purchases; better: add transaction_id)"
                           if chk.kind == "transactions" else "") + ".",
                    rows=tuple(rows), n_rows=int(n_dup)))
    if not key or key_unique:
        return _has_extra(con)
    drop_later = "later" if policy.duplicate_rows != "keep" else "false"
    complete = " AND ".join(f"{k} IS NOT NULL" for k in key)
    sub = (f"(SELECT * FROM {staged} WHERE {alive} AND {complete} AND _row NOT IN (SELECT _row FROM _extra) "
           f"AND _row NOT IN (SELECT _row FROM _dups WHERE {drop_later}))")
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE _keydup AS WITH g AS (SELECT {', '.join(key)} FROM {sub} GROUP BY ALL "
        f"HAVING count(*) > 1) SELECT s._row, row_number() OVER (PARTITION BY {', '.join('s.' + k for k in key)} "
        f"ORDER BY s._row) > 1 AS later, {', '.join(f's.{k} AS _k{j}' for j, k in enumerate(key))} "
        f"FROM {sub} s SEMI JOIN g ON " + " AND ".join(f"s.{k} = g.{k}" for k in key))
    n_dup = con.execute("SELECT count(*) FROM _keydup").fetchone()[0]
    if not n_dup:
        return _has_extra(con)
    key_text = " + ".join(key_names)
    if policy.duplicate_ids == "exclude":
        con.execute(f"INSERT INTO _extra SELECT _row, {_lit('duplicate ' + key_text)} FROM _keydup WHERE later")
        return _has_extra(con)
    kcols = ", ".join(f"_k{j}" for j in range(len(key)))
    shown_vals = con.execute(f"SELECT {kcols} FROM _keydup GROUP BY ALL ORDER BY min(_row) LIMIT 3").fetchall()
    shown = ", ".join("'" + "' / '".join(str(v) for v in vals) + "'" for vals in shown_vals)
    rows = [r for (r,) in con.execute(f"SELECT _row FROM _keydup ORDER BY _row LIMIT {_MAX_ROWS_SHOWN}").fetchall()]
    report.problems.append(Problem(
        file=report.label, column=key_text, rows=tuple(rows), n_rows=int(n_dup),
        message=f"{n_dup} row(s) share a {key_text} that should be unique, e.g. {shown}.",
        fix=f"one row per {schema.one_row_per}: merge or remove the duplicates, or set "
            "intake.duplicate_ids: exclude to keep only the first."))
    return _has_extra(con)


def _repeats(con, staged: str, alive: str, key: list[str]) -> bool:
    """Whether two kept rows share a key. Grouping the key's 64-bit hash is much cheaper than grouping
    its text; rows with equal keys have equal hashes, so no repeated hash means no repeated key, and
    only a repeated hash (a real repeat or, rarely, a collision) needs the exact grouping."""
    for group in (f"hash({', '.join(key)})", ", ".join(key)):
        if not con.execute(f"SELECT count(*) FROM (SELECT 1 FROM {staged} WHERE {alive} GROUP BY {group} "
                           "HAVING count(*) > 1)").fetchone()[0]:
            return False
    return True


def _has_extra(con) -> bool:
    return bool(con.execute("SELECT count(*) > 0 FROM _extra").fetchone()[0])
