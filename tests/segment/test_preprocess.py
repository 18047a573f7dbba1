"""Preprocessing: scale-use removal, standardisation, block weights, PCA, unusable columns."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cvkit.segment import InputBlock, NeedsPreprocessor, join_inputs, ordinal_bins


def _battery(n=200, p=6, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame(rng.integers(0, 11, (n, p)).astype(float), columns=[f"imp_{i}" for i in range(p)],
                        index=pd.Index([f"R{i}" for i in range(n)], name="respondent_id"))


def test_mean_centring_removes_scale_use():
    df = _battery()
    shifted = df.add(np.arange(len(df)) % 3, axis=0)  # respondents using the scale higher
    pp = NeedsPreprocessor([InputBlock("needs", list(df.columns), center_rows=True)], standardize=False)
    a = pp.fit(df).transform(df)
    b = pp.fit(shifted).transform(shifted)
    assert np.allclose(a, b)
    assert np.allclose(a.sum(axis=1), 0)  # every row centred (equal weights)


def test_standardised_blocks_contribute_equal_variance():
    rng = np.random.default_rng(1)
    df = pd.DataFrame(rng.normal(0, 1, (300, 12)) * np.r_[np.full(9, 3.0), np.ones(3)],
                      columns=[f"a{i}" for i in range(9)] + [f"b{i}" for i in range(3)])
    pp = NeedsPreprocessor([InputBlock("a", [f"a{i}" for i in range(9)]),
                            InputBlock("b", [f"b{i}" for i in range(3)])])
    X = pp.fit(df).transform(df)
    var = X.var(axis=0)
    assert var[:9].sum() == pytest.approx(1.0) and var[9:].sum() == pytest.approx(1.0)
    s = pp.summary()
    assert list(s["columns_kept"]) == [9, 3]


def test_constant_and_all_missing_columns_are_dropped_and_flagged():
    df = _battery()
    df["imp_const"] = 5.0
    df["imp_empty"] = np.nan
    pp = NeedsPreprocessor([InputBlock("needs", list(df.columns), center_rows=True)])
    X, idx = pp.fit_transform(df)
    assert X.shape == (len(df), 6)
    assert set(pp.dropped_["column"]) == {"imp_const", "imp_empty"}
    assert pp.dropped_.set_index("column").loc["imp_const", "reason"].startswith("constant")
    assert pp.dropped_.set_index("column").loc["imp_empty", "reason"] == "all values missing"


def test_every_input_unusable_is_an_error():
    df = pd.DataFrame({"a": [1.0] * 30, "b": [np.nan] * 30})
    with pytest.raises(ValueError, match="every segmentation input is constant or missing"):
        NeedsPreprocessor([InputBlock("x", ["a", "b"])]).fit(df)
    with pytest.raises(ValueError, match="not in the data"):
        NeedsPreprocessor([InputBlock("x", ["zz"])]).fit(df)


def test_missing_answers_imputed_and_mostly_missing_respondents_excluded():
    df = _battery()
    df.iloc[0, :5] = np.nan   # 5 of 6 missing: excluded
    df.iloc[1, 0] = np.nan    # 1 missing: imputed
    pp = NeedsPreprocessor([InputBlock("needs", list(df.columns))])
    X, idx = pp.fit_transform(df)
    assert "R0" not in idx and "R1" in idx and np.isfinite(X).all()
    assert list(pp.excluded_rows_) == ["R0"]


def test_pca_variance_explained():
    df = _battery(p=10)
    pp = NeedsPreprocessor([InputBlock("needs", list(df.columns))], pca=0.8)
    X = pp.fit(df).transform(df)
    ev = pp.explained_variance_
    assert X.shape[1] == len(ev) and ev["cumulative_share"].iloc[-1] >= 0.8
    assert ev["cumulative_share"].iloc[-2] < 0.8 if len(ev) > 1 else True
    assert pp.feature_names_[0] == "PC1"


def test_join_inputs_reports_dropped_ids():
    a = pd.DataFrame({"respondent_id": ["1", "2", "3"], "x": [1, 2, 3]})
    b = pd.DataFrame({"respondent_id": [2, 3, 4], "y": [5, 6, 7]})  # ids as numbers: compared as strings
    out = join_inputs({"needs": a, "pw": b})
    assert list(out.index) == ["2", "3"]
    assert out.attrs["dropped_ids"] == {"needs": ["1"], "pw": ["4"]}
    with pytest.raises(ValueError, match="duplicated"):
        join_inputs({"needs": pd.concat([a, a])})
    with pytest.raises(ValueError, match="no respondent_id is present in every"):
        join_inputs({"a": a, "b": b.assign(respondent_id=["9", "8", "7"])})
    with pytest.raises(ValueError, match="has no 'respondent_id'"):
        join_inputs({"a": a.drop(columns="respondent_id")})


def test_ordinal_bins():
    df = pd.DataFrame({"a": [9, 5, np.nan], "b": [5, 5, 5], "c": [1, 5, 8]})
    out = ordinal_bins(df)
    assert out.loc[0].tolist() == [2.0, 1.0, 0.0]
    assert out.loc[1].tolist() == [1.0, 1.0, 1.0]
    assert np.isnan(out.loc[2, "a"])
    raw = ordinal_bins(df, center_rows=False)
    assert set(np.unique(raw.to_numpy()[~np.isnan(raw.to_numpy())])) <= {0.0, 1.0, 2.0}
