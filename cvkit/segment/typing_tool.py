"""Typing tool: assign new respondents to segments from a few "golden questions".

A segmentation is only useful if the client can find segment members again:
in a CRM, a short screener, a sales conversation. :class:`GoldenQuestions`
picks at most ``max_items`` survey items by greedy forward selection (each
step adds the item that most improves cross-validated accuracy) and fits
Fisher's linear discriminant functions on them: one score per segment,
``constant + sum(weight x answer)``, the respondent belongs to the segment
with the highest score. That rule fits in a spreadsheet, which
:meth:`GoldenQuestions.to_excel` writes, and in a few lines of Python
(:meth:`GoldenQuestions.to_python`).

The accuracy reported (``cv_accuracy_``) is honest: item selection is
repeated inside every outer cross-validation fold, so the items are never
chosen on the respondents they are tested on.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
from sklearn.model_selection import StratifiedKFold

from cvkit.estimator import ParamsMixin, check_is_fitted
from cvkit._threads import single_threaded

__all__ = ["GoldenQuestions"]


def _lda_predict(Xtr: np.ndarray, ytr: np.ndarray, Xte: np.ndarray) -> np.ndarray:
    """Fisher LDA (pooled covariance, empirical priors) in plain NumPy.

    Used inside the selection loops, which fit thousands of tiny models:
    scikit-learn's per-call validation would dominate the run time there.
    The final model is scikit-learn's LinearDiscriminantAnalysis.
    """
    classes, yi = np.unique(ytr, return_inverse=True)
    k, p = len(classes), Xtr.shape[1]
    counts = np.bincount(yi, minlength=k).astype(float)
    means = np.zeros((k, p))
    np.add.at(means, yi, Xtr)
    means /= counts[:, None]
    resid = Xtr - means[yi]
    cov = resid.T @ resid / max(len(ytr) - k, 1) + 1e-9 * np.eye(p)
    coef = np.linalg.solve(cov, means.T).T  # (k, p)
    intercept = -0.5 * np.einsum("kp,kp->k", coef, means) + np.log(counts / counts.sum())
    return classes[(Xte @ coef.T + intercept).argmax(axis=1)]


def _cv_accuracy(X: np.ndarray, y: np.ndarray, folds: list[tuple[np.ndarray, np.ndarray]]) -> float:
    correct = 0
    for tr, te in folds:
        correct += int((_lda_predict(X[tr], y[tr], X[te]) == y[te]).sum())
    return correct / len(y)


def _forward_select(X: np.ndarray, y: np.ndarray, max_items: int, folds: list, min_gain: float) -> list[dict]:
    chosen: list[int] = []
    path: list[dict] = []
    best_acc = 0.0
    for _ in range(min(max_items, X.shape[1])):
        scores = [(_cv_accuracy(X[:, [*chosen, j]], y, folds), -j) for j in range(X.shape[1]) if j not in chosen]
        acc, neg_j = max(scores)  # ties: the earlier column, deterministic
        if path and acc - best_acc < min_gain:
            break
        chosen.append(-neg_j)
        best_acc = acc
        path.append({"step": len(chosen), "item": -neg_j, "cv_accuracy": acc})
    return path


class GoldenQuestions(ParamsMixin):
    """Short segment classifier on at most ``max_items`` questions.

    Parameters
    ----------
    max_items : int
        Upper limit on the number of questions (8 by default).
    min_gain : float
        Stop adding items when the cross-validated accuracy improves by less
        than this (share, 0.005 = half a point).
    cv : int
        Cross-validation folds (stratified, shuffled with ``seed``).
    seed : int

    Attributes
    ----------
    items_ : list of str
        The chosen questions, in the order they were added.
    path_ : DataFrame
        ``step``, ``item``, ``cv_accuracy`` of the forward selection on all data.
    cv_accuracy_ : float
        Accuracy (share 0..1) of the whole procedure (selection + LDA),
        estimated by nested cross-validation.
    cv_confusion_ : DataFrame
        Out-of-fold confusion matrix (rows true segment, columns predicted).
    weights_ : DataFrame
        Rows ``constant`` + items, columns segments: the linear
        classification functions.
    segments_ : ndarray
        Segment labels.
    """

    def __init__(self, *, max_items: int = 8, min_gain: float = 0.005, cv: int = 5, seed: int = 0):
        self.max_items = max_items
        self.min_gain = min_gain
        self.cv = cv
        self.seed = seed

    def fit(self, answers: pd.DataFrame, segments: pd.Series | np.ndarray) -> "GoldenQuestions":
        """Choose the items and fit the scoring rule.

        Parameters
        ----------
        answers : DataFrame, shape (n, n_candidate_items)
            Raw answers of the candidate questions (as a new respondent would
            give them; no centring), rows aligned with ``segments``.
        segments : Series or ndarray, shape (n,)
            Segment of each respondent.

        Returns
        -------
        self
        """
        if self.max_items < 1:
            raise ValueError(f"max_items={self.max_items} must be at least 1")
        y = np.asarray(segments)
        num = answers.apply(pd.to_numeric, errors="coerce")
        usable = [c for c in num.columns if num[c].nunique(dropna=True) > 1]
        if not usable:
            raise ValueError("no candidate question varies between respondents; fix: pass the survey items")
        # Rows with missing answers cannot be typed; fill with the item mean so they are kept.
        num = num[usable].fillna(num[usable].mean())
        X = num.to_numpy(dtype=float)
        counts = pd.Series(y).value_counts()
        n_splits = int(min(self.cv, counts.min()))
        if n_splits < 2:
            raise ValueError(f"segment {counts.idxmin()!r} has {counts.min()} respondent(s); the typing tool "
                             "needs at least 2 per segment for cross-validation")
        with single_threaded():
            return self._fit(num, usable, X, y, n_splits)

    def _fit(self, num: pd.DataFrame, usable: list[str], X: np.ndarray, y: np.ndarray,
             n_splits: int) -> "GoldenQuestions":
        outer = list(StratifiedKFold(n_splits, shuffle=True, random_state=self.seed).split(X, y))
        pred = np.empty_like(y)
        for i, (tr, te) in enumerate(outer):
            inner = list(StratifiedKFold(n_splits, shuffle=True, random_state=self.seed + i + 1).split(X[tr], y[tr]))
            cols = [p["item"] for p in _forward_select(X[tr], y[tr], self.max_items, inner, self.min_gain)]
            pred[te] = _lda_predict(X[tr][:, cols], y[tr], X[te][:, cols])
        self.cv_accuracy_ = float((pred == y).mean())
        self.cv_confusion_ = pd.crosstab(pd.Series(y, name="true segment"), pd.Series(pred, name="predicted"))
        path = _forward_select(X, y, self.max_items, outer, self.min_gain)
        self.items_ = [usable[p["item"]] for p in path]
        self.path_ = pd.DataFrame([{**p, "item": usable[p["item"]]} for p in path])
        self.lda_ = LinearDiscriminantAnalysis().fit(num[self.items_].to_numpy(dtype=float), y)
        self.segments_ = self.lda_.classes_
        self._fill = num[self.items_].mean()
        coef = self.lda_.coef_
        intercept = self.lda_.intercept_
        if len(self.segments_) == 2:
            # sklearn keeps one function for 2 classes (class 2 vs 1); give each class its own column.
            coef = np.vstack([np.zeros_like(coef[0]), coef[0]])
            intercept = np.r_[0.0, intercept[0]]
        self.weights_ = pd.DataFrame(np.vstack([intercept, coef.T]), index=["constant", *self.items_],
                                     columns=[str(s) for s in self.segments_])
        return self

    def decision_function(self, answers: pd.DataFrame) -> pd.DataFrame:
        """Score of every segment, shape (m, k): ``constant + answers @ weights``."""
        check_is_fitted(self, "items_")
        missing = [c for c in self.items_ if c not in answers.columns]
        if missing:
            raise ValueError(f"answers lack the golden questions {missing}; fix: ask them or pass the columns")
        A = answers[self.items_].apply(pd.to_numeric, errors="coerce").fillna(self._fill).to_numpy(dtype=float)
        W = self.weights_.to_numpy()
        return pd.DataFrame(W[0] + A @ W[1:], index=answers.index, columns=self.weights_.columns)

    def predict(self, answers: pd.DataFrame) -> np.ndarray:
        """Segment of each row (the highest score), shape (m,)."""
        scores = self.decision_function(answers).to_numpy()
        return self.segments_[scores.argmax(axis=1)]

    def to_python(self, name: str = "assign_segment") -> str:
        """Source code of a dependency-free function ``name(answers: dict) -> segment``.

        The weights are embedded, so the code can be pasted into a CRM
        script or web form back end.
        """
        w = {c: {i: round(float(v), 10) for i, v in self.weights_[c].items()} for c in self.weights_.columns}
        fill = {i: round(float(v), 10) for i, v in self._fill.items()}
        return (
            f'def {name}(answers):\n'
            f'    """Segment of one respondent from the golden questions (cvkit typing tool).\n\n'
            f'    answers: dict item -> answer on the survey scale; missing items count as the sample mean.\n'
            f'    Returns the segment label with the highest score (constant + sum of weight x answer).\n'
            f'    """\n'
            f'    weights = {w!r}\n'
            f'    fill = {fill!r}\n'
            f'    scores = {{}}\n'
            f'    for segment, wt in weights.items():\n'
            f'        s = wt["constant"]\n'
            f'        for item, fallback in fill.items():\n'
            f'            value = answers.get(item)\n'
            f'            s += wt[item] * (fallback if value is None else float(value))\n'
            f'        scores[segment] = s\n'
            f'    return max(scores, key=scores.get)\n'
        )

    def to_excel(self, path: str | Path, *, item_labels: Mapping[str, str] | None = None,
                 segment_names: Mapping[str, str] | None = None, scale: str = "0-10") -> Path:
        """Write the scoring sheet: instructions, items, weights and a live calculator.

        Parameters
        ----------
        path : str or Path
            ``.xlsx`` file to write (folders are created).
        item_labels : mapping, optional
            Item -> question wording shown to the interviewer.
        segment_names : mapping, optional
            Segment label (str) -> name.
        scale : str
            Answer scale, shown in the instructions.

        Returns
        -------
        Path
        """
        from openpyxl import Workbook

        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        labels = dict(item_labels or {})
        names = {str(k): v for k, v in (segment_names or {}).items()}
        segs = list(self.weights_.columns)
        wb = Workbook()
        self._instructions_sheet(wb.active, scale)
        self._items_sheet(wb.create_sheet("Items"), labels)
        self._weights_sheet(wb.create_sheet("Weights"), names, segs)
        self._calculator_sheet(wb.create_sheet("Calculator"), segs)
        wb.save(path)
        return path

    def _instructions_sheet(self, ws, scale: str) -> None:
        """How to score, with the honest (cross-validated) accuracy."""
        from openpyxl.styles import Font

        ws.title = "How to score"
        lines = [
            "Segment typing tool (golden questions)",
            "",
            f"1. Ask the {len(self.items_)} questions on the 'Items' sheet, answers on the {scale} scale.",
            "2. For every segment, score = constant + sum over the questions of (weight x answer),",
            "   with the weights of the 'Weights' sheet.",
            "3. The respondent belongs to the segment with the highest score.",
            "The 'Calculator' sheet does this: type the answers in column B.",
            "",
            f"Cross-validated accuracy: {self.cv_accuracy_:.1%} of respondents assigned to their segment "
            "(items re-selected within each fold, so this is an honest estimate).",
        ]
        for i, line in enumerate(lines, start=1):
            ws.cell(row=i, column=1, value=line)
        ws["A1"].font = Font(bold=True, size=14)
        ws.column_dimensions["A"].width = 110

    def _items_sheet(self, wi, labels: Mapping[str, str]) -> None:
        """The questions in order, with their wording."""
        wi.append(["order", "item", "question"])
        for i, item in enumerate(self.items_, start=1):
            wi.append([i, item, labels.get(item, item)])
        wi.column_dimensions["B"].width = 28
        wi.column_dimensions["C"].width = 80

    def _weights_sheet(self, ww, names: Mapping[str, str], segs: list) -> None:
        """Constant and weight of every item per segment (the classification functions)."""
        ww.append(["term", *[f"{s} {names[s]}".strip() if s in names else s for s in segs]])
        for term, row in self.weights_.iterrows():
            ww.append([term, *[float(v) for v in row]])
        ww.column_dimensions["A"].width = 28

    def _calculator_sheet(self, wc, segs: list) -> None:
        """Live formulas: type the answers in column B, read the segment."""
        from openpyxl.styles import Font

        wc.append(["item", "answer", *[f"score {s}" for s in segs]])
        n_items = len(self.items_)
        for i, item in enumerate(self.items_):
            r = i + 2
            wc.cell(row=r, column=1, value=item)
            wc.cell(row=r, column=2, value=float(round(self._fill[item], 1)))
            for j, _s in enumerate(segs):
                col = chr(ord("B") + j)  # weights sheet column of segment j
                wc.cell(row=r, column=3 + j, value=f"=Weights!{col}{r + 1}*B{r}")
        tot = n_items + 2
        wc.cell(row=tot, column=1, value="score (constant + sum)")
        for j, _s in enumerate(segs):
            col = chr(ord("C") + j)
            wcol = chr(ord("B") + j)
            wc.cell(row=tot, column=3 + j, value=f"=Weights!{wcol}2+SUM({col}2:{col}{tot - 1})")
        first, last = "C", chr(ord("C") + len(segs) - 1)
        wc.cell(row=tot + 1, column=1, value="segment")
        labels_row = tot + 2
        for j, s in enumerate(segs):
            wc.cell(row=labels_row, column=3 + j, value=s)
        wc.cell(row=tot + 1, column=2,
                value=f"=INDEX({first}{labels_row}:{last}{labels_row},MATCH(MAX({first}{tot}:{last}{tot}),"
                      f"{first}{tot}:{last}{tot},0))")
        wc.cell(row=tot + 1, column=1).font = Font(bold=True)
        wc.column_dimensions["A"].width = 28

    def summary(self) -> pd.DataFrame:
        """Items with their order and the cross-validated accuracy path."""
        check_is_fitted(self, "items_")
        return self.path_.copy()


def candidate_items(columns: Sequence[str], prefix: str = "imp_") -> list[str]:
    """Survey items that can serve as golden questions (default: the needs battery)."""
    return [c for c in columns if c.startswith(prefix)]
