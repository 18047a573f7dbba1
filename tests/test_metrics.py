"""cvkit.metrics: NPS, CSAT, group tables, value formulas, retention and simple CLV."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cvkit import metrics as m

# --------------------------------------------------------------------------- NPS


def test_nps_shares_points_and_trinomial_se():
    scores = [10, 9, 9, 8, 7, 6, 5, 0, 10, 3]  # 4 promoters, 2 passives, 4 detractors
    r = m.nps(scores)
    assert (r.promoters, r.passives, r.detractors) == pytest.approx((0.4, 0.2, 0.4))
    assert r.nps == pytest.approx(0.0)
    se = np.sqrt((0.4 + 0.4 - 0.0 ** 2) / 10) * 100
    assert r.se == pytest.approx(se)
    z = 1.959963984540054
    assert (r.ci_low, r.ci_high) == pytest.approx((-z * se, z * se))
    assert r.n == 10 and r.n_missing == 0
    assert "low base" in r.flag


def test_nps_weights_equal_replicated_rows():
    scores = np.array([10, 9, 7, 2, 6, 10])
    w = np.array([2, 1, 3, 1, 1, 2])
    weighted = m.nps(scores, w)
    replicated = m.nps(np.repeat(scores, w))
    assert weighted.nps == pytest.approx(replicated.nps)
    # Kish effective n, not the sum of weights, drives the standard error.
    n_eff = w.sum() ** 2 / (w ** 2).sum()
    p, d = weighted.promoters, weighted.detractors
    assert weighted.se == pytest.approx(100 * np.sqrt((p + d - (p - d) ** 2) / n_eff))


def test_nps_missing_dropped_and_counted():
    r = m.nps(pd.Series([10, None, 0, np.nan, 9], dtype="Float64"))
    assert r.n == 3 and r.n_missing == 2
    assert r.nps == pytest.approx(100 * (2 / 3 - 1 / 3))


@pytest.mark.parametrize("bad", [[11, 5], [-1, 5], [5.5, 9]])
def test_nps_out_of_scale_is_a_clear_error(bad):
    with pytest.raises(ValueError, match="outside the 0-10 scale"):
        m.nps(bad)


def test_nps_text_and_empty_inputs():
    with pytest.raises(ValueError, match="non-numeric"):
        m.nps(["ten", 9])
    with pytest.raises(ValueError, match="no non-missing score"):
        m.nps([np.nan, np.nan])


def test_all_promoters_is_flagged_and_adjusted_interval_has_width():
    r = m.nps([10] * 40)
    assert r.nps == 100 and r.se == 0
    assert "all respondents in one group" in r.flag
    adj = m.nps([10] * 40, method="adjusted")
    assert adj.ci_high == 100 and adj.ci_low < 100 and adj.se > 0
    assert adj.nps == 100  # the point estimate is never shrunk


def test_nps_interval_coverage_close_to_95_percent():
    rng = np.random.default_rng(7)
    probs = np.array([0.3 / 7] * 7 + [0.15, 0.15] + [0.2, 0.2])  # scores 0..10
    true = 100 * (probs[9:].sum() - probs[:7].sum())
    reps, n = 2000, 150
    hits = 0
    for _ in range(reps):
        r = m.nps(rng.choice(11, size=n, p=probs))
        hits += r.ci_low <= true <= r.ci_high
    coverage = hits / reps
    # Binomial SE of the coverage estimate is ~0.005; Wald with n = 150 is close to nominal.
    assert 0.93 <= coverage <= 0.965, coverage


def test_nps_difference_z_test():
    a = [10] * 50 + [8] * 30 + [3] * 20  # NPS 30
    b = [10] * 30 + [8] * 30 + [3] * 40  # NPS -10
    d = m.nps_difference(a, b)
    ra, rb = m.nps(a), m.nps(b)
    assert d.difference == pytest.approx(40)
    assert d.se == pytest.approx(np.hypot(ra.se, rb.se))
    assert d.z == pytest.approx(40 / d.se)
    assert d.p_value < 0.001 and d.significant
    same = m.nps_difference(a, a)
    assert same.p_value == pytest.approx(1.0) and not same.significant
    unanimous = m.nps_difference([10] * 5, [10] * 7)
    assert unanimous.p_value == 1.0 and unanimous.se == 0


# --------------------------------------------------------------------------- CSAT


def test_csat_default_boxes_on_1_to_10_scale():
    scores = [1, 5, 6, 7, 8, 9, 10, 10, 3, 7]
    c = m.csat(scores)
    assert c.top2_box_from == 7 and c.top_box_from == 9
    assert c.csat == pytest.approx(6 / 10)  # the seed's share of 7-10
    assert c.top_box == pytest.approx(3 / 10)
    assert c.mean == pytest.approx(np.mean(scores))
    assert 0 <= c.ci_low < c.csat < c.ci_high <= 1


def test_csat_configurable_boxes_and_short_scales():
    c = m.csat([1, 2, 3, 4, 5, 5], scale=(1, 5))
    assert (c.top_box_from, c.top2_box_from) == (5, 4)
    assert c.top_box == pytest.approx(2 / 6) and c.csat == pytest.approx(3 / 6)
    c8 = m.csat([1, 7, 8, 10], top_box=10, top2_box=8)
    assert c8.top_box == pytest.approx(0.25) and c8.csat == pytest.approx(0.5)
    with pytest.raises(ValueError, match="top2_box"):
        m.csat([1, 2], top_box=7, top2_box=9)
    with pytest.raises(ValueError, match="outside the 1-10 scale"):
        m.csat([0, 5])


def test_csat_everyone_satisfied_keeps_a_wilson_interval():
    c = m.csat([9] * 20)
    assert c.csat == 1 and c.ci_high == pytest.approx(1.0) and c.ci_low < 1


# --------------------------------------------------------------------------- group tables


def _brands_frame():
    rng = np.random.default_rng(3)
    return pd.DataFrame({
        "brand": ["A"] * 120 + ["B"] * 80 + ["C"] * 12,
        "nps": rng.integers(0, 11, 212),
        "satisfaction": rng.integers(1, 11, 212),
        "w": rng.uniform(0.5, 2, 212),
    })


def test_by_group_nps_matches_single_group_and_suppresses_small_bases():
    df = _brands_frame()
    t = m.by_group(df, "brand", "nps", min_n=30)
    assert list(t["brand"]) == ["A", "B", "C"]
    assert list(t["n"]) == [120, 80, 12]
    a = m.nps(df.loc[df.brand == "A", "nps"])
    assert t.loc[0, "value"] == pytest.approx(a.nps) and t.loc[0, "se"] == pytest.approx(a.se)
    assert t.loc[2, "suppressed"] and np.isnan(t.loc[2, "value"])
    assert "minimum base 30" in t.loc[2, "flag"]
    flagged = m.by_group(df, "brand", "nps", min_n=30, suppress=False)
    assert not flagged.loc[2, "suppressed"] and np.isfinite(flagged.loc[2, "value"])
    assert "low base" in flagged.loc[2, "flag"]


def test_by_group_csat_mean_and_weights():
    df = _brands_frame()
    t = m.by_group(df, "brand", "satisfaction", "csat", min_n=10, weight_col="w")
    sub = df[df.brand == "B"]
    c = m.csat(sub["satisfaction"], weights=sub["w"])
    assert t.loc[1, "value"] == pytest.approx(c.csat) and t.loc[1, "mean"] == pytest.approx(c.mean)
    means = m.by_group(df, "brand", "satisfaction", "mean", min_n=10)
    assert means.loc[0, "value"] == pytest.approx(df.loc[df.brand == "A", "satisfaction"].mean())
    assert means.loc[0, "ci_low"] < means.loc[0, "value"] < means.loc[0, "ci_high"]
    with pytest.raises(KeyError, match="not in the data"):
        m.by_group(df, "segment", "nps")


def test_by_group_group_with_no_valid_score_is_flagged_not_crashing():
    df = pd.DataFrame({"brand": ["A"] * 40 + ["B"] * 5, "nps": [9] * 40 + [np.nan] * 5})
    t = m.by_group(df, "brand", min_n=30)
    assert t.loc[1, "flag"] == "no valid score" and t.loc[1, "suppressed"]
    assert t.loc[1, "n_missing"] == 5


# --------------------------------------------------------------------------- value formulas


def test_value_difference_and_ratio_vectorised():
    assert m.value_difference(950, 600) == 350
    np.testing.assert_allclose(m.value_ratio([950, 300], [600, 300]), [950 / 600, 1.0])
    with pytest.raises(ValueError, match="costs must be > 0"):
        m.value_ratio(100, 0)
    with pytest.raises(ValueError, match="missing or infinite"):
        m.value_difference([1, np.nan], 0)


def test_economic_value_seed_example_and_components():
    eve = m.economic_value(300, 650)
    assert eve.economic_value == 950 and eve.differentiation_value == 650
    eve2 = m.economic_value(300, {"delivery": 400, "returns": 250}, {"range": 50})
    assert eve2.economic_value == 900
    t = eve2.table()
    assert list(t["kind"]) == ["reference", "positive", "positive", "negative", "total"]
    assert t["value"].iloc[:-1].sum() == pytest.approx(t["value"].iloc[-1])
    with pytest.raises(ValueError, match=">= 0"):
        m.economic_value(300, {"x": -5})
    with pytest.raises(ValueError, match="reference_value"):
        m.economic_value(-1, 10)


def test_retention_churn_clv_formulas():
    assert m.retention_rate(90, 20, 100) == pytest.approx(0.7)
    assert m.churn_rate(90, 20, 100) == pytest.approx(0.3)
    assert m.simple_clv(100, 0.8, 0.1) == pytest.approx(100 * 0.8 / 0.3)
    assert m.clv_to_cac(300, 100) == pytest.approx(3.0)
    np.testing.assert_allclose(m.simple_clv(np.array([100, 200]), 0.5, 0.0), [100, 200])
    with pytest.raises(ValueError, match="start"):
        m.retention_rate(10, 0, 0)
    with pytest.raises(ValueError, match="outside 0..1"):
        m.retention_rate(10, 20, 100)
    with pytest.raises(ValueError, match="retention must be in"):
        m.simple_clv(100, 1.0, 0.1)
    with pytest.raises(ValueError, match="acquisition_cost"):
        m.clv_to_cac(100, 0)


@settings(max_examples=60, deadline=None)
@given(margin=st.floats(1, 1000), r=st.floats(0, 0.95), d=st.floats(0, 0.5))
def test_simple_clv_equals_the_discounted_series(margin, r, d):
    t = np.arange(1, 2000)
    series = np.sum(margin * (r / (1 + d)) ** t)
    assert m.simple_clv(margin, r, d) == pytest.approx(series, rel=1e-9, abs=1e-9)
