"""Design diagnostics for a choice-based conjoint.

Before estimating, check the experiment itself: are levels shown equally often
(balance), do attributes vary independently (co-occurrence), do tasks repeat a
level across concepts (overlap), how efficient is the design for an MNL
(D-error), are there dominated concepts (wasted tasks), and did everyone see
the same number of tasks.
"""

from __future__ import annotations

from collections.abc import Mapping
from itertools import combinations

import numpy as np
import pandas as pd

from cvkit.choice.data import ChoiceData, prepare
from cvkit.choice.spec import ChoiceSpec, level_key

__all__ = ["level_balance", "cooccurrence", "overlap", "d_error", "dominated_alternatives",
           "tasks_per_respondent", "design_diagnostics"]


def _real(df: pd.DataFrame, spec: ChoiceSpec) -> pd.DataFrame:
    if spec.none and "none" in df.columns:
        return df[pd.to_numeric(df["none"], errors="coerce").fillna(0) != 1]
    return df


def _keys(s: pd.Series) -> pd.Series:
    return s.map(lambda v: v if isinstance(v, str) else level_key(v))


def level_balance(df: pd.DataFrame, spec: ChoiceSpec) -> pd.DataFrame:
    """How often each level is shown (none rows excluded).

    Returns
    -------
    DataFrame
        ``attribute``, ``level``, ``count``, ``share`` (within the attribute)
        and ``balance`` (least over most shown level of the attribute; 1 =
        perfectly balanced, below ~0.8 deserves a look).
    """
    real = _real(df, spec)
    rows = []
    for a in spec.attributes:
        levels = [level_key(x) for x in spec.levels(a)] or sorted(_keys(real[a]).unique())
        counts = _keys(real[a]).value_counts().reindex(levels, fill_value=0)
        bal = counts.min() / counts.max() if counts.max() > 0 else np.nan
        for lv, n in counts.items():
            rows.append({"attribute": a, "level": lv, "count": int(n), "share": n / counts.sum(), "balance": bal})
    return pd.DataFrame(rows)


def cooccurrence(df: pd.DataFrame, spec: ChoiceSpec, a: str, b: str) -> pd.DataFrame:
    """Two-way counts of the levels of attributes ``a`` and ``b`` shown together in one concept.

    In an orthogonal design the counts are proportional to the product of the
    margins; a zero cell means that combination was never shown (its
    interaction cannot be estimated).
    """
    real = _real(df, spec)
    tab = pd.crosstab(_keys(real[a]), _keys(real[b]))
    la = [level_key(x) for x in spec.levels(a)] or list(tab.index)
    lb = [level_key(x) for x in spec.levels(b)] or list(tab.columns)
    tab = tab.reindex(index=la, columns=lb, fill_value=0)
    tab.index.name, tab.columns.name = a, b
    return tab


def overlap(df: pd.DataFrame, spec: ChoiceSpec) -> pd.DataFrame:
    """Level overlap within tasks.

    Returns
    -------
    DataFrame
        Per attribute: ``share_tasks_with_overlap`` (a level appears in two or
        more concepts of the task) and ``share_tasks_constant`` (all concepts
        show the same level: the task says nothing about that attribute).
    """
    real = _real(df, spec)
    g = real.groupby(["respondent_id", "task"], sort=False)
    n = g.size()
    rows = []
    for a in spec.attributes:
        k = g[a].nunique()
        rows.append({"attribute": a, "share_tasks_with_overlap": float((k < n).mean()),
                     "share_tasks_constant": float((k == 1).mean())})
    return pd.DataFrame(rows)


def d_error(data: ChoiceData, beta: np.ndarray | None = None) -> float:
    """D-error of the design for an MNL, per choice task.

    ``det(Omega)^(1/K)`` with ``Omega`` the inverse of the average Fisher
    information per task, evaluated at ``beta`` (default 0: equal
    probabilities, the usual "D0"-error). Lower is better; compare designs of
    the same attributes and coding.

    Parameters
    ----------
    data : ChoiceData
    beta : ndarray, shape (K,), optional

    Returns
    -------
    float
    """
    X, avail = data.X, data.avail
    S, J, K = X.shape
    b = np.zeros(K) if beta is None else np.asarray(beta, float)
    V = np.where(avail, X @ b, -np.inf)
    P = np.exp(V - V.max(axis=1, keepdims=True))
    P /= P.sum(axis=1, keepdims=True)
    Xbar = np.einsum("sj,sjk->sk", P, X)
    Z = (X * np.sqrt(P)[:, :, None]).reshape(S * J, K)
    info = (Z.T @ Z - Xbar.T @ Xbar) / S
    sign, logdet = np.linalg.slogdet(info)
    if sign <= 0:
        return float("inf")
    return float(np.exp(-logdet / K))


