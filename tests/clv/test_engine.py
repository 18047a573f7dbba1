"""The CLV steps on the engagement's engine: the checked Parquet, the backend, the log's glance."""

from pathlib import Path

import pandas as pd
import pytest

import cvkit.clv as clv
from cvkit.data import DataError, intake, load
from cvkit.data.stream import checked_kind, checked_parquet


@pytest.fixture()
def log_csv(tmp_path: Path) -> Path:
    path = tmp_path / "tx.csv"
    path.write_text("transaction_id,customer_id,date,amount\n"
                    "t1,c1,2024-01-05,10.50\nt2,c1,2024-02-05,20\nt3,c2,2024-01-07,5\n"
                    "t4,c2,2024-01-07,7.25\nt5,c3,2024-03-01,12\n")
    return path


def test_intake_output_is_read_as_it_is_and_other_files_are_checked(tmp_path, log_csv):
    result = intake({"transactions": log_csv}, workdir=tmp_path / "work")
    written = result.write(tmp_path / "data")["transactions"]
    assert checked_kind(written) == "transactions"
    assert checked_parquet("transactions", written) == written.resolve()  # not checked a second time
    copy = checked_parquet("transactions", log_csv, tmp_path / "check")
    assert copy.parent == (tmp_path / "check").resolve() and checked_kind(log_csv) is None
    expected = load("transactions", log_csv).df
    pd.testing.assert_frame_equal(pd.read_parquet(copy).drop(columns="_row"), expected)
    pd.testing.assert_frame_equal(pd.read_parquet(written), expected)


def test_a_bad_file_is_a_data_error_naming_it(tmp_path, log_csv):
    bad = tmp_path / "bad.csv"
    bad.write_text(log_csv.read_text() + "t6,c4,not a date,3\n")
    with pytest.raises(DataError, match="bad.csv"):
        checked_parquet("transactions", bad, tmp_path / "check")


def test_summary_and_glance_from_the_file_equal_the_in_memory_ones(tmp_path, log_csv):
    path = checked_parquet("transactions", log_csv, tmp_path / "check")
    backend = clv.engine_backend({"duckdb": {}})
    assert backend is None and clv.engine_backend(None) is None
    tx = load("transactions", log_csv).df
    pd.testing.assert_frame_equal(clv.summarize(path, backend=backend, time_unit="W"),
                                  clv.summarize(tx, time_unit="W"))
    glance = clv.log_glance(path, backend)
    assert glance == {"transactions": 5, "customers": 3, "revenue": pytest.approx(54.75),
                      "mean_purchase": pytest.approx(10.95), "first_date": pd.Timestamp("2024-01-05"),
                      "last_date": pd.Timestamp("2024-03-01")}


def test_an_unknown_engine_is_refused_with_the_fix():
    with pytest.raises(ValueError, match="Did you mean 'spark'"):
        clv.engine_backend("sparc")
