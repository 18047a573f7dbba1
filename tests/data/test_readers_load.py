"""read_table and load on valid inputs: dtypes, options, policy exclusions, read-only access."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pytest

from tests.data.datasamples import CHOICE, CUSTOMERS, SURVEY, TRANSACTIONS, UTILITIES, write
from cvkit.data import NA_MARKERS, DataError, IntakePolicy, LoadedTable, intake, load, read_table


# --- read_table ---------------------------------------------------------------------------------

def test_read_csv_keeps_everything_as_text(tmp_path):
    path = write(tmp_path, "x.csv", "id,amount,flag,level\n00123,1e3,1,none\n007, 5 ,NA,\n")
    df = read_table(path)
    assert df["id"].tolist() == ["00123", "007"]
    assert df["amount"].tolist() == ["1e3", " 5 "]  # not coerced, not even stripped
    assert df["level"].iloc[0] == "none"  # a conjoint level, not a missing value
    assert df["flag"].isna().iloc[1] and df["level"].isna().iloc[1]
    assert all(isinstance(dt, pd.StringDtype) for dt in df.dtypes)
    assert df.attrs["encoding"] == "utf-8" and df.attrs["delimiter"] == ","


def test_na_markers_are_explicit():
    assert "" in NA_MARKERS and "NA" in NA_MARKERS and "none" not in NA_MARKERS and "None" not in NA_MARKERS


def test_read_parquet_keeps_types(tmp_path):
    src = pd.DataFrame({"a": [1, 2], "d": pd.to_datetime(["2024-01-01", "2024-01-02"])})
    src.to_parquet(tmp_path / "x.parquet")
    df = read_table(tmp_path / "x.parquet")
    assert df["a"].dtype == np.int64 and pd.api.types.is_datetime64_any_dtype(df["d"])
    assert df.attrs["format"] == "parquet"


def test_read_excel_finds_header_with_expected_columns(tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Report"])
    ws.append(["Kunde", "Datum"])
    ws.append(["C1", "2024-01-01"])
    wb.save(tmp_path / "x.xlsx")
    df = read_table(tmp_path / "x.xlsx", expected_columns=["kunde", "datum"])
    assert list(df.columns) == ["Kunde", "Datum"] and df.attrs["header_row"] == 2
    assert df.attrs["header_matches"] == 2


def test_read_table_rejects_folder(tmp_path):
    with pytest.raises(DataError, match="this is a folder"):
        read_table(tmp_path)


def test_read_gzipped_csv(tmp_path):
    import gzip

    path = tmp_path / "tx.csv.gz"
    path.write_bytes(gzip.compress(TRANSACTIONS.encode()))
    assert len(load("transactions", path).df) == 5


# --- load: canonical output ---------------------------------------------------------------------

def test_load_customers_dtypes(valid_files):
    t = load("customers", valid_files["customers"])
    assert isinstance(t, LoadedTable) and t.kind == "customers"
    assert t.source == str(valid_files["customers"])
    df = t.df
    assert isinstance(df["customer_id"].dtype, pd.StringDtype)
    assert df["acquisition_date"].dtype.kind == "M"
    assert df["acquisition_cost"].dtype == np.float64 and np.isnan(df.loc[3, "acquisition_cost"])
    assert isinstance(df["channel"].dtype, pd.CategoricalDtype)
    assert t.excluded.empty and t.n_rows == 4 and t.n_excluded == 0


def test_load_adds_absent_optional_columns_and_drops_unknown(tmp_path):
    path = write(tmp_path, "c.csv", "customer_id,acquisition_date,email\nC1,2024-01-01,a@b.c\n")
    t = load("customers", path)
    assert list(t.df.columns) == ["customer_id", "acquisition_date", "channel", "acquisition_cost",
                                  "region", "age_band"]
    assert t.df["acquisition_cost"].isna().all() and t.ignored_columns == ["email"]
    assert t.columns_found == ["customer_id", "acquisition_date"]


def test_load_transactions_without_transaction_id(tmp_path):
    path = write(tmp_path, "t.csv", "customer_id,date,amount\nC1,2024-01-01,5\nC1,2024-01-02,5\n")
    df = load("transactions", path).df
    assert df["transaction_id"].isna().all() and df["amount"].sum() == 10


def test_load_survey_ratings_nullable_int(valid_files):
    df = load("survey", valid_files["survey"]).df
    assert df["nps"].dtype == "Int64" and df["saves_time"].isna().sum() == 1
    assert df["customer_id"].isna().sum() == 2
    assert "reduces_cost" not in df  # element columns are not invented


def test_load_needs(valid_files):
    df = load("needs", valid_files["needs"]).df
    assert list(df.columns) == ["respondent_id", "imp_saves_time", "imp_reduces_cost", "imp_quality"]


def test_load_choice_attributes(valid_files):
    df = load("choice", valid_files["choice"]).df
    assert df["fee"].dtype == np.float64 and isinstance(df["delivery"].dtype, pd.StringDtype)
    assert df["chosen"].dtype == bool and df["none"].dtype == bool
    assert df.groupby(["respondent_id", "task"])["chosen"].sum().eq(1).all()
    assert df.loc[df["none"], ["delivery", "fee"]].isna().all(axis=None)
    assert df["extras"].iloc[1] == "none"


def test_load_choice_without_none_column(tmp_path):
    text = "respondent_id,task,alternative,fee,chosen\nR1,1,1,29,1\nR1,1,2,49,0\n"
    df = load("choice", write(tmp_path, "c.csv", text)).df
    assert not df["none"].any()


def test_load_utilities_numeric_levels(valid_files, tmp_path):
    df = load("utilities", valid_files["utilities"]).df
    assert (df.drop(columns="respondent_id").dtypes == np.float64).all()
    bad = write(tmp_path, "u.csv", UTILITIES.replace("-0.055", "n.a."))
    with pytest.raises(DataError, match=r"column 'fee', rows 2: 1 value\(s\) are not numbers: 'n.a.'"):
        load("utilities", bad)


def test_load_canonical_parquet_roundtrip(valid_files, tmp_path):
    for kind in ("customers", "transactions", "survey", "choice"):
        first = load(kind, valid_files[kind]).df
        first.to_parquet(tmp_path / f"{kind}.parquet")
        again = load(kind, tmp_path / f"{kind}.parquet").df
        pd.testing.assert_frame_equal(again, first, check_categorical=False)


def test_load_parquet_with_numeric_ids(tmp_path):
    pd.DataFrame({"customer_id": [12.0, 13.0], "date": pd.to_datetime(["2024-01-01", "2024-01-02"]),
                  "amount": [1, 2]}).to_parquet(tmp_path / "t.parquet")
    df = load("transactions", tmp_path / "t.parquet").df
    assert df["customer_id"].tolist() == ["12", "13"] and df["amount"].dtype == np.float64


def test_load_name_is_used_in_messages(tmp_path):
    path = write(tmp_path, "t.csv", "customer_id,date,amount\nC1,2024-01-01,-1\n")
    with pytest.raises(DataError, match=r"^1 problem in the input data:\n  - orders export, column 'amount'"):
        load("transactions", path, name="orders export")


def test_load_unknown_kind():
    with pytest.raises(ValueError, match="unknown data set kind 'transaction'; did you mean 'transactions'"):
        load("transaction", "x.csv")


# --- policy ------------------------------------------------------------------------------------

def test_exclude_policy_counts_and_reports_rows(tmp_path):
    text = TRANSACTIONS + ("T6,C001,2024-05-01,-5\nT7,C001,not a date,5\nT8,,2024-05-03,5\n"
                           "T9,C002,2024-05-04,12 EUR\nT5,C004,2024-04-02,42.5\n")
    policy = IntakePolicy(negative_amounts="exclude", unparsable_dates="exclude", missing_values="exclude",
                          unparsable_numbers="exclude", duplicate_rows="exclude")
    t = load("transactions", write(tmp_path, "t.csv", text), policy=policy)
    assert t.n_rows == 5 and t.n_excluded == 5
    assert t.excluded["row"].tolist() == [6, 7, 8, 9, 10]
    assert t.excluded["reason"].tolist() == ["negative amount", "unparsable date in 'date'", "missing customer_id",
                                             "text in numeric column 'amount'", "duplicate row"]
    assert t.excluded.loc[1, "date"] == "not a date"  # the cell as written, for the analyst
    assert t.df["transaction_id"].tolist() == ["T1", "T2", "T3", "T4", "T5"]


def test_exclude_policy_duplicate_ids_keeps_first(tmp_path):
    text = CUSTOMERS + "C002,2024-05-01,online,10,North,25-34\n"
    t = load("customers", write(tmp_path, "c.csv", text), policy=IntakePolicy(duplicate_ids="exclude"))
    assert t.n_rows == 4 and t.excluded["row"].tolist() == [5]
    assert t.excluded["reason"].tolist() == ["duplicate customer_id"]


def test_exclude_policy_invalid_choice_tasks(tmp_path):
    text = CHOICE.replace("R1,1,2,standard,paid,none,29,0,0", "R1,1,2,standard,paid,none,29,0,1")
    t = load("choice", write(tmp_path, "c.csv", text), policy=IntakePolicy(invalid_choice_tasks="exclude"))
    assert t.n_rows == 9 and t.excluded["row"].tolist() == [1, 2, 3]
    assert set(t.excluded["reason"]) == {"task with several chosen alternatives"}


def test_out_of_range_exclude(tmp_path):
    text = SURVEY.replace("R2,,Demo Retail,10,", "R2,,Demo Retail,11,")
    t = load("survey", write(tmp_path, "s.csv", text), policy=IntakePolicy(out_of_range="exclude"))
    assert t.excluded["reason"].tolist() == ["nps out of range"] and t.n_rows == 4


def test_duplicate_rows_keep(tmp_path):
    text = "customer_id,date,amount\nC1,2024-01-01,5\nC1,2024-01-01,5\n"
    t = load("transactions", write(tmp_path, "t.csv", text), policy=IntakePolicy(duplicate_rows="keep"))
    assert t.n_rows == 2


# --- read-only ---------------------------------------------------------------------------------

def _digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_input_files_are_byte_identical_after_intake(valid_files, tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Title row"])
    for line in CUSTOMERS.splitlines():
        ws.append(line.split(","))
    wb.save(tmp_path / "customers.xlsx")
    bad = write(tmp_path, "bad_tx.csv", TRANSACTIONS + "T9,C001,31/12/2024,-1\n", encoding="cp1252")
    files = {**valid_files, "customers": tmp_path / "customers.xlsx", "transactions": bad}
    before = {k: (_digest(p), p.stat().st_mtime_ns) for k, p in files.items()}
    result = intake(files, policy=IntakePolicy(unparsable_dates="exclude"))
    result.write(tmp_path / "out")
    assert not result.ok  # the negative amount is still an error
    after = {k: (_digest(p), p.stat().st_mtime_ns) for k, p in files.items()}
    assert after == before


def test_identical_rows_are_not_also_reported_as_duplicate_ids(tmp_path):
    from cvkit.data import DataError

    text = CUSTOMERS + CUSTOMERS.splitlines()[1] + "\n"
    with pytest.raises(DataError) as info:
        load("customers", write(tmp_path, "c.csv", text))
    assert len(info.value.problems) == 1 and "repeat an earlier row" in str(info.value)


def test_identical_rows_kept_by_policy_still_break_a_key(tmp_path):
    text = CUSTOMERS + CUSTOMERS.splitlines()[1] + "\n"
    with pytest.raises(DataError, match="share a customer_id"):
        load("customers", write(tmp_path, "c.csv", text), policy=IntakePolicy(duplicate_rows="keep"))


# --- reader corner cases -------------------------------------------------------------------------

def test_non_utf8_byte_after_the_sniffed_sample(tmp_path):
    body = "".join(f"T{i},C001,2024-01-05,1\n" for i in range(20000))  # > 256 KB of ASCII
    path = tmp_path / "tx.csv"
    path.write_bytes(("transaction_id,customer_id,date,amount\n" + body).encode()
                     + "T_last,Zoë,2024-01-05,1\n".encode("cp1252"))
    t = load("transactions", path)
    assert t.df["customer_id"].iloc[-1] == "Zoë" and t.read_info["encoding"] == "cp1252"


def test_byte_undefined_in_cp1252_falls_back_to_latin1(tmp_path):
    path = tmp_path / "c.csv"
    path.write_bytes(b"customer_id,acquisition_date\nC\x81,2024-01-05\n")
    t = load("customers", path)
    assert t.read_info["encoding"] == "latin-1" and t.df.loc[0, "customer_id"] == "C\x81"


def test_utf16_without_bom(tmp_path):
    path = tmp_path / "c.csv"
    path.write_bytes(CUSTOMERS.encode("utf-16-le"))
    t = load("customers", path)
    assert t.read_info["encoding"] == "utf-16-le" and len(t.df) == 4


def test_corrupt_parquet_and_excel(tmp_path):
    (tmp_path / "x.parquet").write_bytes(b"not parquet")
    (tmp_path / "x.xlsx").write_bytes(b"not a zip")
    with pytest.raises(DataError, match="the Parquet file cannot be read"):
        read_table(tmp_path / "x.parquet")
    with pytest.raises(DataError, match="the workbook cannot be opened"):
        read_table(tmp_path / "x.xlsx")


def test_parquet_with_text_and_object_columns(tmp_path):
    # A client's Parquet may hold numbers as text and flags as booleans with gaps.
    pd.DataFrame({"respondent_id": ["R1", "R1", "R1", "R1"], "task": ["1", "1", "2", "2"],
                  "alternative": [1, 2, 1, 2], "fee": pd.array(["29", "49", "29", "89"], dtype=object),
                  "chosen": [True, False, None, True]}).to_parquet(tmp_path / "c.parquet")
    with pytest.raises(DataError) as info:
        load("choice", tmp_path / "c.parquet")
    p = info.value.problems[0]
    assert p.column == "chosen" and list(p.rows) == [3] and "empty cell" in p.message


def test_invalid_decimal_option():
    with pytest.raises(ValueError, match="decimal must be"):
        load("transactions", "x.csv", decimal=";")
    with pytest.raises(ValueError, match="cannot equal the decimal mark"):
        load("transactions", "x.csv", thousands=".")
