"""Value by segment (CLV, NPS, WTP), attractiveness, and persona cards."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cvkit.metrics import nps
from cvkit.segment import (attractiveness_table, format_persona_cards, persona_cards, profile_segments, segment_value,
                           wtp_from_partworths)


def test_wtp_is_the_utility_difference_over_the_price_coefficient():
    pw = pd.DataFrame({"delivery.standard": [-1.0, 0.0], "delivery.same_day": [1.0, 0.5], "fee": [-0.05, 0.01]},
                      index=["a", "b"])
    w = wtp_from_partworths(pw)
    assert list(w.columns) == ["wtp_delivery.same_day"]
    assert w.loc["a", "wtp_delivery.same_day"] == pytest.approx(2.0 / 0.05)
    assert np.isnan(w.loc["b", "wtp_delivery.same_day"])  # positive price coefficient: no WTP
    with pytest.raises(ValueError, match="price coefficient"):
        wtp_from_partworths(pw.drop(columns="fee"))


@pytest.fixture()
def value_inputs():
    seg = pd.Series([1, 1, 1, 2, 2, 3], index=list("abcdef"))
    link = pd.Series(["c1", "c2", "c3", "c4", "c5", "c9"], index=list("abcdef"))
    clv = pd.DataFrame({"customer_id": ["c1", "c2", "c3", "c4", "c5"], "clv": [100.0, 200, 300, 50, 50]})
    scores = pd.Series([10, 9, 3, 8, 0, 10], index=list("abcdef"))
    return seg, link, clv, scores


def test_segment_value_flags_customers_missing_from_the_log(value_inputs):
    seg, link, clv, scores = value_inputs
    v = segment_value(seg, link=link, clv=clv, nps=scores).set_index("segment")
    assert v.loc[1, "clv_mean"] == 200.0 and v.loc[2, "clv_mean"] == 50.0
    assert v.loc[3, "missing_from_clv"] == 1 and "not in the transaction log" in v.loc[3, "flags"]
    assert v.loc["total", "missing_from_clv"] == 1
    assert v.loc[1, "value_share"] == pytest.approx(600 / 700)
    assert v.loc[1, "nps"] == pytest.approx(nps(np.array([10, 9, 3])).nps)
    assert "low base" in v.loc[1, "flags"]
    with pytest.raises(ValueError, match="without the respondent -> customer link"):
        segment_value(seg, clv=clv)


def test_attractiveness_ranks(value_inputs):
    seg, link, clv, scores = value_inputs
    v = segment_value(seg, link=link, clv=clv, nps=scores)
    a = attractiveness_table(v)
    assert len(a) == 3 and a["attractiveness"].between(0, 1).all()
    assert a.set_index("segment").loc[1, "rank"] == 1
    with pytest.raises(ValueError, match="wtp_col"):
        attractiveness_table(v, wtp_col="wtp_nothing")


def test_persona_cards_generated_and_overridden():
    rng = np.random.default_rng(1)
    seg = pd.Series(np.repeat([1, 2], 80), index=[f"R{i}" for i in range(160)])
    data = pd.DataFrame({"imp_saves_time": rng.normal(5, 1, 160) + np.where(seg == 1, 2, 0),
                         "imp_reduces_cost": rng.normal(5, 1, 160) + np.where(seg == 2, 2, 0),
                         "channel": np.where(seg == 2, "marketplace", "online")}, index=seg.index)
    prof = profile_segments(data, seg, numeric=["imp_saves_time", "imp_reduces_cost"], categorical=["channel"])
    cards = persona_cards(prof, overrides={"2": {"name": "Bargain hunters", "description": "Analyst text."}})
    c = cards.set_index("segment")
    assert c.loc[1, "source"] == "generated" and "Saves time" in c.loc[1, "description"]
    assert "Reduces cost" in c.loc[1, "description"]  # cares less about it
    assert "50% of respondents" in c.loc[1, "description"] and "channel online" in c.loc[1, "description"]
    assert c.loc[2, "name"] == "Bargain hunters" and c.loc[2, "description"] == "Analyst text."
    assert c.loc[2, "source"] == "analyst"
    assert "Segment 2: Bargain hunters" in format_persona_cards(cards)
    plain = persona_cards(prof, overrides={1: "Just text"}).set_index("segment")
    assert plain.loc[1, "description"] == "Just text"
    with pytest.raises(ValueError, match="unknown segment"):
        persona_cards(prof, overrides={"7": "x"})


def test_persona_needs_and_conjoint_tradeoffs_are_told_apart():
    rng = np.random.default_rng(2)
    seg = pd.Series(np.repeat([1, 2], 60), index=[f"R{i}" for i in range(120)])
    data = pd.DataFrame({"imp_quality": rng.normal(5, 1, 120) + np.where(seg == 1, 2, 0),
                         "extras.streaming": rng.normal(0, 1, 120) + np.where(seg == 1, 3, 0),
                         "fee.29": rng.normal(0, 1, 120) + np.where(seg == 1, 4, 0)}, index=seg.index)
    prof = profile_segments(data, seg)
    c = persona_cards(prof).set_index("segment")
    assert c.loc[1, "top_needs"] == "Quality"          # price points and part-worths are not "needs"
    assert c.loc[1, "prefers"] == "streaming (extras)"  # price points are not trade-off levels
    assert "In the conjoint they value streaming (extras)" in c.loc[1, "description"]
    assert c.loc[1, "name"] == "Quality seekers"


def test_segments_on_part_worths_alone_are_not_named_after_price_points():
    """No needs battery: part-worths (``cost.187.25``) are trade-offs, never "needs" or a segment's name."""
    rng = np.random.default_rng(3)
    seg = pd.Series(np.repeat([1, 2], 60), index=[f"R{i}" for i in range(120)])
    data = pd.DataFrame({"cost.62.75": rng.normal(0, 1, 120) + np.where(seg == 1, 3, 0),
                         "cost.187.25": rng.normal(0, 1, 120) - np.where(seg == 1, 3, 0),
                         "comfort.first": rng.normal(0, 1, 120) + np.where(seg == 2, 2, 0)}, index=seg.index)
    c = persona_cards(profile_segments(data, seg)).set_index("segment")
    assert (c["top_needs"] == "").all() and not c["name"].str.contains("cost").any()
    assert c.loc[1, "name"] == "Segment 1" and c.loc[2, "name"] == "Prefers first (comfort)"
    assert not c["description"].str.contains("No need sets").any()  # no needs were measured
    assert c.loc[2, "description"].startswith("In the conjoint they value first (comfort) more than others.")


def test_part_worth_names_use_the_engagements_words():
    from cvkit.present.glossary import set_engagement_labels
    from cvkit.segment.profile import pretty_name

    set_engagement_labels({"alternative": "Mode", "car": "Auto"})
    try:
        assert pretty_name("alternative.car") == "Auto (Mode)"
        assert pretty_name("comfort.first_class") == "first class (comfort)"
    finally:
        set_engagement_labels({})
    assert pretty_name("alternative.car") == "car (alternative)"
