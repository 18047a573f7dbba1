"""Discrete choice (choice-based conjoint): design, MNL / HB / latent-class estimation, results, simulator.

Typical use::

    from cvkit.choice import ChoiceSpec, HierarchicalBayesMNL, Simulator
    spec = ChoiceSpec({"delivery": ["standard", "next_day", "same_day"], "fee": [29, 49, 69, 89]},
                      price="fee", none=True)
    hb = HierarchicalBayesMNL(spec, iterations=20000, chains=2, seed=2026).fit(choice_df)
    u = hb.utilities()                      # respondent part-worths (level basis)
    u.importances().mean(), u.wtp()         # importances, willingness to pay
    Simulator(u).shares([{...}, {...}])     # market simulator

For segmentation: :func:`respondent_partworths` returns zero-centred diffs per respondent in one call.
"""

from cvkit.choice.data import ChoiceData, ChoiceWarning, prepare, same_position_respondents
from cvkit.choice.diagnostics import ess_bulk, ess_tail, rhat
from cvkit.choice.hb import HierarchicalBayesMNL
from cvkit.choice.latent_class import LatentClassMNL, select_classes
from cvkit.choice.mnl import MNL, fit_mnl_arrays, hit_rate, mnl_loglik
from cvkit.choice.results import (Utilities, importance_summary, importances, partworth_table, price_slope,
                                  respondent_partworths, wtp, zero_centered_diffs)
from cvkit.choice.simulator import Simulator
from cvkit.choice.spec import ChoiceSpec

__all__ = ["ChoiceData", "ChoiceSpec", "ChoiceWarning", "HierarchicalBayesMNL", "LatentClassMNL", "MNL", "Simulator", "Utilities",
           "ess_bulk", "ess_tail", "fit_mnl_arrays", "hit_rate", "importance_summary", "importances",
           "mnl_loglik", "partworth_table", "prepare", "price_slope", "respondent_partworths", "rhat",
           "same_position_respondents", "select_classes", "wtp", "zero_centered_diffs"]
