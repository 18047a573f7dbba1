"""Make client data safe to show: HTML escaping, a markdown sanitiser, spreadsheet formula neutralisation.

Nothing in a client's data may execute when the deliverable is opened. Three places could run it:

- **HTML pages.** Every string from data or config that reaches HTML goes through
  :func:`escape_html` (Jinja templates autoescape; hand-built HTML calls it). Markdown built from
  data (synthesis findings, next steps, persona cards) goes through :func:`sanitize_markdown`:
  markdown-it renders it with raw HTML *disabled* (``<img onerror=...>`` stays text), then nh3
  (the Ammonia sanitiser) keeps an allow-list of tags and drops every link or image that is not a
  page-local relative URL (no ``javascript:``, no ``data:``, no remote host that a beacon could
  reach). Pages also carry :func:`csp_meta`, a Content-Security-Policy that forbids scripts and
  remote loads except cvkit's own inline assets, so a mistake elsewhere still does not run.
- **CSV files.** A cell starting ``=``, ``+``, ``-``, ``@``, tab or carriage return is read by
  spreadsheet programs as a formula (``=HYPERLINK(...)``, ``=cmd|' /C calc'!A0``). Following
  OWASP's CSV-injection advice, :func:`neutralise_frame` prefixes such *text* cells (and column
  names) with a single quote; numbers stay numbers, and a text cell that is a plain number
  (``-12.5``) is left alone because no spreadsheet evaluates it as a formula. The prefix is
  reversible (:func:`restore_frame`) for code that reads cvkit's CSVs back; the functions live in
  :mod:`cvkit.data.formulas` so the analyses can use them without importing this package.
- **Excel workbooks.** openpyxl writes any string starting with ``=`` as a live formula.
  :func:`neutralise_worksheet` turns such cells back into text and sets Excel's hidden
  ``quotePrefix`` on every risky text cell, so the value shows exactly as in the data and stays
  text even when someone edits the cell.
"""

from __future__ import annotations

import base64
import hashlib
import html
import re
from collections.abc import Iterable, Sequence
from typing import Any

from cvkit.data.formulas import (FORMULA_PREFIXES, is_formula_like, neutralise_formula, neutralise_frame,
                                 restore_formula, restore_frame)

__all__ = ["escape_html", "escape_markdown", "sanitize_markdown", "SafeMarkdown", "safe_markdown",
           "is_formula_like", "neutralise_formula", "neutralise_frame", "restore_formula", "restore_frame",
           "neutralise_worksheet",
           "neutralise_workbook", "excel_text", "csp_policy", "csp_meta", "FORMULA_PREFIXES"]


# Tags markdown can produce that are safe to show; everything else is stripped (its text kept).
_TAGS = {"p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "b", "i", "code", "pre",
         "blockquote", "ul", "ol", "li", "a", "table", "thead", "tbody", "tr", "th", "td", "del", "sup",
         "sub", "span"}
_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}, "th": {"align"}, "td": {"align"}}
_MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]()#+\-.!|>~])")


def escape_html(value: Any) -> str:
    """Any value as HTML text: ``& < > " '`` escaped, so it can go in an element or an attribute."""
    return html.escape("" if value is None else str(value), quote=True)


def escape_markdown(value: Any) -> str:
    """Any value as literal markdown text: markdown punctuation backslash-escaped, ``& < >`` as entities.

    Use it for a data value put into markdown written by cvkit (a heading with a segment's name):
    the value then shows exactly as in the data and cannot open a link, an image or an HTML tag.
    """
    text = "" if value is None else str(value)
    text = html.escape(text, quote=False)
    text = _MARKDOWN_SPECIALS.sub(r"\\\1", text)
    return text.replace("\r", " ").replace("\n", " ")


def _local_url(url: str) -> bool:
    """True for a page-local link (``#anchor`` or ``page.html``): nothing a browser fetches elsewhere."""
    url = url.strip()
    if not url or url.startswith(("//", "\\", "/")):
        return False
    return ":" not in url.split("/", 1)[0].split("#", 1)[0].split("?", 1)[0]


def _attribute_filter(tag: str, attribute: str, value: str) -> str | None:
    if attribute == "href":
        return value if _local_url(value) else None
    return value


def _markdown_parser() -> Any:
    from markdown_it import MarkdownIt

    # commonmark with raw HTML off: a tag in the data is rendered as the text it is. Tables on
    # because cvkit's own markdown uses them.
    return MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table")


