"""Who to contact next time, and which campaigns paid: decisions from the lift tables.

A group is worth contacting when the contact raises its margin by more than the contact costs.
The advice reads the interval, not only the point estimate: "contact" needs the lift's lower end
above zero and a positive expected net value; "stop" needs even the optimistic end of the
margin interval to stay below the cost; everything in between is "test again" (the data cannot
tell yet), which is where the next control group should be spent.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["targeting_advice", "rank_campaigns"]


def targeting_advice(table: pd.DataFrame, *, min_customers: int = 200) -> pd.DataFrame:
    """One decision per group of a :func:`cvkit.campaigns.lift_table` (e.g. by segment and value tier).

    Parameters
    ----------
    table : DataFrame
        A lift table (``contacted``, ``control``, ``lift_pp_low``, ``lift_pp_high``,
        ``incremental_margin`` with ``_low``/``_high``, ``cost``).
    min_customers : int, default 200
        Groups with fewer contacted or control customers get "too few customers" instead of a decision.

    Returns
    -------
    DataFrame
        The table's group columns plus ``net_per_contact`` (incremental margin minus cost per
        contacted customer, currency), ``advice`` (``contact``, ``stop``, ``test again``,
        ``too few customers``) and ``reason`` in words.
    """
    out = table.copy()
    n = out["contacted"].where(out["contacted"] > 0)
    cost_each = (out["cost"] / n).fillna(0.0)
    out["net_per_contact"] = out["incremental_margin"] / n - cost_each
    optimistic = out["incremental_margin_high"] / n - cost_each
    advice, reason = [], []
    for r, opt, c in zip(out.itertuples(), optimistic, cost_each):
        if min(r.contacted, r.control) < min_customers:
            advice.append("too few customers")
            reason.append(f"{int(r.contacted)} contacted and {int(r.control)} control customers: too few to judge")
        elif r.lift_pp_low > 0 and r.net_per_contact > 0:
            advice.append("contact")
            reason.append(f"lift {r.lift_pp:+.1f} points (interval {r.lift_pp_low:+.1f} to {r.lift_pp_high:+.1f}); "
                          f"net {r.net_per_contact:,.2f} per contact after a cost of {c:,.2f}")
        elif opt < 0 or r.lift_pp_high < 0:
            advice.append("stop")
            why = "the contact lowers response" if r.lift_pp_high < 0 else "even the optimistic margin is below the cost"
            reason.append(f"{why} (lift {r.lift_pp:+.1f} points, net {r.net_per_contact:,.2f} per contact)")
        else:
            advice.append("test again")
            reason.append(f"lift {r.lift_pp:+.1f} points, interval {r.lift_pp_low:+.1f} to {r.lift_pp_high:+.1f}: "
                          "not yet clear whether contacting pays")
    out["advice"], out["reason"] = advice, reason
    return out


def rank_campaigns(table: pd.DataFrame) -> pd.DataFrame:
    """Campaigns from best to worst by net value (incremental margin minus cost), with ``rank`` 1 = best."""
    ranked = table.sort_values(["net_value", "lift_pp"], ascending=False, na_position="last").reset_index(drop=True)
    ranked.insert(0, "rank", np.arange(1, len(ranked) + 1))
    return ranked
