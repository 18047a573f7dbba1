"""Issue 14: bounded reads and clear errors that need a live file system (the rest is in cases/).

A FIFO cannot be committed to the corpus, so case 9 is here: a named pipe as the data file is
refused by ``cvkit validate`` and ``cvkit run`` at once (before, validate called it "empty" and run
hung hashing it, leaving a build folder). Also here: an element column empty in every row (it made
``plot_pyramid`` raise ``KeyError``), a large bomb against the default limit, and the limits'
own checks.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from cvkit.data import DataError, intake, limits
from tests.reliability.conftest import FIGURES, MEASURED
from tests.reliability.engagements import small_clv_engagement, tree_digest

CVKIT = [sys.executable, "-m", "cvkit.cli"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_fifo_as_data_file_is_refused_by_validate_and_run(tmp_path):
    config = small_clv_engagement(tmp_path / "eng", customers=20)
    tx = config.parent / "data" / "transactions.csv"
    tx.unlink()
    os.mkfifo(tx)  # nothing ever writes to it: opening it for reading would block forever
    before = tree_digest(config.parent)
    for command in (["validate", str(config)], ["run", str(config), "--output-dir", str(tmp_path / "out")]):
        proc = subprocess.run([*CVKIT, *command], capture_output=True, text=True, timeout=120)
        assert proc.returncode == 1, proc.stderr
        assert "data.transactions: 'data/transactions.csv' cannot be read: it is a named pipe (FIFO)" in proc.stderr
        assert "Traceback" not in proc.stderr
    assert tree_digest(config.parent) == before and not (tmp_path / "out").exists()
    FIGURES["special files refused at validate"] += 1


def test_element_column_empty_in_every_row_is_left_out_with_a_note(tmp_path):
    from cvkit.datasets.demo import demo_file

    survey = pd.read_csv(demo_file("survey"), dtype=str)
    from cvkit.data import SCHEMAS

    blank = [c.name for c in SCHEMAS["survey"].group if c.name in survey.columns][-1]
    survey[blank] = ""
    path = tmp_path / "survey.csv"
    survey.to_csv(path, index=False)
    result = intake({"survey": str(path)})
    assert result.ok, result.report()
    assert blank not in result["survey"].columns
    assert any(f"'{blank}'" in n and "empty in every row" in n for n in result.notes)


def test_xlsx_bomb_at_the_default_limit_fails_in_milliseconds(tmp_path):
    """22 million rows in a 3 MB workbook: refused from the zip directory, nothing unpacked."""
    path = tmp_path / "bomb.xlsx"
    row = b"<row><c><v>1</v></c></row>" * 40_000
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as fh:
            fh.write(b'<?xml version="1.0"?><worksheet><sheetData>')
            for _ in range(550):  # 22,000,000 rows, 572 MB (546 MiB) unpacked
                fh.write(row)
            fh.write(b"</sheetData></worksheet>")
    t0 = time.perf_counter()
    with pytest.raises(DataError, match=r"unpacks to 546 MB \(\d+ times") as info:
        limits.check_xlsx(path)
    seconds = time.perf_counter() - t0
    assert "save the sheet as CSV" in str(info.value)
    MEASURED["xlsx_bomb_refused_seconds"] = round(seconds, 4)
    MEASURED["xlsx_bomb_size_mb"] = round(path.stat().st_size / 2**20, 2)


def test_line_scan_finds_the_long_line_and_the_header(tmp_path):
    path = tmp_path / "x.csv"
    path.write_bytes(b"a,b\n" + b"1,2\n" * 1000 + b"3," + b"x" * 70_000 + b"\n4,5\n")
    with limits.using(limits.Limits(line_kb=64)):
        with pytest.raises(DataError, match="line 1,002 is longer than 64 KB"):
            limits.check_text_file(path)
    limits.check_text_file(path)  # within the default 1 MB
    path.write_bytes(b"h" * 200_000 + b"\n1\n")
    with pytest.raises(DataError, match="the header line is longer than 128 KB"):
        limits.check_text_file(path)


@pytest.mark.parametrize("special", ["/dev/zero", "/dev/null"])
def test_devices_are_never_opened(special):
    if not Path(special).exists():
        pytest.skip(f"{special} is not on this system")
    with pytest.raises(DataError, match="it is a character device"):
        limits.check_regular_file(Path(special))
