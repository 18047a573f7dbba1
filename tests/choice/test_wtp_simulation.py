"""WTP by simulation with clustered covariance: coverage of the truth on simulated panels, and the MNL wiring."""

import numpy as np
import pytest

from cvkit.choice import cluster_robust_cov, fit_mnl_arrays, krinsky_robb


def _panel(rng, n_resp, n_tasks=8, n_alt=3):
    # Taste for the feature varies by respondent and persists over their tasks: tasks are clustered.
    S = n_resp * n_tasks
    resp = np.repeat(np.arange(n_resp), n_tasks)
    X = np.stack([rng.integers(0, 2, (S, n_alt)).astype(float), rng.choice([1.0, 2.0, 3.0], (S, n_alt))], axis=2)
    b_x = (1.0 + 1.0 * rng.standard_normal(n_resp))[resp]
    u = b_x[:, None] * X[..., 0] - 1.0 * X[..., 1] + rng.gumbel(size=(S, n_alt))
    return X, np.ones((S, n_alt), bool), u.argmax(axis=1), resp


def _ratio(b):
    return (-b[:, 0] / b[:, 1])[:, None]


def test_clustered_krinsky_robb_interval_covers_the_wtp():
    rng = np.random.default_rng(16)
    X, avail, chosen, _ = _panel(rng, 40_000)  # the pseudo-true MNL WTP under taste heterogeneity
    truth = float(_ratio(fit_mnl_arrays(X, avail, chosen).beta[None, :])[0, 0])
    hits_robust = hits_classical = 0
    reps = 300
    width_ratio = []
    for r in range(reps):
        X, avail, chosen, resp = _panel(rng, 150)
        fit = fit_mnl_arrays(X, avail, chosen, scores=True)
        robust = cluster_robust_cov(fit.hessian, fit.scores, resp)
        classical = np.linalg.inv(-fit.hessian)
        _, lo, hi = krinsky_robb(fit.beta, robust, _ratio, n_draws=800, seed=r)
        _, clo, chi = krinsky_robb(fit.beta, classical, _ratio, n_draws=800, seed=r)
        hits_robust += lo[0] <= truth <= hi[0]
        hits_classical += clo[0] <= truth <= chi[0]
        width_ratio.append((hi[0] - lo[0]) / (chi[0] - clo[0]))
    assert 0.92 <= hits_robust / reps <= 0.98, hits_robust / reps
    assert hits_classical < hits_robust and np.mean(width_ratio) > 1.1


def test_krinsky_robb_draws_are_centred_on_the_estimate():
    value, lo, hi = krinsky_robb(np.array([1.0, -2.0]), np.diag([0.01, 0.04]), _ratio, n_draws=2000)
    assert value[0] == pytest.approx(0.5) and lo[0] < 0.5 < hi[0]


def test_mnl_wtp_simulation_on_the_demo(demo_data, demo_spec):
    from cvkit.choice import MNL, mnl_wtp_simulation, wtp

    model = MNL(demo_spec).fit(demo_data)
    sim = mnl_wtp_simulation(model, n_draws=2000, seed=1)
    delta = wtp(model.utilities())
    np.testing.assert_allclose(sim["wtp"], delta["wtp"], rtol=1e-6)  # same point, simulated interval
    assert (sim["lower"] <= sim["wtp"]).all() and (sim["wtp"] <= sim["upper"]).all()
    assert set(sim["covariance"]) == {"clustered"}
    # Twelve tasks per respondent: the clustered intervals are wider than the classical ones.
    classical = mnl_wtp_simulation(model, robust=False, n_draws=2000, seed=1)
    assert ((sim["upper"] - sim["lower"]) > (classical["upper"] - classical["lower"])).mean() > 0.5
