"""Discrete choice (choice-based conjoint): design, MNL / mixed logit / HB / latent-class estimation, results, simulator.

Typical use::

    from cvkit.choice import ChoiceSpec, HierarchicalBayesMNL, Simulator
    spec = ChoiceSpec({"delivery": ["standard", "next_day", "same_day"], "fee": [29, 49, 69, 89]},
                      price="fee", none=True)
    hb = HierarchicalBayesMNL(spec, iterations=20000, chains=2, seed=2026).fit(choice_df)
    u = hb.utilities()                      # respondent part-worths (level basis)
    u.importances().mean(), u.wtp()         # importances, willingness to pay
    Simulator(u).shares([{...}, {...}])     # market simulator

For segmentation: :func:`respondent_partworths` returns zero-centred diffs per respondent in one call.
A run's simulator is saved with :func:`save_simulator` and served again (``cvkit simulator``) from
:func:`load_simulator`, without re-estimating.
"""

from cvkit.choice.data import (ChoiceData, dense_from_long, prepare, respondent_level_reason,
                               same_position_respondents, tasks_per_respondent)
from cvkit.choice.diagnostics import ess_bulk, ess_tail, rhat
from cvkit.choice.hb import HierarchicalBayesMNL
from cvkit.choice.latent_class import LatentClassMNL, select_classes
from cvkit.choice.mixed import MixedLogit
from cvkit.choice.mnl import MNL, fit_mnl_arrays, hit_rate, mnl_loglik
from cvkit.choice.wtp_simulation import cluster_robust_cov, krinsky_robb, mnl_wtp_simulation
from cvkit.choice.base import ChoiceEstimator
from cvkit.choice.partworths import respondent_partworths
from cvkit.choice.utilities import (Utilities, importance_summary, importances, partworth_table, price_slope, wtp,
                                    zero_centered_diffs)
from cvkit.choice.compare import compare_models
from cvkit.choice.design import Design, choices_from_responses, design_diagnostics, generate_design
from cvkit.choice.plots import (plot_importances, plot_partworth_distributions, plot_partworths, plot_price_curve,
                               plot_shares, plot_trace, plot_wtp)
from cvkit.choice.saved import SavedSimulator, load_simulator, save_simulator
from cvkit.choice.simulator import Simulator
from cvkit.choice.widget import scenario_table, simulator_widget
from cvkit.choice.spec import ChoiceSpec
from cvkit.exceptions import ChoiceWarning

__all__ = ["cluster_robust_cov", "krinsky_robb", "mnl_wtp_simulation", "ChoiceData", "ChoiceEstimator", "ChoiceSpec", "ChoiceWarning", "choices_from_responses", "compare_models",
           "Design", "dense_from_long", "design_diagnostics", "generate_design", "ess_bulk",
           "ess_tail", "fit_mnl_arrays", "HierarchicalBayesMNL", "hit_rate", "importance_summary",
           "importances", "LatentClassMNL", "MixedLogit", "MNL", "mnl_loglik", "partworth_table", "plot_importances",
           "plot_partworth_distributions", "plot_partworths", "plot_price_curve", "plot_shares", "plot_trace",
           "plot_wtp", "prepare", "price_slope", "respondent_level_reason", "respondent_partworths", "rhat", "same_position_respondents",
           "SavedSimulator", "save_simulator", "load_simulator",
           "scenario_table", "select_classes", "Simulator", "simulator_widget", "tasks_per_respondent", "Utilities", "wtp",
           "zero_centered_diffs"]
