"""Customer value table, tiers, intervals, holdout validation helpers and charts."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

import cvkit.clv as clv  # noqa: E402


@pytest.fixture(scope="module")
def fitted(cdnow):
    return clv.BetaGeoModel().fit(cdnow), clv.GammaGammaModel().fit(cdnow)


def test_customer_table_has_the_contract_columns_and_adds_up(cdnow, fitted):
    bg, gg = fitted
    v = clv.customer_value_table(cdnow, bg, gg, horizon_months=12, annual_discount_rate=0.1, margin=0.3)
    for col in ("customer_id", "frequency", "recency", "T", "monetary_value", "p_alive", "expected_purchases",
                "clv", "realised_value", "lifetime_value", "value_tier", "clv_3m", "clv_6m"):
        assert col in v.columns
    assert v["customer_id"].tolist() == cdnow["customer_id"].tolist()
    np.testing.assert_allclose(v["lifetime_value"], v["realised_value"] + v["clv"])
    np.testing.assert_allclose(v["realised_value"], 0.3 * cdnow["total_amount"])
    assert (v["clv_3m"] <= v["clv_6m"]).all() and (v["clv_6m"] <= v["clv"]).all()
    assert v["p_alive"].between(0, 1).all()
    # exact tier sizes and ordering: every top-20% customer is worth at least any other
    counts = v["value_tier"].value_counts()
    assert counts["top 20%"] == round(0.2 * len(v)) and counts["next 30%"] == round(0.3 * len(v))
    assert v.loc[v["value_tier"] == "top 20%", "clv"].min() >= v.loc[v["value_tier"] != "top 20%", "clv"].max()


@pytest.mark.parametrize("horizon, shorter", [(12, (3, 6)), (6, (3,)), (3, ()), (1, ())])
def test_interim_horizons_never_reach_beyond_the_engagement_horizon(cdnow, fitted, horizon, shorter):
    assert clv.interim_horizons(horizon) == shorter
    v = clv.customer_value_table(cdnow, *fitted, horizon_months=horizon)
    assert sorted(c for c in v.columns if c.startswith("clv_") and c.endswith("m")) == [f"clv_{h}m" for h in shorter]
    assert v["clv_decile"].between(1, 10).all()


def test_expected_purchases_column_matches_the_model_over_the_horizon(cdnow, fitted):
    bg, gg = fitted
    v = clv.customer_value_table(cdnow, bg, gg, horizon_months=6)
    weeks = 6 * (365.25 / 12) / 7
    np.testing.assert_allclose(v["expected_purchases"], bg.predict_purchases(weeks, cdnow))


def test_clv_scales_with_margin_and_falls_with_discounting(cdnow, fitted):
    bg, gg = fitted
    spend = clv.expected_spend(cdnow, gg)
    base = bg.expected_clv(cdnow, monetary_value=spend, margin=0.2, annual_discount_rate=0.1)
    np.testing.assert_allclose(bg.expected_clv(cdnow, monetary_value=spend, margin=0.4, annual_discount_rate=0.1),
                               2 * base)
    assert bg.expected_clv(cdnow, monetary_value=spend, margin=0.2, annual_discount_rate=0.3).sum() < base.sum()
    undiscounted = bg.expected_clv(cdnow, monetary_value=spend, margin=0.2, annual_discount_rate=0.0)
    weeks = 12 * (365.25 / 12) / 7
    np.testing.assert_allclose(undiscounted, 0.2 * spend * bg.predict_purchases(weeks, cdnow))


def test_bootstrap_interval_brackets_the_point_estimate_and_is_reproducible(cdnow, fitted):
    bg, gg = fitted
    groups = np.where(cdnow["frequency"] > 0, "repeat", "one-off")
    a = clv.clv_interval(cdnow, bg, gg, groups=groups, n_draws=60, seed=3)
    b = clv.clv_interval(cdnow, bg, gg, groups=groups, n_draws=60, seed=3)
    pd.testing.assert_frame_equal(a, b)
    assert a["group"].tolist() == ["one-off", "repeat", "total"]
    assert (a["lower"] < a["clv"]).all() and (a["clv"] < a["upper"]).all()
    assert a.loc[2, "clv"] == pytest.approx(a.loc[0, "clv"] + a.loc[1, "clv"])
    assert a.loc[2, "customers"] == len(cdnow)
    # the point estimate equals the per-customer table's total
    v = clv.customer_value_table(cdnow, bg, gg)
    assert a.loc[2, "clv"] == pytest.approx(v["clv"].sum(), rel=1e-9)


def test_value_concentration_and_lorenz_curve():
    assert clv.value_concentration([10, 0, 0, 0, 0]) == 1.0
    assert clv.value_concentration(np.ones(10), 0.2) == pytest.approx(0.2)
    lc = clv.lorenz_curve([3.0, 1.0])
    assert lc["value_share"].tolist() == [0.0, 0.75, 1.0]
    with pytest.raises(ValueError, match="not positive"):
        clv.value_concentration([0, 0])


def test_margin_outside_zero_one_is_rejected(cdnow, fitted):
    with pytest.raises(ValueError, match="margin"):
        clv.customer_value_table(cdnow, *fitted, margin=30)


def test_compare_models_ranks_by_aic_and_reports_holdout_accuracy(cdnow):
    table, fitted_models = clv.compare_models(cdnow, ["bg_nbd", "pareto_nbd"])
    assert table["model"].tolist() == ["bg_nbd", "pareto_nbd"]  # -9582.4 beats -9595.0 with 4 params each
    assert table["converged"].all()
    assert (table["holdout_actual"] == 1882).all()
    assert set(fitted_models) == {"bg_nbd", "pareto_nbd"}
    with pytest.raises(ValueError, match="unknown model"):
        clv.compare_models(cdnow, ["bgnbd"])
    words = " ".join(clv.describe_model(fitted_models["bg_nbd"]))
    assert "per week" in words and "0.055" in words  # r / alpha = 0.2426 / 4.414


def test_period_transactions_and_tracking_are_consistent_with_the_data(cdnow, cdnow_log, fitted):
    bg, _ = fitted
    pt = clv.period_transactions(bg, cdnow, seed=1, n_sims=5)
    assert pt["actual"].sum() == len(cdnow) and pt["model"].sum() == pytest.approx(len(cdnow))
    tr = clv.tracking(bg, cdnow_log, cdnow, end="1998-06-30")
    assert tr["actual"].is_monotonic_increasing and tr["expected"].is_monotonic_increasing
    # all 2,457 + 1,882 repeat purchases are counted by the end of the holdout
    assert tr["actual"].iloc[-1] == 2457 + 1882
    at_cal = tr.loc[tr["date"] <= "1997-09-30", "actual"].iloc[-1]
    assert at_cal <= 2457


def test_charts_return_axes(cdnow, cdnow_log, fitted):
    bg, gg = fitted
    axes = [
        clv.plot_conditional_expectations(clv.conditional_expectations(bg, cdnow)),
        clv.plot_period_transactions(clv.period_transactions(bg, cdnow, n_sims=2, seed=0)),
        clv.plot_tracking(clv.tracking(bg, cdnow_log, cdnow), calibration_end="1997-09-30"),
        clv.plot_frequency_recency_matrix(bg, 39.0),
        clv.plot_frequency_recency_matrix(bg, 39.0, what="expected_purchases", horizon=13.0),
        clv.plot_value_concentration(clv.customer_value_table(cdnow, bg, gg)["clv"]),
    ]
    assert all(isinstance(a, matplotlib.axes.Axes) for a in axes)
    fig, ax = plt.subplots()
    assert clv.plot_conditional_expectations(clv.conditional_expectations(bg, cdnow), ax=ax) is ax
    with pytest.raises(ValueError, match="what must be"):
        clv.plot_frequency_recency_matrix(bg, 39.0, what="clv")
    plt.close("all")


def test_clv_by_horizon_chart_marks_the_horizon_in_use(cdnow, fitted):
    bg, gg = fitted
    spend = clv.expected_spend(cdnow, gg)
    horizons = [3, 6, 12, 24]
    totals = [float(bg.expected_clv(cdnow, monetary_value=spend, horizon_months=h).sum()) for h in horizons]
    assert totals == sorted(totals)  # more months ahead, more value
    fig, ax = plt.subplots()
    assert clv.plot_clv_by_horizon(horizons, totals, 12, currency="USD", ax=ax) is ax
    curve, line, marker = ax.lines
    np.testing.assert_allclose(curve.get_ydata(), totals)
    assert list(line.get_xdata()) == [12, 12] and marker.get_ydata()[0] == pytest.approx(totals[2])
    assert ax.get_yticklabels() and ax.get_xlabel() == "horizon (months)"
    plt.close(fig)


def test_a_fit_without_covariance_gets_its_interval_from_a_customer_bootstrap(cdnow, fitted):
    # A purchase model whose observed information is not positive definite has no covariance; the
    # interval then comes from refits on resampled customers, of the same order as the usual one.
    bg, gg = fitted
    kw = dict(horizon_months=12, annual_discount_rate=0.1, margin=0.3, n_draws=40, seed=5)
    usual = clv.clv_interval(cdnow, bg, gg, **kw).iloc[0]
    flat = bg._with_params(bg.params_.to_numpy())
    flat.hessian_ = np.eye(len(bg.params_))  # "information" -I: not positive definite
    assert flat.cov_.isna().all().all()
    with pytest.raises(clv.FitError, match="no covariance"):
        flat.sample_parameters(10)
    boot = clv.clv_interval(cdnow, flat, gg, **kw).iloc[0]
    assert boot["clv"] == usual["clv"] and boot["lower"] < boot["clv"] < boot["upper"]
    ratio = (boot["upper"] - boot["lower"]) / (usual["upper"] - usual["lower"])
    assert 0.5 < ratio < 2.0, ratio


def test_the_models_in_plain_words_use_the_pages_number_format(cdnow):
    from cvkit import present

    _, fitted_models = clv.compare_models(cdnow, ["bg_nbd", "pareto_nbd"])
    present.configure("fr_FR", "EUR")
    try:
        words = " ".join(clv.describe_model(fitted_models["bg_nbd"]))
        pareto = " ".join(clv.describe_model(fitted_models["pareto_nbd"]))
    finally:
        present.configure("", "EUR")
    assert "0,055 times per week" in words and "r = 0,24" in words and "beta(0,79; 2,43)" in words
    assert "0.055" not in words and "s = 0,61" in pareto


def test_a_fit_without_finite_values_stops_with_the_reason_and_the_fix():
    from cvkit.exceptions import FitError

    from tests.clv.steady_buyers import steady_buyers_fit

    # BG/NBD fitted to steady buyers nobody sees stop: r and alpha run away, a to zero. The Poisson limit
    # is evaluated stably, so such a fit is valued: everyone active, buying at the rate r/alpha.
    _, summary, model = steady_buyers_fit(400, 50, 730)
    values = clv.customer_value_table(summary, model, horizon_months=12)
    rate = model.params_["r"] / model.params_["alpha"]
    assert np.isfinite(values[["p_alive", "expected_purchases", "clv"]].to_numpy()).all()
    assert values["p_alive"].min() > 0.999
    np.testing.assert_allclose(values["expected_purchases"], rate * model.months_to_units(12), rtol=1e-4)
    # A fit that still gives no number (here a parameter lost on the way) stops with the reason and the fix.
    broken = model._with_params(model.params_.to_numpy() * [1, 1, np.nan, 1])
    with pytest.raises(FitError, match=r"no finite value for 400 of 400 customers.*a=nan.*clv_model: auto"):
        clv.customer_value_table(summary, broken, horizon_months=12)


def test_an_m_out_of_n_bootstrap_matches_the_spread_of_the_estimates(cdnow, fitted):
    # Above max_customers each refit sees m of the n customers and its deviation is shrunk by
    # sqrt(m / n): the draws' spread must still match the estimates' own standard errors.
    bg, _ = fitted
    n = len(cdnow)
    half = np.log(bg.bootstrap_parameters(80, seed=3, max_customers=n // 2))
    full = np.log(bg.bootstrap_parameters(80, seed=4))
    ratio = half.std(axis=0, ddof=1) / full.std(axis=0, ddof=1)
    # Unshrunk, half-size refits would spread sqrt(2) = 1.41 times wider: the rescaling is what matches
    # (r and alpha closely; a and b, poorly identified by 2,357 customers, within a third).
    assert np.all((ratio[:2] > 0.8) & (ratio[:2] < 1.2)) and np.all((ratio > 0.75) & (ratio < 1.35)), ratio
    sd = (bg.se_ / bg.params_).to_numpy()  # delta method: sd of log(theta) = se / theta
    np.testing.assert_allclose(half.mean(axis=0), np.log(bg.params_.to_numpy()), atol=3 * sd.max())
    # At or above the customer count, the ordinary bootstrap, draw for draw.
    np.testing.assert_array_equal(bg.bootstrap_parameters(3, seed=3, max_customers=n),
                                  bg.bootstrap_parameters(3, seed=3))


def test_large_bases_share_the_draws_between_threads_with_the_same_numbers(cdnow, fitted, monkeypatch):
    from cvkit.clv import value

    bg, gg = fitted
    tiers = clv.customer_value_table(cdnow, bg, gg)["value_tier"]
    kw = dict(groups=tiers, horizon_months=12, annual_discount_rate=0.1, margin=0.3, n_draws=30, seed=9)
    monkeypatch.setattr(value, "THREADED_ROWS", 10**12)
    sequential = clv.clv_interval(cdnow, bg, gg, **kw)
    monkeypatch.setattr(value, "THREADED_ROWS", 0)
    monkeypatch.setattr(value.os, "cpu_count", lambda: 4)
    pd.testing.assert_frame_equal(clv.clv_interval(cdnow, bg, gg, **kw), sequential, check_exact=True)
    # The totals are the customer table's, tier by tier.
    table = clv.customer_value_table(cdnow, bg, gg, horizon_months=12, annual_discount_rate=0.1, margin=0.3)
    by_tier = table.groupby("value_tier", observed=True)["clv"].sum()
    np.testing.assert_allclose(sequential.set_index("group").loc[list(by_tier.index.astype(str)), "clv"],
                               by_tier.to_numpy(), rtol=1e-12)


def test_a_large_base_prices_most_draws_by_a_checked_linear_surrogate(cdnow, fitted, monkeypatch):
    # With many customers the parameters barely move between draws and each total is linear in them;
    # here CDNOW stands in for a large base: its histories count as "many" and its information is
    # that of 400 times the customers (standard errors / 20).
    from cvkit.clv import value

    bg, gg = fitted
    big_bg, big_gg = bg._with_params(bg.params_.to_numpy()), gg._with_params(gg.params_.to_numpy())
    big_bg.hessian_, big_gg.hessian_ = 400 * bg.hessian_, 400 * gg.hessian_
    kw = dict(horizon_months=12, annual_discount_rate=0.1, margin=0.3, n_draws=100, seed=11)
    exact = clv.clv_interval(cdnow, big_bg, big_gg, **kw).iloc[0]
    monkeypatch.setattr(value, "SURROGATE_HISTORIES", 1)
    priced = []
    original = value._group_totals
    monkeypatch.setattr(value, "_group_totals", lambda *a: priced.append(1) or original(*a))
    fast = clv.clv_interval(cdnow, big_bg, big_gg, **kw).iloc[0]
    assert len(priced) == 1 + value.SURROGATE_FIT + value.SURROGATE_CHECK  # the point and 24 draws, not 100
    assert fast["clv"] == exact["clv"]
    width = exact["upper"] - exact["lower"]
    for end in ("lower", "upper", "se"):
        assert abs(fast[end] - exact[end]) < 0.02 * width, (end, fast[end], exact[end])
    # A surrogate that misses a check draw is not used: every draw is priced exactly.
    monkeypatch.setattr(value, "SURROGATE_TOLERANCE", 0.0)
    priced.clear()
    strict = clv.clv_interval(cdnow, big_bg, big_gg, **kw).iloc[0]
    assert len(priced) == 1 + 100
    pd.testing.assert_series_equal(strict, exact, check_exact=True)
