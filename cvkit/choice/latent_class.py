"""Latent-class multinomial logit estimated by EM (Kamakura & Russell 1989; Sawtooth Latent Class).

Respondents belong to one of C classes with class shares ``pi`` and
class part-worths ``beta_c``; a respondent's likelihood is the product of
their tasks' logit probabilities. EM alternates:

* E-step: posterior class membership ``h_ic ∝ pi_c L_i(beta_c)``;
* M-step: ``pi = mean_i h_ic`` and, per class, a weighted conditional logit
  with weight ``h_ic`` on every task of respondent i (a few Newton steps from
  the previous estimate; each is exact because the weighted MNL is concave).

EM only finds a local maximum, so several random starts are run and the best
log-likelihood kept. The number of classes is chosen by BIC or CAIC with the
number of respondents as sample size (Sawtooth's convention).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
from scipy.special import logsumexp

from cvkit.choice.base import ChoiceEstimator
from cvkit.choice.data import ChoiceData, prepare
from cvkit.choice.mnl import _offset, _probs, fit_mnl_arrays
from cvkit.choice.spec import ChoiceSpec, as_spec
from cvkit.choice.utilities import Utilities
from cvkit.estimator import check_is_fitted

__all__ = ["LatentClassMNL", "select_classes"]


class LatentClassMNL(ChoiceEstimator):
    """Latent-class MNL (finite mixture of conditional logits).

    Parameters
    ----------
    spec : ChoiceSpec or dict
    n_classes : int
    n_starts : int
        Random starts; the best log-likelihood wins.
    max_iter : int
        EM iterations per start.
    tol : float
        Stop when the log-likelihood improves by less than this fraction of its size.
    seed : int

    Attributes
    ----------
    params_ : DataFrame (C, K)
        Class part-worths (coded parameters), classes ordered by size.
    class_sizes_ : Series (C,)
        Class shares (sum to 1).
    posterior_ : DataFrame (N, C)
        Posterior membership probabilities per respondent.
    classes_ : Series (N,)
        Most likely class per respondent (0-based, by size).
    log_likelihood_, aic_, bic_, caic_ : float
        BIC/CAIC use the number of respondents.
    converged_ : bool
        The best start's EM stopped on the tolerance before ``max_iter``.
    n_obs_ : int
        Respondents used (the units of the mixture).
    n_params_ : int
        ``C K + C - 1``.
    starts_ : DataFrame
        Final log-likelihood of every start.
    hit_rate_ : float or None
    """

    def __init__(self, spec: ChoiceSpec | dict, *, n_classes: int = 3, n_starts: int = 5, max_iter: int = 300,
                 tol: float = 1e-7, seed: int = 0, **spec_options):
        self.spec = as_spec(spec, **spec_options)
        self.n_classes = n_classes
        self.n_starts = n_starts
        self.max_iter = max_iter
        self.tol = tol
        self.seed = seed

    def fit(self, data: pd.DataFrame | ChoiceData, *, holdout=None) -> "LatentClassMNL":
        """Estimate by EM from several random starts.

        Returns
        -------
        self
        """
        if self.n_classes < 1:
            raise ValueError(f"n_classes must be at least 1, got {self.n_classes}.")
        train, test = self._start_fit(data, holdout)
        rng = np.random.default_rng(self.seed)
        best = None
        lls = []
        for start in range(self.n_starts):
            h0 = rng.dirichlet(np.ones(self.n_classes), size=train.n_respondents)
            res = self._em(train, h0)
            lls.append(res[0])
            if best is None or res[0] > best[0] + 1e-9:
                best = res
        ll, beta, pi, h, n_iter = best
        order = np.argsort(-pi, kind="stable")
        beta, pi, h = beta[order], pi[order], h[:, order]
        C, K = beta.shape
        labels = [f"class_{c + 1}" for c in range(C)]
        ids = pd.Index(train.respondent_ids, name="respondent_id")
        self.params_ = pd.DataFrame(beta, index=labels, columns=self.spec.params)
        self.class_sizes_ = pd.Series(pi, index=labels, name="share")
        self.posterior_ = pd.DataFrame(h, index=ids, columns=labels)
        self.classes_ = pd.Series(h.argmax(axis=1), index=ids, name="class")
        self.log_likelihood_ = float(ll)
        self.n_params_ = C * K + C - 1
        n = train.n_respondents
        self.aic_ = -2 * ll + 2 * self.n_params_
        self.bic_ = -2 * ll + self.n_params_ * np.log(n)
        self.caic_ = -2 * ll + self.n_params_ * (np.log(n) + 1)
        self.n_iter_ = n_iter
        self.converged_ = bool(n_iter < self.max_iter)
        self.n_obs_ = n
        self.starts_ = pd.DataFrame({"start": range(self.n_starts), "log_likelihood": lls})
        self.hit_rate_ = self._holdout_hit_rate()
        return self

    def _em(self, cd: ChoiceData, h: np.ndarray):
        C = self.n_classes
        K = cd.X.shape[2]
        S = cd.n_situations
        offset = _offset(cd.avail)
        beta = np.zeros((C, K))
        ll_old = -np.inf
        ll = -np.inf
        for it in range(1, self.max_iter + 1):
            # M-step (after the first, one Newton step per class: a generalised EM step,
            # which still raises the likelihood because the line search ensures ascent)
            pi = h.mean(axis=0)
            for c in range(C):
                w = h[cd.resp, c]
                if w.sum() < 1e-8:
                    continue
                fit = fit_mnl_arrays(cd.X, cd.avail, cd.chosen, weights=w, beta0=beta[c], max_iter=1 if it > 1 else 25,
                                     tol=1e-10, checks=False)
                beta[c] = fit.beta
            # E-step
            lr = np.empty((cd.n_respondents, C))
            for c in range(C):
                _, lse, V = _probs(cd.X, offset, beta[c])
                ls = V[np.arange(S), cd.chosen] - lse
                lr[:, c] = np.bincount(cd.resp, weights=ls, minlength=cd.n_respondents)
            joint = lr + np.log(np.maximum(pi, 1e-300))
            tot = logsumexp(joint, axis=1)
            ll = float(tot.sum())
            h = np.exp(joint - tot[:, None])
            if ll - ll_old < self.tol * abs(ll):
                break
            ll_old = ll
        return ll, beta.copy(), h.mean(axis=0), h, it

    def predict_proba(self, data: pd.DataFrame | ChoiceData) -> np.ndarray:
        """Choice probabilities (S, J): class probabilities mixed with each respondent's posterior
        membership (class shares for respondents not in the estimation data)."""
        cd = self._prepared(data)
        post = self.posterior_.reindex(cd.respondent_ids)
        post = post.fillna(self.class_sizes_).to_numpy()
        offset = _offset(cd.avail)
        P = np.zeros(cd.avail.shape)
        for c in range(len(self.params_)):
            Pc, _, _ = _probs(cd.X, offset, self.params_.iloc[c].to_numpy())
            P += post[cd.resp, c][:, None] * Pc
        return P

    def utilities(self):
        """Respondent part-worths as posterior-weighted class part-worths (:class:`Utilities`)."""
        check_is_fitted(self, "params_")
        T = self.spec.level_map()
        B = self.posterior_.to_numpy() @ self.params_.to_numpy()
        return Utilities(self.spec, pd.DataFrame(B @ T.T, index=self.posterior_.index,
                                                 columns=self.spec.level_columns), source="latent_class")

    def class_partworths(self) -> pd.DataFrame:
        """Part-worths per class in the level basis, with the class share (classes as columns)."""
        check_is_fitted(self, "params_")
        T = self.spec.level_map()
        out = pd.DataFrame((self.params_.to_numpy() @ T.T).T, index=self.spec.level_columns,
                           columns=self.params_.index)
        out.loc["share"] = self.class_sizes_.to_numpy()
        return out


def select_classes(spec: ChoiceSpec | dict, data: pd.DataFrame | ChoiceData, classes: Iterable[int] = range(1, 6),
                   *, criterion: str = "bic", n_starts: int = 5, seed: int = 0
                   ) -> tuple[pd.DataFrame, LatentClassMNL]:
    """Fit latent-class models for several numbers of classes and pick one by BIC or CAIC.

    Returns
    -------
    table : DataFrame
        ``n_classes``, ``log_likelihood``, ``n_params``, ``aic``, ``bic``, ``caic``,
        smallest class share, and ``selected``.
    model : LatentClassMNL
        The selected model.
    """
    if criterion not in ("bic", "caic", "aic"):
        raise ValueError(f"criterion {criterion!r} is unknown. Fix: use 'bic', 'caic' or 'aic'.")
    spec = as_spec(spec)
    cd = data if isinstance(data, ChoiceData) else prepare(data, spec)
    models = {c: LatentClassMNL(spec, n_classes=c, n_starts=n_starts if c > 1 else 1, seed=seed).fit(cd)
              for c in classes}
    table = pd.DataFrame([{"n_classes": c, "log_likelihood": m.log_likelihood_, "n_params": m.n_params_, "aic": m.aic_,
                           "bic": m.bic_, "caic": m.caic_, "smallest_class": float(m.class_sizes_.min())}
                          for c, m in models.items()])
    k = int(table[criterion].to_numpy().argmin())
    table["selected"] = np.arange(len(table)) == k
    return table, models[int(table["n_classes"].iloc[k])]
