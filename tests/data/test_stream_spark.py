"""The transaction stage on Spark (cvkit.data.stream_spark) gives the DuckDB stage's problems and rows.

Each case checks one dirty file both ways, DuckDB here and Spark (``local[2]``: the checks run in
Spark tasks, the counts and duplicates in Spark SQL), and compares every problem's wording, rows
and counts, the kept rows with their row numbers, the excluded rows and the checked Parquet written
for the notebooks. A zoo engagement on a real standalone cluster covers ``cvkit run``
(tests/engagements/test_zoo.py). One Spark session for the module; a missing Java is a failure.
"""

from __future__ import annotations

import datetime as dt
import importlib.util

import pandas as pd
import pytest

from cvkit.data import IntakePolicy, intake
from cvkit.data.stream import StreamedTable, checked_kind, stream_load
from cvkit.data.stream_spark import SparkIntake
from tests.data.test_stream import TX, _write_numbered_log

pytestmark = [
    pytest.mark.skipif(importlib.util.find_spec("pyspark") is None,
                       reason="pyspark is not installed (optional extra cvkit[spark])"),
    pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning"),
    pytest.mark.slow,
]

EXCLUDE_ALL = IntakePolicy(missing_values="exclude", unparsable_numbers="exclude", unparsable_dates="exclude",
                           negative_amounts="exclude", duplicate_ids="exclude", duplicate_rows="exclude",
                           future_dates="exclude", as_of=dt.date(2025, 12, 31))


@pytest.fixture(scope="module")
def spark():
    from cvkit.data.stream_spark import close_session, intake_session
    from tests.clv.spark_cluster import java_problem

    if (why := java_problem()) is not None:
        pytest.fail(why)
    session = intake_session({"spark": {"master": "local[2]", "conf": {}}})
    yield session
    close_session(session)


def _both(spark, path, tmp_path, **options):
    """(DuckDB table, problems), (Spark table, problems) of one file, after checking they agree."""
    duck, d_problems = stream_load("transactions", path, tmp_path / "duck", **options)
    on_spark, s_problems = stream_load("transactions", path, tmp_path / "spark",
                                       spark=SparkIntake({"spark": {"master": "local[2]"}}, spark), **options)
    assert [(str(p), p.rows, p.n_rows, p.column) for p in s_problems] == \
        [(str(p), p.rows, p.n_rows, p.column) for p in d_problems]
    assert (duck is None) == (on_spark is None)
    if duck is not None:
        pd.testing.assert_frame_equal(on_spark.df, duck.df)
        assert on_spark.row_numbers.tolist() == duck.row_numbers.tolist()
        pd.testing.assert_frame_equal(on_spark.excluded, duck.excluded)
        assert (on_spark.n_rows, on_spark.n_excluded) == (duck.n_rows, duck.n_excluded)
        duck.write(tmp_path / "duck.parquet")
        on_spark.write(tmp_path / "spark.parquet")
        pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "spark.parquet"),
                                      pd.read_parquet(tmp_path / "duck.parquet"))
        assert checked_kind(tmp_path / "spark.parquet") == "transactions"
    return (duck, d_problems), (on_spark, s_problems)


@pytest.mark.parametrize("policy", [IntakePolicy(), EXCLUDE_ALL], ids=["errors", "exclude"])
def test_a_dirty_csv_gets_the_same_problems_and_rows_on_spark(spark, tmp_path, policy):
    # Bad numbers, a negative amount, dates in another format, an impossible date, a missing date, a
    # repeated transaction_id, an exact duplicate row, padded IDs.
    path = tmp_path / "tx.csv"
    path.write_text(TX + "T6,C5,2024-03-01,7\nT8,C1,2026-01-02,1\n")
    (_, d_problems), (on_spark, _) = _both(spark, path, tmp_path, policy=policy)
    assert on_spark.read_info["checked_on"] == "local[2]"
    assert len(d_problems) >= (5 if policy == IntakePolicy() else 0)


def test_rows_keep_their_numbers_across_parquet_parts_on_spark(spark, tmp_path):
    # Three parts (one typed differently, one without transaction_id) checked as one log: each part is
    # one Spark task; row numbers run across the parts in file order; problems quote the same rows.
    parts = tmp_path / "log"
    parts.mkdir()
    frames = []
    for i in range(3):
        n = 400 + 50 * i
        frame = pd.DataFrame({"transaction_id": [f"P{i}-{k}" for k in range(n)],
                              "customer_id": [f"C{k % 37}" for k in range(n)],
                              "date": pd.date_range("2024-01-01", periods=n, freq="h"),
                              "amount": [float(k % 11) - (3.0 if k % 97 == 5 else 0.0) for k in range(n)]})
        if i == 1:
            frame["amount"] = frame["amount"].astype("float32")
            frame.loc[[3, 200], "date"] = pd.Timestamp("2027-01-01")
        if i == 2:
            frame = frame.drop(columns="transaction_id")
            frame.loc[10, "amount"] = float("nan")
        frames.append(frame)
        frame.to_parquet(parts / f"part-{i}.parquet", index=False)
    policy = IntakePolicy(as_of=dt.date(2025, 12, 31))
    (_, problems), _ = _both(spark, parts, tmp_path / "a", policy=policy)
    assert problems, "the parts carry negative amounts and future dates"
    _both(spark, str(parts / "part-*.parquet"), tmp_path / "b", policy=EXCLUDE_ALL)


