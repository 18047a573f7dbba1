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
    # Without end dates the window's end comes from the customers' last periods (weeks here).
    pd.testing.assert_frame_equal(summarize(log, backend=spark, time_unit="W", period="W"),
                                  summarize(log, time_unit="W", period="W"))


def test_page_aggregates_on_spark_equal_the_dataframe_path(spark, cdnow_log, tmp_path):
    # Notebook 04's log-level steps from a Parquet file on Spark: the same numbers as from the frame.
    import cvkit.clv as clv
    from cvkit.clv import aggregates

    ids = cdnow_log["customer_id"].drop_duplicates().iloc[:300]
    log = cdnow_log[cdnow_log["customer_id"].isin(ids)][["customer_id", "date", "amount"]].reset_index(drop=True)
    log.to_parquet(tmp_path / "tx.parquet")
    path = str(tmp_path / "tx.parquet")
    monthly, want = aggregates.monthly_activity(path, spark), aggregates.monthly_activity(log)
    assert (monthly.index == want.index).all() and (monthly["customer_id"] == want["customer_id"]).all()
    np.testing.assert_allclose(monthly["amount"], want["amount"], rtol=1e-12)
    calibration = clv.calibration_holdout_split(log, "1997-09-30", "1998-06-30", time_unit="W")
    model = clv.BetaGeoModel().fit(calibration)
    pd.testing.assert_frame_equal(clv.tracking(model, path, calibration, end="1998-06-30", backend=spark),
                                  clv.tracking(model, log, calibration, end="1998-06-30"))
    summary = summarize(log, time_unit="W", observation_end="1998-06-30")
    got = clv.yearly_retention(path, summary, "1998-06-30", margin=0.3, annual_discount_rate=0.1, backend=spark)
    exp = clv.yearly_retention(log, summary, "1998-06-30", margin=0.3, annual_discount_rate=0.1)
    assert (got.start, got.end, got.new) == (exp.start, exp.end, exp.new)
    assert got.annual_margin == pytest.approx(exp.annual_margin, rel=1e-12)
    pd.testing.assert_frame_equal(clv.participation_summary(path, period="Q", end="1998-06-30", backend=spark),
                                  clv.participation_summary(log, period="Q", end="1998-06-30"))
    buyers = aggregates.log_buyers(path, spark)
    assert buyers["customers"] == 300 and buyers["first_date"] == log["date"].min()


_WAREHOUSES = """
import glob, os, tempfile
from cvkit.clv.spark import spark_backend
made = lambda: glob.glob(os.path.join(tempfile.gettempdir(), "cvkit_spark_warehouse_*"))
con = spark_backend(master="local[1]", shuffle_partitions=1)
(ours,) = made()
spark_backend(master="local[1]")  # getOrCreate: the running session, which keeps its warehouse
assert made() == [ours], made()
con.disconnect()  # stops the session: its warehouse goes with it
assert made() == [], made()
spark_backend(master="local[1]")  # a new session, left running until the interpreter exits
assert len(made()) == 1, made()
"""


def test_the_warehouse_cvkit_made_goes_with_the_session(tmp_path):
    """cvkit_spark_warehouse_* folders were made by every session and never removed."""
    import os
    import subprocess
    import sys

    if shutil.which("java") is None:
        pytest.fail("Spark needs a Java runtime on PATH: run `make test` or `apt-get install default-jre-headless`.")
    from pathlib import Path

    root = str(Path(__file__).resolve().parents[2])
    env = dict(os.environ, TMPDIR=str(tmp_path), PYTHONPATH=root + os.pathsep + os.environ.get("PYTHONPATH", ""))
    done = subprocess.run([sys.executable, "-c", _WAREHOUSES], env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert not list(tmp_path.glob("cvkit_spark_warehouse_*")), "left behind at exit"
