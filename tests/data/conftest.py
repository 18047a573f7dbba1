"""Fixtures for the data-intake tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.data.datasamples import VALID, write


@pytest.fixture
def valid_files(tmp_path: Path) -> dict[str, Path]:
    """One valid CSV per data set kind, in tmp_path."""
    return {kind: write(tmp_path, f"{kind}.csv", text) for kind, text in VALID.items()}
