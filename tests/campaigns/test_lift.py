"""Campaign lift intervals against statsmodels, and their coverage on simulated campaigns."""

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint, proportions_ztest

import cvkit.campaigns as cmp
from cvkit.metrics import holm_adjust

CASES = [(30, 200, 18, 210), (5, 50, 1, 40), (120, 1000, 80, 400), (0, 100, 3, 100), (400, 2000, 350, 2000)]


@pytest.mark.parametrize("x1,n1,x0,n0", CASES)
def test_newcombe_matches_statsmodels(x1, n1, x0, n0):
    low, high = cmp.newcombe_interval(x1, n1, x0, n0)
    ref = confint_proportions_2indep(x1, n1, x0, n0, method="newcomb", compare="diff")
    assert low == pytest.approx(ref[0], abs=1e-10) and high == pytest.approx(ref[1], abs=1e-10)


@pytest.mark.parametrize("x1,n1,x0,n0", CASES)
def test_wilson_ratio_and_test_match_statsmodels(x1, n1, x0, n0):
    low, high = cmp.wilson_interval(x1, n1)
    assert (low, high) == pytest.approx(proportion_confint(x1, n1, method="wilson"), abs=1e-10)
    if x1 > 0 and x0 > 0:
        ref = confint_proportions_2indep(x1, n1, x0, n0, method="log", compare="ratio")
        assert cmp.ratio_interval(x1, n1, x0, n0) == pytest.approx(ref, rel=1e-10)
    p = cmp.two_proportion_test(x1, n1, x0, n0)
    assert p == pytest.approx(proportions_ztest([x1, x0], [n1, n0])[1], abs=1e-10)


def test_holm_matches_statsmodels():
    p = np.array([0.01, 0.04, 0.03, 0.2, 0.005, 0.04])
    assert holm_adjust(p) == pytest.approx(multipletests(p, method="holm")[1])
    with_nan = holm_adjust(np.array([0.01, np.nan, 0.02]))
    assert np.isnan(with_nan[1]) and with_nan[[0, 2]] == pytest.approx([0.02, 0.02])


def test_newcombe_interval_covers_the_true_lift():
    # 4,000 simulated campaigns at a low response rate, where the Wald interval under-covers.
    rng = np.random.default_rng(16)
    n1, n0, p1, p0, reps = 800, 200, 0.06, 0.04, 4000
    low, high = cmp.newcombe_interval(rng.binomial(n1, p1, reps), n1, rng.binomial(n0, p0, reps), n0)
    coverage = np.mean((low <= p1 - p0) & (p1 - p0 <= high))
    assert 0.92 <= coverage <= 0.98, coverage


def test_bootstrap_revenue_interval_covers_the_true_difference():
    # Zero-inflated gamma revenue; truth = p1 * mean1 - p0 * mean0 per customer.
    rng = np.random.default_rng(7)
    p1, p0, m1, m0, n1, n0 = 0.2, 0.12, 50.0, 45.0, 600, 300
    truth = p1 * m1 - p0 * m0
    hits = 0
    reps = 300
    for i in range(reps):
        t = (rng.random(n1) < p1) * rng.gamma(2.0, m1 / 2, n1)
        c = (rng.random(n0) < p0) * rng.gamma(2.0, m0 / 2, n0)
        _, lo, hi = cmp.bootstrap_mean_difference(t, c, n_boot=400, seed=i)
        hits += lo <= truth <= hi
    assert 0.92 <= hits / reps <= 0.98, hits / reps


def test_boot_means_equals_plain_resampling_in_distribution():
    from cvkit.campaigns.lift import _boot_means

    values = np.r_[np.zeros(900), np.arange(1, 101, dtype=float)]
    fast = _boot_means(values, 20000, np.random.default_rng(1))
    rng = np.random.default_rng(2)
    plain = values[rng.integers(0, len(values), (4000, len(values)))].mean(axis=1)
    assert fast.mean() == pytest.approx(values.mean(), rel=0.01)
    assert fast.std() == pytest.approx(plain.std(), rel=0.05)


def _contacts(n=4000, seed=0, lift=0.05):
    rng = np.random.default_rng(seed)
    treated = rng.random(n) < 0.7
    responded = (rng.random(n) < 0.1 + lift * treated).astype(int)
    return pd.DataFrame({"campaign_id": np.where(rng.random(n) < 0.5, "A", "B"), "treated": treated,
                         "responded": responded, "revenue": responded * rng.gamma(2.0, 25.0, n),
                         "contact_cost": np.where(treated, 0.5, 0.0)})


def test_lift_table_columns_and_money():
    table = cmp.lift_table(_contacts(), margin=0.4, n_boot=300)
    assert list(table["campaign_id"]) == ["A", "B"]
    r = table.iloc[0]
    assert r["lift_pp"] == pytest.approx(100 * (r["rate_contacted"] - r["rate_control"]))
    assert r["incremental_margin"] == pytest.approx(0.4 * r["incremental_revenue"])
    assert r["net_value"] == pytest.approx(r["incremental_margin"] - r["cost"])
    assert r["roi"] == pytest.approx(r["net_value"] / r["cost"])
    assert r["incremental_revenue_low"] <= r["incremental_revenue"] <= r["incremental_revenue_high"]
    assert table["significant"].all()


def test_balance_table_flags_a_selected_control_group():
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"campaign_id": "A", "treated": rng.random(2000) < 0.5, "pre_spend": rng.gamma(2, 50, 2000),
                          "pre_purchases": rng.poisson(3, 2000), "recency_days": rng.uniform(0, 365, 2000)})
    assert cmp.balance_table(frame)["balanced"].all()
    frame.loc[frame["treated"], "pre_spend"] *= 1.5  # the best customers were the ones contacted
    bal = cmp.balance_table(frame).set_index("covariate")
    assert not bal.loc["pre_spend", "balanced"] and bal.loc["pre_spend", "std_difference"] > 0.1
