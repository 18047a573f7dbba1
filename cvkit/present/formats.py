"""Numbers as the client reads them: Babel formats from the engagement's locale and currency.

One :class:`Formats` object formats every number on a page, so a table, a sentence and a chart
label agree (``€333,858`` everywhere, never ``333857.5 EUR`` in one place and ``EUR 333,858`` in
another). Babel holds the CLDR data for each locale (separators, currency symbol and its position),
which is why cvkit does not keep its own table of symbols.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from babel import Locale, UnknownLocaleError
from babel import numbers as bn

__all__ = ["Formats", "default_locale", "currency_symbol", "DASH", "paper_size"]

DASH = "–"  # shown for a missing value; the table's footnote says what it means

# The locale a currency suggests when the engagement names none (the report stays in English).
_CURRENCY_LOCALES = {"USD": "en_US", "CAD": "en_CA", "GBP": "en_GB", "EUR": "en_IE", "AUD": "en_AU",
                     "NZD": "en_NZ", "INR": "en_IN", "SGD": "en_SG", "HKD": "en_HK", "ZAR": "en_ZA",
                     "CHF": "de_CH", "TWD": "zh_Hant_TW", "JPY": "ja_JP", "CNY": "zh_Hans_CN"}


def default_locale(currency: str) -> str:
    """The locale used when ``engagement.yaml`` gives none: English in the currency's home region."""
    return _CURRENCY_LOCALES.get(str(currency).upper(), "en_GB")


def paper_size(locale: str) -> str:
    """``"Letter"`` for US and Canadian locales, ``"A4"`` everywhere else."""
    try:
        territory = Locale.parse(str(locale).replace("-", "_")).territory
    except (ValueError, UnknownLocaleError):
        territory = None
    return "Letter" if territory in ("US", "CA") else "A4"


@lru_cache(maxsize=64)
def _locale(tag: str) -> Locale:
    try:
        return Locale.parse(str(tag).replace("-", "_"))
    except (ValueError, UnknownLocaleError) as exc:
        raise ValueError(f"locale {tag!r} is not a known locale ({exc}). Fix: use a tag such as en_GB, "
                         "de_DE or fr_FR.") from None


def _names_another(symbol: str, currency: str, locale: Locale) -> bool:
    """True when ``symbol`` is another currency's symbol in ``locale`` or in English (the report's language)."""
    return any(sym == symbol and code != currency
               for loc in (locale, _locale("en")) for code, sym in loc.currency_symbols.items())


@lru_cache(maxsize=256)
def currency_symbol(currency: str, locale: str) -> str:
    """The symbol money is shown with: one no reader of the page can take for another currency.

    The locale's own symbol when it names this currency alone, both in the locale and in English
    (the language of the pages): ``€``, ``£``, ``CHF``, ``￥`` in ja_JP, ``US$`` in en_CA. A symbol
    another currency also goes by is not: zh_Hant_TW writes the New Taiwan dollar ``$`` and en_CA the
    Canadian dollar ``$``, which English reads as US dollars; then English's own symbol for the
    currency (``NT$``, ``CA$``, ``A$``, ``CN¥``) if that one is unambiguous, else the ISO code.

    Parameters
    ----------
    currency : str
        ISO 4217 code.
    locale : str
        CLDR locale tag of the engagement.

    Returns
    -------
    str
    """
    code = str(currency).upper()
    loc = _locale(locale)
    for symbol in (bn.get_currency_symbol(code, locale=loc), bn.get_currency_symbol(code, locale=_locale("en"))):
        if symbol == code or not _names_another(symbol, code, loc):
            return symbol
    return code


def _apostrophe_grouped(locale: Locale) -> bool:
    """True for locales grouping thousands with ``'`` (de_CH, fr_CH, it_CH, en_CH, ...).

    Babel 2.19 reads the two apostrophes of ``2'500'316`` as a quoted literal of its pattern
    language and drops them (``2500316``), so these locales are grouped by :func:`_regroup`.
    """
    return bn.get_group_symbol(locale) == "'"


def _regroup(text: str, locale: Locale) -> str:
    """Insert the locale's group symbol into the integer part of ``text`` (formatted ungrouped)."""
    return re.sub(r"\d{4,}", lambda m: re.sub(r"(?<=\d)(?=(?:\d{3})+$)", "'", m.group()), text, count=1)


def _missing(value: Any) -> bool:
    if value is None:
        return True
    try:
        return bool(value != value) or value is getattr(__import__("pandas"), "NA")
    except (TypeError, ValueError):
        return False


