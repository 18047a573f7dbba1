"""Side-by-side comparison of fitted choice models: fit, holdout prediction and market shares.

Reviewers ask how the aggregate MNL, mixed logit and hierarchical Bayes differ
on the same data. The in-sample log-likelihoods are not on one footing (the
MNL and mixed logit maximise the marginal likelihood, HB reports the fit of
individual posterior means), so the comparison that decides is on *held-out*
tasks: hit rate and log-likelihood per choice, each model predicting with its
own individual part-worths (aggregate for the MNL). The scenario shares show
whether the choice of model changes the business answer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from cvkit.choice.data import ChoiceData
from cvkit.choice.mnl import hit_rate

__all__ = ["compare_models", "model_loglik", "model_n_params"]


def model_loglik(model: Any) -> float:
    """In-sample log-likelihood of a fitted cvkit choice model (any of the estimators)."""
    v = getattr(model, "log_likelihood_", None)
    if v is not None:
        return float(v)
    raise AttributeError(f"{type(model).__name__} has no log-likelihood. Fix: fit the model first.")


def model_n_params(model: Any) -> int:
    """Number of estimated parameters (HB: population means plus one vector per respondent)."""
    if hasattr(model, "n_params_"):  # latent class: C K + C - 1
        return int(model.n_params_)
    if hasattr(model, "beta_"):  # hierarchical Bayes: individual part-worths
        return int(model.beta_.shape[1] * (1 + model.beta_.shape[0]))
    return int(len(model.params_))


def compare_models(models: Mapping[str, Any], holdout: ChoiceData | None = None,
                   products: Sequence[Mapping[str, Any]] | None = None, *, method: str = "share",
                   seed: int = 0) -> pd.DataFrame:
    """One row per fitted model: fit, holdout prediction and predicted shares of a scenario.

    Parameters
    ----------
    models : dict of str to fitted model
        E.g. ``{"MNL": mnl, "mixed logit": mxl, "HB": hb}``; each needs
        ``predict_proba`` and ``utilities()``.
    holdout : ChoiceData, optional
        Held-out tasks of the same respondents (``model.holdout_`` of a fit
        with ``holdout=``).
    products : list of dict, optional
        A market scenario; adds one ``share: <name>`` column per product (and none).
    method : str
        Simulator method for the shares.
    seed : int

    Returns
    -------
    DataFrame
        Index: model name. Columns ``log_likelihood`` (in-sample; see the
        module note), ``parameters``, ``holdout_hit_rate``,
        ``holdout_loglik_per_choice`` (mean log predicted probability of the
        chosen alternative; higher is better, ``-log(J)`` is chance) and the
        share columns (0-1).
    """
    from cvkit.choice.simulator import Simulator

    rows = {}
    for name, model in models.items():
        row: dict[str, Any] = {"log_likelihood": model_loglik(model), "parameters": model_n_params(model)}
        if holdout is not None:
            P = model.predict_proba(holdout)
            p_ch = P[np.arange(holdout.n_situations), holdout.chosen]
            row["holdout_hit_rate"] = hit_rate(P, holdout.chosen)
            row["holdout_loglik_per_choice"] = float(np.mean(np.log(np.clip(p_ch, 1e-300, None))))
        if products:
            shares = Simulator(model.utilities()).shares(list(products), method=method, seed=seed)
            for product, share in shares.items():
                row[f"share: {product}"] = float(share)
        rows[name] = row
    return pd.DataFrame(rows).T.rename_axis("model")
