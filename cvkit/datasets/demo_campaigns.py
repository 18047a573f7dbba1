"""Demo campaigns: a contact history with control groups and planted lifts, for Demo Retail.

Four campaigns went to customers acquired before their contact date; each eligible customer is
drawn into a campaign with probability 0.9, and 35% of those drawn are held out as the control
group at random. A customer's chance of responding (a purchase attributed to the campaign in the
30 days after the contact) is a baseline that depends on their value tier before the contact
(their spend in the preceding 365 days, from the demo transaction log), plus, when contacted, a
planted lift that depends on the campaign, the customer's acquisition ``channel`` and the tier:

``P(respond) = base[tier] + contacted * lift[campaign][channel] * tier_factor[tier]``.

Response amounts are Gamma distributed around a tier-dependent mean. The data sets are
``campaigns`` (one row per customer x campaign) and ``responses`` (one row per response).

The generator draws from its own stream, ``numpy.random.default_rng([seed, 16])``, so the other
demo data sets are byte-identical with or without it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = ["CAMPAIGNS", "BASE_RATE", "TIER_FACTOR", "MEAN_REVENUE", "make_campaigns"]

# campaign id -> source code, contact date, channel, cost per contact (EUR), lift by acquisition channel
CAMPAIGNS: dict[str, dict[str, Any]] = {
    "C01": {"source_code": "EM-SPRING-25", "contact_date": "2025-04-01", "channel": "email", "cost": 0.10,
            "lift": {"online": 0.10, "marketplace": 0.07, "store": 0.01, "referral": 0.03}},
    "C02": {"source_code": "DM-SUMMER-25", "contact_date": "2025-07-01", "channel": "direct mail", "cost": 1.20,
            "lift": {"online": 0.01, "marketplace": 0.01, "store": 0.15, "referral": 0.10}},
    "C03": {"source_code": "SMS-AUTUMN-25", "contact_date": "2025-10-01", "channel": "sms", "cost": 0.05,
            "lift": {"online": 0.04, "marketplace": 0.04, "store": 0.04, "referral": 0.04}},
    "C04": {"source_code": "DM-WINBACK-26", "contact_date": "2026-01-15", "channel": "direct mail", "cost": 1.50,
            "lift": {"online": 0.0, "marketplace": 0.0, "store": 0.0, "referral": 0.0}},
}
# Response probability without contact, by value tier before the contact (cvkit.campaigns.value_tiers).
BASE_RATE = {"top 20%": 0.22, "next 30%": 0.14, "bottom 50%": 0.08, "no purchase before": 0.03}
# The lift is scaled by tier: top customers buy anyway, lapsed ones are harder to move.
TIER_FACTOR = {"top 20%": 0.5, "next 30%": 1.0, "bottom 50%": 1.3, "no purchase before": 0.8}
MEAN_REVENUE = {"top 20%": 70.0, "next 30%": 50.0, "bottom 50%": 40.0, "no purchase before": 35.0}  # EUR
REVENUE_SHAPE = 2.0
SELECT_PROB = 0.9
CONTROL_SHARE = 0.35
WINDOW_DAYS = 30


def make_campaigns(customers: pd.DataFrame, transactions: pd.DataFrame,
                   seed: int) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """The demo ``campaigns`` and ``responses`` data sets and their planted truths.

    Parameters
    ----------
    customers, transactions : DataFrame
        The demo customers (``customer_id``, ``acquisition_date``, ``channel``) and purchase log.
    seed : int
        The demo seed; the stream is ``default_rng([seed, 16])``.

    Returns
    -------
    campaigns : DataFrame
        ``customer_id``, ``campaign_id``, ``source_code``, ``group``, ``contact_date``, ``channel``,
        ``contact_cost`` (EUR; 0 for the control group).
    responses : DataFrame
        ``customer_id``, ``campaign_id``, ``date``, ``amount`` (EUR).
    truth : dict
        Per campaign: the planted ``lift`` by channel, ``tier_factor``, ``base_rate``, and the
        realised ``true_lift_pp`` (mean planted lift over the contacted customers, points), by
        channel (``true_lift_pp_by_channel``) and by tier (``true_lift_pp_by_tier``).
    """
    from cvkit.campaigns.responses import pre_period, value_tiers

    rng = np.random.default_rng([int(seed), 16])
    rows, resp, truth = [], [], {}
    channel_of = customers.set_index("customer_id")["channel"].astype("str")
    for cid, spec in CAMPAIGNS.items():
        date = pd.Timestamp(spec["contact_date"])
        eligible = customers.loc[customers["acquisition_date"] < date, "customer_id"].to_numpy()
        picked = eligible[rng.random(len(eligible)) < SELECT_PROB]
        treated = rng.random(len(picked)) >= CONTROL_SHARE
        frame = pd.DataFrame({"customer_id": picked, "contact_date": date})
        tier = pd.Series(value_tiers(pre_period(frame, transactions)["pre_spend"]), dtype="str").to_numpy()
        channel = channel_of.loc[picked].to_numpy()
        lift = np.array([spec["lift"][c] for c in channel]) * np.array([TIER_FACTOR[t] for t in tier])
        p = np.array([BASE_RATE[t] for t in tier]) + treated * lift
        responded = rng.random(len(picked)) < p
        mean = np.array([MEAN_REVENUE[t] for t in tier])
        amount = np.round(rng.gamma(REVENUE_SHAPE, mean / REVENUE_SHAPE), 2)
        day = rng.integers(0, WINDOW_DAYS, len(picked))
        rows.append(pd.DataFrame({
            "customer_id": picked, "campaign_id": cid, "source_code": spec["source_code"],
            "group": np.where(treated, "treatment", "control"), "contact_date": date, "channel": spec["channel"],
            "contact_cost": np.where(treated, spec["cost"], 0.0)}))
        resp.append(pd.DataFrame({"customer_id": picked[responded], "campaign_id": cid,
                                  "date": date + pd.to_timedelta(day[responded], unit="D"),
                                  "amount": amount[responded]}))
        t = pd.DataFrame({"lift": lift, "channel": channel, "tier": tier})[treated]
        truth[cid] = {
            "source_code": spec["source_code"], "cost_per_contact": spec["cost"], "lift": dict(spec["lift"]),
            "true_lift_pp": round(100 * float(t["lift"].mean()), 6),
            "true_lift_pp_by_channel": {k: round(100 * float(v), 6) for k, v in t.groupby("channel")["lift"].mean().items()},
            "true_lift_pp_by_tier": {k: round(100 * float(v), 6) for k, v in t.groupby("tier")["lift"].mean().items()},
        }
    campaigns = pd.concat(rows, ignore_index=True)
    responses = pd.concat(resp, ignore_index=True).sort_values(["campaign_id", "date", "customer_id"],
                                                              ignore_index=True)
    for frame in (campaigns, responses):
        for col in ("customer_id", "campaign_id", "source_code", "group", "channel"):
            if col in frame.columns:
                frame[col] = frame[col].astype("str")
    meta = {"base_rate": BASE_RATE, "tier_factor": TIER_FACTOR, "mean_revenue_eur": MEAN_REVENUE,
            "revenue_shape": REVENUE_SHAPE, "select_prob": SELECT_PROB, "control_share": CONTROL_SHARE,
            "window_days": WINDOW_DAYS, "campaigns": truth}
    return campaigns, responses, meta
