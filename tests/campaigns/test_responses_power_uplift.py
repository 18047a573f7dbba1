"""Responses from the log or a file, the test-size formulas, and honest uplift validation."""

import numpy as np
import pandas as pd
import pytest

import cvkit.campaigns as cmp


def _campaigns():
    return pd.DataFrame({"customer_id": ["a", "b", "c", "d"], "campaign_id": ["X"] * 4,
                         "group": ["treatment", "contacted", "control", "holdout"],
                         "contact_date": pd.to_datetime(["2025-01-10"] * 4), "contact_cost": [1.0, 1.0, None, 0.0]})


def test_responses_from_the_log_respect_the_window():
    tx = pd.DataFrame({"customer_id": ["a", "a", "b", "c", "d", "d"],
                       "date": pd.to_datetime(["2025-01-09", "2025-01-10", "2025-02-09", "2025-02-08", "2025-01-20",
                                               "2025-01-21"]),
                       "amount": [5.0, 10.0, 7.0, 3.0, 2.0, 4.0]})
    out = cmp.attach_responses(_campaigns(), transactions=tx, window_days=30)
    assert out["treated"].tolist() == [True, True, False, False]
    assert out["responded"].tolist() == [1, 0, 1, 1]  # a: on the contact day; b: day 30 is outside
    assert out["revenue"].tolist() == [10.0, 0.0, 3.0, 6.0]
    assert out["contact_cost"].tolist() == [1.0, 1.0, 0.0, 0.0]


def test_responses_file_and_unknown_group():
    resp = pd.DataFrame({"customer_id": ["b", "c"], "campaign_id": ["X", "X"],
                         "date": pd.to_datetime(["2025-01-11", "2024-12-31"]), "amount": [8.0, 9.0]})
    out = cmp.attach_responses(_campaigns(), responses=resp)
    assert out["responded"].tolist() == [0, 1, 0, 0]  # c's response predates the contact
    bad = _campaigns().assign(group=["treatment", "maybe", "control", "control"])
    with pytest.raises(ValueError, match="maybe"):
        cmp.attach_responses(bad, responses=resp)


def test_pre_period_and_tiers():
    contacts = _campaigns()
    tx = pd.DataFrame({"customer_id": ["a", "a", "b"], "date": pd.to_datetime(["2024-12-01", "2025-01-05",
                                                                               "2023-01-01"]),
                       "amount": [10.0, 20.0, 50.0]})
    pre = cmp.pre_period(contacts, tx, days=365)
    assert pre.loc[0].tolist() == [30.0, 2, 5.0]
    assert pre.loc[1].tolist() == [0.0, 0, 365.0]  # b's purchase is before the pre-period
    tiers = pd.Series(cmp.value_tiers(pd.Series([0.0] + list(range(1, 11)), dtype=float)), dtype="str")
    assert tiers.value_counts().to_dict() == {"no purchase before": 1, "top 20%": 2, "next 30%": 3, "bottom 50%": 5}


def test_control_group_size_reaches_the_power_by_simulation():
    p0, lift, n_t = 0.10, 0.03, 3000
    n_c = cmp.control_group_size(p0, lift, n_t)
    assert cmp.power_of_test(p0, lift, n_t, n_c) == pytest.approx(0.8, abs=0.01)
    rng = np.random.default_rng(5)
    reps = 4000
    x1, x0 = rng.binomial(n_t, p0 + lift, reps), rng.binomial(int(n_c), p0, reps)
    power = np.mean(cmp.two_proportion_test(x1, n_t, x0, int(n_c)) < 0.05)
    assert 0.76 <= power <= 0.84, power
    # Equal allocation: the textbook formula, (1.95996 + 0.84162)^2 (0.09 + 0.1131) / 0.03^2 = 1,771.2 -> 1,772.
    assert cmp.control_group_size(p0, lift) == 1772
    assert cmp.control_group_size(p0, lift, 200) == np.inf
    mde = cmp.minimum_detectable_lift(p0, n_t, n_c)
    assert mde == pytest.approx(lift, rel=0.02)


def _uplift_data(n, seed, heterogeneous):
    rng = np.random.default_rng(seed)
    spend = rng.gamma(2.0, 50.0, n)
    treated = rng.random(n) < 0.5
    lift = np.where(spend < 60, 0.15, 0.0) if heterogeneous else 0.0
    responded = (rng.random(n) < 0.1 + treated * lift).astype(int)
    return pd.DataFrame({"treated": treated, "responded": responded, "pre_spend": spend,
                         "pre_purchases": rng.poisson(2, n), "recency_days": rng.uniform(0, 365, n)})


def test_uplift_finds_planted_heterogeneity_out_of_fold():
    v = cmp.validate_uplift(_uplift_data(6000, 1, True), seed=1)
    assert v.qini_coefficient > 0.005
    assert v.top_vs_rest_pp > 5
    assert v.deciles["observed_pp"].iloc[:3].mean() > v.deciles["observed_pp"].iloc[-3:].mean()


def test_uplift_on_noise_is_no_better_than_random_out_of_fold():
    # No lift anywhere: in-sample scores would overfit; out-of-fold they must not look useful.
    v = cmp.validate_uplift(_uplift_data(6000, 2, False), seed=2)
    assert abs(v.qini_coefficient) < 0.004
    assert abs(v.top_vs_rest_pp) < 3
