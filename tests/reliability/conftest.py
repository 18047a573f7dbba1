"""Reliability suite: shared Hypothesis settings and the figures the suite measures.

Every test that fuzzes, injects a fault, runs clients or compares reruns adds to ``FIGURES``; at the
end of the session they are written to ``test-artifacts/reliability_figures.json`` (the numbers
``tests/reliability/README.md`` reports).
"""

from __future__ import annotations

import fcntl
import json
import os
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# Deterministic in CI: derandomized generation, no example database between runs.
FUZZ = settings(derandomize=True, database=None, deadline=None, max_examples=40,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                       HealthCheck.data_too_large, HealthCheck.filter_too_much])

FIGURES: Counter = Counter()
MEASURED: dict[str, object] = {}


@pytest.fixture(scope="session", autouse=True)
def _write_figures():
    yield
    if not FIGURES and not MEASURED:
        return
    out = Path(__file__).resolve().parents[2] / "test-artifacts"
    out.mkdir(exist_ok=True)
    path = out / "reliability_figures.json"
    # Several pytest-xdist workers may finish at once: read-update-write under an exclusive lock.
    with open(out / ".reliability_figures.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        previous = json.loads(path.read_text()) if path.exists() else {}
        run = os.environ.get("PYTEST_XDIST_TESTRUNUID")  # the same in every worker of one run
        same_run = run is not None and previous.get("_run") == run
        for key, value in FIGURES.items():  # counts of the workers of one run add up
            previous[key] = previous.get(key, 0) + value if same_run else value
        previous.update({**MEASURED, "_run": run})
        path.write_text(json.dumps(previous, indent=2, sort_keys=True) + "\n")
