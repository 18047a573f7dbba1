"""The out-of-core intake (cvkit.data.stream): same problems and rows as the in-memory path, never pandas.

The fuzzed-intake property (tests/reliability/test_fuzz_intake.py) already runs every transactions
case through the streaming path (``load`` streams transaction logs); these tests cover what only the
streaming path does: Parquet parts in a folder or glob, data written to the build folder, orphan
exclusion and pseudonymisation in DuckDB.
"""

from __future__ import annotations

import pandas as pd
import pytest

from cvkit.data import IntakePolicy, intake, load
from cvkit.data.load import _load
from cvkit.data.stream import StreamedTable, stream_load

TX = ("transaction_id,customer_id,date,amount\n"
      "T1,C1,2024-01-05,10.5\nT2,C2,2024-01-06,-3\nT3,C1,05/01/2024,12 EUR\n"
      "T3,C3,,1.234\nT5, C4 ,2024-02-30,NA\nT6,C5,2024-03-01,7\nT7,C9,2024-03-02,8\n")


@pytest.mark.parametrize("policy", [IntakePolicy(), IntakePolicy(
    missing_values="exclude", unparsable_numbers="exclude", unparsable_dates="exclude",
    negative_amounts="exclude", duplicate_ids="exclude")])
def test_streamed_problems_and_rows_equal_the_in_memory_path(tmp_path, policy, monkeypatch):
    path = tmp_path / "tx.csv"
    path.write_text(TX)
    streamed, s_problems = stream_load("transactions", path, tmp_path / "work", policy=policy)
    # The in-memory path, forced (transactions normally stream).
    monkeypatch.setattr("cvkit.data.stream.should_stream", lambda *a, **k: False)
    memory, m_problems = _load("transactions", path, policy=policy)
    assert [str(p) for p in s_problems] == [str(p) for p in m_problems]
    if memory is not None:
        pd.testing.assert_frame_equal(streamed.df, memory.df, check_dtype=False)
        assert streamed.excluded["reason"].tolist() == memory.excluded["reason"].tolist()
        assert streamed.excluded["row"].tolist() == memory.excluded["row"].tolist()


def test_folder_and_glob_of_parquet_parts_load_as_one_log(tmp_path):
    parts = tmp_path / "log"
    parts.mkdir()
    frames = [pd.DataFrame({"customer_id": [f"C{i}", f"C{i + 1}"], "date": pd.to_datetime(["2024-01-01"] * 2),
                            "amount": [1.5 * i, 2.0]}) for i in range(3)]
    for i, f in enumerate(frames):
        f.to_parquet(parts / f"part-{i}.parquet", index=False)
    whole = pd.concat(frames, ignore_index=True)
    for source in (parts, str(parts / "part-*.parquet")):
        got = load("transactions", source).df
        pd.testing.assert_frame_equal(got[["customer_id", "date", "amount"]], whole, check_dtype=False)


def test_intake_writes_streamed_transactions_without_holding_them(tmp_path):
    (tmp_path / "tx.csv").write_text("customer_id,date,amount\nC1,2024-01-05,10\nC2,2024-01-06,5\nC7,2024-01-07,1\n")
    (tmp_path / "customers.csv").write_text("customer_id,acquisition_date\nC1,2023-01-01\nC2,2023-02-01\n")
    result = intake({"transactions": "tx.csv", "customers": "customers.csv"}, base_dir=tmp_path,
                    policy=IntakePolicy(orphan_ids="exclude"), workdir=tmp_path / "work")
    assert result.ok, result.report()
    tx = result.tables["transactions"]
    assert isinstance(tx, StreamedTable) and tx.n_rows == 2 and tx.n_excluded == 1
    written = result.write(tmp_path / "data")
    out = pd.read_parquet(written["transactions"])
    assert out["customer_id"].tolist() == ["C1", "C2"] and "_row" not in out
    excluded = pd.read_csv(written["excluded"])
    assert excluded[["kind", "row", "reason"]].values.tolist() == [
        ["transactions", 3, "orphan customer_id (not in customers)"]]
    summary = result.summary().set_index("kind")
    assert summary.loc["transactions", "rows"] == 2
    assert summary.loc["transactions", "date_to"] == pd.Timestamp("2024-01-06")


def test_ragged_csv_gets_the_in_memory_wording(tmp_path):
    path = tmp_path / "tx.csv"
    path.write_text("customer_id,date,amount\nC1,2024-01-05,10\nC2,2024-01-06,5,extra\n")
    _, problems = stream_load("transactions", path, tmp_path / "work")
    assert len(problems) == 1
    assert "the rows do not all have the same number of fields" in problems[0].message
    assert "must be quoted" in problems[0].fix


# --- row numbers: the stage keeps the file's order; a row's number is its position in the stage ----------

