from pathlib import Path

import nbformat
import pytest

from cvkit.engagement.parameters import check_values, format_parameters, notebook_parameters


def _notebook(tmp_path: Path, source: str, tags=("parameters",)) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# t"), nbformat.v4.new_code_cell(source, metadata={"tags": list(tags)})]
    path = tmp_path / "nb.ipynb"
    nbformat.write(nb, path)
    return path


def test_reads_typed_parameters_with_help(tmp_path):
    path = _notebook(tmp_path, 'client: str = "demo"  # client slug\nmargin: float = 0.3  # gross margin # share\n'
                               'models: list = ["bgnbd"]  # models\nlimit: int = 5')
    params = notebook_parameters(path)
    assert list(params) == ["client", "margin", "models", "limit"]
    assert params["client"].type == "str" and params["client"].default == "demo"
    assert params["client"].help == "client slug"
    assert params["margin"].help == "gross margin # share"
    assert params["models"].default == ["bgnbd"]
    assert params["limit"].help == ""


def test_hash_inside_default_string_is_not_a_comment(tmp_path):
    params = notebook_parameters(_notebook(tmp_path, 'colour: str = "#C8102E"  # client colour'))
    assert params["colour"].default == "#C8102E" and params["colour"].help == "client colour"


def test_untyped_parameter_is_rejected(tmp_path):
    with pytest.raises(ValueError, match="line 2 is not a typed assignment"):
        notebook_parameters(_notebook(tmp_path, 'a: int = 1\nb = 2'))


def test_unsupported_type_is_rejected(tmp_path):
    with pytest.raises(ValueError, match="parameter 'd' has type tuple"):
        notebook_parameters(_notebook(tmp_path, 'd: tuple = (1, 2)'))


def test_missing_parameters_tag(tmp_path):
    with pytest.raises(ValueError, match="no cell tagged 'parameters'"):
        notebook_parameters(_notebook(tmp_path, 'a: int = 1', tags=()))


def test_unknown_notebook_name_suggests_close_match():
    with pytest.raises(FileNotFoundError, match="Did you mean '00_engagement_overview'"):
        notebook_parameters("00_engagement_overveiw")


def test_check_values_reports_typos_and_types(tmp_path):
    declared = notebook_parameters(_notebook(tmp_path, 'horizon_months: int = 12  # months\n'
                                                       'discount_rate: float = 0.1  # annual\n'
                                                       'use_gmm: bool = True  # flag'))
    problems = check_values({"horizon_month": 6, "discount_rate": 1, "use_gmm": "yes"}, declared, "analyses.clv")
    assert len(problems) == 2
    assert "analyses.clv.horizon_month: unknown parameter. Did you mean 'horizon_months'?" in problems[0]
    assert "analyses.clv.use_gmm: 'yes' is a str, expected bool" in problems[1]
    assert check_values({"horizon_months": True}, declared, "x") != []  # a bool is not an int


def test_format_parameters_lists_every_parameter(tmp_path):
    text = format_parameters(_notebook(tmp_path, 'client: str = "demo"  # client slug\nk: int = 3  # segments'))
    assert "client" in text and "'demo'" in text and "client slug" in text and "segments" in text


def test_clv_settings_the_run_cannot_use_are_refused_naming_the_key():
    from cvkit.engagement.config import ANALYSES

    declared = notebook_parameters(ANALYSES["clv"].path)
    where = "analyses.clv"
    assert check_values({"models": ["pareto_nbd"], "clv_model": "auto", "participation_period": "Q",
                         "margin": 1, "horizon_months": 1, "annual_discount_rate": 0}, declared, where) == []
    text = "\n".join(check_values({"models": ["pareto_nbd"], "clv_model": "bg_nbd"}, declared, where))
    assert "analyses.clv.clv_model: 'bg_nbd' is not among the models compared (pareto_nbd). Fix: add bg_nbd" in text
    text = "\n".join(check_values({"participation_period": "W", "models": ["bgnbd"], "margin": 1.5,
                                   "horizon_months": 0, "annual_discount_rate": 1.0}, declared, where))
    assert "analyses.clv.participation_period: 'W' is not one of Y, Q, M" in text
    assert "analyses.clv.models: 'bgnbd' is not one of bg_nbd, mbg_nbd, pareto_nbd" in text
    assert "analyses.clv.margin: 1.5 is out of range" in text and "analyses.clv.horizon_months: 0 is out" in text
    assert "analyses.clv.annual_discount_rate: 1.0 is out of range" in text
