"""MaxDiff analysis: counts, best-worst logit (aggregate and hierarchical Bayes), probability scores, TURF.

The best and the worst pick of a task are modelled as two sequential logit
choices (Louviere, Flynn & Marley 2015; Sawtooth's MaxDiff): the best among the
items shown with utilities ``u``, then the worst among the remaining items with
utilities ``-u``. Expanded this way, MaxDiff *is* a conditional logit on item
indicator columns, so cvkit's MNL and HB estimators fit it unchanged.

Scores are reported on Sawtooth's probability scale: each respondent's
utilities are zero-centred, turned into the probability that the item would be
picked best from a set with ``s - 1`` average items, ``exp(u) / (exp(u) + s - 1)``,
and rescaled to sum to 100 over the items. A score of 2x another means twice
as likely to be chosen as most important.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations
from math import comb

import numpy as np
import pandas as pd
from scipy import stats

from cvkit.choice.mnl import fit_mnl_arrays
from cvkit.exceptions import DataError, Problem
from cvkit.estimator import check_is_fitted

__all__ = ["maxdiff_counts", "expand_best_worst", "MaxDiffLogit", "MaxDiffHB", "probability_scores",
           "score_table", "turf", "check_maxdiff"]

REQUIRED = ("respondent_id", "task", "item", "best", "worst")


def check_maxdiff(df: pd.DataFrame, name: str = "maxdiff data") -> pd.DataFrame:
    """Check long MaxDiff answers (one row per item shown): exactly one best and one worst per task,
    never the same item; returns the rows sorted by respondent, task, item."""
    missing = [c for c in REQUIRED if c not in df.columns]
    if missing:
        raise DataError(Problem(name, f"required column(s) {missing} are missing (found {list(df.columns)}).",
                                "one row per item shown with respondent_id, task, item, best (0/1), worst (0/1)."))
    d = df.copy()
    d["respondent_id"] = d["respondent_id"].astype(str)
    d["item"] = d["item"].astype(str)
    for c in ("best", "worst"):
        d[c] = pd.to_numeric(d[c], errors="coerce").fillna(0).astype(int)
    g = d.groupby(["respondent_id", "task"])
    problems = []
    for c in ("best", "worst"):
        bad = g[c].sum() != 1
        if bad.any():
            ex = ", ".join(f"respondent {r} task {t}" for r, t in bad[bad].index[:3])
            problems.append(Problem(name, f"{int(bad.sum())} task(s) do not have exactly one {c} item (e.g. {ex}).",
                                    f"mark one item per task with {c} = 1 (drop incomplete tasks)."))
    both = (d["best"] == 1) & (d["worst"] == 1)
    if both.any():
        problems.append(Problem(name, f"{int(both.sum())} row(s) mark the same item best and worst.",
                                "an item cannot be both; check the export.", column="best"))
    if (g.size() < 2).any():
        problems.append(Problem(name, "some tasks show fewer than 2 items.", "each task shows 3-5 items."))
    if problems:
        raise DataError(problems)
    return d.sort_values(["respondent_id", "task", "item"], ignore_index=True)


def maxdiff_counts(df: pd.DataFrame) -> pd.DataFrame:
    """Best-worst counts per item.

    Returns
    -------
    DataFrame
        ``item``, ``shown``, ``best``, ``worst``, ``best_share`` and
        ``worst_share`` (of times shown) and ``best_minus_worst`` ((best - worst)
        / shown, from -1 to 1), sorted from most to least important.
    """
    d = check_maxdiff(df)
    out = d.groupby("item").agg(shown=("best", "size"), best=("best", "sum"), worst=("worst", "sum"))
    out["best_share"] = out["best"] / out["shown"]
    out["worst_share"] = out["worst"] / out["shown"]
    out["best_minus_worst"] = (out["best"] - out["worst"]) / out["shown"]
    return out.sort_values("best_minus_worst", ascending=False).reset_index()


def expand_best_worst(df: pd.DataFrame, items: Sequence[str] | None = None):
    """MaxDiff tasks as sequential conditional-logit choices.

    Parameters
    ----------
    df : DataFrame
        Long answers (see :func:`check_maxdiff`).
    items : list of str, optional
        Item order; the last item is the reference (utility 0). Default: sorted items.

    Returns
    -------
    X : ndarray (2T, s, k-1)
        Best situation: item indicators; worst situation: minus the indicators, the best item removed.
    avail : ndarray of bool (2T, s)
    chosen : ndarray of int (2T,)
    resp : ndarray of int (2T,)
        Respondent index of each situation.
    respondent_ids : ndarray of str (N,)
    items : list of str
    """
    d = check_maxdiff(df)
    items = list(items) if items is not None else sorted(d["item"].unique())
    unknown = sorted(set(d["item"]) - set(items))
    if unknown:
        raise DataError(Problem("maxdiff data", f"items {unknown[:5]} are not in the item list.",
                                "add them to the items or correct the spelling."))
    index = {it: i for i, it in enumerate(items)}
    k = len(items)
    d["pos"] = d.groupby(["respondent_id", "task"]).cumcount()
    sit = d.groupby(["respondent_id", "task"], sort=False).ngroup().to_numpy()
    T, s = int(sit.max()) + 1, int(d["pos"].max()) + 1
    D = np.zeros((T, s, k))
    D[sit, d["pos"].to_numpy(), d["item"].map(index).to_numpy()] = 1.0
    D = D[:, :, :-1]                                           # last item: reference, utility 0
    shown = np.zeros((T, s), bool)
    shown[sit, d["pos"].to_numpy()] = True
    best = np.zeros(T, int)
    worst = np.zeros(T, int)
    b, w = d["best"].to_numpy() == 1, d["worst"].to_numpy() == 1
    best[sit[b]] = d["pos"].to_numpy()[b]
    worst[sit[w]] = d["pos"].to_numpy()[w]
    avail_w = shown.copy()
    avail_w[np.arange(T), best] = False
    X = np.concatenate([D, -D])
    avail = np.concatenate([shown, avail_w])
    chosen = np.concatenate([best, worst])
    first = np.flatnonzero(np.r_[True, np.diff(sit) != 0])
    rid = d["respondent_id"].to_numpy()[first]
    ids, resp = np.unique(rid, return_inverse=True)
    return X, avail, chosen, np.concatenate([resp, resp]), ids, items


def probability_scores(U: np.ndarray, items_per_task: int) -> np.ndarray:
    """Probability-scaled scores (rows sum to 100) from utilities (N, k), Sawtooth's convention."""
    U = np.atleast_2d(np.asarray(U, float))
    Z = U - U.mean(axis=1, keepdims=True)
    P = np.exp(Z) / (np.exp(Z) + items_per_task - 1)
    return 100 * P / P.sum(axis=1, keepdims=True)


