"""Segmentation algorithms behind one interface: k-means, Gaussian mixtures, Ward, latent class.

Every model is fitted with :class:`SegmentModel` (or :class:`LatentClassModel`
for categorical / ordinal answers) and returns segments numbered ``1..k`` from
the largest to the smallest, so the same data and seed always give the same
numbers whatever order the algorithm happened to find the clusters in.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
from scipy.cluster.hierarchy import linkage
from scipy.special import logsumexp
from sklearn.cluster import AgglomerativeClustering, KMeans
from sklearn.mixture import GaussianMixture

from cvkit._threads import single_threaded
from cvkit.estimator import ParamsMixin, check_is_fitted
from cvkit.exceptions import FitError

__all__ = ["ALGORITHMS", "SegmentModel", "LatentClassModel", "relabel_by_size", "check_k", "single_threaded"]

Algorithm = Literal["kmeans", "gmm", "ward"]
ALGORITHMS: tuple[str, ...] = ("kmeans", "gmm", "ward")


def check_k(k: int, n: int, *, per_segment: int = 10, what: str = "respondents") -> None:
    """Raise a clear error when ``k`` segments cannot be estimated from ``n`` rows.

    Parameters
    ----------
    k : int
        Number of segments asked for.
    n : int
        Number of rows (respondents or customers) available.
    per_segment : int
        Rows needed per segment (rule of thumb: at least 10 per segment;
        commercial practice asks for far more).

    Raises
    ------
    ValueError
        If ``k < 2``.
    FitError
        If ``n < per_segment * k``: too few rows to estimate ``k`` segments.
    """
    if int(k) != k or k < 2:
        raise ValueError(f"k={k!r} is outside the feasible range: a segmentation needs at least 2 segments; "
                         "fix: choose k >= 2")
    if n < per_segment * k:
        raise FitError(f"k={k} needs at least {per_segment} {what} per segment ({per_segment * k}), "
                         f"but only {n} are available; fix: choose k <= {max(n // per_segment, 1)} "
                         f"or collect more {what}")


def relabel_by_size(labels: np.ndarray, X: np.ndarray | None = None) -> np.ndarray:
    """Renumber segments ``1..k`` by descending size (ties: by the first feature's mean).

    Parameters
    ----------
    labels : ndarray of int, shape (n,)
    X : ndarray, shape (n, p), optional
        Used only to break ties between segments of equal size.

    Returns
    -------
    ndarray of int64, shape (n,)
        Labels in ``1..k``; segment 1 is the largest.
    """
    labels = np.asarray(labels)
    uniq, counts = np.unique(labels, return_counts=True)
    tie = np.zeros(len(uniq)) if X is None else np.array([X[labels == u, 0].mean() for u in uniq])
    order = np.lexsort((uniq, -tie, -counts))  # size first, then tie-breakers
    mapping = np.empty(uniq.max() + 1 if len(uniq) else 0, dtype=np.int64)
    mapping[uniq[order]] = np.arange(1, len(uniq) + 1)
    return mapping[labels]


class SegmentModel(ParamsMixin):
    """Partition respondents into ``k`` segments with one algorithm.

    Parameters
    ----------
    k : int
        Number of segments.
    algorithm : {"kmeans", "gmm", "ward"}
        ``kmeans``: k-means with ``n_init`` random k-means++ starts, best
        within-segment sum of squares kept. ``gmm``: Gaussian mixture
        (``covariance`` "diag" = latent profile analysis, or "full"), best of
        ``n_init`` EM runs; gives BIC and membership probabilities. ``ward``:
        Ward hierarchical clustering (deterministic; new rows are assigned
        to the nearest segment centre).
    n_init : int
        Random starts (k-means, GMM).
    covariance : {"diag", "full", "tied", "spherical"}
        GMM covariance structure.
    seed : int
        Random seed; the same seed gives the same segments.

    Attributes
    ----------
    labels_ : ndarray of int64, shape (n,)
        Segment of each training row, ``1..k`` by descending size.
    centers_ : ndarray, shape (k, p)
        Segment means in the input space (row ``j`` = segment ``j + 1``).
    sizes_ : ndarray of int, shape (k,)
    bic_ : float
        Bayesian information criterion (GMM only, else NaN); lower is better.
    model_ : estimator
        The fitted scikit-learn model.
    linkage_ : ndarray or None
        SciPy linkage matrix (Ward only), for :func:`cvkit.segment.plot_dendrogram`.
    n_obs_ : int
        Rows the segmentation was fitted on.
    """

    def __init__(self, k: int, algorithm: Algorithm = "kmeans", *, n_init: int = 50, covariance: str = "diag",
                 seed: int = 0):
        self.k = k
        self.algorithm = algorithm
        self.n_init = n_init
        self.covariance = covariance
        self.seed = seed

    def _estimator(self):
        if self.algorithm == "kmeans":
            return KMeans(n_clusters=self.k, n_init=self.n_init, random_state=self.seed)
        if self.algorithm == "gmm":
            # reg_covar a little above sklearn's default: rounded 0-10 ratings give
            # near-singular covariances in small segments. k-means++ seeding (instead of a
            # full k-means run per start) makes each start ~30% cheaper; EM does the rest.
            return GaussianMixture(n_components=self.k, covariance_type=self.covariance, n_init=self.n_init,
                                   init_params="k-means++", random_state=self.seed, reg_covar=1e-4, max_iter=300)
        if self.algorithm == "ward":
            return AgglomerativeClustering(n_clusters=self.k, linkage="ward")
        raise ValueError(f"algorithm={self.algorithm!r} is not known; use one of {ALGORITHMS} "
                         "(or ConsensusSegmenter / LatentClassModel)")

    def fit(self, X: np.ndarray, y: None = None) -> "SegmentModel":
        """Fit the segmentation.

        Parameters
        ----------
        X : ndarray, shape (n, p)
            Preprocessed inputs (see :class:`NeedsPreprocessor`).

        Returns
        -------
        self
        """
        X = np.asarray(X, dtype=float)
        if not np.isfinite(X).all():
            raise ValueError("segmentation inputs contain missing or infinite values; fix: preprocess them "
                             "with NeedsPreprocessor (imputes and drops unusable columns)")
        check_k(self.k, X.shape[0])
        est = self._estimator()
        with single_threaded():
            raw = est.fit_predict(X)
        self.model_ = est
        self.labels_ = relabel_by_size(raw, X)
        self.centers_ = np.vstack([X[self.labels_ == j].mean(axis=0) for j in range(1, self.k + 1)])
        self.sizes_ = np.bincount(self.labels_, minlength=self.k + 1)[1:]
        # Map the estimator's own labels to ours so predict() agrees with labels_.
        self._map = np.zeros(int(raw.max()) + 1, dtype=np.int64)
        self._map[raw] = self.labels_
        self.bic_ = float(est.bic(X)) if self.algorithm == "gmm" else float("nan")
        self.linkage_ = linkage(X, method="ward") if self.algorithm == "ward" and len(X) <= 5000 else None
        self.n_obs_ = len(X)
        if len(np.unique(raw)) < self.k:
            raise FitError(f"{self.algorithm} found only {len(np.unique(raw))} non-empty segments of the "
                             f"{self.k} asked for; fix: choose a smaller k")
        return self

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Assign rows to the fitted segments.

        Parameters
        ----------
        X : ndarray, shape (m, p)
            Inputs preprocessed with the same fitted preprocessor.

        Returns
        -------
        ndarray of int64, shape (m,)
            Segment ``1..k``. k-means and GMM use their own rule (nearest
            centre, highest posterior); Ward assigns the nearest segment centre.
        """
        check_is_fitted(self, "labels_")
        X = np.asarray(X, dtype=float)
        if self.algorithm == "ward":
            d = ((X[:, None, :] - self.centers_[None, :, :]) ** 2).sum(axis=2)
            return d.argmin(axis=1).astype(np.int64) + 1
        with single_threaded():
            raw = self.model_.predict(X)
        return self._map[raw]

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Segment membership probabilities, shape (m, k) (GMM only)."""
        check_is_fitted(self, "labels_")
        if self.algorithm != "gmm":
            raise ValueError(f"{self.algorithm} gives hard assignments only; use algorithm='gmm' for "
                             "membership probabilities")
        with single_threaded():
            p = self.model_.predict_proba(np.asarray(X, dtype=float))
        out = np.zeros_like(p)
        out[:, self._map[: p.shape[1]] - 1] = p
        return out


class LatentClassModel(ParamsMixin):
    """Latent class analysis for categorical or ordinal answers, fitted by EM.

    Each class ``c`` has a share ``pi_c`` and, for every item ``j``, a
    probability ``theta[c, j, l]`` of each answer ``l``; items are independent
    within a class (local independence). Ordinal items are treated as
    nominal categories, the usual choice with few answer levels; bin long
    scales first (e.g. 0-10 into low/mid/high) so classes stay estimable.
    Missing answers are skipped in the likelihood (missing at random).
    Written here (about 100 lines, tested) rather than pinning StepMix,
    which imports private scikit-learn modules.

    Parameters
    ----------
    k : int
        Number of classes.
    n_init : int
        EM runs from random starts; the highest log-likelihood is kept.
    max_iter : int
        Maximum EM iterations per run.
    tol : float
        Stop when the log-likelihood gains less than ``tol`` (absolute).
    smoothing : float
        Dirichlet pseudo-count added to every answer probability (avoids
        log 0 for answers a class never gives).
    seed : int

    Attributes
    ----------
    categories_ : list of ndarray
        Answer levels of each item.
    weights_ : ndarray, shape (k,)
        Class shares, classes ordered 1..k by descending share.
    theta_ : list of ndarray, each shape (k, n_levels_j)
        Answer probabilities per class and item.
    log_likelihood_ : float
        Log-likelihood of the best run.
    bic_, aic_ : float
    n_params_ : int
    labels_ : ndarray of int64, shape (n,)
        Modal class ``1..k`` of each training row.
    converged_ : bool
    n_obs_ : int
        Rows the classes were estimated from.
    """

    def __init__(self, k: int, *, n_init: int = 10, max_iter: int = 500, tol: float = 1e-6, smoothing: float = 0.1,
                 seed: int = 0):
        self.k = k
        self.n_init = n_init
        self.max_iter = max_iter
        self.tol = tol
        self.smoothing = smoothing
        self.seed = seed

    def _onehot(self, data: pd.DataFrame | np.ndarray) -> np.ndarray:
        arr = np.asarray(data, dtype=object)
        blocks = []
        for j, cats in enumerate(self.categories_):
            col = pd.Series(arr[:, j])
            unknown = col.notna() & ~col.isin(list(cats))
            if unknown.any():
                raise ValueError(f"item {j} has answers {sorted(map(str, col[unknown].unique()))[:5]} not seen when "
                                 "fitting; fix: recode them to the fitted levels or mark them missing")
            blocks.append(np.column_stack([(col == c).to_numpy(dtype=float) for c in cats]))
        return np.hstack(blocks)

    def _loglik_matrix(self, H: np.ndarray, log_theta: np.ndarray, log_pi: np.ndarray) -> np.ndarray:
        return H @ log_theta.T + log_pi  # (n, k)

    def fit(self, data: pd.DataFrame | np.ndarray, y: None = None) -> "LatentClassModel":
        """Estimate the classes.

        Parameters
        ----------
        data : DataFrame or ndarray, shape (n, n_items)
            Categorical answers (any hashable codes; NaN = missing).

        Returns
        -------
        self
        """
        arr = np.asarray(data, dtype=object)
        n, J = arr.shape
        check_k(self.k, n)
        self.categories_ = []
        for j in range(J):
            vals = pd.Series(arr[:, j]).dropna().unique()
            if len(vals) < 2:
                raise ValueError(f"item {j} has {len(vals)} distinct answer(s); it cannot separate classes; "
                                 "fix: drop it from the latent class inputs")
            self.categories_.append(np.array(sorted(vals, key=lambda v: (str(type(v)), v))))
        H = self._onehot(arr)
        with single_threaded():
            return self._fit(H, n, J)

    def _fit(self, H: np.ndarray, n: int, J: int) -> "LatentClassModel":
        sizes = [len(c) for c in self.categories_]
        bounds = np.cumsum([0, *sizes])
        rng = np.random.default_rng(self.seed)
        best = None
        for _ in range(self.n_init):
            # Random soft start: Dirichlet responsibilities, then alternate M and E steps.
            resp = rng.dirichlet(np.ones(self.k), size=n)
            prev = -np.inf
            converged = False
            for _it in range(self.max_iter):
                log_pi, log_theta = self._m_step(H, resp, bounds)
                L = self._loglik_matrix(H, log_theta, log_pi)
                ll_rows = logsumexp(L, axis=1)
                ll = float(ll_rows.sum())
                resp = np.exp(L - ll_rows[:, None])
                if ll - prev < self.tol:
                    converged = True
                    break
                prev = ll
            if best is None or ll > best[0] + 1e-9:
                best = (ll, log_pi, log_theta, converged)
        ll, log_pi, log_theta, converged = best
        L = self._loglik_matrix(H, log_theta, log_pi)
        raw = L.argmax(axis=1)
        # Order classes by share so class 1 is the largest.
        order = np.argsort(-np.exp(log_pi), kind="stable")
        self._log_pi = log_pi[order]
        self._log_theta = log_theta[order]
        self._bounds = bounds
        self.weights_ = np.exp(self._log_pi)
        self.theta_ = [np.exp(self._log_theta[:, bounds[j]:bounds[j + 1]]) for j in range(J)]
        self.log_likelihood_ = ll
        self.n_obs_ = n
        self.converged_ = bool(converged)
        self.n_params_ = int((self.k - 1) + self.k * sum(s - 1 for s in sizes))
        self.bic_ = float(-2 * ll + self.n_params_ * np.log(n))
        self.aic_ = float(-2 * ll + 2 * self.n_params_)
        inv = np.empty(self.k, dtype=np.int64)
        inv[order] = np.arange(self.k)
        self.labels_ = inv[raw].astype(np.int64) + 1
        return self

    def _m_step(self, H: np.ndarray, resp: np.ndarray, bounds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        nk = resp.sum(axis=0)
        log_pi = np.log(nk / nk.sum())
        counts = resp.T @ H + self.smoothing  # (k, total levels)
        log_theta = np.empty_like(counts)
        for j in range(len(bounds) - 1):
            blk = counts[:, bounds[j]:bounds[j + 1]]
            # Normalise per item over respondents who answered it (missing rows add only smoothing).
            log_theta[:, bounds[j]:bounds[j + 1]] = np.log(blk / blk.sum(axis=1, keepdims=True))
        return log_pi, log_theta

    def predict_proba(self, data: pd.DataFrame | np.ndarray) -> np.ndarray:
        """Posterior class probabilities, shape (m, k)."""
        check_is_fitted(self, "labels_")
        H = self._onehot(np.asarray(data, dtype=object))
        L = self._loglik_matrix(H, self._log_theta, self._log_pi)
        return np.exp(L - logsumexp(L, axis=1, keepdims=True))

    def predict(self, data: pd.DataFrame | np.ndarray) -> np.ndarray:
        """Modal class ``1..k`` of each row, shape (m,)."""
        return self.predict_proba(data).argmax(axis=1).astype(np.int64) + 1
