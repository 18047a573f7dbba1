"""The one estimator contract (cvkit.estimator) holds for every model in clv, choice, drivers, segment."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cvkit import exceptions
from cvkit.choice import MNL, ChoiceSpec, HierarchicalBayesMNL, LatentClassMNL
from cvkit.clv import (BetaGeoBetaBinomModel, BetaGeoModel, GammaGammaModel, ModifiedBetaGeoModel, ParetoNBDModel,
                       ShiftedBetaGeometricModel, calibration_holdout_split)
from cvkit.datasets.cdnow import CDNOW_CALIBRATION_END, CDNOW_OBSERVATION_END, load_cdnow_sample
from cvkit.drivers import DriverTree, KeyDriverAnalysis
from cvkit.exceptions import CvkitError, NotFittedError
from cvkit.segment import ConsensusSegmenter, GoldenQuestions, InputBlock, LatentClassModel, NeedsPreprocessor, SegmentModel

SPEC = ChoiceSpec({"colour": ["red", "blue"], "size": ["s", "m", "l"]})

UNFITTED = [
    BetaGeoModel(), ModifiedBetaGeoModel(), ParetoNBDModel(), GammaGammaModel(), BetaGeoBetaBinomModel(),
    ShiftedBetaGeometricModel(), MNL(SPEC), HierarchicalBayesMNL(SPEC), LatentClassMNL(SPEC),
    KeyDriverAnalysis(), DriverTree(), SegmentModel(3), LatentClassModel(3), ConsensusSegmenter(3),
    NeedsPreprocessor([InputBlock("needs", ["a", "b"])]), GoldenQuestions(),
]


def test_every_error_is_a_cvkit_error_and_keeps_its_builtin_base():
    for name in exceptions.__all__:
        cls = getattr(exceptions, name)
        if isinstance(cls, type) and issubclass(cls, Exception) and not issubclass(cls, Warning):
            assert issubclass(cls, CvkitError), name
    assert issubclass(exceptions.DataError, ValueError) and issubclass(exceptions.RunError, RuntimeError)
    assert issubclass(NotFittedError, ValueError) and issubclass(NotFittedError, AttributeError)
    assert not issubclass(exceptions.FitError, exceptions.DataError)
    assert issubclass(exceptions.ConvergenceWarning, exceptions.CvkitWarning)
    assert issubclass(exceptions.ChoiceWarning, UserWarning)


def test_old_import_locations_still_work():
    from cvkit.clv import ConvergenceWarning, FitError
    from cvkit.data import DataError
    from cvkit.engagement.config import ConfigError
    from cvkit.engagement.results import ResultsError
    from cvkit.engagement.runner import RunError
    assert (DataError, FitError, ConfigError, ResultsError, RunError, ConvergenceWarning) == (
        exceptions.DataError, exceptions.FitError, exceptions.ConfigError, exceptions.ResultsError,
        exceptions.RunError, exceptions.ConvergenceWarning)


@pytest.mark.parametrize("model", UNFITTED, ids=lambda m: type(m).__name__)
def test_unfitted_estimators_answer_hasattr_and_compare_without_raising(model):
    # hasattr on a fitted-only attribute is False (NotFittedError is an AttributeError), not an exception
    for attr in ("aic_", "params_", "cov_", "labels_", "importance_", "log_likelihood_"):
        assert not hasattr(model, attr)
    assert model == model and model != type(model).__new__(type(model))
    assert type(model).__name__ in repr(model)
    # __init__ stores parameters only: nothing fitted before fit
    assert not [k for k in vars(model) if k.endswith("_") and not k.startswith("_")]


def test_using_an_unfitted_model_raises_not_fitted_naming_the_fix():
    with pytest.raises(NotFittedError, match=r"BetaGeoModel is not fitted yet; call BetaGeoModel.fit"):
        BetaGeoModel().summary()
    with pytest.raises(NotFittedError, match="MNL.fit"):
        MNL(SPEC).summary()
    with pytest.raises(NotFittedError):
        SegmentModel(3).predict(np.zeros((2, 2)))


def _choice_data(n=120, seed=0):
    rng = np.random.default_rng(seed)
    rows = []
    for r in range(n):
        for t in range(6):
            alts = [(rng.choice(["red", "blue"]), rng.choice(["s", "m", "l"])) for _ in range(3)]
            u = [(c == "red") * 0.8 + {"s": 0, "m": 0.5, "l": 1.0}[s] + rng.gumbel() for c, s in alts]
            for a, (c, s) in enumerate(alts):
                rows.append({"respondent_id": r, "task": t, "alternative": a, "colour": c, "size": s,
                             "chosen": int(a == int(np.argmax(u)))})
    return pd.DataFrame(rows)


def test_fitted_vocabulary_and_summary_intervals_at_a_level():
    df = _choice_data()
    mnl = MNL(SPEC).fit(df)
    lc = LatentClassMNL(SPEC, n_classes=2, n_starts=2, seed=1).fit(df)
    hb = HierarchicalBayesMNL(SPEC, iterations=600, chains=1, seed=1).fit(df)
    summary = calibration_holdout_split(load_cdnow_sample(), CDNOW_CALIBRATION_END, CDNOW_OBSERVATION_END,
                                        time_unit="W")
    bg = BetaGeoModel(max_iter=500).fit(summary)
    for m in (mnl, lc, hb, bg):
        for attr in ("params_", "log_likelihood_", "converged_", "n_obs_"):
            assert hasattr(m, attr), (type(m).__name__, attr)
    for m in (mnl, hb, bg):
        assert hasattr(m, "se_") and hasattr(m, "cov_")
        s90, s95 = m.summary(level=0.90), m.summary(level=0.95)
        assert isinstance(s95, pd.DataFrame) and {"estimate", "se", "lower", "upper"} <= set(s95.columns)
        assert s95.attrs["level"] == 0.95
        # a wider level gives a wider interval
        assert ((s95["upper"] - s95["lower"]) >= (s90["upper"] - s90["lower"]) - 1e-12).all()
    assert mnl.n_obs_ == 120 * 6 and bg.n_obs_ == len(summary)
