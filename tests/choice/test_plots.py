"""Charts and the workshop widget."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from cvkit.choice import (MNL, Simulator, importance_summary, partworth_table, plot_importances,  # noqa: E402
                          plot_partworth_distributions, plot_partworths, plot_price_curve, plot_shares, plot_trace,
                          plot_wtp, scenario_table, simulator_widget, wtp)

PRODUCTS = [{"name": "Plus", "delivery": "same_day", "returns": "free", "extras": "streaming", "fee": 59},
            {"name": "Basic", "delivery": "standard", "returns": "paid", "extras": "none", "fee": 29}]


@pytest.fixture(scope="module")
def mnl_utilities(demo, demo_spec):
    return MNL(demo_spec).fit(demo.choice).utilities()


def test_charts_return_their_axes(mnl_utilities):
    u = mnl_utilities
    ax = plot_partworths(partworth_table(u))
    assert len(ax.get_xticklabels()) == 13
    ax = plot_importances(importance_summary(u))
    assert len(ax.patches) == 4
    ax = plot_wtp(wtp(u))
    assert len(ax.patches) == len(wtp(u))
    fig, given = plt.subplots()
    assert plot_partworth_distributions(u.zero_centered_diffs(), ax=given) is given
    ax = plot_trace(np.zeros((2, 10, 3)), ["a", "b", "c"])
    assert len(ax.lines) == 6
    sim = Simulator(u)
    ax = plot_shares(sim.shares(PRODUCTS), client_products=["Plus"])
    assert len(ax.patches) == 3
    ax = plot_price_curve(sim.price_curve(PRODUCTS, "Plus"))
    assert len(ax.lines) == 1
    plt.close("all")


def test_static_table_and_widget(mnl_utilities):
    sim = Simulator(mnl_utilities)
    table = scenario_table(sim, PRODUCTS)
    assert list(table.index) == ["Plus", "Basic", "None"]
    assert table["share (%)"].sum() == pytest.approx(100, abs=0.2)
    box = simulator_widget(sim, PRODUCTS, client_products=["Plus"])
    dropdowns = [c for col in box.children[0].children for c in col.children if hasattr(c, "options")]
    assert len(dropdowns) == 8
    fee = [d for d in dropdowns if d.description == "fee"][0]
    assert 59 in [v for _, v in fee.options]  # an interpolated price stays selectable
    extras = [d for d in dropdowns if d.description == "extras"][0]
    extras.value = "priority_service"  # live update runs without error
    assert box.children[1].value == ""
    plt.close("all")
