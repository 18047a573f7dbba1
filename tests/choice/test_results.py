"""Utilities: zero-centred diffs, importances, WTP (ratio and simulation), import of exported utilities."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from cvkit.choice import (MNL, ChoiceSpec, ChoiceWarning, Simulator, Utilities, importance_summary, importances,
                          partworth_table, respondent_partworths, wtp, zero_centered_diffs)
from cvkit.data.errors import DataError

SPEC = ChoiceSpec({"speed": ["slow", "fast"], "color": ["red", "blue", "green"], "price": [10, 20, 30]},
                  price="price", none=True)


def make_utilities(seed=0, n=50, price=-0.1, price_sd=0.0):
    rng = np.random.default_rng(seed)
    beta = rng.normal(size=(n, SPEC.n_params))
    beta[:, SPEC.params.index("price")] = price * np.exp(0.2 * rng.normal(size=n))
    if price_sd:
        # mean exactly `price`, spread `price_sd` across respondents
        z = rng.normal(size=n)
        beta[:, SPEC.params.index("price")] = price + price_sd * (z - z.mean()) / z.std()
    values = beta @ SPEC.level_map().T
    return Utilities(SPEC, pd.DataFrame(values, columns=SPEC.level_columns,
                                        index=pd.Index([f"r{i}" for i in range(n)], name="respondent_id")))


def test_zero_centered_diffs_follow_the_sawtooth_definition():
    u = make_utilities()
    z = zero_centered_diffs(u)
    assert list(z.columns) == [c for c in SPEC.level_columns]
    for a in ["speed", "color", "price"]:
        cols = [c for c in z.columns if c.startswith(a + ".")]
        np.testing.assert_allclose(z[cols].sum(axis=1), 0, atol=1e-9)
    ranges = sum(np.ptp(z[[c for c in z.columns if c.startswith(a + ".")]].to_numpy(), axis=1)
                 for a in ["speed", "color", "price"])
    np.testing.assert_allclose(ranges, 300)
    # rescaling keeps every respondent's choices: utility differences to none keep their sign
    v = u.values
    prod_raw = v["speed.fast"] + v["color.red"] + v["price.20"] - v["none"]
    prod_z = z["speed.fast"] + z["color.red"] + z["price.20"] - z["none"]
    assert (np.sign(prod_raw) == np.sign(prod_z)).all()


def test_importances_are_ranges_over_sum_per_respondent_then_averaged():
    u = make_utilities()
    imp = importances(u)
    np.testing.assert_allclose(imp.sum(axis=1), 100)
    v = u.values
    r0 = {a: np.ptp(v.iloc[0][[c for c in v.columns if c.startswith(a + ".")]]) for a in ["speed", "color", "price"]}
    assert imp.iloc[0]["color"] == pytest.approx(100 * r0["color"] / sum(r0.values()))
    summary = importance_summary(u)
    assert summary["importance"].sum() == pytest.approx(100)
    assert summary.set_index("attribute").loc["speed", "importance"] == pytest.approx(imp["speed"].mean())


def test_wtp_ratio_and_delta_method_for_mnl(demo, demo_spec):
    m = MNL(demo_spec).fit(demo.choice)
    u = m.utilities()
    w = wtp(u).set_index(["attribute", "to_level"])
    beta_fee = m.params_["fee"]
    pw = u.values.iloc[0]
    expected = -(pw["delivery.same_day"] - pw["delivery.standard"]) / beta_fee
    assert w.loc[("delivery", "same_day"), "wtp"] == pytest.approx(expected)
    # delta-method interval against a simulation of the asymptotic normal
    rng = np.random.default_rng(0)
    draws = rng.multivariate_normal(m.params_, m.cov_, size=20000)
    T = demo_spec.level_map()
    lv = draws @ T.T
    col = {c: i for i, c in enumerate(demo_spec.level_columns)}
    sim = -(lv[:, col["delivery.same_day"]] - lv[:, col["delivery.standard"]]) / draws[:, demo_spec.params.index("fee")]
    lo, hi = w.loc[("delivery", "same_day"), ["lower", "upper"]]
    assert lo == pytest.approx(np.quantile(sim, 0.025), rel=0.05)
    assert hi == pytest.approx(np.quantile(sim, 0.975), rel=0.05)


def test_wtp_by_simulation_equals_ratio_for_a_single_homogeneous_respondent():
    # with one respondent (or identical ones) and a linear price, restoring share = utility / |price coef|
    u = make_utilities(n=1)
    sim = Simulator(u)
    prods = [{"name": "A", "speed": "slow", "color": "red", "price": 20},
             {"name": "B", "speed": "fast", "color": "blue", "price": 20}]
    res = sim.wtp_by_simulation(prods, "A", "speed", "fast")
    v = u.values.iloc[0]
    slope = (v["price.30"] - v["price.10"]) / 20
    assert res["wtp"] == pytest.approx(-(v["speed.fast"] - v["speed.slow"]) / slope, rel=1e-5)


def test_non_negative_price_coefficient_warns_and_gives_nan():
    u = make_utilities(price=0.1)
    with pytest.warns(ChoiceWarning, match="price coefficient of 'price' is not negative.*Fix"):
        w = wtp(u)
    assert w["wtp"].isna().all()


def test_price_coefficient_near_zero_warns():
    u = make_utilities(price=-0.005, price_sd=0.1, n=30, seed=3)
    with pytest.warns(ChoiceWarning, match="not significantly different from zero"):
        wtp(u)


def test_partworth_table_intervals():
    u = make_utilities()
    t = partworth_table(u)
    assert len(t) == len(SPEC.level_columns)
    assert (t["lower"] <= t["estimate"]).all() and (t["estimate"] <= t["upper"]).all()
    assert t.loc[t.column == "none", "attribute"].item() == "none"


def test_import_of_exported_utilities_round_trips():
    u = make_utilities()
    export = u.values.reset_index()
    export["RLH"] = 0.5  # extra Sawtooth columns are ignored
    back = Utilities.from_export(export, SPEC)
    pd.testing.assert_frame_equal(back.values, u.values)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        wtp(back)


def test_import_with_mismatching_columns_says_which():
    export = make_utilities().values.reset_index().rename(columns={"color.green": "color.Green"})
    with pytest.raises(DataError, match=r"\['color.green'\] required by the attribute definitions are missing") as e:
        Utilities.from_export(export, SPEC, name="hb_export.csv")
    assert "['color.Green'] name attribute levels that are not in the attribute definitions" in str(e.value)
    assert "hb_export.csv" in str(e.value)
    with pytest.raises(DataError, match="no `none` column"):
        Utilities.from_export(make_utilities().values.reset_index().drop(columns="none"), SPEC)


def test_respondent_partworths_for_segmentation(demo, demo_attributes):
    out = respondent_partworths(demo.choice, demo_attributes, price="fee", iterations=400, seed=1)
    assert out.columns[0] == "respondent_id"
    assert out.shape == (600, 1 + 13 + 1)
    assert {"fee.29", "fee.89", "none"} <= set(out.columns)
    ranges = sum(out[[c for c in out.columns if c.startswith(a + ".")]].max(axis=1)
                 - out[[c for c in out.columns if c.startswith(a + ".")]].min(axis=1) for a in demo_attributes)
    np.testing.assert_allclose(ranges, 400)
