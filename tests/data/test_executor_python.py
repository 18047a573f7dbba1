"""Spark's Python workers run the interpreter that has cvkit's dependencies."""

from __future__ import annotations

import os
import sys

from cvkit.data.engine import executor_python


def test_the_workers_run_this_interpreter_unless_told_otherwise(monkeypatch):
    # PySpark starts its workers with $PYSPARK_PYTHON, default `python3` on the PATH: on a machine
    # where that is not the environment cvkit runs in, intake's checks on the executors found no DuckDB.
    monkeypatch.delenv("PYSPARK_PYTHON", raising=False)
    assert executor_python({}) == sys.executable == os.environ["PYSPARK_PYTHON"]
    monkeypatch.setenv("PYSPARK_PYTHON", "/opt/cluster/python")
    assert executor_python(None) == "/opt/cluster/python"
    # The engine's conf wins, and PySpark is told through the variable it reads.
    assert executor_python({"spark.pyspark.python": "/srv/py/bin/python"}) == "/srv/py/bin/python"
    assert os.environ["PYSPARK_PYTHON"] == "/srv/py/bin/python"
