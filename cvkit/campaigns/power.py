"""How large must the next control group be? Sample size and power for a response-rate lift.

The next test contacts ``n_contacted`` customers and holds out a control group; it should detect a
lift of ``lift`` (absolute, share) over a base response rate ``base_rate`` with a two-sided test at
level ``alpha`` and the given power. With the normal approximation of the two-proportion test,
the requirement is ``(z_{1-alpha/2} + z_{power})^2 * (p1 q1 / n_t + p0 q0 / n_c) <= lift^2``
(unpooled variances; Fleiss, Levin & Paik 2003, ch. 4), solved here for the control size.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

__all__ = ["control_group_size", "minimum_detectable_lift", "power_of_test", "break_even_lift", "next_test_table"]


def _zsum(alpha: float, power: float) -> float:
    return float(stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power))


def control_group_size(base_rate: float, lift: float, n_contacted: float | None = None, *, alpha: float = 0.05,
                       power: float = 0.8) -> float:
    """Control customers needed to detect ``lift`` (share, e.g. 0.01 = one point) over ``base_rate``.

    Parameters
    ----------
    base_rate : float
        Expected response rate of the control group (0..1), e.g. the pooled control rate so far.
    lift : float
        Smallest absolute lift worth detecting (0..1), e.g. the lift at which the campaign breaks even.
    n_contacted : float, optional
        Size of the contacted group. Omitted: the equal-allocation answer (each group this size).
    alpha, power : float

    Returns
    -------
    float
        Control customers needed (rounded up); ``inf`` when even an infinite control group cannot
        reach the power with that many contacted customers.
    """
    if not 0 < base_rate < 1 or not 0 < base_rate + lift < 1 or lift == 0:
        raise ValueError(f"base_rate {base_rate} and base_rate + lift {base_rate + lift} must be in (0, 1), lift != 0")
    p0, p1 = base_rate, base_rate + lift
    need = (lift / _zsum(alpha, power)) ** 2  # the largest variance of the difference that still detects it
    if n_contacted is None:
        return float(np.ceil((p0 * (1 - p0) + p1 * (1 - p1)) / need))
    room = need - p1 * (1 - p1) / n_contacted
    return float(np.ceil(p0 * (1 - p0) / room)) if room > 0 else float("inf")


def minimum_detectable_lift(base_rate: float, n_contacted: float, n_control: float, *, alpha: float = 0.05,
                            power: float = 0.8) -> float:
    """Smallest absolute lift (share) a test of this size detects with the given power.

    Solved by fixed-point iteration on ``lift = z * sqrt(p1 q1 / n_t + p0 q0 / n_c)``.
    """
    z, p0 = _zsum(alpha, power), base_rate
    lift = z * np.sqrt(p0 * (1 - p0) * (1 / n_contacted + 1 / n_control))
    for _ in range(50):
        p1 = min(p0 + lift, 1 - 1e-9)
        lift = z * np.sqrt(p1 * (1 - p1) / n_contacted + p0 * (1 - p0) / n_control)
    return float(lift)


def power_of_test(base_rate: float, lift: float, n_contacted: float, n_control: float, *,
                  alpha: float = 0.05) -> float:
    """Power (0..1) of the two-sided two-proportion test to detect ``lift`` with these group sizes."""
    p0, p1 = base_rate, base_rate + lift
    se = np.sqrt(p1 * (1 - p1) / n_contacted + p0 * (1 - p0) / n_control)
    z = stats.norm.ppf(1 - alpha / 2)
    return float(stats.norm.sf(z - abs(lift) / se) + stats.norm.cdf(-z - abs(lift) / se))


def break_even_lift(cost_per_contact: float, margin: float, revenue_per_response: float) -> float:
    """Absolute lift (share) at which a contact pays for itself: ``cost / (margin * revenue per response)``."""
    value = margin * revenue_per_response
    return float(cost_per_contact / value) if value > 0 else float("inf")


def next_test_table(contacts, lift, *, margin: float, detect_lift_pp: float = 0.0, alpha: float = 0.05,
                    power: float = 0.8):
    """Per campaign: what the current test could detect, and the control group the next one needs.

    Parameters
    ----------
    contacts : DataFrame
        :func:`cvkit.campaigns.contact_frame`.
    lift : DataFrame
        :func:`cvkit.campaigns.lift_table` by ``campaign_id``.
    margin : float
        Margin share of revenue (0..1).
    detect_lift_pp : float, default 0
        Lift (percentage points) the next test must detect; 0 = each campaign's break-even lift
        (the lift below which contacting loses money), floored at 0.5 points.

    Returns
    -------
    DataFrame, one row per campaign
        ``base_rate`` (control response rate), ``revenue_per_response`` (currency),
        ``cost_per_contact``, ``break_even_pp``, ``mde_pp`` (the smallest lift this test detects with
        ``power``), ``detect_pp`` (the target of the next test), ``contacted``, ``control`` and
        ``control_needed`` (customers; inf when no control size suffices for that many contacted).
    """
    import pandas as pd

    rows = []
    for r in lift.itertuples():
        frame = contacts[contacts["campaign_id"] == r.campaign_id]
        responders = frame[frame["treated"] & (frame["responded"] > 0)]
        per_response = float(responders["revenue"].mean()) if len(responders) else float("nan")
        cost_each = r.cost / r.contacted if r.contacted else 0.0
        base = min(max(r.rate_control, 1e-4), 1 - 1e-4)
        breakeven = 100 * break_even_lift(cost_each, margin, per_response) if per_response == per_response else float("nan")
        target = detect_lift_pp if detect_lift_pp > 0 else max(breakeven, 0.5) if breakeven == breakeven else 1.0
        target = min(target, 100 * (1 - base) - 0.01)
        rows.append({"campaign_id": r.campaign_id, "base_rate": r.rate_control, "revenue_per_response": per_response,
                     "cost_per_contact": cost_each, "break_even_pp": breakeven,
                     "mde_pp": 100 * minimum_detectable_lift(base, r.contacted, max(r.control, 1), alpha=alpha,
                                                             power=power),
                     "detect_pp": target, "contacted": int(r.contacted), "control": int(r.control),
                     "control_needed": control_group_size(base, target / 100, r.contacted, alpha=alpha, power=power)})
    return pd.DataFrame(rows)
