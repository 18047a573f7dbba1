"""Campaign response analysis: contacted against control groups, lift, value, uplift and test design.

The ``campaigns`` data set records who was contacted for what (source code, treatment or control
group, date, channel, cost); responses come from the transaction log within a response window or
from an optional ``responses`` file. :func:`contact_frame` builds the one table the rest reads;
:func:`lift_table` gives rates, lift with Newcombe/Wilson intervals, incremental revenue with
bootstrap intervals, margin, ROI and significance per campaign or segment; :func:`balance_table`
checks the groups were comparable before the campaign; :func:`validate_uplift` finds whom the
campaign moved (two-model uplift, cross-fitted, Qini curve); :func:`targeting_advice` turns it into
who to contact next; :func:`control_group_size` sizes the next test.
"""

from cvkit.campaigns.lift import (
    balance_table,
    bootstrap_mean_difference,
    lift_table,
    newcombe_interval,
    ratio_interval,
    two_proportion_test,
    wilson_interval,
)
from cvkit.campaigns.plot import plot_lift, plot_qini, plot_uplift_deciles
from cvkit.campaigns.power import (
    break_even_lift,
    control_group_size,
    minimum_detectable_lift,
    next_test_table,
    power_of_test,
)
from cvkit.campaigns.responses import (
    attach_responses,
    campaign_overview,
    contact_frame,
    normalise_groups,
    pre_period,
    value_tiers,
)
from cvkit.campaigns.targeting import rank_campaigns, targeting_advice
from cvkit.campaigns.uplift import (
    TwoModelUplift,
    UpliftValidation,
    out_of_fold_uplift,
    qini_coefficient,
    qini_curve,
    uplift_by_decile,
    uplift_features,
    validate_uplift,
)

__all__ = ["attach_responses", "contact_frame", "normalise_groups", "pre_period", "value_tiers", "lift_table",
           "balance_table", "wilson_interval", "newcombe_interval", "ratio_interval", "two_proportion_test",
           "bootstrap_mean_difference", "TwoModelUplift", "UpliftValidation", "out_of_fold_uplift", "qini_curve",
           "qini_coefficient", "uplift_by_decile", "uplift_features", "validate_uplift", "targeting_advice",
           "rank_campaigns", "control_group_size", "minimum_detectable_lift", "power_of_test", "plot_lift",
           "plot_qini", "plot_uplift_deciles", "break_even_lift", "next_test_table", "campaign_overview"]
