"""Where a notebook's tables and figures go: the run's output folder.

Every analysis notebook makes one :class:`Outputs` for its analysis and hands
it each table and figure the deliverable should carry. The runner later
gathers all tables into one Excel workbook and lists everything in the
manifest. With ``output_dir=""`` (a notebook opened on its own) nothing is
written and the calls just pass their object through, so the same notebook
works interactively and under papermill.

Layout written under ``output_dir``::

    tables/<analysis>/<name>.csv
    figures/<analysis>/<name>.png and .svg
    results/<analysis>.json   (key figures + the structured section: see cvkit.engagement.results)
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import matplotlib
import matplotlib.axes
import matplotlib.figure
import pandas as pd

from cvkit.data.formulas import neutralise_frame
from cvkit.jsonable import json_default, plain_nested

__all__ = ["Outputs"]

_NAME = re.compile(r"^[a-z0-9][a-z0-9_]*$")


class Outputs:
    """Collects one analysis's exported tables, figures and key results.

    Parameters
    ----------
    output_dir : str or Path
        The run's output folder; ``""`` disables writing.
    analysis : str
        Short analysis name used as sub-folder, e.g. ``"clv"``.
    """

    def __init__(self, output_dir: str | Path, analysis: str):
        if not _NAME.match(analysis):
            raise ValueError(f"analysis name {analysis!r} must be lower-case letters, digits and '_'")
        self.analysis = analysis
        self.root = Path(output_dir) if str(output_dir) else None
        self.tables: dict[str, Path] = {}
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
        """Write ``df`` as ``tables/<analysis>/<name>.csv`` and return it unchanged.

        Floats are written with full precision so reruns compare byte for byte. Text cells that a
        spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``, tab, CR) are written with a
        leading ``'`` (:func:`cvkit.data.formulas.neutralise_frame`); code reading the CSV back
        calls :func:`cvkit.data.formulas.restore_frame`. The returned frame is ``df`` unchanged.
        """
        self._check(name, self.tables)
        if self.root is not None:
            path = self.root / "tables" / self.analysis / f"{name}.csv"
            path.parent.mkdir(parents=True, exist_ok=True)
            safe = neutralise_frame(df)
            # The csv module quotes only fields holding "\n" (the line terminator), so a bare "\r" in a
            # text cell would split the row for every reader: then quote every field.
            quoting = csv.QUOTE_ALL if _has_carriage_return(safe) else csv.QUOTE_MINIMAL
            safe.to_csv(path, index=index, lineterminator="\n", quoting=quoting)
            self.tables[name] = path
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


def _has_carriage_return(df: pd.DataFrame) -> bool:
    names = [*map(str, df.columns), *(map(str, df.index) if df.index.dtype == object else [])]
    if any("\r" in n for n in names):
        return True
    text = [c for c in df.columns if df[c].dtype == object or pd.api.types.is_string_dtype(df[c].dtype)]
    return any(df[c].astype(str).str.contains("\r", regex=False).any() for c in text)
