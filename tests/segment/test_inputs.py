"""Notebook helpers: part-worth sources, input blocks, respondent facts, CLV fallback, final fit, plots."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from cvkit.segment import (LatentClassModel, SegmentModel, build_inputs, compare_partitions, compute_clv,
                           fit_segmentation, ordinal_bins, plot_dendrogram, plot_segment_sizes, resolve_partworths,
                           respondent_frame)


def test_partworth_file_is_read(tmp_path):
    path = tmp_path / "pw.csv"
    pd.DataFrame({"respondent_id": ["007", "008"], "a.x": [1.0, -1.0], "label": ["p", "q"]}).to_csv(path, index=False)
    pw, source = resolve_partworths(partworths_file=str(path))
    assert list(pw.columns) == ["respondent_id", "a.x"] and pw["respondent_id"].tolist() == ["007", "008"]
    assert "pw.csv" in source
    bad = tmp_path / "bad.csv"
    pd.DataFrame({"id": [1], "a.x": [1.0]}).to_csv(bad, index=False)
    with pytest.raises(ValueError, match="no 'respondent_id'"):
        resolve_partworths(partworths_file=str(bad))


def test_no_partworth_source_says_so():
    pw, source = resolve_partworths()
    assert pw is None and "needs battery is used alone" in source


def _needs(n=50):
    rng = np.random.default_rng(0)
    df = pd.DataFrame(rng.integers(0, 11, (n, 4)), columns=[f"imp_{i}" for i in range(4)])
    df.insert(0, "respondent_id", [f"R{i}" for i in range(n)])
    return df


def test_build_inputs_blocks_and_fallbacks():
    needs = _needs()
    pw = pd.DataFrame({"respondent_id": [f"R{i}" for i in range(30)], "a.x": np.linspace(-1, 1, 30)})
    data, blocks, notes = build_inputs(needs=needs, partworths=pw, inputs="both")
    assert len(data) == 30 and [b.name for b in blocks] == ["needs", "partworths"] and blocks[0].center_rows
    assert any("20 respondents of the needs table" in n for n in notes)
    data, blocks, notes = build_inputs(needs=needs, partworths=None, inputs="both")
    assert [b.name for b in blocks] == ["needs"] and any("not available" in n for n in notes)
    data, blocks, _ = build_inputs(needs=None, partworths=pw, inputs="needs")
    assert [b.name for b in blocks] == ["partworths"]
    with pytest.raises(ValueError, match="inputs="):
        build_inputs(needs=needs, partworths=None, inputs="all")
    with pytest.raises(ValueError, match="neither needs nor part-worths"):
        build_inputs(needs=None, partworths=None)
    with pytest.raises(ValueError, match="needs_prefix"):
        build_inputs(needs=needs, partworths=None, needs_prefix="q_")


def test_respondent_frame_links_survey_and_customers():
    survey = pd.DataFrame({"respondent_id": ["R1", "R1", "R2"], "customer_id": ["C1", "C1", "C9"],
                           "brand": ["Us", "Them", "Us"], "nps": [9, 3, 6]})
    customers = pd.DataFrame({"customer_id": ["C1"], "channel": ["online"]})
    f = respondent_frame(pd.Index(["R1", "R2", "R3"]), survey=survey, customers=customers, client_brand="Us")
    assert f.loc["R1", "nps"] == 9 and f.loc["R2", "customer_id"] == "C9" and pd.isna(f.loc["R3", "customer_id"])
    assert f.loc["R1", "channel"] == "online" and pd.isna(f.loc["R2", "channel"])  # C9 not a known customer
    with pytest.raises(ValueError, match="client brand 'Nope'"):
        respondent_frame(pd.Index(["R1"]), survey=survey, client_brand="Nope")
    with pytest.raises(ValueError, match="profile_numeric"):
        respondent_frame(pd.Index(["R1"]), survey=survey, client_brand="Us", survey_columns=["nope"])


def test_compute_clv_from_the_demo_log(demo):
    clv = compute_clv(demo.transactions, "2026-06-30")
    assert {"customer_id", "clv", "p_alive"} <= set(clv.columns)
    assert len(clv) == demo.transactions["customer_id"].nunique() and (clv["clv"] >= 0).all()


def test_fit_segmentation_dispatch(blobs):
    X, _ = blobs
    assert isinstance(fit_segmentation("gmm", 3, X, n_init=2), SegmentModel)
    assert hasattr(fit_segmentation("consensus", 3, X), "reproducibility_")
    cat = ordinal_bins(pd.DataFrame(np.round(X)), center_rows=False)
    assert isinstance(fit_segmentation("lca", 3, X, categorical=cat), LatentClassModel)
    with pytest.raises(ValueError, match="needs categorical answers"):
        fit_segmentation("lca", 3, X)
    with pytest.raises(ValueError, match="not known"):
        fit_segmentation("spectral", 3, X)


def test_compare_partitions():
    a = np.array([1, 1, 2, 2, 3, 3])
    m = compare_partitions({"a": a, "b": 4 - a, "c": np.array([1, 2, 1, 2, 1, 2])})
    assert m.loc["a", "b"] == pytest.approx(1.0) and m.loc["a", "c"] < 0.1 and (np.diag(m) == 1).all()


def test_plots(blobs):
    X, _ = blobs
    ward = SegmentModel(3, "ward").fit(X)
    ax = plot_dendrogram(ward.linkage_, 3)
    assert ax.get_legend() is not None
    ax = plot_segment_sizes({1: 150, 2: 100, 3: 50}, names={1: "A"}, min_share=0.2)
    assert ax.get_yticklabels()[-1].get_text() == "1: A"
    plt.close("all")


def test_partworths_none_aggregate_and_one_task_are_refused_with_the_reason(tmp_path):
    import pandas as pd

    from cvkit.segment import resolve_partworths

    pw, why = resolve_partworths(partworths_file="none")
    assert pw is None and "partworths_file: none" in why
    same = tmp_path / "same.csv"
    pd.DataFrame({"respondent_id": ["a", "b", "c"], "x.1": [0.5] * 3, "x.2": [-0.5] * 3}).to_csv(same, index=False)
    pw, why = resolve_partworths(partworths_file=str(same))
    assert pw is None and "same part-worths" in why
    one = tmp_path / "one.csv"
    pd.DataFrame({"respondent_id": ["a", "a", "b", "b"], "task": 1, "alternative": [1, 2, 1, 2],
                  "x": ["p", "q", "q", "p"], "chosen": [1, 0, 0, 1]}).to_csv(one, index=False)
    pw, why = resolve_partworths(choice=str(one), attributes={"x": ["p", "q"]})
    assert pw is None and "one task" in why
