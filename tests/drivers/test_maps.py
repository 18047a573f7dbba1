"""Importance-performance matrix, gaps, value map, EVE chart and the action table."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from cvkit import drivers
from cvkit.data.errors import DataError
from cvkit.metrics import economic_value


def _scores():
    return pd.DataFrame({
        "brand": ["C"] * 4 + ["K"] * 4,
        "element": ["a", "b", "c", "d"] * 2,
        "name": ["A", "B", "C", "D"] * 2,
        "order": [1, 2, 3, 4] * 2,
        "mean": [8.0, 4.0, 3.0, 9.0, 6.0, 6.0, 5.0, 5.0],
    })


def test_importance_performance_quadrants_and_actions():
    imp = pd.Series({"a": 40.0, "b": 35.0, "c": 10.0, "d": 15.0})  # mean 25
    t = drivers.importance_performance(imp, _scores(), "C", "K")   # performance mean 6
    q = t.set_index("driver")
    assert q.loc["a", "quadrant"] == "keep up the good work" and q.loc["a", "action"] == "defend"
    assert q.loc["b", "quadrant"] == "concentrate here" and q.loc["b", "action"] == "fix"
    assert q.loc["c", "quadrant"] == "low priority"
    assert q.loc["d", "quadrant"] == "possible overkill" and q.loc["d", "action"] == "stop over-investing"
    assert q.loc["b", "gap"] == pytest.approx(-2.0)
    assert t.attrs["importance_cut"] == 25 and t.attrs["performance_cut"] == 6
    fixed = drivers.importance_performance(imp, _scores(), "C", importance_cut=12, performance_cut=2.5)
    assert fixed.set_index("driver").loc["c", "quadrant"] == "possible overkill"
    acts = drivers.action_table(t)
    assert list(acts["action"]) == ["fix", "defend", "stop over-investing"]
    assert "-2.0 vs K" in acts.loc[0, "why"]
    with pytest.raises(ValueError, match="not in the scores"):
        drivers.importance_performance(imp, _scores(), "X")
    with pytest.raises(ValueError, match="no performance score"):
        drivers.importance_performance(pd.Series({"zz": 1.0}), _scores(), "C")
    with pytest.raises(ValueError, match="cut-off"):
        drivers.importance_performance(imp, _scores(), "C", importance_cut="mode")
    _, ax = plt.subplots()
    assert drivers.plot_importance_performance(t, ax=ax) is ax


def test_importance_performance_from_fitted_analysis(survey):
    el = drivers.element_labels()
    k = drivers.KeyDriverAnalysis(n_boot=0, seed=0).fit(survey, "nps", list(el))
    scores = drivers.element_scores(survey)
    t = drivers.importance_performance(k, scores, "Demo Retail", "ValueMart", labels=el)
    assert len(t) == 30 and t["importance"].sum() == pytest.approx(100)
    assert t["importance"].is_monotonic_decreasing
    assert set(t["action"]) <= {"fix", "defend", "monitor", "stop over-investing"}


def test_gap_table_and_chart():
    g = drivers.gap_table(_scores(), "C")
    assert list(g.index) == ["a", "b", "c", "d"]
    assert g.loc["a", "K"] == pytest.approx(2.0) and g.loc["b", "gap_to_best"] == pytest.approx(-2.0)
    _, ax = plt.subplots()
    assert drivers.plot_gaps(g, "K", ax=ax, order=["d", "a"]) is ax
    assert len(ax.patches) == 2
    with pytest.raises(ValueError, match="not in the scores"):
        drivers.gap_table(_scores(), "C", ["Z"])


def test_value_map_relative_to_competitors():
    df = pd.DataFrame({"brand": ["C"] * 40 + ["K"] * 40 + ["L"] * 40,
                       "perceived_quality": [8] * 40 + [6] * 40 + [4] * 40,
                       "perceived_price": [6] * 40 + [4] * 40 + [6] * 40})
    vm = drivers.value_map(df, client="C").set_index("brand")
    assert vm.loc["C", "rel_quality"] == pytest.approx(8 / 5) and vm.loc["C", "rel_price"] == pytest.approx(6 / 5)
    assert vm.loc["C", "value_gap"] == pytest.approx(0.4) and vm.loc["L", "value_gap"] < 0
    mkt = drivers.value_map(df, reference="market").set_index("brand")
    assert mkt.loc["K", "rel_quality"] == pytest.approx(1.0)
    assert drivers.value_map(df.head(50), client="C", min_n=30).set_index("brand").loc["K", "low_base"]
    with pytest.raises(ValueError, match="needs the client"):
        drivers.value_map(df)
    with pytest.raises(DataError, match="outside the 0-10 scale"):
        drivers.value_map(df.assign(perceived_price=20), client="C")
    _, ax = plt.subplots()
    assert drivers.plot_value_map(drivers.value_map(df, client="C"), "C", ax=ax) is ax


def test_eve_waterfall():
    eve = economic_value(300, {"faster delivery": 400, "free returns": 250}, {"smaller range": 50})
    _, ax = plt.subplots()
    assert drivers.plot_eve(eve, "USD", ax=ax, price=600) is ax
    assert len(ax.patches) == 5
    heights = [p.get_height() for p in ax.patches]
    np.testing.assert_allclose(heights, [300, 400, 250, 50, 900])


def test_survey_base_and_nps_chart():
    df = pd.DataFrame({"respondent_id": ["r1", "r1", "r2", "r3", "r3", "r4"],
                       "brand": ["C", "K", "C", "C", "K", "C"],
                       "nps": [10, 3, np.nan, 9, 8, 0], "satisfaction": [9, 4, 5, 8, 8, 1]})
    base = drivers.survey_base(df, min_base=3).set_index("brand")
    assert base.loc["C", "respondents"] == 4 and base.loc["K", "respondents"] == 2
    assert base.loc["C", "missing_nps"] == pytest.approx(0.25) and base.loc["K", "below_min_base"]
    assert "missing_overall_value" not in base
    with pytest.raises(DataError, match="'respondent_id'"):
        drivers.survey_base(df.drop(columns="respondent_id"))
    from cvkit.metrics import by_group
    t = by_group(df, "brand", "nps", min_n=3)
    _, ax = plt.subplots()
    assert drivers.plot_nps(t, "C", ax=ax) is ax
    assert len(ax.patches) == 1 and "K" in ax.get_title()
