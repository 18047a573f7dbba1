"""Profiling: means and indices, Welch tests with Hedges' g, chi-square, multiple-testing correction."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from cvkit.segment import adjust_pvalues, crosstab, plot_profile_heatmap, pretty_name, profile_segments


def test_holm_and_bh_adjustments():
    p = np.array([0.01, 0.04, 0.03, np.nan, 0.005])
    holm = adjust_pvalues(p, "holm")
    # sorted 0.005, 0.01, 0.03, 0.04 -> x4, x3, x2, x1 with running max
    assert holm[4] == pytest.approx(0.02) and holm[0] == pytest.approx(0.03)
    assert holm[2] == pytest.approx(0.06) and holm[1] == pytest.approx(0.06)
    assert np.isnan(holm[3])
    bh = adjust_pvalues(p, "fdr_bh")
    assert np.allclose(bh[~np.isnan(p)], stats.false_discovery_control(p[~np.isnan(p)]))
    with pytest.raises(ValueError, match="correction="):
        adjust_pvalues(p, "bonferonni")


@pytest.fixture()
def profiled():
    rng = np.random.default_rng(0)
    n = 300
    seg = pd.Series(np.repeat([1, 2, 3], 100), index=[f"R{i}" for i in range(n)])
    data = pd.DataFrame({
        "imp_saves_time": rng.normal(5, 1, n) + np.where(seg == 1, 2.0, 0.0),   # segment 1 cares more
        "imp_quality": rng.normal(5, 1, n),                                      # nobody differs
        "constant": 3.0,                                                          # one value only
        "channel": np.where(seg == 3, "store", rng.choice(["online", "store"], n)),
        "region": "North",
    }, index=seg.index)
    return data, seg


def test_profile_finds_the_planted_difference(profiled):
    data, seg = profiled
    prof = profile_segments(data, seg, numeric=["imp_saves_time", "imp_quality", "constant"],
                            categorical=["channel", "region"])
    t = prof.tests.set_index(["variable", "segment"])
    assert t.loc[("imp_saves_time", 1), "significant"] and t.loc[("imp_saves_time", 1), "hedges_g"] > 1.5
    assert not t.xs("imp_quality", level="variable")["significant"].any()
    # Welch's t-test against the rest, as scipy computes it
    ref = stats.ttest_ind(data.loc[seg == 1, "imp_saves_time"], data.loc[seg != 1, "imp_saves_time"],
                          equal_var=False)
    assert t.loc[("imp_saves_time", 1), "p"] == pytest.approx(ref.pvalue)
    assert (t["p_adj"].dropna() >= t["p"].dropna()).all()
    # index 100 = average
    tot = data["imp_saves_time"].mean()
    assert prof.index.loc["imp_saves_time", 1] == pytest.approx(100 * data.loc[seg == 1, "imp_saves_time"].mean() / tot)
    assert list(prof.sizes["n"]) == [100, 100, 100]
    # one-value variables are flagged, not tested
    assert any(f.startswith("constant:") for f in prof.flags) and any(f.startswith("region:") for f in prof.flags)
    assert t.xs("constant", level="variable")["p"].isna().all()
    c = prof.categorical
    store3 = c[(c.variable == "channel") & (c.level == "store") & (c.segment == 3)].iloc[0]
    assert store3["share"] == 1.0 and store3["significant"] and store3["index"] > 100
    assert prof.distinguishing(1, 3)["variable"].tolist() == ["imp_saves_time"]
    wide = prof.summary_table()
    assert {"variable", "total", "index_1"} <= set(wide.columns)


def test_profile_bad_input(profiled):
    data, seg = profiled
    with pytest.raises(ValueError, match="not in the data"):
        profile_segments(data, seg, numeric=["nope"])
    with pytest.raises(ValueError, match="share the same index"):
        profile_segments(data, pd.Series([1, 2], index=["x", "y"]))


def test_crosstab_and_heatmap(profiled):
    import matplotlib.pyplot as plt

    data, seg = profiled
    ct = crosstab(data, seg, "channel")
    assert np.allclose(ct[["segment 1", "segment 2", "segment 3", "total"]].sum(), 1.0)
    assert ct.loc["store", "index 3"] > 100
    prof = profile_segments(data, seg, numeric=["imp_saves_time", "imp_quality"])
    ax = plot_profile_heatmap(prof, top=5)
    assert "Saves time" in [t.get_text() for t in ax.get_yticklabels()][0]
    plt.close("all")
    assert pretty_name("imp_saves_time") == "Saves time (importance)"
    assert pretty_name("extras.partner_discounts") == "partner discounts (extras)"
