"""Property: any valid transaction log survives any supported CSV dialect unchanged."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cvkit.data import load

_ids = st.text(alphabet="ABCXYZ0123456789-_äé", min_size=1, max_size=8).filter(lambda s: s.strip() == s)
_rows = st.lists(
    st.tuples(_ids, st.dates(dt.date(1990, 1, 1), dt.date(2030, 12, 31)),
              st.decimals(min_value=0, max_value=10**7, places=2, allow_nan=False)),
    min_size=1, max_size=30, unique_by=lambda r: r[0])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=_rows, delimiter=st.sampled_from([",", ";", "\t", "|"]),
       encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "latin-1"]),
       decimal_comma=st.booleans())
def test_valid_transactions_roundtrip(tmp_path_factory, rows, delimiter, encoding, decimal_comma):
    decimal = "," if decimal_comma and delimiter != "," else "."
    lines = ["transaction_id" + delimiter + "customer_id" + delimiter + "date" + delimiter + "amount"]
    for i, (cid, day, amount) in enumerate(rows):
        text_amount = format(amount, "f").replace(".", decimal)
        lines.append(delimiter.join([f"T{i}", cid, day.isoformat(), text_amount]))
    path = tmp_path_factory.mktemp("rt") / "tx.csv"
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    df = load("transactions", path, decimal=decimal).df
    assert df["customer_id"].tolist() == [r[0] for r in rows]
    assert df["date"].tolist() == [pd.Timestamp(r[1]) for r in rows]
    assert df["amount"].tolist() == [float(r[2]) for r in rows]
