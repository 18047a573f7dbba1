"""KeyDriverAnalysis and DriverTree: results, data handling, recovery of the demo's planted drivers, bad input."""

from __future__ import annotations

import matplotlib.axes
import matplotlib.pyplot as plt
import numpy as np
import pytest
from scipy.stats import spearmanr

from cvkit.data.errors import DataError
from cvkit.exceptions import FitError, NotFittedError
from cvkit.drivers import DriverTree, KeyDriverAnalysis, shapley_exact, weighted_corr
from cvkit.resources import load_elements


DRIVERS = [f"d{i}" for i in range(6)]


def test_fit_returns_self_with_additive_shares(sim):
    df, _ = sim
    k = KeyDriverAnalysis(n_boot=200, seed=1)
    assert k.fit(df, "y", DRIVERS) is k
    imp = k.importance_
    assert imp["shapley"].sum() == pytest.approx(k.r2_, abs=1e-12)
    assert imp["relative_weight"].sum() == pytest.approx(k.r2_, abs=1e-12)
    assert imp["shapley_pct"].sum() == pytest.approx(100)
    assert list(imp["rank"]) == list(range(1, 7))
    assert imp["shapley"].is_monotonic_decreasing
    R = np.corrcoef(df[DRIVERS + ["y"]].to_numpy(), rowvar=False)
    np.testing.assert_allclose(imp.loc[DRIVERS, "shapley"], shapley_exact(R), atol=1e-12)
    for col in ("shapley", "relative_weight", "beta", "correlation"):
        assert np.all(imp[f"{col}_lower"] <= imp[col] + 1e-12) and np.all(imp[col] <= imp[f"{col}_upper"] + 1e-12)
    assert k.r2_ci_[0] < k.r2_ < k.r2_ci_[1]
    for col in ("shapley", "relative_weight"):
        assert np.all(imp[f"{col}_pct_lower"] <= imp[f"{col}_pct"] + 1e-9)
        assert np.all(imp[f"{col}_pct"] <= imp[f"{col}_pct_upper"] + 1e-9)
    assert k.shapley_method_ == "exact"
    assert k.counts_ == {"rows": 400, "missing_outcome": 0, "zero_weight": 0, "missing_drivers": 0, "used": 400,
                         "clusters": 400, "min_pairwise_n": 400}


def test_planted_order_recovered_and_deterministic(make_sim):
    df, weights = make_sim(n=3000, seed=11)
    a = KeyDriverAnalysis(n_boot=100, seed=3).fit(df, "y", DRIVERS)
    b = KeyDriverAnalysis(n_boot=100, seed=3).fit(df, "y", DRIVERS)
    assert a.importance_.equals(b.importance_)
    # Planted weights decrease with the index, so the order must come back exactly.
    assert spearmanr(weights, a.importance_.loc[DRIVERS, "shapley"]).statistic == pytest.approx(1.0)
    # d5 has no effect: it gets some Shapley credit through the halo (that is what Shapley does with
    # correlated drivers), but its regression coefficient is indistinguishable from zero.
    imp = a.importance_
    assert imp.index[-1] == "d5" and imp.loc["d5", "beta_lower"] < 0 < imp.loc["d5", "beta_upper"]


def test_sampled_shapley_above_exact_limit(sim):
    df, _ = sim
    exact = KeyDriverAnalysis(n_boot=0).fit(df, "y", DRIVERS).importance_
    k = KeyDriverAnalysis(n_boot=50, exact_limit=4, n_permutations=4000, seed=2).fit(df, "y", DRIVERS)
    assert k.shapley_method_ == "sampled"
    imp = k.importance_
    assert np.all(np.abs(imp.loc[DRIVERS, "shapley"] - exact.loc[DRIVERS, "shapley"])
                  <= 4.5 * imp.loc[DRIVERS, "shapley_mc_se"] + 1e-12)
    assert imp["shapley_lower"].isna().all() and imp["relative_weight_lower"].notna().all()
    assert any("exact limit" in n for n in k.notes_) and any("boot_shapley_limit" in n for n in k.notes_)


