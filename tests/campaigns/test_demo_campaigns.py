"""The demo campaigns: planted lifts recovered, advice matching the plant, results and config wiring."""

import pandas as pd
import pytest

import cvkit.campaigns as cmp
from cvkit.datasets import make_demo
from cvkit.engagement.results import CampaignResults


@pytest.fixture(scope="module")
def demo():
    return make_demo()


@pytest.fixture(scope="module")
def contacts(demo):
    return cmp.contact_frame(demo.campaigns, transactions=demo.transactions, responses=demo.responses,
                             customers=demo.customers, segment_column="channel")


def test_campaigns_do_not_change_the_other_demo_data(demo, monkeypatch):
    # The campaign block has its own stream: the demo without it has exactly the same other data sets.
    from cvkit.datasets import demo as module

    assert {"campaigns", "responses"} <= set(module.DEMO_KINDS)
    monkeypatch.setattr(module, "make_campaigns", lambda *a: (None, None, None))
    without = module.make_demo()
    for kind in ("customers", "transactions", "survey", "needs", "choice"):
        pd.testing.assert_frame_equal(without.data(kind), demo.data(kind))
    assert without.campaigns is None and len(demo.campaigns) > 5000


def test_planted_lift_per_campaign_is_inside_the_interval(demo, contacts):
    table = cmp.lift_table(contacts, n_boot=500).set_index("campaign_id")
    truth = demo.campaign_truth["campaigns"]
    for cid, t in truth.items():
        r = table.loc[cid]
        assert r["lift_pp_low"] <= t["true_lift_pp"] <= r["lift_pp_high"], (cid, r["lift_pp"], t["true_lift_pp"])
    assert table.loc["C02", "significant"] and not table.loc["C04", "significant"]
    assert table.loc["C04", "net_value"] < 0 < table.loc["C03", "net_value"]


def test_segment_lifts_and_advice_follow_the_plant(demo, contacts):
    seg = cmp.lift_table(contacts, ["campaign_id", "segment"], n_boot=300).set_index(["campaign_id", "segment"])
    assert seg.loc[("C02", "store"), "lift_pp"] > seg.loc[("C02", "online"), "lift_pp"] + 5
    advice = cmp.targeting_advice(seg.reset_index(), min_customers=100).set_index(["campaign_id", "segment"])
    assert (advice.loc["C04", "advice"] == "stop").all()
    assert advice.loc[("C02", "store"), "advice"] == "contact"
    assert advice.loc[("C02", "online"), "advice"] == "stop"


def test_segment_lift_intervals_cover_the_plant_over_seeds(demo):
    # 8 campaign draws x 16 campaign-segment cells: the Newcombe intervals cover the planted lifts.
    from cvkit.datasets.demo_campaigns import make_campaigns

    hits = total = 0
    for seed in range(1, 9):
        campaigns, responses, truth = make_campaigns(demo.customers, demo.transactions, seed)
        frame = cmp.contact_frame(campaigns, transactions=demo.transactions, responses=responses,
                                  customers=demo.customers, segment_column="channel")
        seg = cmp.lift_table(frame, ["campaign_id", "segment"], n_boot=20).set_index(["campaign_id", "segment"])
        for cid, t in truth["campaigns"].items():
            for s, v in t["true_lift_pp_by_channel"].items():
                total += 1
                hits += seg.loc[(cid, s), "lift_pp_low"] <= v <= seg.loc[(cid, s), "lift_pp_high"]
    assert 0.90 <= hits / total <= 1.0, hits / total


def test_results_section_from_tables(contacts):
    lift = cmp.lift_table(contacts, n_boot=200)
    seg = cmp.lift_table(contacts, ["campaign_id", "segment"], n_boot=200)
    section = CampaignResults.from_tables(lift=lift, advice=cmp.targeting_advice(seg), balance=cmp.balance_table(contacts),
                                          window_days=30, margin=0.3, segment_column="channel",
                                          next_test={"base_rate": 0.12, "lift_pp": 2.0, "contacted": 1500,
                                                     "control_needed": 900.0})
    again = CampaignResults.model_validate_json(section.model_dump_json())
    assert again.best == "C03" and again.worst == "C04"
    assert again.net_value == pytest.approx(lift["net_value"].sum())
    assert again.targeting_gain > 0 and all(c.balanced for c in again.campaigns)


def test_campaign_analysis_runs_only_with_its_data(tmp_path):
    from cvkit.engagement.config import load_config
    from cvkit.engagement.scaffold import write_demo_engagement

    config = write_demo_engagement(tmp_path / "demo")
    assert "campaigns" in [a.key for a in load_config(config).enabled_analyses()]
    text = config.read_text()
    text = text.replace("  campaigns: data/campaigns.csv", "  # campaigns: data/campaigns.csv")
    config.write_text(text)
    cfg = load_config(config)  # no "enabled but no input data" error for an engagement without campaigns
    assert "campaigns" not in [a.key for a in cfg.enabled_analyses()]
    config.write_text(text.replace("  campaigns:                       #", "  campaigns:\n    enabled: true  #"))
    with pytest.raises(Exception, match="analyses.campaigns: enabled but no input data"):
        load_config(config)


def test_campaigns_on_the_real_cdnow_log(tmp_path):
    # The zoo engagement's data: an A/A split (no effect) and a planted 10-point lift, responses from the log.
    from cvkit.data import IntakePolicy, intake
    from tests.engagements.campaign_data import PLANTED_LIFT, cdnow_campaigns

    cdnow_campaigns(tmp_path, customers=4000, offset=10_000)
    data = intake({k: tmp_path / f"{f}.csv" for k, f in
                   (("transactions", "orders"), ("customers", "customers"), ("campaigns", "campaigns"))},
                  policy=IntakePolicy(duplicate_rows="keep"))
    frame = cmp.contact_frame(data["campaigns"], transactions=data["transactions"], customers=data["customers"],
                              segment_column="channel")
    table = cmp.lift_table(frame, n_boot=300).set_index("campaign_id")
    aa, planted = table.loc["A/A-1997-07"], table.loc["SPRING-1998"]
    assert aa["lift_pp_low"] <= 0 <= aa["lift_pp_high"] and not aa["significant"]
    # An added purchase only creates a response where the customer would not have bought anyway.
    truth = 100 * PLANTED_LIFT * (1 - planted["rate_control"])
    assert planted["lift_pp_low"] <= truth <= planted["lift_pp_high"] and planted["significant"]
    assert cmp.balance_table(frame)["balanced"].all()
