"""Summaries: conventions of Fader, Hardie & Lee / lifetimes, input types, bad input."""

from __future__ import annotations

import duckdb
import ibis
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from cvkit.clv import calibration_holdout_split, cohort_table, summarize, summary_expression
from cvkit.data.errors import DataError
from cvkit.datasets.cdnow import load_cdnow_sample


def _log(rows):
    return pd.DataFrame(rows, columns=["customer_id", "date", "amount"]).assign(
        date=lambda d: pd.to_datetime(d["date"], format="ISO8601"))


def _reference(df: pd.DataFrame, end: str, unit_days: float) -> pd.DataFrame:
    """Independent pandas implementation of the lifetimes conventions (daily periods)."""
    d = df.assign(day=df["date"].dt.normalize())
    d = d[d["day"] <= pd.Timestamp(end)]
    per = d.groupby(["customer_id", "day"], as_index=False)["amount"].sum().sort_values(["customer_id", "day"])
    rows = []
    for cid, g in per.groupby("customer_id"):
        first, last = g["day"].iloc[0], g["day"].iloc[-1]
        rep = g["amount"].iloc[1:]
        rows.append(dict(customer_id=str(cid), frequency=float(len(g) - 1),
                         recency=(last - first).days / unit_days,
                         T=(pd.Timestamp(end) - first).days / unit_days,
                         monetary_value=float(rep.mean()) if len(rep) else 0.0))
    return pd.DataFrame(rows).sort_values("customer_id").reset_index(drop=True)


def test_same_day_purchases_collapse_and_first_purchase_is_excluded_from_monetary_value():
    log = _log([
        ("a", "2024-01-01", 10.0), ("a", "2024-01-01 15:00", 5.0),  # same day: one occasion worth 15
        ("a", "2024-01-08", 20.0), ("a", "2024-01-15", 40.0),
        ("b", "2024-01-03", 7.0),
    ])
    s = summarize(log, time_unit="W", observation_end="2024-01-29")
    a, b = s.set_index("customer_id").loc["a"], s.set_index("customer_id").loc["b"]
    assert a["frequency"] == 2 and a["n_periods"] == 3 and a["n_transactions"] == 4
    assert a["recency"] == pytest.approx(2.0) and a["T"] == pytest.approx(4.0)
    assert a["monetary_value"] == pytest.approx(30.0)  # mean of 20 and 40, first occasion excluded
    assert a["total_amount"] == pytest.approx(75.0)
    assert b["frequency"] == 0 and b["monetary_value"] == 0 and b["recency"] == 0
    assert b["T"] == pytest.approx(26 / 7)
    assert s["last_purchase"].iloc[0] == pd.Timestamp("2024-01-15")


def test_weekly_periods_collapse_the_same_week_and_give_whole_weeks():
    log = _log([("a", "2024-01-01", 1.0), ("a", "2024-01-03", 2.0),  # Mon and Wed: same week
                ("a", "2024-01-10", 4.0)])
    s = summarize(log, time_unit="W", period="W", observation_end="2024-01-21")
    assert s["frequency"].tolist() == [1.0]
    assert s["recency"].tolist() == [1.0] and s["T"].tolist() == [2.0]
    assert s["monetary_value"].tolist() == [4.0]


def test_monthly_periods_count_calendar_months():
    log = _log([("a", "2024-01-31", 1.0), ("a", "2024-02-01", 2.0), ("a", "2024-04-15", 3.0)])
    s = summarize(log, time_unit="M", period="M", observation_end="2024-06-30")
    assert s[["frequency", "recency", "T"]].iloc[0].tolist() == [2.0, 3.0, 5.0]


@pytest.mark.parametrize("unit,days", [("D", 1.0), ("W", 7.0), ("M", 365.25 / 12)])
def test_matches_independent_reference_on_random_logs(unit, days):
    rng = np.random.default_rng(7)
    n = 3000
    log = pd.DataFrame({
        "customer_id": rng.integers(0, 300, n).astype(str),
        "date": pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 365 * 24, n), unit="h"),
        "amount": rng.gamma(2.0, 10.0, n).round(2),
    })
    got = summarize(log, time_unit=unit, observation_end="2024-01-05")
    want = _reference(log, "2024-01-05", days)
    pd.testing.assert_frame_equal(got[want.columns.tolist()], want, check_exact=False, rtol=1e-12)


