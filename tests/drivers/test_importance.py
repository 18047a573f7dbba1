"""Exact and sampled Shapley values, relative weights and correlations against brute force."""

from __future__ import annotations

import itertools
from math import factorial

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cvkit.exceptions import FitError
from cvkit.drivers import (bootstrap_counts, check_correlation, relative_weights, shapley_exact,
                           shapley_from_subsets, shapley_sampled, standardized_betas, subset_r2, weighted_corr)


def _problem(n=250, p=6, seed=1):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p)) + rng.normal(size=(n, 1))  # correlated drivers
    y = X @ rng.uniform(-1, 1, p) + rng.normal(size=n)
    return X, y


def _ols_r2(X, y, cols, w=None):
    """R^2 of a (weighted) least-squares refit with intercept, the brute-force reference."""
    w = np.ones(len(y)) if w is None else w
    if not cols:
        return 0.0
    A = np.column_stack([np.ones(len(y)), X[:, cols]]) * np.sqrt(w)[:, None]
    b = np.linalg.lstsq(A, y * np.sqrt(w), rcond=None)[0]
    res = (y - np.column_stack([np.ones(len(y)), X[:, cols]]) @ b)
    ybar = np.average(y, weights=w)
    return 1 - np.sum(w * res ** 2) / np.sum(w * (y - ybar) ** 2)


@pytest.mark.parametrize("weighted,p", [(False, 6), (True, 6), (False, 1), (False, 2), (True, 9)])
def test_subset_r2_matches_every_brute_force_refit(weighted, p):
    X, y = _problem(p=p)
    w = np.random.default_rng(2).uniform(0.2, 3, len(y)) if weighted else None
    R, _ = weighted_corr(np.column_stack([X, y]), w)
    table = subset_r2(R)
    assert table.shape == (2 ** p,) and table[0] == 0
    for k in range(p + 1):
        for S in itertools.combinations(range(p), k):
            mask = sum(1 << j for j in S)
            assert abs(table[mask] - _ols_r2(X, y, list(S), w)) < 1e-10


def test_shapley_equals_average_over_all_orders_and_sums_to_r2():
    X, y = _problem(p=5, seed=4)
    R, _ = weighted_corr(np.column_stack([X, y]))
    phi = shapley_exact(R)
    p = X.shape[1]
    brute = np.zeros(p)
    for order in itertools.permutations(range(p)):  # 120 orders, each by refitting regressions
        prev, seen = 0.0, []
        for j in order:
            seen.append(j)
            r2 = _ols_r2(X, y, seen)
            brute[j] += r2 - prev
            prev = r2
    brute /= factorial(p)
    np.testing.assert_allclose(phi, brute, atol=1e-10)
    assert phi.sum() == pytest.approx(_ols_r2(X, y, list(range(p))), abs=1e-12)


def test_shapley_closed_forms():
    # Orthogonal drivers: each gets its squared correlation.
    R = np.eye(4)
    R[:3, 3] = R[3, :3] = [0.5, 0.3, 0.1]
    np.testing.assert_allclose(shapley_exact(R), [0.25, 0.09, 0.01], atol=1e-14)
    # Two drivers: phi_1 = (r1^2 + R^2 - r2^2) / 2.
    r12, r1, r2 = 0.4, 0.6, 0.3
    R2 = np.array([[1, r12, r1], [r12, 1, r2], [r1, r2, 1]])
    full = (r1 ** 2 + r2 ** 2 - 2 * r1 * r2 * r12) / (1 - r12 ** 2)
    np.testing.assert_allclose(shapley_exact(R2), [(r1 ** 2 + full - r2 ** 2) / 2, (r2 ** 2 + full - r1 ** 2) / 2])


def test_batched_shapley_equals_one_by_one():
    X, y = _problem(p=4)
    rng = np.random.default_rng(0)
    Rs = np.stack([weighted_corr(np.column_stack([X, y]), rng.multinomial(len(y), np.ones(len(y)) / len(y))
                                 .astype(float))[0] for _ in range(3)])
    batched = shapley_exact(Rs)
    for b in range(3):
        np.testing.assert_allclose(batched[b], shapley_exact(Rs[b]), atol=1e-13)
    with pytest.raises(ValueError, match="2\\*\\*p"):
        shapley_from_subsets(np.zeros(6))


def test_sampled_shapley_within_monte_carlo_error_and_sums_exactly():
    X, y = _problem(p=7, seed=9)
    R, _ = weighted_corr(np.column_stack([X, y]))
    exact = shapley_exact(R)
    est, se = shapley_sampled(R, 3000, np.random.default_rng(5))
    assert est.sum() == pytest.approx(exact.sum(), abs=1e-12)
    assert np.all(se > 0)
    assert np.all(np.abs(est - exact) <= 4.5 * se + 1e-12)
    again, _ = shapley_sampled(R, 3000, np.random.default_rng(5))
    np.testing.assert_array_equal(est, again)


