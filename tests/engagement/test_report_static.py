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
