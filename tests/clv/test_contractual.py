"""The contractual (sBG) and discrete (BG/BB) paths from data sets, checked against the published examples."""

import numpy as np
import pandas as pd
import pytest

from cvkit.clv import contractual as ct
from cvkit.datasets.demo_subscriptions import PUBLISHED, make_subscriptions
from tests.clv.test_published import DONATIONS, sig3


def test_subscriptions_path_reproduces_fader_hardie_2007():
    # Demo subscriptions are the paper's regular and high-end survivors: the data-set path must find its estimates.
    result = ct.analyse_subscriptions(make_subscriptions(), "2026-06-30")
    assert result.cohort_basis == "plan"
    params = result.parameters.set_index("cohort")
    for plan, (survivors, alpha, beta, price) in PUBLISHED.items():
        assert sig3(params.loc[plan, "sbg_alpha"], alpha) and sig3(params.loc[plan, "sbg_beta"], beta), plan
        counts = result.survivors[result.survivors["cohort"] == plan]["survivors"].tolist()
        assert counts == survivors
        active = result.values[result.values["cohort"] == plan]
        assert len(active) == survivors[-1]
        # 7 renewals made: DERL of the class, times the yearly price and the margin.
        derl = result.models[plan].expected_residual_lifetime(0.10, renewals=7)
        assert active["residual_value"].iloc[0] == pytest.approx(derl * price * 0.30)
    # Different plans retain differently: the pooled model is rejected.
    assert result.heterogeneity["p_value"] < 1e-6 and result.heterogeneity["df"] == 2
    fit = result.fit[(result.fit["cohort"] == "regular") & (result.fit["t"] <= 7)]
    np.testing.assert_allclose(fit["fitted_share"], fit["actual_share"], atol=0.03)


def test_cohorts_of_one_process_pass_the_heterogeneity_check():
    rng = np.random.default_rng(3)
    rows = []
    for year in (2019, 2020, 2021):
        theta = rng.beta(0.7, 1.2, 3000)
        life = np.minimum(rng.geometric(theta), 50)  # beyond the data anyway
        start = pd.Timestamp(f"{year}-01-01")
        ends = [start + pd.DateOffset(years=int(k)) if year + k <= 2025 else pd.NaT for k in life]
        rows.append(pd.DataFrame({"customer_id": [f"{year}-{i}" for i in range(3000)], "start_date": start,
                                  "end_date": pd.to_datetime(ends), "billing_period": "year", "price": 10.0}))
    result = ct.analyse_subscriptions(pd.concat(rows, ignore_index=True), "2025-12-31", cohort="Y")
    assert sorted(result.models) == ["2019", "2020", "2021"]
    assert result.heterogeneity["p_value"] > 0.01
    assert result.heterogeneity["pooled_alpha"] == pytest.approx(0.7, rel=0.25)


def test_bad_billing_period_is_a_clear_error():
    subs = make_subscriptions().assign(billing_period="fortnight")
    with pytest.raises(ValueError, match="billing_period"):
        ct.subscription_lifetimes(subs, "2026-06-30")


def test_participation_path_reproduces_the_donations_fit():
    # A yearly log built from the donations table (1995 trial, 1996-2001 opportunities): each pattern's
    # donors give in the `frequency` years ending at `recency`, a sufficient statistic for BG/BB.
    rows, k = [], 0
    for r in DONATIONS.itertuples():
        for _ in range(r.weight):
            k += 1
            years = [1995] + list(range(1995 + r.recency - r.frequency + 1, 1995 + r.recency + 1))
            rows += [(f"D{k}", pd.Timestamp(f"{y}-06-01"), 10.0) for y in years]
    log = pd.DataFrame(rows, columns=["customer_id", "date", "amount"])
    summary, model, table = ct.analyse_participation(log, period="Y", end="2001-12-31")
    assert len(summary) == 11104 and (summary["n_periods"] == 6).all()
    for name, pub in {"alpha": 1.204, "beta": 0.750, "gamma": 0.657, "delta": 2.783}.items():
        assert sig3(model.params_[name], pub), (name, model.params_[name])
    assert table["customers"].sum() == 11104 and table["p_alive"].between(0, 1).all()


def test_contractual_results_reach_the_synthesis():
    from cvkit.engagement import synthesis as syn
    from cvkit.engagement.results import ClvResults, ContractualResults, EngagementResults, Estimate, AnalysisResults

    result = ct.analyse_subscriptions(make_subscriptions(), "2026-06-30")
    section = ContractualResults.from_analysis(result)
    assert section.active == 732 and section.residual_value == pytest.approx(result.total)
    assert [c.cohort for c in section.cohorts] == ["high end", "regular"]
    clv_section = ClvResults(model="bg_nbd", horizon_months=12, n_customers=10, total=Estimate(value=1.0),
                             top20_share=0.5, setting="contractual", contractual=section)
    clv_section = ClvResults.model_validate_json(clv_section.model_dump_json())
    run = EngagementResults(run_dir=".", files={"clv": AnalysisResults(analysis="clv", section=clv_section)})
    found = {f.topic: f for f in syn.headline_findings(run, currency="EUR")}
    assert "Subscribers" in found and "732 active subscribers" in found["Subscribers"].text