def test_relative_weights_hand_computed_two_driver_example():
    # Worked example, step by step: R_xx = [[1, r], [r, 1]], r_xy = (0.6, 0.3), r = 0.4.
    r, rxy = 0.4, np.array([0.6, 0.3])
    # 1. Eigen-decomposition of R_xx: eigenvalues 1 + r and 1 - r, eigenvectors (1, 1)/sqrt2 and (1, -1)/sqrt2.
    V = np.array([[1, 1], [1, -1]]) / np.sqrt(2)
    lam = np.array([1 + r, 1 - r])
    # 2. Lambda = V diag(sqrt(lam)) V' = [[a, b], [b, a]].
    a = (np.sqrt(1 + r) + np.sqrt(1 - r)) / 2
    b = (np.sqrt(1 + r) - np.sqrt(1 - r)) / 2
    Lam = V @ np.diag(np.sqrt(lam)) @ V.T
    np.testing.assert_allclose(Lam, [[a, b], [b, a]], atol=1e-15)
    # 3. beta* = Lambda^{-1} r_xy, with Lambda^{-1} = [[a, -b], [-b, a]] / (a^2 - b^2).
    beta_star = np.array([a * rxy[0] - b * rxy[1], a * rxy[1] - b * rxy[0]]) / (a ** 2 - b ** 2)
    # 4. epsilon_j = sum_k Lambda_jk^2 beta*_k^2.
    eps = np.array([a ** 2 * beta_star[0] ** 2 + b ** 2 * beta_star[1] ** 2,
                    b ** 2 * beta_star[0] ** 2 + a ** 2 * beta_star[1] ** 2])
    R = np.array([[1, r, rxy[0]], [r, 1, rxy[1]], [rxy[0], rxy[1], 1]])
    np.testing.assert_allclose(relative_weights(R), eps, atol=1e-14)
    full_r2 = (rxy[0] ** 2 + rxy[1] ** 2 - 2 * rxy[0] * rxy[1] * r) / (1 - r ** 2)
    assert eps.sum() == pytest.approx(full_r2)
    # By hand: a = 0.978906, b = 0.204310, beta* = (0.573968, 0.186670), so
    # eps_1 = 0.958257 * 0.329439 + 0.041742 * 0.034846 = 0.317143 and eps_2 = 0.047143.
    np.testing.assert_allclose(eps, [0.317143, 0.047143], atol=5e-7)
    # With two drivers relative weights coincide with the Shapley values (a known identity).
    np.testing.assert_allclose(relative_weights(R), shapley_exact(R), atol=1e-14)


def test_relative_weights_orthogonal_equal_squared_correlations_and_sum_to_r2():
    R = np.eye(3)
    R[:2, 2] = R[2, :2] = [0.5, -0.2]
    np.testing.assert_allclose(relative_weights(R), [0.25, 0.04], atol=1e-14)
    X, y = _problem(p=8)
    R, _ = weighted_corr(np.column_stack([X, y]))
    assert relative_weights(R).sum() == pytest.approx(_ols_r2(X, y, list(range(8))), abs=1e-12)
    betas = standardized_betas(R)
    A = np.column_stack([np.ones(len(y)), (X - X.mean(0)) / X.std(0)])
    b = np.linalg.lstsq(A, (y - y.mean()) / y.std(), rcond=None)[0][1:]
    np.testing.assert_allclose(betas, b, atol=1e-10)


def test_weighted_corr_equals_replicated_rows_and_pandas_pairwise():
    X, y = _problem(n=60, p=3)
    D = np.column_stack([X, y])
    w = np.random.default_rng(1).integers(1, 4, 60)
    Rw, _ = weighted_corr(D, w.astype(float))
    np.testing.assert_allclose(Rw, np.corrcoef(np.repeat(D, w, axis=0), rowvar=False), atol=1e-12)
    D2 = D.copy()
    D2[:7, 0] = np.nan
    D2[5:12, 2] = np.nan
    Rp, npairs = weighted_corr(D2, pairwise=True)
    np.testing.assert_allclose(Rp, pd.DataFrame(D2).corr().to_numpy(), atol=1e-12)
    assert npairs[0, 2] == 60 - 12 and npairs[1, 1] == 60
    with pytest.raises(ValueError, match="missing values"):
        weighted_corr(D2)


def test_bootstrap_counts_resample_whole_clusters():
    rng = np.random.default_rng(0)
    clusters = np.repeat(["a", "b", "c", "d"], [3, 1, 2, 2])
    c = bootstrap_counts(8, 50, rng, clusters)
    assert c.shape == (50, 8)
    for cl in "abcd":
        cols = c[:, clusters == cl]
        assert np.all(cols == cols[:, :1])  # a respondent's rows move together
    np.testing.assert_array_equal(bootstrap_counts(5, 10, rng).sum(axis=1), 5)


def test_check_correlation_names_constant_and_collinear_drivers():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(100, 3))
    X = np.column_stack([X, X[:, 0] + 2 * X[:, 1]])
    R = np.corrcoef(X, rowvar=False)
    names = ["speed", "price", "range", "combo"]
    with pytest.raises(FitError, match="perfectly collinear") as err:
        check_correlation(R, names)
    msg = str(err.value)
    assert "speed" in msg and "price" in msg and "combo" in msg and "range'" not in msg.split("collinear")[0]
    Rc, _ = weighted_corr(np.column_stack([X[:, :2], np.ones(100)]))
    with pytest.raises(FitError, match="no variance"):
        check_correlation(Rc, ["a", "b", "flat"])


@settings(max_examples=40, deadline=None)
@given(p=st.integers(1, 7), seed=st.integers(0, 2**32 - 1))
def test_shapley_properties_on_random_correlation_matrices(p, seed):
    rng = np.random.default_rng(seed)
    D = rng.normal(size=(p + 20, p + 1)) @ rng.normal(size=(p + 1, p + 1))
    R, _ = weighted_corr(D)
    full = float(standardized_betas(R) @ R[:-1, -1])
    phi = shapley_exact(R)
    assert phi.sum() == pytest.approx(full, abs=1e-10)          # efficiency
    assert np.all(phi >= -1e-12)                                # R^2 never falls when a driver is added
    perm = rng.permutation(p)
    order = np.append(perm, p)
    np.testing.assert_allclose(shapley_exact(R[np.ix_(order, order)]), phi[perm], atol=1e-10)  # symmetry
    np.testing.assert_allclose(relative_weights(R).sum(), full, atol=1e-10)
