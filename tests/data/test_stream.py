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