def test_weights_equal_replicated_rows(sim):
    df, _ = sim
    w = np.random.default_rng(0).integers(1, 4, len(df))
    weighted = KeyDriverAnalysis(n_boot=0).fit(df.assign(w=w), "y", DRIVERS, weights="w")
    w0 = w.copy()
    w0[:3] = 0
    zero = KeyDriverAnalysis(n_boot=0).fit(df.assign(w=w0), "y", DRIVERS, weights="w")
    assert zero.counts_["zero_weight"] == 3 and zero.counts_["used"] == len(df) - 3
    replicated = KeyDriverAnalysis(n_boot=0).fit(df.loc[df.index.repeat(w)], "y", DRIVERS)
    np.testing.assert_allclose(weighted.importance_.loc[DRIVERS, "shapley"],
                               replicated.importance_.loc[DRIVERS, "shapley"], atol=1e-12)


def test_missing_data_policies_and_counts(sim):
    df, _ = sim
    df = df.copy()
    df.loc[:9, "y"] = np.nan
    df.loc[20:49, "d1"] = np.nan
    lw = KeyDriverAnalysis(n_boot=0).fit(df, "y", DRIVERS)
    assert lw.counts_["missing_outcome"] == 10 and lw.counts_["missing_drivers"] == 30
    assert lw.counts_["used"] == 360
    pw = KeyDriverAnalysis(n_boot=20, missing="pairwise", seed=0).fit(df, "y", DRIVERS)
    assert pw.counts_["used"] == 390 and pw.counts_["min_pairwise_n"] == 360
    assert pw.importance_["shapley"].sum() == pytest.approx(pw.r2_)
    R, _ = weighted_corr(df.dropna(subset=["y"])[DRIVERS + ["y"]].to_numpy(), pairwise=True)
    np.testing.assert_allclose(pw.corr_.to_numpy(), R, atol=1e-12)


def test_cluster_bootstrap_on_stacked_rows(sim):
    df, _ = sim
    k = KeyDriverAnalysis(n_boot=100, seed=0).fit(df, "y", DRIVERS, cluster="rid")
    assert k.counts_["clusters"] == 200
    assert np.all(k.importance_["shapley_upper"] > k.importance_["shapley_lower"])


# Issue 5: rank correlation >= 0.9 between importance and planted effect for the planted top drivers,
# for both measures. (On the demo seeds 1-3 the lowest seen is 0.94: one swap of neighbours among six.)
FLOOR = 0.9


@pytest.mark.parametrize("outcome", ["nps", "satisfaction", "perceived_quality", "perceived_price"])
def test_demo_planted_drivers_recovered(survey, demo, outcome):
    elements = load_elements()["element"].tolist()
    k = KeyDriverAnalysis(n_boot=0, seed=2026).fit(survey, outcome, elements)
    planted = demo.truth.drivers[outcome]["weights"]
    top = list(planted)
    # Importance is scale-free, so the planted effect to compare with is |weight| x SD of the rating.
    truth = [abs(planted[e]) * survey[e].std() for e in top]
    rho = spearmanr(truth, k.importance_.loc[top, "shapley"]).statistic
    assert rho >= FLOOR, (outcome, "shapley", rho)
    rho_rw = spearmanr(truth, k.importance_.loc[top, "relative_weight"]).statistic
    assert rho_rw >= FLOOR, (outcome, "relative_weight", rho_rw)
    # The planted drivers are the most important ones, and the signs come out right.
    assert set(k.importance_.index[:len(top)]) >= set(top[:3])
    for e in top[:3]:
        assert k.importance_.loc[e, "sign"] == np.sign(planted[e])


def test_driver_tree_on_demo(survey):
    elements = load_elements()["element"].tolist()
    tree = DriverTree(n_boot=0, seed=1).fit(survey, "overall_value", drivers=elements)
    top = tree.top_.importance_
    assert top.loc["perceived_quality", "sign"] == 1 and top.loc["perceived_price", "sign"] == -1
    assert tree.branches_["perceived_price"].importance_.index[0] == "reduces_cost"
    t = tree.table_
    assert set(t["level"]) == {1, 2} and len(t) == 2 + 2 * 30
    assert t[t.level == 1]["pct_of_parent_r2"].sum() == pytest.approx(100)
    ax = tree.plot(top=3)
    assert isinstance(ax, matplotlib.axes.Axes)


