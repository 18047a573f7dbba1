"""Small valid engagement files and a byte-exact writer, shared by the data-intake tests.

A plain module (not conftest) so `from tests.data.datasamples import ...` is unambiguous when the
whole suite runs: tests/conftest.py also exists.
"""

from __future__ import annotations

from pathlib import Path

CUSTOMERS = """customer_id,acquisition_date,channel,acquisition_cost,region,age_band
C001,2024-01-05,online,12.50,North,25-34
C002,2024-02-11,store,30,South,35-44
C003,2024-03-20,referral,0,East,18-24
C004,2024-04-02,online,,West,65+
"""

TRANSACTIONS = """transaction_id,customer_id,date,amount
T1,C001,2024-01-05,19.90
T2,C001,2024-02-01,5
T3,C002,2024-02-11,100.00
T4,C003,2024-03-21,0
T5,C004,2024-04-02,42.5
"""

SURVEY = """respondent_id,customer_id,brand,nps,satisfaction,overall_value,perceived_quality,perceived_price,wave,saves_time,quality
R1,C001,Demo Retail,9,8,7,8,5,2026-Q2,8,7
R1,C001,ValueMart,6,6,6,5,3,2026-Q2,5,4
R2,,Demo Retail,10,10,9,9,6,2026-Q2,9,9
R2,,ValueMart,3,4,,4,2,2026-Q2,,3
R3,C002,Demo Retail,0,1,2,3,8,2026-Q2,1,2
"""

NEEDS = """respondent_id,imp_saves_time,imp_quality,imp_reduces_cost
R1,8,7,3
R2,5,9,10
R3,0,10,2
"""

# Two respondents x two tasks x (two concepts + none).
CHOICE = """respondent_id,task,alternative,delivery,returns,extras,fee,none,chosen
R1,1,1,same_day,free,streaming,49,0,1
R1,1,2,standard,paid,none,29,0,0
R1,1,3,,,,,1,0
R1,2,1,next_day,paid,priority_service,89,0,0
R1,2,2,standard,free,partner_discounts,69,0,0
R1,2,3,,,,,1,1
R2,1,1,same_day,free,streaming,49,0,0
R2,1,2,standard,paid,none,29,0,1
R2,1,3,,,,,1,0
R2,2,1,next_day,paid,priority_service,89,0,1
R2,2,2,standard,free,partner_discounts,69,0,0
R2,2,3,,,,,1,0
"""

UTILITIES = """respondent_id,delivery.standard,delivery.next_day,delivery.same_day,returns.paid,returns.free,fee,none
R1,-1.5,0.3,1.2,-0.5,0.5,-0.03,-2.4
R2,-0.2,0.1,0.1,-0.7,0.7,-0.055,-3.9
"""

VALID = {"customers": CUSTOMERS, "transactions": TRANSACTIONS, "survey": SURVEY, "needs": NEEDS,
         "choice": CHOICE, "utilities": UTILITIES}


def write(folder: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``folder/name`` with exactly the given encoding (no newline translation)."""
    path = folder / name
    path.write_bytes(text.encode(encoding))
    return path


