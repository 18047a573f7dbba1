"""intake(): all data sets together, cross-file links, summary/report/write."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.data.datasamples import SURVEY, TRANSACTIONS, write
from cvkit.data import DataError, FileSpec, Intake, IntakePolicy, intake


def test_valid_engagement(valid_files):
    result = intake(valid_files)
    assert isinstance(result, Intake) and result.ok and result.problems == []
    assert set(result.tables) == set(valid_files)
    assert result["transactions"]["amount"].sum() == pytest.approx(167.4)
    result.raise_for_problems()  # no-op


def test_summary(valid_files):
    summary = intake(valid_files).summary()
    assert list(summary.columns) == ["kind", "file", "status", "rows", "excluded", "columns",
                                     "date_from", "date_to", "problems"]
    tx = summary.set_index("kind").loc["transactions"]
    assert (tx["rows"], tx["excluded"], tx["columns"], tx["status"]) == (5, 0, 4, "ok")
    assert tx["date_from"] == pd.Timestamp("2024-01-05") and tx["date_to"] == pd.Timestamp("2024-04-02")
    assert pd.isna(summary.set_index("kind").loc["survey", "date_from"])


def test_relative_paths_filespecs_and_dicts(valid_files, tmp_path):
    orders = write(tmp_path, "orders.csv", "Kunde;Datum;Umsatz\nC001;05/01/2024;12,5\n")
    result = intake({
        "customers": "customers.csv",
        "transactions": {"path": "orders.csv", "columns": {"customer_id": "Kunde", "date": "Datum",
                                                            "amount": "Umsatz"},
                         "date_format": "%d/%m/%Y", "decimal": ","},
        "survey": FileSpec(path=str(valid_files["survey"])),
    }, base_dir=tmp_path)
    assert result.ok, result.report()
    assert result.files["transactions"] == str(orders)
    assert result["transactions"].loc[0, "amount"] == 12.5
    assert result["transactions"].loc[0, "date"] == pd.Timestamp("2024-01-05")


def test_problems_from_all_files_are_collected(valid_files, tmp_path):
    bad_tx = write(tmp_path, "tx_bad.csv", TRANSACTIONS.replace("19.90", "-19.90"))
    bad_survey = write(tmp_path, "survey_bad.csv", SURVEY.replace("nps", "npss"))
    result = intake({**valid_files, "transactions": bad_tx, "survey": bad_survey, "surveys": "x.csv"})
    assert not result.ok
    files = [p.file for p in result.problems]
    assert str(bad_tx) in files and str(bad_survey) in files
    assert any("unknown data set 'surveys'; did you mean 'survey'?" in str(p) for p in result.problems)
    summary = result.summary().set_index("kind")
    assert summary.loc["survey", "status"] == "failed" and summary.loc["transactions", "status"] == "problems"
    with pytest.raises(DataError) as info:
        result.raise_for_problems()
    assert len(info.value.problems) == 3


def test_orphans_excluded_are_counted(valid_files, tmp_path):
    tx = write(tmp_path, "tx.csv", TRANSACTIONS + "T6,C999,2024-05-01,5\n")
    result = intake({"customers": valid_files["customers"], "transactions": tx},
                    policy=IntakePolicy(orphan_ids="exclude"))
    assert result.ok
    assert len(result["transactions"]) == 5
    ex = result.excluded()
    assert ex.to_dict(orient="records") == [
        {"kind": "transactions", "reason": "orphan customer_id (not in customers)", "count": 1}]
    rows = result.excluded_rows()
    assert rows.loc[0, "row"] == 6 and '"customer_id":"C999"' in rows.loc[0, "values"]
    assert result.summary().set_index("kind").loc["transactions", "excluded"] == 1
    report = result.report()
    assert "Rows excluded by the intake policy:" in report and "orphan customer_id (not in customers)" in report


def test_orphans_kept_are_noted(valid_files, tmp_path):
    tx = write(tmp_path, "tx.csv", TRANSACTIONS + "T6,C999,2024-05-01,5\n")
    result = intake({"customers": valid_files["customers"], "transactions": tx},
                    policy=IntakePolicy(orphan_ids="keep"))
    assert result.ok and len(result["transactions"]) == 6
    assert "1 row(s) (1 IDs) have a customer_id not in customers" in result.report()


def test_survey_customer_link_ignores_empty_customer_ids(valid_files):
    # The demo survey has respondents without customer_id (non-customers): not orphans.
    result = intake({"customers": valid_files["customers"], "survey": valid_files["survey"]})
    assert result.ok


def test_report_lists_loaded_files_and_problems(valid_files, tmp_path):
    bad = write(tmp_path, "tx.csv", TRANSACTIONS.replace("2024-02-01", "2024-02-31"))
    report = intake({"customers": valid_files["customers"], "transactions": bad}).report()
    assert report.startswith("Data intake report")
    assert "customers             4 rows, 0 excluded, 6 columns, 2024-01-05 to 2024-04-02" in report
    assert "1 problem found:" in report and "'2024-02-31' (row 2)" in report and "Fix:" in report
    assert "No problems found." in intake({"needs": valid_files["needs"]}).report()


def test_write(valid_files, tmp_path):
    result = intake(valid_files, policy=IntakePolicy(orphan_ids="exclude"))
    written = result.write(tmp_path / "run" / "data")
    assert {p.name for p in written.values()} == {f"{k}.parquet" for k in valid_files} | {"excluded.csv"}
    for kind in valid_files:
        back = pd.read_parquet(written[kind])
        pd.testing.assert_frame_equal(back, result[kind], check_categorical=False)
    excluded = pd.read_csv(written["excluded"])
    assert list(excluded.columns) == ["kind", "file", "row", "reason", "values"] and excluded.empty


def test_empty_intake():
    result = intake({})
    assert result.ok and result.summary().empty and result.excluded().empty
    assert "No data files were given." in result.report()


def test_report_notes_encoding_fallback_and_title_rows(tmp_path):
    from tests.data.datasamples import CUSTOMERS

    path = write(tmp_path, "customers.csv", "CRM export\n" + CUSTOMERS.replace("North", "Zürich"),
                 encoding="cp1252")
    result = intake({"customers": path})
    assert result.ok and result["customers"].loc[0, "region"] == "Zürich"
    report = result.report()
    assert "customers: the file is not UTF-8; it was read as cp1252" in report
    assert "customers: the header is on line 2" in report


def test_problems_table(valid_files, tmp_path):
    bad = write(tmp_path, "tx.csv", TRANSACTIONS.replace("19.90", "-19.90").replace("2024-02-01", "soon"))
    table = intake({"transactions": bad}).problems_table()
    assert list(table.columns) == ["file", "column", "rows", "n_rows", "message", "fix"]
    assert table["column"].tolist() == ["date", "amount"] and table["rows"].tolist() == ["2", "1"]
    assert intake({"needs": valid_files["needs"]}).problems_table().empty
