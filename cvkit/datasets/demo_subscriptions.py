"""Demo subscriptions: a yearly delivery pass in two plans whose churn is Fader & Hardie's (2007) published data.

Demo Retail has sold a yearly delivery pass since 30 June 2019 in two plans: ``regular``
(EUR 49 a year) and ``high end`` (EUR 99 a year), 1,000 subscribers each. The subscribers still
active after each year are exactly the published survivor counts of the "regular" and "high end"
segments in Fader & Hardie (2007), "How to project customer retention", Journal of Interactive
Marketing 21(1), table 1 (years 1-7), for which the paper reports the sBG estimates
alpha = 0.704, beta = 1.182 (regular) and alpha = 0.668, beta = 3.806 (high end). A cancellation
takes effect on the renewal date; subscribers still active have no end date. Nothing is random:
the contractual path of notebook 04 can be checked against the paper.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["PUBLISHED", "make_subscriptions"]

START = pd.Timestamp("2019-06-30")
# plan -> (survivors at the start of years 0..7, published alpha, beta, yearly price EUR)
PUBLISHED = {
    "regular": ([1000, 631, 468, 382, 326, 289, 262, 241], 0.704, 1.182, 49.0),
    "high end": ([1000, 869, 743, 653, 593, 551, 517, 491], 0.668, 3.806, 99.0),
}


def make_subscriptions() -> pd.DataFrame:
    """The demo ``subscriptions`` data set (2,000 rows), deterministic.

    Returns
    -------
    DataFrame
        ``customer_id`` (``P0001``...), ``subscription_id``, ``start_date``, ``end_date`` (NaT while
        active), ``plan``, ``price`` (EUR per year), ``billing_period`` (``year``).
    """
    parts, k = [], 0
    for plan, (survivors, _, _, price) in PUBLISHED.items():
        s = np.asarray(survivors)
        years = np.repeat(np.arange(1, len(s)), -np.diff(s))  # cancellations at the end of year t
        ends = [START + pd.DateOffset(years=int(y)) for y in years] + [pd.NaT] * int(s[-1])
        n = len(ends)
        ids = [f"P{k + i + 1:04d}" for i in range(n)]
        k += n
        parts.append(pd.DataFrame({"customer_id": ids, "subscription_id": [f"S{i[1:]}" for i in ids],
                                   "start_date": START, "end_date": pd.to_datetime(ends), "plan": plan,
                                   "price": price, "billing_period": "year"}))
    out = pd.concat(parts, ignore_index=True)
    for col in ("customer_id", "subscription_id", "plan", "billing_period"):
        out[col] = out[col].astype("str")
    return out
