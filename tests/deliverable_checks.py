"""What a client must never see on a deliverable page, checked in a real browser (Playwright + Chromium).

Used by tests/test_deliverable_pages.py; also runnable on any deliverable folder:
    python -m tests.deliverable_checks outputs/demo
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

# Visible text nodes with the tag of each ancestor, so a check can skip code styling.
_TEXT_JS = r"""() => {
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  let node;
  while ((node = walker.nextNode())) {
    const text = node.textContent.trim();
    if (!text) continue;
    const el = node.parentElement;
    if (!el || el.closest('script, style, head, title, noscript')) continue;
    const style = getComputedStyle(el);
    const rect = el.getBoundingClientRect();
    if (style.display === 'none' || style.visibility === 'hidden' || rect.width === 0 || rect.height === 0) continue;
    if (el.closest('details:not([open])') && !el.closest('summary')) continue;
    out.push({text, code: !!el.closest('code, kbd, samp, .jp-InputArea'), size: parseFloat(style.fontSize),
              tag: el.tagName.toLowerCase()});
  }
  return out;
}"""
_PRE_JS = r"""() => Array.from(document.querySelectorAll('pre'))
  .filter(p => !p.closest('.jp-InputArea') && p.getBoundingClientRect().height > 0)
  .map(p => p.textContent.slice(0, 200))"""
_LAYOUT_JS = r"""() => {
  const toc = document.querySelector('.cvkit-toc');
  const main = document.querySelector('main');
  if (!toc || !main) return null;
  const t = toc.getBoundingClientRect();
  if (getComputedStyle(toc).position !== 'sticky') return {stacked: true};
  let right = main.getBoundingClientRect().right;
  for (const el of main.querySelectorAll('img, table, p, h1, h2, h3, li, .jp-OutputArea-output, svg')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0) continue;
    let visible = r.right;  // what a scrolling or clipping container shows of it
    for (let a = el.parentElement; a && a !== main.parentElement; a = a.parentElement) {
      if (getComputedStyle(a).overflowX !== 'visible') visible = Math.min(visible, a.getBoundingClientRect().right);
    }
    right = Math.max(right, visible);
  }
  return {tocLeft: t.left, contentRight: right, stacked: false};
}"""

SNAKE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")
LONG_FLOAT = re.compile(r"(?<![\w.])\d+\.\d{4,}\b")
DEV_PHRASES = re.compile(r"cvkit\.|\.json\b|\bmake (?:demo|test|lab|notebooks)\b|test suite|\b[\w-]+/[\w./<>-]+\.(?:csv|json|py|xlsx|ipynb|parquet|yaml)\b"
                         r"|(?:^|\s)/(?:tmp|home|work|usr|var)/|RuntimeWarning|UserWarning|FutureWarning|Traceback")
TABULAR = re.compile(r"\S {2,}\S.*\n.*\S {2,}\S|^\s*[\[{(].*[\]})]\s*$|dtype:|Name: \w+", re.M)


def page_problems(page, path: Path) -> list[str]:
    """Every client-readiness problem of one page (an open Playwright page) as a sentence."""
    page.goto(path.resolve().as_uri(), wait_until="load")
    problems = []
    for pre in page.evaluate(_PRE_JS):
        if TABULAR.search(pre) or len(pre.splitlines()) > 1:
            problems.append(f"console text in <pre>: {pre[:80]!r}")
    for node in page.evaluate(_TEXT_JS):
        text = node["text"]
        if not node["code"]:
            for m in SNAKE.finditer(text):
                problems.append(f"snake_case {m.group(0)!r} in {text[:80]!r}")
            if node["size"] < 9:
                problems.append(f"text of {node['size']}px: {text[:60]!r}")
        for m in LONG_FLOAT.finditer(text):
            problems.append(f"float with 4+ decimals {m.group(0)!r} in {text[:80]!r}")
        for m in DEV_PHRASES.finditer(text):
            problems.append(f"developer text {m.group(0)!r} in {text[:80]!r}")
    return problems


def layout_problems(page, path: Path, width: int) -> list[str]:
    """The contents panel must not cover the page's column at this viewport width."""
    page.set_viewport_size({"width": width, "height": 1000})
    page.goto(path.resolve().as_uri(), wait_until="load")
    box = page.evaluate(_LAYOUT_JS)
    if box is None or box["stacked"]:
        return []
    if box["contentRight"] > box["tocLeft"] + 0.5:
        return [f"at {width}px the contents panel (left {box['tocLeft']:.0f}) overlaps content reaching "
                f"{box['contentRight']:.0f}"]
    return []


def check_deliverable(folder: Path, browser, widths=(1280, 1920)) -> dict[str, list[str]]:
    """Problems of every HTML page of a deliverable folder, by page name."""
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    found = {}
    for html in sorted(Path(folder).glob("*.html")):
        problems = page_problems(page, html)
        for width in widths:
            problems += layout_problems(page, html, width)
        page.set_viewport_size({"width": 1280, "height": 1000})
        if problems:
            found[html.name] = problems
    page.close()
    return found


if __name__ == "__main__":
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        result = check_deliverable(Path(sys.argv[1]), b)
        b.close()
    for name, problems in result.items():
        print(f"== {name}: {len(problems)}")
        for p in problems:
            print("  ", p)
