"""Where a notebook's tables and figures go: the run's output folder.

Every analysis notebook makes one :class:`Outputs` for its analysis and hands
it each table and figure the deliverable should carry. The runner later
gathers all tables into one Excel workbook and lists everything in the
manifest. With ``output_dir=""`` (a notebook opened on its own) nothing is
written and the calls just pass their object through, so the same notebook
works interactively and under papermill.

Layout written under ``output_dir``::

    tables/<analysis>/<name>.csv
    tables/<analysis>/<name>.parquet          (tables of more than ``large_rows`` rows, e.g. one row per customer)
    tables/<analysis>/<name>_parts/<name>_partNNN.csv   (tables too long for a spreadsheet: 1,000,000 rows a part)
    figures/<analysis>/<name>.png and .svg
    results/<analysis>.json   (key figures + the structured section: see cvkit.engagement.results)

Every table is written in full as CSV at ``tables/<analysis>/<name>.csv`` whatever its size (later
notebooks of the run read it there, e.g. the segmentation reads ``tables/clv/customers.csv``). A
*large* table (more than :func:`large_table_rows` rows, 10,000 unless ``CVKIT_LARGE_TABLE_ROWS``
says otherwise) is also written as Parquet (typed, exact, compressed; what tools should read) and,
when it has more rows than a spreadsheet opens (Excel: 1,048,576 including the header), as CSV parts
of 1,000,000 rows. The workbook and the pages then show its first and last rows and say where the
full table is (:mod:`cvkit.engagement.workbook`, :class:`cvkit.present.Table`).
"""

from __future__ import annotations

import csv
import json
import os
import re
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import matplotlib
import matplotlib.axes
import matplotlib.figure
import pandas as pd

from cvkit.data.formulas import neutralise_frame
from cvkit.jsonable import json_default, plain_nested
from cvkit.present.table import FULL_TABLE_ATTR  # DataFrame.attrs key: where the full table is

__all__ = ["Outputs", "large_table_rows", "FULL_TABLE_ATTR", "EXCEL_MAX_ROWS", "CSV_PART_ROWS"]

_NAME = re.compile(r"^[a-z0-9][a-z0-9_]*$")
LARGE_TABLE_ROWS = 10_000  # above this a table is previewed (workbook, pages) and also written as Parquet
EXCEL_MAX_ROWS = 1_048_576  # rows of an Excel sheet, header included
CSV_PART_ROWS = 1_000_000  # rows of one CSV part (a multiple of _CHUNK_ROWS)
_CHUNK_ROWS = 200_000  # rows formatted at a time: the CSV text of a big table never sits in memory whole


def large_table_rows() -> int:
    """Rows above which a table is *large*: ``CVKIT_LARGE_TABLE_ROWS`` or 10,000.

    Raises
    ------
    ValueError
        The environment variable is not a whole number of at least 1.
    """
    raw = os.environ.get("CVKIT_LARGE_TABLE_ROWS", "").strip()
    if not raw:
        return LARGE_TABLE_ROWS
    if not raw.isdigit() or int(raw) < 1:
        raise ValueError(f"CVKIT_LARGE_TABLE_ROWS={raw!r} must be a whole number of rows of at least 1 "
                         f"(e.g. 10000), or unset for the default {LARGE_TABLE_ROWS:,}")
    return int(raw)


