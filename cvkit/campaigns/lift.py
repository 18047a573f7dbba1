"""Lift of contacted over control customers, with honest intervals, and what it is worth.

Intervals
---------
* response rates: Wilson score intervals;
* absolute lift (difference of two proportions): Newcombe's hybrid score interval (his method 10),
  which keeps its coverage for small rates where the Wald interval does not;
* relative lift (rate ratio minus one): the Katz log interval;
* incremental revenue: percentile bootstrap of the difference in mean revenue per customer,
  resampling each group separately (a response-rate change and a spend change both move it);
* significance: the two-sided pooled z-test of equal rates, with Holm's correction across the rows
  of one table (several campaigns or segments are read together).

All rates are shares 0..1; lifts are in percentage points (``lift_pp``) or as a share of the control
rate (``relative_lift``); money is in the engagement's currency.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from cvkit.metrics import holm_adjust

__all__ = ["wilson_interval", "newcombe_interval", "ratio_interval", "two_proportion_test", "bootstrap_mean_difference",
           "lift_table", "balance_table"]


def _z(level: float) -> float:
    return float(stats.norm.ppf(0.5 + level / 2))


def wilson_interval(successes: np.ndarray, n: np.ndarray, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of a proportion (vectorised); NaN where ``n`` is 0."""
    x, n = np.asarray(successes, float), np.asarray(n, float)
    z = _z(level)
    with np.errstate(invalid="ignore", divide="ignore"):
        centre = (x + z * z / 2) / (n + z * z)
        half = z / (n + z * z) * np.sqrt(x * (n - x) / n + z * z / 4)
    low, high = centre - half, centre + half
    bad = n <= 0
    return np.where(bad, np.nan, np.clip(low, 0, 1)), np.where(bad, np.nan, np.clip(high, 0, 1))


def newcombe_interval(x1: np.ndarray, n1: np.ndarray, x0: np.ndarray, n0: np.ndarray,
                      level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Newcombe's hybrid score interval of ``x1/n1 - x0/n0`` (vectorised).

    Newcombe (1998), "Interval estimation for the difference between independent proportions",
    Statistics in Medicine 17, method 10: the Wilson intervals of the two rates combined.
    """
    x1, n1, x0, n0 = (np.asarray(a, float) for a in (x1, n1, x0, n0))
    l1, u1 = wilson_interval(x1, n1, level)
    l0, u0 = wilson_interval(x0, n0, level)
    with np.errstate(invalid="ignore", divide="ignore"):
        p1, p0 = x1 / n1, x0 / n0
    d = p1 - p0
    return d - np.sqrt((p1 - l1) ** 2 + (u0 - p0) ** 2), d + np.sqrt((u1 - p1) ** 2 + (p0 - l0) ** 2)


def ratio_interval(x1: np.ndarray, n1: np.ndarray, x0: np.ndarray, n0: np.ndarray,
                   level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Katz log interval of the rate ratio ``(x1/n1) / (x0/n0)``; NaN when either count is 0."""
    x1, n1, x0, n0 = (np.asarray(a, float) for a in (x1, n1, x0, n0))
    with np.errstate(invalid="ignore", divide="ignore"):
        log_rr = np.log((x1 / n1) / (x0 / n0))
        se = np.sqrt(1 / x1 - 1 / n1 + 1 / x0 - 1 / n0)
    ok = (x1 > 0) & (x0 > 0)
    z = _z(level)
    with np.errstate(invalid="ignore"):
        return np.where(ok, np.exp(log_rr - z * se), np.nan), np.where(ok, np.exp(log_rr + z * se), np.nan)


def two_proportion_test(x1: np.ndarray, n1: np.ndarray, x0: np.ndarray, n0: np.ndarray) -> np.ndarray:
    """Two-sided p-value of the pooled z-test of equal rates (vectorised); 1 when both rates are 0 or 1."""
    x1, n1, x0, n0 = (np.asarray(a, float) for a in (x1, n1, x0, n0))
    with np.errstate(invalid="ignore", divide="ignore"):
        pooled = (x1 + x0) / (n1 + n0)
        se = np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n0))
        z = (x1 / n1 - x0 / n0) / se
    return np.where(se > 0, 2 * stats.norm.sf(np.abs(z)), 1.0)


