"""The final segmentation by the algorithm a notebook names, and how far algorithms agree."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import adjusted_rand_score

from cvkit.segment.consensus import ConsensusSegmenter
from cvkit.segment.models import ALGORITHMS, LatentClassModel, SegmentModel

__all__ = ["fit_segmentation", "compare_partitions", "alternative_partitions"]


def fit_segmentation(algorithm: str, k: int, X: np.ndarray, *, seed: int = 0, n_init: int = 50,
                     covariance: str = "diag", categorical: pd.DataFrame | np.ndarray | None = None):
    """Fit the final segmentation with the algorithm named in the notebook's parameters.

    Parameters
    ----------
    algorithm : {"kmeans", "gmm", "ward", "consensus", "lca"}
        ``consensus`` = :class:`~cvkit.segment.ConsensusSegmenter`; ``lca`` =
        :class:`LatentClassModel` on ``categorical``.
    k : int
    X : ndarray, shape (n, p)
        Preprocessed inputs (ignored by ``lca``).
    seed, n_init, covariance
        As in :class:`SegmentModel`.
    categorical : DataFrame or ndarray, shape (n, items), optional
        Categorical answers for ``lca`` (e.g. :func:`ordinal_bins` of the battery).

    Returns
    -------
    fitted model with ``labels_`` (1..k) and ``predict``
    """
    if algorithm in ALGORITHMS:
        return SegmentModel(k, algorithm, n_init=n_init, covariance=covariance,  # type: ignore[arg-type]
                            seed=seed).fit(X)
    if algorithm == "consensus":
        return ConsensusSegmenter(k, seed=seed).fit(X)
    if algorithm == "lca":
        if categorical is None:
            raise ValueError("algorithm='lca' needs categorical answers; fix: pass categorical=ordinal_bins(needs)")
        return LatentClassModel(k, n_init=10, seed=seed).fit(categorical)
    raise ValueError(f"algorithm={algorithm!r} is not known; use one of kmeans, gmm, ward, consensus, lca")


def compare_partitions(partitions: dict[str, np.ndarray]) -> pd.DataFrame:
    """Adjusted Rand index between every pair of partitions of the same rows.

    Parameters
    ----------
    partitions : dict of str to ndarray, each shape (n,)

    Returns
    -------
    DataFrame, shape (m, m)
        Symmetric, 1 on the diagonal; values near 1 mean the algorithms agree.
    """
    names = list(partitions)
    m = np.eye(len(names))
    for i, a in enumerate(names):
        for j in range(i + 1, len(names)):
            m[i, j] = m[j, i] = adjusted_rand_score(partitions[a], partitions[names[j]])
    return pd.DataFrame(m, index=names, columns=names)


def alternative_partitions(X: np.ndarray, k: int, *, final: np.ndarray, categorical: pd.DataFrame | None = None,
                           seed: int = 0) -> tuple[dict[str, np.ndarray], SegmentModel]:
    """The final segments beside k-means, GMM, Ward (and latent class on ``categorical``) at the same k.

    How far other algorithms reproduce the final solution (:func:`compare_partitions`) tells the
    client how much the segments depend on the method.

    Parameters
    ----------
    X : ndarray, shape (n, p)
        Preprocessed inputs.
    k : int
        Number of segments.
    final : ndarray, shape (n,)
        The final solution's labels.
    categorical : DataFrame, shape (n, items), optional
        Binned answers (:func:`ordinal_bins`) for a latent class model.
    seed : int

    Returns
    -------
    (dict of str -> ndarray, SegmentModel)
        Labels by method (``final`` first), and the fitted Ward model (its ``linkage_`` draws the dendrogram).
    """
    partitions = {"final": np.asarray(final)}
    fitted = {}
    for name in ("kmeans", "gmm", "ward"):
        fitted[name] = SegmentModel(k, name, n_init=10, seed=seed).fit(X)
        partitions[name] = fitted[name].labels_
    if categorical is not None:
        # an item in one category for everyone (e.g. a MaxDiff item always far below each respondent's
        # mean) cannot separate classes: leave it out rather than fail the comparison
        varying = categorical.loc[:, categorical.nunique() > 1]
        if varying.shape[1]:
            partitions["latent class (needs)"] = LatentClassModel(k, n_init=5, seed=seed).fit(varying).labels_
    return partitions, fitted["ward"]
