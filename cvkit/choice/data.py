"""Long-format choice data -> dense arrays the estimators work on, with input checks.

Every estimator in :mod:`cvkit.choice` works on one dense array ``X`` of shape
(situations S, alternatives J, parameters K) plus an availability mask, so a
log-likelihood is a handful of vectorised NumPy operations. Ragged choice sets
(tasks with fewer alternatives) are padded and masked out.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cvkit.choice.spec import ChoiceSpec, level_key
from cvkit.data.errors import DataError, Problem
from cvkit.exceptions import ChoiceWarning

__all__ = ["ChoiceData", "prepare", "ChoiceWarning", "same_position_respondents", "dense_from_long",
           "respondent_level_reason", "tasks_per_respondent"]

REQUIRED = ("respondent_id", "task", "alternative", "chosen")


@dataclass
class ChoiceData:
    """Choice data as dense arrays.

    Attributes
    ----------
    X : ndarray, shape (S, J, K)
        Coded attributes of each alternative of each situation (0 where padded).
    avail : ndarray of bool, shape (S, J)
        True for real alternatives, False for padding.
    chosen : ndarray of int, shape (S,)
        Position (0..J-1) of the chosen alternative.
    resp : ndarray of int, shape (S,)
        Respondent index (0..N-1) of each situation.
    respondent_ids : ndarray of str, shape (N,)
    task : ndarray, shape (S,)
        Task label of each situation.
    is_none : ndarray of bool, shape (S, J)
        Which alternatives are the none option.
    spec : ChoiceSpec
    """

    X: np.ndarray
    avail: np.ndarray
    chosen: np.ndarray
    resp: np.ndarray
    respondent_ids: np.ndarray
    task: np.ndarray
    is_none: np.ndarray
    spec: ChoiceSpec
    rows: pd.DataFrame | None = None

    @property
    def n_situations(self) -> int:
        return self.X.shape[0]

    @property
    def n_respondents(self) -> int:
        return len(self.respondent_ids)

    def subset(self, situations: np.ndarray) -> "ChoiceData":
        """The data restricted to some situations (boolean mask or indices)."""
        s = np.asarray(situations)
        if s.dtype == bool:
            s = np.flatnonzero(s)
        used = np.unique(self.resp[s])
        remap = np.full(self.n_respondents, -1)
        remap[used] = np.arange(len(used))
        return ChoiceData(self.X[s], self.avail[s], self.chosen[s], remap[self.resp[s]],
                          self.respondent_ids[used], self.task[s], self.is_none[s], self.spec)

    def panel(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Respondent x task arrays for hierarchical models.

        Returns
        -------
        Xp : ndarray, shape (N, T, J, K)
            Padded tasks have one available all-zero alternative that is
            "chosen", so they add exactly 0 to a log-likelihood.
        offset : ndarray, shape (N, T, J)
            0 for available alternatives, -inf for padding (add to utilities).
        chosen : ndarray of int, shape (N, T)
        """
        N = self.n_respondents
        counts = np.bincount(self.resp, minlength=N)
        T = int(counts.max())
        order = np.argsort(self.resp, kind="stable")
        pos = np.empty(self.n_situations, int)
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
        pos[order] = np.arange(self.n_situations) - np.repeat(starts, counts)
        S, J, K = self.X.shape
        Xp = np.zeros((N, T, J, K))
        avail = np.zeros((N, T, J), bool)
        avail[:, :, 0] = True  # padded tasks: one zero alternative, chosen
        ch = np.zeros((N, T), int)
        Xp[self.resp, pos] = self.X
        avail[self.resp, pos] = self.avail
        ch[self.resp, pos] = self.chosen
        offset = np.where(avail, 0.0, -np.inf)
        return Xp, offset, ch


def _rows(mask: pd.Series) -> list[int]:
    return (np.flatnonzero(mask.to_numpy()) + 1).tolist()


