"""House plotting style for every cvkit chart."""

from cvkit.plot.axes import axes_or_new
from cvkit.plot.theme import (ACCENT, CATEGORY_COLORS, CLIENT_COLOR, COMPETITOR_COLORS, brand_palette,
                              currency_axis, date_axis, format_currency, set_theme, thousands_axis)

__all__ = ["axes_or_new", "ACCENT", "CLIENT_COLOR", "COMPETITOR_COLORS", "brand_palette", "currency_axis", "date_axis",
           "format_currency", "set_theme", "CATEGORY_COLORS", "thousands_axis"]