def sanitize_markdown(markdown: str) -> str:
    """Markdown built from data, rendered to HTML that cannot run anything or fetch anything.

    Parameters
    ----------
    markdown : str
        Markdown whose text comes (partly) from a client's data or config.

    Returns
    -------
    str
        HTML: markdown-it with raw HTML disabled, cleaned by nh3 against an allow-list of tags and
        attributes. Links survive only when page-local (``#anchor``, ``04_clv.html``); images are
        dropped (their alt text kept), so a remote "beacon" image is never requested.
    """
    import nh3

    rendered = _markdown_parser().render("" if markdown is None else str(markdown))
    # markdown-it writes an image as <img alt="x" src="...">; keep its alt text, never the request.
    rendered = re.sub(r'<img\b[^>]*?\balt="([^"]*)"[^>]*>', r"\1", rendered)
    return nh3.clean(rendered, tags=_TAGS, attributes=_ATTRIBUTES, url_schemes=set(),
                     attribute_filter=_attribute_filter, link_rel="noopener noreferrer",
                     clean_content_tags={"script", "style"}, strip_comments=True)


class SafeMarkdown:
    """A display object for notebooks: ``display(SafeMarkdown(text))`` shows sanitised markdown.

    Use it instead of ``IPython.display.Markdown`` whenever the text holds data: it is rendered
    by :func:`sanitize_markdown` (output ``text/html``), and its plain-text form is the markdown.
    """

    def __init__(self, markdown: str):
        self.markdown = "" if markdown is None else str(markdown)

    def _repr_html_(self) -> str:
        return sanitize_markdown(self.markdown)

    def __repr__(self) -> str:
        return self.markdown


def safe_markdown(markdown: str) -> SafeMarkdown:
    """Shorthand for :class:`SafeMarkdown`."""
    return SafeMarkdown(markdown)


def neutralise_worksheet(worksheet: Any) -> int:
    """Make every text cell of an openpyxl worksheet inert; returns the number of cells changed.

    A cell openpyxl took for a formula (any string starting ``=``) becomes the text it was; every
    formula-like text cell gets Excel's ``quotePrefix`` (the hidden apostrophe), so it shows as in
    the data and stays text when edited. Numbers are not touched. Call it after writing the sheet,
    before saving; cvkit writes no formulas of its own into client workbooks.
    """
    changed = 0
    for row in worksheet.iter_rows():
        for cell in row:
            value = cell.value
            if cell.data_type == "f" and isinstance(value, str):
                cell.data_type = "s"  # the text it was in the data, not a formula
            elif not is_formula_like(value):
                continue
            cell.quotePrefix = True
            changed += 1
    return changed


def excel_text(value: Any) -> Any:
    """Text Excel can store: control characters XML forbids (NUL, ...) shown as U+FFFD; else unchanged.

    openpyxl refuses them (``IllegalCharacterError``): one such byte in a client's cell would
    otherwise stop the whole workbook.
    """
    if not isinstance(value, str):
        return value
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    return ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)


def neutralise_workbook(workbook: Any) -> int:
    """:func:`neutralise_worksheet` on every worksheet of an openpyxl workbook."""
    return sum(neutralise_worksheet(ws) for ws in workbook.worksheets)


def _script_hash(source: str) -> str:
    digest = hashlib.sha256(source.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


def csp_policy(inline_scripts: Iterable[str] = ()) -> str:
    """The Content-Security-Policy of every deliverable page.

    No script runs except cvkit's own inline assets (allowed by their SHA-256, so a script that
    reaches the page any other way is blocked); nothing is loaded from a network (images and
    fonts only inline ``data:``, styles only inline); no forms, plugins or ``<base>``.

    Parameters
    ----------
    inline_scripts : iterable of str
        The exact text of each inline ``<script>`` element cvkit's templates put in the page.
    """
    hashes = sorted({_script_hash(s) for s in inline_scripts})
    script_src = " ".join(hashes) if hashes else "'none'"
    return ("default-src 'none'; "
            f"script-src {script_src}; "
            "style-src 'unsafe-inline'; img-src data:; font-src data:; media-src data:; "
            "connect-src 'none'; object-src 'none'; frame-src 'none'; worker-src 'none'; "
            "base-uri 'none'; form-action 'none'")


def csp_meta(inline_scripts: Sequence[str] = ()) -> str:
    """The ``<meta http-equiv="Content-Security-Policy">`` element for :func:`csp_policy`."""
    return f'<meta http-equiv="Content-Security-Policy" content="{escape_html(csp_policy(inline_scripts))}">'
