"""Key driver analysis: how much each driver rating explains of an outcome.

Everything here works from correlation matrices, so one code path serves
plain, weighted, pairwise-missing and bootstrap data: a bootstrap resample is
just a vector of multinomial counts that multiplies the respondent weights,
and a batch of resamples is a batch of correlation matrices.

Importance measures (all in R^2 units unless stated):

* **Shapley value regression / LMG** (exact): each driver's average increase
  in R^2 over all orders of entry. Computed from the R^2 of all ``2^p``
  subsets, each obtained by extending its parent subset's Cholesky factor by
  one row, vectorised over all subsets of the same size (see
  :func:`subset_r2`); the Shapley weights then come from that table in one
  vectorised pass.
* **Shapley by permutation sampling** (above the exact limit): for a random
  order of the drivers, one Cholesky factor of the correlation matrix in that
  order gives the R^2 gain of every driver as it enters (``L[y, i]^2``), so a
  batch of permutations is a batch of Cholesky factors. Monte Carlo standard
  errors are reported; the estimates sum to R^2 exactly.
* **Johnson's relative weights** (Johnson 2000): regress the outcome on the
  orthogonal counterpart ``Z = X (X'X)^{-1/2}`` of the drivers and map back.
* **Standardised betas** and **correlations** (not additive, shown for
  reference; the signs shown next to the shares come from the betas).

References
----------
Lindeman, Merenda & Gold (1980); Kruskal (1987); Lipovetsky & Conklin (2001),
"Analysis of regression in game theory approach"; Johnson (2000), "A heuristic
method for estimating the relative weight of predictor variables in multiple
regression", Multivariate Behavioral Research 35(1).
"""

from __future__ import annotations

from collections.abc import Sequence
from math import factorial

import numpy as np
import pandas as pd

from cvkit._threads import one_blas_thread
from cvkit.exceptions import DataError, FitError, Problem

__all__ = [
    "weighted_corr", "subset_r2", "shapley_from_subsets", "shapley_exact", "shapley_sampled",
    "relative_weights", "standardized_betas", "check_correlation", "bootstrap_counts",
]


# --------------------------------------------------------------------------- correlations

def weighted_corr(X: np.ndarray, weights: np.ndarray | None = None, *, pairwise: bool = False
                  ) -> tuple[np.ndarray, np.ndarray]:
    """(Batched) weighted Pearson correlation matrices, optionally pairwise-complete.

    Parameters
    ----------
    X : ndarray, shape (n, q)
        Data; may contain NaN when ``pairwise=True``.
    weights : ndarray, shape (n,) or (B, n), optional
        Row weights (>= 0). A 2-D array gives a batch of ``B`` correlation
        matrices at once, e.g. respondent weights times bootstrap counts.
    pairwise : bool, default False
        Use, for every pair of columns, the rows where both are observed.
        Without it ``X`` must be complete.

    Returns
    -------
    corr : ndarray, shape (q, q) or (B, q, q)
    n_pairs : ndarray, shape (q, q)
        Number of rows (with positive weight in the first batch member)
        behind each correlation.
    """
    X = np.asarray(X, dtype=float)
    n, q = X.shape
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
    single = w.ndim == 1
    W = w[None, :] if single else w
    mask = ~np.isnan(X)
    if not pairwise and not mask.all():
        raise ValueError("weighted_corr: X has missing values; use pairwise=True or drop incomplete rows")
    # Centring by the full-sample mean first keeps the raw-moment formulas below accurate.
    X0 = np.where(mask, X, np.nan)
    X0 = np.where(mask, X0 - np.nanmean(X0, axis=0), 0.0)
    M = mask.astype(float)
    moments = _weighted_moments(W, X0, M, pairwise)
    with np.errstate(divide="ignore", invalid="ignore"):
        corr = _pairwise_corr(*moments, q) if pairwise else _complete_corr(*moments, q)
    npairs = (((W[0][:, None] > 0) * M).T @ M).astype(int)
    idx = np.arange(q)
    # The diagonal stays NaN for a column without variance, so callers can name it.
    corr[:, idx, idx] = np.where(np.isnan(corr[:, idx, idx]), np.nan, 1.0)
    corr = np.clip(corr, -1.0, 1.0)
    return (corr[0] if single else corr), npairs


