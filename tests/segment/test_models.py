"""Segmentation algorithms: recovery of planted clusters, determinism, labels, bad k."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from cvkit.segment import ConsensusSegmenter, LatentClassModel, SegmentModel, check_k, relabel_by_size


@pytest.mark.parametrize("algorithm", ["kmeans", "gmm", "ward"])
def test_recovers_planted_clusters(blobs, algorithm):
    X, y = blobs
    m = SegmentModel(3, algorithm, n_init=5, seed=1).fit(X)
    assert adjusted_rand_score(y, m.labels_) > 0.95
    assert list(m.sizes_) == sorted(m.sizes_, reverse=True)  # 1 = largest
    assert m.centers_.shape == (3, X.shape[1])
    # predict agrees with the fitted labels on the training rows
    assert (m.predict(X) == m.labels_).mean() > 0.98
    again = SegmentModel(3, algorithm, n_init=5, seed=1).fit(X)
    assert (again.labels_ == m.labels_).all()


def test_gmm_bic_and_probabilities(blobs):
    X, _ = blobs
    m = SegmentModel(3, "gmm", n_init=2, seed=0).fit(X)
    assert np.isfinite(m.bic_)
    p = m.predict_proba(X)
    assert p.shape == (len(X), 3) and np.allclose(p.sum(axis=1), 1)
    assert (p.argmax(axis=1) + 1 == m.predict(X)).all()
    assert np.isnan(SegmentModel(3, "kmeans", n_init=2).fit(X).bic_)
    with pytest.raises(ValueError, match="hard assignments"):
        SegmentModel(3, "kmeans", n_init=2).fit(X).predict_proba(X)


def test_ward_linkage_for_the_dendrogram(blobs):
    X, _ = blobs
    m = SegmentModel(3, "ward").fit(X)
    assert m.linkage_.shape == (len(X) - 1, 4)


def test_relabel_by_size():
    lab = np.array([7, 7, 2, 2, 2, 9])
    assert relabel_by_size(lab).tolist() == [2, 2, 1, 1, 1, 3]


@pytest.mark.parametrize("k,n,match", [(1, 100, "at least 2 segments"), (0, 100, "at least 2"),
                                       (5, 40, "at least 10 respondents per segment")])
def test_infeasible_k(k, n, match):
    with pytest.raises(ValueError, match=match):
        check_k(k, n)


def test_fewer_respondents_than_k_times_10(blobs):
    X, _ = blobs
    with pytest.raises(ValueError, match=r"choose k <= 2"):
        SegmentModel(3, "kmeans").fit(X[:25])


def test_unknown_algorithm_and_missing_values(blobs):
    X, _ = blobs
    with pytest.raises(ValueError, match="not known"):
        SegmentModel(3, "dbscan").fit(X)
    Xn = X.copy()
    Xn[0, 0] = np.nan
    with pytest.raises(ValueError, match="missing or infinite"):
        SegmentModel(3).fit(Xn)


def test_consensus_reproducible_and_accurate(blobs):
    X, y = blobs
    a = ConsensusSegmenter(3, n_base=12, seed=11).fit(X)
    b = ConsensusSegmenter(3, n_base=12, seed=11).fit(X)
    assert (a.labels_ == b.labels_).all()
    pd.testing.assert_frame_equal(a.reproducibility_, b.reproducibility_)
    assert adjusted_rand_score(y, a.labels_) > 0.95
    assert a.reproducibility_["chosen"].sum() == 1
    assert a.reproducibility_.loc[a.reproducibility_["chosen"], "reproducibility"].iloc[0] == \
        pytest.approx(a.reproducibility_["reproducibility"].max())
    assert (a.predict(X) == a.labels_).mean() > 0.98
    assert a.base_labels_.shape == (len(X), 12)


def _lca_data(n=900, seed=3):
    """Three classes answering 8 three-level items with class-specific probabilities."""
    rng = np.random.default_rng(seed)
    theta = np.array([[0.8, 0.15, 0.05], [0.1, 0.8, 0.1], [0.05, 0.15, 0.8]])
    pattern = np.array([[0, 0, 0, 0, 1, 1, 2, 2], [2, 2, 1, 1, 0, 0, 0, 0], [1, 1, 2, 2, 2, 2, 1, 1]])
    cls = rng.choice(3, size=n, p=[0.5, 0.3, 0.2])
    X = np.empty((n, 8))
    for i in range(n):
        for j in range(8):
            X[i, j] = rng.choice(3, p=theta[pattern[cls[i], j]])
    return X, cls


def test_latent_class_recovers_planted_classes():
    X, cls = _lca_data()
    m = LatentClassModel(3, n_init=4, seed=0).fit(X)
    assert adjusted_rand_score(cls, m.labels_) > 0.8
    assert m.converged_
    assert np.allclose(m.weights_, [0.5, 0.3, 0.2], atol=0.06)
    assert list(m.weights_) == sorted(m.weights_, reverse=True)
    for th in m.theta_:
        assert np.allclose(th.sum(axis=1), 1)
    # BIC prefers the true number of classes
    bics = {k: LatentClassModel(k, n_init=3, seed=0).fit(X).bic_ for k in (2, 3, 4)}
    assert min(bics, key=bics.get) == 3
    p = m.predict_proba(X)
    assert np.allclose(p.sum(axis=1), 1) and (m.predict(X) == m.labels_).all()


def test_latent_class_handles_missing_answers_and_is_deterministic():
    X, cls = _lca_data(seed=4)
    Xm = X.copy()
    Xm[np.random.default_rng(0).random(X.shape) < 0.1] = np.nan
    a = LatentClassModel(3, n_init=3, seed=5).fit(Xm)
    b = LatentClassModel(3, n_init=3, seed=5).fit(Xm)
    assert a.log_likelihood_ == b.log_likelihood_ and (a.labels_ == b.labels_).all()
    assert adjusted_rand_score(cls, a.labels_) > 0.7
    # more starts never give a worse optimum than their first start
    one = LatentClassModel(3, n_init=1, seed=5).fit(Xm)
    assert a.log_likelihood_ >= one.log_likelihood_ - 1e-6


def test_latent_class_bad_input():
    X, _ = _lca_data(n=300)
    const = X.copy()
    const[:, 2] = 1
    with pytest.raises(ValueError, match="item 2 has 1 distinct"):
        LatentClassModel(3).fit(const)
    m = LatentClassModel(3, n_init=1).fit(X)
    bad = X[:5].copy()
    bad[0, 0] = 7
    with pytest.raises(ValueError, match="not seen when fitting"):
        m.predict(bad)
