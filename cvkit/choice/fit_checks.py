"""Checks of a fitted choice model that limit what its page may claim: the numbers behind the red flags.

Each function returns plain numbers (and a verdict) computed from the data and the fit; the
engagement layer (:mod:`cvkit.engagement.flags`) words them for the client's page. Nothing here
prints or decides presentation.

- :func:`price_coefficient`: the utility per price unit and its standard error (is WTP meaningful?);
- :func:`within_task_variation`: attributes that never (or hardly ever) differ between the
  alternatives of a task, so the choices say little or nothing about them;
- :func:`hb_convergence`: worst R-hat and bulk ESS of the HB population means;
- :func:`holdout_strength`: holdout hit rate against the chance rate of the holdout tasks.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from cvkit.choice.data import ChoiceData
from cvkit.choice.utilities import price_slope

__all__ = ["price_coefficient", "within_task_variation", "hb_convergence", "holdout_strength",
           "RHAT_MAX", "ESS_MIN", "WEAK_HIT_LIFT"]

#: HB population means with a split R-hat above this have not mixed (Vehtari et al. 2021 use 1.01 for
#: final inference; 1.05 is the usual marketing-science bar and the one the page applies).
RHAT_MAX = 1.05
#: Fewer effective draws than this and posterior intervals are themselves noisy.
ESS_MIN = 100.0
#: A holdout hit rate below this multiple of the chance rate is weak prediction.
WEAK_HIT_LIFT = 1.25


def price_coefficient(u: Any) -> dict[str, Any] | None:
    """The price coefficient (utility per price unit) of fitted utilities, with its standard error.

    Parameters
    ----------
    u : cvkit.choice.Utilities
        Utilities of a fitted model (or an import) whose spec names a price attribute.

    Returns
    -------
    dict or None
        ``attribute``, ``slope`` (utility per price unit), ``se`` (delta method, or the sd of the
        population draws for HB), ``z`` (slope / se), ``negative`` (bool) and ``significant``
        (|z| >= 2); None when the spec has no price or fewer than two price points.
    """
    spec = u.spec
    if spec.price is None or len(spec.levels(spec.price)) < 2:
        return None
    slope = float(price_slope(spec, u.population_mean()))
    if u.draws is not None:
        se = float(np.std(price_slope(spec, u.draws), ddof=1))
    else:
        prices = np.asarray(spec.levels(spec.price), float)
        s = spec.attribute_level_slices()[spec.price]
        grad = np.zeros(len(spec.level_columns))
        grad[s.start + int(np.argmax(prices))] += 1 / (prices.max() - prices.min())
        grad[s.start + int(np.argmin(prices))] -= 1 / (prices.max() - prices.min())
        cov = u.population_cov()
        se = float(np.sqrt(max(grad @ cov @ grad, 0.0))) if cov is not None else float("nan")
    z = slope / se if se and np.isfinite(se) else float("nan")
    return {"attribute": spec.price, "slope": slope, "se": se, "z": z, "negative": slope < 0,
            "significant": bool(np.isfinite(z) and abs(z) >= 2)}


def within_task_variation(data: ChoiceData) -> pd.DataFrame:
    """How often each attribute differs between the (real, non-none) alternatives of a task.

    A choice says something about an attribute only when the alternatives it chose between differ
    on it: an attribute shown at the same level to every alternative of every task cancels out of
    the logit and its part-worths rest on the model's coding, not on the answers.

    Parameters
    ----------
    data : ChoiceData
        The prepared choice data (``X`` of shape (S, J, K)).

    Returns
    -------
    DataFrame
        One row per attribute of the spec (constants and interactions left out): ``attribute``,
        ``share_tasks_varying`` (0-1) and ``n_tasks``.
    """
    spec = data.spec
    real = data.avail & ~data.is_none                                       # (S, J)
    big = np.where(real[..., None], data.X, np.inf).min(axis=1)             # (S, K) min over real alternatives
    small = np.where(real[..., None], data.X, -np.inf).max(axis=1)
    varies = (small - big) > 1e-12                                          # (S, K)
    several = real.sum(axis=1) >= 2
    rows = []
    for a, s in spec._slices.items():  # parameter columns of X per attribute (the spec's coding)
        if ":" in a or (spec.alternatives is not None and a == "alternative"):
            continue
        share = float(varies[several][:, s].any(axis=1).mean()) if several.any() else 0.0
        rows.append({"attribute": a, "share_tasks_varying": share, "n_tasks": int(several.sum())})
    return pd.DataFrame(rows, columns=["attribute", "share_tasks_varying", "n_tasks"])


def hb_convergence(model: Any, *, rhat_max: float = RHAT_MAX, ess_min: float = ESS_MIN) -> dict[str, Any]:
    """Worst convergence diagnostics of a fitted HB model's population means.

    Returns
    -------
    dict
        ``max_rhat``, ``worst_parameter`` (highest R-hat), ``min_ess`` (bulk), ``iterations``,
        ``chains`` and ``converged`` (every R-hat < ``rhat_max`` and ESS > ``ess_min``).
    """
    s = model.summary()
    worst = s["rhat"].idxmax() if s["rhat"].notna().any() else None
    max_rhat = float(s["rhat"].max())
    min_ess = float(s["ess_bulk"].min())
    return {"max_rhat": max_rhat, "worst_parameter": worst, "min_ess": min_ess,
            "iterations": getattr(model, "iterations", None), "chains": getattr(model, "chains", None),
            "converged": bool(max_rhat < rhat_max and min_ess > ess_min)}


def holdout_strength(model: Any, *, weak_lift: float = WEAK_HIT_LIFT) -> dict[str, Any] | None:
    """The holdout hit rate against chance (one over the alternatives available in the holdout tasks).

    Returns
    -------
    dict or None
        ``hit_rate``, ``chance``, ``lift`` (hit rate / chance), ``n_tasks`` and ``weak``
        (lift below ``weak_lift``); None when the model was fitted without a holdout.
    """
    test = getattr(model, "holdout_", None)
    hit = getattr(model, "hit_rate_", None)
    if test is None or hit is None:
        return None
    chance = float(np.mean(1.0 / test.avail.sum(axis=1)))
    lift = float(hit) / chance if chance else float("nan")
    return {"hit_rate": float(hit), "chance": chance, "lift": lift, "n_tasks": int(test.n_situations),
            "weak": bool(lift < weak_lift)}