@pytest.mark.parametrize("period", ["D", "W", "M"])
def test_without_an_end_date_the_window_ends_on_the_last_day_of_the_log(period):
    # The default window skips the date filter and takes T's end from the customers' last periods:
    # it must give exactly the summary with observation_end = the log's last day (a Friday, not a month end).
    rng = np.random.default_rng(11)
    n = 2000
    log = pd.DataFrame({
        "customer_id": rng.integers(0, 150, n).astype(str),
        "date": pd.Timestamp("2023-03-05") + pd.to_timedelta(rng.integers(0, 300 * 24, n), unit="h"),
        "amount": rng.gamma(2.0, 10.0, n).round(2),
    })
    last = log["date"].max().normalize()
    assert last.day_of_week == 4 and last.day not in (1, last.days_in_month)
    got = summarize(log, time_unit="W", period=period)
    want = summarize(log, time_unit="W", period=period, observation_end=last)
    pd.testing.assert_frame_equal(got, want, check_exact=True)


# Ids of 1-8 bytes are summarised under an exact integer image of their bytes (DuckDB); the prefix
# "customer-" (9 bytes) keeps every id on the string path, so the two paths can be compared row by row.
_ID_SETS = {  # name: (ids, keyed)
    "one length of 8 bytes": (["C0012345", "C0000001", "C9999999", "A0000000", "é000001"], True),
    "one length of 1 byte": (["b", "a", "z", "0", "~"], True),
    "1-7 bytes, a prefix of another, NUL and non-ASCII bytes": (
        ["a", "ab", "a\x00", "b", "é", "ÿz", "zzzzzzz", "\x00", "é\x00"], True),
    "8 and 9 bytes (string key)": (["C0012345", "C00123456", "a"], False),
    "an empty id (string key)": (["", "a", "bb"], False),
}


@pytest.mark.parametrize("ids,expect_keys", list(_ID_SETS.values()), ids=list(_ID_SETS))
def test_short_string_ids_give_the_same_summary_as_the_string_path(ids, expect_keys, monkeypatch):
    import cvkit.clv.summary as summary_module

    keyed = []
    real = summary_module._id_key_table
    monkeypatch.setattr(summary_module, "_id_key_table", lambda *a: keyed.append(a[-1]) or real(*a))
    rng = np.random.default_rng(3)
    n = 400
    log = pd.DataFrame({"customer_id": pd.array(rng.choice(np.array(ids, dtype=object), n), dtype="str"),
                        "date": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 90, n), unit="D"),
                        "amount": rng.gamma(2.0, 10.0, n).round(2)})
    for kwargs in ({"time_unit": "W"}, {"time_unit": "D", "calibration_end": "2024-02-15", "period": "W"}):
        got = summarize(log, **kwargs)
        padded = summarize(log.assign(customer_id="customer-" + log["customer_id"]), **kwargs)
        want = padded.assign(customer_id=padded["customer_id"].str.removeprefix("customer-"))
        pd.testing.assert_frame_equal(got, want, check_exact=True)
        assert got["customer_id"].tolist() == sorted(set(log["customer_id"]), key=lambda c: c.encode())
    assert bool(keyed) == expect_keys


def test_id_keys_are_used_for_ids_of_one_to_eight_bytes_only():
    from cvkit.clv.summary import _id_codec

    def codec(lo, hi, missing=0):
        return _id_codec(pd.Series({"id_min_bytes": lo, "id_max_bytes": hi, "id_missing": missing}))

    assert codec(8, 8) == ("fixed", 8) and codec(3, 3) == ("fixed", 3) and codec(1, 7) == ("var", 7)
    assert codec(1, 8) is None and codec(9, 9) is None and codec(0, 3) is None
    assert codec(1, 3, missing=1) is None and codec(np.nan, np.nan) is None


def test_cdnow_calibration_counts_match_the_papers():
    s = calibration_holdout_split(load_cdnow_sample(), "1997-09-30", "1998-06-30", time_unit="W")
    assert len(s) == 2357
    assert int((s["frequency"] > 0).sum()) == 946
    # Fader, Hardie & Lee (2005): 2,457 repeat purchases in calibration; holdout 39 weeks.
    assert s["frequency"].sum() == 2457
    assert s["duration_holdout"].unique().tolist() == [39.0]
    assert s["T"].max() == pytest.approx(272 / 7)
    assert s["T"].min() == pytest.approx(27.0)  # last acquisition 1997-03-25, 189 days before the end
    assert (s["recency"] <= s["T"]).all()


