"""The engagement synthesis on hand-made results: each part, missing analyses, the dashboard."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd
import pytest

from cvkit.engagement import synthesis as syn
from cvkit.engagement.results import (AnalysisResults, ChoiceResults, ClvResults, DriversResults, EngagementResults,
                           SegmentationResults)


def drivers(planned_price: float = 69.0) -> DriversResults:
    return DriversResults.model_validate({
        "client_brand": "Acme", "competitor": "Rival", "outcome": "nps",
        "nps": {"value": 20.0, "low": 15.0, "high": 25.0, "n": 400},
        "nps_gap": {"value": -6.0, "low": -11.0, "high": -1.0}, "nps_gap_significant": True,
        "r2": {"value": 0.5},
        "top_drivers": [{"driver": "quality", "label": "Quality", "importance": 22.0},
                        {"driver": "saves_time", "label": "Saves time", "importance": 15.0}],
        "elements": [
            {"action": "stop over-investing", "element": "fun", "label": "Fun", "importance": 1.0, "performance": 8.0,
             "reason": "strong, unimportant"},
            {"action": "fix", "element": "reduces_cost", "label": "Reduces cost", "importance": 9.0,
             "performance": 4.0, "gap": -1.5, "reason": "important, weak"},
            {"action": "defend", "element": "quality", "label": "Quality", "importance": 22.0, "performance": 7.5,
             "gap": 0.8, "reason": "important, strong"}],
        "eve": {"offer": "Acme club", "reference_value": 40.0, "differentiation_value": 50.0, "economic_value": 90.0,
                "planned_price": planned_price}})


def choice(win_price: float = 69.0) -> ChoiceResults:
    return ChoiceResults.model_validate({
        "method": "hb", "converged": True, "price_attribute": "fee",
        "importances": [{"attribute": "fee", "importance": 40.0}, {"attribute": "delivery", "importance": 60.0}],
        "base_concept": {"name": "Acme Basic", "levels": {"delivery": "standard", "fee": 49}, "share": 0.2,
                         "price": 49},
        "winning_concept": {"name": "most profitable concept", "levels": {"delivery": "same_day", "fee": win_price},
                            "share": 0.35, "price": win_price, "profit_per_customer": 12.0},
        "profit_max_price": 59.0, "tested_prices": [29, 49, 69, 89],
        "wtp": [{"attribute": "delivery", "from_level": "standard", "to_level": "same_day", "wtp": 45.0, "low": 38.0,
                 "high": 52.0}]})


def segmentation() -> SegmentationResults:
    return SegmentationResults.model_validate({
        "basis": "needs and partworths", "k": 3, "algorithm": "consensus",
        "segments": [
            {"segment": "1", "name": "Busy", "size_share": 0.5, "respondents": 50, "clv_mean": 20.0,
             "value_share": 0.25, "nps": 10.0, "attractiveness": 0.3},
            {"segment": "2", "name": "Savers", "size_share": 0.3, "respondents": 30, "clv_mean": 30.0,
             "value_share": 0.2, "nps": 5.0, "attractiveness": 0.1},
            {"segment": "3", "name": "Premium", "size_share": 0.2, "respondents": 20, "clv_mean": 110.0,
             "value_share": 0.55, "nps": 40.0, "attractiveness": 0.9, "target": True,
             "target_reason": "most attractive", "key_traits": ["cares most about Quality"]}]})


def clv(by_segment: bool = True) -> ClvResults:
    groups = [{"group": "online", "customers": 60, "clv": 700.0, "low": 650.0, "high": 750.0, "share": 0.7,
               "clv_to_cac": 5.0},
              {"group": "stores", "customers": 40, "clv": 300.0, "low": 260.0, "high": 340.0, "share": 0.3,
               "clv_to_cac": 1.4}]
    return ClvResults.model_validate({
        "model": "bg_nbd", "horizon_months": 12, "n_customers": 100,
        "total": {"value": 1000.0, "low": 920.0, "high": 1080.0, "level": 0.9}, "top20_share": 0.65,
        "mean_p_alive": 0.4, "segment_column": "channel" if by_segment else None,
        "by_tier": [{"group": "top 20%", "customers": 20, "clv": 650.0, "share": 0.65},
                    {"group": "next 30%", "customers": 30, "clv": 250.0, "share": 0.25},
                    {"group": "bottom 50%", "customers": 50, "clv": 100.0, "share": 0.1}],
        "by_segment": groups if by_segment else []})


TITLES = {"drivers": "Value drivers", "choice": "Discrete choice", "segment": "Segmentation",
          "clv": "Customer lifetime value"}


def engagement(**sections) -> EngagementResults:
    files = {name: AnalysisResults(analysis=name, section=section) for name, section in sections.items()}
    missing = [title for name, title in TITLES.items() if name not in sections]
    return EngagementResults(run_dir=Path("."), files=files, missing=missing)


@pytest.fixture
def full() -> EngagementResults:
    return engagement(drivers=drivers(), choice=choice(), segment=segmentation(), clv=clv())


def test_five_findings_each_with_its_number(full):
    findings = syn.headline_findings(full, currency="EUR")
    assert [f.topic for f in findings] == ["Value at stake", "Whom to target", "Loyalty", "What drives it",
                                           "What to offer"]
    assert findings[0].number == "€1,000" and "€920 to €1,080" in findings[0].text and "65%" in findings[0].text
    assert findings[1].number == "55%" and "Premium" in findings[1].text
    assert "-6.0 points against Rival (a real difference)" in findings[2].text
    assert "fix first: Reduces cost" in findings[3].text
    assert "delivery same day at €69" in findings[4].text and findings[4].number == "35%"


def test_value_at_stake_by_needs_segment_then_by_customer_column(full):
    stake = syn.value_at_stake(full)
    assert stake.basis == "needs-based segments" and stake.top_group == "3: Premium" and stake.top_share == 0.55
    assert stake.table["value"].iloc[0] == pytest.approx(550.0) and bool(stake.table["target"].iloc[0])
    only_clv = syn.value_at_stake(engagement(clv=clv()))
    assert only_clv.basis == "customers by channel" and only_clv.top_group == "online"
    assert only_clv.table.set_index("group").loc["stores", "low"] == 260.0
    tiers = syn.value_at_stake(engagement(clv=clv(by_segment=False)))
    assert tiers.basis == "CLV value tiers" and tiers.top_share == 0.65
    assert syn.value_at_stake(engagement(drivers=drivers())).top_group is None


def test_targets_come_from_the_segmentation_or_fall_back_to_the_top_tier(full):
    targets = syn.target_recommendation(full)
    assert targets["name"].tolist() == ["Premium"] and "most attractive" in targets["why"].iloc[0]
    assert "Quality" in targets["why"].iloc[0] and "needs-based" in targets.attrs["basis"]
    fallback = syn.target_recommendation(engagement(clv=clv()))
    assert fallback["segment"].tolist() == ["top 20%"] and "segmentation" in fallback["why"].iloc[0]
    assert syn.target_recommendation(engagement(drivers=drivers())).empty


def test_recommend_targets_keeps_a_near_tie_and_says_why():
    table = pd.DataFrame({"segment": [1, 2, 3], "share": [0.5, 0.3, 0.2], "clv_mean": [20.0, 90.0, 50.0],
                          "nps": [10.0, 30.0, 5.0], "attractiveness": [0.85, 0.9, 0.2]})
    targets = syn.recommend_targets(table, currency="EUR")
    assert list(targets) == ["2", "1"]
    assert targets["2"].startswith("most attractive segment (score 0.90); leads all segments on CLV per customer and NPS")
    assert "close runner-up" in targets["1"] and "size 50%" in targets["1"]
    assert list(syn.recommend_targets(table.assign(attractiveness=[0.3, 0.9, 0.2]))) == ["2"]
    assert syn.recommend_targets(table.iloc[:0]) == {}


def test_element_actions_in_action_order(full):
    actions = syn.element_actions(full)
    assert actions["action"].tolist() == ["fix", "defend", "stop over-investing"]
    assert actions.attrs["competitor"] == "Rival"
    assert syn.element_actions(engagement(clv=clv())).empty


def test_price_corridor_from_eve_and_the_conjoint(full):
    corridor = syn.price_corridor(full, currency="EUR")
    assert (corridor.low, corridor.high, corridor.recommended) == (40.0, 90.0, 69.0)
    assert corridor.concept == {"delivery": "same_day"} and corridor.wtp.value == 45.0
    assert corridor.flags == []
    assert set(corridor.table["source"]) == {"value drivers", "discrete choice"}
    # Red flags: a price above the EVE ceiling; a winning price at the top of the tested range.
    flagged = syn.price_corridor(engagement(drivers=drivers(planned_price=95.0), choice=choice(win_price=89.0)))
    assert any("planned price €95 is above the economic value" in f for f in flagged.flags)
    assert any("highest price tested" in f for f in flagged.flags)
    # The conjoint's WTP clearly above the EVE ceiling: the EVE inputs undervalue the offer.
    low_eve = drivers()
    low_eve.eve = low_eve.eve.model_copy(update={"differentiation_value": -5.0, "economic_value": 35.0})
    undervalued = syn.price_corridor(engagement(drivers=low_eve, choice=choice()))
    assert any(f.startswith("respondents value the winning features at €45 (interval from €38)") for f in undervalued.flags)
    # Without EVE the conjoint alone bounds the corridor; with neither there is no corridor.
    conjoint_only = syn.price_corridor(engagement(choice=choice()))
    assert (conjoint_only.low, conjoint_only.high) == (29, 45.0)
    assert any("above the corridor's ceiling" in f for f in conjoint_only.flags)
    assert not syn.price_corridor(engagement(clv=clv())).available


def test_missing_analyses_are_named_and_become_next_steps():
    only_clv = engagement(clv=clv())
    note = syn.missing_note(only_clv)
    assert note.startswith("Not run in this engagement: Value drivers, Discrete choice, Segmentation")
    findings = syn.headline_findings(only_clv)
    assert [f.topic for f in findings] == ["Value at stake", "Who is still active", "Acquisition"]
    assert "stores" in findings[2].text and findings[2].number == "1.4"
    steps = syn.next_steps(only_clv, n=10)
    assert steps[0].startswith("Start a retention programme for the top 20%")
    assert any(s.startswith("Run the value drivers analysis (needs a brand survey)") for s in steps)
    assert syn.missing_note(engagement(drivers=drivers(), choice=choice(), segment=segmentation(), clv=clv())) == ""


def test_next_steps_follow_the_findings(full):
    steps = syn.next_steps(full)
    assert steps[0].startswith('Build the customer plan around "Premium"')
    assert any("Close the gap on Reduces cost" in s for s in steps)
    assert any("Review the spend on Fun" in s for s in steps)
    assert any("Pilot the winning concept at €69" in s for s in steps)
    assert len(steps) <= 6


def test_dashboard_fits_a_slide_and_says_what_is_missing(full):
    fig = syn.plot_dashboard(full, currency="EUR", client_name="Acme")
    width, height = fig.get_size_inches()
    assert width / height == pytest.approx(16 / 9, rel=0.02)
    axes = fig.axes
    assert len(axes) == 4 and all(ax.axison for ax in axes)
    assert axes[0].get_title(loc="left").startswith("Value at stake: €1,000")
    assert len(axes[0].patches) == 3 and len(axes[2].patches) == 3
    plt.close(fig)
    fig = syn.plot_dashboard(engagement(clv=clv()), currency="EUR")
    texts = [t.get_text() for ax in fig.axes for t in ax.texts]
    assert sum(not ax.axison for ax in fig.axes) == 3
    assert any("Segmentation not run" in t for t in texts) and any("Value drivers not run" in t for t in texts)
    plt.close(fig)


def test_plot_functions_take_and_return_axes(full):
    fig, ax = plt.subplots()
    assert syn.plot_price_corridor(syn.price_corridor(full), ax=ax) is ax
    assert syn.plot_targets(full, ax=ax) is ax
    plt.close(fig)


def test_the_stored_summary_renders_as_the_deliverable_index(tmp_path: Path):
    from cvkit.engagement.parameters import NOTEBOOKS_DIR
    from cvkit.engagement.report import render_index

    pages = [{"title": "Value drivers", "html": "01_value_drivers.html", "status": "ok",
              "results": {"client_nps": {"value": 29.4, "unit": "points", "label": "NPS of Demo Retail"}}},
             {"title": "Segmentation", "html": None, "status": "not_run", "results": {}}]
    index = render_index(tmp_path, client_name="Demo Retail", analysis_date="2026-06-30", pages=pages,
                         summary=NOTEBOOKS_DIR / "05_engagement_synthesis.ipynb").read_text()
    assert "<title>Executive summary | Demo Retail</title>" in index
    nav, findings, cards = (index.index('class="cvkit-pages-nav"'), index.index('id="1.-Headline-findings"'),
                            index.index('id="the-analyses"'))
    assert nav < findings < cards  # links on top, the summary, then the cards with the headline figures
    # The page is linked from the top navigation, its card and the pager's "Next"; NPS is signed points.
    assert index.count('href="01_value_drivers.html"') == 3 and "<dd>+29.4</dd>" in index
    assert 'class="cvkit-next" href="01_value_drivers.html"' in index
    assert 'class="cvkit-card not-run"' in index and "All analyses" not in index
    # Without a summary (no analysis ran) the index is the cards alone.
    plain = render_index(tmp_path, client_name="Demo Retail", analysis_date="2026-06-30", pages=pages).read_text()
    assert "Headline findings" not in plain and 'href="01_value_drivers.html"' in plain


def test_a_horizon_beyond_the_history_is_called_extrapolation_in_the_finding():
    short = clv().model_copy(update={"history_months": 3.9})
    text = syn.headline_findings(engagement(clv=short))[0].text
    assert "over the next 12 months (extrapolated: the log covers 3.9 months" in text
    long_enough = clv().model_copy(update={"history_months": 30.0})
    assert "extrapolated" not in syn.headline_findings(engagement(clv=long_enough))[0].text
    assert "extrapolated" not in syn.headline_findings(engagement(clv=clv()))[0].text  # span unknown


def test_an_analysis_that_ran_on_key_figures_only_is_not_asked_to_be_run():
    """An RFM-only segmentation (no needs, no part-worths) ran: the next step is its missing data, not a rerun."""
    results = engagement(clv=clv())
    results.missing.remove("Segmentation")
    results.without_section.append("Segmentation")
    steps = syn.next_steps(results, n=10)
    assert not any(s.startswith("Run the segmentation analysis") for s in steps)
    assert any(s.startswith("Give the segmentation a needs battery or conjoint part-worths") for s in steps)
    note = syn.missing_note(results)
    assert "Segmentation ran without the data its full results need" in note and "rerun" not in note


def test_the_largest_share_of_value_reads_as_a_sentence():
    stake = syn.value_at_stake(engagement(clv=clv()))
    assert stake.top_sentence() == "Largest share of value among customers by channel: online, 70%."
    assert syn.value_at_stake(engagement(drivers=drivers())).top_sentence() == ""


def test_conjoint_prices_are_written_in_the_studys_price_unit_not_the_currency():
    """A conjoint priced in cents/kWh (price_unit) is not money in EUR, nor compared with EVE's EUR."""
    cents = choice(win_price=9.0).model_copy(update={"price_unit": "cents/kWh", "tested_prices": [5, 7, 9]})
    only = syn.price_corridor(engagement(choice=cents), currency="EUR")
    assert only.recommended_text() == "9 cents/kWh" and only.bounds_text() == "5 cents/kWh to 45 cents/kWh"
    table = only.formatted()
    assert table.loc["winning concept's price (most profitable)", "price"] == "9 cents/kWh"
    assert syn.price_corridor(engagement(drivers=drivers(), choice=choice())).formatted()["price"].tolist()[:3] == [
        "€40", "€90", "€69"]
    assert "profit-maximising price for Acme Basic" in table.index  # not the demo's "fee"
    assert not any("€" in f for f in only.flags) and any("highest price tested" in f for f in only.flags)
    with_eve = syn.price_corridor(engagement(drivers=drivers(), choice=cents), currency="EUR")
    assert (with_eve.low, with_eve.high) == (40.0, 90.0) and with_eve.bounds_text() == "€40 to €90"
    assert any("in cents/kWh, EVE's in EUR: the two are not compared" in f for f in with_eve.flags)
    assert not any("ceiling" in f for f in with_eve.flags)
    findings = syn.headline_findings(engagement(choice=cents), currency="EUR")
    assert "at 9 cents/kWh" in findings[-1].text
    steps = syn.next_steps(engagement(choice=cents), currency="EUR", n=10)
    assert any("Pilot the winning concept at 9 cents/kWh" in s for s in steps)
    # A unit that is money in the currency stays money.
    per_year = choice().model_copy(update={"price_unit": "EUR per year"})
    assert syn.price_corridor(engagement(choice=per_year), currency="EUR").recommended_text() == "€69"


def test_the_winning_concept_is_told_in_the_engagements_words():
    from cvkit.present.glossary import set_engagement_labels

    win = choice().model_copy(update={"winning_concept": choice().winning_concept.model_copy(
        update={"levels": {"alternative": "car", "time": 25.0, "fee": 69.0}})})
    set_engagement_labels({"car": "Auto", "time": "Reisezeit (Minuten)"})
    try:
        text = syn.headline_findings(engagement(choice=win), currency="EUR")[-1].text
    finally:
        set_engagement_labels({})
    assert "alternative Auto, Reisezeit (Minuten) 25 at €69" in text


def test_the_winning_concept_of_the_corridor_reads_in_words_without_float_noise():
    from cvkit.present.glossary import set_engagement_labels

    win = choice().model_copy(update={"winning_concept": choice().winning_concept.model_copy(
        update={"levels": {"comfort": 0.0, "time": 55.0, "fee": 69.0}})})
    set_engagement_labels({"comfort": "Komfortklasse"})
    try:
        assert syn.price_corridor(engagement(choice=win)).concept_text() == "Komfortklasse = 0, time = 55"
    finally:
        set_engagement_labels({})
