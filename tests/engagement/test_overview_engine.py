"""The overview from the run's intake record and the checked Parquet equals the overview from frames.

Notebook 00 no longer re-runs intake in a run, nor holds the transaction log in pandas: the loaded
table and the intake report come from ``intake.json``, the log's linkage, monthly chart and red flags
from DuckDB over the checked Parquet. Each test compares with the in-memory path on the demo data.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cvkit.data import intake
from cvkit.datasets.demo import demo_file
from cvkit.engagement import flags, overview

KINDS = ("customers", "transactions", "survey")


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """(intake result, its written data folder, the checked files by kind) of the demo's data sets."""
    folder = tmp_path_factory.mktemp("overview")
    result = intake({kind: demo_file(kind) for kind in KINDS}, workdir=folder / "work")
    written = result.write(folder / "data")
    overview.write_intake_record(result, folder / "data", relative_to=folder)
    return result, folder / "data", {kind: written[kind] for kind in KINDS}


def test_the_intake_record_reads_back_as_the_intake(run):
    result, data, _ = run
    record = overview.read_intake_record(data)
    expected = result.summary()
    pd.testing.assert_frame_equal(record.summary().drop(columns="file"), expected.drop(columns="file"))
    assert record.report().split("\n\n", 1)[-1] == result.report().split("\n\n", 1)[-1]
    pd.testing.assert_frame_equal(record.excluded(), result.excluded())
    assert record.ok and overview.read_intake_record("") is None
    assert overview.read_intake_record(data.parent) is None  # no record there: the notebook runs intake


def test_the_record_for_the_notebook_lists_its_data_sets_as_checked(run, tmp_path):
    # As the overview re-checking the run's output used to show them: its data sets, in its order,
    # with the columns of the checked Parquet (intake adds the survey's `wave`).
    result, data, files = run
    files = {"survey": files["survey"], "customers": files["customers"]}
    record = overview.read_intake_record(data, files)
    recheck = intake(files, workdir=tmp_path)
    pd.testing.assert_frame_equal(record.summary().drop(columns="file"), recheck.summary().drop(columns="file"))
    assert record.summary()["columns"].tolist() != result.summary().set_index("kind").loc[
        ["survey", "customers"], "columns"].tolist(), "the survey's added column is counted"


def test_the_record_carries_no_absolute_path(run):
    _, data, _ = run
    text = (data / overview.INTAKE_RECORD).read_text()
    assert str(data.parent) not in text


def test_tables_keep_the_log_as_its_parquet(run):
    result, data, files = run
    tables = overview.analysis_tables(overview.read_intake_record(data), files)
    assert tables["transactions"] == files["transactions"]
    frames = {kind: t.df for kind, t in result.tables.items()}
    for kind in ("customers", "survey"):
        pd.testing.assert_frame_equal(tables[kind], frames[kind])
    # Standalone: the notebook's own intake keeps the log as its streamed table.
    assert hasattr(overview.analysis_tables(result, files)["transactions"], "sql")


def test_linkage_from_the_parquet_equals_the_frames(run):
    result, data, files = run
    frames = {kind: t.df for kind, t in result.tables.items()}
    tables = overview.analysis_tables(overview.read_intake_record(data), files)
    expected = overview.linkage_table(frames)
    assert (expected["data set"] == "transactions").any()
    pd.testing.assert_frame_equal(overview.linkage_table(tables), expected)


def test_linkage_counts_unknown_customers(tmp_path):
    tx = pd.DataFrame({"customer_id": ["a", "b", "b", "z"], "date": pd.to_datetime(["2024-01-01"] * 4),
                       "amount": 1.0})
    tx.to_parquet(tmp_path / "tx.parquet")
    customers = pd.DataFrame({"customer_id": ["a", "b", "c"]})
    got = overview.linkage_table({"customers": customers, "transactions": tmp_path / "tx.parquet"})
    assert got.iloc[0][["distinct ids", "found"]].tolist() == [3, 2]
    pd.testing.assert_frame_equal(got, overview.linkage_table({"customers": customers, "transactions": tx}))


def test_monthly_chart_from_the_parquet_equals_the_frame(run):
    result, _, files = run
    frame = overview.monthly_transactions(result.tables["transactions"].df)
    for source in (files["transactions"], result.tables["transactions"]):
        engine = overview.monthly_transactions(source)
        assert list(engine.index) == list(frame.index)
        assert (engine["customers"].to_numpy() == frame["customers"].to_numpy()).all()
        np.testing.assert_allclose(engine["revenue"], frame["revenue"], rtol=1e-12)


def test_data_flags_from_the_parquet_equal_the_frames(run):
    result, _, files = run
    frames = {kind: t.df for kind, t in result.tables.items()}
    on_file = {**frames, "transactions": files["transactions"]}
    for clv in (None, {"horizon_months": 36}):
        expected = flags.data_flags(frames, analysis_date="2026-06-30", clv=clv)
        assert flags.data_flags(on_file, analysis_date="2026-06-30", clv=clv) == expected
    assert flags.data_flags(on_file, clv={"horizon_months": 36}), "the history flag is exercised"
    assert flags.data_flags(on_file) == flags.data_flags(frames)  # last date from the file


def test_overview_flags_count_the_log_on_its_parquet(run, tmp_path):
    # The many_excluded flag needs the log's kept rows: from the Parquet file as from the frame.
    result, _, files = run
    frames = {kind: t.df for kind, t in result.tables.items()}
    n = len(frames["transactions"]) // 50  # 2% of the log excluded
    (tmp_path / "data").mkdir()
    pd.DataFrame({"kind": "transactions", "file": "data/transactions.csv", "row": range(n),
                  "reason": "duplicate row", "values": "{}"}).to_csv(tmp_path / "data" / "excluded.csv", index=False)
    expected = flags.overview_flags(frames, analysis_date="2026-06-30", results_dir=tmp_path)
    assert "many_excluded" in {f.code for f in expected}
    on_file = {**frames, "transactions": files["transactions"]}
    assert flags.overview_flags(on_file, analysis_date="2026-06-30", results_dir=tmp_path) == expected
    streamed = {**frames, "transactions": result.tables["transactions"]}
    assert flags.overview_flags(streamed, analysis_date="2026-06-30", results_dir=tmp_path) == expected


def test_excluded_rows_are_counted_over_the_file_by_data_set_and_reason(tmp_path):
    from cvkit.engagement.overview import excluded_rows

    rows = pd.DataFrame({"kind": ["transactions"] * 3 + ["customers"], "row": [4, 9, 12, 2],
                         "reason": ["negative amount", "future date", "negative amount", "duplicate customer_id"]})
    rows.to_csv(tmp_path / "excluded.csv", index=False)
    got = excluded_rows(tmp_path, fallback=pd.DataFrame())
    expected = rows.groupby(["kind", "reason"], as_index=False).size().rename(columns={"size": "count"})
    pd.testing.assert_frame_equal(got, expected.astype({"kind": "str", "reason": "str", "count": "int64"}))
    rows.iloc[:0].to_csv(tmp_path / "excluded.csv", index=False)
    assert excluded_rows(tmp_path, fallback=pd.DataFrame()).empty