def test_duplicates_on_spark_are_found_among_kept_rows_in_file_order(spark, tmp_path):
    path = tmp_path / "tx.csv"
    _write_numbered_log(path, 3_000, {40: "-4"})
    lines = path.read_text().splitlines()
    lines[1500] = lines[1500].replace("T1500,", "T20,")  # repeats T20's id
    lines[2000] = lines[1999]  # an exact copy of the row above
    path.write_text("\n".join(lines) + "\n")
    for k, policy in enumerate([IntakePolicy(), IntakePolicy(negative_amounts="exclude", duplicate_ids="exclude",
                                                             duplicate_rows="exclude"),
                                IntakePolicy(duplicate_rows="keep", negative_amounts="exclude")]):
        _both(spark, path, tmp_path / str(k), policy=policy)


def test_unreadable_files_are_worded_as_on_one_machine(spark, tmp_path):
    ragged = tmp_path / "ragged.csv"
    ragged.write_text("customer_id,date,amount\nC1,2024-01-05,10\nC2,2024-01-06,5,extra\n")
    _, (_, problems) = _both(spark, ragged, tmp_path / "ragged")
    assert "the rows do not all have the same number of fields" in problems[0].message
    dates = tmp_path / "dates.csv"
    dates.write_text("customer_id,date,amount\nC1,05/01/2024,10\nC2,17/01/2024,5\n")
    _, (_, problems) = _both(spark, dates, tmp_path / "dates")
    assert "the day/month order is not guessed" in problems[0].message


def test_a_csv_that_is_not_utf8_is_checked_here_and_says_so(spark, tmp_path):
    # Past the sniffed sample (256 KB) a cp1252 byte fails the stage on the executor: checked here instead.
    late = tmp_path / "late.csv"
    late.write_bytes(b"customer_id,date,amount\n" + b"C1,2024-01-05,10\n" * 20_000 + "Cé2,2024-01-06,5\n"
                     .encode("cp1252"))
    (_, _), (table, _) = _both(spark, late, tmp_path / "late")
    assert table.read_info["checked_on"].startswith("duckdb on this machine: the CSV is not UTF-8 throughout")
    (tmp_path / "tx.csv").write_bytes("customer_id,date,amount\nCé1,2024-01-05,10\nC2,2024-01-06,5\n"
                                      .encode("cp1252"))
    result = intake({"transactions": "tx.csv"}, base_dir=tmp_path, workdir=tmp_path / "work",
                    engine={"spark": {"master": "local[2]"}})
    try:
        assert result.ok, result.report()
        assert result.checked_on["transactions"].startswith("duckdb on this machine: the CSV is cp1252")
        assert result.tables["transactions"].spark is None
        assert any("not on the Spark cluster" in note for note in result.notes)
        assert result["transactions"]["customer_id"].tolist() == ["Cé1", "C2"]
    finally:
        result.close()


def test_intake_on_spark_writes_the_checked_parts_for_the_notebooks(spark, tmp_path):
    (tmp_path / "tx.csv").write_text("customer_id,date,amount\nC1,2024-01-05,10\nC2,2024-01-06,5\nC7,2024-01-07,1\n")
    (tmp_path / "customers.csv").write_text("customer_id,acquisition_date\nC1,2023-01-01\nC2,2023-02-01\n")
    files = {"transactions": "tx.csv", "customers": "customers.csv"}
    policy = IntakePolicy(orphan_ids="exclude")
    duck = intake(files, base_dir=tmp_path, policy=policy, workdir=tmp_path / "duck")
    on_spark = intake(files, base_dir=tmp_path, policy=policy, workdir=tmp_path / "spark",
                      engine={"spark": {"master": "local[2]"}})
    try:
        assert on_spark.checked_on == {"transactions": "local[2]", "customers": "pandas"}
        assert isinstance(on_spark.tables["transactions"], StreamedTable)
        a, b = duck.write(tmp_path / "out-duck"), on_spark.write(tmp_path / "out-spark")
    finally:
        on_spark.close()
    pd.testing.assert_frame_equal(pd.read_parquet(b["transactions"]), pd.read_parquet(a["transactions"]))
    assert b["excluded"].read_text() == a["excluded"].read_text()
    assert on_spark.report() == duck.report()
