"""Every zoo engagement: `cvkit validate` is clean, then `cvkit run` delivers, in the client's words.

For each engagement of ``tests/engagements/`` (see README.md there): validate exits 0 and lists
the red flags knowable before a run; run exits 0; the deliverable holds the expected pages; no page
speaks the demo's vocabulary; the red flags the data calls for are raised.

Each engagement is validated and run once per session (:func:`zoo_runs`), two at a time on a
2-core machine; its four checks then read the same run.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.engagements.zoo import ZooEngagement, deliverable_tables, demo_vocabulary, demo_words_on, engagements, \
    materialise, page_text, raised_flags


def _param(eng: ZooEngagement):
    return pytest.param(eng, id=eng.name, marks=[pytest.mark.slow] if eng.tier == "slow" else [])


ZOO = [_param(e) for e in engagements()]


@dataclass
class ZooRun:
    eng: ZooEngagement
    config: Path
    validate: subprocess.CompletedProcess
    run: subprocess.CompletedProcess | None
    deliverable: Path


def _cvkit(*args: str, timeout: int, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cvkit.cli", *args], capture_output=True, text=True,
                          timeout=timeout, env=env)


def _validate_and_run(eng: ZooEngagement, folder: Path) -> ZooRun:
    """`cvkit validate`, then (when clean) `cvkit run`, each in a fresh process as a user runs them."""
    config = materialise(eng, folder)
    validate = _cvkit("validate", str(config), timeout=900)
    run = None
    out = folder / "outputs"
    if validate.returncode == 0:
        only = [a for key in eng.only for a in ("--only", key)]
        run = _cvkit("run", str(config), "--output-dir", str(out), *only, timeout=1800)
    deliverables = [p for p in out.glob("*") if p.is_dir() and not p.name.startswith(".")] if out.exists() else []
    return ZooRun(eng, config, validate, run, deliverables[0] if deliverables else out / "missing")


def _jobs() -> int:
    """Engagements run side by side: each `cvkit run` executes its notebooks one after the other on one
    core, so two at a time keep a 2-core machine busy (CVKIT_ZOO_JOBS overrides; 1 = one at a time).

    Under pytest-xdist this file is one scheduling group (conftest.py), so the engagements run on one
    worker, at most two at a time, while the other worker gets on with the rest of the suite."""
    return max(1, int(os.environ.get("CVKIT_ZOO_JOBS", min(2, os.cpu_count() or 1))))


@pytest.fixture(scope="session")
def zoo_runs(request, tmp_path_factory) -> Iterator[dict[str, Future]]:
    """Every selected zoo engagement, validated and run once per session, two at a time.

    All engagements the session selected start when the first one is asked for (the slow tier
    first, so the longest run does not finish last); each engagement's tests then wait for its own.
    """
    selected: dict[str, ZooEngagement] = {}
    for item in request.session.items:
        eng = getattr(item, "callspec", None) and item.callspec.params.get("zoo_run")
        if isinstance(eng, ZooEngagement):
            selected.setdefault(eng.name, eng)
    order = sorted(selected.values(), key=lambda e: e.tier != "slow")
    pool = ThreadPoolExecutor(max_workers=_jobs(), thread_name_prefix="zoo")
    futures = {e.name: pool.submit(_validate_and_run, e, tmp_path_factory.mktemp(e.name)) for e in order}
    yield futures
    pool.shutdown(wait=True, cancel_futures=True)


@pytest.fixture(scope="module", params=ZOO)
def zoo_run(request, zoo_runs) -> ZooRun:
    eng: ZooEngagement = request.param
    return zoo_runs[eng.name].result()


def test_validate_is_clean_and_lists_the_flags_knowable_before_a_run(zoo_run):
    assert zoo_run.validate.returncode == 0, zoo_run.validate.stdout[-4000:] + zoo_run.validate.stderr[-4000:]
    for code in zoo_run.eng.validate_flags:
        assert f"[{code}]" in zoo_run.validate.stdout, (code, zoo_run.validate.stdout[-3000:])


def test_run_delivers_every_expected_page(zoo_run):
    assert zoo_run.run is not None and zoo_run.run.returncode == 0, \
        (zoo_run.run.stderr[-6000:] if zoo_run.run else "validate failed")
    pages = {p.stem for p in zoo_run.deliverable.glob("*.html")}
    missing = sorted(set(zoo_run.eng.pages) - pages)
    assert not missing, (missing, sorted(pages))


def test_pages_speak_of_the_client_not_the_demo(zoo_run):
    assert zoo_run.run is not None and zoo_run.run.returncode == 0
    words = demo_vocabulary()
    found = {page.name: hits for page in sorted(zoo_run.deliverable.glob("*.html"))
             if (hits := demo_words_on(page_text(page), words))}
    assert not found, found


def test_the_red_flags_the_data_calls_for_are_raised(zoo_run):
    assert zoo_run.run is not None and zoo_run.run.returncode == 0
    raised = {code for codes in raised_flags(zoo_run.deliverable).values() for code in codes}
    missing = sorted(set(zoo_run.eng.red_flags) - raised)
    assert not missing, (missing, sorted(raised))
    # and none the data does not call for (the list in expect.yaml is the whole verdict on this data)
    unexpected = sorted(raised - set(zoo_run.eng.red_flags) - set(zoo_run.eng.validate_flags))
    assert not unexpected, (unexpected, raised_flags(zoo_run.deliverable))


def test_demo_vocabulary_catches_the_demo():
    # The check can fail: the demo's own pages are full of these words.
    words = demo_vocabulary()
    assert {"Demo Retail", "membership", "same-day", "ValueMart"} <= set(words)
    assert demo_words_on("Choose the same-day delivery membership", words)
    assert not demo_words_on("Purchases on the same day count once; latent class membership", words)


# --- The same engagement on a Spark standalone cluster ----------------------------------------------

#: A zoo engagement on a real log (CDNOW master, German export) with CLV, RFM segments and the overview.
ON_SPARK = "cdnow_de"


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning")
def test_a_zoo_engagement_runs_unchanged_on_a_spark_cluster_with_the_duckdb_tables(zoo_runs, tmp_path):
    """`cvkit run CONFIG --engine spark://...` on a standalone master with two workers (pyspark's
    spark-class; tests/clv/spark_cluster.py), the config untouched: intake's transaction stage and the
    summaries run on the cluster (their applications registered; the manifest names where intake
    checked each data set); every table, results file and
    workbook part equals the DuckDB run's byte for byte (zoo.deliverable_tables: all but the workbook's
    time of writing). A missing Java is a failure with the fix."""
    import json

    from tests.clv.spark_cluster import java_problem, spark_cluster

    if (why := java_problem()) is not None:
        pytest.fail(why)
    eng = next(e for e in engagements() if e.name == ON_SPARK)
    # The zoo's own run of it when this session runs the zoo (engine: duckdb, the config's default).
    duck = zoo_runs[ON_SPARK].result() if ON_SPARK in zoo_runs else _validate_and_run(eng, tmp_path / "duck")
    assert duck.run is not None and duck.run.returncode == 0, (duck.validate.stdout[-3000:], duck.run)
    assert "engine" not in (duck.config.parent / "engagement.yaml").read_text(encoding="utf-8")
    with spark_cluster(tmp_path / "cluster") as cluster:
        out = tmp_path / "on-spark"
        only = [a for key in eng.only for a in ("--only", key)]
        run = _cvkit("run", str(duck.config), "--output-dir", str(out), "--engine", cluster.url, *only,
                     timeout=1800, env={**os.environ, "SPARK_LOCAL_IP": "127.0.0.1"})
        assert run.returncode == 0, run.stderr[-6000:]
        # Intake and the summaries really ran on this cluster: intake's and the notebook's Spark
        # applications registered with it.
        assert {"cvkit-intake", "cvkit-clv"} <= set(cluster.applications()), cluster.status()
        assert f"transactions checked on the Spark cluster {cluster.url}" in run.stderr + run.stdout
    (spark,) = [p for p in out.iterdir() if p.is_dir() and not p.name.startswith(".")]
    tables, duck_tables = deliverable_tables(spark), deliverable_tables(duck.deliverable)
    assert {"tables/clv/customers.csv", "tables/clv/model_summary.csv", "tables/segment/rfm_segments.csv",
            "results/clv.json", "musikversand_tables.xlsx:xl/worksheets/sheet21.xml"} <= set(tables), sorted(tables)
    assert sorted(tables) == sorted(duck_tables)
    assert [name for name in tables if tables[name] != duck_tables[name]] == []
    # The manifest says where each run's summaries ran.
    engine = json.loads((spark / "manifest.json").read_text())["engagement"]["engine"]
    assert engine == {"spark": {"master": cluster.url, "conf": {}}}
    assert json.loads((duck.deliverable / "manifest.json").read_text())["engagement"]["engine"] == {"duckdb": {}}
    # ... and where intake checked each data set: the log's transaction stage on the cluster.
    checked_on = json.loads((spark / "manifest.json").read_text())["intake_checked_on"]
    assert checked_on == {"transactions": cluster.url, "customers": "pandas"}
