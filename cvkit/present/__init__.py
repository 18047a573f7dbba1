"""How cvkit shows results to a client: formatted tables, locale-aware numbers, human labels.

Notebooks call :func:`configure` once with the engagement's locale and currency, then
:func:`show` for every table a client reads (never ``print`` of a DataFrame, dict or list).
The same glossary and formats label the Excel workbook (``cvkit.engagement.report``).

See :mod:`cvkit.present.table` for why a house pandas Styler rather than great_tables.
"""

from cvkit.present.formats import DASH, Formats, default_locale, paper_size
from cvkit.present.glossary import GLOSSARY, humanise, kind, label, value_label, words
from cvkit.present.table import NA_NOTE, Table, configure, current, not_applicable, show, show_text, table

__all__ = ["configure", "current", "show", "show_text", "table", "Table", "Formats", "default_locale",
           "paper_size", "label", "kind", "humanise", "value_label", "GLOSSARY", "DASH", "NA_NOTE",
           "money", "money_column", "percent", "number", "count", "not_applicable",
           "words"]


def money(value, decimals=None) -> str:
    """A money amount in the configured currency and locale (``€333,858``)."""
    return current().money(value, decimals)


def money_column(values, decimals=None):
    """A column of money amounts as text with one number of decimals for all of them.

    ``€1,901`` next to ``€868.19`` reads as two kinds of number: the decimals are chosen once for the
    column (whole units when any amount reaches 1,000, as :func:`show` does). Missing amounts are "".
    """
    import pandas as pd

    from cvkit.present.formats import decimals_for

    series = pd.Series(values)
    places = decimals_for(series, kind="money") if decimals is None else decimals
    return series.map(lambda v: "" if v is None or pd.isna(v) else current().money(v, places))


def percent(share, decimals: int = 1) -> str:
    """A 0..1 share as a percentage (``9.1%``)."""
    return current().percent(share, decimals)


def number(value, decimals: int = 1) -> str:
    """A number with the locale's separators."""
    return current().number(value, decimals)


def count(value) -> str:
    """A whole number with the locale's thousands separators."""
    return current().count(value)
