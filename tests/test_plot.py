import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from cvkit.plot import CLIENT_COLOR, COMPETITOR_COLORS, brand_palette, currency_axis, format_currency, set_theme


def test_client_always_gets_the_client_colour_and_competitors_are_stable():
    a = brand_palette(["QuickShop", "Demo Retail", "ValueMart"], "Demo Retail")
    b = brand_palette(["ValueMart", "QuickShop", "Demo Retail"], "Demo Retail")
    assert a == b
    assert a["Demo Retail"] == CLIENT_COLOR
    assert a["QuickShop"] == COMPETITOR_COLORS[0] and a["ValueMart"] == COMPETITOR_COLORS[1]


def test_format_currency():
    assert format_currency(1234.4, "EUR") == "€1,234"
    assert format_currency(1234.6, "EUR") == "€1,235"
    assert format_currency(-50, "USD", 2) == "-$50.00"
    assert format_currency(10, "XYZ") == "XYZ 10"


def test_money_in_the_engagement_currency_reads_as_its_tables():
    """A sentence or chart label in the engagement's currency uses the engagement's locale, like the tables."""
    from cvkit import present
    from cvkit.engagement import flags

    try:
        present.configure("de_DE", "USD")
        assert format_currency(246339.4, "USD") == present.money(246339.4) == "246.339\xa0$"
        assert format_currency(0.954, "USD", 2) == "0,95\xa0$"
        assert format_currency(1234, "GBP") == "£1,234"  # another currency keeps the plain form
        assert flags._n(48868) == "48.868" and flags._short(0.4523) == "0,452" and flags._short(1234.5) == "1.234"
        present.configure("", "CHF")
        assert format_currency(246339, "CHF") == present.money(246339) != "CHF 246,339"
    finally:
        present.configure("", "EUR")
    assert format_currency(246339.4, "EUR") == "€246,339" and flags._short(0.4523) == "0.452"


def test_currency_axis_formats_ticks():
    set_theme()
    fig, ax = plt.subplots()
    ax.plot([0, 1000], [0, 2000])
    assert currency_axis(ax, "GBP") is ax
    fig.canvas.draw()
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert any(label.startswith("£") for label in labels)
    plt.close(fig)


def test_date_axis_writes_each_month_once_and_the_year_in_the_offset():
    import matplotlib.pyplot as plt
    import pandas as pd

    from cvkit.plot import date_axis

    months = pd.date_range("1997-01-01", "1998-06-01", freq="MS")
    fig, ax = plt.subplots(figsize=(8, 3))
    ax.bar(months, range(len(months)), width=20)
    assert date_axis(ax) is ax
    fig.canvas.draw()
    labels = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
    # Concise labels ("Apr", "1998", ...) instead of full dates that overlap.
    assert labels and all(len(label) <= 5 for label in labels), labels
    assert len(labels) <= 10
    plt.close(fig)
