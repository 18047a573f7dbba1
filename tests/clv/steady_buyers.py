"""A log of steady buyers whom nobody sees stop: the purchase models have no dropout to estimate.

BG/NBD fitted to it runs to the edge (r and alpha very large, a to zero): the case of a degenerate
fit for the tests of what the value table and the red flags do with one.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

import cvkit.clv as clv


def steady_buyers_fit(n: int, mean_purchases: float, days: int):
    """(log, weekly summary to 2025-12-31, fitted BG/NBD) for ``n`` Poisson buyers over ``days`` days."""
    rng = np.random.default_rng(1)
    counts = rng.poisson(mean_purchases, n)
    day = rng.uniform(0, days, counts.sum()).astype(int)
    tx = pd.DataFrame({"customer_id": np.repeat([f"C{i:04d}" for i in range(n)], counts),
                       "date": pd.Timestamp("2024-01-01") + pd.to_timedelta(day, unit="D"), "amount": 10.0})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        summary = clv.summarize(tx, time_unit="W", observation_end="2025-12-31")
        model = clv.BetaGeoModel().fit(summary)
    return tx, summary, model
