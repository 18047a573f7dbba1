"""Red flags computed from the data (cvkit.engagement.flags, cvkit.clv.diagnostics)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import cvkit.clv as clv
from cvkit.clv import diagnostics
from cvkit.datasets import load_cdnow_sample
from cvkit.engagement import flags


def _log(first_days, repeat_every=None, start="2024-01-01", days=120, seed=0):
    """A log whose customers first buy on ``first_days`` (offsets from ``start``)."""
    rng = np.random.default_rng(seed)
    rows = []
    for i, d in enumerate(first_days):
        rows.append((f"C{i:05d}", pd.Timestamp(start) + pd.Timedelta(days=int(d))))
        if repeat_every and rng.random() < 0.5:
            later = int(d) + repeat_every
            if later < days:
                rows.append((f"C{i:05d}", pd.Timestamp(start) + pd.Timedelta(days=later)))
    return pd.DataFrame(rows, columns=["customer_id", "date"]).assign(amount=10.0)


def test_a_cohort_followed_from_acquisition_is_not_left_censored():
    tx = load_cdnow_sample()
    first = tx.groupby("customer_id")["date"].min()
    assert not diagnostics.acquisition_censoring(first, tx["date"].min(), "1998-06-30")["censored"]


def test_a_log_cut_out_of_an_ongoing_business_is_left_censored():
    # Half the customers were already active: all first seen in the first days; the rest arrive evenly.
    first = np.r_[np.zeros(500), np.linspace(0, 119, 500)]
    tx = _log(first)
    found = flags.data_flags({"transactions": tx}, analysis_date="2024-04-29")
    assert [f.code for f in found if f.code == "left_censored"] == ["left_censored"]
    detail = next(f for f in found if f.code == "left_censored").detail
    assert "2024-01-01" in detail and "first seen in the log's first" in detail
    even = _log(np.linspace(0, 119, 1000))
    assert "left_censored" not in {f.code for f in flags.data_flags({"transactions": even})}


def test_acquisition_dates_before_the_log_start_mean_censoring():
    tx = _log(np.linspace(0, 119, 600))
    customers = pd.DataFrame({"customer_id": tx["customer_id"].unique()})
    customers["acquisition_date"] = pd.Timestamp("2023-06-01")
    found = {f.code: f for f in flags.data_flags({"transactions": tx, "customers": customers})}
    assert "left_censored" in found and "acquired before the log starts" in found["left_censored"].detail


def test_short_history_against_the_horizon_names_the_key_and_the_numbers():
    tx = _log(np.linspace(0, 119, 600), repeat_every=30)
    found = {f.code: f for f in flags.data_flags({"transactions": tx}, analysis_date="2024-04-29",
                                                 clv={"horizon_months": 12, "time_unit": "W"})}
    assert "short_history" in found
    assert "analyses.clv.horizon_months" in found["short_history"].detail
    assert "12 months" in found["short_history"].detail
    long = flags.data_flags({"transactions": tx}, analysis_date="2024-04-29", clv={"horizon_months": 3})
    assert "short_history" not in {f.code for f in long}


def test_thin_base_counts_repeat_buyers():
    small = _log(np.linspace(0, 119, 120), repeat_every=20)
    assert "thin_base" in {f.code for f in flags.data_flags({"transactions": small})}
    tx = load_cdnow_sample()
    assert "thin_base" not in {f.code for f in flags.data_flags({"transactions": tx})}


def test_one_time_buyers_are_pinned_alive_under_bg_nbd_only():
    summary = clv.summarize(load_cdnow_sample(), time_unit="W", observation_end="1998-06-30")
    bg = clv.BetaGeoModel().fit(summary)
    mbg = clv.ModifiedBetaGeoModel().fit(summary)
    pinned = diagnostics.one_time_buyers_alive(summary, bg, unseen=39)
    assert pinned["n_one_time"] == int((summary["frequency"] == 0).sum())
    assert pinned["n_pinned"] == pinned["n_unseen"] > 0  # every long-unseen one-time buyer at P(alive) = 1
    freed = diagnostics.one_time_buyers_alive(summary, mbg, unseen=39)
    assert freed["n_pinned"] == 0 and freed["mean_p_alive_unseen"] < 0.9


def test_clv_page_flags_on_cdnow():
    tx = load_cdnow_sample()
    summary = clv.summarize(tx, time_unit="W", observation_end="1998-06-30")
    bg = clv.BetaGeoModel().fit(summary)
    gg = clv.GammaGammaModel().fit(summary)
    intervals = clv.clv_interval(summary, bg, gg, horizon_months=12, n_draws=20, seed=1)
    found = {f.code: f for f in flags.clv_page_flags(tx=tx, summary=summary, end="1998-06-30", horizon_months=12,
                                                     time_unit="W", chosen="bg_nbd", purchase_model=bg,
                                                     spend_model=gg, intervals=intervals)}
    detail = found["one_time_buyers_alive"].detail
    assert "The MBG/NBD model" in detail and "mbg_nbd" not in detail and "clv_model" not in detail  # client words
    assert "parameter_uncertainty_only" in found
    assert "short_history" not in found  # 78 weeks of history for a 12-month horizon


def test_imprecise_parameters_are_those_with_se_above_half_the_estimate():
    table = pd.DataFrame({"model": ["m", "m"], "parameter": ["a", "b"], "estimate": [1.0, 0.02], "se": [0.1, 0.011]})
    assert diagnostics.imprecise_parameters(table)["parameter"].tolist() == ["b"]
    found = flags.clv_flags(model="m", fitted_summary=table, one_time=None, alternative=None, time_unit="W",
                            interval_share=0.02, unseen=10)
    assert "m b = 0.02 (SE 0.011)" in next(f for f in found if f.code == "imprecise_parameters").detail


def test_choose_model_weighs_the_holdout_with_aic():
    comparison = pd.DataFrame({"model": ["bg_nbd", "mbg_nbd", "pareto_nbd"], "aic": [100.0, 101.0, 103.0],
                               "holdout_error": [-0.30, -0.04, -0.05], "converged": [True, True, True]})
    assert clv.choose_model(comparison) == "mbg_nbd"  # 2nd on AIC and 1st on the holdout
    tied = comparison.assign(holdout_error=[-0.30, -0.05, -0.04])  # every rank sum 4: the holdout decides
    assert clv.choose_model(tied) == "pareto_nbd"
    assert clv.choose_model(comparison.drop(columns="holdout_error")) == "bg_nbd"


def test_rfm_and_p_alive_are_reconciled_in_a_sentence():
    rfm = pd.DataFrame({"customer_id": list("abcdef"), "segment": ["Lost", "Lost", "Champions", "Loyal", "Lost", "New"],
                        "r_score": [1, 1, 5, 4, 2, 5]})
    clv_table = pd.DataFrame({"customer_id": list("abcdef"), "p_alive": [0.95, 0.9, 1.0, 0.99, 0.97, 1.0]})
    sentence, found = flags.rfm_alive_reconciliation(rfm, clv_table)
    assert "50% of customers in Lost" in sentence and "0.94" in sentence
    assert [f.code for f in found] == ["rfm_alive_disagree"]
    agree = clv_table.assign(p_alive=[0.1, 0.2, 1.0, 0.99, 0.1, 1.0])
    assert flags.rfm_alive_reconciliation(rfm, agree)[1] == []


def test_flags_go_to_the_results_file_and_back(tmp_path):
    from cvkit.engagement.outputs import Outputs

    flag = flags.RedFlag("thin_base", "clv", "Thin customer base", "12 customers <b>")
    Outputs(tmp_path, "clv").red_flags([flag])
    assert flags.run_flags(tmp_path) == [flag]
    text = flags.to_markdown([flag], with_page=True)
    assert "Customer lifetime value" in text and "<b>" not in text  # data-derived text is escaped


@pytest.mark.parametrize("tables", [{}, {"transactions": pd.DataFrame(columns=["customer_id", "date", "amount"])}])
def test_no_transactions_no_flags(tables):
    assert flags.data_flags(tables) == []


def test_more_than_one_percent_excluded_is_a_flag_naming_data_set_and_reasons(tmp_path):
    counts = pd.DataFrame({"kind": ["transactions", "transactions", "customers"],
                           "reason": ["negative amount", "date after the analysis date", "duplicate customer_id"],
                           "count": [299, 1, 1]})
    [flag] = flags.exclusion_flags({"transactions": 5_999, "customers": 500}, counts)
    assert flag.code == "many_excluded" and flag.page == "overview"
    assert "transactions: 300 of 6,299 rows (4.8%; negative amount 299, date after the analysis date 1)" in flag.detail
    assert "customers" not in flag.detail  # 1 of 501 is below 1%
    assert flags.exclusion_flags({"transactions": 5_999}, counts.iloc[[1]]) == []
    # the overview reads the run's data/excluded.csv
    (tmp_path / "data").mkdir()
    pd.DataFrame({"kind": ["transactions"] * 20, "file": "t.csv", "row": range(20), "reason": "negative amount",
                  "values": "{}"}).to_csv(tmp_path / "data" / "excluded.csv", index=False)
    tx = pd.DataFrame({"customer_id": ["a", "b"] * 50, "date": pd.Timestamp("2024-01-01"), "amount": 1.0})
    codes = [f.code for f in flags.overview_flags({"transactions": tx}, analysis_date="2024-06-30",
                                                  results_dir=tmp_path)]
    assert "many_excluded" in codes


def _bgbb(patterns: pd.DataFrame):
    import warnings

    from cvkit.clv.models import BetaGeoBetaBinomModel

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = BetaGeoBetaBinomModel().fit(patterns)
    customers = patterns.loc[patterns.index.repeat(patterns["weight"])].drop(columns="weight")
    return model, customers


def test_bg_bb_with_three_occasions_that_does_not_converge_is_flagged_twice():
    # Three monthly occasions; whoever came back came back every time: nothing separates buying from leaving.
    model, part = _bgbb(pd.DataFrame({"frequency": [0, 3, 1, 2], "recency": [0, 3, 1, 2], "n_periods": [3] * 4,
                                      "weight": [500, 300, 50, 80]}))
    assert not model.converged_
    found = {f.code: f for f in flags.discrete_flags(model, part, "M")}
    assert set(found) == {"few_occasions", "occasion_model_unreliable"}
    assert "3 months after their first purchase" in found["few_occasions"].detail
    assert "did not converge" in found["occasion_model_unreliable"].title
    assert "alpha = " in found["occasion_model_unreliable"].detail


def test_bg_bb_on_the_published_donation_data_raises_no_flag():
    # Fader, Hardie & Shang (2010): 11,104 donors over 6 yearly occasions; the fit is tight.
    from tests.clv.test_published import DONATIONS

    model, part = _bgbb(DONATIONS)
    assert model.converged_
    assert flags.discrete_flags(model, part, "Y") == []


def test_per_customer_counts_on_a_streamed_log_equal_the_frame_path(tmp_path):
    # The out-of-core path counts distinct days in grouped steps (spillable), not count(DISTINCT).
    from cvkit.data.stream import stream_load
    from cvkit.engagement.checks import _repeat_buyers_before

    log = pd.DataFrame({"customer_id": ["a", "a", "a", "b", "b", "c"],
                        "date": pd.to_datetime(["2024-01-01 09:00", "2024-01-01 17:00", "2024-02-03 00:00", "2024-01-05 00:00",
                                                "2024-03-01 00:00", "2024-01-07 00:00"]),
                        "amount": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]})
    log.to_csv(tmp_path / "tx.csv", index=False)
    streamed, problems = stream_load("transactions", tmp_path / "tx.csv", tmp_path / "work")
    assert not problems
    expected = flags.customer_dates(log)
    got = flags.customer_dates(streamed)
    assert got["days"].tolist() == expected["days"].tolist() == [2, 2, 1]
    assert got["first"].tolist() == expected["first"].tolist()
    for cut in ("2024-01-31", "2024-02-10", "2024-03-31"):
        assert _repeat_buyers_before(streamed, pd.Timestamp(cut)) == _repeat_buyers_before(log, pd.Timestamp(cut))
    assert _repeat_buyers_before(streamed, pd.Timestamp("2024-03-31")) == 2


def test_choose_model_without_a_converged_fit_goes_by_the_holdout_alone():
    # A blown-up likelihood gives any AIC; the holdout forecast is still comparable.
    comparison = pd.DataFrame({"model": ["bg_nbd", "mbg_nbd", "pareto_nbd"], "aic": [100.0, -2.8e12, 103.0],
                               "holdout_error": [0.30, 0.25, 0.05], "converged": [False, False, False]})
    assert clv.choose_model(comparison) == "pareto_nbd"
    assert clv.choose_model(comparison.assign(holdout_error=[0.30, np.nan, 0.35])) == "bg_nbd"


def test_a_purchase_model_that_did_not_converge_is_a_red_flag_and_still_plots():
    # Steady Poisson buyers who never stop: no dropout to estimate, so no model converges cleanly.
    import warnings

    from tests.clv.steady_buyers import steady_buyers_fit

    tx, summary, model = steady_buyers_fit(600, 30, 700)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        spend = clv.GammaGammaModel().fit(summary)
        ax = clv.plot_frequency_recency_matrix(model, T=float(summary["T"].max()))
    assert not model.converged_ and ax is not None
    intervals = pd.DataFrame({"group": ["total"], "clv": [100.0], "lower": [90.0], "upper": [110.0]})
    found = {f.code: f for f in flags.clv_page_flags(
        tx=tx, summary=summary, end="2025-12-31", horizon_months=12, time_unit="W", chosen="bg_nbd",
        purchase_model=model, spend_model=spend, intervals=intervals)}
    assert "purchase_model_not_converged" in found
    assert "BG/NBD fit stopped at r = " in found["purchase_model_not_converged"].detail
