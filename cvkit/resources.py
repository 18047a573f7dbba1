"""Where cvkit finds its templates and packaged reference data."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pandas as pd

__all__ = ["templates_dir", "load_elements"]


def templates_dir() -> Path:
    """The repository's ``templates/`` folder (config, data dictionary, report template)."""
    here = Path(__file__).resolve().parent
    for candidate in (here.parent / "templates", here / "templates"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(
        "cvkit's templates/ folder was not found next to the package; install cvkit from its "
        "repository with `pip install -e .` (the Makefile does this)."
    )


@lru_cache(maxsize=1)
def _elements() -> pd.DataFrame:
    df = pd.read_csv(templates_dir() / "elements_of_value.csv", dtype={"order": "int64"})
    df["level"] = pd.Categorical(df["level"], ["functional", "emotional", "life_changing", "social_impact"],
                                 ordered=True)
    return df


def load_elements() -> pd.DataFrame:
    """The 30 elements of value (Bain & Company's pyramid) as a table.

    Returns
    -------
    DataFrame, shape (30, 6)
        Columns ``element`` (slug used as column name in survey files), ``name``,
        ``level`` (ordered categorical: functional < emotional < life_changing <
        social_impact), ``order``, ``definition`` and ``survey_wording`` (with a
        ``{brand}`` placeholder).
    """
    return _elements().copy()
