"""The presentation layer: locale formats, glossary labels, tables without index, NaN as a dash."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cvkit import present
from cvkit.present import Formats, glossary
from cvkit.present.table import Table


def test_money_follows_locale_and_currency():
    assert Formats("en_IE", "EUR").money(333857.5) == "€333,858"
    assert Formats("de_DE", "EUR").money(333857.5).replace("\xa0", " ") == "333.858 €"
    assert Formats("en_US", "USD").money(12.5) == "$12.50"
    assert Formats("zh_Hant_TW", "TWD").money(44384706) == "NT$44,384,706"
    assert Formats("en_IE", "EUR").percent(0.0912) == "9.1%"
    assert Formats("fr_FR", "EUR").count(48868).replace("\u202f", " ") == "48 868"


@pytest.mark.parametrize("currency, locale, shown", [
    ("TWD", None, "NT$1,234,568"),  # zh_Hant_TW writes "$", which English reads as US dollars
    ("TWD", "en_US", "NT$1,234,568"),
    ("CAD", "en_US", "CA$1,234,568"),
    ("CAD", None, "CA$1,234,568"),  # en_CA's own "$" too
    ("AUD", None, "A$1,234,568"),
    ("HKD", None, "HK$1,234,568"),
    ("EUR", "de_DE", "1.234.568\xa0€"),
    ("JPY", "ja_JP", "￥1,234,568"),
    ("CNY", None, "CN¥1,234,568"),  # zh_Hans_CN's "¥" is the yen's in English
    ("USD", "en_US", "$1,234,568"),
    ("USD", "en_CA", "US$1,234,568"),
    ("SGD", "en_US", "SGD\xa01,234,568"),  # a code is kept apart from the digits
])
def test_money_names_its_currency_unambiguously(currency, locale, shown):
    from cvkit.engagement.workbook import excel_format

    f = Formats(locale or present.default_locale(currency), currency)
    assert f.money(1234567.5) == shown
    # Only the US dollar goes by a bare "$", and the workbook's cells show the pages' symbol.
    assert f.symbol() != "$" or currency == "USD"
    assert f.symbol().replace("\xa0", "") in excel_format("money", 0, f)


@pytest.mark.parametrize("locale", ["de_CH", "fr_CH", "it_CH", "en_CH"])
def test_swiss_apostrophe_groups_every_thousand(locale):
    """Babel drops a pair of apostrophe group symbols (2'500'316 came out as 2500316): cvkit regroups."""
    f = Formats(locale, "CHF")
    assert f.count(2500316) == "2'500'316" and f.count(69659) == "69'659" and f.count(999) == "999"
    assert "2'500'316" in f.money(2500316.4) and "-" in f.money(-203322.1) and "203'322" in f.money(-203322.1)
    assert f.number(-12345678.25, 2).startswith("-12'345'678") and f.percent(123.4567, 0) == "12'346%"


def test_unknown_locale_names_the_fix():
    with pytest.raises(ValueError, match="en_GB"):
        Formats("xx_YY_ZZ", "EUR")


def test_paper_size_is_letter_only_in_us_and_canada():
    assert present.paper_size("en_US") == "Letter" and present.paper_size("fr_CA") == "Letter"
    assert present.paper_size("en_GB") == "A4" and present.paper_size("de_DE") == "A4"


def test_table_formats_by_kind_and_hides_the_index():
    df = pd.DataFrame({"segment": ["Champions", "At risk"], "customers": [722.0, 660.0], "share": [0.1444, 0.132],
                       "clv_mean": [1140.4, np.nan], "p_alive": [0.884, 0.1]}).set_index("segment")
    t = Table(df, fmt=Formats("en_IE", "EUR"))
    shown = t.to_frame()
    assert list(shown.columns) == ["Segment", "Customers", "Share", "CLV per customer", "P(active)"]
    assert shown.iloc[0].tolist() == ["Champions", "722", "14%", "€1,140", "88%"]
    assert shown.iloc[1, 3] == present.DASH
    html = t.to_html()
    assert "no value" in html  # the dash has its footnote
    assert "<th" in html and "row_heading" not in html  # no index column


def test_interval_columns_take_the_kind_of_their_estimate():
    df = pd.DataFrame({"group": ["total"], "clv": [333857.5], "lower": [325439.6], "upper": [342148.0]})
    assert Table(df, fmt=Formats("en_IE", "EUR")).to_frame().iloc[0].tolist() == [
        "total", "€333,858", "€325,440", "€342,148"]


def test_method_codes_and_snake_case_values_read_as_words():
    df = pd.DataFrame({"model": ["bg_nbd", "pareto_nbd"], "level": ["next_day", "same_day"]})
    assert Table(df).to_frame().to_numpy().tolist() == [["BG/NBD", "Next day"], ["Pareto/NBD", "Same day"]]


def test_no_float_with_four_decimals():
    df = pd.DataFrame({"estimate": [0.24312345, 4.41234], "aic": [123456.789, 123.0]})
    for cell in Table(df).to_frame().to_numpy().ravel():
        assert len(cell.split(".")[-1]) < 4 or "." not in cell


def test_every_column_cvkit_exports_has_a_label():
    """Column names of a demo deliverable's tables all have a glossary entry or rule."""
    tables = Path(__file__).resolve().parents[2] / "cvkit" / "datasets"
    sample = ["clv_to_cac", "wtp_delivery.next_day_median", "saves_time", "imp_saves_time", "relative_weight_pct_lower",
              "share_of_r2_pct_upper", "nps_low", "p_alive", "monetary_value", "clv_3m", "index_2"]
    for name in sample:
        assert glossary.known(name), name
        assert "_" not in glossary.label(name), (name, glossary.label(name))



