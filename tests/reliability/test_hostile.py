"""Issue 14: a hostile engagement run end to end, and what cvkit refuses to touch.

One engagement (``hostile``) is run once for the module: its client name, customer IDs, channel and
region labels carry HTML, markdown links and images, spreadsheet formulas, right-to-left overrides,
zero-width characters and a 10,000-character label; some purchases are dated after the analysis
date (``intake.future_dates: exclude``). A local HTTP server stands in for an attacker's beacon
during the run (PDF printing) and while Chromium opens every page. Then every output format is
checked (HTML, CSV, xlsx, JSON, notebooks, PDF), and the confinement cases (1, 8) run against the
same output root: an analyst's note kept, slug collisions refused, folders cvkit did not create
left alone, output folders that hold the engagement refused before anything is written.
"""

from __future__ import annotations

import csv
import http.server
import json
import os
import re
import shutil
import threading
from pathlib import Path

import nbformat
import pandas as pd
import pytest
import yaml

from cvkit.engagement.confinement import MARKER
from cvkit.engagement.runner import RunError, file_sha256, run_engagement, run_many
from cvkit.engagement.sanitize import is_formula_like
from tests.reliability.conftest import FIGURES
from tests.reliability.engagements import small_clv_engagement, tree_digest

pytestmark = pytest.mark.slow

IMG = '<img src=x onerror="document.title=\'PWNED\'">'
JS = "[click](javascript:alert(1))"
NAME = f"{IMG} =cmd|' /C calc'!A0 \u202eevil\u202c zero\u200bwidth {JS}"
LONG = "L" * 10_000


class _Beacon(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self):  # noqa: N802 (http.server's name)
        type(self).hits.append(self.path)
        self.send_response(404)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def beacon():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Beacon)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1], _Beacon.hits
    server.shutdown()
    server.server_close()


