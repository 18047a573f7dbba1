"""Campaigns simulated on top of the real CDNOW master log, for the campaign response zoo engagement.

The purchases are CDNOW's own (Fader & Hardie's master log; provenance in
cvkit/datasets/data/CDNOW.md). On top of them:

* ``A/A-1997-07`` (direct mail): customers are split at random (by a hash of the ID) into
  ``mailed`` and ``holdout`` on 1997-07-01, and nothing is added: the true lift is zero, so the
  analysis must find a lift whose interval covers 0. Responses are real purchases in the window.
* ``SPRING-1998`` (email): a second random split on 1998-03-02; for 10% of the mailed customers
  (drawn with a fixed seed) one purchase is added inside the 30-day window, with an amount drawn
  from their own earlier purchases. The planted lift is therefore 10 points, plus the real
  (equal) purchase rate in both groups.

Responses come from the transaction log (no responses file), with the client's group labels
(``mailed``/``holdout``) and a customers file with a channel derived from the ID (``Web``,
``Phone``, ``Catalogue``), so the analysis can be broken down by it.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["cdnow_campaigns", "PLANTED_LIFT"]

PLANTED_LIFT = 0.10
CAMPAIGNS = {"A/A-1997-07": ("1997-07-01", "direct mail", 0.60, 0.0),
             "SPRING-1998": ("1998-03-02", "email", 0.05, PLANTED_LIFT)}


def _bucket(ids: pd.Series, salt: str) -> np.ndarray:
    return ids.map(lambda s: int(hashlib.sha256(f"{salt}:{s}".encode()).hexdigest()[:8], 16) % 10_000).to_numpy()


def cdnow_campaigns(data: Path, *, customers: int = 4000, offset: int = 10_000, seed: int = 16) -> dict:
    """Write ``orders.csv``, ``customers.csv`` and ``campaigns.csv``; return the planted truths.

    Returns
    -------
    dict
        Campaign id -> ``{"lift": planted lift (share), "added": purchases added}``.
    """
    from cvkit.datasets.cdnow import load_cdnow_master

    rng = np.random.default_rng(seed)
    log = load_cdnow_master()
    ids = sorted(log["customer_id"].unique())[offset:offset + customers]
    part = log.loc[log["customer_id"].isin(ids), ["customer_id", "date", "amount"]].copy()
    first = part.groupby("customer_id")["date"].min()
    frame = pd.DataFrame({"customer_id": first.index, "acquisition_date": first.to_numpy()})
    frame["channel"] = np.array(["Web", "Phone", "Catalogue"])[_bucket(frame["customer_id"], "channel") % 3]
    rows, added, truth = [], [], {}
    for cid, (date, channel, cost, lift) in CAMPAIGNS.items():
        date = pd.Timestamp(date)
        eligible = frame.loc[frame["acquisition_date"] < date, "customer_id"]
        mailed = _bucket(eligible, cid) < 7_000
        rows.append(pd.DataFrame({"customer_id": eligible.to_numpy(), "campaign_id": cid, "source_code": cid,
                                  "group": np.where(mailed, "mailed", "holdout"), "contact_date": date,
                                  "channel": channel, "contact_cost": np.where(mailed, cost, 0.0)}))
        if lift:
            lucky = eligible.to_numpy()[mailed][rng.random(int(mailed.sum())) < lift]
            spend = part.groupby("customer_id")["amount"].median()
            added.append(pd.DataFrame({"customer_id": lucky,
                                       "date": date + pd.to_timedelta(rng.integers(0, 30, len(lucky)), unit="D"),
                                       "amount": spend.reindex(lucky).fillna(15.0).to_numpy().round(2)}))
        truth[cid] = {"lift": lift, "added": int(len(added[-1])) if lift else 0}
    orders = pd.concat([part, *added], ignore_index=True).sort_values(["date", "customer_id"], kind="stable")
    orders.to_csv(data / "orders.csv", index=False, date_format="%Y-%m-%d")
    frame.to_csv(data / "customers.csv", index=False, date_format="%Y-%m-%d")
    pd.concat(rows, ignore_index=True).to_csv(data / "campaigns.csv", index=False, date_format="%Y-%m-%d")
    return truth
