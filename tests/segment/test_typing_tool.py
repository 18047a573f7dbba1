"""Typing tool: golden questions, honest accuracy, Python and Excel exports that agree with predict."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cvkit.segment import GoldenQuestions


@pytest.fixture(scope="module")
def survey():
    rng = np.random.default_rng(5)
    n = 240
    seg = np.repeat([1, 2, 3], n // 3)
    items = pd.DataFrame(rng.integers(2, 9, (n, 12)).astype(float), columns=[f"imp_{i}" for i in range(12)])
    items.loc[seg == 1, "imp_0"] += 3
    items.loc[seg == 2, "imp_5"] += 3
    items.loc[seg == 3, "imp_9"] += 3
    items["imp_const"] = 5.0
    return items, seg


def test_picks_few_items_with_honest_accuracy(survey):
    items, seg = survey
    gq = GoldenQuestions(max_items=4, seed=0).fit(items, seg)
    assert 1 <= len(gq.items_) <= 4 and "imp_const" not in gq.items_
    assert {"imp_0", "imp_5", "imp_9"} <= set(gq.items_) | {"imp_0"} and "imp_5" in gq.items_
    assert 0.6 < gq.cv_accuracy_ <= 1.0
    assert gq.cv_confusion_.to_numpy().sum() == len(seg)
    assert list(gq.path_["step"]) == list(range(1, len(gq.items_) + 1))
    assert gq.weights_.shape == (len(gq.items_) + 1, 3)
    # the linear scores reproduce scikit-learn's LDA
    assert (gq.predict(items) == gq.lda_.predict(items[gq.items_].to_numpy())).all()
    again = GoldenQuestions(max_items=4, seed=0).fit(items, seg)
    assert again.items_ == gq.items_ and again.cv_accuracy_ == gq.cv_accuracy_


def test_python_function_matches_predict(survey):
    items, seg = survey
    gq = GoldenQuestions(max_items=3, seed=1).fit(items, seg)
    ns: dict = {}
    exec(gq.to_python(), ns)  # noqa: S102 - generated code under test
    fn = ns["assign_segment"]
    got = [fn(row) for row in items.to_dict("records")]
    assert got == [str(s) for s in gq.predict(items)]
    # a missing answer counts as the sample mean
    assert fn({}) in gq.weights_.columns


def test_excel_scoring_sheet(survey, tmp_path):
    from openpyxl import load_workbook

    items, seg = survey
    gq = GoldenQuestions(max_items=3, seed=1).fit(items, seg)
    path = gq.to_excel(tmp_path / "sub" / "typing_tool.xlsx", item_labels={gq.items_[0]: "How important is X?"},
                       segment_names={"1": "One"})
    wb = load_workbook(path)
    assert wb.sheetnames == ["How to score", "Items", "Weights", "Calculator"]
    assert wb["Items"]["C2"].value == "How important is X?"
    w = wb["Weights"]
    assert w["A2"].value == "constant" and w["B1"].value == "1 One"
    assert w["B2"].value == pytest.approx(gq.weights_.iloc[0, 0])
    calc = wb["Calculator"]
    assert str(calc["C2"].value).startswith("=Weights!B3*B2")
    assert "accuracy" in " ".join(str(c.value) for c in wb["How to score"]["A"])


def test_two_segments_and_bad_input(survey):
    items, seg = survey
    two = np.where(seg == 1, 1, 2)
    gq = GoldenQuestions(max_items=2, seed=0).fit(items, two)
    assert gq.weights_.shape[1] == 2
    assert (gq.predict(items) == gq.lda_.predict(items[gq.items_].to_numpy())).all()
    with pytest.raises(ValueError, match="at least 1"):
        GoldenQuestions(max_items=0).fit(items, seg)
    with pytest.raises(ValueError, match="no candidate question varies"):
        GoldenQuestions().fit(items[["imp_const"]], seg)
    with pytest.raises(ValueError, match="at least 2 per segment"):
        GoldenQuestions().fit(items, np.r_[seg[:-1], 9])
    with pytest.raises(ValueError, match="lack the golden questions"):
        gq.predict(items.drop(columns=gq.items_[0]))
