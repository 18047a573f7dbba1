"""The one JSON cleaner: numpy/pandas values to what ``json`` writes, NaN and missing to null.

Results files, notebook outputs and the saved simulator all store values that come out of
numpy and pandas; these helpers make them plain Python once, the same way everywhere.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

__all__ = ["plain", "plain_nested", "json_default"]


def plain(value: Any) -> Any:
    """numpy/pandas scalars to Python; NaN and missing to None (JSON has no NaN)."""
    if isinstance(value, (str, bytes, bool)) or value is None:
        return value
    if hasattr(value, "item") and not isinstance(value, (list, dict, tuple)) and getattr(value, "ndim", 0) == 0:
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if value is pd.NA or value is pd.NaT:
        return None
    return value


def plain_nested(value: Any) -> Any:
    """:func:`plain` through lists and plain mappings."""
    if isinstance(value, list):
        return [plain_nested(v) for v in value]
    if isinstance(value, dict):
        return {k: plain_nested(v) for k, v in value.items()}
    return plain(value)


def json_default(obj: Any) -> Any:
    """``default=`` for :func:`json.dumps`: numpy scalars, dates, tuples and sets; anything else is refused."""
    if hasattr(obj, "item"):
        return obj.item()
    if hasattr(obj, "isoformat"):
        return obj.isoformat()
    if isinstance(obj, (set, tuple)):
        return list(obj)
    raise TypeError(f"cannot store {type(obj).__name__} as JSON")
