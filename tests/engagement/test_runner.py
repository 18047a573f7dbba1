"""`cvkit run` end to end on the demo engagement, and what a failed run leaves behind."""

import json
import os
import shutil
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from cvkit.engagement import config as config_module
from cvkit.engagement.config import ANALYSES, Analysis
from cvkit.engagement.runner import RunError, _recover, file_sha256, run_engagement

pytestmark = pytest.mark.slow


def _tree_digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): file_sha256(p) for p in sorted(folder.rglob("*")) if p.is_file()}


def test_demo_run_writes_the_whole_deliverable(demo_run: Path, demo_engagement: Path):
    assert (demo_run / "index.html").exists()
    manifest = json.loads((demo_run / "manifest.json").read_text())
    statuses = {nb["analysis"]: nb["status"] for nb in manifest["notebooks"]}
    assert statuses == {"overview": "ok", **{key: "ok" for key in ANALYSES}, "synthesis": "ok"}
    for nb in manifest["notebooks"]:
        assert (demo_run / nb["html"]).exists() and nb["seconds"] > 0
        assert (demo_run / "notebooks" / nb["notebook"]).exists()
    # Every input is recorded with its checksum, and the inputs are untouched.
    kinds = {i["kind"] for i in manifest["inputs"]}
    # The demo carries every data kind: the four analyses' inputs, campaigns with their responses,
    # subscriptions for the contractual CLV path and a MaxDiff exercise.
    assert kinds == {"customers", "transactions", "survey", "needs", "choice", "campaigns", "responses",
                     "subscriptions", "maxdiff"}
    for item in manifest["inputs"]:
        assert file_sha256(demo_engagement.parent / item["path"]) == item["sha256"]  # relative to the engagement
    assert manifest["packages"]["pandas"].startswith("3.")
    assert manifest["seed"] == 2026 and manifest["client"]["slug"] == "demo"
    # Tables as CSV, gathered in one workbook with a sheet per table.
    tables = sorted((demo_run / "tables").glob("*/*.csv"))
    assert {t.parent.name for t in tables} >= {"overview", "drivers", "choice", "clv", "segment"}
    with pd.ExcelFile(demo_run / "demo_tables.xlsx") as workbook:
        sheets = workbook.sheet_names
    assert sheets[0] == "Contents" and len(sheets) == len(tables) + 1  # a contents sheet, then one per table
    for rel, digest in manifest["outputs"].items():
        assert file_sha256(demo_run / rel) == digest
    # Figures as PNG and SVG.
    pngs = list((demo_run / "figures").glob("*/*.png"))
    assert pngs and all(p.with_suffix(".svg").exists() for p in pngs)
    # No temporary or half-built folder is left next to the deliverable.
    assert not list(demo_run.parent.glob(".demo.building-*")) and not list(demo_run.parent.glob(".demo.old-*"))


def test_overview_page_shows_the_demo_data_without_code(demo_run: Path):
    page = (demo_run / "00_engagement_overview.html").read_text()
    assert "Demo Retail" in page and "Engagement overview" in page
    assert "48," in page or "transactions" in page
    assert "check_parameters" not in page  # code cells hidden in the client version
    assert "https://cdn" not in page and "unpkg.com" not in page and "<script src=" not in page
    assert 'class="cvkit-toc"' in page and "What was loaded" in page
    index = (demo_run / "index.html").read_text()
    for analysis in ANALYSES.values():
        assert analysis.title in index


def test_deliverable_opens_on_the_executive_summary(demo_run: Path):
    index = (demo_run / "index.html").read_text()
    assert "<title>Executive summary | Demo Retail</title>" in index
    # The summary comes first, then the links and headline cards of every page.
    summary_at = index.index("Headline findings")
    assert summary_at < index.index('id="the-analyses"')
    for heading in ("Value at stake", "Whom to target", "Elements of value: fix, defend, stop over-investing",
                    "The winning concept and its price corridor", "Next steps", "The recommendation on one slide"):
        assert heading in index, heading
    for page in ("00_engagement_overview", "01_value_drivers", "02_discrete_choice", "03_segmentation",
                 "04_customer_lifetime_value"):
        assert index.count(f'href="{page}.html"') >= 2, page  # the top line of links and the card
    assert "Every analysis ran: Value drivers" in index and "check_parameters" not in index
    assert "data:image/png;base64" in index  # the dashboard, embedded
    assert (demo_run / "figures" / "synthesis" / "dashboard.svg").exists()
    assert (demo_run / "tables" / "synthesis" / "findings.csv").exists()
    # The pages link back to it.
    assert 'href="index.html"' in (demo_run / "01_value_drivers.html").read_text()


