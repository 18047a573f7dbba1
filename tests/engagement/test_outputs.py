import json

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd
import pytest

from cvkit.engagement.outputs import Outputs


def test_writes_tables_figures_and_results(tmp_path):
    out = Outputs(tmp_path, "clv")
    df = pd.DataFrame({"customer_id": ["a", "b"], "clv": [1.0 / 3, 2.5]})
    assert out.table(df, "customers") is df
    fig, ax = plt.subplots()
    ax.plot([1, 2], [3, 4])
    out.figure(ax, "curve")
    out.result("total_clv", 12.5, unit="EUR", label="Total CLV")
    assert pd.read_csv(tmp_path / "tables/clv/customers.csv")["clv"].tolist() == df["clv"].tolist()
    assert (tmp_path / "figures/clv/curve.png").stat().st_size > 0
    assert (tmp_path / "figures/clv/curve.svg").read_text().startswith("<?xml")
    results = json.loads((tmp_path / "results/clv.json").read_text())
    # The results contract (cvkit.engagement.results): key figures beside the (not yet written) structured section.
    assert results == {"schema_version": 1, "analysis": "clv", "section": None, "red_flags": [],
                       "key_figures": {"total_clv": {"value": 12.5, "unit": "EUR", "label": "Total CLV"}}}
    plt.close(fig)


def test_rerun_writes_identical_files(tmp_path):
    for folder in ("a", "b"):
        out = Outputs(tmp_path / folder, "x")
        out.table(pd.DataFrame({"v": [0.1, 0.2, 1e-9]}), "t")
        fig, ax = plt.subplots()
        ax.bar(["a", "b"], [1, 2])
        out.figure(fig, "f")
        plt.close(fig)
    for rel in ("tables/x/t.csv", "figures/x/f.svg", "figures/x/f.png"):
        assert (tmp_path / "a" / rel).read_bytes() == (tmp_path / "b" / rel).read_bytes(), rel


def test_disabled_outputs_write_nothing(tmp_path):
    out = Outputs("", "clv")
    assert not out.enabled
    out.table(pd.DataFrame({"a": [1]}), "t")
    out.result("k", 1)
    assert list(tmp_path.iterdir()) == []


def test_names_are_checked(tmp_path):
    out = Outputs(tmp_path, "clv")
    out.table(pd.DataFrame({"a": [1]}), "t")
    with pytest.raises(ValueError, match="already written"):
        out.table(pd.DataFrame({"a": [1]}), "t")
    with pytest.raises(ValueError, match="lower-case"):
        out.table(pd.DataFrame({"a": [1]}), "Bad Name")
    with pytest.raises(ValueError, match="lower-case"):
        Outputs(tmp_path, "CLV!")


def test_index_cards_write_yes_no_for_flags_and_group_thousands():
    from cvkit.engagement.report import _format_value

    assert _format_value({"value": True, "unit": None}) == "yes"
    assert _format_value({"value": False, "unit": None}) == "no"
    assert _format_value({"value": 1500, "unit": "respondents"}) == "1,500 respondents"


def test_files_other_than_tables_are_written_through_outputs(tmp_path):
    from cvkit.engagement.outputs import Outputs

    out = Outputs(tmp_path, "segment")
    assert out.text("typing_tool.py", "print(1)\n") == tmp_path / "tables" / "segment" / "typing_tool.py"
    assert (tmp_path / "tables" / "segment" / "typing_tool.py").read_text() == "print(1)\n"
    seen = {}
    out.file("typing_tool.xlsx", lambda path, **kw: seen.update(path=path, **kw), sheet="x")
    assert seen == {"path": tmp_path / "tables" / "segment" / "typing_tool.xlsx", "sheet": "x"}
    import pytest
    with pytest.raises(ValueError, match="already written"):
        out.text("typing_tool.py", "again")
    with pytest.raises(ValueError, match="extension"):
        out.text("no_extension", "x")
    assert Outputs("", "segment").text("typing_tool.py", "x") is None  # writing disabled: nothing written
