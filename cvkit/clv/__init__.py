"""Customer lifetime value: RFM summaries at any scale and the probability models built on them."""

from cvkit.clv.summary import (
    TIME_UNIT_DAYS,
    calibration_holdout_split,
    cohort_table,
    summarize,
    summary_expression,
)

__all__ = [
    "TIME_UNIT_DAYS",
    "calibration_holdout_split",
    "cohort_table",
    "summarize",
    "summary_expression",
]