def score_table(scores: np.ndarray, items: Sequence[str], *, level: float = 0.95,
                weights: np.ndarray | None = None) -> pd.DataFrame:
    """Mean score per item with the ``level`` interval over respondents (normal approximation).

    Returns ``item``, ``score`` (mean, sums to 100), ``lower``, ``upper``, ``rank``, sorted by score.
    """
    S = np.atleast_2d(scores)
    w = np.ones(len(S)) if weights is None else np.asarray(weights, float)
    w = w / w.sum()
    mean = w @ S
    n_eff = 1 / np.sum(w ** 2)
    sd = np.sqrt(np.maximum(w @ (S - mean) ** 2, 0) * n_eff / max(n_eff - 1, 1))
    q = stats.norm.ppf(0.5 + level / 2)
    half = q * sd / np.sqrt(n_eff) if len(S) > 1 else np.full(len(mean), np.nan)
    out = pd.DataFrame({"item": list(items), "score": mean, "lower": mean - half, "upper": mean + half})
    out = out.sort_values("score", ascending=False, ignore_index=True)
    out["rank"] = np.arange(1, len(out) + 1)
    out.attrs["level"] = level
    return out


class MaxDiffLogit:
    """Aggregate best-worst (sequential) logit.

    Parameters
    ----------
    items : list of str, optional
        Item order (the last is the reference); default sorted.
    level : float
        Interval coverage of :meth:`scores`.

    Attributes
    ----------
    params_ : Series (k,)
        Item utilities, zero-centred (mean 0).
    cov_ : DataFrame (k, k)
        Their covariance (delta method from the reference-coded fit).
    se_ : Series (k,)
    log_likelihood_ : float
    n_obs_ : int
        Choices (two per task).
    converged_ : bool
    """

    def __init__(self, items: Sequence[str] | None = None, *, level: float = 0.95):
        self.items, self.level = items, level

    def fit(self, df: pd.DataFrame) -> "MaxDiffLogit":
        X, avail, chosen, resp, ids, items = expand_best_worst(df, self.items)
        fit = fit_mnl_arrays(X, avail, chosen, names=items[:-1])
        k = len(items)
        C = np.eye(k)[:, :-1] - np.full((k, k - 1), 1.0 / k)        # reference-coded -> zero-centred
        cov = C @ np.linalg.inv(-fit.hessian) @ C.T
        self.items_ = items
        self.params_ = pd.Series(C @ fit.beta, index=items, name="utility")
        self.cov_ = pd.DataFrame(cov, index=items, columns=items)
        self.se_ = pd.Series(np.sqrt(np.maximum(np.diag(cov), 0)), index=items, name="se")
        self.log_likelihood_ = fit.log_likelihood
        self.n_obs_ = len(chosen)
        self.n_respondents_ = len(ids)
        self.converged_ = bool(fit.converged)
        self.items_per_task_ = int(avail[: len(avail) // 2].sum(axis=1).max())
        return self

    def scores(self, n_draws: int = 4000, seed: int = 0) -> pd.DataFrame:
        """Probability-scaled scores (sum 100) with ``level`` intervals from the estimates' sampling
        distribution (parameter draws from the asymptotic normal)."""
        check_is_fitted(self, "params_")
        rng = np.random.default_rng(seed)
        draws = rng.multivariate_normal(self.params_.to_numpy(), self.cov_.to_numpy(), size=n_draws,
                                        method="eigh")
        S = probability_scores(draws, self.items_per_task_)
        point = probability_scores(self.params_.to_numpy(), self.items_per_task_)[0]
        a = (1 - self.level) / 2
        out = pd.DataFrame({"item": self.items_, "score": point, "lower": np.quantile(S, a, axis=0),
                            "upper": np.quantile(S, 1 - a, axis=0)})
        out = out.sort_values("score", ascending=False, ignore_index=True)
        out["rank"] = np.arange(1, len(out) + 1)
        return out


class MaxDiffHB:
    """Hierarchical Bayes best-worst logit: individual item utilities and scores.

    Parameters
    ----------
    items : list of str, optional
    iterations, chains, seed :
        Passed to :class:`cvkit.choice.HierarchicalBayesMNL`.
    level : float

    Attributes
    ----------
    utilities_ : DataFrame (N, k)
        Posterior-mean utilities per respondent, zero-centred.
    scores_ : DataFrame (N, k)
        Probability-scaled scores per respondent (rows sum to 100).
    model_ : HierarchicalBayesMNL
    """

    def __init__(self, items: Sequence[str] | None = None, *, iterations: int = 4000, chains: int = 2,
                 seed: int = 0, level: float = 0.95):
        self.items, self.iterations, self.chains, self.seed, self.level = items, iterations, chains, seed, level

    def fit(self, df: pd.DataFrame) -> "MaxDiffHB":
        from cvkit.choice import ChoiceData, ChoiceSpec, HierarchicalBayesMNL

        X, avail, chosen, resp, ids, items = expand_best_worst(df, self.items)
        names = [f"item_{i}" for i in range(len(items) - 1)]
        spec = ChoiceSpec({n: None for n in names})
        T = len(chosen) // 2
        task = np.concatenate([2 * np.arange(T), 2 * np.arange(T) + 1])
        cd = ChoiceData(X, avail, chosen, resp, ids, task, np.zeros_like(avail), spec)
        hb = HierarchicalBayesMNL(spec, iterations=self.iterations, chains=self.chains, seed=self.seed).fit(cd)
        beta = np.column_stack([hb.beta_.to_numpy(), np.zeros(len(ids))])
        U = beta - beta.mean(axis=1, keepdims=True)
        s = int(avail[:T].sum(axis=1).max())
        self.items_, self.items_per_task_, self.model_ = items, s, hb
        idx = pd.Index(hb.beta_.index, name="respondent_id")
        self.utilities_ = pd.DataFrame(U, index=idx, columns=items)
        self.scores_ = pd.DataFrame(probability_scores(U, s), index=idx, columns=items)
        self.params_ = self.utilities_.mean()
        self.log_likelihood_ = hb.log_likelihood_
        self.converged_ = hb.converged_
        return self

    def scores(self, weights: np.ndarray | None = None) -> pd.DataFrame:
        """Mean probability score per item with ``level`` intervals over respondents."""
        check_is_fitted(self, "scores_")
        return score_table(self.scores_.to_numpy(), self.items_, level=self.level, weights=weights)


def turf(appeal: pd.DataFrame, *, max_items: int = 5, weights: np.ndarray | None = None,
         top: int = 3, max_combinations: int = 200_000) -> pd.DataFrame:
    """TURF (total unduplicated reach and frequency) of item portfolios.

    Parameters
    ----------
    appeal : DataFrame (N, k) of bool
        Whether each item appeals to each respondent (e.g. MaxDiff score above
        the average ``100 / k``, or among the respondent's top 3).
    max_items : int
        Largest portfolio size.
    weights : ndarray (N,), optional
    top : int
        Portfolios kept per size.
    max_combinations : int
        Above this many portfolios of a size, the search is greedy (adds the
        item with the largest reach gain to the best smaller portfolio).

    Returns
    -------
    DataFrame
        ``size``, ``items`` (tuple), ``reach`` (share reached by at least one
        item) and ``items_appealing`` (TURF's "frequency": mean number of the
        portfolio's items that appeal to a respondent).
    """
    A = appeal.to_numpy(bool)
    names = list(appeal.columns)
    w = np.ones(len(A)) if weights is None else np.asarray(weights, float)
    w = w / w.sum()
    rows = []
    best_prev: tuple[int, ...] = ()
    for size in range(1, min(max_items, A.shape[1]) + 1):
        if comb(A.shape[1], size) <= max_combinations:
            cands = combinations(range(A.shape[1]), size)
        else:
            cands = (tuple(sorted(best_prev + (j,))) for j in range(A.shape[1]) if j not in best_prev)
        scored = [(float(w @ A[:, list(c)].any(axis=1)), float(w @ A[:, list(c)].sum(axis=1)), c) for c in cands]
        scored.sort(key=lambda r: (-r[0], -r[1]))
        best_prev = scored[0][2]
        for reach, freq, c in scored[:top]:
            rows.append({"size": size, "items": tuple(names[i] for i in c), "reach": reach,
                         "items_appealing": freq})
    return pd.DataFrame(rows)
