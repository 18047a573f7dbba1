"""Which customers did the campaign actually move? Two-model uplift with honest validation.

The two-model ("T-learner") approach fits one response model on the contacted customers and one
on the control group; a customer's predicted uplift is the difference of the two predicted
response probabilities. Uplift cannot be observed for one customer (nobody is both contacted and
held out), so a model is judged on groups: rank customers by predicted uplift and check that the
top of the ranking really responded more to the contact than the bottom. To be honest, every
customer is scored by models that did not see them (out-of-fold predictions, K-fold cross-fitting),
and the Qini curve and the uplift by decile are computed on those scores only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import StratifiedKFold
from threadpoolctl import threadpool_limits

from cvkit.campaigns.lift import newcombe_interval
from cvkit.exceptions import FitError, NotFittedError

__all__ = ["UPLIFT_FEATURES", "uplift_features", "TwoModelUplift", "out_of_fold_uplift", "qini_curve",
           "qini_coefficient", "uplift_by_decile", "UpliftValidation", "validate_uplift"]

UPLIFT_FEATURES = ("pre_spend", "pre_purchases", "recency_days")


def uplift_features(contacts: pd.DataFrame, extra: tuple[str, ...] = ("segment", "value_tier")) -> pd.DataFrame:
    """Numeric model inputs: the pre-period features plus one-hot columns of ``extra`` categories.

    Only information from before the contact is used, so the model cannot learn the response
    itself.
    """
    num = contacts[[c for c in UPLIFT_FEATURES if c in contacts.columns]].astype(float).fillna(0.0)
    cats = [c for c in extra if c in contacts.columns and contacts[c].nunique() > 1]
    dummies = pd.get_dummies(contacts[cats].astype("str"), prefix=cats, dtype=float) if cats else None
    return num if dummies is None else pd.concat([num, dummies], axis=1)


class TwoModelUplift:
    """Two-model uplift: ``P(respond | contacted, x) - P(respond | control, x)``.

    Parameters
    ----------
    estimator : sklearn classifier, optional
        Cloned for each arm; default a small histogram gradient boosting model (shallow trees,
        many customers per leaf), which picks up interactions without overfitting small arms.
    seed : int, default 0

    Attributes
    ----------
    treated_model_, control_model_ : fitted classifiers
    """

    def __init__(self, estimator=None, seed: int = 0):
        self.estimator = estimator
        self.seed = seed

    def _base(self):
        if self.estimator is not None:
            return clone(self.estimator)
        return HistGradientBoostingClassifier(max_depth=3, learning_rate=0.1, max_iter=60, min_samples_leaf=100,
                                              l2_regularization=1.0, early_stopping=False, random_state=self.seed)

    def fit(self, X: pd.DataFrame | np.ndarray, treated: np.ndarray, responded: np.ndarray) -> TwoModelUplift:
        """Fit the two arm models. ``treated`` and ``responded`` are 0/1 arrays of shape (n,)."""
        X = np.asarray(X, float)
        treated, responded = np.asarray(treated, bool), np.asarray(responded, int)
        for arm in (True, False):
            if len(np.unique(responded[treated == arm])) < 2:
                raise FitError(f"the {'contacted' if arm else 'control'} group has no responders or only "
                                 "responders: uplift cannot be modelled")
        self.treated_model_ = self._base().fit(X[treated], responded[treated])
        self.control_model_ = self._base().fit(X[~treated], responded[~treated])
        return self

    def predict_uplift(self, X: pd.DataFrame | np.ndarray) -> np.ndarray:
        """Predicted uplift in response probability (share, -1..1), shape (n,)."""
        if not hasattr(self, "treated_model_"):
            raise NotFittedError("TwoModelUplift is not fitted yet; call fit first")
        X = np.asarray(X, float)
        return self.treated_model_.predict_proba(X)[:, 1] - self.control_model_.predict_proba(X)[:, 1]


def out_of_fold_uplift(X: pd.DataFrame | np.ndarray, treated: np.ndarray, responded: np.ndarray, *,
                       n_splits: int = 5, seed: int = 0, estimator=None) -> np.ndarray:
    """Predicted uplift for every customer from models fitted without them (K-fold cross-fitting).

    Folds are stratified on arm x response so each fold keeps both arms' response rates.
    """
    X = np.asarray(X, float)
    treated, responded = np.asarray(treated, bool), np.asarray(responded, int)
    strata = 2 * treated.astype(int) + responded
    scores = np.empty(len(X))
    folds = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    # Many small fits: OpenMP threads cost more than they save (and crawl on a busy machine).
    with threadpool_limits(limits=1, user_api="openmp"):
        for train, test in folds.split(X, strata):
            model = TwoModelUplift(estimator, seed=seed).fit(X[train], treated[train], responded[train])
            scores[test] = model.predict_uplift(X[test])
    return scores


def qini_curve(scores: np.ndarray, treated: np.ndarray, responded: np.ndarray, n_points: int = 101) -> pd.DataFrame:
    """Qini curve: incremental responders when the top share of customers by ``scores`` is targeted.

    ``Q(k) = R_t(k) - R_c(k) * N_t(k) / N_c(k)`` over the top ``k`` customers (Radcliffe 2007),
    expressed per customer of the whole sample so campaigns of different sizes compare.

    Returns
    -------
    DataFrame, ``n_points`` rows
        ``share_targeted`` (0..1), ``qini`` (model ranking) and ``random`` (the straight line of
        random targeting to the same end point), both incremental responders per customer.
    """
    order = np.argsort(-np.asarray(scores, float), kind="stable")
    t = np.asarray(treated, bool)[order]
    y = np.asarray(responded, float)[order]
    n_t, n_c = np.cumsum(t), np.cumsum(~t)
    r_t, r_c = np.cumsum(y * t), np.cumsum(y * ~t)
    with np.errstate(invalid="ignore", divide="ignore"):
        q = np.where(n_c > 0, r_t - r_c * n_t / n_c, 0.0)
    n = len(order)
    k = np.unique(np.round(np.linspace(0, n, n_points)).astype(int))
    qk = np.concatenate([[0.0], q])[k] / n
    return pd.DataFrame({"share_targeted": k / n, "qini": qk, "random": k / n * qk[-1]})


def qini_coefficient(curve: pd.DataFrame) -> float:
    """Area between the Qini curve and the random line (incremental responders per customer x share).

    Positive when the ranking puts the customers who respond to the contact first; about 0 for a
    ranking no better than chance.
    """
    x = curve["share_targeted"].to_numpy()
    gap = (curve["qini"] - curve["random"]).to_numpy()
    return float(np.sum((gap[1:] + gap[:-1]) / 2 * np.diff(x)))


def uplift_by_decile(scores: np.ndarray, treated: np.ndarray, responded: np.ndarray, *, n_groups: int = 10,
                     level: float = 0.95) -> pd.DataFrame:
    """Observed lift (contacted minus control response rate) in each group of predicted uplift.

    Group 1 holds the customers with the highest predicted uplift. On out-of-fold scores, a
    falling observed lift from group 1 to the last is the evidence that the model ranks well.

    Returns
    -------
    DataFrame, ``n_groups`` rows
        ``group``, ``customers``, ``predicted_pp`` (mean predicted uplift), ``observed_pp`` with the
        Newcombe interval ``observed_pp_low``/``_high`` (percentage points).
    """
    scores = np.asarray(scores, float)
    treated, responded = np.asarray(treated, bool), np.asarray(responded, int)
    rank = pd.Series(scores).rank(method="first", ascending=False).to_numpy()
    group = np.minimum((rank - 1) * n_groups // len(scores), n_groups - 1).astype(int) + 1
    frame = pd.DataFrame({"group": group, "score": scores, "t": treated, "y": responded})
    agg = frame.groupby("group").apply(lambda g: pd.Series({
        "customers": len(g), "predicted_pp": 100 * g["score"].mean(),
        "x1": g.loc[g["t"], "y"].sum(), "n1": g["t"].sum(), "x0": g.loc[~g["t"], "y"].sum(), "n0": (~g["t"]).sum()}),
        include_groups=False).reset_index()
    with np.errstate(invalid="ignore", divide="ignore"):
        agg["observed_pp"] = 100 * (agg["x1"] / agg["n1"] - agg["x0"] / agg["n0"])
    low, high = newcombe_interval(agg["x1"], agg["n1"], agg["x0"], agg["n0"], level)
    agg["observed_pp_low"], agg["observed_pp_high"] = 100 * low, 100 * high
    agg["customers"] = agg["customers"].astype(int)
    return agg.drop(columns=["x1", "n1", "x0", "n0"])


@dataclass
class UpliftValidation:
    """Out-of-fold uplift of one campaign and the evidence that its ranking works.

    Attributes
    ----------
    scores : ndarray, shape (n,)
        Out-of-fold predicted uplift per customer (share).
    qini : DataFrame
        :func:`qini_curve` on the out-of-fold scores.
    qini_coefficient : float
    deciles : DataFrame
        :func:`uplift_by_decile`.
    top_vs_rest_pp : float
        Observed lift in the top 30% by predicted uplift minus the lift in the other 70%
        (percentage points): how much better targeting the top does.
    """

    scores: np.ndarray
    qini: pd.DataFrame
    qini_coefficient: float
    deciles: pd.DataFrame
    top_vs_rest_pp: float


def validate_uplift(contacts: pd.DataFrame, *, n_splits: int = 5, seed: int = 0, estimator=None) -> UpliftValidation:
    """Cross-fitted two-model uplift of one campaign's contacts, with its Qini curve and deciles."""
    X = uplift_features(contacts)
    t, y = contacts["treated"].to_numpy(bool), contacts["responded"].to_numpy(int)
    scores = out_of_fold_uplift(X, t, y, n_splits=n_splits, seed=seed, estimator=estimator)
    curve = qini_curve(scores, t, y)
    top = scores >= np.quantile(scores, 0.7)

    def lift(mask: np.ndarray) -> float:
        return 100 * (y[mask & t].mean() - y[mask & ~t].mean())

    return UpliftValidation(scores=scores, qini=curve, qini_coefficient=qini_coefficient(curve),
                            deciles=uplift_by_decile(scores, t, y), top_vs_rest_pp=float(lift(top) - lift(~top)))
