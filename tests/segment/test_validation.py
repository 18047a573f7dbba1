"""Validation on the demo engagement: the planted needs segments are recovered and reruns are identical.

Part-worth inputs are the respondent-level hierarchical-Bayes estimates of
:func:`cvkit.choice.respondent_partworths` (4,000 iterations, one chain: about 5 s) on the
demo's choice data, zero-centred diffs, exactly what the notebook uses. A second test uses the
demo's planted individual part-worths plus estimation-sized noise (N(0, 0.5) utility units on
every level, 20% relative noise on the fee coefficient) with the linear fee coefficient, so the
recovery does not hinge on one estimator.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from cvkit.segment import ConsensusSegmenter, InputBlock, NeedsPreprocessor, SegmentModel, choose_k, join_inputs


DEMO_ATTRIBUTES = {"delivery": ["standard", "next_day", "same_day"], "returns": ["paid", "free"],
                   "extras": ["none", "streaming", "partner_discounts", "priority_service"], "fee": [29, 49, 69, 89]}


def _segment_matrix(needs, pw):
    data = join_inputs({"needs": needs, "partworths": pw})
    needs_cols = [c for c in needs.columns if c.startswith("imp_")]
    pp = NeedsPreprocessor([InputBlock("needs", needs_cols, center_rows=True),
                            InputBlock("partworths", [c for c in pw.columns if c != "respondent_id"])], seed=2026)
    return pp.fit_transform(data)


@pytest.fixture(scope="module")
def hb_inputs(demo):
    from cvkit.choice import respondent_partworths

    pw = respondent_partworths(demo.choice, DEMO_ATTRIBUTES, price="fee", iterations=4000, chains=1, seed=2026)
    X, idx = _segment_matrix(demo.needs, pw)
    return X, demo.truth.respondent_segment.loc[idx].to_numpy()


@pytest.mark.parametrize("algorithm", ["kmeans", "gmm"])
def test_planted_segments_recovered_from_needs_and_hb_partworths(hb_inputs, algorithm):
    X, truth = hb_inputs
    assert X.shape == (600, 30 + 14)  # respondents with both needs and conjoint answers
    m = SegmentModel(3, algorithm, n_init=10, seed=2026).fit(X)
    assert adjusted_rand_score(truth, m.labels_) >= 0.8


@pytest.fixture(scope="module")
def demo_inputs(demo):
    rng = np.random.default_rng(99)
    pw = demo.truth.respondent_partworths.drop(columns="segment").copy()
    levels = [c for c in pw.columns if "." in c]
    pw[levels] = pw[levels] + rng.normal(0.0, 0.5, (len(pw), len(levels)))
    pw["fee"] = pw["fee"] * np.exp(rng.normal(0.0, 0.2, len(pw)))
    pw["none"] = pw["none"] + rng.normal(0.0, 0.5, len(pw))
    data = join_inputs({"needs": demo.needs, "partworths": pw.reset_index()})
    needs_cols = [c for c in demo.needs.columns if c.startswith("imp_")]
    pp = NeedsPreprocessor([InputBlock("needs", needs_cols, center_rows=True),
                            InputBlock("partworths", list(pw.columns))], seed=2026)
    X, idx = pp.fit_transform(data)
    truth = demo.truth.respondent_segment.loc[idx].to_numpy()
    return X, truth


@pytest.mark.parametrize("algorithm", ["kmeans", "gmm"])
def test_planted_segments_recovered_from_needs_and_partworths(demo_inputs, algorithm):
    X, truth = demo_inputs
    assert X.shape[0] == 600  # respondents with both needs and conjoint answers
    m = SegmentModel(3, algorithm, n_init=10, seed=2026).fit(X)
    assert adjusted_rand_score(truth, m.labels_) >= 0.8


def test_consensus_recovers_and_is_identical_across_reruns(hb_inputs):
    X, truth = hb_inputs
    a = ConsensusSegmenter(3, n_base=15, seed=2026).fit(X)
    b = ConsensusSegmenter(3, n_base=15, seed=2026).fit(X)
    assert np.array_equal(a.labels_, b.labels_)
    pd.testing.assert_frame_equal(a.reproducibility_, b.reproducibility_)
    assert adjusted_rand_score(truth, a.labels_) >= 0.8


def test_k_selection_finds_three_segments(hb_inputs):
    X, _ = hb_inputs
    sel = choose_k(X, range(2, 6), algorithms=("kmeans",), n_boot=10, n_init=5, seed=2026)
    assert sel.recommended_k == 3