def prepare(df: pd.DataFrame, spec: ChoiceSpec, *, name: str = "choice data",
            check_variation: bool = True) -> ChoiceData:
    """Check long-format choice data and turn it into dense arrays.

    Parameters
    ----------
    df : DataFrame
        One row per respondent x task x alternative with ``respondent_id``,
        ``task``, ``alternative``, one column per attribute of ``spec``,
        ``chosen`` (0/1) and, when ``spec.none``, ``none`` (1 on the "none of
        these" row, whose attribute cells may be empty).
    spec : ChoiceSpec
    name : str
        How to call the data in error messages (e.g. the file name).
    check_variation : bool
        Raise when an attribute (or level) never varies; switch off only for
        prediction on a fixed scenario.

    Returns
    -------
    ChoiceData

    Raises
    ------
    cvkit.data.DataError
        With every problem found: missing columns, tasks with no or several
        chosen alternatives, undeclared levels, attributes without variation.
    """
    missing = [c for c in (*REQUIRED, *spec.attributes) if c not in df.columns]
    if spec.none and "none" not in df.columns:
        missing.append("none")
    if missing:
        raise DataError(Problem(name, f"required column(s) {missing} are missing (found: {list(df.columns)}).",
                                "rename the columns to the canonical names or map them in engagement.yaml "
                                "(data.choice.columns)."))
    df = df.reset_index(drop=True)
    is_none = (df["none"].fillna(0).astype(float).to_numpy() == 1) if spec.none else np.zeros(len(df), bool)
    problems = _choice_problems(df, name)
    for a in spec.attributes:
        problems += _attribute_problems(df[a], a, spec, ~is_none, name, check_variation)
    if problems:
        raise DataError(problems)
    return _to_arrays(df, is_none, spec)


def _choice_problems(df: pd.DataFrame, name: str) -> list[Problem]:
    """Problems with the ``chosen`` column: not 0/1, tasks with no or several choices, duplicated rows."""
    problems: list[Problem] = []
    chosen_raw = pd.to_numeric(df["chosen"], errors="coerce")
    bad = ~chosen_raw.isin([0, 1])
    if bad.any():
        problems.append(Problem(name, "`chosen` must be 0 or 1.", "code the chosen alternative 1 and the others 0.",
                                column="chosen", rows=_rows(bad), n_rows=int(bad.sum())))
    key = ["respondent_id", "task"]
    n_chosen = chosen_raw.where(~bad, 0).groupby([df["respondent_id"], df["task"]], sort=False).transform("sum")
    for n, what in ((0, "no chosen alternative"), (2, "more than one chosen alternative")):
        m = (n_chosen == 0) if n == 0 else (n_chosen >= 2)
        if m.any():
            tasks = df.loc[m, key].drop_duplicates()
            example = ", ".join(f"respondent {r} task {t}" for r, t in tasks.head(3).itertuples(index=False))
            problems.append(Problem(name, f"{len(tasks)} task(s) have {what} (e.g. {example}).",
                                    "each respondent x task must have exactly one row with chosen = 1; fix the "
                                    "export or drop those tasks.", column="chosen", rows=_rows(m),
                                    n_rows=int(m.sum())))
    dup = df.duplicated([*key, "alternative"])
    if dup.any():
        problems.append(Problem(name, "the same respondent x task x alternative appears more than once.",
                                "remove the duplicated rows.", column="alternative", rows=_rows(dup),
                                n_rows=int(dup.sum())))
    return problems


