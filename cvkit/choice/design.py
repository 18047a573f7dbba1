"""Design of a choice-based conjoint: generation before fielding, diagnostics after.

:func:`generate_design` builds versions of choice tasks (random, complete
enumeration, balanced overlap or D-efficient for assumed utilities), with a
none option, prohibited level pairs and fixed holdout tasks; the returned
:class:`Design` reports its D-error, the standard errors a sample size will
give (checked by simulation in :meth:`Design.power_table`) and writes the
fielding file and the response template cvkit reads back.

Before estimating, check the experiment itself: are levels shown equally often
(balance), do attributes vary independently (co-occurrence), do tasks repeat a
level across concepts (overlap), how efficient is the design for an MNL
(D-error), are there dominated concepts (wasted tasks), and did everyone see
the same number of tasks.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations, permutations
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from cvkit.choice.data import ChoiceData, prepare
from cvkit.choice.spec import ChoiceSpec, level_key
from cvkit.data.errors import DataError, Problem

__all__ = ["level_balance", "cooccurrence", "overlap", "d_error", "dominated_alternatives",
           "tasks_per_respondent", "design_diagnostics", "Design", "DESIGN_METHODS", "generate_design",
           "choices_from_responses"]


def _real(df: pd.DataFrame, spec: ChoiceSpec) -> pd.DataFrame:
    if spec.none and "none" in df.columns:
        return df[pd.to_numeric(df["none"], errors="coerce").fillna(0) != 1]
    return df


def _keys(s: pd.Series) -> pd.Series:
    return s.map(lambda v: v if isinstance(v, str) else level_key(v))


def level_balance(df: pd.DataFrame, spec: ChoiceSpec, attributes: list[str] | None = None) -> pd.DataFrame:
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
    for a in (spec.attributes if attributes is None else attributes):
        levels = [level_key(x) for x in spec.levels(a)] or sorted(_keys(real[a]).unique())
        counts = _keys(real[a]).value_counts().reindex(levels, fill_value=0)
        bal = counts.min() / counts.max() if counts.max() > 0 else np.nan
        for lv, n in counts.items():
            rows.append({"attribute": a, "level": lv, "count": int(n), "share": n / counts.sum(), "balance": bal})
    return pd.DataFrame(rows, columns=["attribute", "level", "count", "share", "balance"])


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


def overlap(df: pd.DataFrame, spec: ChoiceSpec, attributes: list[str] | None = None) -> pd.DataFrame:
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
    for a in (spec.attributes if attributes is None else attributes):
        k = g[a].nunique()
        rows.append({"attribute": a, "share_tasks_with_overlap": float((k < n).mean()),
                     "share_tasks_constant": float((k == 1).mean())})
    return pd.DataFrame(rows, columns=["attribute", "share_tasks_with_overlap", "share_tasks_constant"])


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


def _designed_attributes(df: pd.DataFrame, spec: ChoiceSpec) -> list[str]:
    """Attributes shown at a designed set of levels: every value is a declared level.

    Balance and co-occurrence describe an experimental design; a continuous attribute (travel time
    in minutes, whose levels in the spec are display points) and the alternatives' constants have none.
    """
    real = _real(df, spec)
    out = []
    for a in spec.attributes:
        levels = {level_key(x) for x in spec.levels(a)}
        if levels and (spec.alternatives is None or a != "alternative") and set(_keys(real[a].dropna())) <= levels:
            out.append(a)
    return out


def design_diagnostics(df: pd.DataFrame, spec: ChoiceSpec, directions: Mapping[str, str] | None = None
                       ) -> dict[str, pd.DataFrame | float]:
    """All diagnostics in one dict: ``balance``, ``overlap``, ``cooccurrence`` (long table of all
    attribute pairs), ``d_error``, ``dominated`` (when ``directions`` are given), ``tasks``, and
    ``summary`` (one row of key figures)."""
    cd = prepare(df, spec)
    designed = _designed_attributes(df, spec)
    bal = level_balance(df, spec, designed)
    ov = overlap(df, spec, designed)
    co = []
    for a, b in combinations(designed, 2):
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
        "min_level_balance": float(bal["balance"].min()) if len(bal) else None, "d_error": de,
        "empty_cooccurrence_cells": int((co_df["count"] == 0).sum()) if len(co_df) else 0,
        "tasks_with_dominated_concept": (int(dom[["respondent_id", "task"]].drop_duplicates().shape[0])
                                         if dom is not None else None),
    }])
    out: dict[str, pd.DataFrame | float] = {"summary": summary, "balance": bal, "overlap": ov,
                                             "cooccurrence": co_df, "d_error": de, "tasks": tasks}
    if dom is not None:
        out["dominated"] = dom
    return out


# ====================================================================== generation
# A conjoint starts before any data exists: the analyst designs the choice tasks. The generators below
# follow Sawtooth's vocabulary (random, complete enumeration, balanced overlap) and the efficient-design
# literature (a D-efficient design for assumed utilities, by coordinate exchange on the MNL information
# matrix: Kessels, Goos & Vandebroek 2006; Huber & Zwerina 1996).

DESIGN_METHODS = ("random", "complete_enumeration", "balanced_overlap", "d_efficient")


@dataclass
class Design:
    """A generated choice design.

    Attributes
    ----------
    df : DataFrame
        One row per version x task x concept: ``version``, ``task``, ``concept``
        (1-based), one column per attribute, ``none`` (1 on the "none of
        these" concept, whose attribute cells are empty) and ``holdout`` (1 for
        the fixed holdout tasks, identical in every version).
    spec : ChoiceSpec
        How the attributes are coded for the MNL information matrix.
    method : str
    priors : ndarray, shape (K,)
        Assumed coded utilities (``spec.params`` order; zeros = equal probabilities).
    """

    df: pd.DataFrame
    spec: ChoiceSpec
    method: str
    priors: np.ndarray

    @property
    def n_versions(self) -> int:
        return int(self.df["version"].nunique())

    def choice_frame(self, holdout: bool = False) -> pd.DataFrame:
        """The design as long-format choice rows (one version = one respondent, first concept chosen),
        the shape :func:`cvkit.choice.prepare` reads; used for the diagnostics."""
        d = self.df if holdout else self.df[self.df["holdout"] == 0]
        out = d.rename(columns={"version": "respondent_id", "concept": "alternative"}).drop(columns="holdout")
        out["respondent_id"] = out["respondent_id"].astype(str)
        out["chosen"] = (out["alternative"] == 1).astype(int)
        return out if self.spec.none else out.drop(columns="none", errors="ignore")

    def information(self, priors: np.ndarray | None = None) -> np.ndarray:
        """MNL Fisher information (K, K) of one pass through every version (estimation tasks only)."""
        X, avail = _design_arrays(self)
        return _information(X, avail, self.priors if priors is None else np.asarray(priors, float))

    def d_error(self, priors: np.ndarray | None = None) -> float:
        """D-error per task, ``det(I / S)^(-1/K)`` at ``priors`` (default: the design's)."""
        X, avail = _design_arrays(self)
        info = _information(X, avail, self.priors if priors is None else np.asarray(priors, float))
        return _d_from_info(info / len(X))

    def expected_se(self, n_respondents: int, priors: np.ndarray | None = None) -> pd.Series:
        """Standard errors of the aggregate-MNL part-worths expected from ``n_respondents``.

        Respondents are spread evenly over the versions, so the information is
        ``n / n_versions`` times that of one pass through all versions.
        """
        info = self.information(priors) * (n_respondents / self.n_versions)
        cov = np.linalg.pinv(info)
        return pd.Series(np.sqrt(np.diag(cov)), index=self.spec.params, name="expected_se")

    def diagnostics(self) -> dict[str, pd.DataFrame | float]:
        """:func:`design_diagnostics` of the estimation tasks (all versions)."""
        return design_diagnostics(self.choice_frame(), self.spec)

    def power_table(self, sample_sizes=(100, 200, 400, 800), *, priors: np.ndarray | None = None,
                    n_sims: int = 20, seed: int = 0) -> pd.DataFrame:
        """Expected precision by sample size, checked by simulating respondents and re-estimating.

        For each ``n``: respondents are assigned to versions in turn, choose by
        an MNL with utilities ``priors``, and an aggregate MNL is estimated;
        repeated ``n_sims`` times.

        Returns
        -------
        DataFrame
            One row per sample size x parameter: ``expected_se`` (from the
            information matrix), ``simulated_se`` (standard deviation of the
            estimates over simulations), ``mean_estimate``, ``prior``,
            ``expected_power`` (probability that a 5% two-sided z-test finds the
            part-worth non-zero) and ``share_significant`` (how often it did).
        """
        b = self.priors if priors is None else np.asarray(priors, float)
        X, avail = _design_arrays(self)
        rng = np.random.default_rng(seed)
        rows = []
        for n in sample_sizes:
            se = self.expected_se(n, b).to_numpy()
            est = _simulate_estimates(X, avail, b, n, self.n_versions, n_sims, rng)
            sig = np.abs(est / np.sqrt(np.maximum(est.var(axis=0, ddof=1), 1e-300))) > 1.96
            zs = np.abs(b) / se
            power = stats.norm.sf(1.96 - zs) + stats.norm.cdf(-1.96 - zs)
            for k, name in enumerate(self.spec.params):
                rows.append({"n_respondents": n, "parameter": name, "prior": b[k], "expected_se": se[k],
                             "simulated_se": float(est[:, k].std(ddof=1)), "mean_estimate": float(est[:, k].mean()),
                             "expected_power": float(power[k]), "share_significant": float(sig[:, k].mean())})
        return pd.DataFrame(rows)

    # ------------------------------------------------------------------ export
    def fielding_table(self) -> pd.DataFrame:
        """The design as survey platforms import it: version, task, concept, attribute levels, none, holdout."""
        return self.df.copy()

    def response_template(self, respondents: int | Sequence[str] = 1) -> pd.DataFrame:
        """Long-format choice rows with an empty ``chosen`` column, the shape cvkit's intake reads.

        Respondent ``i`` gets version ``i mod n_versions + 1`` (the order survey
        platforms assign them). Fill ``chosen`` (1 on the chosen concept, else 0)
        or build the file with :func:`choices_from_responses`.
        """
        ids = [f"R{i + 1:04d}" for i in range(respondents)] if isinstance(respondents, int) else list(respondents)
        frames = []
        for i, rid in enumerate(ids):
            v = self.df[self.df["version"] == i % self.n_versions + 1]
            frames.append(v.assign(respondent_id=str(rid)))
        out = pd.concat(frames, ignore_index=True).rename(columns={"concept": "alternative"})
        out["chosen"] = pd.Series([pd.NA] * len(out), dtype="Int64")
        cols = ["respondent_id", "version", "task", "alternative", *self.spec.attributes,
                *(["none"] if self.spec.none else []), "holdout", "chosen"]
        return out[cols]

    def write(self, directory: str | Path, name: str = "design", *, respondents: int = 0) -> dict[str, Path]:
        """Write ``<name>.csv`` and ``<name>.xlsx`` (fielding file) and, when ``respondents`` > 0,
        ``<name>_response_template.csv``; returns the paths. Existing files of those names are replaced."""
        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        table = _neutralise(self.fielding_table())
        paths = {"csv": d / f"{name}.csv", "xlsx": d / f"{name}.xlsx"}
        table.to_csv(paths["csv"], index=False)
        table.to_excel(paths["xlsx"], index=False, sheet_name="design")
        if respondents:
            paths["template"] = d / f"{name}_response_template.csv"
            _neutralise(self.response_template(respondents)).to_csv(paths["template"], index=False)
        return paths


def _neutralise(df: pd.DataFrame) -> pd.DataFrame:
    """Level names are the analyst's text: a leading = + - @ would run as a spreadsheet formula."""
    out = df.copy()
    for c in out.columns:
        if out[c].dtype == object:
            out[c] = out[c].map(lambda v: "'" + v if isinstance(v, str) and v[:1] in ("=", "+", "-", "@") else v)
    return out


def choices_from_responses(design: Design, responses: pd.DataFrame) -> pd.DataFrame:
    """Long-format choice data from a survey platform's answers.

    Parameters
    ----------
    design : Design
    responses : DataFrame
        ``respondent_id``, ``version``, ``task`` and ``choice`` (the chosen
        concept number; the none concept is ``n_concepts + 1``).

    Returns
    -------
    DataFrame
        The rows of each respondent's version with ``chosen`` 0/1, ready for
        :func:`cvkit.choice.prepare`.
    """
    need = {"respondent_id", "version", "task", "choice"}
    missing = need - set(responses.columns)
    if missing:
        raise DataError(Problem("responses", f"column(s) {sorted(missing)} are missing.",
                                "export respondent_id, version, task and the chosen concept as `choice`."))
    rows = responses.merge(design.df.rename(columns={"concept": "alternative"}), on=["version", "task"], how="left")
    if rows["alternative"].isna().any():
        bad = rows.loc[rows["alternative"].isna(), ["version", "task"]].drop_duplicates().head(3)
        raise DataError(Problem("responses", f"version/task pairs not in the design, e.g. {bad.values.tolist()}.",
                                "check that the responses belong to this design (versions and task numbers)."))
    rows["chosen"] = (rows["alternative"] == rows["choice"]).astype(int)
    rows["respondent_id"] = rows["respondent_id"].astype(str)
    cols = ["respondent_id", "version", "task", "alternative", *design.spec.attributes,
            *(["none"] if design.spec.none else []), "holdout", "chosen"]
    return rows[cols].sort_values(["respondent_id", "task", "alternative"], ignore_index=True)


def generate_design(attributes: Mapping[str, Sequence[Any]], *, method: str = "balanced_overlap",
                    n_versions: int = 10, n_tasks: int = 12, n_concepts: int = 3, none: bool = False,
                    prohibited: Sequence[tuple[tuple[str, Any], tuple[str, Any]]] = (),
                    holdout_tasks: Sequence[Sequence[Mapping[str, Any]]] = (), priors: Any = None,
                    price: str | None = None, coding: str = "effects", overlap: float = 0.3,
                    n_passes: int = 4, seed: int = 0) -> Design:
    """Generate a choice-based conjoint design.

    Parameters
    ----------
    attributes : dict
        Attribute -> levels (in order).
    method : {"random", "complete_enumeration", "balanced_overlap", "d_efficient"}
        ``random``: levels drawn independently (overlap as it falls);
        ``complete_enumeration``: minimal overlap within a task, levels as
        balanced as possible across the design and attribute pairs as
        orthogonal as possible (Sawtooth's default logic); ``balanced_overlap``:
        the same with a level repeated within a task in a share ``overlap`` of
        attribute-tasks (better for interactions and realistic choices);
        ``d_efficient``: complete enumeration improved by coordinate exchange
        to minimise the D-error at ``priors``.
    n_versions, n_tasks, n_concepts : int
        Questionnaire versions, random (estimation) tasks per version, concepts per task.
    none : bool
        Add a "none of these" concept to every task.
    prohibited : list of ((attribute, level), (attribute, level))
        Level pairs never shown in the same concept.
    holdout_tasks : list of tasks, each a list of concept dicts
        Fixed tasks appended to every version (``holdout`` = 1), for validation.
    priors : dict or array, optional
        Assumed utilities: array in ``spec.params`` order, or dict parameter -> value
        (e.g. ``{"fee": -0.03, "delivery.standard": -0.5}``). Default 0.
    price : str, optional
        A numeric attribute coded as one linear slope (the price).
    coding : {"effects", "dummy"}
    overlap : float
        ``balanced_overlap``: share of attribute-tasks with one repeated level.
    n_passes : int
        ``d_efficient``: maximum coordinate-exchange passes.
    seed : int

    Returns
    -------
    Design

    Raises
    ------
    ValueError
        Unknown method or attribute/level names, impossible prohibitions.
    """
    if method not in DESIGN_METHODS:
        raise ValueError(f"design method {method!r} is unknown. Fix: use one of {DESIGN_METHODS}.")
    if n_versions < 1 or n_tasks < 1 or n_concepts < 2:
        raise ValueError("a design needs at least 1 version, 1 task and 2 concepts per task. Fix: raise "
                         "n_versions / n_tasks / n_concepts.")
    spec = ChoiceSpec(attributes, price=price, none=none, coding=coding)
    levels = {a: spec.levels(a) for a in spec.attributes}
    bans = _prohibitions(prohibited, levels)
    b = _priors(priors, spec)
    rng = np.random.default_rng(seed)
    if method == "random":
        idx = _random_levels(levels, n_versions * n_tasks, n_concepts, bans, rng)
    else:
        idx = _enumerated_levels(levels, n_versions * n_tasks, n_concepts, bans, rng,
                                 overlap if method == "balanced_overlap" else 0.0)
    if method == "d_efficient":
        idx = _coordinate_exchange(idx, spec, levels, b, bans, n_passes, rng)
    df = _assemble(idx, levels, spec, n_versions, n_tasks, n_concepts, holdout_tasks)
    return Design(df, spec, method, b)


def _prohibitions(prohibited, levels) -> list[tuple[int, int, int, int]]:
    """((a, x), (b, y)) pairs -> (attribute index, level index, attribute index, level index)."""
    names = list(levels)
    out = []
    for pair in prohibited:
        ((a, x), (b, y)) = pair
        for attr, lv in ((a, x), (b, y)):
            if attr not in levels or level_key(lv) not in [level_key(v) for v in levels[attr]]:
                raise ValueError(f"prohibited pair {pair!r}: {attr!r} = {lv!r} is not a level of the design. "
                                 f"Fix: use attributes {names} and their levels.")
        ia, ib = names.index(a), names.index(b)
        xa = [level_key(v) for v in levels[a]].index(level_key(x))
        yb = [level_key(v) for v in levels[b]].index(level_key(y))
        out.append((ia, xa, ib, yb))
    return out


def _priors(priors, spec: ChoiceSpec) -> np.ndarray:
    if priors is None:
        return np.zeros(spec.n_params)
    if isinstance(priors, Mapping):
        unknown = [k for k in priors if k not in spec.params]
        if unknown:
            raise ValueError(f"priors name unknown parameters {unknown}. Fix: use {spec.params}.")
        return np.array([float(priors.get(p, 0.0)) for p in spec.params])
    b = np.asarray(priors, float)
    if b.shape != (spec.n_params,):
        raise ValueError(f"priors have {b.size} values; the design has {spec.n_params} parameters "
                         f"{spec.params}. Fix: give one prior per parameter (or a dict).")
    return b


def _violates(concept: np.ndarray, bans) -> bool:
    return any(concept[ia] == xa and concept[ib] == yb for ia, xa, ib, yb in bans)


def _random_levels(levels, n_sets, n_concepts, bans, rng) -> np.ndarray:
    """(n_sets, n_concepts, A) level indices drawn at random, no duplicate or prohibited concepts."""
    sizes = np.array([len(v) for v in levels.values()])
    out = np.empty((n_sets, n_concepts, len(sizes)), int)
    for s in range(n_sets):
        seen: set[tuple] = set()
        for c in range(n_concepts):
            for _ in range(1000):
                concept = (rng.random(len(sizes)) * sizes).astype(int)
                if tuple(concept) not in seen and not _violates(concept, bans):
                    break
            else:
                raise ValueError("cannot build a task without prohibited or duplicate concepts. Fix: remove "
                                 "prohibitions or lower n_concepts.")
            seen.add(tuple(concept))
            out[s, c] = concept
    return out


def _enumerated_levels(levels, n_sets, n_concepts, bans, rng, overlap) -> np.ndarray:
    """Minimal-overlap tasks: per attribute the least-shown levels so far (balance), placed in the
    concepts so that two-way level co-occurrences stay as even as possible (orthogonality)."""
    sizes = [len(v) for v in levels.values()]
    A = len(sizes)
    counts = [np.zeros(k) for k in sizes]
    pair = {(a, b): np.zeros((sizes[a], sizes[b])) for a in range(A) for b in range(a)}
    out = np.empty((n_sets, n_concepts, A), int)
    for s in range(n_sets):
        for _ in range(200):
            task = np.empty((n_concepts, A), int)
            for a in range(A):
                chosen = _least_used(counts[a], n_concepts, rng, repeat=rng.random() < overlap)
                task[:, a] = _best_placement(chosen, task[:, :a], pair, a, rng, bans)
            if not any(_violates(c, bans) for c in task) and len({tuple(c) for c in task}) == n_concepts:
                break
        else:
            raise ValueError("cannot build a task without prohibited or duplicate concepts. Fix: remove "
                             "prohibitions, add levels or lower n_concepts.")
        for a in range(A):
            np.add.at(counts[a], task[:, a], 1)
            for b in range(a):
                np.add.at(pair[(a, b)], (task[:, a], task[:, b]), 1)
        out[s] = task
    return out


def _least_used(counts: np.ndarray, n: int, rng, repeat: bool) -> np.ndarray:
    """``n`` levels for one task: the least shown so far (random among ties), distinct while possible;
    with ``repeat`` one of them is shown twice (overlap)."""
    k = len(counts)
    order = np.lexsort((rng.random(k), counts))
    distinct = min(n - 1 if repeat and n > 1 else n, k)
    chosen = list(order[:distinct])
    while len(chosen) < n:  # more concepts than levels (or a planned repeat): cycle the least shown
        chosen.append(order[(len(chosen) - distinct) % distinct])
    return np.array(chosen)


def _best_placement(chosen: np.ndarray, placed: np.ndarray, pair, a: int, rng, bans=()) -> np.ndarray:
    """Order of ``chosen`` over the concepts with the fewest past co-occurrences with the attributes
    already placed (all orders for up to 6 concepts, else 200 random ones), avoiding prohibited pairs."""
    if placed.shape[1] == 0:
        return rng.permutation(chosen)
    n = len(chosen)
    perms = (list(permutations(range(n))) if n <= 6 else [tuple(rng.permutation(n)) for _ in range(200)])
    rng.shuffle(perms)
    own = [(ia, xa, ib, yb) for ia, xa, ib, yb in bans if max(ia, ib) == a]
    best, best_cost = rng.permutation(chosen), np.inf
    for p in perms:
        lv = chosen[list(p)]
        if own and any((lv[j] if ia == a else placed[j, ia]) == xa and (lv[j] if ib == a else placed[j, ib]) == yb
                       for j in range(n) for ia, xa, ib, yb in own):
            continue
        cost = sum(pair[(a, b)][lv, placed[:, b]].sum() for b in range(placed.shape[1]))
        if cost < best_cost:
            best, best_cost = lv, cost
    return best


def _code_sets(idx: np.ndarray, spec: ChoiceSpec) -> np.ndarray:
    """Coded design (S, J, K) of level indices (S, J, A) (no none)."""
    S, J, A = idx.shape
    X = np.zeros((S, J, spec.n_params))
    for i, a in enumerate(spec.attributes):
        sl = spec._slices[a]
        if a in spec.linear:
            X[:, :, sl] = np.asarray(spec.levels(a), float)[idx[:, :, i]][..., None]
        else:
            X[:, :, sl] = spec._code_index(a, idx[:, :, i].ravel()).reshape(S, J, -1)
    return X


def _with_none(X: np.ndarray, spec: ChoiceSpec) -> np.ndarray:
    if not spec.none:
        return X
    S, J, K = X.shape
    out = np.zeros((S, J + 1, K))
    out[:, :J] = X
    out[:, J, -1] = 1.0
    return out


def _task_information(X: np.ndarray, b: np.ndarray) -> np.ndarray:
    """MNL information of each task (S, K, K) at utilities ``b`` (all alternatives available)."""
    V = X @ b
    P = np.exp(V - V.max(axis=1, keepdims=True))
    P /= P.sum(axis=1, keepdims=True)
    Xbar = np.einsum("sj,sjk->sk", P, X)
    return np.einsum("sj,sjk,sjl->skl", P, X, X) - np.einsum("sk,sl->skl", Xbar, Xbar)


def _information(X: np.ndarray, avail: np.ndarray, b: np.ndarray) -> np.ndarray:
    V = np.where(avail, X @ b, -np.inf)
    P = np.exp(V - V.max(axis=1, keepdims=True))
    P /= P.sum(axis=1, keepdims=True)
    Xbar = np.einsum("sj,sjk->sk", P, X)
    return np.einsum("sj,sjk,sjl->kl", P, X, X) - Xbar.T @ Xbar


def _d_from_info(info: np.ndarray) -> float:
    sign, logdet = np.linalg.slogdet(info)
    return float(np.exp(-logdet / info.shape[0])) if sign > 0 else float("inf")


def _coordinate_exchange(idx, spec, levels, b, bans, n_passes, rng) -> np.ndarray:
    """Improve the design level by level: each concept's attribute takes the level that minimises the
    D-error of the whole design (information updated one task at a time), until a pass changes nothing."""
    idx = idx.copy()
    X = _with_none(_code_sets(idx, spec), spec)
    T = _task_information(X, b)
    info = T.sum(axis=0)
    sizes = [len(v) for v in levels.values()]
    # Level balance is kept within one showing of the start's: unconstrained, D-efficiency pushes a
    # linear price to its two extremes and middle levels vanish (no part-worth can be estimated for them)
    counts = [np.bincount(idx[:, :, a].ravel(), minlength=k) for a, k in enumerate(sizes)]
    hi = [c.max() + 1 for c in counts]
    lo = [max(c.min() - 1, 1) for c in counts]
    def task_info(task):
        return _task_information(_with_none(_code_sets(task[None], spec), spec), b)[0]

    for _ in range(n_passes):
        changed = 0
        for s in rng.permutation(len(idx)):
            for a in range(len(sizes)):
                # candidate moves: another level in one concept (within the balance band), or two concepts
                # trading their levels (keeps the balance exactly)
                moves = [((j, a, lv),) for j in range(idx.shape[1]) for lv in range(sizes[a])
                         if lv != idx[s, j, a] and counts[a][lv] + 1 <= hi[a] and counts[a][idx[s, j, a]] - 1 >= lo[a]]
                moves += [((j, a, idx[s, k, a]), (k, a, idx[s, j, a])) for j in range(idx.shape[1])
                          for k in range(j + 1, idx.shape[1]) if idx[s, j, a] != idx[s, k, a]]
                base = info - T[s]
                best, best_logdet = None, np.linalg.slogdet(info)[1]
                for move in moves:
                    trial = idx[s].copy()
                    for j, aa, lv in move:
                        trial[j, aa] = lv
                    if any(_violates(c, bans) for c in trial) or len({tuple(c) for c in trial}) < len(trial):
                        continue
                    sign, logdet = np.linalg.slogdet(base + task_info(trial))
                    if sign > 0 and logdet > best_logdet + 1e-10:
                        best, best_logdet = trial, logdet
                if best is not None:
                    for j in range(idx.shape[1]):
                        counts[a][idx[s, j, a]] -= 1
                        counts[a][best[j, a]] += 1
                    idx[s] = best
                    T[s] = task_info(best)
                    info = base + T[s]
                    changed += 1
        if not changed:
            break
    return idx


def _assemble(idx, levels, spec, n_versions, n_tasks, n_concepts, holdout_tasks) -> pd.DataFrame:
    names = list(levels)
    rows = []
    for s in range(idx.shape[0]):
        v, t = s // n_tasks + 1, s % n_tasks + 1
        for j in range(n_concepts):
            rows.append({"version": v, "task": t, "concept": j + 1,
                         **{a: levels[a][idx[s, j, i]] for i, a in enumerate(names)}, "none": 0, "holdout": 0})
        if spec.none:
            rows.append({"version": v, "task": t, "concept": n_concepts + 1, **{a: None for a in names},
                         "none": 1, "holdout": 0})
    for h, task in enumerate(holdout_tasks):
        for concept in task:
            bad = [a for a in concept if a not in levels]
            if bad or any(level_key(concept[a]) not in [level_key(x) for x in levels[a]] for a in concept):
                raise ValueError(f"holdout task {h + 1}: concept {dict(concept)} names attributes or levels "
                                 f"not in the design. Fix: use {names} and their levels.")
        for v in range(1, n_versions + 1):
            for j, concept in enumerate(task):
                rows.append({"version": v, "task": n_tasks + h + 1, "concept": j + 1,
                             **{a: concept.get(a) for a in names}, "none": 0, "holdout": 1})
            if spec.none:
                rows.append({"version": v, "task": n_tasks + h + 1, "concept": len(task) + 1,
                             **{a: None for a in names}, "none": 1, "holdout": 1})
    df = pd.DataFrame(rows)
    for a in names:  # whole-number levels stay whole numbers next to the none rows' blanks
        lv = levels[a]
        if all(isinstance(x, (int, np.integer)) and not isinstance(x, bool) for x in lv):
            df[a] = df[a].astype("Int64")
    if not spec.none:
        df = df.drop(columns="none")
    return df


def _design_arrays(design: Design) -> tuple[np.ndarray, np.ndarray]:
    """Coded estimation tasks (S, J, K) and availability of the design."""
    cd = prepare(design.choice_frame(), design.spec, check_variation=False)
    return cd.X, cd.avail


def _simulate_estimates(X, avail, b, n, n_versions, n_sims, rng) -> np.ndarray:
    """Aggregate-MNL estimates (n_sims, K) from ``n`` simulated respondents choosing with utilities ``b``."""
    from cvkit.choice.mnl import fit_mnl_arrays

    S = len(X)
    per_version = S // n_versions
    reps = np.arange(n) % n_versions                                    # version of each respondent
    sit = (reps[:, None] * per_version + np.arange(per_version)[None, :]).ravel()
    Xs, As = X[sit], avail[sit]
    V = np.where(As, Xs @ b, -np.inf)
    out = np.empty((n_sims, len(b)))
    for r in range(n_sims):
        chosen = (V + rng.gumbel(size=V.shape)).argmax(axis=1)
        out[r] = fit_mnl_arrays(Xs, As, chosen, checks=False, max_iter=50).beta
    return out
