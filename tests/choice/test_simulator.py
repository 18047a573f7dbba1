"""Market simulator: agreement with MNL probabilities, first choice, RFC, scenarios, search, bad levels."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cvkit.choice import MNL, ChoiceSpec, Simulator, Utilities, prepare

SPEC = ChoiceSpec({"speed": ["slow", "fast"], "color": ["red", "blue", "green"], "price": [10, 20, 30]},
                  price="price", none=True)
PRODUCTS = [{"name": "A", "speed": "fast", "color": "red", "price": 25},
            {"name": "B", "speed": "slow", "color": "blue", "price": 15},
            {"name": "C", "speed": "fast", "color": "green", "price": 30}]


@pytest.fixture(scope="module")
def utilities():
    rng = np.random.default_rng(0)
    n = 400
    beta = rng.normal(size=(n, SPEC.n_params))
    beta[:, SPEC.params.index("price")] = -0.08 + 0.02 * rng.normal(size=n)
    values = beta @ SPEC.level_map().T
    return Utilities(SPEC, pd.DataFrame(values, columns=SPEC.level_columns,
                                        index=pd.Index([f"r{i}" for i in range(n)], name="respondent_id")))


def test_share_of_preference_equals_mnl_probabilities(demo, demo_spec):
    m = MNL(demo_spec).fit(demo.choice)
    sim = Simulator(m.utilities())
    prods = [{"name": "p1", "delivery": "same_day", "returns": "free", "extras": "streaming", "fee": 69},
             {"name": "p2", "delivery": "standard", "returns": "paid", "extras": "none", "fee": 29},
             {"name": "p3", "delivery": "next_day", "returns": "free", "extras": "priority_service", "fee": 49}]
    shares = sim.shares(prods)
    rows = [dict(p, respondent_id="x", task=1, alternative=i + 1, none=0, chosen=int(i == 0))
            for i, p in enumerate(prods)]
    rows.append({"respondent_id": "x", "task": 1, "alternative": 4, "none": 1, "chosen": 0})
    cd = prepare(pd.DataFrame(rows), demo_spec, check_variation=False)
    np.testing.assert_allclose(shares.to_numpy(), m.predict_proba(cd)[0], atol=1e-12)


def test_first_choice_sums_to_one_and_rfc_lies_between(utilities):
    sim = Simulator(utilities)
    sop = sim.shares(PRODUCTS)
    fc = sim.shares(PRODUCTS, method="first_choice")
    rfc = sim.shares(PRODUCTS, method="rfc", draws=300, seed=1)
    assert fc.sum() == pytest.approx(1.0) and sop.sum() == pytest.approx(1.0) and rfc.sum() == pytest.approx(1.0)
    lo, hi = np.minimum(sop, fc), np.maximum(sop, fc)
    assert ((rfc >= lo - 0.01) & (rfc <= hi + 0.01)).all(), pd.DataFrame({"sop": sop, "rfc": rfc, "fc": fc})


def test_identical_products_split_first_choice_ties(utilities):
    sim = Simulator(utilities)
    twins = [PRODUCTS[0], {**PRODUCTS[0], "name": "A2"}]
    fc = sim.shares(twins, method="first_choice", none=False)
    assert fc["A"] == pytest.approx(0.5) and fc["A2"] == pytest.approx(0.5)


def test_rfc_corrects_iia_for_a_near_copy(utilities):
    # adding a copy of A should mostly take share from A itself under RFC, less so under logit
    sim = Simulator(utilities)
    base = sim.shares(PRODUCTS, method="rfc", draws=300, seed=2)
    with_copy = sim.shares(PRODUCTS + [{**PRODUCTS[0], "name": "A copy"}], method="rfc", draws=300, seed=2)
    sop_base = sim.shares(PRODUCTS)
    sop_copy = sim.shares(PRODUCTS + [{**PRODUCTS[0], "name": "A copy"}])
    loss_b_rfc = base["B"] - with_copy["B"]
    loss_b_sop = sop_base["B"] - sop_copy["B"]
    assert loss_b_rfc < loss_b_sop


def test_scale_factor_sharpens_shares(utilities):
    sim = Simulator(utilities)
    flat = sim.shares(PRODUCTS, scale=0.1)
    sharp = sim.shares(PRODUCTS, scale=5.0)
    assert np.ptp(flat.to_numpy()) < np.ptp(sim.shares(PRODUCTS).to_numpy()) < np.ptp(sharp.to_numpy())


def test_weights_change_the_population(utilities):
    w = np.zeros(len(utilities))
    w[0] = 1.0
    one = Simulator(utilities, weights=w).shares(PRODUCTS)
    by_resp = Simulator(utilities).shares(PRODUCTS, by_respondent=True)
    np.testing.assert_allclose(one.to_numpy(), by_resp.iloc[0].to_numpy())


def test_numeric_price_is_interpolated(utilities):
    sim = Simulator(utilities)
    V20, _ = sim.product_utilities([{**PRODUCTS[0], "price": 20}], none=False)
    V30, _ = sim.product_utilities([{**PRODUCTS[0], "price": 30}], none=False)
    V25, _ = sim.product_utilities([{**PRODUCTS[0], "price": 25}], none=False)
    np.testing.assert_allclose(V25, (V20 + V30) / 2)


def test_levels_outside_the_design_are_refused(utilities):
    sim = Simulator(utilities)
    with pytest.raises(ValueError, match=r"A: level 'purple' of attribute 'color' is not in the design.*Fix"):
        sim.shares([{**PRODUCTS[0], "color": "purple"}])
    with pytest.raises(ValueError, match=r"price = 45 is outside the tested range 10..30"):
        sim.shares([{**PRODUCTS[0], "price": 45}])
    with pytest.raises(ValueError, match=r"no level given for \['speed'\]"):
        sim.shares([{"name": "X", "color": "red", "price": 10}])


def test_scenarios_revenue_and_price_curve(utilities):
    sim = Simulator(utilities)
    comp = sim.compare({"base": PRODUCTS, "test": [{**PRODUCTS[0], "speed": "slow"}] + PRODUCTS[1:]})
    assert comp.loc["A", "change"] == pytest.approx(comp.loc["A", "test"] - comp.loc["A", "base"])
    rev = sim.revenue(PRODUCTS, unit_costs={"base": 5, "speed.fast": 3})
    assert rev.loc["A", "unit_cost"] == 8 and rev.loc["B", "unit_cost"] == 5
    assert rev.loc["A", "profit"] == pytest.approx(rev.loc["A", "share"] * (25 - 8))
    curve = sim.price_curve(PRODUCTS, "B")
    assert curve["share"].is_monotonic_decreasing
    assert curve["price"].iloc[0] == 10 and curve["price"].iloc[-1] == 30


def test_best_configuration_exhaustive_matches_brute_force(utilities):
    sim = Simulator(utilities)
    best = sim.best_configuration(PRODUCTS, "A", attributes=["speed", "color"])
    assert best["method"].iloc[0] == "exhaustive"
    brute = {(s, c): sim.shares([{**PRODUCTS[0], "speed": s, "color": c}] + PRODUCTS[1:])["A"]
             for s in ["slow", "fast"] for c in ["red", "blue", "green"]}
    top = max(brute, key=brute.get)
    assert (best["speed"].iloc[0], best["color"].iloc[0]) == top
    assert best["share"].iloc[0] == pytest.approx(brute[top])
    ca = sim.best_configuration(PRODUCTS, "A", attributes=["speed", "color"], max_combinations=1)
    assert ca["method"].iloc[0] == "coordinate_ascent"
    assert ca["share"].iloc[0] <= best["share"].iloc[0] + 1e-12


def test_piecewise_price_is_interpolated_between_price_points(demo):
    # price as a part-worth per price point (not linear): the simulator interpolates between points
    spec = ChoiceSpec({"delivery": ["standard", "next_day", "same_day"], "returns": ["paid", "free"],
                       "extras": ["none", "streaming", "partner_discounts", "priority_service"],
                       "fee": [29, 49, 69, 89]}, price="fee", linear=[], none=True)
    assert "fee" not in spec.params and "fee.29" in spec.params
    m = MNL(spec).fit(demo.choice)
    u = m.utilities()
    pw = u.values.iloc[0]
    # the estimated curve falls with the fee (the demo's fee effect is linear and negative)
    assert pw["fee.29"] > pw["fee.49"] > pw["fee.69"] > pw["fee.89"]
    sim = Simulator(u)
    base = {"name": "X", "delivery": "next_day", "returns": "free", "extras": "none"}
    V, _ = sim.product_utilities([{**base, "fee": 59}], none=False)
    V49, _ = sim.product_utilities([{**base, "fee": 49}], none=False)
    V69, _ = sim.product_utilities([{**base, "fee": 69}], none=False)
    np.testing.assert_allclose(V, (V49 + V69) / 2)