def _attribute_problems(col: pd.Series, a: str, spec: ChoiceSpec, real: np.ndarray, name: str,
                        check_variation: bool) -> list[Problem]:
    """Problems with one attribute's column: non-numeric values, undeclared levels, no variation.

    ``real`` marks the rows that are not the "none of these" option (their cells may be empty).
    """
    problems: list[Problem] = []
    if a in spec.linear:
        vals = pd.to_numeric(col, errors="coerce")
        nan = vals.isna() & real
        if nan.any():
            problems.append(Problem(name, f"attribute {a!r} is declared numeric but has empty or non-numeric "
                                    "values.", "fill in numeric values for every alternative that is not "
                                    "the none option.", column=a, rows=_rows(nan), n_rows=int(nan.sum())))
        elif check_variation and vals[real].nunique() < 2:
            problems.append(Problem(name, f"attribute {a!r} never varies (always {vals[real].iloc[0]!r}), so "
                                    "its effect cannot be estimated (unidentifiable).",
                                    f"drop {a!r} from the attribute definitions or check the design export."))
        return problems
    declared = {level_key(x) for x in spec.levels(a)}
    keys = col.map(lambda v: level_key(v) if not isinstance(v, str) and pd.notna(v) else v)
    undeclared = real & ~keys.isin(declared)
    if undeclared.any():
        found = sorted({str(v) for v in keys[undeclared]})
        problems.append(Problem(name, f"attribute {a!r} has level(s) {found[:8]} that are not in its "
                                f"definition {sorted(declared)}.", "correct the data or add the level to "
                                "the attribute definitions (check spelling and case).", column=a,
                                rows=_rows(undeclared), n_rows=int(undeclared.sum())))
    elif check_variation:
        seen = set(keys[real])
        if len(seen) < 2:
            problems.append(Problem(name, f"attribute {a!r} never varies (always {sorted(seen)}), so its "
                                    "part-worths cannot be estimated (unidentifiable).",
                                    f"drop {a!r} from the attribute definitions or check the design export."))
        elif seen != declared:
            problems.append(Problem(name, f"level(s) {sorted(declared - seen)} of attribute {a!r} never appear "
                                    "in the data, so their part-worths cannot be estimated.",
                                    "remove those levels from the attribute definitions."))
    return problems


def _to_arrays(df: pd.DataFrame, is_none: np.ndarray, spec: ChoiceSpec) -> ChoiceData:
    """Sort checked rows by respondent, task and alternative and pack them into dense (situation, alternative) arrays."""
    key = ["respondent_id", "task"]
    order = np.lexsort((df["alternative"].to_numpy(), df["task"].to_numpy(),
                        df["respondent_id"].astype(str).to_numpy()))
    df = df.iloc[order].reset_index(drop=True)
    is_none = is_none[order]
    X_rows = spec.code(df, none=is_none)
    sit = df.groupby(key, sort=False).ngroup().to_numpy()
    pos = df.groupby(key, sort=False).cumcount().to_numpy()
    S, J = int(sit.max()) + 1, int(pos.max()) + 1
    X = np.zeros((S, J, spec.n_params))
    X[sit, pos] = X_rows
    avail = np.zeros((S, J), bool)
    avail[sit, pos] = True
    none_arr = np.zeros((S, J), bool)
    none_arr[sit, pos] = is_none
    ch = df["chosen"].astype(float).to_numpy() == 1
    chosen = np.zeros(S, int)
    chosen[sit[ch]] = pos[ch]
    first = np.flatnonzero(np.r_[True, np.diff(sit) != 0])
    rid = df["respondent_id"].astype(str).to_numpy()[first]
    ids, resp = np.unique(rid, return_inverse=True)
    # keep respondents in order of first appearance so outputs follow the file
    _, first_pos = np.unique(rid, return_index=True)
    appearance = np.argsort(np.argsort(first_pos))
    ids_ordered = ids[np.argsort(first_pos)]
    resp = appearance[resp]
    return ChoiceData(X, avail, chosen, resp, ids_ordered, df["task"].to_numpy()[first], none_arr, spec,
                      rows=df)


def tasks_per_respondent(data: ChoiceData | pd.DataFrame) -> np.ndarray:
    """Number of choice tasks each respondent answered, shape (N,)."""
    if isinstance(data, ChoiceData):
        return np.bincount(data.resp, minlength=data.n_respondents)
    return data.groupby("respondent_id", sort=False)["task"].nunique().to_numpy()


