"""`cvkit validate` exit 0 => `cvkit run` does not stop on a config or data problem.

Checked over the reliability corpus (tests/reliability/cases: every broken engagement must be caught
by validate, or else run to a deliverable) and over settings that used to pass validate and fail at
run (a calibration window outside the log, a holdout after the last purchase, a blank segment
column, an RFM rule file by relative path, a weights column). The zoo checks the same property on
real engagements (test_zoo.py: validate clean, then run succeeds).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from cvkit.cli import main
from tests.reliability.engagements import small_clv_engagement

CASES = sorted(p for p in (Path(__file__).resolve().parent.parent / "reliability" / "cases").iterdir() if p.is_dir())


def _validate(config: Path, capsys) -> tuple[int, str]:
    rc = main(["validate", str(config)])
    captured = capsys.readouterr()
    return rc, captured.out + captured.err


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_a_corpus_case_validate_passes_also_runs(case, tmp_path, capsys):
    folder = tmp_path / case.name
    shutil.copytree(case, folder)
    rc, _ = _validate(folder, capsys)
    if rc != 0:
        return  # caught before the run, as it should be
    assert main(["run", str(folder), "--output-dir", str(tmp_path / "out")]) == 0, capsys.readouterr().err[-3000:]


def _edit(config: Path, **clv) -> None:
    raw = yaml.safe_load(config.read_text())
    raw["analyses"]["clv"].update(clv)
    config.write_text(yaml.safe_dump(raw, sort_keys=False))


@pytest.mark.parametrize("settings, key", [
    ({"calibration_end": "1996-06-30"}, "analyses.clv.calibration_end: 1996-06-30 leaves no calibration period"),
    ({"calibration_end": "1998-07-15"}, "analyses.clv.calibration_end: 1998-07-15 leaves no holdout period"),
    ({"calibration_end": "", "holdout_months": 30}, "analyses.clv.holdout_months: 30"),
])
def test_a_calibration_window_outside_the_log_is_caught_at_validate(settings, key, tmp_path, capsys):
    config = small_clv_engagement(tmp_path / "e")
    _edit(config, **settings)
    rc, text = _validate(config, capsys)
    assert rc == 1 and key in text
    assert ".building-" not in text and "tables/" not in text  # the user's key, never an internal path
    # run stops at the same place with the same words, before any notebook
    assert main(["run", str(config), "--output-dir", str(tmp_path / "out")]) == 1
    assert key in capsys.readouterr().err


def test_a_holdout_after_the_last_purchase_is_caught(tmp_path, capsys):
    config = small_clv_engagement(tmp_path / "e")
    raw = yaml.safe_load(config.read_text())
    raw["analysis_date"] = "1999-06-30"
    raw["analyses"]["clv"]["calibration_end"] = "1998-12-31"
    config.write_text(yaml.safe_dump(raw, sort_keys=False))
    rc, text = _validate(config, capsys)
    assert rc == 1 and "after the last transaction" in text and "set analysis_date to 1998-06-" in text


def _with_customers(folder: Path, config: Path, **columns) -> None:
    import pandas as pd

    tx = pd.read_csv(folder / "data" / "transactions.csv", dtype=str)
    first = tx.groupby("customer_id")["date"].min()
    customers = pd.DataFrame({"customer_id": first.index, "acquisition_date": first.to_numpy(), **columns})
    customers.to_csv(folder / "data" / "customers.csv", index=False)
    raw = yaml.safe_load(config.read_text())
    raw["data"]["customers"] = "data/customers.csv"
    config.write_text(yaml.safe_dump(raw, sort_keys=False))


def test_a_blank_or_absent_segment_column_is_caught_with_the_columns_that_would_do(tmp_path, capsys):
    folder = tmp_path / "e"
    config = small_clv_engagement(folder)
    _with_customers(folder, config, region=["North", "South"] * 30, channel=[""] * 60)
    _edit(config, segment_column="channel")
    rc, text = _validate(config, capsys)
    assert rc == 1 and "analyses.clv.segment_column: 'channel' is blank for 100% of customers" in text
    assert "set analyses.clv.segment_column to region" in text
    _edit(config, segment_column="age_band")
    rc, text = _validate(config, capsys)
    assert rc == 1 and "'age_band' is not a column of the customers file" in text
    _edit(config, segment_column="region")
    assert _validate(config, capsys)[0] == 0


def test_a_weights_column_is_refused_with_its_fix(tmp_path, capsys):
    import pandas as pd

    folder = tmp_path / "e"
    config = small_clv_engagement(folder)
    tx = pd.read_csv(folder / "data" / "transactions.csv", dtype=str).assign(weights=3)
    tx.to_csv(folder / "data" / "transactions.csv", index=False)
    rc, text = _validate(config, capsys)
    assert rc == 1 and "data.transactions: the file has a 'weights' column" in text and "Fix: expand" in text


def test_an_rfm_rule_file_by_relative_path_resolves_is_used_and_hashed(tmp_path, capsys):
    from cvkit.resources import templates_dir

    folder = tmp_path / "e"
    config = small_clv_engagement(folder, customers=300)
    rules = (templates_dir() / "rfm_segments.csv").read_text().replace("Champions", "Best customers")
    (folder / "rules").mkdir()
    (folder / "rules" / "our_rfm.csv").write_text(rules)
    raw = yaml.safe_load(config.read_text())
    raw["analyses"]["segmentation"] = {"enabled": True, "rfm_rules": "rules/our_rfm.csv"}
    raw["analyses"]["clv"]["enabled"] = False
    config.write_text(yaml.safe_dump(raw, sort_keys=False))
    assert _validate(config, capsys)[0] == 0
    out = tmp_path / "out"
    assert main(["run", str(config), "--output-dir", str(out)]) == 0, capsys.readouterr().err[-3000:]
    deliverable = out / "small"
    assert "Best customers" in (deliverable / "tables" / "segment" / "rfm_segments.csv").read_text()
    manifest = json.loads((deliverable / "manifest.json").read_text())
    hashed = {i["kind"]: i for i in manifest["inputs"]}
    assert "analyses.segmentation.rfm_rules" in hashed and len(hashed["analyses.segmentation.rfm_rules"]["sha256"]) == 64
    # a missing rule file is a config error naming the key
    raw["analyses"]["segmentation"]["rfm_rules"] = "rules/missing.csv"
    config.write_text(yaml.safe_dump(raw, sort_keys=False))
    rc, text = _validate(config, capsys)
    assert rc == 1 and "analyses.segmentation.rfm_rules: file 'rules/missing.csv' not found" in text


def test_none_means_no_file(tmp_path, capsys):
    folder = tmp_path / "e"
    config = small_clv_engagement(folder)
    raw = yaml.safe_load(config.read_text())
    raw["analyses"]["segmentation"] = {"enabled": False, "partworths_file": "none"}
    config.write_text(yaml.safe_dump(raw, sort_keys=False))
    assert _validate(config, capsys)[0] == 0


def test_an_rfm_rule_file_the_segmentation_cannot_read_is_refused_by_validate(tmp_path, capsys):
    """The run's load_rfm_rules refused it (the run failed after a clean validate): validate reads it the same way."""
    folder = tmp_path / "e"
    config = small_clv_engagement(folder, customers=300)
    (folder / "rules").mkdir()
    raw = yaml.safe_load(config.read_text())
    raw["analyses"]["segmentation"] = {"enabled": True, "rfm_rules": "rules/our_rfm.csv"}
    config.write_text(yaml.safe_dump(raw, sort_keys=False))
    for rules, message in [("priority,match_on,pattern,segment\n1,RX,11,Lost\n2,RF,.*,Others\n",
                            "rule 1: match_on='RX' must be letters from R, F, M"),
                           ("priority,match_on,pattern,segment\n1,RF,[4-5]5,Champions\n",
                            "cells match no rule"),
                           ("priority,segment\n1,Lost\n", "lacks column(s)")]:
        (folder / "rules" / "our_rfm.csv").write_text(rules)
        rc, text = _validate(config, capsys)
        assert rc == 1 and "analyses.segmentation.rfm_rules: " in text and message in text, text


