"""A page carries no script: widget and JavaScript outputs stay in JupyterLab (issue 13/14)."""
from __future__ import annotations

import base64

import nbformat

from cvkit.engagement.report import render_notebook

PNG = base64.b64encode(bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
                                     "0000000d4944415478da6360000002000154a24f5d0000000049454e44ae426082")).decode()


def test_widget_and_javascript_outputs_are_left_out_of_the_page(tmp_path):
    cell = nbformat.v4.new_code_cell("interactive()")
    cell.outputs = [
        nbformat.v4.new_output("display_data", data={
            "application/vnd.jupyter.widget-view+json": {"model_id": "abc", "version_major": 2, "version_minor": 0},
            "text/plain": "VBox(children=(FloatSlider(value=0.1),))"}),
        nbformat.v4.new_output("display_data", data={"application/javascript": "document.title = 'JS'",
                                                      "text/plain": "<IPython.core.display.Javascript object>"}),
        nbformat.v4.new_output("display_data", data={"text/html": "<div id='plot'></div><script>draw()</script>",
                                                      "image/png": PNG, "text/plain": "Figure"}),
        nbformat.v4.new_output("stream", name="stdout", text="Total CLV 1,234\n"),
    ]
    nb = nbformat.v4.new_notebook()
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}, "version_major": 2}}
    nb.cells = [nbformat.v4.new_markdown_cell("# Page"), cell]
    html = render_notebook(nb, tmp_path / "page.html", title="CLV", client_name="Client",
                           analysis_date="2026-01-01").read_text(encoding="utf-8")
    body = html.split("</head>", 1)[1]
    assert "<script" not in body.lower()
    assert "widget-view" not in body and "widget-state" not in body and "FloatSlider" not in body and "IPython" not in body
    assert "data:image/png;base64," in body and "Total CLV 1,234" in body


def _said(text, not_applicable=False):
    cell = nbformat.v4.new_code_cell("step()")
    meta = {"cvkit_not_applicable": True} if not_applicable else {}
    cell.outputs = [nbformat.v4.new_output("display_data", data={"text/plain": text}, metadata=meta)]
    return cell


def test_a_section_that_does_not_apply_is_left_out_of_the_client_page_only(tmp_path):
    md = nbformat.v4.new_markdown_cell
    nb = nbformat.v4.new_notebook()
    nb.cells = [md("# Customer lifetime value"), md("## 1. Value"), _said("Total CLV 1,234"),
                md("## 2. Subscribers"), md("**Why.** Subscriptions renew or cancel."),
                _said("No subscriptions in this engagement.", not_applicable=True),
                md("### 2.1 Survival"), _said("survival chart"),
                md("## 3. What if"), _said("Scenario table")]
    client = render_notebook(nb, tmp_path / "client.html", title="CLV", client_name="Client",
                             analysis_date="2026-01-01").read_text(encoding="utf-8")
    for kept in ("1. Value", "Total CLV 1,234", "2. What if", "Scenario table"):  # numbered again
        assert kept in client
    for dropped in ("2. Subscribers", "Subscriptions renew", "No subscriptions", "2.1 Survival", "survival chart"):
        assert dropped not in client
    analyst = render_notebook(nb, tmp_path / "analyst.html", title="CLV", client_name="Client",
                              analysis_date="2026-01-01", show_code=True).read_text(encoding="utf-8")
    assert "2. Subscribers" in analyst and "No subscriptions in this engagement." in analyst


def test_not_applicable_marks_its_output():
    from unittest import mock

    from cvkit import present

    with mock.patch("IPython.display.display") as shown:
        present.not_applicable("No subscriptions in <this> engagement.")
    (data,), kwargs = shown.call_args
    assert kwargs["metadata"] == {"cvkit_not_applicable": True} and kwargs["raw"] is True
    assert data["text/plain"] == "No subscriptions in <this> engagement." and "&lt;this&gt;" in data["text/html"]


def test_sections_are_numbered_again_after_one_is_left_out(tmp_path):
    md = nbformat.v4.new_markdown_cell
    nb = nbformat.v4.new_notebook()
    nb.cells = [md("# Overview"), md("## 1. Loaded"), _said("table"), md("## 2. Customers"),
                _said("No customer file.", not_applicable=True), md("## 3. Survey"), _said("survey chart"),
                md("## Red flags"), _said("none")]
    client = render_notebook(nb, tmp_path / "client.html", title="Overview", client_name="Client",
                             analysis_date="2026-01-01").read_text(encoding="utf-8")
    assert "1. Loaded" in client and "2. Survey" in client and "3. Survey" not in client and "Customers" not in client
    assert "Red flags" in client


def test_the_header_links_the_summary_once(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# Overview")]
    page = render_notebook(nb, tmp_path / "p.html", title="Engagement overview", client_name="Client",
                           analysis_date="2026-01-01", prev={"title": "Executive summary", "html": "index.html"},
                           next={"title": "Customer lifetime value", "html": "04.html"}).read_text(encoding="utf-8")
    header = page.split('<nav class="cvkit-nav">', 1)[1].split("</nav>", 1)[0]
    assert header.count("index.html") == 1 and "04.html" in header


def test_a_line_printed_in_pieces_gives_the_same_page(tmp_path):
    # The kernel may flush "text." and its "\n" as two stream outputs: the page must not depend on that.
    def page(*pieces):
        cell = nbformat.v4.new_code_cell("say()")
        cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=t) for t in pieces]
        cell.id, title = "say", nbformat.v4.new_markdown_cell("# Page")
        title.id = "title"
        nb = nbformat.v4.new_notebook()
        nb.cells = [title, cell]
        return render_notebook(nb, tmp_path / "page.html", title="CLV", client_name="Client",
                               analysis_date="2026-01-01").read_text(encoding="utf-8")

    whole = page("No price evidence.\n")
    assert page("No price evidence.", "\n") == whole
    assert whole.count("No price evidence.") == 1
