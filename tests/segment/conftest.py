"""Shared fixtures for the segmentation tests: planted clusters and the demo engagement."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture(scope="session")
def blobs() -> tuple[np.ndarray, np.ndarray]:
    """Three well separated Gaussian clusters of sizes 150, 100, 50 in 6 dimensions."""
    rng = np.random.default_rng(7)
    centers = np.array([[0, 0, 0, 0, 0, 0], [5, 5, 0, 0, 0, 0], [0, 0, 5, 5, 0, 0]], dtype=float)
    sizes = [150, 100, 50]
    X = np.vstack([rng.normal(c, 1.0, (n, 6)) for c, n in zip(centers, sizes)])
    y = np.repeat([1, 2, 3], sizes)
    return X, y


@pytest.fixture(scope="session")
def demo():
    from cvkit.datasets.demo import make_demo

    return make_demo(seed=2026)
