"""Paired brand comparisons (same respondents rate several brands): intervals that cover the truth."""

import numpy as np
import pandas as pd
import pytest

from cvkit import metrics
from cvkit.metrics import _paired_stats


def _ratings(rng, shape, shift):
    # Respondent "generosity" is shared across brands: the correlation that pairing must respect.
    person = rng.normal(0, 1.5, shape[:-1] + (1,))
    latent = 7.2 + person + np.array(shift) + rng.normal(0, 1.2, shape)
    return np.clip(np.round(latent), 0, 10)


def _nps(x):
    return 100 * (np.mean(x >= 9, axis=-2) - np.mean(x <= 6, axis=-2))


def test_paired_interval_covers_the_true_nps_difference():
    rng = np.random.default_rng(16)
    shift = [0.0, -0.4]
    big = _ratings(rng, (1, 2_000_000, 2), shift)  # the population, for the true difference
    truth = float(np.diff(_nps(big)[0])[0]) * -1  # NPS_a - NPS_b
    reps, n = 2000, 400
    x = _ratings(rng, (reps, n, 2), shift)
    rated_a, rated_b = rng.random((reps, n)) < 0.9, rng.random((reps, n)) < 0.8  # partial overlap
    score = lambda v: np.where(v >= 9, 100.0, np.where(v <= 6, -100.0, 0.0))  # noqa: E731
    diff, se = _paired_stats(score(x[..., 0]), score(x[..., 1]), rated_a, rated_b)
    z = 1.959964
    coverage = np.mean((diff - z * se <= truth) & (truth <= diff + z * se))
    assert 0.92 <= coverage <= 0.98, coverage
    # The independent-samples variance ignores the positive correlation: too wide, over-covers.
    va = [metrics.nps(x[r, rated_a[r], 0]).se for r in range(200)]
    vb = [metrics.nps(x[r, rated_b[r], 1]).se for r in range(200)]
    assert np.mean(np.hypot(va, vb)) > 1.3 * np.mean(se[:200])


def test_paired_difference_matches_the_paired_t_when_everyone_rates_both():
    rng = np.random.default_rng(1)
    x = _ratings(rng, (300, 2), [0.0, 0.3])
    r = metrics.paired_difference(x[:, 0], x[:, 1])
    d = np.where(x >= 9, 100.0, np.where(x <= 6, -100.0, 0.0))
    d = d[:, 0] - d[:, 1]
    assert r.difference == pytest.approx(d.mean())
    assert r.se == pytest.approx(d.std(ddof=1) / np.sqrt(len(d)))
    assert r.a.nps - r.b.nps == pytest.approx(r.difference)


def test_brand_pairs_are_holm_adjusted():
    rng = np.random.default_rng(2)
    x = _ratings(rng, (500, 3), [0.0, -0.8, 0.05])
    df = pd.DataFrame({"respondent_id": np.repeat(np.arange(500), 3), "brand": np.tile(["A", "B", "C"], 500),
                       "nps": x.ravel()})
    pairs = metrics.brand_pairs(df)
    assert list(zip(pairs["brand_a"], pairs["brand_b"])) == [("A", "B"), ("A", "C"), ("B", "C")]
    assert (pairs["p_adjusted"] >= pairs["p_value"]).all()
    assert pairs.set_index(["brand_a", "brand_b"]).loc[("A", "B"), "significant"]
    assert not pairs.set_index(["brand_a", "brand_b"]).loc[("A", "C"), "significant"]
    csat = metrics.brand_pairs(df.assign(nps=df["nps"].clip(lower=1)), metric="csat")
    assert len(csat) == 3 and csat["difference"].abs().max() <= 100


def test_one_planned_pair_is_the_unadjusted_row_of_all_pairs_either_way_round():
    rng = np.random.default_rng(3)
    x = _ratings(rng, (400, 3), [0.0, -0.5, 0.1])
    df = pd.DataFrame({"respondent_id": np.repeat(np.arange(400), 3), "brand": np.tile(["A", "B", "C"], 400),
                       "nps": x.ravel()})
    df = df.drop(index=rng.choice(np.arange(3, len(df)), 300, replace=False))  # not everyone rates every brand
    pairs = metrics.brand_pairs(df)
    row = pairs[(pairs["brand_a"] == "A") & (pairs["brand_b"] == "B")].iloc[0]
    ab = metrics.brand_pair_difference(df, "A", "B")
    ba = metrics.brand_pair_difference(df, "B", "A")
    assert ab.difference == pytest.approx(row["difference"]) and ab.p_value == pytest.approx(row["p_value"])
    assert (ab.ci_low, ab.ci_high) == (pytest.approx(row["ci_low"]), pytest.approx(row["ci_high"]))
    assert ba.difference == pytest.approx(-ab.difference) and ba.p_value == pytest.approx(ab.p_value)
    with pytest.raises(ValueError, match="'Z'"):
        metrics.brand_pair_difference(df, "A", "Z")