def _write_numbered_log(path, n: int, bad: dict[int, str]) -> None:
    """A CSV of ``n`` rows whose transaction_id is 'T<data row number>'; ``bad`` replaces rows' amounts."""
    import duckdb

    con = duckdb.connect()
    cases = " ".join(f"WHEN {row} THEN '{text}'" for row, text in bad.items())
    amount = f"CASE i {cases} ELSE CAST(i % 97 + 1 AS VARCHAR) END" if bad else "CAST(i % 97 + 1 AS VARCHAR)"
    con.execute(f"COPY (SELECT 'T' || i AS transaction_id, 'C' || (i % 1000) AS customer_id, "
                f"strftime(DATE '2024-01-01' + CAST(i % 365 AS INTEGER), '%Y-%m-%d') AS date, {amount} AS amount "
                f"FROM range(1, {n + 1}) t(i)) TO '{path}' (HEADER)")
    con.close()


def test_row_numbers_follow_the_file_across_parallel_chunks(tmp_path, monkeypatch):
    # 300,000 rows read in 1 MB CSV buffers (several per thread) and staged in 3 row groups: every kept
    # row's number equals the row its transaction_id was written on, and excluded rows keep theirs.
    from cvkit.data import stream

    relation = stream._Source._csv_relation
    monkeypatch.setattr(stream._Source, "_csv_relation",
                        lambda self: relation(self)[:-1] + ", buffer_size = 1048576)")
    path = tmp_path / "tx.csv"
    n, bad = 300_000, {7: "-5", 150_001: "12 EUR", 299_998: "-1"}
    _write_numbered_log(path, n, bad)
    policy = IntakePolicy(unparsable_numbers="exclude", negative_amounts="exclude")
    table, problems = stream_load("transactions", path, tmp_path / "work", policy=policy)
    assert problems == []
    got = table.query("SELECT count(*) AS n, count_if(_row <> CAST(substr(transaction_id, 2) AS BIGINT)) AS off, "
                      "bool_and(_row > lag) AS increasing FROM (SELECT *, lag(_row, 1, 0) OVER () AS lag FROM {rows})")
    assert got.values.tolist() == [[n - 3, 0, True]]
    excluded = table.excluded
    assert excluded["row"].tolist() == [7, 150_001, 299_998]
    assert excluded["transaction_id"].tolist() == ["T7", "T150001", "T299998"]
    assert excluded["reason"].tolist() == ["negative amount", "text in numeric column 'amount'", "negative amount"]


def test_problem_rows_and_duplicates_keep_file_order(tmp_path):
    # Reported rows are the first offending rows of the file; a repeated transaction_id keeps its first row.
    path = tmp_path / "tx.csv"
    _write_numbered_log(path, 2_000, {})
    lines = path.read_text().splitlines()
    lines[1500] = lines[1500].replace("T1500,", "T20,")  # data row 1500 repeats T20's id
    lines[30] = lines[30].replace(",31", ",-31") if lines[30].endswith(",31") else lines[30][:-2] + "-7"
    path.write_text("\n".join(lines) + "\n")
    _, problems = stream_load("transactions", path, tmp_path / "a")
    assert [(p.rows, p.n_rows) for p in problems] == [((30,), 1), ((20, 1500), 2)]
    policy = IntakePolicy(negative_amounts="exclude", duplicate_ids="exclude")
    table, problems = stream_load("transactions", path, tmp_path / "b", policy=policy)
    assert problems == []
    assert table.excluded[["row", "reason"]].values.tolist() == [[30, "negative amount"],
                                                                [1500, "duplicate transaction_id"]]
    assert 20 in set(table.row_numbers) and table.n_rows == 1_998


def test_quoted_newlines_count_as_one_row_like_the_in_memory_path(tmp_path, monkeypatch):
    path = tmp_path / "tx.csv"
    path.write_text('transaction_id,customer_id,date,amount\nT1,"C\n1",2024-01-05,10\n'
                    'T2,C2,2024-01-06,-3\n"T\n\n3",C3,2024-01-07,x\nT4,C4,2024-01-08,4\n')
    policy = IntakePolicy(unparsable_numbers="exclude", negative_amounts="exclude")
    streamed, s_problems = stream_load("transactions", path, tmp_path / "work", policy=policy)
    monkeypatch.setattr("cvkit.data.stream.should_stream", lambda *a, **k: False)
    memory, m_problems = _load("transactions", path, policy=policy)
    assert [str(p) for p in s_problems] == [str(p) for p in m_problems]
    assert streamed.excluded["row"].tolist() == memory.excluded["row"].tolist() == [2, 3]
    assert streamed.row_numbers.tolist() == [1, 4]
    pd.testing.assert_frame_equal(streamed.df, memory.df, check_dtype=False)


