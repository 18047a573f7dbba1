"""Ensemble consensus segmentation, in the spirit of Sawtooth's CCEA.

Different algorithms, starting points and samples give different partitions
of the same respondents. Instead of trusting one run, an ensemble:

1. fits many *base* solutions: k-means, Gaussian mixture and Ward, each on a
   random 80% subsample with its own seed, at ``k - 1``, ``k`` and ``k + 1``
   segments (every respondent is then assigned to the nearest segment
   centre, so each base solution labels everybody);
2. summarises them in a co-association structure: how often two
   respondents are put together (kept as the one-hot matrix ``H`` of the
   base labels, so ``H @ H.T / B`` is the co-association matrix without
   ever building an n x n array for large n);
3. derives *consensus* partitions from it (k-means on ``H``; average-linkage
   on the co-association distances when n <= 3,000);
4. scores every candidate with k segments (base or consensus) by its
   *reproducibility*: the mean adjusted Rand index with all base solutions
   with k segments, and keeps the most reproducible partition.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.cluster.hierarchy import fcluster, linkage
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score

from cvkit.estimator import ParamsMixin, check_is_fitted
from cvkit.exceptions import FitError
from cvkit._threads import single_threaded
from cvkit.segment.models import SegmentModel, check_k, relabel_by_size

__all__ = ["ConsensusSegmenter"]

_MAX_N_COASSOC = 3000


class ConsensusSegmenter(ParamsMixin):
    """Most reproducible partition from an ensemble of base segmentations.

    Parameters
    ----------
    k : int
        Number of segments of the final solution.
    n_base : int
        Number of base solutions (spread over algorithms and k - 1..k + 1).
    algorithms : tuple of str
        Base algorithms, from ``("kmeans", "gmm", "ward")``.
    subsample : float
        Share of respondents each base solution is fitted on (diversity).
    seed : int
        Master seed: every base solution gets its own seed from it, so the
        same seed always gives the same consensus.

    Attributes
    ----------
    labels_ : ndarray of int64, shape (n,)
        Final segments ``1..k`` (largest first).
    centers_ : ndarray, shape (k, p)
        Segment means in the input space (used by :meth:`predict`).
    reproducibility_ : DataFrame
        One row per candidate: ``candidate``, ``source`` ("base"/"consensus"),
        ``reproducibility`` (mean ARI with the k-segment base solutions), ``chosen``.
    base_labels_ : ndarray, shape (n, n_base)
        Labels of every base solution (for diagnostics).
    n_obs_ : int
        Rows the ensemble was fitted on.
    """

    def __init__(self, k: int, *, n_base: int = 30, algorithms: tuple[str, ...] = ("kmeans", "gmm", "ward"),
                 subsample: float = 0.8, seed: int = 0):
        self.k = k
        self.n_base = n_base
        self.algorithms = algorithms
        self.subsample = subsample
        self.seed = seed

    def fit(self, X: np.ndarray, y: None = None) -> "ConsensusSegmenter":
        """Fit the ensemble and pick the most reproducible partition.

        Parameters
        ----------
        X : ndarray, shape (n, p)
            Preprocessed inputs.

        Returns
        -------
        self
        """
        X = np.asarray(X, dtype=float)
        check_k(self.k, X.shape[0])
        with single_threaded():
            return self._fit(X)

    def _fit(self, X: np.ndarray) -> "ConsensusSegmenter":
        n = X.shape[0]
        ks = [kk for kk in (self.k - 1, self.k, self.k + 1) if kk >= 2 and n >= 10 * kk]
        seeds = np.random.SeedSequence(self.seed).generate_state(self.n_base + 2)
        base, base_k, names = [], [], []
        for b in range(self.n_base):
            alg = self.algorithms[b % len(self.algorithms)]
            kb = ks[(b // len(self.algorithms)) % len(ks)]
            rng = np.random.default_rng(int(seeds[b]))
            idx = np.sort(rng.choice(n, size=max(int(self.subsample * n), 10 * kb), replace=False))
            # Few starts per base run: diversity is the point, the ensemble supplies the robustness.
            m = SegmentModel(kb, alg, n_init=3, seed=int(seeds[b]) % (2**31)).fit(X[idx])
            base.append(m.predict(X) if alg != "ward" else _nearest(X, m.centers_))
            base_k.append(kb)
            names.append(f"base {b + 1} ({alg}, k={kb})")
        B = np.column_stack(base)
        self.base_labels_ = B
        H = np.hstack([(B[:, [j]] == np.arange(1, base_k[j] + 1)[None, :]).astype(float)
                       for j in range(B.shape[1])])
        candidates: list[tuple[str, str, np.ndarray]] = []
        with single_threaded():
            km = KMeans(n_clusters=self.k, n_init=20, random_state=int(seeds[-1]) % (2**31)).fit(H)
        candidates.append(("consensus (k-means on co-association)", "consensus", relabel_by_size(km.labels_)))
        if n <= _MAX_N_COASSOC:
            # Co-association distance = share of base solutions that separate the pair.
            co = (H @ H.T) / B.shape[1]
            d = 1.0 - co[np.triu_indices(n, 1)]
            lab = fcluster(linkage(d, method="average"), t=self.k, criterion="maxclust")
            if len(np.unique(lab)) == self.k:
                candidates.append(("consensus (average linkage on co-association)", "consensus",
                                   relabel_by_size(lab)))
        for j, name in enumerate(names):
            if base_k[j] == self.k:
                candidates.append((name, "base", relabel_by_size(B[:, j])))
        same_k = [j for j in range(B.shape[1]) if base_k[j] == self.k]
        rows = []
        for name, source, lab in candidates:
            # A base solution is not compared with itself.
            others = [j for j in same_k if not (source == "base" and name == names[j])]
            score = float(np.mean([adjusted_rand_score(lab, B[:, j]) for j in others])) if others else np.nan
            rows.append({"candidate": name, "source": source, "reproducibility": score})
        table = pd.DataFrame(rows)
        best = int(np.nanargmax(table["reproducibility"].to_numpy()))  # first max: consensus wins ties
        table["chosen"] = np.arange(len(table)) == best
        self.reproducibility_ = table
        self.labels_ = candidates[best][2].astype(np.int64)
        if len(np.unique(self.labels_)) < self.k:
            raise FitError(f"the consensus found only {len(np.unique(self.labels_))} segments; "
                             "fix: choose a smaller k")
        self.labels_ = relabel_by_size(self.labels_, X)
        self.centers_ = np.vstack([X[self.labels_ == j].mean(axis=0) for j in range(1, self.k + 1)])
        self.sizes_ = np.bincount(self.labels_, minlength=self.k + 1)[1:]
        self.bic_ = float("nan")
        self.n_obs_ = n
        return self

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Assign rows to the nearest consensus segment centre; returns shape (m,) in ``1..k``."""
        check_is_fitted(self, "centers_")
        return _nearest(np.asarray(X, dtype=float), self.centers_)


def _nearest(X: np.ndarray, centers: np.ndarray) -> np.ndarray:
    d = ((X[:, None, :] - centers[None, :, :]) ** 2).sum(axis=2)
    return d.argmin(axis=1).astype(np.int64) + 1
