"""Every analysis notebook keeps the conventions the runner and the deliverable rely on."""

import logging
from pathlib import Path

import nbformat
import pytest

from cvkit.engagement.config import ANALYSES, COMMON_PARAMETERS, OVERVIEW, SYNTHESIS
from cvkit.engagement.parameters import NOTEBOOKS_DIR, notebook_parameters

NOTEBOOKS = sorted(NOTEBOOKS_DIR.glob("[0-9][0-9]_*.ipynb"))
COMMON_TYPES = {"client": "str", "client_name": "str", "currency": "str", "locale": "str", "analysis_date": "str", "seed": "int",
                "output_dir": "str"}


def test_every_analysis_has_its_notebook():
    names = {p.name for p in NOTEBOOKS}
    for analysis in (OVERVIEW, *ANALYSES.values(), SYNTHESIS):
        assert analysis.notebook in names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_parameters_cell_is_typed_documented_and_papermill_readable(path: Path, caplog):
    import papermill

    params = notebook_parameters(path)
    for name in COMMON_PARAMETERS:
        assert params[name].type == COMMON_TYPES[name], name
    for p in params.values():
        assert p.help, f"{path.name}: parameter '{p.name}' has no help comment"
    with caplog.at_level(logging.WARNING, logger="papermill"):
        inspected = papermill.inspect_notebook(str(path))
    assert not [r for r in caplog.records if "Unable to parse" in r.getMessage()], \
        f"{path.name}: papermill cannot parse a parameter line (no '=' in help comments)"
    assert list(inspected) == list(params)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_first_code_cells_are_parameters_then_check(path: Path):
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert "parameters" in code[0].metadata.get("tags", [])
    assert "check_parameters(globals())" in code[1].source
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# "), \
        f"{path.name} must open with a title and an explanation"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_narrative_first(path: Path):
    """Each step an analyst sees is introduced by markdown that says why it is done."""
    nb = nbformat.read(path, as_version=4)
    cells = nb.cells
    for i, cell in enumerate(cells):
        tags = cell.metadata.get("tags", [])
        if cell.cell_type != "code" or "parameters" in tags or "remove-cell" in tags or i < 3:
            continue
        previous = next((c for c in reversed(cells[:i]) if "remove-cell" not in c.metadata.get("tags", [])), None)
        assert previous is not None and (previous.cell_type == "markdown" or "hide-input" in tags
                                         or previous.cell_type == "code"), f"{path.name} cell {i}"
    n_markdown = sum(c.cell_type == "markdown" for c in cells)
    n_visible_code = sum(c.cell_type == "code" and "remove-cell" not in c.metadata.get("tags", []) for c in cells)
    assert n_markdown >= 0.6 * n_visible_code, f"{path.name}: too little narrative"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_stored_executed_without_errors(path: Path):
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.get("execution_count") for c in code), f"{path.name} is not stored executed"
    errors = [o for c in code for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors, f"{path.name} stored with an error output"
    checked = [c for c in code if "nbval-check-output" in c.metadata.get("tags", [])]
    assert checked, f"{path.name}: no key numbers are checked by nbval"