def test_a_clv_breakdown_asked_for_without_a_customers_file_is_refused(tmp_path, capsys):
    folder = tmp_path / "e"
    config = small_clv_engagement(folder, customers=300)
    raw = yaml.safe_load(config.read_text())
    raw["analyses"]["clv"]["segment_column"] = "channel"
    config.write_text(yaml.safe_dump(raw, sort_keys=False))
    rc, text = _validate(config, capsys)
    assert rc == 1 and "analyses.clv.segment_column: 'channel' is a column of the customers file" in text
    assert "Fix: give data.customers" in text
    del raw["analyses"]["clv"]["segment_column"]  # the default (channel) without customers: no breakdown, no error
    config.write_text(yaml.safe_dump(raw, sort_keys=False))
    assert _validate(config, capsys)[0] == 0


def test_a_label_for_a_code_the_data_never_writes_is_noted_with_a_did_you_mean(tmp_path, capsys):
    folder = tmp_path / "e"
    config = small_clv_engagement(folder, customers=300)
    raw = yaml.safe_load(config.read_text())
    raw["labels"] = {"amount": "Net sales", "amuont": "Net sales (typo)"}
    config.write_text(yaml.safe_dump(raw, sort_keys=False))
    rc, text = _validate(config, capsys)
    assert rc == 0  # a note, not a problem: the run is not affected
    assert "Note: labels.amuont: matches no column, attribute or value of the data" in text
    assert "Did you mean 'amount'?" in text and "labels.amount:" not in text
