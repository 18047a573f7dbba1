"""A real browser opens the deliverable: pages load without console errors and every image renders.

Uses Debian's Chromium (installed by `make test` when missing), driven headless by Playwright.
Screenshots are saved to test-artifacts/ for a person to look at.
"""

from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _open(browser, path: Path, screenshot: Path) -> dict:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    errors: list[str] = []
    failed: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("requestfailed", lambda req: failed.append(req.url))
    page.goto(path.resolve().as_uri(), wait_until="load")
    images = page.evaluate("""() => Array.from(document.images).map(
        img => ({src: img.src.slice(0, 40), ok: img.complete && img.naturalWidth > 0}))""")
    external = page.evaluate("""() => Array.from(document.querySelectorAll('script[src], link[href]'))
        .map(e => e.src || e.href).filter(u => u.startsWith('http'))""")
    title = page.title()
    page.screenshot(path=str(screenshot), full_page=False)
    page.close()
    return {"errors": errors, "failed": failed, "images": images, "external": external, "title": title}


def test_every_page_loads_without_errors_and_renders_its_images(browser, demo_run: Path, artifacts: Path):
    pages = sorted(demo_run.glob("*.html"))
    assert {p.name for p in pages} >= {"index.html", "00_engagement_overview.html"}
    for page in pages:
        result = _open(browser, page, artifacts / f"deliverable-{page.stem}.png")
        assert result["errors"] == [], f"{page.name}: console errors {result['errors']}"
        assert result["failed"] == [], f"{page.name}: failed requests {result['failed']}"
        assert result["external"] == [], f"{page.name}: loads from the network {result['external']}"
        broken = [img for img in result["images"] if not img["ok"]]
        assert not broken, f"{page.name}: images that did not render {broken}"
        if page.name != "index.html":
            assert result["images"], f"{page.name} has no figures"
        assert "Demo Retail" in result["title"] or page.name == "index.html"
    assert (artifacts / "deliverable-index.png").stat().st_size > 10_000


def test_pdf_is_printed_with_chromium(demo_run: Path):
    pdf = demo_run / "pdf" / "00_engagement_overview.pdf"
    assert pdf.exists() and pdf.read_bytes().startswith(b"%PDF")
