"""Malformed client files: each must give one clear message naming file, column, rows and fix.

Every test writes its own small file to tmp_path, so the exact bytes are visible
in the test.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from tests.data.datasamples import CHOICE, CUSTOMERS, SURVEY, TRANSACTIONS, write
from cvkit.data import DataError, FileSpec, IntakePolicy, Problem, intake, load


def fails(kind: str, path: Path, **kwargs) -> tuple[str, list[Problem]]:
    """Load and expect a DataError; return its message and problems."""
    with pytest.raises(DataError) as info:
        load(kind, path, **kwargs)
    err = info.value
    assert str(path) in str(err), "every message names the file"
    return str(err), err.problems


def only(problems: list[Problem]) -> Problem:
    assert len(problems) == 1, [str(p) for p in problems]
    return problems[0]


TX_HEAD = "transaction_id,customer_id,date,amount\n"


# --- columns ---------------------------------------------------------------------------------

def test_missing_required_column(tmp_path):
    path = write(tmp_path, "customers.csv", "customer_id,channel\nC1,online\n")
    msg, problems = fails("customers", path)
    p = only(problems)
    assert p.column == "acquisition_date"
    assert "required column 'acquisition_date' is missing" in msg
    assert "templates/data/customers.csv" in p.fix and "data.customers.columns" in p.fix


def test_renamed_column_did_you_mean(tmp_path):
    path = write(tmp_path, "orders.csv", "transaction_id,cust_id,date,amount\nT1,C1,2024-01-01,5\n")
    msg, problems = fails("transactions", path)
    p = only(problems)
    assert p.column == "customer_id"
    assert "did you mean 'cust_id'?" in msg
    assert "{customer_id: 'cust_id'}" in p.fix


def test_renamed_column_loads_with_mapping(tmp_path):
    path = write(tmp_path, "orders.csv", "Order,Kunde,Datum,Umsatz\nT1,C1,2024-01-01,5\n")
    t = load("transactions", path, columns={"transaction_id": "Order", "customer_id": "Kunde",
                                            "date": "Datum", "amount": "Umsatz"})
    assert list(t.df.columns) == ["transaction_id", "customer_id", "date", "amount"]
    assert t.df["amount"].tolist() == [5.0]


def test_mapping_to_a_column_not_in_file(tmp_path):
    path = write(tmp_path, "orders.csv", "transaction_id,Kunde,date,amount\nT1,C1,2024-01-01,5\n")
    msg, problems = fails("transactions", path, columns={"customer_id": "Kundee"})
    p = only(problems)
    assert "column 'Kundee' (mapped to 'customer_id') is not in the file; did you mean 'Kunde'?" in msg
    assert "data.transactions.columns.customer_id" in p.fix


def test_mapping_with_unknown_canonical_name(tmp_path):
    path = write(tmp_path, "orders.csv", TX_HEAD + "T1,C1,2024-01-01,5\n")
    msg, _ = fails("transactions", path, columns={"ammount": "amount"})
    assert "'ammount', which is not a column of the transactions data set; did you mean 'amount'?" in msg


def test_header_names_match_case_and_spacing_insensitively(tmp_path):
    path = write(tmp_path, "orders.csv", "Transaction ID,Customer-ID,DATE,Amount\nT1,C1,2024-01-01,5\n")
    t = load("transactions", path)
    assert t.df.loc[0, "customer_id"] == "C1"


def test_all_missing_required_column(tmp_path):
    path = write(tmp_path, "tx.csv", TX_HEAD + "T1,C1,,5\nT2,C2,,6\n")
    msg, problems = fails("transactions", path)
    p = only(problems)
    assert p.column == "date" and "required column 'date' is empty in every row" in msg


def test_missing_values_in_required_column(tmp_path):
    path = write(tmp_path, "tx.csv", TX_HEAD + "T1,C1,2024-01-01,5\nT2,,2024-01-02,6\nT3,  ,2024-01-02,6\n")
    msg, problems = fails("transactions", path)
    p = only(problems)
    assert p.column == "customer_id" and list(p.rows) == [2, 3]
    assert "2 empty cell(s)" in msg and "intake.missing_values: exclude" in p.fix


def test_unknown_element_column_did_you_mean(tmp_path):
    text = SURVEY.replace("saves_time", "saves_tme", 1)
    msg, problems = fails("survey", write(tmp_path, "survey.csv", text))
    p = only(problems)
    assert p.column == "saves_tme" and "did you mean 'saves_time'?" in msg


def test_survey_without_any_element_column(tmp_path):
    path = write(tmp_path, "survey.csv", "respondent_id,brand,nps,satisfaction\nR1,Demo,9,8\n")
    msg, _ = fails("survey", path)
    assert "none of the element-of-value rating columns" in msg and "at least one is required" in msg


def test_duplicate_header_names(tmp_path):
    path = write(tmp_path, "tx.csv", "transaction_id,customer_id,date,amount,amount\nT1,C1,2024-01-01,5,6\n")
    msg, _ = fails("transactions", path)
    assert "'amount' appear more than once" in msg


# --- delimiters and encodings ------------------------------------------------------------------

def test_unsupported_delimiter_is_explained(tmp_path):
    path = write(tmp_path, "tx.csv", "transaction_id:customer_id:date:amount\nT1:C1:2024-01-01:5\n")
    msg, problems = fails("transactions", path)
    assert len(problems) == 3  # customer_id, date, amount missing: one problem each
    assert "single column 'transaction_id:customer_id:date:amount'" in msg
    assert "delimiter other than , ; tab or |" in msg


@pytest.mark.parametrize("delim", [";", "\t", "|"])
def test_other_delimiters_are_sniffed(tmp_path, delim):
    path = write(tmp_path, "tx.csv", TRANSACTIONS.replace(",", delim))
    t = load("transactions", path)
    assert t.read_info["delimiter"] == delim and len(t.df) == 5


def test_utf8_bom_loads(tmp_path):
    path = write(tmp_path, "customers.csv", CUSTOMERS, encoding="utf-8-sig")
    t = load("customers", path)
    assert t.df.columns[0] == "customer_id" and t.df.loc[0, "customer_id"] == "C001"
    assert t.read_info["encoding"] == "utf-8-sig"


def test_utf16_loads(tmp_path):
    path = write(tmp_path, "customers.csv", CUSTOMERS.replace("North", "Nörd"), encoding="utf-16")
    t = load("customers", path)
    assert t.df.loc[0, "region"] == "Nörd" and t.read_info["encoding"] == "utf-16"


def test_latin1_loads(tmp_path):
    path = write(tmp_path, "customers.csv", CUSTOMERS.replace("North", "Île-de-France"), encoding="latin-1")
    t = load("customers", path)
    assert t.df.loc[0, "region"] == "Île-de-France"


def test_cp1252_euro_sign_loads(tmp_path):
    path = write(tmp_path, "customers.csv", CUSTOMERS.replace("online", "online €"), encoding="cp1252")
    t = load("customers", path)
    assert t.df.loc[0, "channel"] == "online €"


def test_ragged_rows(tmp_path):
    path = write(tmp_path, "tx.csv", TX_HEAD + "T1,C1,2024-01-01,5\nT2,C1,2024-01-01,5,7\n")
    msg, _ = fails("transactions", path)
    assert "same number of fields" in msg and "must be quoted" in msg


# --- dates ---------------------------------------------------------------------------------------

def test_mixed_date_formats(tmp_path):
    path = write(tmp_path, "tx.csv", TX_HEAD + "T1,C1,2024-01-05,5\nT2,C1,2024-01-06,5\nT3,C1,03/01/2024,5\n")
    msg, problems = fails("transactions", path)
    p = only(problems)
    assert p.column == "date" and list(p.rows) == [3]
    assert "more than one format" in msg and "'03/01/2024' (row 3)" in msg
    assert "DD/MM/YYYY or MM/DD/YYYY" in msg


def test_non_iso_dates_need_explicit_format(tmp_path):
    path = write(tmp_path, "tx.csv", TX_HEAD + "T1,C1,05/01/2024,5\nT2,C1,13/01/2024,5\n")
    msg, problems = fails("transactions", path)
    p = only(problems)
    assert "not ISO 8601" in msg and "not guessed" in msg
    assert "data.transactions.date_format: '%d/%m/%Y'" in p.fix
    t = load("transactions", path, date_format="%d/%m/%Y")
    assert t.df["date"].tolist() == [pd.Timestamp("2024-01-05"), pd.Timestamp("2024-01-13")]


def test_unparsable_date(tmp_path):
    path = write(tmp_path, "tx.csv", TX_HEAD + "T1,C1,2024-01-05,5\nT2,C1,2024-02-30,5\nT3,C1,soon,5\n")
    msg, problems = fails("transactions", path)
    p = only(problems)
    assert list(p.rows) == [2, 3] and "'2024-02-30' (row 2), 'soon' (row 3)" in msg
    assert "not valid dates" in msg


def test_excel_serial_numbers_as_dates(tmp_path):
    path = write(tmp_path, "tx.csv", TX_HEAD + "T1,C1,2024-01-05,5\nT2,C1,45300,5\n")
    msg, _ = fails("transactions", path)
    assert "Excel serial day numbers" in msg and "format the column as a date" in msg


# --- numbers -----------------------------------------------------------------------------------

def test_text_in_numeric_column(tmp_path):
    path = write(tmp_path, "tx.csv", TX_HEAD + "T1,C1,2024-01-05,5\nT2,C1,2024-01-06,12 EUR\n")
    msg, problems = fails("transactions", path)
    p = only(problems)
    assert p.column == "amount" and list(p.rows) == [2]
    assert "'12 EUR' (row 2)" in msg and "without units or currency symbols" in p.fix


def test_thousands_separators_are_not_guessed(tmp_path):
    path = write(tmp_path, "tx.csv", TX_HEAD + 'T1,C1,2024-01-05,"1,234.50"\nT2,C1,2024-01-06,7\n')
    msg, problems = fails("transactions", path)
    p = only(problems)
    assert "'1,234.50' (row 1)" in msg and "thousands separators or a decimal comma" in msg
    assert "data.transactions.decimal / data.transactions.thousands" in p.fix
    t = load("transactions", path, thousands=",")
    assert t.df["amount"].tolist() == [1234.5, 7.0]


def test_decimal_comma(tmp_path):
    path = write(tmp_path, "tx.csv", "transaction_id;customer_id;date;amount\nT1;C1;2024-01-05;1.234,5\n"
                                     "T2;C1;2024-01-06;12,5\n")
    msg, _ = fails("transactions", path)
    assert "'1.234,5' (row 1), '12,5' (row 2)" in msg
    t = load("transactions", path, decimal=",", thousands=".")
    assert t.df["amount"].tolist() == [1234.5, 12.5]


def test_decimal_comma_file_with_a_decimal_point(tmp_path):
    path = write(tmp_path, "tx.csv", "customer_id;date;amount\nC1;2024-01-05;12,5\nC1;2024-01-06;1.5\n")
    msg, problems = fails("transactions", path, decimal=",")
    assert list(only(problems).rows) == [2] and "'1.5' (row 2)" in msg


def test_badly_grouped_thousands(tmp_path):
    path = write(tmp_path, "tx.csv", TX_HEAD + 'T1,C1,2024-01-05,"1,23"\n')
    _, problems = fails("transactions", path, thousands=",")
    assert only(problems).rows == (1,)


def test_negative_amount(tmp_path):
    path = write(tmp_path, "tx.csv", TX_HEAD + "T1,C1,2024-01-05,5\nT2,C1,2024-01-06,-3.20\n")
    msg, problems = fails("transactions", path)
    p = only(problems)
    assert p.column == "amount" and list(p.rows) == [2] and "'-3.20' (row 2)" in msg
    assert "intake.negative_amounts: exclude" in p.fix


def test_rating_11(tmp_path):
    text = SURVEY.replace("R2,,Demo Retail,10,", "R2,,Demo Retail,11,")
    msg, problems = fails("survey", write(tmp_path, "survey.csv", text))
    p = only(problems)
    assert p.column == "nps" and list(p.rows) == [3]
    assert "outside the allowed range 0 to 10: '11' (row 3)" in msg


def test_satisfaction_0(tmp_path):
    text = SURVEY.replace("R3,C002,Demo Retail,0,1,", "R3,C002,Demo Retail,0,0,")
    msg, problems = fails("survey", write(tmp_path, "survey.csv", text))
    p = only(problems)
    assert p.column == "satisfaction" and "range 1 to 10: '0' (row 5)" in msg


def test_rating_not_a_whole_number(tmp_path):
    text = SURVEY.replace("R1,C001,Demo Retail,9,", "R1,C001,Demo Retail,7.5,")
    msg, problems = fails("survey", write(tmp_path, "survey.csv", text))
    assert only(problems).column == "nps" and "not whole numbers: '7.5' (row 1)" in msg


# --- duplicates --------------------------------------------------------------------------------

def test_duplicate_customer_ids(tmp_path):
    text = CUSTOMERS + "C002,2024-05-01,online,10,North,25-34\n"
    msg, problems = fails("customers", write(tmp_path, "customers.csv", text))
    p = only(problems)
    assert p.column == "customer_id" and list(p.rows) == [2, 5]
    assert "share a customer_id that should be unique, e.g. 'C002'" in msg


def test_duplicate_rows(tmp_path):
    text = TRANSACTIONS.replace("transaction_id,", "").replace("T1,", "").replace("T2,", "") \
        .replace("T3,", "").replace("T4,", "").replace("T5,", "") + "C001,2024-02-01,5\n"
    msg, problems = fails("transactions", write(tmp_path, "tx.csv", text))
    p = only(problems)
    assert list(p.rows) == [2, 6] and "1 row(s) repeat an earlier row exactly" in msg
    assert "add transaction_id" in p.fix


def test_duplicate_survey_respondent_brand(tmp_path):
    text = SURVEY + "R1,C001,ValueMart,5,5,5,5,5,2026-Q2,5,5\n"
    msg, _ = fails("survey", write(tmp_path, "survey.csv", text))
    assert "share a respondent_id + brand" in msg and "'R1' / 'ValueMart'" in msg


# --- empty files ---------------------------------------------------------------------------------

def test_empty_file(tmp_path):
    msg, problems = fails("customers", write(tmp_path, "customers.csv", ""))
    assert "empty (0 bytes)" in msg and "header row" in only(problems).fix


def test_blank_lines_only(tmp_path):
    msg, _ = fails("customers", write(tmp_path, "customers.csv", "\n\n  \n"))
    assert "the file is empty (no header row)" in msg


def test_header_only(tmp_path):
    msg, _ = fails("customers", write(tmp_path, "customers.csv", CUSTOMERS.splitlines()[0] + "\n"))
    assert "header but no data rows" in msg


# --- choice data ------------------------------------------------------------------------------

def test_two_chosen_alternatives(tmp_path):
    text = CHOICE.replace("R1,1,2,standard,paid,none,29,0,0", "R1,1,2,standard,paid,none,29,0,1")
    msg, problems = fails("choice", write(tmp_path, "choice.csv", text))
    p = only(problems)
    assert "1 task(s) have more than one chosen alternative: respondent 'R1' task 1" in msg
    assert list(p.rows) == [1, 2, 3] and "exactly one alternative" in p.fix


def test_no_chosen_alternative(tmp_path):
    text = CHOICE.replace("R2,2,1,next_day,paid,priority_service,89,0,1",
                          "R2,2,1,next_day,paid,priority_service,89,0,0")
    msg, problems = fails("choice", write(tmp_path, "choice.csv", text))
    assert "no chosen alternative: respondent 'R2' task 2" in msg
    assert list(only(problems).rows) == [10, 11, 12]


def test_none_row_with_attributes(tmp_path):
    text = CHOICE.replace("R1,1,3,,,,,1,0", "R1,1,3,standard,,,,1,0")
    msg, _ = fails("choice", write(tmp_path, "choice.csv", text))
    assert "'none' row(s) have attribute values" in msg


def test_chosen_not_binary(tmp_path):
    text = CHOICE.replace("R1,1,1,same_day,free,streaming,49,0,1", "R1,1,1,same_day,free,streaming,49,0,yes!")
    msg, _ = fails("choice", write(tmp_path, "choice.csv", text))
    assert "not 0/1: 'yes!' (row 1)" in msg


# --- cross-file links -------------------------------------------------------------------------

def test_orphan_customer_ids_in_transactions(tmp_path, valid_files):
    tx = write(tmp_path, "tx_orphans.csv", TRANSACTIONS + "T6,C999,2024-05-01,5\nT7,C999,2024-05-02,6\n")
    result = intake({"customers": valid_files["customers"], "transactions": tx})
    assert not result.ok
    p = only(result.problems)
    assert p.file == str(tx) and p.column == "customer_id" and list(p.rows) == [6, 7]
    assert "2 row(s) have a customer_id that is not in the customers file" in str(p)
    assert "e.g. 'C999'" in str(p) and "intake.orphan_ids: exclude" in p.fix


def test_orphan_respondents_in_choice(tmp_path, valid_files):
    survey = write(tmp_path, "survey_small.csv", "\n".join(SURVEY.splitlines()[:3]) + "\n")  # R1 only
    result = intake({"survey": survey, "choice": valid_files["choice"]})
    p = only(result.problems)
    assert "respondent_id that is not in the survey file" in str(p) and "'R2'" in str(p)
    assert list(p.rows) == [7, 8, 9, 10, 11, 12]


# --- Excel --------------------------------------------------------------------------------------

def _excel(path: Path, rows: list[list], sheet: str = "Data") -> Path:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


def test_excel_with_title_rows_loads(tmp_path):
    import datetime as dt

    path = _excel(tmp_path / "tx.xlsx", [
        ["Demo Retail: order export"], ["generated 2026-06-30", None, "confidential"], [],
        ["transaction_id", "customer_id", "date", "amount"],
        ["T1", "C1", dt.datetime(2024, 1, 5), 19.9],
        ["T2", "C2", "2024-01-06", 5],
    ])
    t = load("transactions", path)
    assert t.read_info["header_row"] == 4
    assert t.df["date"].tolist() == [pd.Timestamp("2024-01-05"), pd.Timestamp("2024-01-06")]
    assert t.df["amount"].tolist() == [19.9, 5.0]


def test_excel_with_no_matching_header(tmp_path):
    path = _excel(tmp_path / "tx.xlsx", [["Order", "Who", "When", "How much"], ["T1", "C1", "2024-01-05", 3]])
    msg, problems = fails("transactions", path)
    p = only(problems)
    assert "no row among the first rows of sheet 'Data' looks like a header for transactions" in msg
    assert "'Order', 'Who', 'When', 'How much'" in msg and "data.transactions.columns" in p.fix


def test_excel_unknown_sheet(tmp_path):
    path = _excel(tmp_path / "tx.xlsx", [["customer_id", "date", "amount"], ["C1", "2024-01-05", 3]])
    msg, _ = fails("transactions", path, sheet="data")
    assert "no sheet 'data'" in msg and "Did you mean 'Data'?" in msg


# --- files ----------------------------------------------------------------------------------------

def test_unknown_extension(tmp_path):
    msg, problems = fails("customers", write(tmp_path, "customers.json", '{"a": 1}'))
    assert "unsupported file type '.json'" in msg and ".parquet" in only(problems).fix


def test_old_xls(tmp_path):
    msg, _ = fails("customers", write(tmp_path, "customers.xls", "binary"))
    assert "saved as .xlsx" in msg


def test_missing_file(tmp_path):
    msg, _ = fails("customers", tmp_path / "nope.csv")
    assert "does not exist" in msg


def test_all_problems_reported_together(tmp_path):
    text = TX_HEAD + "T1,C1,2024-01-05,-5\nT2,C1,yesterday,5\nT3,C1,2024-01-07,abc\n"
    msg, problems = fails("transactions", write(tmp_path, "tx.csv", text))
    assert {p.column for p in problems} == {"amount", "date"} and len(problems) == 3
    assert msg.startswith("3 problems in the input data:")


def test_filespec_rejects_unknown_keys():
    with pytest.raises(ValueError, match="date_fromat"):
        FileSpec(path="x.csv", date_fromat="%d/%m/%Y")
    with pytest.raises(ValueError, match="orphans"):
        IntakePolicy(orphans="exclude")
    with pytest.raises(ValueError, match="cannot equal the decimal mark"):
        FileSpec(path="x.csv", decimal=",", thousands=",")
    with pytest.raises(ValueError, match="duplicate_rows"):
        IntakePolicy(duplicate_rows="drop")


def test_csv_with_title_rows_above_header_loads(tmp_path):
    text = "Demo Retail order export\nGenerated 2026-06-30;by CRM\n\n" + TRANSACTIONS.replace(",", ";")
    t = load("transactions", write(tmp_path, "tx.csv", text))
    assert t.read_info["header_row"] == 4 and t.read_info["delimiter"] == ";"
    assert len(t.df) == 5 and t.df.loc[0, "transaction_id"] == "T1"


def test_declared_attributes_ignore_other_columns(tmp_path):
    text = CHOICE.replace("chosen\n", "chosen,version\n").replace(",0\n", ",0,7\n").replace(",1\n", ",1,7\n")
    path = write(tmp_path, "choice.csv", text)
    # Undeclared, "version" is an attribute and the none rows carry a value in it.
    msg, _ = fails("choice", path)
    assert "'none' row(s) have attribute values" in msg
    t = load("choice", path, attributes=["delivery", "returns", "extras", "fee"])
    assert "version" not in t.df and t.ignored_columns == ["version"]
    msg, problems = fails("choice", path, attributes=["delivery", "return"])
    assert "column 'return' (listed in analyses.discrete_choice.attributes) is not in the file; did you mean 'returns'?" in msg


def test_choice_task_with_a_single_alternative(tmp_path):
    text = CHOICE + "R3,1,1,same_day,free,streaming,49,0,1\n"
    msg, problems = fails("choice", write(tmp_path, "choice.csv", text))
    p = only(problems)
    assert "1 task(s) show a single alternative: respondent 'R3' task 1" in msg and list(p.rows) == [13]


def test_utilities_missing_level(tmp_path):
    from tests.data.datasamples import UTILITIES

    text = UTILITIES.replace("-0.5,0.5,-0.03", "-0.5,,-0.03")
    msg, problems = fails("utilities", write(tmp_path, "u.csv", text))
    p = only(problems)
    assert p.column == "returns.free" and list(p.rows) == [1] and "utility for every level" in msg


def test_excel_date_cells_with_declared_text_format(tmp_path):
    import datetime as dt

    path = _excel(tmp_path / "tx.xlsx", [["customer_id", "date", "amount"],
                                         ["C1", dt.datetime(2024, 1, 5), 3], ["C2", "06/01/2024", 4]])
    t = load("transactions", path, date_format="%d/%m/%Y")
    assert t.df["date"].tolist() == [pd.Timestamp("2024-01-05"), pd.Timestamp("2024-01-06")]


def test_data_error_survives_pickling():
    import pickle

    err = DataError([Problem(file="a.csv", message="bad.", fix="fix it.", column="x", rows=(1, 2))])
    back = pickle.loads(pickle.dumps(err))
    assert back.problems == err.problems and str(back) == str(err)


def test_partial_and_zoned_dates_are_not_coerced(tmp_path):
    text = TX_HEAD + ("T1,C1,2024-01-05,5\nT2,C1,2024,5\nT3,C1,2024-03,5\nT4,C1,2024-01-05T10:00:00+02:00,5\n"
                      "T5,C1,2024-01-06T10:00:00-05:00,5\nT6,C1,2024-01-07 09:30,5\n")
    msg, problems = fails("transactions", write(tmp_path, "tx.csv", text))
    p = only(problems)
    assert p.column == "date" and list(p.rows) == [2, 3, 4, 5]
    assert "'2024' (row 2), '2024-03' (row 3)" in msg


def test_date_format_with_mixed_time_zones(tmp_path):
    text = TX_HEAD + "T1,C1,2024-01-05 +0200,5\nT2,C1,2024-01-05 -0500,5\n"
    msg, _ = fails("transactions", write(tmp_path, "tx.csv", text), date_format="%Y-%m-%d %z")
    assert "the date format '%Y-%m-%d %z' cannot be applied" in msg


def test_missing_column_does_not_hide_value_problems(tmp_path):
    path = write(tmp_path, "tx.csv", "cust_id,date,amount\nC1,2024-01-05,-4\nC2,05/01/2024,3\n")
    msg, problems = fails("transactions", path)
    assert [p.column for p in problems] == ["customer_id", "date", "amount"]
    assert "did you mean 'cust_id'?" in msg and "'-4' (row 1)" in msg


def test_choice_alternative_with_empty_attributes(tmp_path):
    text = "respondent_id,task,alternative,delivery,fee,chosen\nR1,1,1,same_day,49,1\nR1,1,2,,,0\n"
    msg, problems = fails("choice", write(tmp_path, "choice.csv", text))
    assert "1 alternative(s) have empty attribute cells in 'delivery', 'fee'" in msg
    assert "add a none column with 1 on them" in msg and list(only(problems).rows) == [1, 2]


def test_choice_without_attribute_columns(tmp_path):
    text = "respondent_id,task,alternative,chosen\nR1,1,1,1\nR1,1,2,0\n"
    msg, _ = fails("choice", write(tmp_path, "choice.csv", text))
    assert "the file has no attribute columns" in msg


def test_dates_that_are_not_dates_at_all(tmp_path):
    msg, _ = fails("transactions", write(tmp_path, "tx.csv", TX_HEAD + "T1,C1,soon,5\nT2,C1,later,5\n"))
    assert "no value could be read as a date (ISO 8601 (YYYY-MM-DD)), e.g. 'soon' (row 1)" in msg
