"""Value drivers: elements of value, key driver analysis, importance-performance and value maps.

Typical use (see ``notebooks/01_value_drivers.ipynb``)::

    from cvkit import drivers
    scores = drivers.element_scores(survey)                     # per brand x element
    kda = drivers.KeyDriverAnalysis(seed=2026).fit(survey, "nps", elements, cluster="respondent_id")
    ipa = drivers.importance_performance(kda, scores, "Demo Retail", "ValueMart")
    drivers.action_table(ipa)                                   # fix / defend / stop over-investing

The NPS, CSAT and value formulas are in :mod:`cvkit.metrics`.
"""

from cvkit.drivers.elements import (LEVEL_NAMES, LEVELS, element_labels, element_scores, high_score_counts,
                                    high_scores_vs_nps, plot_high_scores_vs_nps, plot_pyramid)
from cvkit.drivers.importance import (bootstrap_counts, check_correlation, relative_weights, shapley_exact,
                                      shapley_from_subsets, shapley_sampled, standardized_betas, subset_r2,
                                      weighted_corr)
from cvkit.drivers.kda import DriverTree, KeyDriverAnalysis, check_ratings
from cvkit.drivers.maps import (QUADRANTS, action_table, gap_table, importance_performance, plot_eve, plot_gaps,
                                plot_importance_performance, plot_nps, plot_value_map, survey_base, value_map)
from cvkit.drivers.questionnaire import SURVEY_TEMPLATE_PATH, survey_template, write_survey_template

__all__ = [
    # elements of value
    "LEVELS", "LEVEL_NAMES", "element_labels", "element_scores", "high_score_counts", "high_scores_vs_nps",
    "plot_pyramid", "plot_high_scores_vs_nps",
    # key driver analysis
    "KeyDriverAnalysis", "DriverTree", "check_ratings",
    "weighted_corr", "subset_r2", "shapley_from_subsets", "shapley_exact", "shapley_sampled",
    "relative_weights", "standardized_betas", "check_correlation", "bootstrap_counts",
    # maps and actions
    "QUADRANTS", "importance_performance", "plot_importance_performance", "gap_table", "plot_gaps",
    "value_map", "plot_value_map", "plot_eve", "action_table", "survey_base", "plot_nps",
    # questionnaire
    "survey_template", "write_survey_template", "SURVEY_TEMPLATE_PATH",
]