def test_holdout_excludes_customers_born_after_calibration_and_fills_zeros():
    log = _log([("a", "2024-01-01", 5.0), ("a", "2024-02-10", 6.0), ("a", "2024-02-11", 8.0),
                ("b", "2024-01-20", 1.0), ("c", "2024-02-05", 9.0)])
    s = summarize(log, time_unit="D", calibration_end="2024-01-31", observation_end="2024-02-29")
    assert s["customer_id"].tolist() == ["a", "b"]
    a = s.iloc[0]
    assert a["frequency_holdout"] == 2 and a["monetary_value_holdout"] == pytest.approx(7.0)
    assert s.iloc[1]["frequency_holdout"] == 0 and s.iloc[1]["monetary_value_holdout"] == 0
    assert a["duration_holdout"] == 29 and a["T"] == 30


def test_accepts_csv_parquet_glob_duckdb_relation_and_ibis_table(tmp_path):
    log = load_cdnow_sample()[["customer_id", "date", "amount"]]
    want = summarize(log, time_unit="W")
    log.to_csv(tmp_path / "log.csv", index=False)
    log.iloc[:3000].to_parquet(tmp_path / "part1.parquet")
    log.iloc[3000:].to_parquet(tmp_path / "part2.parquet")
    for source in (tmp_path / "log.csv", str(tmp_path / "part*.parquet"),
                   duckdb.connect().from_df(log), ibis.memtable(pa.Table.from_pandas(log))):
        got = summarize(source, time_unit="W")
        pd.testing.assert_frame_equal(got, want, check_exact=False, rtol=1e-12)


def test_expression_is_one_ibis_table_with_the_contract_columns():
    t = ibis.table({"customer_id": "string", "date": "timestamp", "amount": "float64"}, name="tx")
    expr = summary_expression(t, time_unit="W", calibration_end="1997-09-30")
    assert isinstance(expr, ibis.Table)
    assert expr.columns == ("customer_id", "frequency", "recency", "T", "monetary_value", "first_purchase",
                            "last_purchase", "n_periods", "n_transactions", "total_amount",
                            "frequency_holdout", "monetary_value_holdout", "duration_holdout")


def test_custom_column_names():
    log = _log([("a", "2024-01-01", 1.0), ("a", "2024-01-03", 2.0)]).rename(
        columns={"customer_id": "cust", "date": "ts", "amount": "value"})
    s = summarize(log, customer_col="cust", date_col="ts", amount_col="value")
    assert s["frequency"].tolist() == [1.0] and s["recency"].tolist() == [2.0]


def test_transactions_after_observation_end_are_reported():
    log = _log([("a", "2024-01-01", 1.0), ("a", "2024-03-01", 2.0), ("b", "2024-03-05", 2.0)])
    with pytest.raises(DataError, match=r"2 transactions are dated after the observation end 2024-02-01.*Fix"):
        summarize(log, observation_end="2024-02-01")


@pytest.mark.parametrize("cal_end", ["2023-06-01", "2024-12-31", "2024-03-01"])
def test_calibration_end_outside_the_data_is_reported(cal_end):
    log = _log([("a", "2024-01-01", 1.0), ("a", "2024-03-01", 2.0)])
    with pytest.raises(DataError, match="calibration end .* outside the data range"):
        summarize(log, calibration_end=cal_end)


def test_observation_end_before_first_purchase_is_reported():
    log = _log([("a", "2024-01-01", 1.0)])
    with pytest.raises(DataError, match="before the first purchase"):
        summarize(log, observation_end="2023-12-01")


def test_missing_values_and_columns_are_reported():
    log = _log([("a", "2024-01-01", 1.0), (None, "2024-01-02", 1.0), ("b", None, np.nan)])
    with pytest.raises(DataError) as err:
        summarize(log)
    text = str(err.value)
    assert "1 transactions have no customer_id" in text and "no date" in text and "no amount" in text
    with pytest.raises(DataError, match="no column"):
        summarize(log.drop(columns="amount"))


def test_bad_time_unit_and_input_type():
    with pytest.raises(ValueError, match="time unit"):
        summarize(_log([("a", "2024-01-01", 1.0)]), time_unit="Y")
    with pytest.raises(TypeError, match="transactions must be"):
        summarize([1, 2, 3])


def test_cohort_table_counts_customers_and_repeaters():
    s = calibration_holdout_split(load_cdnow_sample(), "1997-09-30", time_unit="W")
    c = cohort_table(s, cohort="M")
    assert c["cohort"].tolist() == ["1997-01", "1997-02", "1997-03"]
    assert c["customers"].sum() == 2357 and c["repeat_customers"].sum() == 946
    assert ((c["repeat_rate"] > 0) & (c["repeat_rate"] < 1)).all()
    # older cohorts had more time to come back
    assert c["mean_T"].is_monotonic_decreasing
