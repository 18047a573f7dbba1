"""The CLV page's log-level steps from the checked Parquet (on the engine) equal the DataFrame path.

Each case reads the same checked file twice: as the DataFrame notebook 04 used to hold
(``pd.read_parquet(tx_file, ...)``) and as the file the engine aggregates. The counts must be equal
exactly; sums of money may differ only in the order floats are added (relative 1e-12).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import cvkit.clv as clv
from cvkit.clv import aggregates
from cvkit.data import IntakePolicy
from cvkit.data.stream import checked_parquet
from cvkit.datasets.cdnow import load_cdnow_master
from cvkit.datasets.demo import demo_file
from cvkit.engagement import flags

LOGS = {"demo": ("2026-06-30", "2025-12-31"), "cdnow": ("1998-06-30", "1997-09-30")}


@pytest.fixture(scope="module", params=sorted(LOGS))
def log(request, tmp_path_factory) -> tuple[str, Path, pd.DataFrame]:
    """(name, checked Parquet file, the frame the notebook read from it)."""
    folder = tmp_path_factory.mktemp(request.param)
    if request.param == "demo":
        source, policy = demo_file("transactions"), None
    else:  # CDNOW repeats some rows exactly: genuine identical purchases, as the zoo engagement keeps them
        source, policy = folder / "cdnow.csv", IntakePolicy(duplicate_rows="keep")
        load_cdnow_master()[["customer_id", "date", "amount"]].to_csv(source, index=False)
    path = checked_parquet("transactions", source, folder / "check", policy=policy)
    return request.param, path, pd.read_parquet(path, columns=["customer_id", "date", "amount"])


def test_monthly_activity(log):
    _, path, tx = log
    frame, engine = aggregates.monthly_activity(tx), aggregates.monthly_activity(path)
    assert len(engine) == len(frame) and (engine.index == frame.index).all()  # same months (any time unit)
    assert (engine["customer_id"].to_numpy() == frame["customer_id"].to_numpy()).all()
    np.testing.assert_allclose(engine["amount"], frame["amount"], rtol=1e-12)


def test_monthly_activity_keeps_empty_months(tmp_path):
    tx = pd.DataFrame({"customer_id": ["a", "b", "a"], "amount": [1.0, 2.0, 4.0],
                       "date": pd.to_datetime(["2024-01-03", "2024-01-09", "2024-04-02"])})
    tx.to_parquet(tmp_path / "tx.parquet")
    engine = aggregates.monthly_activity(tmp_path / "tx.parquet")
    assert list(engine["customer_id"]) == [2, 0, 0, 1] and list(engine["amount"]) == [3.0, 0.0, 0.0, 4.0]
    pd.testing.assert_frame_equal(engine, aggregates.monthly_activity(tx), check_names=False,
                                  check_index_type=False, check_freq=False)


def _calibration(name, path):
    end, cal_end = LOGS[name]
    return clv.calibration_holdout_split(path, cal_end, end, time_unit="W"), pd.Timestamp(end)


def test_tracking(log):
    name, path, tx = log
    calibration, end = _calibration(name, path)
    model = clv.BetaGeoModel().fit(calibration)
    frame = clv.tracking(model, tx, calibration, end=end)
    pd.testing.assert_frame_equal(clv.tracking(model, path, calibration, end=end), frame)
    assert frame["actual"].iloc[-1] > 0
    # Without an end the tracking stops at the last repeat purchase, both ways.
    pd.testing.assert_frame_equal(clv.tracking(model, path, calibration), clv.tracking(model, tx, calibration))


def test_tracking_counts_one_occasion_per_day_and_only_after_the_first(tmp_path):
    tx = pd.DataFrame({"customer_id": ["a", "a", "a", "b", "c"], "amount": 1.0,
                       "date": pd.to_datetime(["2024-01-01 00:00", "2024-01-08 09:00", "2024-01-08 17:00",
                                               "2024-01-02 00:00", "2024-01-10 00:00"])})
    tx.to_parquet(tmp_path / "tx.parquet")
    first = pd.Series(pd.to_datetime(["2024-01-01", "2024-01-02"]), index=["a", "b"])
    counts = aggregates.repeat_purchase_days(tmp_path / "tx.parquet", first)
    assert counts.to_dict() == {pd.Timestamp("2024-01-08"): 1}
    pd.testing.assert_series_equal(counts, aggregates.repeat_purchase_days(tx, first), check_index_type=False)


def test_yearly_retention(log):
    name, path, tx = log
    end = pd.Timestamp(LOGS[name][0])
    summary = clv.summarize(path, time_unit="W", observation_end=end)
    frame = clv.yearly_retention(tx, summary, end, margin=0.3, annual_discount_rate=0.1)
    engine = clv.yearly_retention(path, summary, end, margin=0.3, annual_discount_rate=0.1)
    assert frame is not None and frame.start > 0
    assert (engine.start, engine.end, engine.new, engine.retention) == (frame.start, frame.end, frame.new,
                                                                      frame.retention)
    assert engine.annual_margin == pytest.approx(frame.annual_margin, rel=1e-12)
    assert engine.simple_clv == pytest.approx(frame.simple_clv, rel=1e-12)


@pytest.mark.parametrize("period", ["Y", "Q", "M"])
def test_participation(log, period):
    name, path, tx = log
    end = LOGS[name][0]
    frame = clv.participation_summary(tx, period=period, end=end)
    pd.testing.assert_frame_equal(clv.participation_summary(path, period=period, end=end), frame)
    if period == "Q":
        _, _, patterns = clv.analyse_participation(tx, period=period, end=end)
        pd.testing.assert_frame_equal(clv.analyse_participation(path, period=period, end=end)[2], patterns)
    # Without an end, the log's own last date, both ways.
    pd.testing.assert_frame_equal(clv.participation_summary(path, period=period),
                                  clv.participation_summary(tx, period=period))


@pytest.mark.parametrize("period", ["Y", "Q", "M"])
def test_participation_on_the_engine_brings_back_one_row_per_customer(log, period):
    """Per-customer rows from the engine give the summary that every distinct (customer, period) did."""
    name, path, _ = log
    cal_end = pd.Timestamp(LOGS[name][1])  # mid-log: later purchases must be left out on the engine too
    last_complete = (cal_end + pd.Timedelta(days=1)).to_period(period) - 1
    per = aggregates.customer_periods(path, period, (last_complete + 1).start_time)
    pairs = aggregates.period_participation(path, period)
    before = pairs[pairs["date"] < (last_complete + 1).start_time]
    assert per["customer_id"].is_unique and len(per) == before["customer_id"].nunique()
    assert per["periods"].sum() == len(before)
    if before.empty:  # no complete year before CDNOW's calibration end: nothing to summarise either way
        assert clv.participation_summary(path, period=period, end=cal_end).empty
    ends = [pd.Timestamp(LOGS[name][0])] + ([] if before.empty else [cal_end])
    for end in ends:
        pd.testing.assert_frame_equal(clv.participation_summary(path, period=period, end=end),
                                      clv.participation_summary(pairs, period=period, end=end))


def test_participation_on_the_engine_handles_partial_periods(tmp_path):
    """An end inside a period, several purchases in one period, and a customer first seen after the end."""
    tx = pd.DataFrame({"customer_id": ["a", "a", "a", "b", "b", "c", "d", "a"],
                       "date": pd.to_datetime(["2023-02-01", "2023-02-20", "2023-07-09", "2023-05-01", "2024-03-31",
                                               "2024-01-05", "2024-08-01", "2024-06-29"]),
                       "amount": 1.0})
    tx.to_parquet(tmp_path / "tx.parquet")
    for period in ("Y", "Q", "M"):
        for end in ("2024-06-29", "2024-06-30", "2024-12-31"):
            engine = clv.participation_summary(tmp_path / "tx.parquet", period=period, end=end)
            pd.testing.assert_frame_equal(engine, clv.participation_summary(tx, period=period, end=end))
            pairs = aggregates.period_participation(tmp_path / "tx.parquet", period)
            pd.testing.assert_frame_equal(engine, clv.participation_summary(pairs, period=period, end=end))


def test_page_flags_and_history(log):
    name, path, tx = log
    end = pd.Timestamp(LOGS[name][0])
    buyers = aggregates.log_buyers(path)
    per_customer = flags.customer_dates(tx)
    assert buyers == {"customers": len(per_customer), "repeat_buyers": int((per_customer["days"] > 1).sum()),
                      "first_date": tx["date"].min()}
    assert clv.log_glance(path)["first_date"] == tx["date"].min()  # notebook 04's history_vs_horizon start
    summary = clv.summarize(path, time_unit="W", observation_end=end)
    with warnings.catch_warnings():  # CDNOW has a repeat buyer with a net spend of 0, left out of the fit
        warnings.simplefilter("ignore", UserWarning)
        purchase, spend = clv.BetaGeoModel().fit(summary), clv.GammaGammaModel().fit(summary)
    intervals = pd.DataFrame({"group": ["total"], "clv": [100.0], "lower": [80.0], "upper": [120.0]})
    args = dict(summary=summary, end=end, horizon_months=60, time_unit="W", chosen="bg_nbd",
                purchase_model=purchase, spend_model=spend, intervals=intervals)
    frame = flags.clv_page_flags(tx=tx, **args)
    assert "short_history" in {f.code for f in frame}  # a 60-month horizon: the history flag is exercised
    assert flags.clv_page_flags(tx=path, **args) == frame


def test_yearly_retention_of_a_base_where_everyone_came_back(tmp_path):
    # Retention 1: the simple formula has no finite value; the rates are still reported (both paths).
    tx = pd.DataFrame({"customer_id": ["a", "a", "b", "b"], "amount": [10.0, 20.0, 5.0, 7.0],
                       "date": pd.to_datetime(["2024-03-01", "2025-03-01", "2024-05-01", "2025-06-01"])})
    tx.to_parquet(tmp_path / "tx.parquet")
    summary = clv.summarize(tx, time_unit="W", observation_end="2025-12-31")
    for source in (tx, tmp_path / "tx.parquet"):
        got = clv.yearly_retention(source, summary, "2025-12-31", margin=0.5, annual_discount_rate=0.1)
        assert (got.start, got.end, got.new, got.retention, got.simple_clv) == (2, 2, 0, 1.0, None)
        assert got.annual_margin == pytest.approx(0.5 * 27 / 2)