def decimals_for(values: Any, *, kind: str) -> int:
    """Decimals one column needs so its numbers read alike: fewer for large magnitudes, never more than 3."""
    if kind == "pct":  # percent values read like shares: decide on the fraction
        return decimals_for([float(v) / 100 for v in values if not _missing(v)], kind="share")
    finite = [abs(float(v)) for v in values if not _missing(v) and math.isfinite(float(v))]
    if not finite:
        return 0
    if all(float(v).is_integer() for v in finite) and kind != "share":
        return 0
    top = max(finite)
    if kind == "money":
        return 0 if top >= 1000 else 2
    if kind == "share":  # fractions shown as percentages
        return 0 if top * 100 >= 10 and min(finite) * 100 >= 1 else 1
    if top >= 1000:
        return 0
    if top >= 10:
        return 1
    return 2 if top >= 0.1 else 3


@dataclass(frozen=True)
class Formats:
    """Locale and currency for one engagement.

    Parameters
    ----------
    locale : str
        CLDR locale tag, e.g. ``en_GB``, ``de_DE``, ``zh_Hant_TW``.
    currency : str
        ISO 4217 code of money amounts.
    """

    locale: str = "en_IE"
    currency: str = "EUR"

    def __post_init__(self) -> None:
        _locale(self.locale)  # a bad tag fails here, naming the fix

    @property
    def _loc(self) -> Locale:
        return _locale(self.locale)

    def number(self, value: Any, decimals: int = 1) -> str:
        """``1234.5`` -> ``1,234.5`` (``1.234,5`` in de_DE)."""
        if _missing(value):
            return DASH
        pattern = "#,##0" + ("." + "0" * decimals if decimals > 0 else "")
        return self._grouped(bn.format_decimal, float(value), format=pattern, locale=self._loc,
                             decimal_quantization=True)

    def count(self, value: Any) -> str:
        """A whole number with thousands separators."""
        return self.number(round(float(value)), 0) if not _missing(value) else DASH

    def signed(self, value: Any, decimals: int = 1) -> str:
        """``+3.2`` / ``-1.0``: differences and NPS points."""
        if _missing(value):
            return DASH
        text = self.number(abs(float(value)), decimals)
        return ("+" if float(value) > 0 else "-" if float(value) < 0 else "") + text

    def percent(self, share: Any, decimals: int = 1) -> str:
        """A fraction as a percentage: ``0.0912`` -> ``9.1%``."""
        if _missing(share):
            return DASH
        pattern = "#,##0" + ("." + "0" * decimals if decimals > 0 else "") + "%"
        return self._grouped(bn.format_percent, float(share), format=pattern, locale=self._loc,
                             decimal_quantization=True)

    def money(self, value: Any, decimals: int | None = None) -> str:
        """``333857.5`` -> ``€333,858`` in the engagement's currency and locale (whole units from 1,000)."""
        if _missing(value):
            return DASH
        value = float(value)
        if decimals is None:
            decimals = 0 if abs(value) >= 1000 else 2
        return self._grouped(bn.format_currency, value, self.currency, format=self.money_pattern(decimals),
                             locale=self._loc, currency_digits=False, decimal_quantization=True)

    def money_pattern(self, decimals: int) -> str:
        """The locale's currency pattern with :meth:`symbol` written in (a quoted literal) and ``decimals``."""
        standard = self._loc.currency_formats["standard"].pattern.split(";")[0]
        standard = re.sub(r"0\.0+", "0" + ("." + "0" * decimals if decimals else ""), standard)
        symbol = self.symbol()
        # CLDR's currency spacing: a symbol ending (starting) in a letter is kept apart from the digits
        # by a no-break space where the pattern puts them side by side (TWD 1,234, not TWD1,234).
        if re.search(r"¤[#0]", standard) and symbol[-1].isalpha():
            symbol += "\xa0"
        if re.search(r"[#0]¤", standard) and symbol[0].isalpha():
            symbol = "\xa0" + symbol
        return standard.replace("¤", "'" + symbol.replace("'", "''") + "'")

    def _grouped(self, babel_format: Any, *args: Any, **kwargs: Any) -> str:
        """``babel_format(*args, **kwargs)``, grouped right where Babel drops the group symbol."""
        if not _apostrophe_grouped(self._loc):
            return babel_format(*args, **kwargs)
        return _regroup(babel_format(*args, group_separator=False, **kwargs), self._loc)

    def symbol(self) -> str:
        """The currency's symbol in this locale, unambiguous (``€``, ``US$``, ``NT$``; :func:`currency_symbol`)."""
        return currency_symbol(self.currency, self.locale)

    def value(self, value: Any, kind: str, decimals: int | None = None) -> str:
        """Format one value by its kind (see :data:`cvkit.present.glossary.KINDS`)."""
        if _missing(value):
            return DASH
        if kind in ("text", "id", "date"):
            return str(value)
        if kind == "bool":
            return "yes" if bool(value) else "no"
        if kind == "count":
            return self.count(value)
        if kind == "money":
            return self.money(value, decimals)
        if kind == "share":
            return self.percent(value, 1 if decimals is None else decimals)
        if kind == "pct":
            return self.percent(float(value) / 100, 1 if decimals is None else decimals)
        if kind == "points":
            return self.signed(value, 1 if decimals is None else decimals)
        return self.number(value, 2 if decimals is None else decimals)
