"""The deliverable reads as a client would pay for: checked page by page in Chromium, as print, in Excel.

Every page of the demo deliverable and of a real-data engagement (the bundled CDNOW purchase log) is
opened in a real browser and fails on console text in <pre>, snake_case outside code styling, floats
with 4+ decimals, developer phrases (cvkit., .json, make, test suite, file paths), the contents panel
over the page's column at 1280 and 1920 px, and text under 9 px (tests/deliverable_checks.py).
The print test lays each page out at the PDF's printable width and fails on any table wider than it;
the workbook test opens the Excel file with openpyxl.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.deliverable_checks import check_deliverable

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# Printable width at 96 px per inch: A4 (210 x 297 mm) less the 12 mm side margins of the page CSS.
A4_PORTRAIT_PX = (210 - 24) / 25.4 * 96
A4_LANDSCAPE_PX = (297 - 24) / 25.4 * 96


@pytest.fixture(scope="session")
def cdnow_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled real-data engagement (CDNOW purchase log) run end to end; returns its deliverable."""
    from cvkit.engagement.runner import run_engagement
    from cvkit.engagement.scaffold import write_cdnow_engagement

    folder = tmp_path_factory.mktemp("cdnow")
    config = write_cdnow_engagement(folder / "engagement")
    return run_engagement(config, output_dir=folder / "outputs", progress=False)


def _assert_clean(found: dict[str, list[str]]) -> None:
    lines = [f"{page}: {p}" for page, problems in found.items() for p in problems]
    assert not lines, "client-readiness problems:\n" + "\n".join(lines[:60])


def test_demo_pages_are_client_ready(browser, demo_run: Path):
    _assert_clean(check_deliverable(demo_run, browser))


def test_real_data_pages_are_client_ready(browser, cdnow_run: Path):
    _assert_clean(check_deliverable(cdnow_run, browser))


_TABLE_WIDTHS_JS = r"""() => Array.from(document.querySelectorAll('main table')).map(t => ({
    width: t.getBoundingClientRect().width, wide: t.classList.contains('cvkit-wide'),
    head: (t.querySelector('th') || t).textContent.trim().slice(0, 40)}))"""


def test_printed_tables_fit_the_page(browser, demo_run: Path):
    page = browser.new_page(viewport={"width": round(A4_PORTRAIT_PX), "height": 1100})
    page.emulate_media(media="print")
    too_wide = []
    for html in sorted(demo_run.glob("*.html")):
        page.goto(html.resolve().as_uri(), wait_until="load")
        for t in page.evaluate(_TABLE_WIDTHS_JS):
            limit = A4_LANDSCAPE_PX if t["wide"] else A4_PORTRAIT_PX
            if t["width"] > limit + 1:
                too_wide.append(f"{html.name}: table '{t['head']}' {t['width']:.0f}px > {limit:.0f}px")
    page.close()
    assert not too_wide, "\n".join(too_wide)


def test_pdfs_are_a4_for_a_euro_client(demo_run: Path):
    import pypdfium2 as pdfium

    pdfs = sorted((demo_run / "pdf").glob("*.pdf"))
    assert {p.stem for p in pdfs} >= {"index", "01_value_drivers", "04_customer_lifetime_value"}
    for pdf in pdfs:
        width, height = pdfium.PdfDocument(str(pdf))[0].get_size()
        assert (round(width), round(height)) == (595, 842), f"{pdf.name}: {width:.0f} x {height:.0f} pt, not A4"


def test_workbook_contents_frozen_headers_and_number_formats(demo_run: Path):
    import openpyxl

    wb = openpyxl.load_workbook(demo_run / "demo_tables.xlsx")
    assert wb.sheetnames[0] == "Contents"
    listed = [row[0].value for row in wb["Contents"].iter_rows(min_row=2)]
    assert listed == wb.sheetnames[1:]
    assert wb.sheetnames[1].startswith("Summary")  # deliverable order: the executive summary first
    for ws in wb.worksheets:
        assert ws.freeze_panes == "A2", f"{ws.title}: header row not frozen"
        headers = [c.value for c in ws[1]]
        assert not [h for h in headers if isinstance(h, str) and "_" in h], f"{ws.title}: raw column names {headers}"
        for row in ws.iter_rows(min_row=2, max_row=50):
            for cell in row:
                if isinstance(cell.value, float):
                    assert cell.number_format != "General", f"{ws.title}!{cell.coordinate}: no number format"
                if isinstance(cell.value, str):
                    assert not cell.value.lstrip().startswith(("{", "[")), f"{ws.title}!{cell.coordinate}: JSON"


def test_every_table_column_has_a_glossary_label(demo_run: Path):
    """One glossary for every column cvkit emits: no snake_case identifier without a client label."""
    import pandas as pd

    from cvkit.present import glossary

    names = {c for f in (demo_run / "tables").glob("*/*.csv") for c in pd.read_csv(f, nrows=0).columns}
    assert len(names) > 100
    unknown = sorted(n for n in names if not glossary.known(n))
    assert not unknown, f"add these to cvkit/present/glossary.py: {unknown}"
