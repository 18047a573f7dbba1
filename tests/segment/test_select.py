"""Choosing k: the comparison table, the recommendation and its reason, infeasible k."""

from __future__ import annotations

import numpy as np
import pytest

from cvkit.segment import bootstrap_stability, choose_k


def test_recommends_the_planted_k(blobs):
    X, _ = blobs
    sel = choose_k(X, range(2, 6), algorithms=("kmeans", "gmm"), n_boot=8, n_init=3, seed=0)
    t = sel.table
    assert len(t) == 8 and set(t["algorithm"]) == {"kmeans", "gmm"}
    assert t.loc[t.algorithm == "kmeans", "bic"].isna().all()
    assert t.loc[t.algorithm == "gmm", "bic"].notna().all()
    assert sel.recommended_k == 3 and sel.algorithm == "kmeans"
    assert sel.reason.startswith("k = 3") and "stability" in sel.reason
    best = t[(t.algorithm == "kmeans") & (t.k == 3)].iloc[0]
    assert best["stability"] > 0.95 and best["admissible"]
    assert t["smallest_share"].between(0, 1).all()


def test_stability_is_deterministic_and_bounded(blobs):
    X, _ = blobs
    a = bootstrap_stability(X, 3, "kmeans", n_boot=5, seed=4)
    b = bootstrap_stability(X, 3, "kmeans", n_boot=5, seed=4)
    assert np.array_equal(a, b) and a.shape == (5,) and (a <= 1).all()
    # a wrong k is less reproducible than the planted one
    assert bootstrap_stability(X, 5, "kmeans", n_boot=5, seed=4).mean() < a.mean()


def test_infeasible_k_flagged_not_recommended(blobs):
    X, _ = blobs
    sel = choose_k(X[:45], [2, 3, 4, 5, 6], algorithms=("kmeans",), n_boot=0, n_init=2, seed=0)
    t = sel.table.set_index("k")
    assert t.loc[5, "note"].startswith("infeasible") and t.loc[6, "note"].startswith("infeasible")
    assert not t.loc[5, "admissible"] and sel.recommended_k <= 4


def test_min_size_excludes_k_with_a_tiny_segment(blobs):
    X, _ = blobs
    sel = choose_k(X, [2, 3], algorithms=("kmeans",), n_boot=0, n_init=3, min_share=0.2, seed=0)
    t = sel.table.set_index("k")
    assert not t.loc[3, "size_ok"]  # the planted third cluster holds 1/6 < 20%
    assert sel.recommended_k == 2 and "20%" in sel.reason


def test_no_admissible_k_gives_the_most_stable_with_a_warning(blobs):
    X, _ = blobs
    sel = choose_k(X, [2, 3], algorithms=("kmeans",), n_boot=3, n_init=2, min_share=0.6, seed=0)
    assert "no k met both checks" in sel.reason and "exploratory" in sel.reason


def test_fixed_k_override_is_recorded_with_checks(blobs):
    X, _ = blobs
    sel = choose_k(X, [2, 3, 4], algorithms=("kmeans",), n_boot=0, n_init=2, min_share=0.2, fixed_k=3, seed=0)
    assert sel.recommended_k == 3
    assert "set by the analyst" in sel.reason and "smallest segment" in sel.reason
    sel = choose_k(X, [2, 3], algorithms=("kmeans",), n_boot=0, n_init=2, fixed_k=7, seed=0)
    assert sel.recommended_k == 7 and "not among the compared k" in sel.reason


def test_no_feasible_k_at_all_is_an_error(blobs):
    X, _ = blobs
    with pytest.raises(ValueError, match="no k in"):
        choose_k(X[:15], [2, 3], algorithms=("kmeans",), n_boot=0)
    with pytest.raises(ValueError, match="primary="):
        choose_k(X, [2], algorithms=("kmeans",), primary="gmm")


def test_plot(blobs):
    import matplotlib.pyplot as plt

    X, _ = blobs
    sel = choose_k(X, [2, 3, 4], algorithms=("kmeans", "gmm"), n_boot=2, n_init=2, seed=0)
    ax = sel.plot()
    assert "recommended k = " in ax.get_title() and len(ax.lines) >= 6
    plt.close("all")


def test_parallel_bootstrap_gives_the_same_numbers(blobs):
    X, _ = blobs
    a = bootstrap_stability(X, 3, "kmeans", n_boot=4, seed=9, n_jobs=1)
    b = bootstrap_stability(X, 3, "kmeans", n_boot=4, seed=9, n_jobs=2)
    assert np.array_equal(a, b)


def test_choose_k_stability_equals_bootstrap_stability(blobs):
    X, _ = blobs
    sel = choose_k(X, [3], algorithms=("kmeans",), n_boot=4, n_init=3, seed=5)
    ref = sel.table.iloc[0]
    from cvkit.segment import SegmentModel

    labels = SegmentModel(3, "kmeans", n_init=3, seed=5).fit(X).labels_
    ari = bootstrap_stability(X, 3, "kmeans", n_boot=4, reference=labels, seed=5)
    assert ref["stability"] == pytest.approx(ari.mean())


def test_large_samples_choose_k_on_a_seeded_subsample_and_say_so(blobs):
    X, truth = blobs
    big = np.repeat(X, 3, axis=0) + np.random.default_rng(1).normal(0, 0.01, (3 * len(X), X.shape[1]))
    sel = choose_k(big, range(2, 6), algorithms=("kmeans",), n_boot=4, n_init=2, seed=0, max_rows=len(X))
    assert f"random sample of {len(X):,} of the {len(big):,} respondents" in sel.reason
    assert sel.recommended_k == len(np.unique(truth))
    again = choose_k(big, range(2, 6), algorithms=("kmeans",), n_boot=4, n_init=2, seed=0, max_rows=len(X))
    assert again.table.equals(sel.table)
    full = choose_k(X, range(2, 6), algorithms=("kmeans",), n_boot=4, n_init=2, seed=0, max_rows=len(X))
    assert "random sample" not in full.reason
