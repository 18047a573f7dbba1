"""Fixtures for the value-drivers tests: the demo survey and small simulated problems."""

from __future__ import annotations

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

matplotlib.use("Agg")


@pytest.fixture(scope="session")
def demo():
    from cvkit.datasets.demo import make_demo
    return make_demo(seed=2026)


@pytest.fixture(scope="session")
def survey(demo) -> pd.DataFrame:
    return demo.data("survey")


def simulate(n: int = 400, p: int = 6, seed: int = 0, halo: float = 1.0) -> tuple[pd.DataFrame, np.ndarray]:
    """Correlated 0-10 ratings (a common halo factor) and an outcome with known weights."""
    rng = np.random.default_rng(seed)
    latent = rng.normal(size=(n, 1)) * halo + rng.normal(size=(n, p))
    X = np.clip(np.round(5 + 1.5 * latent), 0, 10)
    weights = np.linspace(0.6, 0.0, p)
    y = np.clip(np.round(1 + X @ weights * 0.6 + rng.normal(size=n)), 0, 10)
    df = pd.DataFrame(X, columns=[f"d{i}" for i in range(p)])
    df["y"] = y
    df["rid"] = np.repeat(np.arange(n // 2 + 1), 2)[:n].astype(str)
    return df, weights


@pytest.fixture
def sim():
    return simulate()


@pytest.fixture
def make_sim():
    """The simulator itself, for tests that need other sizes or seeds."""
    return simulate


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")
