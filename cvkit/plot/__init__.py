"""House plotting style for every cvkit chart."""

from cvkit.plot.axes import axes_or_new
from cvkit.plot.theme import (ACCENT, CLIENT_COLOR, COMPETITOR_COLORS, brand_palette, currency_axis,
                              date_axis, format_currency, set_theme)

__all__ = ["axes_or_new", "ACCENT", "CLIENT_COLOR", "COMPETITOR_COLORS", "brand_palette", "currency_axis", "date_axis",
           "format_currency", "set_theme"]
