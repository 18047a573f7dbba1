"""R-hat and ESS against their defining properties and a hand computation."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from cvkit.choice import ess_bulk, ess_tail, rhat
from cvkit.choice.diagnostics import _rank_normalise, _rhat_basic, _split


def ar1(rng, n, phi, chains=4):
    x = np.zeros((chains, n))
    e = rng.normal(size=(chains, n))
    for t in range(1, n):
        x[:, t] = phi * x[:, t - 1] + e[:, t]
    return x


def test_independent_draws_have_rhat_one_and_full_ess():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(4, 1000))
    assert rhat(x) == pytest.approx(1.0, abs=0.01)
    assert 3200 < ess_bulk(x) < 4800
    assert 2400 < ess_tail(x) < 5600


def test_ar1_ess_matches_theory():
    # ESS of an AR(1) chain is n (1 - phi) / (1 + phi)
    rng = np.random.default_rng(1)
    x = ar1(rng, 4000, 0.8)
    expected = x.size * 0.2 / 1.8
    assert ess_bulk(x) == pytest.approx(expected, rel=0.2)


def test_chains_stuck_in_different_places_are_flagged():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(2, 500))
    x[1] += 3.0
    assert rhat(x) > 1.5
    # a drifting single chain is caught by the split
    assert rhat(np.linspace(0, 10, 400) + rng.normal(size=400)) > 1.2


def test_basic_rhat_matches_hand_computation():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(3, 20))
    n = 20
    W = np.mean([np.var(c, ddof=1) for c in x])
    B = n * np.var(x.mean(axis=1), ddof=1)
    assert _rhat_basic(x) == pytest.approx(np.sqrt(((n - 1) / n * W + B / n) / W))
    z = _rank_normalise(x)
    assert z.mean() == pytest.approx(0, abs=1e-12)
    assert stats.spearmanr(z.ravel(), x.ravel())[0] == pytest.approx(1.0)
    assert _split(x).shape == (6, 10)


def test_too_few_draws_is_an_error():
    with pytest.raises(ValueError, match="at least 4 draws"):
        rhat(np.zeros((2, 3)))