class Outputs:
    """Collects one analysis's exported tables, figures and key results.

    Parameters
    ----------
    output_dir : str or Path
        The run's output folder; ``""`` disables writing.
    analysis : str
        Short analysis name used as sub-folder, e.g. ``"clv"``.
    large_rows : int, optional
        Rows above which a table is also written as Parquet (and CSV parts when a spreadsheet
        cannot hold it); default :func:`large_table_rows`.
    """

    def __init__(self, output_dir: str | Path, analysis: str, *, large_rows: int | None = None):
        if not _NAME.match(analysis):
            raise ValueError(f"analysis name {analysis!r} must be lower-case letters, digits and '_'")
        self.analysis = analysis
        self.root = Path(output_dir) if str(output_dir) else None
        self.large_rows = large_table_rows() if large_rows is None else int(large_rows)
        self.tables: dict[str, Path] = {}
        self.full_tables: dict[str, Path] = {}  # name -> Parquet of a large table
        self.parts: dict[str, list[Path]] = {}  # name -> CSV parts of a table longer than a spreadsheet
        self.figures: dict[str, Path] = {}
        self.files: dict[str, Path] = {}
        self._results: dict[str, Any] = {}
        self._section: dict[str, Any] | None = None
        self._flags: list[dict[str, str]] = []

    @property
    def enabled(self) -> bool:
        """True when files are written (an output folder was given)."""
        return self.root is not None

    def _check(self, name: str, registry: dict[str, Path]) -> None:
        if not _NAME.match(name):
            raise ValueError(f"output name {name!r} must be lower-case letters, digits and '_'")
        if name in registry:
            raise ValueError(f"{self.analysis}: output {name!r} was already written by this notebook")

    def table(self, df: pd.DataFrame, name: str, *, index: bool = False) -> pd.DataFrame:
        """Write ``df`` as ``tables/<analysis>/<name>.csv`` and return it.

        Floats are written with full precision so reruns compare byte for byte. Text cells that a
        spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``, tab, CR) are written with a
        leading ``'`` (:func:`cvkit.data.formulas.neutralise_frame`); code reading the CSV back
        calls :func:`cvkit.data.formulas.restore_frame`.

        A table of more than ``large_rows`` rows is also written as ``<name>.parquet`` (the data's
        own values and types, read back exactly by ``pandas.read_parquet``) and, above a
        spreadsheet's 1,048,576 rows, as ``<name>_parts/<name>_partNNN.csv``; ``df.attrs`` then
        records where the full table is (``FULL_TABLE_ATTR``) so :func:`cvkit.present.show` can say
        so under its preview. Otherwise the returned frame is ``df`` unchanged.
        """
        self._check(name, self.tables)
        if self.root is not None:
            folder = self.root / "tables" / self.analysis
            path = folder / f"{name}.csv"
            folder.mkdir(parents=True, exist_ok=True)
            large = len(df) > self.large_rows
            parts_dir = folder / f"{name}_parts" if large and len(df) >= EXCEL_MAX_ROWS else None
            parts = _write_csv(df, path, index=index, parts_dir=parts_dir)
            self.tables[name] = path
            if large:
                self.full_tables[name] = _write_parquet(df, folder / f"{name}.parquet", index=index)
                df.attrs[FULL_TABLE_ATTR] = f"tables/{self.analysis}/{name}"
            if parts:
                self.parts[name] = parts
        return df

    def figure(self, fig: matplotlib.figure.Figure | matplotlib.axes.Axes, name: str) -> None:
        """Save a figure (or the figure of an Axes) as PNG and SVG."""
        self._check(name, self.figures)
        if isinstance(fig, matplotlib.axes.Axes):
            fig = fig.figure
        if self.root is not None:
            folder = self.root / "figures" / self.analysis
            folder.mkdir(parents=True, exist_ok=True)
            # Fixed metadata and SVG id salt keep reruns byte-identical (no dates, no random ids).
            with matplotlib.rc_context({"svg.hashsalt": "cvkit"}):
                fig.savefig(folder / f"{name}.png", dpi=150, bbox_inches="tight", metadata={"Software": None})
                fig.savefig(folder / f"{name}.svg", bbox_inches="tight", metadata={"Date": None})
            self.figures[name] = folder / f"{name}.png"

    def file(self, name: str, write: Callable[..., Any], **options: Any) -> Path | None:
        """Write a file that is not a table (e.g. the typing tool) as ``tables/<analysis>/<name>``.

        ``write(path, **options)`` writes it; nothing is written (and None returned) when
        writing is disabled. ``name`` is lower-case letters, digits and '_' plus an extension.
        """
        stem, dot, ext = name.rpartition(".")
        if not dot or not ext.isalnum():
            raise ValueError(f"file name {name!r} needs an extension, e.g. 'typing_tool.xlsx'")
        self._check(stem, {})
        if name in self.files:
            raise ValueError(f"{self.analysis}: output {name!r} was already written by this notebook")
        if self.root is None:
            return None
        path = self.root / "tables" / self.analysis / name
        path.parent.mkdir(parents=True, exist_ok=True)
        write(path, **options)
        self.files[name] = path
        return path

    def text(self, name: str, text: str) -> Path | None:
        """Write ``text`` (UTF-8) as ``tables/<analysis>/<name>`` (see :meth:`file`)."""
        return self.file(name, lambda path: path.write_text(text, encoding="utf-8"))

    def result(self, key: str, value: Any, *, unit: str | None = None, label: str | None = None) -> Any:
        """Record one key figure (number, string, list or dict) for the results file."""
        self._results[key] = {"value": value, "unit": unit, "label": label or key}
        self._write_results()
        return value

    def section(self, data: Any = None, **fields: Any) -> Any:
        """Record the analysis's structured results section, validated against its model now.

        Pass a model instance of :mod:`cvkit.engagement.results` (e.g. ``ClvResults.from_tables(...)``), a
        mapping, or the fields as keywords. A section that does not follow the contract stops the
        notebook here, naming the field, rather than the synthesis later.

        Returns
        -------
        The validated model (e.g. :class:`cvkit.engagement.results.ClvResults`).

        Raises
        ------
        cvkit.engagement.results.ResultsError
        """
        from cvkit.engagement.results import validate_section

        if data is not None and fields:
            raise TypeError("give the section either as one object or as keywords, not both")
        model = validate_section(self.analysis, fields if data is None else data,
                                 where=f"the {self.analysis} results section")
        self._section = model.model_dump(mode="json")
        self._write_results()
        return model

    def write(self, step: Any, *, section: Callable[..., Any] | None = None) -> Any:
        """Write what an analysis step carries and return the step (so the cell displays it).

        ``step`` is a :class:`cvkit.segment.step.Step` (or anything with its attributes): its
        ``tables``, ``figures``, ``files``, ``texts`` and key figures (``results``) are written as
        :meth:`table`, :meth:`figure`, :meth:`file`, :meth:`text` and :meth:`result` would. When the
        step carries a results section (``step.section``, the keywords of a builder) and ``section``
        is given (e.g. ``SegmentationResults.from_tables``), the section is recorded as
        ``self.section(section(**step.section))``. An empty step writes nothing.
        """
        for name, df in step.tables.items():
            self.table(df, name)
        for name, ax in step.figures.items():
            self.figure(ax, name)
        for name, (write, options) in step.files.items():
            self.file(name, write, **options)
        for name, text in step.texts.items():
            self.text(name, text)
        for key, value, unit, label in step.results:
            self.result(key, value, unit=unit, label=label)
        if section is not None and step.section is not None:
            self.section(section(**step.section))
        return step

    def red_flags(self, flags: list[Any]) -> list[Any]:
        """Record the page's red flags (:class:`cvkit.engagement.flags.RedFlag`) in its results file.

        The overview gathers them from every page of the run; returns ``flags`` unchanged.
        """
        self._flags = [f.as_dict() if hasattr(f, "as_dict") else dict(f) for f in flags]
        self._write_results()
        return flags

    def _write_results(self) -> None:
        if self.root is None:
            return
        from cvkit.engagement.results import SCHEMA_VERSION

        path = self.root / "results" / f"{self.analysis}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        content = {"schema_version": SCHEMA_VERSION, "analysis": self.analysis,
                   "key_figures": plain_nested(json.loads(json.dumps(self._results, default=json_default))), "section": self._section,
                   "red_flags": self._flags}
        path.write_text(json.dumps(content, indent=2, sort_keys=True, default=json_default, allow_nan=False) + "\n")