def dominated_alternatives(df: pd.DataFrame, spec: ChoiceSpec, directions: Mapping[str, str]) -> pd.DataFrame:
    """Concepts that are worse than or equal to another concept of the same task on every attribute.

    Parameters
    ----------
    directions : dict
        Attribute -> ``"increasing"`` (later levels / higher values are better)
        or ``"decreasing"`` (e.g. the price). Attributes without a direction
        must be equal for one concept to dominate another.

    Returns
    -------
    DataFrame
        ``respondent_id``, ``task``, ``alternative`` (dominated) and
        ``dominated_by``; dominated concepts make a task easy and waste it.
    """
    real = _real(df, spec).reset_index(drop=True)
    for a, d in directions.items():
        if a not in spec.attributes or d not in ("increasing", "decreasing"):
            raise ValueError(f"direction {a!r}: {d!r} is not valid. Fix: map attributes of the design to "
                             "'increasing' or 'decreasing'.")
    score = {}
    for a in spec.attributes:
        if a in directions:
            if spec.is_numeric(a):
                v = pd.to_numeric(real[a], errors="coerce").to_numpy(float)
            else:
                order = {level_key(x): i for i, x in enumerate(spec.levels(a))}
                v = _keys(real[a]).map(order).to_numpy(float)
            score[a] = v if directions[a] == "increasing" else -v
        else:
            score[a] = pd.factorize(_keys(real[a]))[0].astype(float)
    rows = []
    for (r, t), idx in real.groupby(["respondent_id", "task"], sort=False).indices.items():
        for i, j in ((i, j) for i in idx for j in idx if i != j):
            ok, strict = True, False
            for a in spec.attributes:
                si, sj = score[a][i], score[a][j]
                if a in directions:
                    if sj < si:
                        ok = False
                        break
                    strict |= sj > si
                elif si != sj:
                    ok = False
                    break
            if ok and strict:
                rows.append({"respondent_id": r, "task": t, "alternative": real["alternative"].iloc[i],
                             "dominated_by": real["alternative"].iloc[j]})
    out = pd.DataFrame(rows, columns=["respondent_id", "task", "alternative", "dominated_by"])
    return out.drop_duplicates(["respondent_id", "task", "alternative"], ignore_index=True)


def tasks_per_respondent(df: pd.DataFrame) -> pd.DataFrame:
    """Distribution of the number of tasks per respondent (``n_tasks``, ``n_respondents``)."""
    n = df.groupby("respondent_id")["task"].nunique()
    out = n.value_counts().sort_index().rename_axis("n_tasks").reset_index(name="n_respondents")
    return out


def design_diagnostics(df: pd.DataFrame, spec: ChoiceSpec, directions: Mapping[str, str] | None = None
                       ) -> dict[str, pd.DataFrame | float]:
    """All diagnostics in one dict: ``balance``, ``overlap``, ``cooccurrence`` (long table of all
    attribute pairs), ``d_error``, ``dominated`` (when ``directions`` are given), ``tasks``, and
    ``summary`` (one row of key figures)."""
    cd = prepare(df, spec)
    bal = level_balance(df, spec)
    ov = overlap(df, spec)
    co = []
    cat = [a for a in spec.attributes if spec.levels(a)]
    for a, b in combinations(cat, 2):
        tab = cooccurrence(df, spec, a, b).stack().rename("count").reset_index()
        tab.columns = ["level_a", "level_b", "count"]
        tab.insert(0, "attribute_b", b)
        tab.insert(0, "attribute_a", a)
        co.append(tab)
    co_df = pd.concat(co, ignore_index=True) if co else pd.DataFrame()
    dom = dominated_alternatives(df, spec, directions) if directions else None
    tasks = tasks_per_respondent(df)
    de = d_error(cd)
    summary = pd.DataFrame([{
        "respondents": cd.n_respondents, "tasks": cd.n_situations,
        "alternatives_per_task": float(cd.avail.sum(axis=1).mean()),
        "min_level_balance": float(bal["balance"].min()), "d_error": de,
        "empty_cooccurrence_cells": int((co_df["count"] == 0).sum()) if len(co_df) else 0,
        "tasks_with_dominated_concept": (int(dom[["respondent_id", "task"]].drop_duplicates().shape[0])
                                         if dom is not None else None),
    }])
    out: dict[str, pd.DataFrame | float] = {"summary": summary, "balance": bal, "overlap": ov,
                                             "cooccurrence": co_df, "d_error": de, "tasks": tasks}
    if dom is not None:
        out["dominated"] = dom
    return out
