"""Customer lifetime value: RFM summaries at any scale and the probability models built on them.

Summaries (:func:`summarize`, one Ibis expression run on DuckDB or Spark) feed
the purchase models (:class:`BetaGeoModel`, :class:`ModifiedBetaGeoModel`,
:class:`ParetoNBDModel`), the spend model (:class:`GammaGammaModel`), the
discrete-time :class:`BetaGeoBetaBinomModel` and the contractual
:class:`ShiftedBetaGeometricModel`.
"""

from cvkit.clv._base import ConvergenceWarning, FitError, compress_rows
from cvkit.clv.models import (
    BetaGeoBetaBinomModel,
    BetaGeoModel,
    GammaGammaModel,
    ModifiedBetaGeoModel,
    ParetoNBDModel,
    PurchaseModel,
    ShiftedBetaGeometricModel,
)
from cvkit.clv.summary import (
    TIME_UNIT_DAYS,
    calibration_holdout_split,
    cohort_table,
    summarize,
    summary_expression,
)

__all__ = [
    "TIME_UNIT_DAYS",
    "BetaGeoBetaBinomModel",
    "BetaGeoModel",
    "ConvergenceWarning",
    "FitError",
    "GammaGammaModel",
    "ModifiedBetaGeoModel",
    "ParetoNBDModel",
    "PurchaseModel",
    "ShiftedBetaGeometricModel",
    "calibration_holdout_split",
    "cohort_table",
    "compress_rows",
    "summarize",
    "summary_expression",
]
