import pytest

from cvkit.engagement.notebook import ParameterError, check_parameters, data_path


def test_valid_parameters_pass_and_are_returned():
    ns = {"__annotations__": {"client": str, "k": int, "rate": float}, "client": "acme", "k": 3, "rate": 1}
    assert check_parameters(ns) == {"client": "acme", "k": 3, "rate": 1.0}


def test_typo_in_injected_parameter_is_an_error_with_suggestion():
    ns = {"__annotations__": {"horizon_months": int}, "horizon_months": 12, "horizon_month": 6}
    with pytest.raises(ParameterError, match="'horizon_month' = 6 is not a parameter of this notebook. "
                                             "Did you mean 'horizon_months'"):
        check_parameters(ns)


def test_wrong_type_is_an_error():
    ns = {"__annotations__": {"k": int}, "k": "three"}
    with pytest.raises(ParameterError, match="parameter 'k' = 'three' is not a valid int"):
        check_parameters(ns)


def test_modules_functions_and_private_names_are_ignored():
    import math

    ns = {"__annotations__": {"k": int}, "k": 2, "math": math, "f": lambda: 1, "_x": 5, "In": [], "Out": {}}
    assert check_parameters(ns) == {"k": 2}


def test_data_path_none_empty_and_missing(tmp_path):
    assert data_path("transactions", "none") is None
    existing = tmp_path / "t.csv"
    existing.write_text("a\n1\n")
    assert data_path("transactions", str(existing)) == existing
    with pytest.raises(FileNotFoundError, match="transactions file 'nope.csv' not found"):
        data_path("transactions", "nope.csv")


def test_data_path_empty_is_the_demo_file():
    path = data_path("customers", "")
    assert path.exists() and path.name.startswith("customers")


def test_the_notebook_and_the_config_apply_one_rule():
    from cvkit.engagement.parameters import NotebookParameter, check_values

    declared = {"k": NotebookParameter("k", "int", 2, "segments"), "rate": NotebookParameter("rate", "float", 0.1, "")}
    for values in ({"k": "3"}, {"k": True}, {"k": 2.5}, {"rate": "0.1"}, {"k": 3, "rate": 1}):
        config_ok = not check_values(values, declared, "analyses.x.parameters")
        ns = {"__annotations__": {"k": int, "rate": float}, "k": 2, "rate": 0.1, **values}
        try:
            check_parameters(ns)
            notebook_ok = True
        except ParameterError:
            notebook_ok = False
        assert config_ok == notebook_ok, values
