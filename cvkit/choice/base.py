"""What every choice estimator shares: the opening of ``fit``, the holdout split and the hit rate.

:class:`ChoiceEstimator` is the base of :class:`~cvkit.choice.MNL`,
:class:`~cvkit.choice.HierarchicalBayesMNL` and :class:`~cvkit.choice.LatentClassMNL`: each
stores its parameters in ``__init__``, starts ``fit`` with :meth:`ChoiceEstimator._start_fit`
(prepare the data, keep the holdout tasks out) and ends it with
:meth:`ChoiceEstimator._holdout_hit_rate`. The vocabulary is :mod:`cvkit.estimator`'s.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cvkit.choice.data import ChoiceData, prepare
from cvkit.choice.spec import ChoiceSpec
from cvkit.estimator import check_is_fitted

__all__ = ["ChoiceEstimator", "split_holdout", "hit_rate"]


def split_holdout(cd: ChoiceData, holdout) -> tuple[ChoiceData, ChoiceData | None]:
    """Split situations into estimation and holdout parts.

    ``holdout`` is ``None`` (no holdout), a boolean array over situations, or
    a collection of task labels (e.g. ``[12]`` keeps task 12 of everyone out).
    """
    if holdout is None:
        return cd, None
    h = np.asarray(holdout)
    mask = h if h.dtype == bool and h.shape == (cd.n_situations,) else np.isin(cd.task, h)
    if not mask.any():
        raise ValueError(f"holdout {holdout!r} selects no task (task labels are e.g. {sorted(set(cd.task))[:5]}). "
                         "Fix: give task labels that exist in the data.")
    if mask.all():
        raise ValueError("holdout selects every task, leaving nothing to estimate on. Fix: hold out fewer tasks.")
    return cd.subset(~mask), cd.subset(mask)


def hit_rate(P: np.ndarray, chosen: np.ndarray) -> float:
    """Share of situations whose chosen alternative has the highest probability."""
    return float(np.mean(P.argmax(axis=1) == chosen))


class ChoiceEstimator:
    """Base of the choice estimators (see the module docstring)."""

    spec: ChoiceSpec

    def _start_fit(self, data: pd.DataFrame | ChoiceData, holdout) -> tuple[ChoiceData, ChoiceData | None]:
        """Prepare the data, split off the holdout tasks; sets ``data_`` and ``holdout_``."""
        cd = data if isinstance(data, ChoiceData) else prepare(data, self.spec)
        train, test = split_holdout(cd, holdout)
        self.data_ = train
        self.holdout_ = test
        return train, test

    def _prepared(self, data: pd.DataFrame | ChoiceData) -> ChoiceData:
        """Data to predict on (levels checked against the spec, variation not required)."""
        check_is_fitted(self, "params_")
        return data if isinstance(data, ChoiceData) else prepare(data, self.spec, check_variation=False)

    def _holdout_hit_rate(self) -> float | None:
        """Holdout hit rate (``hit_rate_``) of the fitted model, None without a holdout."""
        test = self.holdout_
        return None if test is None else hit_rate(self.predict_proba(test), test.chosen)

    def predict_proba(self, data: pd.DataFrame | ChoiceData) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def __repr__(self) -> str:
        state = "fitted" if "params_" in vars(self) else "unfitted"
        return f"{type(self).__name__}({len(self.spec.params)} parameters, {state})"