def _write_csv(df: pd.DataFrame, path: Path, *, index: bool, parts_dir: Path | None) -> list[Path]:
    """Write ``df`` (formula-neutralised) to ``path`` 200,000 rows at a time; also as parts when asked.

    Returns the parts written (none without ``parts_dir``).
    """
    # The csv module quotes only fields holding "\n" (the line terminator), so a bare "\r" in a
    # text cell would split the row for every reader: then quote every field.
    quoting = csv.QUOTE_ALL if _has_carriage_return(df) else csv.QUOTE_MINIMAL
    options = {"index": index, "lineterminator": "\n", "quoting": quoting}
    if parts_dir is not None:
        parts_dir.mkdir(parents=True, exist_ok=True)
    parts: list[Path] = []
    header = neutralise_frame(df.iloc[:0]).to_csv(**options)  # each chunk is formatted once, for both files
    with open(path, "w", encoding="utf-8", newline="") as whole, ExitStack() as stack:
        whole.write(header)
        for start in range(0, len(df), _CHUNK_ROWS):
            text = neutralise_frame(df.iloc[start:start + _CHUNK_ROWS]).to_csv(header=False, **options)
            whole.write(text)
            if parts_dir is None:
                continue
            if start % CSV_PART_ROWS == 0:
                stack.close()  # the previous part is complete
                parts.append(parts_dir / f"{path.stem}_part{len(parts) + 1:03d}.csv")
                part = stack.enter_context(open(parts[-1], "w", encoding="utf-8", newline=""))
                part.write(header)
            part.write(text)
    return parts


def _write_parquet(df: pd.DataFrame, path: Path, *, index: bool) -> Path:
    """Write ``df`` as Parquet with its own values and types (zstd); cells Arrow cannot type become text."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    frame = df if all(isinstance(c, str) for c in df.columns) else df.rename(columns=str)
    try:
        table = pa.Table.from_pandas(frame, preserve_index=index)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        # A column mixing types (e.g. numbers and text, or mappings): its cells as text, as in the CSV.
        mixed = {c: frame[c].map(lambda v: v if v is None or isinstance(v, str) or (isinstance(v, float) and v != v) else str(v))
                 for c in frame.columns if frame[c].dtype == object}
        table = pa.Table.from_pandas(frame.assign(**mixed), preserve_index=index)
    pq.write_table(table, path, compression="zstd")
    return path


def _has_carriage_return(df: pd.DataFrame) -> bool:
    names = [*map(str, df.columns), *(map(str, df.index) if df.index.dtype == object else [])]
    if any("\r" in n for n in names):
        return True
    text = [c for c in df.columns if df[c].dtype == object or pd.api.types.is_string_dtype(df[c].dtype)]
    return any(df[c].astype(str).str.contains("\r", regex=False).any() for c in text)
