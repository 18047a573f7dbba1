"""The full demo rerun: the value-drivers analysis and the pages built on it give the same bytes.

Reuses the session's demo run (``demo_run``, paid once for the whole suite) and reruns the overview,
the value drivers (bootstrap intervals, seeded) and the synthesis on a copy with ``--only``. Their
tables (CSV), the intake Parquet files and the results files must be byte-identical to the first run.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from cvkit.engagement.runner import run_engagement
from tests.reliability.conftest import FIGURES
from tests.reliability.engagements import manifest, tree_digest

pytestmark = pytest.mark.slow


def _rerun_part(folder: Path) -> dict[str, str]:
    keep = ("tables/overview/", "tables/drivers/", "tables/synthesis/", "results/", "data/")
    return {k: v for k, v in tree_digest(folder).items()
            if k.startswith(keep) and k.endswith((".csv", ".parquet", ".json"))}


def test_demo_value_drivers_rerun_is_byte_identical(demo_run: Path, demo_engagement: Path, tmp_path: Path):
    root = tmp_path / "outputs"
    shutil.copytree(demo_run, root / "demo")
    first = _rerun_part(demo_run)
    final = run_engagement(demo_engagement, only=["value_drivers"], output_dir=root, progress=False,
                           log=lambda m: None)
    statuses = {nb["analysis"]: nb["status"] for nb in manifest(final)["notebooks"]}
    assert statuses["value_drivers"] == "ok" and statuses["discrete_choice"] == "carried_over"
    again = _rerun_part(final)
    assert any(k.startswith("tables/drivers/") for k in first) and any(k.endswith(".parquet") for k in first)
    assert again == first, sorted(k for k in first if again.get(k) != first[k])
    changes = manifest(final)["changes_since_previous_run"]
    assert changes["inputs_changed"] == [] and not changes["config_changed"] and not changes["packages_changed"]
    FIGURES["reruns_compared"] += 1