def test_results_files_follow_the_contract_and_match_the_bundled_demo_results(demo_run: Path):
    from cvkit.engagement.results import demo_results_dir, load_results

    results = load_results(demo_run)
    assert results.missing == [] and results.without_section == []
    assert results.clv.total.low <= results.clv.total.value <= results.clv.total.high
    assert results.segmentation.targets() and results.drivers.actions("fix")
    assert results.choice.winning_concept.price in results.choice.tested_prices
    # The synthesis notebook opened on its own reads the bundled copy: it must still be what the demo produces.
    bundled = load_results(demo_results_dir())
    for name, found in results.files.items():
        assert _close(found.section.model_dump(), bundled.files[name].section.model_dump()), (
            f"results/{name}.json differs from the bundled demo results: refresh them with "
            "`python -m cvkit.devtools refresh-demo-results`")


def _close(a, b) -> bool:
    """Equal structures with numbers equal to 1e-6 relative (float noise between machines)."""
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_close(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and isinstance(b, (int, float)) and not isinstance(b, bool):
        return b == pytest.approx(a, rel=1e-6)
    return a == b


def _failing_notebook(tmp_path: Path) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [
        nbformat.v4.new_code_cell('client: str = "demo"  # client slug\noutput_dir: str = ""  # output',
                                  metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell("x = 1"),
        nbformat.v4.new_code_cell("from cvkit.engagement.notebook import data_path\ndata_path('survey', 'no-such-file.csv')"),
    ]
    path = tmp_path / "01_value_drivers.ipynb"
    nbformat.write(nb, path)
    return path


def test_failing_notebook_leaves_previous_deliverable_intact(demo_run: Path, demo_engagement: Path,
                                                            tmp_path: Path, monkeypatch):
    root = tmp_path / "outputs"
    shutil.copytree(demo_run, root / "demo")
    before = _tree_digest(root / "demo")
    failing = _failing_notebook(tmp_path)
    broken = Analysis("value_drivers", str(failing), "Value drivers", "drivers", ("survey",))
    monkeypatch.setitem(config_module.ANALYSES, "value_drivers", broken)
    with pytest.raises(RunError) as info:
        run_engagement(demo_engagement, only=["value_drivers"], output_dir=root, progress=False, log=lambda m: None)
    message = str(info.value)
    # In [4]: the third code cell, after papermill's injected-parameters cell, as the partial notebook shows
    assert "01_value_drivers.ipynb failed at cell In [4]:" in message and info.value.cell == 4
    assert "FileNotFoundError" in message and "cvkit.engagement.notebook.data_path" in message
    assert info.value.partial == root / ".failed" / "demo" / "01_value_drivers.ipynb"
    assert info.value.partial.exists() and "partially executed notebook is kept" in message
    assert _tree_digest(root / "demo") == before
    assert not list(root.glob(".demo.building-*"))


def test_only_reruns_one_analysis_and_keeps_the_others(demo_run: Path, demo_engagement: Path, tmp_path: Path):
    root = tmp_path / "outputs"
    shutil.copytree(demo_run, root / "demo")
    old_clv = (root / "demo" / "tables" / "clv").exists()
    final = run_engagement(demo_engagement, only=["value_drivers"], output_dir=root, progress=False,
                           log=lambda m: None)
    manifest = json.loads((final / "manifest.json").read_text())
    statuses = {nb["analysis"]: nb["status"] for nb in manifest["notebooks"]}
    assert statuses["value_drivers"] == "ok" and statuses["overview"] == "ok"
    assert statuses["clv"] == "carried_over" and statuses["segmentation"] == "carried_over"
    # The executive summary always reruns, on the carried-over results too.
    assert statuses["synthesis"] == "ok" and "Headline findings" in (final / "index.html").read_text()
    assert (final / "tables" / "clv").exists() == old_clv
    assert (final / "04_customer_lifetime_value.html").exists()


def test_kernels_draw_inline_whatever_the_shell_backend(monkeypatch):
    # With MPLBACKEND=Agg inherited by the kernel, plt.show() draws nothing: a deliverable without charts.
    import os

    from cvkit.data.privacy import PrivacyOptions
    from cvkit.engagement.runner import kernel_environment

    monkeypatch.setenv("MPLBACKEND", "Agg")
    with kernel_environment():
        assert os.environ["MPLBACKEND"] == "module://matplotlib_inline.backend_inline"
    assert os.environ["MPLBACKEND"] == "Agg"
    # The pseudonymisation key is withheld from kernels too, and restored afterwards.
    monkeypatch.setenv("CVKIT_PSEUDONYM_KEY", "k" * 32)
    with kernel_environment(PrivacyOptions(key_env="CVKIT_PSEUDONYM_KEY")):
        assert "CVKIT_PSEUDONYM_KEY" not in os.environ
        assert os.environ["MPLBACKEND"] == "module://matplotlib_inline.backend_inline"
    assert os.environ["CVKIT_PSEUDONYM_KEY"] == "k" * 32 and os.environ["MPLBACKEND"] == "Agg"


def test_recover_restores_a_deliverable_left_mid_swap(tmp_path: Path):
    old = tmp_path / ".acme.old-123"
    old.mkdir()
    (old / "index.html").write_text("good")
    (tmp_path / ".acme.building-xyz").mkdir()
    _recover(tmp_path, "acme")
    assert (tmp_path / "acme" / "index.html").read_text() == "good"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["acme"]


def test_second_run_of_the_same_client_is_refused_while_locked(tmp_path: Path, demo_engagement: Path):
    import fcntl

    root = tmp_path / "out"
    root.mkdir()
    with open(root / ".demo.lock", "a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        with pytest.raises(RunError, match="another run for client 'demo' is in progress"):
            run_engagement(demo_engagement, output_dir=root, progress=False, log=lambda m: None)


def test_bad_data_stops_before_any_notebook(tmp_path: Path, demo_engagement: Path):
    from cvkit.data import DataError

    eng = tmp_path / "eng"
    shutil.copytree(demo_engagement.parent, eng)
    tx = eng / "data" / "transactions.csv"
    lines = tx.read_text().splitlines()
    lines[5] = lines[5].rsplit(",", 1)[0] + ",-12.50"
    tx.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError, match="amount"):
        run_engagement(eng / "engagement.yaml", output_dir=tmp_path / "out", progress=False, log=lambda m: None)
    assert not (tmp_path / "out" / "demo").exists()
    assert not list((tmp_path / "out").glob(".demo.building-*"))


def _overview_only(folder: Path, demo_engagement: Path, name: str, slug: str) -> Path:
    """A copy of the demo engagement for another client, with only the overview page."""
    import yaml

    shutil.copytree(demo_engagement.parent / "data", folder / "data")
    raw = yaml.safe_load(demo_engagement.read_text())
    raw["client"] = {"name": name, "slug": slug}
    for section in raw["analyses"].values():
        section["enabled"] = False
    config = folder / "engagement.yaml"
    config.write_text(yaml.safe_dump(raw, sort_keys=False))
    return config


def test_two_clients_in_parallel_keep_to_their_own_folders(tmp_path: Path, demo_engagement: Path):
    from cvkit.engagement.runner import run_many

    a = _overview_only(tmp_path / "a", demo_engagement, "Client A", "client-a")
    b = _overview_only(tmp_path / "b", demo_engagement, "Client B", "client-b")
    results = run_many([a, b], jobs=2, output_dir=tmp_path / "out")
    assert [status for _, status, _ in results] == ["ok", "ok"], results
    for config, slug in ((a, "client-a"), (b, "client-b")):
        manifest = json.loads((tmp_path / "out" / slug / "manifest.json").read_text())
        assert manifest["client"]["slug"] == slug
        # Input paths are relative to the client's own engagement folder (no absolute path in a deliverable).
        assert all(not Path(i["path"]).is_absolute() and (config.parent / i["path"]).is_file()
                   for i in manifest["inputs"]) and manifest["inputs"]
        page = (tmp_path / "out" / slug / "00_engagement_overview.html").read_text()
        assert manifest["client"]["name"] in page
    assert sorted(p.name for p in (tmp_path / "out").iterdir() if not p.name.startswith(".")) == [
        "client-a", "client-b"]
