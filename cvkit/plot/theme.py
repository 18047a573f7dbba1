"""The house style: seaborn theme, brand palette and currency axes.

The client is always drawn in the same strong colour and competitors in
muted greys/blues, in every chart of every notebook, so a reader learns the
code once.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib as mpl
import matplotlib.axes
import matplotlib.dates as mdates
import matplotlib.ticker as mticker
import seaborn as sns

__all__ = ["CLIENT_COLOR", "COMPETITOR_COLORS", "ACCENT", "CATEGORY_COLORS", "thousands_axis", "set_theme", "brand_palette", "currency_axis",
           "date_axis", "format_currency"]

CLIENT_COLOR = "#C8102E"  # the client's colour, everywhere
COMPETITOR_COLORS = ("#5B6770", "#8FA3B0", "#B8C4CC", "#3E4A52", "#A7A8AA", "#6E7F8D")
ACCENT = "#1F6E8C"  # neutral highlight for single-series charts
# Categories without a client/competitor meaning (channels, regions): distinct and all clearly visible on
# white (no pale tints), colour-blind safe order (Okabe-Ito, without its yellow).
CATEGORY_COLORS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#3E4A52", "#8C6D31")
SEQUENTIAL = "rocket_r"

_SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥", "CHF": "CHF ", "TWD": "NT$", "SEK": "kr ",
            "AUD": "A$", "CAD": "C$"}


def set_theme(context: str = "notebook", font_scale: float = 1.0) -> None:
    """Apply the cvkit look to matplotlib/seaborn (call once per notebook)."""
    sns.set_theme(context=context, style="whitegrid", font_scale=font_scale,
                  palette=[ACCENT, *COMPETITOR_COLORS])
    mpl.rcParams.update({
        "figure.figsize": (8.0, 4.5),
        "figure.dpi": 100,
        "axes.titleweight": "bold",
        "axes.titlesize": "large",
        "axes.titlelocation": "left",
        "axes.spines.top": False,
        "axes.spines.right": False,
        "legend.frameon": False,
        "svg.hashsalt": "cvkit",  # stable SVG ids so reruns give identical files
        "font.family": "sans-serif",
        "font.sans-serif": ["DejaVu Sans", "Arial", "Helvetica"],
    })


def brand_palette(brands: Sequence[str], client: str) -> dict[str, str]:
    """Colour per brand: the client in :data:`CLIENT_COLOR`, competitors muted.

    Competitors get their colours in sorted order so a brand keeps its colour
    across charts whatever subset is shown.
    """
    palette = {client: CLIENT_COLOR}
    others = sorted(b for b in set(brands) if b != client)
    for i, brand in enumerate(others):
        palette[brand] = COMPETITOR_COLORS[i % len(COMPETITOR_COLORS)]
    return palette


def format_currency(value: float, currency: str = "EUR", decimals: int = 0) -> str:
    """Format a money amount, e.g. ``format_currency(1234.5, "EUR")`` -> ``'€1,235'``.

    In the engagement's currency (the one :func:`cvkit.present.configure` set) the amount is
    written in the engagement's locale, as every table writes it (``CHF 246'339`` in de_CH): a
    chart label or a sentence must not read differently from the table beside it.
    """
    from cvkit.present.table import current

    formats = current()
    if formats.currency == currency.upper():
        return formats.money(value, decimals)
    symbol = _SYMBOLS.get(currency.upper(), currency.upper() + " ")
    sign = "-" if value < 0 else ""
    return f"{sign}{symbol}{abs(value):,.{decimals}f}"


def currency_axis(ax: matplotlib.axes.Axes, currency: str = "EUR", axis: str = "y",
                  decimals: int = 0) -> matplotlib.axes.Axes:
    """Label an axis's ticks as money in ``currency``; returns ``ax``."""
    fmt = mticker.FuncFormatter(lambda v, _: format_currency(v, currency, decimals))
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(fmt)
    return ax


def thousands_axis(ax: matplotlib.axes.Axes, axis: str = "y") -> matplotlib.axes.Axes:
    """Tick labels with thousands separators (``175,000``, not ``175000``); returns ``ax``."""
    fmt = mticker.FuncFormatter(lambda v, _: f"{v:,.0f}" if abs(v) >= 10 or float(v).is_integer() else f"{v:,.1f}")
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(fmt)
    return ax


def date_axis(ax: matplotlib.axes.Axes, axis: str = "x") -> matplotlib.axes.Axes:
    """Readable date ticks whatever the span (months, then the year once); returns ``ax``.

    Matplotlib's default writes a full date under every tick, which overlaps on a monthly
    series of more than a year.
    """
    target = ax.xaxis if axis == "x" else ax.yaxis
    locator = mdates.AutoDateLocator(minticks=4, maxticks=10)
    target.set_major_locator(locator)
    target.set_major_formatter(mdates.ConciseDateFormatter(locator))
    return ax
