"""The steps notebook 04 used to compute inline, now cvkit.clv functions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cvkit import clv


def _log(rows):
    return pd.DataFrame(rows, columns=["customer_id", "date", "amount"]).assign(date=lambda d: pd.to_datetime(d["date"]))


def test_yearly_retention_counts_returning_buyers_by_hand():
    tx = _log([("a", "2024-03-01", 10.0), ("a", "2025-03-01", 30.0),   # bought both years: retained
               ("b", "2024-05-01", 10.0),                               # lost
               ("c", "2024-06-01", 10.0), ("c", "2025-02-01", 50.0),   # retained
               ("d", "2025-04-01", 20.0)])                              # new last year
    summary = clv.summarize(tx, time_unit="W", observation_end="2025-06-30")
    r = clv.yearly_retention(tx, summary, "2025-06-30", margin=0.5, annual_discount_rate=0.1)
    assert (r.start, r.end, r.new) == (3, 3, 1)
    assert r.retention == pytest.approx(2 / 3) and r.churn == pytest.approx(1 / 3)
    assert r.annual_margin == pytest.approx(0.5 * (30 + 50) / 2)
    assert r.simple_clv == pytest.approx(r.annual_margin * r.retention / (1 + 0.1 - r.retention))
    only_last_year = tx[tx["date"] > "2024-06-30"]
    assert clv.yearly_retention(only_last_year, clv.summarize(only_last_year, time_unit="W",
                                observation_end="2025-06-30"), "2025-06-30", margin=0.5,
                                annual_discount_rate=0.1) is None


def test_decile_table_shares_and_scenarios_grid(cdnow):
    bg = clv.BetaGeoModel().fit(cdnow)
    gg = clv.GammaGammaModel().fit(cdnow)
    values = clv.customer_value_table(cdnow, bg, gg, horizon_months=12, margin=0.3)
    deciles = clv.decile_table(values)
    assert deciles["customers"].sum() == len(values)
    assert deciles["clv_share"].sum() == pytest.approx(1.0) and deciles["clv"].sum() == pytest.approx(values["clv"].sum())
    spend = clv.expected_spend(cdnow, gg)
    grid = clv.clv_scenarios(bg, cdnow, spend, margin=0.3, horizons=(6, 12))
    assert list(grid.columns) == ["6 months", "12 months"] and len(grid) == 3 * 3  # margins {0.2, 0.3, 0.4}
    # the engagement's own setting reproduces the customer table's total
    assert grid.loc["margin 30%, discount 10%", "12 months"] == pytest.approx(values["clv"].sum(), rel=1e-9)
    assert (grid["12 months"] > grid["6 months"]).all()


def test_parameter_table_stacks_summaries_with_log_likelihood(cdnow):
    bg = clv.BetaGeoModel().fit(cdnow)
    table = clv.parameter_table({"bg_nbd": bg}, log_likelihood=True)
    assert list(table["parameter"]) == ["r", "alpha", "a", "b"]
    assert np.allclose(table["log_likelihood"], bg.log_likelihood_)
    assert {"lower", "upper"} <= set(table.columns)
