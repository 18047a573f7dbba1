"""Bootstrap intervals on sampled Shapley values (above the exact-bootstrap limit)."""

import numpy as np
import pandas as pd

from cvkit.drivers import KeyDriverAnalysis


def _survey(n=600, p=10, seed=4):
    rng = np.random.default_rng(seed)
    X = rng.normal(0, 1, (n, p)) + rng.normal(0, 0.7, (n, 1))  # correlated drivers, as ratings are
    y = X @ np.linspace(0.6, 0.0, p) + rng.normal(0, 1.5, n)
    df = pd.DataFrame(np.clip(np.round(5 + 1.5 * X), 0, 10), columns=[f"d{i}" for i in range(p)])
    df["y"] = np.clip(np.round(5 + y), 0, 10)
    return df


def test_sampled_shapley_bootstrap_matches_the_exact_one():
    df = _survey()
    drivers = [c for c in df.columns if c != "y"]
    exact = KeyDriverAnalysis(n_boot=200, seed=1).fit(df, "y", drivers).importance_
    sampled_kda = KeyDriverAnalysis(n_boot=200, seed=1, boot_shapley_limit=5, boot_permutations=200)
    sampled = sampled_kda.fit(df, "y", drivers).importance_
    # Same resamples, Shapley exact in one and sampled in the other: the intervals differ by Monte Carlo noise only.
    for col in ("shapley_pct_lower", "shapley_pct_upper"):
        np.testing.assert_allclose(sampled.loc[exact.index, col], exact[col], atol=1.0)
    # The Monte Carlo part is reported, and is small next to the sampling variation the interval measures.
    half_width = (sampled["shapley_upper"] - sampled["shapley_lower"]) / 2
    assert (sampled["shapley_boot_mc_se"] > 0).all() and (sampled["shapley_boot_mc_se"] < half_width / 2).all()
    assert any("bootstrap on sampled Shapley" in n for n in sampled_kda.notes_)
    plain = KeyDriverAnalysis(n_boot=50, seed=1, boot_shapley_limit=5).fit(df, "y", drivers)
    assert plain.importance_["shapley_pct_lower"].isna().all()  # opt-in: unchanged without boot_permutations