def test_campaign_and_rule_columns_have_labels_and_kinds():
    assert glossary.label("rate_contacted_low") == "Response rate, contacted, 95% low"
    assert glossary.kind("rate_contacted_low") == "share" and glossary.kind("incremental_margin_low") == "money"
    assert glossary.known("delivery.next_day") and glossary.known("6 months") and glossary.known("LuxeStore")
    assert not glossary.known("brand_new_metric")


def test_row_labels_are_kept_whatever_their_dtype():
    """pandas 3 stores text labels as `str`, not `object`: they must still be shown (the what-if
    scenarios table lost its 'margin 30%, discount 10%' labels)."""
    from cvkit.present.table import prepare

    labelled = prepare(pd.DataFrame({"12 months": [1.0, 2.0]}, index=["margin 20%", "margin 30%"]))
    assert labelled.columns.tolist() == ["item", "12 months"] and labelled["item"].tolist() == ["margin 20%", "margin 30%"]
    cats = prepare(pd.Series([1, 2], index=pd.CategoricalIndex(["p", "q"])))
    assert cats.columns.tolist() == ["item", "value"]
    assert prepare(pd.DataFrame({"a": [1, 2]}, index=[3, 5])).columns.tolist() == ["a"]  # a bare integer index goes


def test_engagement_labels_name_the_clients_codes_on_tables_charts_and_sentences():
    import matplotlib

    matplotlib.use("Agg")
    from cvkit.choice import narrative, plots

    try:
        present.configure("", "USD", {"pf": "Fixed price", "seas": "Seasonal rates"})
        assert present.words("pf") == "Fixed price" and present.words("cl") == "cl"
        shown = Table(pd.DataFrame({"attribute": ["pf", "cl"], "pf": [1.0, 2.0]})).to_frame()
        assert shown.columns.tolist() == ["Attribute", "Fixed price"] and shown.iloc[:, 0].tolist() == ["Fixed price", "cl"]
        ax = plots.plot_importances(pd.DataFrame({"attribute": ["pf", "seas"], "importance": [60.0, 40.0],
                                                  "p10": [50.0, 30.0], "p90": [70.0, 50.0]}))
        assert [t.get_text() for t in ax.get_yticklabels()] == ["Seasonal rates", "Fixed price"]
        assert narrative._label("pf") == "Fixed price" and narrative._label("next_day") == "next day"
    finally:
        present.configure("", "EUR")
    assert present.words("pf") == "pf"


def test_a_money_column_has_one_number_of_decimals():
    amounts = pd.Series([1901.2, 868.19, -366.15, None], index=list("abcd"))
    shown = present.money_column(amounts)
    assert shown.tolist() == ["€1,901", "€868", "-€366", ""] and shown.index.tolist() == list("abcd")
    assert present.money_column(pd.Series([868.19, 12.5])).tolist() == ["€868.19", "€12.50"]
