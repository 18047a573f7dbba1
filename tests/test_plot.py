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


def test_currency_axis_formats_ticks():
    set_theme()
    fig, ax = plt.subplots()
    ax.plot([0, 1000], [0, 2000])
    assert currency_axis(ax, "GBP") is ax
    fig.canvas.draw()
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert any(label.startswith("£") for label in labels)
    plt.close(fig)