def _weighted_moments(W: np.ndarray, X0: np.ndarray, M: np.ndarray, pairwise: bool) -> tuple[np.ndarray, ...]:
    """Weighted sums over rows for every weight vector of the batch ``W`` (B, n).

    Every weighted moment is a weighted sum over rows of a per-row product, so a whole batch of
    weight vectors is one matrix product W @ Z with Z holding the products for each pair of
    columns: one large GEMM instead of B small ones (rows chunked to bound Z's memory).
    Complete data: (sum w, sum w x, sum w x_i x_j over the upper triangle); pairwise: (sums of
    pair counts, x, x^2 over the rows where both columns are observed, and of x_i x_j).
    """
    n, q = X0.shape
    iu, ju = np.triu_indices(q)
    B = W.shape[0]
    sw = np.zeros(B)
    s1 = np.zeros((B, q))
    if not pairwise:
        s2 = np.zeros((B, len(iu)))
    else:
        sN, sX, sXX = (np.zeros((B, q * q)) for _ in range(3))
        sXY = np.zeros((B, len(iu)))
    step = max(1, int(4e6 // max(q * q, 1)))
    for r0 in range(0, n, step):
        Wc, Xc, Mc = W[:, r0:r0 + step], X0[r0:r0 + step], M[r0:r0 + step]
        if not pairwise:
            sw += Wc.sum(axis=1)
            s1 += Wc @ Xc
            s2 += Wc @ (Xc[:, iu] * Xc[:, ju])
        else:
            sN += Wc @ (Mc[:, :, None] * Mc[:, None, :]).reshape(len(Mc), -1)
            sX += Wc @ (Xc[:, :, None] * Mc[:, None, :]).reshape(len(Mc), -1)
            sXX += Wc @ ((Xc ** 2)[:, :, None] * Mc[:, None, :]).reshape(len(Mc), -1)
            sXY += Wc @ (Xc[:, iu] * Xc[:, ju])
    return (sw, s1, s2) if not pairwise else (sN, sX, sXX, sXY)


def _complete_corr(sw: np.ndarray, s1: np.ndarray, s2: np.ndarray, q: int) -> np.ndarray:
    """Correlations (B, q, q) from the complete-data moments."""
    iu, ju = np.triu_indices(q)
    B = len(sw)
    m = s1 / sw[:, None]
    cov = np.empty((B, q, q))
    cov[:, iu, ju] = s2 / sw[:, None]
    cov[:, ju, iu] = cov[:, iu, ju]
    cov -= m[:, :, None] * m[:, None, :]
    sd = np.sqrt(np.clip(np.einsum("bii->bi", cov), 0, None))
    return cov / (sd[:, :, None] * sd[:, None, :])


def _pairwise_corr(sN: np.ndarray, sX: np.ndarray, sXX: np.ndarray, sXY: np.ndarray, q: int) -> np.ndarray:
    """Correlations (B, q, q), each from the rows where both columns are observed."""
    iu, ju = np.triu_indices(q)
    B = len(sN)
    N = sN.reshape(B, q, q)
    Sx, Sxx = sX.reshape(B, q, q), sXX.reshape(B, q, q)   # [i, j]: sum of x_i over rows with i and j
    Sxy = np.empty((B, q, q))
    Sxy[:, iu, ju] = sXY
    Sxy[:, ju, iu] = sXY
    mi, mj = Sx / N, np.swapaxes(Sx, 1, 2) / N
    cov = Sxy / N - mi * mj
    vi = Sxx / N - mi ** 2
    vj = np.swapaxes(Sxx, 1, 2) / N - mj ** 2
    return cov / np.sqrt(np.clip(vi, 0, None) * np.clip(vj, 0, None))


def check_correlation(R: np.ndarray, names: Sequence[str], *, tol: float = 1e-10) -> None:
    """Raise a clear error when drivers have no variance or are perfectly collinear.

    Parameters
    ----------
    R : ndarray, shape (p, p)
        Correlation matrix of the drivers (NaN where a driver has no variance).
    names : sequence of str
        Driver names, for the message.
    tol : float
        Eigenvalues below this (relative to p) count as exact collinearity.

    Raises
    ------
    DataError
        A correlation is undefined (no respondent answered both).
    FitError
        Naming the constant drivers, or the set of drivers that are linearly
        dependent (with the combination), with the fix.
    """
    names = list(names)
    # weighted_corr leaves the diagonal NaN for a column without variance.
    diag_nan = np.isnan(np.diag(R))
    if diag_nan.any():
        bad = [names[i] for i in np.flatnonzero(diag_nan)]
        raise FitError(f"drivers, column {bad[0]!r}: driver(s) {bad} have no variance (every respondent gave "
                       "the same rating), so they cannot explain anything. Fix: drop them from the driver list")
    if np.isnan(R).any():
        i, j = np.argwhere(np.isnan(R))[0]
        raise DataError(Problem("drivers", f"the correlation of {names[i]!r} and {names[j]!r} is undefined "
                                "(no respondent answered both).", "use listwise deletion or drop one"))
    vals, vecs = np.linalg.eigh(R)
    if vals[0] < tol * len(R):
        v = vecs[:, 0]
        involved = np.flatnonzero(np.abs(v) > 1e-6)
        # Express the dependency as "a = c1 b + c2 c" so the analyst sees what duplicates what.
        lead = involved[np.argmax(np.abs(v[involved]))]
        terms = " ".join(f"{'+' if -v[i] / v[lead] >= 0 else '-'} {abs(v[i] / v[lead]):.3g}*{names[i]}"
                         for i in involved if i != lead)
        raise FitError(
            f"drivers: drivers {[names[i] for i in involved]} are perfectly collinear "
            f"(standardised: {names[lead]} = {terms.lstrip('+ ')}), so their separate effects cannot be "
            f"estimated. Fix: drop one of them (e.g. {names[lead]!r}) or combine them into one index")


def bootstrap_counts(n: int, n_boot: int, rng: np.random.Generator, clusters: np.ndarray | None = None
                     ) -> np.ndarray:
    """Bootstrap resamples as multinomial counts per row, shape (n_boot, n).

    With ``clusters`` (e.g. respondent ids for stacked respondent x brand
    rows) whole clusters are resampled, so a respondent's ratings of several
    brands stay together.
    """
    if clusters is None:
        return rng.multinomial(n, np.full(n, 1.0 / n), size=n_boot).astype(float)
    codes, uniq = pd.factorize(pd.Series(clusters), sort=True)
    k = len(uniq)
    c = rng.multinomial(k, np.full(k, 1.0 / k), size=n_boot).astype(float)
    return c[:, codes]


# --------------------------------------------------------------------------- Shapley / LMG

def subset_r2(R: np.ndarray) -> np.ndarray:
    """R^2 of the regression of the outcome on every subset of drivers.

    Parameters
    ----------
    R : ndarray, shape (p + 1, p + 1) or (B, p + 1, p + 1)
        Correlation matrix (or a batch of them) with the outcome as the LAST
        row/column; must be positive definite (see :func:`check_correlation`).

    Returns
    -------
    ndarray, shape (2**p,) or (B, 2**p)
        ``r2[mask]`` is the R^2 of the drivers whose bits are set in ``mask``
        (bit ``j`` = driver ``j``); ``r2[0] = 0``.

    Notes
    -----
    Every subset ``S`` (drivers in increasing order) extends its parent
    ``S - {max S}`` by one driver, and the Cholesky factor of the bordered matrix
    ``[[R_SS, r_Sy], [r_yS, 1]]`` extends the parent's factor by one row. For each
    subset we keep ``T_S = L_S^{-1} R[S, J]`` for the columns ``J`` that can still be
    added (drivers after ``max S``, and the outcome). Adding driver ``j`` gives the
    new factor row ``l = T_S[:, j]``, pivot ``sqrt(1 - l'l)``, and the child's table
    ``T`` is the parent's remaining columns plus one new row
    ``(R[j, J'] - l' T_S[:, J']) / pivot``; its outcome entry ``u`` adds ``u^2`` to the
    parent's R^2. Subsets are processed grouped by (size, largest driver), so each
    step is a handful of vectorised operations over thousands of subsets (and over
    the batch of correlation matrices), costing O(k * p) per subset instead of a
    fresh O(k^3) factorisation: 2^20 subsets take well under a second.
    """
    R = np.asarray(R, dtype=float)
    single = R.ndim == 2
    Rb = R[None] if single else R
    B, q, _ = Rb.shape
    p = q - 1
    out = np.zeros((B, 1 << p))
    # groups[m] = (bit masks, T) for the current size's subsets whose largest driver is m;
    # T has shape (B, n_subsets, size, p - m): columns m+1 .. p-1 and the outcome.
    groups: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    for m in range(p):
        T = Rb[:, m, m + 1:][:, None, None, :].copy()
        mk = np.array([1 << m], dtype=np.int64)
        out[:, mk] = T[:, :, 0, -1] ** 2
        groups[m] = (mk, T)
    for _size in range(1, p):
        children: dict[int, list[tuple[np.ndarray, np.ndarray]]] = {}
        for m, (mk, T) in groups.items():
            for j in range(m + 1, p):
                c = j - (m + 1)
                l_row = T[..., c]                                         # (B, n, size)
                pivot = np.sqrt(1.0 - np.einsum("bnk,bnk->bn", l_row, l_row))
                rest = T[..., c + 1:]                                     # columns j+1 .. p-1, outcome
                new = (Rb[:, None, j, j + 1:] - np.einsum("bnk,bnkc->bnc", l_row, rest)) / pivot[..., None]
                child = mk | (1 << j)
                out[:, child] = out[:, mk] + new[..., -1] ** 2
                if j < p - 1:
                    children.setdefault(j, []).append((child, np.concatenate([rest, new[:, :, None, :]], axis=2)))
        groups = {j: (np.concatenate([c[0] for c in v]), np.concatenate([c[1] for c in v], axis=1))
                  for j, v in children.items()}
    return out[0] if single else out


def shapley_from_subsets(r2: np.ndarray) -> np.ndarray:
    """Shapley values (LMG shares) from a table of subset R^2.

    Parameters
    ----------
    r2 : ndarray, shape (2**p,) or (B, 2**p)
        As returned by :func:`subset_r2`.

    Returns
    -------
    ndarray, shape (p,) or (B, p)
        ``phi_j = sum_{S not containing j} |S|! (p-|S|-1)! / p! * (R^2(S+j) - R^2(S))``;
        they sum to the full-model R^2.
    """
    r2 = np.asarray(r2, dtype=float)
    single = r2.ndim == 1
    T = r2[None] if single else r2
    p = int(round(np.log2(T.shape[1])))
    if 1 << p != T.shape[1]:
        raise ValueError("r2 must have 2**p entries, indexed by subset bit mask")
    masks = np.arange(1 << p, dtype=np.int64)
    sizes = np.bitwise_count(masks)
    weight_by_size = np.array([factorial(s) * factorial(p - s - 1) / factorial(p) if s < p else 0.0
                               for s in range(p + 1)])
    phi = np.empty((T.shape[0], p))
    for j in range(p):
        without = masks[(masks >> j) & 1 == 0]
        gain = T[:, without | (1 << j)] - T[:, without]
        phi[:, j] = gain @ weight_by_size[sizes[without]]
    return phi[0] if single else phi


def shapley_exact(R: np.ndarray) -> np.ndarray:
    """Exact Shapley / LMG decomposition of R^2 from a correlation matrix.

    Parameters
    ----------
    R : ndarray, shape (p + 1, p + 1) or (B, p + 1, p + 1)
        Correlations, outcome last.

    Returns
    -------
    ndarray, shape (p,) or (B, p)
        Share of R^2 of each driver (R^2 units; they sum to the full R^2).
    """
    return shapley_from_subsets(subset_r2(R))


@one_blas_thread()
def shapley_sampled(R: np.ndarray, n_permutations: int = 2000, rng: np.random.Generator | None = None,
                    *, batch: int = 2000) -> tuple[np.ndarray, np.ndarray]:
    """Shapley values by sampling orders of entry, with Monte Carlo standard errors.

    Parameters
    ----------
    R : ndarray, shape (p + 1, p + 1)
        Correlations, outcome last.
    n_permutations : int, default 2000
        Random orders of the drivers. Each order is used with its reverse
        (antithetic pairs), which lowers the variance.
    rng : numpy Generator, optional
    batch : int
        Permutations per batched Cholesky call.

    Returns
    -------
    phi : ndarray, shape (p,)
        Estimated Shapley values (sum exactly to the full R^2).
    mc_se : ndarray, shape (p,)
        Monte Carlo standard error of each estimate (over antithetic pairs).
    """
    rng = np.random.default_rng() if rng is None else rng
    R = np.asarray(R, dtype=float)
    p = R.shape[0] - 1
    n_pairs = max(2, int(np.ceil(n_permutations / 2)))
    sums = np.zeros(p)
    sq = np.zeros(p)
    done = 0
    while done < n_pairs:
        m = min(batch // 2 or 1, n_pairs - done)
        perms = rng.permuted(np.tile(np.arange(p), (m, 1)), axis=1)
        pair_contrib = np.zeros((m, p))
        for order in (perms, perms[:, ::-1]):
            idx = np.concatenate([order, np.full((m, 1), p)], axis=1)
            L = np.linalg.cholesky(R[idx[:, :, None], idx[:, None, :]])
            gain = L[:, -1, :-1] ** 2                     # R^2 gain of each driver as it enters
            contrib = np.zeros((m, p))
            np.put_along_axis(contrib, order, gain, axis=1)
            pair_contrib += contrib / 2
        sums += pair_contrib.sum(axis=0)
        sq += (pair_contrib ** 2).sum(axis=0)
        done += m
    phi = sums / n_pairs
    var = np.clip(sq / n_pairs - phi ** 2, 0, None) * n_pairs / (n_pairs - 1)
    return phi, np.sqrt(var / n_pairs)


# --------------------------------------------------------------------------- relative weights, betas

@one_blas_thread()
def relative_weights(R: np.ndarray) -> np.ndarray:
    """Johnson's (2000) relative weights from a correlation matrix (batched).

    Parameters
    ----------
    R : ndarray, shape (p + 1, p + 1) or (B, p + 1, p + 1)
        Correlations, outcome last.

    Returns
    -------
    ndarray, shape (p,) or (B, p)
        Raw relative weights (R^2 units; they sum to the full R^2).

    Notes
    -----
    With ``R_xx = V diag(lambda) V'``, ``Lambda = V diag(sqrt(lambda)) V'`` is the
    matrix of correlations between the drivers and their closest orthogonal
    counterparts; ``beta* = Lambda^{-1} r_xy`` regresses the outcome on those, and
    ``epsilon_j = sum_k Lambda_jk^2 beta*_k^2``.
    """
    R = np.asarray(R, dtype=float)
    Rxx, rxy = R[..., :-1, :-1], R[..., :-1, -1]
    lam, V = np.linalg.eigh(Rxx)
    lam = np.clip(lam, 0, None)
    Lam = (V * np.sqrt(lam)[..., None, :]) @ np.swapaxes(V, -1, -2)
    with np.errstate(divide="ignore", invalid="ignore"):
        inv_sqrt = (V * (1 / np.sqrt(lam))[..., None, :]) @ np.swapaxes(V, -1, -2)
    beta_star = np.einsum("...ij,...j->...i", inv_sqrt, rxy)
    return np.einsum("...jk,...k->...j", Lam ** 2, beta_star ** 2)


@one_blas_thread()
def standardized_betas(R: np.ndarray) -> np.ndarray:
    """Standardised regression coefficients ``R_xx^{-1} r_xy`` (batched), shape (p,) or (B, p)."""
    R = np.asarray(R, dtype=float)
    return np.linalg.solve(R[..., :-1, :-1], R[..., :-1, -1:])[..., 0]
