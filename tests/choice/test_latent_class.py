"""Latent-class MNL recovers the demo's planted segments."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from cvkit.choice import LatentClassMNL, select_classes


@pytest.fixture(scope="module")
def lc(demo_spec, demo_data):
    return LatentClassMNL(demo_spec, n_classes=3, n_starts=3, seed=1).fit(demo_data)


def test_recovers_the_three_segments(lc, demo):
    seg = demo.truth.respondent_partworths.loc[lc.classes_.index, "segment"]
    assert adjusted_rand_score(seg, lc.classes_) >= 0.8
    assert lc.class_sizes_.sum() == pytest.approx(1.0)
    np.testing.assert_allclose(lc.posterior_.sum(axis=1), 1.0)
    # class sizes close to the planted segment shares of this sample
    planted = np.sort(seg.value_counts(normalize=True).to_numpy())[::-1]
    np.testing.assert_allclose(lc.class_sizes_.to_numpy(), planted, atol=0.05)


def test_information_criteria(lc):
    n = len(lc.posterior_)
    assert lc.n_params_ == 3 * 8 + 2
    assert lc.bic_ == pytest.approx(-2 * lc.log_likelihood_ + lc.n_params_ * np.log(n))
    assert lc.caic_ == pytest.approx(lc.bic_ + lc.n_params_)


def test_class_partworths_and_utilities(lc, demo_spec):
    tab = lc.class_partworths()
    assert list(tab.index) == demo_spec.level_columns + ["share"]
    u = lc.utilities()
    # a respondent's part-worths are the posterior-weighted class part-worths
    r = u.values.index[0]
    expected = (lc.posterior_.loc[r].to_numpy()[None] * tab.drop(index="share").to_numpy()).sum(axis=1)
    np.testing.assert_allclose(u.values.loc[r].to_numpy(), expected)


def test_more_classes_never_lower_the_likelihood(demo_spec, demo_data):
    table, best = select_classes(demo_spec, demo_data, classes=[1, 2], n_starts=2, seed=0)
    assert table["log_likelihood"].is_monotonic_increasing
    assert table["selected"].sum() == 1
    assert best.n_classes == int(table.loc[table["selected"], "n_classes"].iloc[0])
