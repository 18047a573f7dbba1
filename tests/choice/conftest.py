"""Shared fixtures for the choice tests: the demo conjoint and a small simulated CBC."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cvkit.choice import ChoiceSpec, prepare

DEMO_ATTRIBUTES = {
    "delivery": ["standard", "next_day", "same_day"],
    "returns": ["paid", "free"],
    "extras": ["none", "streaming", "partner_discounts", "priority_service"],
    "fee": [29, 49, 69, 89],
}


@pytest.fixture(scope="session")
def demo_attributes() -> dict:
    return {a: list(v) for a, v in DEMO_ATTRIBUTES.items()}


@pytest.fixture(scope="session")
def demo():
    from cvkit.datasets.demo import make_demo

    return make_demo(seed=2026)


@pytest.fixture(scope="session")
def demo_spec() -> ChoiceSpec:
    return ChoiceSpec(DEMO_ATTRIBUTES, price="fee", none=True)


@pytest.fixture(scope="session")
def demo_data(demo, demo_spec):
    return prepare(demo.choice, demo_spec)


@pytest.fixture(scope="session")
def truth_params():
    return _truth_params


@pytest.fixture(scope="session")
def simulate_cbc():
    return _simulate_cbc


def _truth_params(truth: pd.DataFrame, spec: ChoiceSpec) -> np.ndarray:
    """The demo's true respondent part-worths as coded parameters (effects coding, fee per EUR, none)."""
    cols = []
    for p in spec.params:
        cols.append(truth[p].to_numpy())
    return np.column_stack(cols)


def _simulate_cbc(spec: ChoiceSpec, beta: np.ndarray, n_tasks: int = 10, n_concepts: int = 3,
                 seed: int = 0) -> pd.DataFrame:
    """Random-design CBC with a none option, choices drawn from MNL with respondent ``beta`` (N, K)."""
    rng = np.random.default_rng(seed)
    N = len(beta)
    rows = []
    for n in range(N):
        for t in range(1, n_tasks + 1):
            concept = {a: [lv[i] for i in rng.integers(0, len(lv), n_concepts)] for a, lv in spec.attributes.items()}
            frame = pd.DataFrame(concept)
            if spec.none:
                frame = pd.concat([frame, pd.DataFrame({a: [None] for a in spec.attributes})], ignore_index=True)
            is_none = np.zeros(len(frame), bool)
            if spec.none:
                is_none[-1] = True
            X = spec.code(frame, none=is_none)
            u = X @ beta[n] + rng.gumbel(size=len(frame))
            frame.insert(0, "alternative", np.arange(1, len(frame) + 1))
            frame.insert(0, "task", t)
            frame.insert(0, "respondent_id", f"r{n:04d}")
            if spec.none:
                frame["none"] = is_none.astype(int)
            frame["chosen"] = (np.arange(len(frame)) == u.argmax()).astype(int)
            rows.append(frame)
    return pd.concat(rows, ignore_index=True)
