"""Conditional logit: published Electricity estimates, standard errors, codings, bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cvkit.choice import MNL, ChoiceSpec, fit_mnl_arrays, mnl_loglik, prepare
from cvkit.exceptions import CvkitError, DataError, FitError
from cvkit.datasets.electricity import ELECTRICITY_ATTRIBUTES, load_electricity

# Train, Discrete Choice Methods with Simulation; R mlogit documentation (Electricity, no constants).
PUBLISHED = {"pf": -0.6252, "cl": -0.1083, "loc": 1.4422, "wk": 0.9955, "tod": -5.4628, "seas": -5.8400}
PUBLISHED_LL = -4958.65


@pytest.fixture(scope="module")
def electricity():
    df = load_electricity()
    spec = ChoiceSpec({a: None for a in ELECTRICITY_ATTRIBUTES})
    return df, spec, MNL(spec).fit(df)


def test_electricity_reproduces_published_estimates(electricity):
    _, _, m = electricity
    for name, value in PUBLISHED.items():
        # the published figures have 4 decimals (at least 4 significant figures): match them exactly
        assert round(float(m.params_[name]), 4) == pytest.approx(value, abs=1e-9), name
    assert m.log_likelihood_ == pytest.approx(PUBLISHED_LL, abs=0.005)
    assert m.converged_
    assert m.n_situations_ == 4308 and m.n_respondents_ == 361


def test_gradient_zero_and_hessian_matches_finite_differences(electricity):
    df, spec, m = electricity
    cd = prepare(df, spec)
    beta = m.params_.to_numpy()
    f = lambda b: mnl_loglik(cd.X, cd.avail, cd.chosen, b)  # noqa: E731
    eps = 1e-5
    grad = np.array([(f(beta + eps * e) - f(beta - eps * e)) / (2 * eps) for e in np.eye(len(beta))])
    assert np.abs(grad).max() < 1e-3
    # classical covariance = inverse of minus the numerical Hessian
    H = np.zeros((6, 6))
    for i, ei in enumerate(np.eye(6)):
        for j, ej in enumerate(np.eye(6)):
            H[i, j] = (f(beta + eps * ei + eps * ej) - f(beta + eps * ei - eps * ej)
                       - f(beta - eps * ei + eps * ej) + f(beta - eps * ei - eps * ej)) / (4 * eps ** 2)
    np.testing.assert_allclose(m.cov_.to_numpy(), np.linalg.inv(-H), rtol=2e-3)


def test_robust_se_is_clustered_sandwich(electricity):
    df, spec, m = electricity
    # repeated choices by the same customer are correlated: clustered SEs are larger here
    assert (m.robust_se_ > m.se_).all()
    # sandwich computed independently from per-respondent score sums
    cd = prepare(df, spec)
    beta = m.params_.to_numpy()
    P = m.predict_proba(cd)
    Xc = cd.X[np.arange(cd.n_situations), cd.chosen]
    scores = Xc - np.einsum("sj,sjk->sk", P, cd.X)
    G = cd.n_respondents
    by_resp = pd.DataFrame(scores).groupby(cd.resp).sum().to_numpy()
    V = m.cov_.to_numpy()
    robust = V @ by_resp.T @ by_resp @ V * G / (G - 1)
    np.testing.assert_allclose(m.robust_cov_.to_numpy(), robust, rtol=1e-8)
    assert beta.shape == (6,)


def test_fit_statistics(electricity):
    _, _, m = electricity
    st = m.fit_statistics()
    assert st["log_likelihood_null"] == pytest.approx(4308 * -np.log(4))
    assert st["rho2"] == pytest.approx(1 - m.log_likelihood_ / st["log_likelihood_null"])
    assert st["aic"] == pytest.approx(-2 * m.log_likelihood_ + 12)
    assert st["bic"] == pytest.approx(-2 * m.log_likelihood_ + 6 * np.log(4308))
    s = m.summary()
    assert list(s.columns) == ["estimate", "se", "z", "p_value", "lower", "upper", "robust_se"]
    assert (s["lower"] < s["estimate"]).all() and (s["estimate"] < s["upper"]).all()


def test_holdout_hit_rate_beats_chance(electricity):
    df, spec, _ = electricity
    m = MNL(spec).fit(df, holdout=[1, 2])
    assert m.hit_rate_ > 0.25 + 0.15  # four alternatives: chance is 25%
    assert m.n_situations_ < 4308


def test_effects_and_dummy_coding_give_the_same_fit(demo, demo_spec):
    dummy = ChoiceSpec(demo_spec.attributes, price="fee", none=True, coding="dummy")
    me = MNL(demo_spec).fit(demo.choice)
    md = MNL(dummy).fit(demo.choice)
    assert me.log_likelihood_ == pytest.approx(md.log_likelihood_, abs=1e-6)
    # same level part-worths up to a constant within each attribute
    ue, ud = me.utilities().values.iloc[0], md.utilities().values.iloc[0]
    for a in ["delivery", "returns", "extras"]:
        cols = [c for c in ue.index if c.startswith(a + ".")]
        diff = ue[cols] - ud[cols]
        assert np.ptp(diff.to_numpy()) < 1e-6
    # effects-coded levels sum to zero within the attribute
    assert abs(ue[[c for c in ue.index if c.startswith("extras.")]].sum()) < 1e-10


def test_interactions_add_parameters_and_do_not_lower_the_likelihood(demo, demo_spec):
    inter = ChoiceSpec(demo_spec.attributes, price="fee", none=True, interactions=[("delivery", "returns")])
    assert "delivery.standard:returns.paid" in inter.params
    m0 = MNL(demo_spec).fit(demo.choice)
    m1 = MNL(inter).fit(demo.choice)
    assert len(m1.params_) == len(m0.params_) + 2
    assert m1.log_likelihood_ >= m0.log_likelihood_ - 1e-8


def test_weighted_fit_equals_duplicated_data():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(300, 3, 2))
    avail = np.ones((300, 3), bool)
    chosen = rng.integers(0, 3, 300)
    w = rng.integers(1, 3, 300).astype(float)
    f1 = fit_mnl_arrays(X, avail, chosen, weights=w)
    rep = np.repeat(np.arange(300), w.astype(int))
    f2 = fit_mnl_arrays(X[rep], avail[rep], chosen[rep])
    np.testing.assert_allclose(f1.beta, f2.beta, atol=1e-8)


def test_ragged_choice_sets_are_masked():
    # a task with 2 of 3 alternatives equals the same task stored without the padded row
    rng = np.random.default_rng(2)
    X = rng.normal(size=(200, 3, 2))
    avail = np.ones((200, 3), bool)
    avail[::2, 2] = False
    X[::2, 2] = 1e6  # garbage in padded cells must not matter
    chosen = rng.integers(0, 2, 200)
    f = fit_mnl_arrays(X, avail, chosen)
    assert np.isfinite(f.log_likelihood) and np.all(np.isfinite(f.beta))
    X2 = X.copy()
    X2[::2, 2] = 0.0
    g = fit_mnl_arrays(X2, avail, chosen)
    np.testing.assert_allclose(f.beta, g.beta, atol=1e-10)


def test_perfect_separation_is_reported():
    # the first alternative always has the higher x and is always chosen
    x = np.column_stack([np.linspace(1, 2, 100), np.zeros(100)])
    X = x[:, :, None]
    chosen = np.zeros(100, int)
    with pytest.raises(FitError, match="perfect separation.*x0.*Fix") as e:
        fit_mnl_arrays(X, np.ones((100, 2), bool), chosen)
    # the data are valid; the model cannot be estimated from them: FitError, not DataError
    assert not isinstance(e.value, DataError) and isinstance(e.value, CvkitError)


def test_collinear_parameters_are_reported():
    rng = np.random.default_rng(3)
    a = rng.normal(size=(100, 3))
    X = np.stack([a, 2 * a], axis=2)
    with pytest.raises(FitError, match=r"x0', 'x1'\] are not identified"):
        fit_mnl_arrays(X, np.ones((100, 3), bool), rng.integers(0, 3, 100))


def test_dense_from_long_matches_prepare(electricity):
    from cvkit.choice import dense_from_long

    df, spec, m = electricity
    shuffled = df.sample(frac=1.0, random_state=0)
    X3, avail, ch = dense_from_long(shuffled[list(spec.attributes)].to_numpy(float), shuffled["chid"].to_numpy(),
                                    shuffled["chosen"].to_numpy())
    assert X3.shape == (4308, 4, 6) and avail.all()
    np.testing.assert_allclose(fit_mnl_arrays(X3, avail, ch).beta, m.params_.to_numpy(), atol=1e-10)
