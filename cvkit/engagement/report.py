"""The client deliverable: HTML pages from executed notebooks, an index, a workbook, a PDF.

Pages are rendered by nbconvert through the ``templates/report/cvkit``
template (the JupyterLab look without any script loaded from a network, a
header with the client and dates, and a table of contents). Cells are removed
or have their code hidden by tag (see ``notebooks/README.md``); by default the
client version hides all code.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import nbformat
import pandas as pd

import cvkit
from cvkit.engagement.sanitize import csp_meta
from cvkit.resources import templates_dir

if TYPE_CHECKING:
    from cvkit.engagement.config import Engagement
    from cvkit.engagement.manifest import NotebookRun

__all__ = ["render_notebook", "render_index", "write_workbook", "print_pdf", "render_deliverable",
           "REMOVE_CELL_TAGS", "HIDE_INPUT_TAGS", "ANALYST_TAGS", "chromium_path"]

REMOVE_CELL_TAGS = frozenset({"parameters", "injected-parameters", "remove-cell"})
HIDE_INPUT_TAGS = frozenset({"hide-input"})
REMOVE_OUTPUT_TAGS = frozenset({"remove-output"})
# Cells for the analyst only (method internals, file paths, commands, exports): removed from the client
# version, shown when ``report.show_code`` is true.
ANALYST_TAGS = frozenset({"analyst"})

INLINE_SCRIPTS: tuple[str, ...] = ()
"""The exact text of every inline ``<script>`` cvkit's report templates put in a page: the only scripts
the pages' Content-Security-Policy lets run (by SHA-256). Add a template's script here."""

_HEADING = re.compile(r'<h([1-3]) id="([^"]+)"[^>]*>(.*?)</h\1>', re.S)


def render_notebook(notebook: str | Path | nbformat.NotebookNode, html_path: str | Path, *, title: str,
                    client_name: str, analysis_date: str, show_code: bool = False, pages_nav: str = "",
                    pages: str = "", locale: str = "en_IE", prev: dict[str, str] | None = None,
                    next: dict[str, str] | None = None) -> Path:  # noqa: A002 - the page after this one
    """Render one executed notebook to a standalone HTML page.

    Parameters
    ----------
    notebook : path or NotebookNode
        The executed notebook.
    html_path : path
        Where to write the page.
    title, client_name, analysis_date : str
        Shown in the page header.
    show_code : bool
        False (client version): every code input is hidden. True (analyst
        version): only inputs tagged ``hide-input`` are hidden.
    pages_nav, pages : str
        HTML put at the top and at the bottom of the page (the links to the other pages when the
        page is the deliverable's index).
    locale : str
        The engagement's locale: A4 pages unless it is a US or Canadian one (Letter).
    prev, next : dict, optional
        ``{"title": ..., "html": ...}`` of the pages before and after this one in the deliverable.
    """
    from cvkit.present import paper_size
    from cvkit.present.text import client_markdown, client_text

    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import CoalesceStreamsPreprocessor, TagRemovePreprocessor

    nb = notebook if isinstance(notebook, nbformat.NotebookNode) else nbformat.read(str(notebook), as_version=4)
    exporter = HTMLExporter(template_name="cvkit", extra_template_basedirs=[str(templates_dir() / "report")])
    exporter.exclude_input = not show_code
    exporter.register_filter("cvkit_text", client_text)
    exporter.register_filter("cvkit_markdown", client_markdown)
    exporter.exclude_input_prompt = True
    exporter.exclude_output_prompt = True
    remove = set(REMOVE_CELL_TAGS) | (set() if show_code else set(ANALYST_TAGS))
    exporter.register_preprocessor(
        TagRemovePreprocessor(remove_cell_tags=remove, remove_input_tags=set(HIDE_INPUT_TAGS),
                              remove_all_outputs_tags=set(REMOVE_OUTPUT_TAGS), enabled=True), enabled=True)
    # A printed line reaches the notebook in one or several stream outputs depending on when the kernel
    # flushed; merged, the same text always gives the same page (else an empty output box can appear).
    exporter.register_preprocessor(CoalesceStreamsPreprocessor(enabled=True), enabled=True)
    resources = {"metadata": {"name": title},
                 "cvkit": {"client_name": client_name, "page_title": title, "analysis_date": analysis_date,
                           "run_date": dt.date.today().isoformat(), "version": cvkit.__version__,
                           "paper": paper_size(locale), "show_code": show_code, "prev": prev, "next": next,
                           "csp_meta": csp_meta(INLINE_SCRIPTS)}}
    nb = _static_outputs(_sanitize_markdown_outputs(nbformat.from_dict(nb)))
    if not show_code:
        nb = _drop_sections_not_applicable(nb)
    nb.metadata["title"] = f"{title} | {client_name}"
    body, _ = exporter.from_notebook_node(nb, resources=resources)
    body = body.replace("<!--cvkit-toc-->", _toc(body))
    # After the table of contents, so the cards' headings stay out of it.
    body = body.replace("<!--cvkit-pages-nav-->", pages_nav).replace("<!--cvkit-pages-->", pages)
    if pages_nav:  # the page is the index: no "back to all analyses" link to itself
        body = re.sub(r'<nav class="cvkit-nav">.*?</nav>', "", body, count=1, flags=re.S)
    out = Path(html_path)
    out.write_text(body, encoding="utf-8")
    return out


def _sanitize_markdown_outputs(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Every markdown *output* (``display(Markdown(...))``: findings, next steps, persona cards) as
    sanitised HTML: it is built from data, and nbconvert would pass raw HTML in it through."""
    from cvkit.engagement.sanitize import sanitize_markdown

    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if "text/markdown" in data:
                data["text/html"] = sanitize_markdown(data.pop("text/markdown"))
    return nb


# Output types that only work with a live kernel or run JavaScript: the pages carry no script (their
# Content-Security-Policy blocks any), so these stay in JupyterLab (`make lab`), never in a page.
_LIVE_OUTPUTS = frozenset({"application/vnd.jupyter.widget-view+json", "application/vnd.jupyter.widget-state+json"})
_SCRIPT_TYPES = frozenset({"application/javascript", "text/javascript"})
_STATIC_IMAGES = ("image/png", "image/svg+xml", "image/jpeg")


def _static_outputs(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Every output as static content: widgets (an ipywidgets control and its text repr) dropped,
    JavaScript representations dropped, and HTML carrying a ``<script>`` (an interactive plot) replaced
    by the output's static image when it has one."""
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        kept = []
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if _LIVE_OUTPUTS & set(data):
                continue
            if _SCRIPT_TYPES & set(data):
                for mime in _SCRIPT_TYPES & set(data):
                    del data[mime]
                if set(data) <= {"text/plain"}:  # its text is the object's repr, not content
                    continue
            if "<script" in str(data.get("text/html", "")).lower() and any(m in data for m in _STATIC_IMAGES):
                del data["text/html"]  # without an image it stays, and the page's CSP blocks its script
            if "data" in output and not data:
                continue
            kept.append(output)
        if "outputs" in cell:
            cell["outputs"] = kept
    return nb


_MD_HEADING = re.compile(r"^(#{1,6})\s", re.M)


def _heading_level(cell: nbformat.NotebookNode) -> int | None:
    """The level of the first heading a markdown cell starts with (``## Why`` -> 2), else None."""
    if cell.get("cell_type") != "markdown":
        return None
    match = _MD_HEADING.match(str(cell.get("source", "")).lstrip())
    return len(match.group(1)) if match else None


def _drop_sections_not_applicable(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Leave out of the client version each section whose cell said it does not apply.

    A cell that called :func:`cvkit.present.not_applicable` marks its output; its section runs from the
    heading above it to the next heading of the same or a higher level (a page's title, level 1, is never
    dropped). The analyst version keeps everything.
    """
    from cvkit.present.table import NOT_APPLICABLE

    cells, drop = nb.cells, set()
    for i, cell in enumerate(cells):
        if not any(o.get("metadata", {}).get(NOT_APPLICABLE) for o in cell.get("outputs", [])):
            continue
        start = next((j for j in range(i, -1, -1) if (_heading_level(cells[j]) or 0) > 1), None)
        if start is None:
            continue
        level = _heading_level(cells[start])
        end = next((j for j in range(start + 1, len(cells))
                    if _heading_level(cells[j]) is not None and _heading_level(cells[j]) <= level), len(cells))
        drop.update(range(start, end))
    nb.cells = [c for i, c in enumerate(cells) if i not in drop]
    return _renumber_sections(nb) if drop else nb


_NUMBERED = re.compile(r"^(\s*##\s+)(\d+)\.(\s)")


def _renumber_sections(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Number the page's ``## N.`` sections 1, 2, 3... again once sections were left out (no gaps)."""
    n = 0
    for cell in nb.cells:
        if cell.get("cell_type") == "markdown" and _NUMBERED.match(str(cell.source)):
            n += 1
            cell.source = _NUMBERED.sub(lambda m: f"{m.group(1)}{n}.{m.group(3)}", str(cell.source), count=1)
    return nb


def _toc(body: str) -> str:
    items = []
    for level, anchor, text in _HEADING.findall(body):
        label = re.sub(r"<[^>]+>", "", text).replace("¶", "").strip()
        items.append(f'<li class="h{level}"><a href="#{anchor}">{label}</a></li>')
    return "<ul>" + "".join(items) + "</ul>"


def _environment() -> Any:
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    return Environment(loader=FileSystemLoader(str(templates_dir() / "report")),
                       autoescape=select_autoescape(["html", "j2"]))


def render_index(folder: str | Path, *, client_name: str, analysis_date: str,
                 pages: Sequence[dict[str, Any]], summary: str | Path | nbformat.NotebookNode | None = None,
                 show_code: bool = False, locale: str = "en_IE", currency: str = "EUR") -> Path:
    """Write ``index.html``: the executive summary (when given) and one card per page.

    ``pages`` items have ``title``, ``html`` (file name or None), ``status`` and
    ``results`` (the analysis's key figures, possibly empty). With ``summary`` (the executed
    synthesis notebook) the index *is* the executive summary: a line of links to the pages at the
    top, the cards with their headline figures at the bottom. Without it (no analysis ran), the
    index is the cards alone.
    """
    from cvkit.present import Formats

    env = _environment()
    out = Path(folder) / "index.html"
    if summary is not None:
        nav = env.get_template("pages_nav.html.j2").render(pages=pages)
        fmt = Formats(locale, currency)
        cards = env.get_template("pages.html.j2").render(pages=pages, format_value=lambda e: _format_value(e, fmt))
        first = next((p for p in pages if p.get("html")), None)
        return render_notebook(summary, out, title="Executive summary", client_name=client_name,
                               analysis_date=analysis_date, show_code=show_code, pages_nav=nav, pages=cards,
                               locale=locale, next=first and {"title": first["title"], "html": first["html"]})
    css = (templates_dir() / "report" / "cvkit" / "cvkit.css").read_text(encoding="utf-8")
    text = env.get_template("index.html.j2").render(
        client_name=client_name, analysis_date=analysis_date, run_date=dt.date.today().isoformat(),
        version=cvkit.__version__, pages=pages, css=css,
        format_value=lambda e: _format_value(e, Formats(locale, currency)),
        csp_meta=csp_meta(INLINE_SCRIPTS))
    out.write_text(text, encoding="utf-8")
    return out


def _format_value(entry: dict[str, Any], fmt: Any = None) -> str:
    """A key figure as the cards show it: money in the locale's currency format, shares as percentages."""
    from cvkit.present import Formats, value_label

    fmt = fmt or Formats()
    value, unit = entry.get("value"), entry.get("unit")
    if isinstance(value, bool):  # before int: a bool is an int, and "1" reads as a count
        return "yes" if value else "no"
    if isinstance(value, (int, float)):
        if unit and str(unit).upper() == fmt.currency:
            return fmt.money(value)
        if unit in ("share", "probability"):
            return fmt.percent(value, 1)
        if unit == "points":
            return fmt.signed(value, 1)
        if isinstance(value, int) or float(value).is_integer():
            text = fmt.count(value)
        else:
            text = fmt.number(value, 1 if abs(value) >= 10 else 2)
        return f"{text} {unit}" if unit and unit not in ("R2",) else text
    if isinstance(value, (list, tuple)):
        if unit == "points" and all(isinstance(v, (int, float)) for v in value):
            return " to ".join(fmt.signed(v, 1) for v in value)
        return ", ".join(str(value_label(v)) for v in value[:5])
    if isinstance(value, dict):
        return ", ".join(f"{value_label(k)}: {fmt.percent(v, 0) if isinstance(v, float) and 0 <= v <= 1 else v}"
                         for k, v in list(value.items())[:4])
    text = str(value_label(value)) if value is not None else "–"
    return f"{text} {unit}" if unit else text


def _key_figures(raw: dict[str, Any]) -> dict[str, Any]:
    """The key figures of a results file, in the current layout or the pre-contract flat one."""
    return raw.get("key_figures", {}) if "schema_version" in raw else raw


def readable(column: str) -> str:
    """Column name as a reader sees it: ``p_alive`` -> ``P alive``."""
    text = str(column).replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def write_workbook(tables_dir: str | Path, xlsx_path: str | Path, *, locale: str = "en_IE",
                   currency: str = "EUR") -> Path | None:
    """Every table of the run in one formatted workbook (see :mod:`cvkit.engagement.workbook`)."""
    from cvkit.engagement import workbook

    return workbook.write_workbook(tables_dir, xlsx_path, locale=locale, currency=currency)


def chromium_path() -> str | None:
    """The headless-capable Chromium on PATH, if any."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync")


def print_pdf(html_path: str | Path, pdf_path: str | Path, *, timeout: float = 120) -> Path | None:
    """Print an HTML page to PDF with headless Chromium; None when Chromium is not installed."""
    chromium = chromium_path()
    if chromium is None:
        return None
    import tempfile

    with tempfile.TemporaryDirectory(prefix="cvkit-chromium-") as profile:
        # Chromium turns a relative link into an absolute file:// URL in the PDF (the build folder and
        # the user name): print a copy whose links to other files are plain text; #anchors stay.
        html_path = Path(html_path)
        printable = html_path.with_name(f".print-{html_path.name}")
        printable.write_text(_LOCAL_LINK.sub(r"<a\1\3>", html_path.read_text(encoding="utf-8")), encoding="utf-8")
        try:
            subprocess.run([chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--no-pdf-header-footer",
                            f"--print-to-pdf={pdf_path}", printable.resolve().as_uri()],
                           check=True, capture_output=True, timeout=timeout)
        finally:
            printable.unlink(missing_ok=True)
    return Path(pdf_path)


# An <a> whose href is neither a #fragment nor an http(s) address: a link to another file of the deliverable.
_LOCAL_LINK = re.compile(r'<a(\s[^>]*?)?\s+href="(?!#|https?:)([^"]*)"([^>]*)>', re.I)


def render_deliverable(build: Path, cfg: Engagement, runs: list[NotebookRun]) -> None:
    """Render every executed notebook of a run, the index, the workbook and (optionally) PDFs.

    The synthesis notebook, when it ran, becomes ``index.html``: the deliverable opens on the
    executive summary.
    """
    from cvkit.engagement.config import ANALYSES, OVERVIEW, SYNTHESIS

    by_key = {OVERVIEW.key: OVERVIEW, **ANALYSES, SYNTHESIS.key: SYNTHESIS}
    locale = cfg.report_locale()
    summary = None
    done = []  # (analysis, run, notebook path) in page order: the file numbering, not the run order
    for run in sorted(runs, key=lambda r: by_key[r.analysis].filename):
        analysis = by_key[run.analysis]
        nb_path = build / "notebooks" / analysis.filename
        if analysis is SYNTHESIS:
            if nb_path.exists():
                summary, run.html = nb_path, "index.html"
            continue
        done.append((analysis, run, nb_path))
    pages = []
    for analysis, run, nb_path in done:
        entry: dict[str, Any] = {"title": analysis.title, "status": run.status, "results": {},
                                 "html": f"{Path(analysis.filename).stem}.html" if nb_path.exists() else None}
        results = build / "results" / f"{analysis.outputs}.json"
        if results.exists():
            entry["results"] = _key_figures(json.loads(results.read_text(encoding="utf-8")))
        pages.append(entry)
    shown = [p for p in pages if p["html"]]
    for (analysis, run, nb_path), entry in zip(done, pages):
        if not entry["html"]:
            continue
        i = shown.index(entry)
        before = shown[i - 1] if i else ({"title": "Executive summary", "html": "index.html"} if summary else None)
        after = shown[i + 1] if i + 1 < len(shown) else None
        render_notebook(nb_path, build / entry["html"], title=analysis.title, client_name=cfg.client.name,
                        analysis_date=cfg.analysis_date.isoformat(), show_code=cfg.report.show_code, locale=locale,
                        prev=before and {"title": before["title"], "html": before["html"]},
                        next=after and {"title": after["title"], "html": after["html"]})
        run.html = entry["html"]
    render_index(build, client_name=cfg.client.name, analysis_date=cfg.analysis_date.isoformat(), pages=pages,
                 summary=summary, show_code=cfg.report.show_code, locale=locale, currency=cfg.currency)
    write_workbook(build / "tables", build / f"{cfg.client.slug}_tables.xlsx", locale=locale, currency=cfg.currency)
    if cfg.report.pdf and chromium_path() is not None:
        pdf_dir = build / "pdf"
        pdf_dir.mkdir(exist_ok=True)
        for page in ["index.html", *[p["html"] for p in pages if p["html"]]]:
            print_pdf(build / page, pdf_dir / page.replace(".html", ".pdf"))

