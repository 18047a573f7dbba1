"""Spreadsheet formula neutralisation for text cells (OWASP CSV injection), reversible.

A CSV or Excel cell whose text starts with ``=``, ``+``, ``-``, ``@``, tab or carriage return is
read by spreadsheet programs as a formula (``=HYPERLINK(...)``, ``=cmd|' /C calc'!A0``). OWASP's
advice is to prefix such text with a single quote. cvkit does that in every CSV it writes
(:func:`neutralise_frame`) and keeps numbers numeric: only text cells are touched, and text that is
a plain number (``-12.5``) is left alone because no spreadsheet evaluates it as a formula.

The prefix is reversible, because cvkit reads its own CSVs back (the workbook, the market
simulator, needs segmentation on part-worths): a value is prefixed when, after its leading
apostrophes, it looks like a formula, so a value that already started with ``'=`` gets a second
apostrophe and :func:`restore_formula` removes exactly one.

This module sits in :mod:`cvkit.data` so the analyses can read cvkit's tables back without
importing :mod:`cvkit.engagement`; the engagement-facing API is :mod:`cvkit.engagement.sanitize`.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["FORMULA_PREFIXES", "is_formula_like", "neutralise_formula", "restore_formula",
           "neutralise_frame", "restore_frame"]

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
"""Leading characters that make a spreadsheet program treat a cell as a formula (OWASP)."""

_PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?%?")


def is_formula_like(value: Any) -> bool:
    """True when a spreadsheet program would read this text cell as a formula (OWASP prefixes)."""
    return (isinstance(value, str) and value.startswith(FORMULA_PREFIXES)
            and not _PLAIN_NUMBER.fullmatch(value))


def _needs_prefix(value: Any) -> bool:
    return isinstance(value, str) and is_formula_like(value.lstrip("'"))


def neutralise_formula(value: Any) -> Any:
    """A text cell made inert for CSV: ``'`` prepended when it starts like a formula; else unchanged.

    Non-strings (numbers, dates, missing values) are returned as they are.
    """
    return "'" + value if _needs_prefix(value) else value


def restore_formula(value: Any) -> Any:
    """The value :func:`neutralise_formula` was given (one prefix apostrophe removed)."""
    if isinstance(value, str) and value.startswith("'") and _needs_prefix(value[1:]):
        return value[1:]
    return value


def _text_columns(frame: Any) -> list[Any]:
    import pandas as pd

    return [c for c in frame.columns
            if pd.api.types.is_object_dtype(frame[c].dtype) or pd.api.types.is_string_dtype(frame[c].dtype)]


def _map_frame(frame: Any, func: Any, test: Any, columns: bool) -> Any:
    import pandas as pd

    out = frame.copy()
    for name in _text_columns(frame):
        col = out[name]
        if col.map(test, na_action="ignore").fillna(False).astype(bool).any():
            out[name] = col.map(func, na_action="ignore")
    if columns:
        out.columns = pd.Index([func(c) for c in out.columns]) if not isinstance(out.columns, pd.MultiIndex) \
            else out.columns
        if not isinstance(out.index, pd.MultiIndex) and out.index.dtype == object:
            out.index = out.index.map(func)
    return out


def neutralise_frame(frame: Any, *, columns: bool = True) -> Any:
    """A copy of a DataFrame whose text cells (and column names) cannot run as spreadsheet formulas.

    Only object/string columns are touched; numeric, boolean and datetime columns are unchanged.
    """
    return _map_frame(frame, neutralise_formula, _needs_prefix, columns)


def restore_frame(frame: Any, *, columns: bool = True) -> Any:
    """The frame :func:`neutralise_frame` was given, from a CSV cvkit wrote (read back with pandas)."""
    def test(v: Any) -> bool:
        return isinstance(v, str) and v.startswith("'")

    return _map_frame(frame, restore_formula, test, columns)