def _hostile_engagement(folder: Path, port: int) -> Path:
    config = small_clv_engagement(folder, slug="hostile", name=NAME, customers=150)
    tx = pd.read_csv(folder / "data" / "transactions.csv", dtype=str)
    ids = sorted(tx["customer_id"].unique())
    hostile_ids = [f'=HYPERLINK("http://127.0.0.1:{port}/id","x")', "00001", "1E5", "12345678901234567890", "TRUE",
                   IMG, JS, f"![b](http://127.0.0.1:{port}/md.png)", "+1-2", "@SUM(A1)"]
    tx["customer_id"] = tx["customer_id"].replace(dict(zip(ids, hostile_ids)))
    future = tx.head(3).assign(date=["2031-01-01", "2030-06-30", "1998-07-02"])
    pd.concat([tx, future]).to_csv(folder / "data" / "transactions.csv", index=False)
    labels = [IMG, JS, f"![x](http://127.0.0.1:{port}/beacon.png)", "=1+1", "\u202eRTL\u202c", "zero\u200bwidth", LONG]
    customers = pd.DataFrame({"customer_id": sorted(tx["customer_id"].unique())})
    customers["acquisition_date"] = "1997-01-01"
    customers["channel"] = [labels[i % len(labels)] for i in range(len(customers))]
    customers["region"] = [labels[(i + 3) % len(labels)] for i in range(len(customers))]
    customers.to_csv(folder / "data" / "customers.csv", index=False)
    raw = yaml.safe_load(config.read_text())
    raw["data"]["customers"] = "data/customers.csv"
    raw["intake"]["future_dates"] = "exclude"
    raw["report"]["pdf"] = True
    config.write_text(yaml.safe_dump(raw, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return config


@pytest.fixture(scope="module")
def hostile(tmp_path_factory, beacon):
    """(config, output root, deliverable, input checksums before the run)."""
    port, _ = beacon
    folder = tmp_path_factory.mktemp("hostile")
    config = _hostile_engagement(folder / "eng", port)
    before = tree_digest(config.parent)
    root = folder / "outputs"
    final = run_engagement(config, output_dir=root, progress=False, log=lambda m: None)
    return config, root, final, before


def _csp(head: str) -> str | None:
    """The content of the page's CSP meta element (attributes in any order, entities decoded)."""
    from html.parser import HTMLParser

    found: list[str] = []

    class Parser(HTMLParser):
        def handle_starttag(self, tag, attrs):
            attrs = dict(attrs)
            if tag == "meta" and (attrs.get("http-equiv") or "").lower() == "content-security-policy":
                found.append(attrs.get("content") or "")

    Parser().feed(head)
    return found[0] if found else None


def _files(final: Path, *suffixes: str) -> list[Path]:
    return sorted(p for p in final.rglob("*") if p.is_file() and p.name.endswith(suffixes))


def test_inputs_unchanged_and_future_rows_excluded(hostile):
    config, _, final, before = hostile
    assert tree_digest(config.parent) == before
    excluded = pd.read_csv(final / "data" / "excluded.csv", dtype=str)
    future = excluded[excluded["reason"] == "date after the analysis date"]
    assert len(future) == 3 and set(future["file"]) == {"data/transactions.csv"}


def test_pages_escape_every_label_and_carry_the_csp(hostile):
    _, _, final, _ = hostile
    pages = _files(final, ".html")
    assert len(pages) >= 3
    for page in pages:
        html = page.read_text(encoding="utf-8")
        head = html.split("</head>", 1)[0]
        policy = _csp(head)
        assert policy, f"{page.name}: no Content-Security-Policy in <head>"
        assert "default-src 'none'" in policy and "http" not in policy
        # No attribute handler and no image other than cvkit's inline figures.
        assert not re.search(r"<[a-z][^>]*\son[a-z]+\s*=", html, re.I), page.name
        assert not re.search(r"<img\b[^>]*\bsrc=\"(?!data:)", html, re.I), page.name
        assert not re.search(r"href=\"\s*javascript:", html, re.I), page.name
        # A script is either one of cvkit's own (its hash in the policy) or blocked by the policy (e.g.
        # nbconvert's widget-view stubs); none carries anything from the data.
        for script in re.findall(r"<script\b[^>]*>(.*?)</script>", html, re.S):
            assert "PWNED" not in script and "javascript:" not in script and "127.0.0.1" not in script
    index = (final / "index.html").read_text(encoding="utf-8")
    assert "&lt;img src=x onerror=" in index  # the client name, shown as the text it is
    FIGURES["hostile pages checked"] += len(pages)


def test_pages_run_nothing_and_fetch_nothing_in_chromium(hostile, beacon, browser):
    _, _, final, _ = hostile
    port, hits = beacon
    assert list((final / "pdf").glob("*.pdf")), "PDFs were printed (and fetched nothing: see below)"
    ctx = browser.new_context()
    page = ctx.new_page()
    for html in _files(final, ".html"):
        page.goto(html.as_uri())
        page.wait_for_load_state("load")
        assert page.title() != "PWNED", html.name
        assert page.evaluate("document.querySelectorAll('a[href^=\"javascript\"]').length") == 0
    ctx.close()
    assert hits == [], f"the deliverable fetched {hits} from the beacon"


def test_csv_and_workbook_cells_are_inert_and_ids_stay_text(hostile):
    _, _, final, _ = hostile
    csvs = _files(final, ".csv")
    assert csvs
    for path in csvs:
        with open(path, newline="", encoding="utf-8") as fh:
            bad = [c for row in csv.reader(fh) for c in row if is_formula_like(c)]
        assert not bad, f"{path.relative_to(final)}: live formula text {bad[:3]}"
    import openpyxl

    [book] = _files(final, ".xlsx")
    wb = openpyxl.load_workbook(book)
    texts = set()
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{ws.title}!{cell.coordinate} is a formula"
                if is_formula_like(cell.value):
                    assert cell.quotePrefix, f"{ws.title}!{cell.coordinate} {cell.value!r} without quote prefix"
                if isinstance(cell.value, str):
                    texts.add(cell.value)
    # IDs as written by the client: not 1, 100000, 1.23e19 or a boolean.
    customers = pd.read_csv(final / "tables" / "clv" / "customers.csv", dtype=str) \
        if (final / "tables" / "clv" / "customers.csv").exists() else None
    if customers is not None and "customer_id" in customers:
        for value in ("00001", "1E5", "12345678901234567890", "TRUE"):
            if value in set(customers["customer_id"]):
                assert value in texts, f"ID {value} changed in the workbook"
    FIGURES["hostile csv files checked"] += len(csvs)


def test_no_absolute_path_or_home_in_any_output(hostile):
    config, root, final, _ = hostile
    import cvkit

    install = str(Path(cvkit.__file__).resolve().parents[1])  # where cvkit (and its notebooks) are installed
    forbidden = {str(root.resolve()), str(config.parent.resolve()), str(Path.home()), install}
    for path in _files(final, ".html", ".csv", ".json", ".ipynb", ".md", ".txt"):
        text = path.read_text(encoding="utf-8", errors="replace")
        found = [f for f in forbidden if f in text]
        assert not found, f"{path.relative_to(final)} holds {found}"
    for pdf in _files(final, ".pdf"):
        assert b"file://" not in pdf.read_bytes(), f"{pdf.name} links to a local file"
    manifest = json.loads((final / "manifest.json").read_text())
    assert manifest["config"]["path"] == "engagement.yaml"
    assert {i["path"] for i in manifest["inputs"]} == {"data/transactions.csv", "data/customers.csv"}


def test_executed_notebooks_read_the_deliverables_own_data(hostile):
    _, _, final, _ = hostile
    for path in _files(final / "notebooks", ".ipynb"):
        nb = nbformat.read(path, as_version=4)
        [cell] = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
        paths = re.findall(r'^(\w+) = "([^"]*(?:\.parquet|\.csv|\.\.|data))"$', cell.source, re.M)
        assert paths, path.name
        for name, value in paths:
            assert not Path(value).is_absolute(), f"{path.name}: {name} = {value}"
            assert (final / "notebooks" / value).exists(), f"{path.name}: {name} = {value} does not exist"


# --- Output confinement (cases 1 and 8) ------------------------------------------------------------

def _other_client(folder: Path, name: str, slug: str = "hostile") -> Path:
    return small_clv_engagement(folder, slug=slug, name=name, customers=30, offset=200)


def test_rerun_keeps_an_analysts_note_and_refuses_a_second_client_with_the_slug(hostile, tmp_path):
    config, root, final, before = hostile
    note = final / "notes" / "analyst.txt"
    note.parent.mkdir()
    note.write_text("call the client on Monday", encoding="utf-8")
    other = _other_client(tmp_path / "other", "Other Client")
    results = run_many([config, other], output_dir=root)
    assert results[0][1] == "ok", results[0]
    assert results[1][1] == "failed" and "the same output folder" in results[1][2] and "client.slug" in results[1][2]
    assert note.read_text(encoding="utf-8") == "call the client on Monday"
    manifest = json.loads((final / "manifest.json").read_text())
    assert manifest["kept_files"] == ["notes/analyst.txt"]
    assert "notes/analyst.txt" not in json.loads((final / MARKER).read_text())["files"]
    assert json.loads((final / MARKER).read_text())["client"] == NAME
    assert tree_digest(config.parent) == before
    FIGURES["unknown files kept across reruns"] += 1


def test_another_clients_marker_is_never_replaced(hostile, tmp_path):
    _, root, final, _ = hostile
    before = tree_digest(final)
    other = _other_client(tmp_path / "other", "Other Client")
    with pytest.raises(RunError, match="holds the deliverable of another client") as info:
        run_engagement(other, output_dir=root, progress=False, log=lambda m: None)
    assert "Nothing was written" in str(info.value) and "client.slug" in str(info.value)
    assert tree_digest(final) == before


def test_folder_cvkit_did_not_create_is_left_alone(tmp_path):
    config = _other_client(tmp_path / "eng", "Some Client", slug="reports")
    mine = tmp_path / "shared" / "reports"
    mine.mkdir(parents=True)
    (mine / "board-pack.pptx").write_bytes(b"not cvkit's")
    before = tree_digest(mine)
    with pytest.raises(RunError, match="was not created by cvkit"):
        run_engagement(config, output_dir=tmp_path / "shared", progress=False, log=lambda m: None)
    assert tree_digest(mine) == before and sorted(os.listdir(tmp_path / "shared")) == ["reports"]


@pytest.mark.parametrize("how", ["output_dir: . with slug data", "--output-dir <parent> with slug = folder name",
                                 "--output-dir <engagement>"])
def test_output_folder_holding_the_engagement_is_refused_before_writing(tmp_path, how):
    from cvkit.cli import main

    engagements = tmp_path / "engagements"
    folder = engagements / "acme-bank"
    config = small_clv_engagement(folder, slug="data" if how.startswith("output_dir") else "acme-bank",
                                  name="Acme Bank", customers=20)
    args = ["run", str(config)]
    if how.startswith("output_dir"):
        raw = yaml.safe_load(config.read_text())
        raw["output_dir"] = "."
        config.write_text(yaml.safe_dump(raw, sort_keys=False))
    elif "parent" in how:
        args += ["--output-dir", str(engagements)]
    else:
        args += ["--output-dir", str(folder)]
    before = tree_digest(engagements)
    assert main(args) == 1
    assert tree_digest(engagements) == before  # not a file added, changed or removed
    assert sorted(p.name for p in engagements.rglob("*")) == sorted(["acme-bank", "engagement.yaml", "data",
                                                                      "transactions.csv"])


def test_non_latin_names_get_distinct_slugs(tmp_path):
    from cvkit.cli import main
    from cvkit.engagement.scaffold import slugify

    names = ["Сбербанк", "中国银行", "みずほ銀行", "بنك مصر", "Ελληνική Τράπεζα", "한국은행", "🙂", "💳"]
    slugs = [slugify(n) for n in names]
    assert len(set(slugs)) == len(names) and "client" not in slugs
    assert slugify("Сбербанк") == "sberbank"
    assert main(["new", str(tmp_path / "sber"), "--client", "Сбербанк"]) == 0
    assert "slug: sberbank" in (tmp_path / "sber" / "engagement.yaml").read_text(encoding="utf-8")


def test_disk_full_inside_a_notebook_is_a_run_error_with_the_fix(hostile, tmp_path, monkeypatch):
    """papermill reports the notebook's own OSError [Errno 28]; the run says the disk is full and what to do."""
    import papermill

    config, root, _, _ = hostile
    out = tmp_path / "outputs"
    shutil.copytree(root, out)
    before = tree_digest(out / "hostile")

    def full(*args, **kwargs):
        raise papermill.PapermillExecutionError(3, 2, "plt.savefig(...)", "OSError", "[Errno 28] No space left on device: 'x.png'", [])

    monkeypatch.setattr(papermill, "execute_notebook", full)
    with pytest.raises(RunError) as info:
        run_engagement(config, output_dir=out, progress=False, log=lambda m: None)
    msg = str(info.value)
    assert "the disk is full" in msg and "Fix: free disk space" in msg and "previous deliverable is untouched" in msg
    assert tree_digest(out / "hostile") == before
    FIGURES["faults_injected"] += 1
