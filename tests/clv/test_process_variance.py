"""Customer-level CLV prediction intervals: parameter uncertainty plus Poisson/gamma process variance.

The truth is simulated: customers drawn from a BG/NBD + Gamma-Gamma population are observed for T
weeks, models are fitted on that calibration period, and each customer's real future (same latent
rate, dropout and spend, continued past T) is the value the interval must cover.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import cvkit.clv as clv
from cvkit.clv.value import simulate_future_value

TRUE_BG = {"r": 0.8, "alpha": 6.0, "a": 0.7, "b": 3.0}
TRUE_GG = {"p": 4.0, "q": 5.0, "gamma": 40.0}
T_WEEKS, H_MONTHS, RATE, MARGIN = 52.0, 12.0, 0.10, 0.3


def _future_value(lam, p_drop, alive, nu, shape, horizon, delta, rng):
    """Realised discounted margin of each customer over (T, T + horizon], from their true latents."""
    value, clock = np.zeros(len(lam)), np.zeros(len(lam))
    active = np.flatnonzero(alive)
    while len(active):
        clock[active] += rng.exponential(1.0, len(active)) / lam[active]
        active = active[clock[active] <= horizon]
        value[active] += np.exp(-delta * clock[active]) * rng.gamma(shape, 1.0 / nu[active])
        active = active[rng.random(len(active)) >= p_drop[active]]
    return MARGIN * value


@pytest.fixture(scope="module")
def world():
    rng = np.random.default_rng(16)
    truth = clv.BetaGeoModel(time_unit="W")._with_params(np.array(list(TRUE_BG.values())))
    pop = truth.simulate(1500, T_WEEKS, seed=1)
    spend_truth = clv.GammaGammaModel()._with_params(np.array(list(TRUE_GG.values())))
    spend = spend_truth.simulate(pop["frequency"], seed=2)
    summary = pd.DataFrame({"customer_id": [f"c{i}" for i in range(len(pop))], "frequency": pop["frequency"],
                            "recency": pop["recency"], "T": pop["T"], "monetary_value": spend["monetary_value"]})
    H = float(truth.months_to_units(H_MONTHS))
    delta = np.log1p(RATE) / float(truth.months_to_units(12.0))
    actual = _future_value(pop["lambda_"].to_numpy(), pop["p_"].to_numpy(), pop["alive"].to_numpy(),
                           spend["nu_"].to_numpy(), TRUE_GG["p"], H, delta, rng)
    bg = clv.BetaGeoModel(time_unit="W").fit(summary)
    gg = clv.GammaGammaModel().fit(summary[summary["frequency"] > 0])
    return summary, actual, bg, gg


def test_simulated_futures_average_to_the_expected_clv(world):
    summary, _, bg, gg = world
    kw = dict(horizon_months=H_MONTHS, annual_discount_rate=RATE, margin=MARGIN)
    rng = np.random.default_rng(3)
    mean = np.mean([simulate_future_value(summary, bg, gg, rng=rng, **kw) for _ in range(300)], axis=0)
    expected = bg.expected_clv(summary, monetary_value=gg.conditional_expected_average_value(summary), **kw)
    # the total over 1,500 customers: Monte Carlo error of 300 draws is well under 2%
    assert mean.sum() == pytest.approx(expected.sum(), rel=0.02)


def test_customer_intervals_with_process_variance_cover_the_realised_future(world):
    summary, actual, bg, gg = world
    kw = dict(groups=summary["customer_id"], include_total=False, horizon_months=H_MONTHS,
              annual_discount_rate=RATE, margin=MARGIN, n_draws=200, level=0.90, seed=4)
    with_process = clv.clv_interval(summary, bg, gg, process_variance=True, **kw).set_index("group")
    params_only = clv.clv_interval(summary, bg, gg, **kw).set_index("group")
    ids = summary["customer_id"]
    covered = ((with_process.loc[ids, "lower"].to_numpy() <= actual + 1e-9)
               & (actual <= with_process.loc[ids, "upper"].to_numpy() + 1e-9))
    covered_params = ((params_only.loc[ids, "lower"].to_numpy() <= actual)
                      & (actual <= params_only.loc[ids, "upper"].to_numpy()))
    # 90% prediction intervals. Over half the customers buy nothing in the year, a point mass at zero
    # that sits inside most lower bounds, so two-sided coverage is conservative (measured 0.955); the
    # upper tail is the honest check: about 5% of customers exceed the 95th percentile (measured 4.4%).
    assert 0.88 <= covered.mean() <= 0.98, covered.mean()
    above = (actual > with_process.loc[ids, "upper"].to_numpy() + 1e-9).mean()
    assert 0.025 <= above <= 0.08, above
    # an interval for the expected value alone does not cover what one customer will actually do
    assert covered_params.mean() < 0.5, covered_params.mean()
    # the point estimate is still the expected value
    np.testing.assert_allclose(with_process.loc[ids, "clv"], params_only.loc[ids, "clv"])


@pytest.mark.parametrize("model", [clv.ParetoNBDModel, clv.ModifiedBetaGeoModel])
def test_every_purchase_model_simulates_futures_that_average_to_its_expected_clv(cdnow, model):
    gg = clv.GammaGammaModel().fit(cdnow[cdnow["frequency"] > 0])
    pm = model().fit(cdnow)
    rng = np.random.default_rng(5)
    sims = [simulate_future_value(cdnow, pm, gg, rng=rng).sum() for _ in range(150)]
    expected = pm.expected_clv(cdnow, monetary_value=gg.conditional_expected_average_value(cdnow)).sum()
    assert np.mean(sims) == pytest.approx(expected, rel=0.02)
