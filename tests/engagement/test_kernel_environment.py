"""What a run's kernels inherit: DuckDB's working memory bounded for a run (issue 17's memory target)."""
from __future__ import annotations

import os

from cvkit.engagement.runner import RUN_DUCKDB_MEMORY_LIMIT, kernel_environment


def test_kernels_get_the_run_memory_limit_unless_the_user_set_one(monkeypatch):
    monkeypatch.delenv("CVKIT_DUCKDB_MEMORY_LIMIT", raising=False)
    with kernel_environment():
        assert os.environ["CVKIT_DUCKDB_MEMORY_LIMIT"] == RUN_DUCKDB_MEMORY_LIMIT == "1GB"
    assert "CVKIT_DUCKDB_MEMORY_LIMIT" not in os.environ  # restored afterwards
    monkeypatch.setenv("CVKIT_DUCKDB_MEMORY_LIMIT", "3GB")
    with kernel_environment():
        assert os.environ["CVKIT_DUCKDB_MEMORY_LIMIT"] == "3GB"