def _boot_means(values: np.ndarray, n_boot: int, rng: np.random.Generator, chunk: int = 4_000_000) -> np.ndarray:
    """``n_boot`` bootstrap means of ``values`` (resampling with replacement), memory bounded.

    Response revenue is mostly zero: resampling ``n`` rows is the same in distribution as drawing
    how many resampled rows are non-zero, ``k ~ Binomial(n, m/n)``, then resampling ``k`` of the
    ``m`` non-zero values; that needs a ``n_boot x max(k)`` matrix instead of ``n_boot x n``.
    """
    values = np.asarray(values, float)
    n = len(values)
    if n == 0:
        return np.full(n_boot, np.nan)
    nonzero = values[values != 0]
    m = len(nonzero)
    if m == 0:
        return np.zeros(n_boot)
    k = rng.binomial(n, m / n, size=n_boot)
    sums = np.empty(n_boot)
    kmax = max(int(k.max()), 1)
    step = max(1, chunk // kmax)
    for start in range(0, n_boot, step):
        kk = k[start:start + step]
        idx = rng.integers(0, m, size=(len(kk), kmax))
        mask = np.arange(kmax)[None, :] < kk[:, None]
        sums[start:start + step] = (nonzero[idx] * mask).sum(axis=1)
    return sums / n


def bootstrap_mean_difference(treated: np.ndarray, control: np.ndarray, *, n_boot: int = 2000,
                              level: float = 0.95, seed: int = 0) -> tuple[float, float, float]:
    """Difference in means (treated minus control) and its percentile bootstrap interval.

    Returns
    -------
    (difference, low, high) : floats, in the units of the values (e.g. currency per customer).
    """
    rng = np.random.default_rng(seed)
    diff = float(np.mean(treated) - np.mean(control)) if len(treated) and len(control) else np.nan
    boot = _boot_means(treated, n_boot, rng) - _boot_means(control, n_boot, rng)
    alpha = (1 - level) / 2
    low, high = np.quantile(boot, [alpha, 1 - alpha]) if np.isfinite(diff) else (np.nan, np.nan)
    return diff, float(low), float(high)


def _group_stats(frame: pd.DataFrame) -> dict[str, float]:
    t, c = frame[frame["treated"]], frame[~frame["treated"]]
    return {"contacted": len(t), "control": len(c), "responders_contacted": int(t["responded"].sum()),
            "responders_control": int(c["responded"].sum()), "cost": float(t["contact_cost"].sum())}


def lift_table(contacts: pd.DataFrame, by: list[str] | None = None, *, margin: float = 0.3, level: float = 0.95,
               n_boot: int = 2000, seed: int = 0, alpha: float = 0.05) -> pd.DataFrame:
    """Response rates, lift, incremental value, ROI and significance per group.

    Parameters
    ----------
    contacts : DataFrame
        :func:`cvkit.campaigns.contact_frame` (``treated``, ``responded``, ``revenue``, ``contact_cost``).
    by : list of str, optional
        Grouping columns, default ``["campaign_id"]`` (e.g. add ``"segment"`` or ``"value_tier"``).
    margin : float, default 0.3
        Gross margin as a share of revenue (0..1), to turn incremental revenue into margin.
    level : float, default 0.95
        Interval level.
    n_boot : int, default 2000
        Bootstrap replications for the revenue interval.
    seed : int
    alpha : float, default 0.05
        Significance level of ``significant`` (after Holm's correction across the table's rows).

    Returns
    -------
    DataFrame, one row per group
        ``contacted``, ``control`` (customers), ``rate_contacted``/``rate_control`` with Wilson
        ``_low``/``_high``, ``lift_pp`` with Newcombe ``lift_pp_low``/``lift_pp_high`` (percentage
        points), ``relative_lift`` with Katz ``_low``/``_high`` (share of the control rate),
        ``incremental_responders`` (+ interval), ``incremental_revenue`` (bootstrap interval),
        ``incremental_margin`` (+ interval), ``cost``, ``net_value`` (incremental margin minus
        cost), ``roi`` (net value / cost, + interval), ``cost_per_incremental_response``,
        ``p_value``, ``p_adjusted`` (Holm) and ``significant``.
    """
    by = by or ["campaign_id"]
    rows = []
    for i, (key, frame) in enumerate(contacts.groupby(by, observed=True, sort=True)):
        key = key if isinstance(key, tuple) else (key,)
        row = dict(zip(by, key)) | _group_stats(frame)
        revenue = frame["revenue"].to_numpy(float)
        treated = frame["treated"].to_numpy(bool)
        diff, low, high = bootstrap_mean_difference(revenue[treated], revenue[~treated], n_boot=n_boot, level=level,
                                                    seed=seed + i)
        row |= {"revenue_diff": diff, "revenue_diff_low": low, "revenue_diff_high": high}
        rows.append(row)
    table = pd.DataFrame(rows)
    if table.empty:
        return table
    x1, n1, x0, n0 = (table[c].to_numpy(float) for c in ("responders_contacted", "contacted", "responders_control",
                                                         "control"))
    with np.errstate(invalid="ignore", divide="ignore"):
        table["rate_contacted"], table["rate_control"] = x1 / n1, x0 / n0
    table["rate_contacted_low"], table["rate_contacted_high"] = wilson_interval(x1, n1, level)
    table["rate_control_low"], table["rate_control_high"] = wilson_interval(x0, n0, level)
    d_low, d_high = newcombe_interval(x1, n1, x0, n0, level)
    table["lift_pp"] = 100 * (table["rate_contacted"] - table["rate_control"])
    table["lift_pp_low"], table["lift_pp_high"] = 100 * d_low, 100 * d_high
    r_low, r_high = ratio_interval(x1, n1, x0, n0, level)
    with np.errstate(invalid="ignore", divide="ignore"):
        table["relative_lift"] = table["rate_contacted"] / table["rate_control"] - 1
    table["relative_lift_low"], table["relative_lift_high"] = r_low - 1, r_high - 1
    table["incremental_responders"] = table["lift_pp"] / 100 * n1
    table["incremental_responders_low"], table["incremental_responders_high"] = d_low * n1, d_high * n1
    for suffix in ("", "_low", "_high"):
        table[f"incremental_revenue{suffix}"] = table[f"revenue_diff{suffix}"] * n1
        table[f"incremental_margin{suffix}"] = margin * table[f"incremental_revenue{suffix}"]
    table["net_value"] = table["incremental_margin"] - table["cost"]
    with np.errstate(invalid="ignore", divide="ignore"):
        cost = table["cost"].where(table["cost"] > 0)
        for suffix in ("", "_low", "_high"):
            table[f"roi{suffix}"] = (table[f"incremental_margin{suffix}"] - table["cost"]) / cost
        table["cost_per_incremental_response"] = cost / table["incremental_responders"].where(
            table["incremental_responders"] > 0)
    table["p_value"] = two_proportion_test(x1, n1, x0, n0)
    table["p_adjusted"] = holm_adjust(table["p_value"].to_numpy())
    table["significant"] = table["p_adjusted"] < alpha
    return table.drop(columns=["revenue_diff", "revenue_diff_low", "revenue_diff_high"])


def balance_table(contacts: pd.DataFrame, covariates: tuple[str, ...] = ("pre_spend", "pre_purchases", "recency_days"),
                  by: str = "campaign_id", threshold: float = 0.1) -> pd.DataFrame:
    """Were contacted and control customers alike before the campaign? Standardised differences.

    The standardised difference ``(mean_contacted - mean_control) / sqrt((var_c + var_t) / 2)`` does
    not grow with the sample size, unlike a p-value; above 0.1 in absolute value is the usual sign
    that the groups were not comparable (Austin 2009), so the lift mixes the campaign with the
    selection.

    Returns
    -------
    DataFrame, one row per campaign x covariate
        ``mean_contacted``, ``mean_control``, ``std_difference`` and ``balanced`` (``|d| <= threshold``).
    """
    rows = []
    for key, frame in contacts.groupby(by, observed=True, sort=True):
        t, c = frame[frame["treated"]], frame[~frame["treated"]]
        for cov in covariates:
            if cov not in frame.columns or frame[cov].isna().all():
                continue
            mt, mc = float(t[cov].mean()), float(c[cov].mean())
            pooled = np.sqrt((t[cov].var() + c[cov].var()) / 2)
            d = (mt - mc) / pooled if pooled > 0 else 0.0
            rows.append({by: key, "covariate": cov, "mean_contacted": mt, "mean_control": mc,
                         "std_difference": float(d), "balanced": bool(abs(d) <= threshold)})
    return pd.DataFrame(rows, columns=[by, "covariate", "mean_contacted", "mean_control", "std_difference",
                                       "balanced"])
