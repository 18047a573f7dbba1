"""Customer lifetime value: RFM summaries at any scale and the probability models built on them.

Summaries (:func:`summarize`, one Ibis expression run on DuckDB or Spark) feed
the purchase models (:class:`BetaGeoModel`, :class:`ModifiedBetaGeoModel`,
:class:`ParetoNBDModel`), the spend model (:class:`GammaGammaModel`), the
discrete-time :class:`BetaGeoBetaBinomModel` and the contractual
:class:`ShiftedBetaGeometricModel`.
"""

from cvkit.clv.models import (
    LikelihoodModel,
    compress_rows,
    BetaGeoBetaBinomModel,
    BetaGeoModel,
    GammaGammaModel,
    ModifiedBetaGeoModel,
    ParetoNBDModel,
    PurchaseModel,
    ShiftedBetaGeometricModel,
)
from cvkit.clv.plot import (
    plot_monthly_transactions,
    plot_rfm_distribution,
    plot_clv_by_horizon,
    plot_conditional_expectations,
    plot_frequency_recency_matrix,
    plot_period_transactions,
    plot_tracking,
    plot_value_concentration,
)
from cvkit.clv.retention import YearlyRetention, yearly_retention
from cvkit.clv.scenarios import clv_scenarios, clv_total
from cvkit.clv.segments import value_by_segment
from cvkit.clv.validation import (
    MODELS,
    parameter_table,
    compare_models,
    conditional_expectations,
    describe_model,
    period_transactions,
    tracking,
)
from cvkit.clv.diagnostics import choose_model
from cvkit.clv.value import (
    decile_table,
    VALUE_TIERS,
    attach_segment,
    clv_interval,
    simulate_future_value,
    customer_value_table,
    expected_spend,
    interim_horizons,
    lorenz_curve,
    value_concentration,
)
from cvkit.clv.spark import spark_backend
from cvkit.clv.engine import engine_backend, log_glance
from cvkit.exceptions import ConvergenceWarning, FitError
from cvkit.clv.summary import (
    TIME_UNIT_DAYS,
    time_unit_words,
    calibration_holdout_split,
    cohort_table,
    summarize,
    summary_expression,
)

from cvkit.clv.contractual import (
    SubscriptionAnalysis,
    analyse_participation,
    analyse_subscriptions,
    participation_summary,
    plot_survival_fit,
    subscription_lifetimes,
    survivor_table,
)

__all__ = [
    "SubscriptionAnalysis",
    "analyse_participation",
    "analyse_subscriptions",
    "participation_summary",
    "plot_survival_fit",
    "subscription_lifetimes",
    "survivor_table",
    "YearlyRetention", "yearly_retention", "clv_scenarios", "clv_total", "value_by_segment", "parameter_table",
    "decile_table", "plot_monthly_transactions", "plot_rfm_distribution",
    "TIME_UNIT_DAYS",
    "time_unit_words",
    "VALUE_TIERS",
    "MODELS",
    "compare_models",
    "choose_model",
    "describe_model",
    "clv_interval",
    "simulate_future_value",
    "attach_segment",
    "conditional_expectations",
    "customer_value_table",
    "interim_horizons",
    "expected_spend",
    "lorenz_curve",
    "period_transactions",
    "plot_clv_by_horizon",
    "plot_conditional_expectations",
    "plot_frequency_recency_matrix",
    "plot_period_transactions",
    "plot_tracking",
    "plot_value_concentration",
    "tracking",
    "value_concentration",
    "BetaGeoBetaBinomModel",
    "BetaGeoModel",
    "ConvergenceWarning",
    "FitError",
    "GammaGammaModel",
    "LikelihoodModel",
    "ModifiedBetaGeoModel",
    "ParetoNBDModel",
    "PurchaseModel",
    "ShiftedBetaGeometricModel",
    "calibration_holdout_split",
    "cohort_table",
    "compress_rows",
    "spark_backend",
    "engine_backend",
    "log_glance",
    "summarize",
    "summary_expression",
]
