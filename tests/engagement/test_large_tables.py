"""Large (customer-level) tables: written in full as CSV and Parquet, previewed in the workbook and pages."""

import numpy as np
import openpyxl
import pandas as pd
import pytest

from cvkit.data.formulas import neutralise_frame, restore_frame
from cvkit.engagement import outputs as outputs_module
from cvkit.engagement import workbook as workbook_module
from cvkit.engagement.outputs import Outputs, large_table_rows
from cvkit.engagement.workbook import write_workbook
from cvkit.present import Table

ROWS = 25


def _customers(n: int = ROWS) -> pd.DataFrame:
    rng = np.random.default_rng(7)
    return pd.DataFrame({
        "customer_id": [f"{i:05d}" if i % 5 else f"{i}E5" for i in range(n)],  # IDs that look like numbers
        "clv": rng.gamma(2.0, 50.0, n).round(6), "frequency": rng.integers(0, 9, n),
        "p_alive": np.where(np.arange(n) % 9 == 4, np.nan, rng.random(n)),
        "note": ["=HYPERLINK(\"http://x\")" if i % 6 == 0 else ("-1" if i % 6 == 1 else "ok") for i in range(n)],
        "monetary_value": rng.gamma(2.0, 20.0, n).round(2), "clv_decile": rng.integers(1, 11, n),
    })


def test_a_large_table_is_written_in_full_as_csv_and_parquet_that_read_back_exactly(tmp_path):
    df = _customers()
    out = Outputs(tmp_path, "clv", large_rows=10)
    assert out.table(df, "customers") is df
    parquet = tmp_path / "tables" / "clv" / "customers.parquet"
    assert out.full_tables == {"customers": parquet}
    pd.testing.assert_frame_equal(pd.read_parquet(parquet), df)
    back = restore_frame(pd.read_csv(tmp_path / "tables" / "clv" / "customers.csv", dtype={"customer_id": str}))
    pd.testing.assert_frame_equal(back, df)
    assert df.attrs["cvkit_full_table"] == "tables/clv/customers"
    small = _customers(10)
    Outputs(tmp_path, "overview", large_rows=10).table(small, "loaded")
    assert not (tmp_path / "tables" / "overview" / "loaded.parquet").exists() and not small.attrs


def test_a_table_longer_than_a_spreadsheet_is_also_split_into_csv_parts(tmp_path, monkeypatch):
    monkeypatch.setattr(outputs_module, "EXCEL_MAX_ROWS", 20)
    monkeypatch.setattr(outputs_module, "CSV_PART_ROWS", 10)
    monkeypatch.setattr(outputs_module, "_CHUNK_ROWS", 5)
    out = Outputs(tmp_path, "clv", large_rows=10)
    df = _customers()
    out.table(df, "customers")
    folder = tmp_path / "tables" / "clv"
    # Written 5 rows at a time, the CSV is byte for byte the one-shot CSV of the neutralised frame.
    assert (folder / "customers.csv").read_text() == neutralise_frame(df).to_csv(index=False, lineterminator="\n")
    assert [p.name for p in out.parts["customers"]] == [f"customers_part00{i}.csv" for i in (1, 2, 3)]
    whole = (folder / "customers.csv").read_text().splitlines()
    parts = [p.read_text().splitlines() for p in out.parts["customers"]]
    assert [len(p) for p in parts] == [11, 11, 6] and all(p[0] == whole[0] for p in parts)
    assert [line for p in parts for line in p[1:]] == whole[1:]  # chunked writing keeps every row once, in order
    assert len(whole) == ROWS + 1


def test_the_workbook_shows_first_and_last_rows_statistics_and_where_the_full_table_is(tmp_path, monkeypatch):
    monkeypatch.setattr(workbook_module, "_CHUNK_ROWS", 4)  # the CSV is read in several chunks
    df = _customers()
    Outputs(tmp_path, "clv", large_rows=10).table(df, "customers")
    book = write_workbook(tmp_path / "tables", tmp_path / "book.xlsx", max_rows=10)
    wb = openpyxl.load_workbook(book)
    ws = wb["CLV customers"]
    rows = [[c.value for c in row] for row in ws.iter_rows()]
    assert rows[0][:5] == ["Customer", "CLV", "Repeat purchases", "P(active)", "Note"] and ws.freeze_panes == "A2"
    assert "tables/clv/customers.parquet" in rows[0][8] and all(c.font.bold for c in ws[1])
    assert [r[0] for r in rows[1:6]] == list(df["customer_id"][:5])  # text IDs stay text
    assert rows[6][0].startswith(f"... {ROWS - 10} rows not shown") and "tables/clv/customers.csv" in rows[6][0]
    assert [r[0] for r in rows[7:12]] == list(df["customer_id"][-5:])
    assert rows[7][1] == pytest.approx(df["clv"].iloc[-5])
    stats = {r[0]: r for r in rows[13:18]}
    assert stats["All 25 rows"][1] is None
    assert stats["mean"][1] == pytest.approx(df["clv"].mean()) and stats["mean"][3] == pytest.approx(df["p_alive"].mean())
    assert stats["minimum"][2] == df["frequency"].min() and stats["maximum"][1] == pytest.approx(df["clv"].max())
    assert stats["total"][2] == df["frequency"].sum() and stats["total"][1] == pytest.approx(df["clv"].sum())
    assert stats["total"][3] is None and stats["total"][5] is None and stats["total"][6] is None  # no total of
    assert stats["mean"][5] == pytest.approx(df["monetary_value"].mean())  # probabilities, averages, deciles
    assert ws.cell(row=15, column=2).number_format == ws.cell(row=2, column=2).number_format
    assert "tables/clv/customers.csv" in rows[-1][0]
    formulas = [ws.cell(row=i, column=5) for i in (2, 12)]  # customers 0 and 24
    assert all(c.value.startswith("=") and c.data_type == "s" and c.quotePrefix for c in formulas)  # still inert
    contents = [c.value for c in wb["Contents"][2]]
    assert contents[0] == "CLV customers" and "First 5 and last 5 of 25 rows" in contents[1]
    assert "tables/clv/customers.parquet" in contents[1]


def test_the_workbook_keeps_a_table_at_the_threshold_whole(tmp_path):
    df = _customers(10)
    Outputs(tmp_path, "clv", large_rows=10).table(df, "customers")
    wb = openpyxl.load_workbook(write_workbook(tmp_path / "tables", tmp_path / "book.xlsx", max_rows=10))
    ws = wb["CLV customers"]
    assert ws.max_row == 11 and ws.max_column == 7
    assert "(10 rows)" in wb["Contents"]["B2"].value


def test_a_page_shows_first_and_last_rows_and_names_the_full_table(tmp_path):
    df = _customers()
    Outputs(tmp_path, "clv", large_rows=10).table(df, "customers")
    shown = Table(df, max_rows=6)
    assert list(shown.frame["customer_id"]) == [*df["customer_id"][:3], *df["customer_id"][-3:]]
    html = shown.to_html()
    assert "First 3 and last 3 of 25 rows" in html and "tables/clv/customers.parquet" in html
    assert "tr:nth-child(4) td" in html and "dashed" in html
    assert "full table" not in Table(_customers(), max_rows=6).to_html()  # not written: no claim


def test_the_threshold_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("CVKIT_LARGE_TABLE_ROWS", "250")
    assert large_table_rows() == 250 and Outputs("", "clv").large_rows == 250
    monkeypatch.setenv("CVKIT_LARGE_TABLE_ROWS", "lots")
    with pytest.raises(ValueError, match="CVKIT_LARGE_TABLE_ROWS='lots'"):
        large_table_rows()