def respondent_level_reason(data: ChoiceData | pd.DataFrame, min_tasks: int = 2) -> str | None:
    """Why respondent-level models (HB, latent class) cannot be identified on these data, or None.

    A respondent's own part-worths (HB) or class membership (latent class) are
    learnt from the differences between their answers: with a single task each,
    the population model's likelihood is that of the aggregate logit whatever the
    heterogeneity, so HB returns the population mean for everyone and a
    latent-class search spends its time finding one class.

    Parameters
    ----------
    data : ChoiceData or long DataFrame
    min_tasks : int
        Fewest tasks per respondent (median) that respondent-level models need.

    Returns
    -------
    str or None
        A sentence for the page, or None when the data can identify them.
    """
    per = tasks_per_respondent(data)
    if len(per) == 0:
        return "there are no choice tasks"
    if np.median(per) < min_tasks:
        what = "one task" if per.max() <= 1 else f"a median of {np.median(per):g} task(s)"
        return (f"every respondent answered {what}" if per.max() <= 1 else f"respondents answered {what}") + (
            ", so individual part-worths and classes of respondents cannot be told apart from chance: "
            "the aggregate logit (MNL) describes these data")
    return None


def same_position_respondents(data: ChoiceData, min_tasks: int = 4) -> pd.DataFrame:
    """Respondents who chose the same position in every task (possible speeders).

    Parameters
    ----------
    data : ChoiceData
    min_tasks : int
        Only respondents with at least this many tasks are judged.

    Returns
    -------
    DataFrame
        ``respondent_id``, ``position`` (1-based), ``is_none`` and ``n_tasks``
        for each flagged respondent (empty when there are none).
    """
    df = pd.DataFrame({"resp": data.resp, "pos": data.chosen,
                       "none": data.is_none[np.arange(data.n_situations), data.chosen]})
    g = df.groupby("resp").agg(n=("pos", "size"), k=("pos", "nunique"), pos=("pos", "first"),
                               none=("none", "all"))
    flag = g[(g["k"] == 1) & (g["n"] >= min_tasks)]
    return pd.DataFrame({"respondent_id": data.respondent_ids[flag.index.to_numpy()],
                         "position": flag["pos"].to_numpy() + 1, "is_none": flag["none"].to_numpy(),
                         "n_tasks": flag["n"].to_numpy()})


def warn_same_position(data: ChoiceData, min_tasks: int = 4) -> pd.DataFrame:
    """Like :func:`same_position_respondents` but also warns when any are found."""
    flagged = same_position_respondents(data, min_tasks)
    if len(flagged):
        ids = ", ".join(flagged["respondent_id"].head(5))
        warnings.warn(
            f"{len(flagged)} respondent(s) chose the same position in every task (e.g. {ids}); they may not "
            "have read the tasks. Fix: review them (speeders, straight-liners) and consider dropping them "
            "before estimation.", ChoiceWarning, stacklevel=3)
    return flagged


def dense_from_long(X: np.ndarray, ids: np.ndarray, chosen: np.ndarray
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Dense (S, J, K) arrays from already-coded long arrays (no checks, no pandas).

    For callers that hold numeric long-format data (one row per alternative),
    e.g. to compare with estimators that take such arrays.

    Parameters
    ----------
    X : ndarray, shape (n, K)
        Coded attributes per row.
    ids : ndarray, shape (n,)
        Choice-situation id of each row (rows of a situation need not be adjacent).
    chosen : ndarray of bool or 0/1, shape (n,)
        Chosen flag per row (exactly one per situation).

    Returns
    -------
    X3 : ndarray (S, J, K), avail : ndarray of bool (S, J), chosen : ndarray of int (S,)
        Situations in order of their sorted ids.
    """
    X = np.asarray(X, float)
    order = np.argsort(ids, kind="stable")
    sid = np.asarray(ids)[order]
    new = np.r_[True, sid[1:] != sid[:-1]]
    sit = np.cumsum(new) - 1
    starts = np.flatnonzero(new)
    pos = np.arange(len(sid)) - starts[sit]
    S, J = int(sit[-1]) + 1, int(pos.max()) + 1
    X3 = np.zeros((S, J, X.shape[1]))
    X3[sit, pos] = X[order]
    avail = np.zeros((S, J), bool)
    avail[sit, pos] = True
    ch = np.zeros(S, int)
    flag = np.asarray(chosen)[order].astype(bool)
    ch[sit[flag]] = pos[flag]
    return X3, avail, ch