def test_summary_and_plot(sim):
    df, _ = sim
    k = KeyDriverAnalysis(n_boot=50, seed=0).fit(df, "y", DRIVERS)
    s = k.summary(labels={"d0": "Speed"})
    assert s.loc[0, "driver"] == "Speed" and s["share_of_r2_pct"].sum() == pytest.approx(100)
    _, ax = plt.subplots()
    assert k.plot(ax=ax, top=4) is ax
    assert len(ax.patches) == 4
    with pytest.raises(NotFittedError, match="not fitted"):
        KeyDriverAnalysis().summary()


# --------------------------------------------------------------------------- bad input


def test_rating_out_of_scale_names_column_and_rows(sim):
    df, _ = sim
    df = df.copy()
    df.loc[[3, 7], "d2"] = 11
    with pytest.raises(DataError, match="outside the 0-10 scale") as err:
        KeyDriverAnalysis().fit(df, "y", DRIVERS)
    assert "'d2'" in str(err.value) and "rows 4, 8" in str(err.value)


def test_constant_driver_named(sim):
    df, _ = sim
    with pytest.raises(FitError, match=r"\['d3'\] have no variance"):
        KeyDriverAnalysis().fit(df.assign(d3=5.0), "y", DRIVERS)


def test_collinear_drivers_named(sim):
    df, _ = sim
    df = df.assign(total=df["d0"] + df["d1"])
    with pytest.raises(FitError, match="perfectly collinear") as err:
        KeyDriverAnalysis(driver_scale=None).fit(df, "y", DRIVERS + ["total"])
    msg = str(err.value)
    assert "d0" in msg and "d1" in msg and "total" in msg and "d4" not in msg


def test_fewer_respondents_than_drivers(sim):
    df, _ = sim
    with pytest.raises(FitError, match="only 5 usable responses for 6 drivers"):
        KeyDriverAnalysis().fit(df.head(5), "y", DRIVERS)
    k = KeyDriverAnalysis(n_boot=0).fit(df.head(40), "y", DRIVERS)
    assert any("< 10 per driver" in n for n in k.notes_)


def test_missing_or_constant_outcome(sim):
    df, _ = sim
    with pytest.raises(DataError, match="no row has the outcome"):
        KeyDriverAnalysis().fit(df.assign(y=np.nan), "y", DRIVERS)
    with pytest.raises(FitError, match="has no variance"):
        KeyDriverAnalysis().fit(df.assign(y=7.0), "y", DRIVERS)
    with pytest.raises(FitError, match="exact linear combination"):
        KeyDriverAnalysis(outcome_scale=None).fit(df.assign(y=df["d0"] - df["d1"]), "y", DRIVERS)


def test_argument_errors(sim):
    df, _ = sim
    with pytest.raises(ValueError, match="listed twice"):
        KeyDriverAnalysis().fit(df, "y", ["d0", "d0"])
    with pytest.raises(ValueError, match="also in the driver list"):
        KeyDriverAnalysis().fit(df, "y", ["d0", "y"])
    with pytest.raises(DataError, match="not in the data"):
        KeyDriverAnalysis().fit(df, "y", ["d0", "nope"])
    bad = KeyDriverAnalysis(missing="mean")  # __init__ only stores parameters; fit checks them
    with pytest.raises(ValueError, match="missing="):
        bad.fit(df, "y", DRIVERS)
    with pytest.raises(DataError, match="non-numeric"):
        KeyDriverAnalysis().fit(df.assign(d1=df["d1"].astype(object).where(df.index != 2, "n/a")), "y", DRIVERS)


def test_simulate_helper_is_deterministic(make_sim):
    a, _ = make_sim(seed=5)
    b, _ = make_sim(seed=5)
    assert a.equals(b)
