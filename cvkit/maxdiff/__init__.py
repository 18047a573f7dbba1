"""MaxDiff (best-worst scaling): design, counts, best-worst logit, HB scores, TURF.

Why a subpackage of its own: MaxDiff is a methodology step with its own design,
estimation and reporting, used both by the value drivers (ranking the elements
of value without rating scale-use bias, notebook 01) and by needs-based
segmentation (respondent scores as needs). Inside ``cvkit.drivers`` it would make
segmentation depend on the drivers package; as a sibling it depends only on
:mod:`cvkit.choice` (whose logit and HB estimators it reuses on the expanded
best/worst choices).

Typical use::

    from cvkit.maxdiff import maxdiff_design, maxdiff_counts, MaxDiffHB, turf
    design = maxdiff_design(items, items_per_task=4, n_versions=10)
    hb = MaxDiffHB(items).fit(answers)        # answers: respondent_id, task, item, best, worst
    hb.scores()                               # probability scores summing to 100, with intervals
    turf(hb.scores_ > 100 / len(items))       # best portfolios by reach
"""

from cvkit.maxdiff.analysis import (MaxDiffHB, MaxDiffLogit, check_maxdiff, expand_best_worst, maxdiff_counts,
                                    probability_scores, score_table, turf)
from cvkit.maxdiff.design import design_balance, maxdiff_design
from cvkit.maxdiff.report import fit_maxdiff, needs_from_scores, plot_scores

__all__ = ["maxdiff_design", "design_balance", "maxdiff_counts", "expand_best_worst", "check_maxdiff",
           "MaxDiffLogit", "MaxDiffHB", "probability_scores", "score_table", "turf", "fit_maxdiff", "plot_scores",
           "needs_from_scores"]
