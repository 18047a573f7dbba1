"""Shared fixtures: the demo engagement, written once and run end to end once per session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"


@pytest.fixture(scope="session")
def demo_engagement(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh demo engagement folder (config + generated data); returns its engagement.yaml."""
    from cvkit.engagement.scaffold import write_demo_engagement

    return write_demo_engagement(tmp_path_factory.mktemp("demo-engagement"))


@pytest.fixture(scope="session")
def demo_run(demo_engagement: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo engagement run end to end with `cvkit run`; returns the deliverable folder."""
    from cvkit.cli import main

    out = tmp_path_factory.mktemp("outputs")
    assert main(["run", str(demo_engagement), "--output-dir", str(out)]) == 0
    return out / "demo"


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium, headless, driven by Playwright (one per test module, closed after it)."""
    from cvkit.engagement.report import CHROMIUM_FLAGS, chromium_path

    chromium = chromium_path()
    if chromium is None:
        pytest.fail("Chromium is not installed: run `make test` (it installs Debian's chromium) or "
                    "`apt-get install chromium`.")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=chromium, headless=True,
                               args=[f for f in CHROMIUM_FLAGS if f != "--headless"])
        yield b
        b.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Folder for files a person may want to look at after the run (screenshots, PDFs)."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


def pytest_configure(config: pytest.Config) -> None:
    # Headless matplotlib in this process; kernels started by nbval draw inline (as in Jupyter), whatever
    # MPLBACKEND the machine sets, so figure outputs compare like for like with the stored notebooks.
    import matplotlib

    matplotlib.use("Agg")
    os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
