"""Elements of value: catalogue, scoring, high-score counts, pyramid chart, survey template."""

from __future__ import annotations

import matplotlib.axes
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from cvkit import drivers
from cvkit.data.errors import DataError
from cvkit.resources import load_elements, templates_dir


def test_catalogue_has_30_elements_in_14_10_5_1():
    el = load_elements()
    assert len(el) == 30 and el["element"].is_unique
    counts = el["level"].value_counts().reindex(list(drivers.LEVELS)).tolist()
    assert counts == [14, 10, 5, 1]
    assert list(el.sort_values("order")["order"]) == list(range(1, 31))
    assert el["survey_wording"].str.contains("{brand}", regex=False).all()
    assert el["definition"].str.len().gt(10).all()
    assert el["element"].str.fullmatch(r"[a-z_]+").all()


def _two_brands():
    # Brand A: 'saves_time' rated 8+ by 3 of 4 respondents (75%), 'quality' by 1 of 4 (25%).
    return pd.DataFrame({
        "brand": ["A"] * 4 + ["B"] * 4,
        "saves_time": [8, 9, 10, 2, 1, 2, 3, 8],
        "quality": [8, 5, 5, np.nan, 9, 9, 10, 9],
        "nps": [10, 9, 9, 3, 2, 8, 9, 10],
    })


def test_element_scores_by_hand():
    s = drivers.element_scores(_two_brands(), min_n=3)
    a = s[(s.brand == "A")].set_index("element")
    assert a.loc["saves_time", "mean"] == pytest.approx(29 / 4)
    assert a.loc["saves_time", "share_high"] == pytest.approx(0.75) and a.loc["saves_time", "high"]
    assert a.loc["quality", "n"] == 3 and a.loc["quality", "share_high"] == pytest.approx(1 / 3)
    assert a.loc["quality", "level"] == "functional" and a.loc["quality", "name"] == "Quality"
    b = s[(s.brand == "B")].set_index("element")
    assert b.loc["quality", "high"] and not b.loc["saves_time", "high"]
    # Configurable thresholds: 9+ and a 60% bar.
    s2 = drivers.element_scores(_two_brands(), high_from=9, high_share=0.6, min_n=3).set_index(["brand", "element"])
    assert not s2.loc[("A", "saves_time"), "high"] and s2.loc[("B", "quality"), "high"]


def test_low_base_is_never_a_high_score():
    s = drivers.element_scores(_two_brands(), min_n=5)
    assert s["low_base"].all() and not s["high"].any()


def test_element_scores_bad_input():
    df = _two_brands()
    with pytest.raises(DataError, match="outside the 0-10 scale"):
        drivers.element_scores(df.assign(quality=df["quality"] * 2))
    with pytest.raises(DataError, match="none of the 30 element columns"):
        drivers.element_scores(df[["brand", "nps"]])
    with pytest.raises(DataError, match="brand column 'store'"):
        drivers.element_scores(df, brand_col="store")


def test_high_score_counts_and_relation_to_nps(survey):
    s = drivers.element_scores(survey)
    counts = drivers.high_score_counts(s)
    assert set(counts.columns) >= {"brand", "n_high", "n_high_functional", "n_high_social_impact"}
    level_cols = [c for c in counts.columns if c.startswith("n_high_")]
    assert (counts[level_cols].sum(axis=1) == counts["n_high"]).all()
    t = drivers.high_scores_vs_nps(survey, s)
    assert list(t["brand"]) == sorted(t["brand"], key=lambda b: (int(t.set_index("brand").loc[b, "n_high"]),
                                                                   float(t.set_index("brand").loc[b, "nps"])))
    client = t.set_index("brand").loc["Demo Retail"]
    assert client["nps_low"] < client["nps"] < client["nps_high"]
    assert -1 <= t.attrs["spearman"] <= 1
    _, ax = plt.subplots()
    assert drivers.plot_high_scores_vs_nps(t, "Demo Retail", ax=ax) is ax


def test_pyramid_chart(survey):
    s = drivers.element_scores(survey)
    ax = drivers.plot_pyramid(s, "Demo Retail", "ValueMart")
    assert isinstance(ax, matplotlib.axes.Axes)
    assert len(ax.patches) == 60  # 30 tiles per brand
    texts = [t.get_text() for t in ax.texts]
    assert "Demo Retail" in texts and "ValueMart" in texts and "Social impact" in texts
    _, ax2 = plt.subplots()
    assert drivers.plot_pyramid(s, "Demo Retail", ax=ax2, value="mean") is ax2
    with pytest.raises(ValueError, match="not in the scores"):
        drivers.plot_pyramid(s, "Demo Retail", "Nobody")


def test_survey_template_in_sync_with_catalogue():
    text = drivers.survey_template()
    assert (templates_dir() / drivers.SURVEY_TEMPLATE_PATH).read_text(encoding="utf-8") == text, (
        "templates/questionnaires/value_survey.md is out of date: run "
        "`python -c 'from cvkit.drivers import write_survey_template; write_survey_template()'`")
    el = load_elements()
    for _, r in el.iterrows():
        assert f"[`{r['element']}`]" in text
        assert r["survey_wording"].format(brand="[BRAND]") in text
    for col in ("nps", "satisfaction", "overall_value", "perceived_quality", "perceived_price"):
        assert f"[`{col}`]" in text
    assert text.count("\nB") >= 30


def test_write_survey_template(tmp_path):
    p = drivers.write_survey_template(tmp_path / "q" / "s.md")
    assert p.read_text(encoding="utf-8") == drivers.survey_template()
