"""Model mechanics: gradients, compression, predictions at the extremes, recovery, bad input."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from cvkit.clv import (BetaGeoBetaBinomModel, BetaGeoModel, ConvergenceWarning, FitError, GammaGammaModel,
                       ModifiedBetaGeoModel, ParetoNBDModel, ShiftedBetaGeometricModel)
from cvkit.clv.models.base import CompressedData
from cvkit.exceptions import NotFittedError

PURCHASE_MODELS = [BetaGeoModel, ModifiedBetaGeoModel, ParetoNBDModel]
TRUE = {
    BetaGeoModel: [0.25, 4.0, 0.8, 2.5],
    ModifiedBetaGeoModel: [0.5, 6.0, 0.9, 1.6],
    ParetoNBDModel: [0.55, 10.0, 0.6, 12.0],
}


def _model_with(cls, params, **kw):
    m = cls(**kw)
    m.params_ = pd.Series(np.asarray(params, float), index=list(cls._param_names))
    m.time_unit_ = "W"
    return m


def _numeric_gradient(model, params, data):
    g = np.zeros(len(params))
    for j in range(len(params)):
        h = 1e-6 * params[j]
        up, dn = params.copy(), params.copy()
        up[j] += h
        dn[j] -= h
        g[j] = (model._total(up, data, grad=False)[0] - model._total(dn, data, grad=False)[0]) / (2 * h)
    return g


@pytest.mark.parametrize("cls", PURCHASE_MODELS)
def test_analytic_gradient_matches_finite_differences(cls, cdnow):
    m = cls()
    data = CompressedData({"x": cdnow["frequency"].to_numpy(), "t_x": cdnow["recency"].to_numpy(),
                  "T": cdnow["T"].to_numpy()}, np.ones(len(cdnow)), {})
    m._prepare(data)
    params = np.array(TRUE[cls]) * 1.3  # away from the optimum, where the gradient is not ~0
    analytic = m._total(params, data)[1]
    np.testing.assert_allclose(analytic, _numeric_gradient(m, params, data), rtol=2e-5)


def test_gradients_of_spend_and_discrete_models():
    rng = np.random.default_rng(0)
    gg = GammaGammaModel()
    d = CompressedData({"x": rng.integers(1, 9, 200).astype(float), "m": rng.gamma(3, 10, 200)}, np.ones(200), {})
    p = np.array([5.0, 3.0, 14.0])
    np.testing.assert_allclose(gg._total(p, d)[1], _numeric_gradient(gg, p, d), rtol=1e-5)
    bb = BetaGeoBetaBinomModel()
    sim = _model_with(BetaGeoBetaBinomModel, [1.2, 0.75, 0.66, 2.8]).simulate(500, 6, seed=1)
    d = CompressedData({"x": sim["frequency"].to_numpy(), "t_x": sim["recency"].to_numpy(),
               "n": sim["n_periods"].to_numpy()}, np.ones(500), {})
    p = np.array([1.0, 0.9, 0.5, 3.0])
    np.testing.assert_allclose(bb._total(p, d)[1], _numeric_gradient(bb, p, d), rtol=1e-5)
    sbg = ShiftedBetaGeometricModel()
    d = CompressedData({"t": np.array([1, 2, 3, 3.0]), "censored": np.array([0, 0, 0, 1.0])},
              np.array([300.0, 150, 80, 470]), {})
    p = np.array([0.7, 1.2])
    np.testing.assert_allclose(sbg._total(p, d)[1], _numeric_gradient(sbg, p, d), rtol=1e-5)


def test_identical_rows_are_compressed_without_changing_the_fit(cdnow):
    m = BetaGeoModel().fit(cdnow)
    assert m.n_rows_ < len(cdnow) and m.n_obs_ == len(cdnow)
    agg = cdnow.groupby(["frequency", "recency", "T"], as_index=False).size().rename(columns={"size": "weight"})
    m2 = BetaGeoModel().fit(agg)
    np.testing.assert_allclose(m2.params_, m.params_, rtol=1e-6)
    assert m2.log_likelihood_ == pytest.approx(m.log_likelihood_, abs=1e-6)


@pytest.mark.parametrize("cls", PURCHASE_MODELS)
def test_extreme_customers_give_finite_in_range_predictions(cls):
    m = _model_with(cls, TRUE[cls])
    x = np.array([250, 250, 1, 0, 5, 250, 0, 3])
    t_x = np.array([39.0, 1.0, 0.001, 0.0, 38.99, 0.001, 0.0, 0.0001])
    T = np.array([39.0, 39.0, 39.0, 1e-4, 39.0, 0.002, 39.0, 0.0001])
    pa = m.prob_alive(x, t_x, T)
    assert np.all(np.isfinite(pa)) and np.all((pa >= 0) & (pa <= 1))
    ey = m.predict_purchases(52.0, x, t_x, T)
    assert np.all(np.isfinite(ey)) and np.all(ey >= 0)
    # a heavy buyer seen at the very end is almost surely active and expected to keep buying a lot
    assert pa[0] > 0.99 and ey[0] > 100
    # the same heavy buyer silent for 38 weeks is almost surely gone
    assert pa[1] < 1e-6
    assert np.all(np.isfinite(m.expected_clv(x, t_x, T, monetary_value=20.0)))


@pytest.mark.parametrize("cls", PURCHASE_MODELS)
def test_prob_alive_falls_with_silence_and_expectations_grow_with_horizon(cls):
    m = _model_with(cls, TRUE[cls])
    pa = m.prob_alive(np.full(5, 4.0), np.array([38, 30, 20, 10, 2.0]), np.full(5, 39.0))
    assert np.all(np.diff(pa) < 0)
    ey = m.predict_purchases(np.array([1, 10, 52, 200.0]), np.full(4, 3.0), np.full(4, 30.0), np.full(4, 39.0))
    assert np.all(np.diff(ey) > 0) and ey[0] > 0


@pytest.mark.parametrize("cls", PURCHASE_MODELS)
def test_unconditional_expectation_and_prob_alive_agree_with_simulation(cls):
    m = _model_with(cls, TRUE[cls])
    sim = m.simulate(100_000, 39.0, seed=3)
    mean, sd = sim["frequency"].mean(), sim["frequency"].std()
    assert float(m.expected_purchases(39.0)) == pytest.approx(mean, abs=4 * sd / np.sqrt(len(sim)))
    # P(alive) is calibrated: among customers given ~0.3 the share actually alive is ~0.3
    pa = m.prob_alive(sim)
    for lo, hi in [(0.2, 0.4), (0.6, 0.8)]:
        sel = (pa > lo) & (pa < hi)
        assert sim["alive"][sel].mean() == pytest.approx(pa[sel].mean(), abs=0.02)


@pytest.mark.parametrize("cls", PURCHASE_MODELS)
def test_parameter_recovery_within_three_standard_errors(cls):
    # Fixed seeds keep the test deterministic; with 4 correlated estimates a correct estimator
    # still fails "all within 3 SE" for about 1% of seeds.
    truth = TRUE[cls]
    rng = np.random.default_rng(1)
    T = rng.integers(27, 40, 100_000) + rng.integers(0, 7, 100_000) / 7  # ages in weeks on a daily grid
    sim = _model_with(cls, truth).simulate(100_000, T, seed=101)
    sim["recency"] = np.round(sim["recency"] * 7) / 7  # purchases recorded by day
    sim["recency"] = np.minimum(sim["recency"], sim["T"])
    m = cls().fit(sim)
    assert m.converged_
    z = (m.params_.to_numpy() - truth) / m.se_.to_numpy()
    assert np.all(np.abs(z) < 3), dict(zip(m._param_names, z))


def test_gamma_gamma_and_discrete_models_recover_parameters():
    rng = np.random.default_rng(5)
    x = rng.integers(1, 15, 100_000).astype(float)
    gg_true = [6.0, 3.7, 15.0]
    sim = _model_with(GammaGammaModel, gg_true).simulate(x, seed=6)
    gg = GammaGammaModel().fit(sim)
    assert np.all(np.abs((gg.params_.to_numpy() - gg_true) / gg.se_.to_numpy()) < 3)
    bb_true = [1.2, 0.75, 0.66, 2.8]
    sim = _model_with(BetaGeoBetaBinomModel, bb_true).simulate(100_000, 6, seed=7)
    bb = BetaGeoBetaBinomModel().fit(sim)
    assert np.all(np.abs((bb.params_.to_numpy() - bb_true) / bb.se_.to_numpy()) < 3)
    # expectations agree with the simulation too
    assert float(bb.expected_purchases(6)) == pytest.approx(sim["frequency"].mean(), rel=0.02)
    sbg_true = [0.7, 1.2]
    surv = _model_with(ShiftedBetaGeometricModel, sbg_true).simulate(100_000, 8, seed=8)
    sbg = ShiftedBetaGeometricModel().fit(surv)
    assert np.all(np.abs((sbg.params_.to_numpy() - sbg_true) / sbg.se_.to_numpy()) < 3)


def test_bg_bb_conditional_expectation_matches_simulation():
    m = _model_with(BetaGeoBetaBinomModel, [1.2, 0.75, 0.66, 2.8])
    sim = m.simulate(200_000, 11, seed=9)
    # re-derive the first-6-period history from a fresh run of the same latent draws is awkward, so
    # check the aggregate identity instead: E[X(0,6)] + E[X(6,11)|history] = E[X(11)] on average
    first = m.simulate(200_000, 6, seed=10)
    cond = m.predict_purchases(5, first).mean()
    assert float(m.expected_purchases(6)) + cond == pytest.approx(float(m.expected_purchases(11)), rel=0.01)
    assert float(m.expected_purchases(11)) == pytest.approx(sim["frequency"].mean(), rel=0.02)


def test_sbg_lifetime_values_match_brute_force_sums():
    m = _model_with(ShiftedBetaGeometricModel, [0.704, 1.182])
    d = 0.1
    t = np.arange(0, 5000)
    S = m.survival(t)
    assert m.expected_discounted_lifetime(d) == pytest.approx(np.sum(S / (1 + d) ** t), rel=1e-6)
    n = 5  # after 4 renewals, at the 5th renewal decision (that payment, if made, is undiscounted)
    tt = np.arange(n, 5000)
    derl = np.sum(m.survival(tt) / m.survival(n - 1) / (1 + d) ** (tt - n))
    assert m.expected_residual_lifetime(d, renewals=n - 1) == pytest.approx(derl, rel=1e-6)


@pytest.mark.parametrize("cls", PURCHASE_MODELS)
def test_expected_clv_quadrature_matches_a_fine_discounted_sum(cls):
    m = _model_with(cls, TRUE[cls])
    x, t_x, T = np.array([0, 2, 10.0]), np.array([0, 30, 38.0]), np.array([39.0, 39, 39])
    clv = m.expected_clv(x, t_x, T, monetary_value=50.0, horizon_months=12, annual_discount_rate=0.15,
                         margin=0.3)
    H = 12 * (365.25 / 12) / 7
    grid = np.linspace(0, H, 4001)
    ey = np.array([m.predict_purchases(g, x, t_x, T) for g in grid])
    disc = np.exp(-np.log(1.15) * grid / (365.25 / 7))
    mid = (disc[1:] + disc[:-1]) / 2
    brute = 0.3 * 50 * np.sum(mid[:, None] * np.diff(ey, axis=0), axis=0)
    np.testing.assert_allclose(clv, brute, rtol=1e-6)


# -- bad input --------------------------------------------------------------------------------


def test_no_repeat_buyers_is_a_clear_error():
    with pytest.raises(FitError, match="no customer made a repeat purchase.*Fix"):
        BetaGeoModel().fit(np.zeros(50), np.zeros(50), np.full(50, 30.0))
    with pytest.raises(FitError, match="no customer made a repeat purchase"):
        GammaGammaModel().fit(np.zeros(5), np.zeros(5))


def test_single_customer_is_a_clear_error():
    with pytest.raises(FitError, match="only 1 customer"):
        ParetoNBDModel().fit([3], [20.0], [30.0])


def test_inconsistent_summaries_name_the_rows():
    with pytest.raises(ValueError, match=r"recency is after T .*1 customer \(rows 1\)"):
        BetaGeoModel().fit([1, 2, 0], [5.0, 40.0, 0.0], [30.0, 30.0, 30.0])
    with pytest.raises(ValueError, match="recency 0"):
        BetaGeoModel().fit([0, 2], [3.0, 4.0], [30.0, 30.0])
    with pytest.raises(ValueError, match="whole number"):
        BetaGeoModel().fit([1.5, 2], [3.0, 4.0], [30.0, 30.0])


def test_nonpositive_spend_is_excluded_from_gamma_gamma_with_a_count(cdnow):
    df = cdnow.copy()
    rep = np.flatnonzero(df["frequency"] > 0)
    df.loc[rep[:3], "monetary_value"] = 0.0
    df.loc[rep[3:5], "monetary_value"] = -10.0
    with pytest.warns(UserWarning, match="5 repeat buyers have a mean purchase value <= 0"):
        m = GammaGammaModel().fit(df)
    assert m.n_excluded_nonpositive_ == 5 and m.n_obs_ == 941


def test_non_converging_fit_warns_with_what_to_try(cdnow):
    with pytest.warns(ConvergenceWarning, match="did not converge.*What to try"):
        m = BetaGeoModel(max_iter=2).fit(cdnow)
    assert not m.converged_


def test_clean_fit_raises_no_warning(cdnow):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        BetaGeoModel().fit(cdnow)


def test_unfitted_model_and_unknown_unit_are_explained():
    with pytest.raises(NotFittedError, match="not fitted"):
        BetaGeoModel().prob_alive([1], [1.0], [2.0])
    m = _model_with(BetaGeoModel, TRUE[BetaGeoModel])
    m.time_unit_ = None
    with pytest.raises(ValueError, match="time unit"):
        m.expected_clv([1], [1.0], [2.0])


def test_simulation_is_deterministic_given_a_seed():
    m = _model_with(BetaGeoModel, TRUE[BetaGeoModel])
    pd.testing.assert_frame_equal(m.simulate(1000, 30.0, seed=4), m.simulate(1000, 30.0, seed=4))


@pytest.mark.parametrize("cls", [BetaGeoModel, ModifiedBetaGeoModel])
def test_fast_weighted_total_equals_the_per_row_likelihood(cls, cdnow):
    from cvkit.clv.models.base import LikelihoodModel

    (x, t_x, T), w, _ = __import__("cvkit.clv.models.base", fromlist=["compress_rows"]).compress_rows(
        cdnow["frequency"], cdnow["recency"], cdnow["T"])
    m = cls()
    data = CompressedData({"x": x, "t_x": t_x, "T": T}, w, {})
    m._prepare(data)
    params = np.array(TRUE[cls]) * 1.2
    fast_ll, fast_g = m._total(params, data)
    row_ll, row_g = LikelihoodModel._total(m, params, data)
    assert fast_ll == pytest.approx(row_ll, rel=1e-12)
    np.testing.assert_allclose(fast_g, row_g, rtol=1e-10)


def test_bg_bb_p_alive_stays_a_probability_when_nobody_drops_out():
    """Ta Feng by month (4 occasions): gamma -> 0 and rounding put P(alive) at 1 + 1e-10, and the run's
    results check (mean_p_alive <= 1) stopped the CLV page."""
    model = BetaGeoBetaBinomModel()
    model.params_ = pd.Series([0.8417, 0.9122, 1.8e-08, 6.499e+04], index=["alpha", "beta", "gamma", "delta"])
    p = model.prob_alive(np.array([3, 0, 0, 0, 2]), np.array([3, 0, 0, 0, 3]), np.array([3, 3, 1, 2, 3]))
    assert ((p >= 0) & (p <= 1)).all() and p.min() > 0.999


# BG/NBD's Poisson limit: the steady-buyers fit (tests/clv/steady_buyers.py) runs to r, alpha ~ 1e7 and a -> 0,
# where scipy's 2F1 of the closed form gave NaN; a large shape (r = 1e4, hyp2f1 already 1e-7 off) and an
# ordinary fit (where the closed form is accurate) are checked against the same high-precision reference.
EDGE_PARAMS = [1.4956116068e7, 3.2409850626e7, 1.368e-08, 4754.1]
BG_NBD_REGIMES = {"poisson_limit": EDGE_PARAMS, "large_shape": [1e4, 2e4, 0.5, 2.5], "ordinary": TRUE[BetaGeoModel]}


def _closed_form_at_60_digits(cls, params, t, x, t_x, T):
    """E[Y(t) | x, t_x, T] and P(alive) from the published closed form (Fader, Hardie & Lee 2005 eq. 10;
    Batislam et al. 2007 for MBG/NBD), evaluated by mpmath at 60 digits."""
    import mpmath

    mpmath.mp.dps = 60
    r, alpha, a, b, t, x, t_x, T = (mpmath.mpf(float(v)) for v in (*params, t, x, t_x, T))
    k = cls._shift
    odds = a / (b + x + k - 1) * ((alpha + T) / (alpha + t_x)) ** (r + x) if (x > 0 or k) else 0
    alive = 1 / (1 + odds)
    F = mpmath.hyp2f1(r + x, b + x + k, a + b + x + k - 1, t / (alpha + T + t))
    if_alive = (a + b + x + k - 1) / (a - 1) * (1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * F)
    return float(alive * if_alive), float(alive)


@pytest.mark.parametrize("regime", list(BG_NBD_REGIMES))
@pytest.mark.parametrize("cls", [BetaGeoModel, ModifiedBetaGeoModel])
def test_bg_nbd_predictions_match_the_closed_form_at_high_precision(cls, regime):
    m = _model_with(cls, BG_NBD_REGIMES[regime])
    x = np.array([0.0, 1, 12, 50, 120])
    t_x = np.array([0.0, 3.0, 40.0, 100.0, 101.5])
    T = np.array([10.0, 104.0, 104.0, 104.0, 104.0])
    for t in (0.5, 52.0):
        expected = np.array([_closed_form_at_60_digits(cls, m.params_, t, *row) for row in zip(x, t_x, T)])
        np.testing.assert_allclose(m.predict_purchases(t, x, t_x, T), expected[:, 0], rtol=1e-8)
        np.testing.assert_allclose(m.prob_alive(x, t_x, T), expected[:, 1], rtol=1e-8)


@pytest.mark.parametrize("cls", [BetaGeoModel, ModifiedBetaGeoModel])
def test_bg_nbd_in_the_poisson_limit_values_buyers_who_never_stop(cls):
    """r, alpha -> inf at rate lambda = r / alpha and a -> 0: everyone is active and buys lambda t in t."""
    m = _model_with(cls, EDGE_PARAMS)
    r, alpha = EDGE_PARAMS[:2]
    x = np.array([0.0, 30.0, 48.0, 80.0])  # a newcomer and buyers seen lately (a long silence is lapsing here too)
    t_x = np.array([0.0, 90.0, 103.0, 104.0])
    T = np.array([1.0, 104.0, 104.0, 104.0])
    rate = (r + x) / (alpha + T)  # the posterior mean rate, r/alpha to 1e-6
    assert np.all(np.isfinite(m.prob_alive(x, t_x, T))) and m.prob_alive(x, t_x, T) == pytest.approx(1.0, abs=1e-6)
    np.testing.assert_allclose(m.predict_purchases(52.0, x, t_x, T), rate * 52.0, rtol=1e-6)
    np.testing.assert_allclose(m.expected_purchases(np.array([1.0, 52.0])), r / alpha * np.array([1.0, 52.0]),
                               rtol=1e-6)
    # continuous discounting at delta per week over H weeks: integral_0^H lambda e^(-delta t) dt
    H, delta = float(m.months_to_units(12.0)), np.log1p(0.10) / float(m.months_to_units(12.0))
    clv = m.expected_clv(x, t_x, T, monetary_value=20.0, horizon_months=12.0, annual_discount_rate=0.10)
    np.testing.assert_allclose(clv, 20.0 * rate * (1 - np.exp(-delta * H)) / delta, rtol=1e-6)
