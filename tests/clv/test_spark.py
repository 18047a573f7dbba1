"""The summary expression on Ibis's PySpark backend gives exactly the DuckDB result.

Runs when pyspark is installed (requirements-test.txt); a missing Java runtime fails with the fix. Slow-ish (a local Spark session
starts), so it uses a small log.
"""

from __future__ import annotations

import importlib.util
import shutil

import numpy as np
import pandas as pd
import pytest

from cvkit.clv import summarize

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(importlib.util.find_spec("pyspark") is None,
                       reason="pyspark is not installed (optional extra cvkit[spark])"),
    # PySpark 4.x warns on import that it does not fully support pandas 3 (third-party notice).
    pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning"),
]


@pytest.fixture(scope="module")
def spark():
    from cvkit.clv.spark import spark_backend

    if shutil.which("java") is None:
        # Not a skip: `make test` installs Java like Chromium, so a missing runtime is a set-up fault.
        pytest.fail("Spark needs a Java runtime on PATH: run `make test` (it installs Debian's "
                    "default-jre-headless) or `apt-get install default-jre-headless`.")

    con = spark_backend(master="local[1]", shuffle_partitions=2)
    yield con
    con._session.stop()


def test_spark_summary_equals_duckdb_summary(spark, cdnow_log):
    # 300 customers keep the Spark job short; missing-free string ids, naive timestamps with times of day
    ids = cdnow_log["customer_id"].drop_duplicates().iloc[:300]
    log = cdnow_log[cdnow_log["customer_id"].isin(ids)][["customer_id", "date", "amount"]].copy()
    log["date"] = log["date"] + pd.to_timedelta(np.arange(len(log)) % 20, unit="h")
    kw = dict(time_unit="W", calibration_end="1997-09-30", observation_end="1998-06-30")
    got = summarize(log, backend=spark, **kw)
    want = summarize(log, **kw)
    pd.testing.assert_frame_equal(got, want)
    assert got.attrs["time_unit"] == "W"
