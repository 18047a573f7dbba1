"""A CLV engagement on a real Spark standalone cluster gives the DuckDB run's tables exactly.

One master and two workers on localhost (pyspark's ``spark-class``); the engagement's ``engine:``
points at the master, so notebook 04 summarises the checked Parquet on the cluster's executors and
fits the models on the driver. Slow (~1-2 minutes: two small engagement runs and a cluster start).
A missing Java runtime is a failure with the fix, not a skip.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from cvkit.engagement.runner import run_engagement
from tests.clv.spark_cluster import java_problem, spark_cluster
from tests.reliability.engagements import manifest, small_clv_engagement

pytestmark = [pytest.mark.slow,
              pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning")]


def _clv_tables(deliverable: Path) -> dict[str, bytes]:
    folder = deliverable / "tables" / "clv"
    return {p.name: p.read_bytes() for p in sorted(folder.glob("*")) if p.is_file()}


def test_clv_engagement_on_a_standalone_cluster_equals_the_duckdb_run(tmp_path):
    if (why := java_problem()) is not None:
        pytest.fail(why)
    duck = run_engagement(small_clv_engagement(tmp_path / "duck", customers=150), progress=False,
                          log=lambda m: None)
    with spark_cluster(tmp_path / "spark") as cluster:
        config = small_clv_engagement(tmp_path / "cluster", customers=150, extra={"engine": {"spark": {
            "master": cluster.url,
            "conf": {"spark.executor.memory": "512m", "spark.executor.cores": 1, "spark.cores.max": 2,
                     "spark.sql.shuffle.partitions": 4, "spark.app.name": "cvkit-cluster-test"}}}})
        on_spark, url = run_engagement(config, progress=False, log=lambda m: None), cluster.url
        # The summary really ran on this cluster (an application registered with the master).
        assert "cvkit-cluster-test" in cluster.applications(), cluster.status()
    tables = _clv_tables(on_spark)
    assert {"customers.csv", "model_summary.csv"} <= set(tables), sorted(tables)
    assert tables == _clv_tables(duck)
    # The manifest records where each run's summary ran.
    assert manifest(on_spark)["engagement"]["engine"]["spark"]["master"] == url
    assert manifest(duck)["engagement"]["engine"] == {"duckdb": {}}