def test_parquet_parts_are_numbered_in_order_across_files(tmp_path):
    parts = tmp_path / "log"
    parts.mkdir()
    sizes = [3, 0, 4, 2]
    row = 0
    for k, size in enumerate(sizes):
        ids = [f"T{row + j + 1}" for j in range(size)]
        amount = [-1.0 if i in ("T2", "T6", "T9") else 1.0 for i in ids]
        pd.DataFrame({"transaction_id": pd.Series(ids, dtype=object), "customer_id": "C1",
                      "date": pd.to_datetime(["2024-01-01"] * size), "amount": amount}
                     ).to_parquet(parts / f"part-{k}.parquet", index=False)
        row += size
    table, problems = stream_load("transactions", parts, tmp_path / "work",
                                  policy=IntakePolicy(negative_amounts="exclude"))
    assert problems == []
    assert table.excluded["row"].tolist() == [2, 6, 9]
    assert table.row_numbers.tolist() == [1, 3, 4, 5, 7, 8]
    assert table.df["transaction_id"].tolist() == ["T1", "T3", "T4", "T5", "T7", "T8"]
    _, problems = stream_load("transactions", parts, tmp_path / "work2")
    assert [p.rows for p in problems] == [(2, 6, 9)]


def test_a_cleared_date_format_check_quotes_the_dates_as_written(tmp_path, monkeypatch):
    # Well-formed dates are not staged as text (printed back from the value where needed): the example
    # of the expected format and excluded rows' cells read as written, as in the in-memory path.
    path = tmp_path / "tx.csv"
    path.write_text("transaction_id,customer_id,date,amount\nT1,C1,2024-01-05 10:30,10\nT2,C2,2024-01-06,-3\n"
                    "T3,C3,05/01/2024,4\nT4,C4,0999-01-07,-1\nT5,C5,2024-01-08T00:00,-2\nT6,C6,2024-1-08,5\n")
    for policy in (IntakePolicy(), IntakePolicy(unparsable_dates="exclude", negative_amounts="exclude")):
        streamed, s_problems = stream_load("transactions", path, tmp_path / "work", policy=policy)
        with monkeypatch.context() as m:
            m.setattr("cvkit.data.stream.should_stream", lambda *a, **k: False)
            memory, m_problems = _load("transactions", path, policy=policy)
        assert [str(p) for p in s_problems] == [str(p) for p in m_problems]
        if memory is not None:
            columns = ["row", "reason", "transaction_id", "date"]
            assert streamed.excluded[columns].astype(str).values.tolist() == \
                memory.excluded[columns].astype(str).values.tolist()
    assert streamed.excluded["date"].tolist() == ["2024-01-06", "05/01/2024", "0999-01-07", "2024-01-08T00:00",
                                                  "2024-1-08"]


def test_typed_parquet_cells_of_excluded_rows_read_as_before(tmp_path):
    # TIMESTAMP and DOUBLE columns are staged once, as values; an excluded row's cells and the quoted
    # examples print those values exactly as the staged cells did (pinned from the previous stage).
    import datetime as dt

    import duckdb

    path = tmp_path / "tx.parquet"
    duckdb.sql(f"""COPY (SELECT * FROM (VALUES ('T1', 'C1', TIMESTAMP '2024-01-05 10:30:00', 10.25),
        ('T2', 'C2', TIMESTAMP '2024-01-06', -1.5), ('T3', 'C3', TIMESTAMP '2026-03-01', 4.0),
        ('T4', 'C4', NULL, 2.0), ('T5', 'C5', TIMESTAMP '2024-01-07', 'NaN'::DOUBLE),
        ('T6', 'C6', TIMESTAMP '2024-01-08', 'inf'::DOUBLE), ('T7', 'C7', TIMESTAMP '2024-01-09', 3.0))
        t(transaction_id, customer_id, date, amount)) TO '{path}' (FORMAT parquet)""")
    policy = IntakePolicy(missing_values="exclude", unparsable_numbers="exclude", negative_amounts="exclude",
                          future_dates="exclude", as_of=dt.date(2025, 12, 31))
    table, problems = stream_load("transactions", path, tmp_path / "a", policy=policy)
    assert problems == []
    assert table.excluded.fillna("").values.tolist() == [
        [2, "negative amount", "T2", "C2", "2024-01-06 00:00:00", "-1.5"],
        [3, "date after the analysis date", "T3", "C3", "2026-03-01 00:00:00", "4.0"],
        [4, "missing date", "T4", "C4", "", "2.0"],
        [5, "missing amount", "T5", "C5", "2024-01-07 00:00:00", ""],
        [6, "text in numeric column 'amount'", "T6", "C6", "2024-01-08 00:00:00", "inf"]]
    assert table.df["transaction_id"].tolist() == ["T1", "T7"]
    _, problems = stream_load("transactions", path, tmp_path / "b", policy=IntakePolicy(as_of=dt.date(2025, 12, 31)))
    messages = [p.message for p in problems]
    assert "1 date(s) after the analysis date 2025-12-31: '2026-03-01 00:00:00' (row 3)." in messages
    assert "1 negative value(s): '-1.5' (row 2)." in messages
    assert "1 value(s) are not numbers: 'inf' (row 6)." in messages
