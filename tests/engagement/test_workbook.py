"""The Excel workbook: contents sheet first, page order, frozen headers, number formats, IDs kept as text."""

from pathlib import Path

import openpyxl
import pandas as pd

from cvkit.engagement.outputs import Outputs
from cvkit.engagement.report import write_workbook

NUMBER_KINDS = ("0", "#", "%")


def _tables(root: Path) -> Path:
    out = Outputs(root, "clv")
    out.table(pd.DataFrame({"customer_id": ["00001", "1E5", "12345678901234567890", "NA", "TRUE"],
                            "clv": [1234.5, 10.0, 0.5, 99.0, 2.0], "p_alive": [0.9, 0.5, 0.1, 0.2, 0.3],
                            "note": ["=HYPERLINK(\"http://x\")", "+1+2", "@SUM(A1)", "\tx", "ok"]}), "customers")
    syn = Outputs(root, "synthesis")
    syn.table(pd.DataFrame({"topic": ["value"], "text": ["CLV is high"]}), "findings")
    drv = Outputs(root, "drivers")
    drv.table(pd.DataFrame({"brand": ["A", "B"], "n": [150, 120], "nps": [12.3, -4.0], "promoters_pct": [40.0, 30.5]}),
              "nps_csat_by_brand")
    drv.table(pd.DataFrame({"setting": ["spec"], "value": ['{"a": [1, 2], "b": "x"}']}), "setup")
    return root / "tables"


def test_workbook_has_contents_order_frozen_headers_and_formats(tmp_path):
    book = write_workbook(_tables(tmp_path), tmp_path / "book.xlsx", locale="en_IE", currency="EUR")
    wb = openpyxl.load_workbook(book)
    assert wb.sheetnames[0] == "Contents"
    assert wb.sheetnames[1:] == ["Summary findings", "Drivers nps csat by brand", "Drivers setup", "CLV customers"]
    contents = [[c.value for c in row] for row in wb["Contents"].iter_rows(min_row=2)]
    assert [r[0] for r in contents] == wb.sheetnames[1:]
    assert contents[-1][2] == "Customer lifetime value"
    for ws in wb.worksheets:
        assert ws.freeze_panes == "A2", ws.title
        assert all(c.font.bold for c in ws[1])
        for row in ws.iter_rows(min_row=2):
            for cell in row:
                if isinstance(cell.value, (int, float)) and not isinstance(cell.value, bool):
                    assert cell.number_format.startswith(('"€"', "+", *NUMBER_KINDS)), (ws.title, cell.number_format)
    clv = wb["CLV customers"]
    assert [c.value for c in clv[1]] == ["Customer", "CLV", "P(active)", "Note"]
    ids = [clv.cell(row=i, column=1).value for i in range(2, 7)]
    assert ids == ["00001", "1E5", "12345678901234567890", "NA", "TRUE"]
    assert clv["B2"].number_format == '"€"#,##0' and clv["C2"].number_format.endswith("%")
    notes = [clv.cell(row=i, column=4) for i in range(2, 6)]
    assert all(c.data_type == "s" and c.quotePrefix for c in notes)  # formulas are inert text
    nps = wb["Drivers nps csat by brand"]
    assert nps["D2"].value == 0.4 and nps["D2"].number_format.endswith("%")  # percents stored as fractions
    setup = wb["Drivers setup"]
    assert setup["B2"].value == "a: 1, 2; b: x"  # no JSON in a cell
