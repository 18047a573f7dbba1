"""Customer value when customers are seen to leave: subscriptions (sBG) and discrete purchase occasions (BG/BB).

Contractual setting (``analyses.clv.setting: contractual``): each subscription has a start and,
once cancelled, an end. Customers of a cohort (a start period, or a plan) renew each billing
period with their own probability; across customers it follows a beta distribution, so the
cohort's retention rate rises as the likely leavers go: the shifted-beta-geometric model (Fader &
Hardie 2007), fitted per cohort on its survivor counts. A likelihood-ratio test says whether the
cohorts need their own parameters (heterogeneity across cohorts) or share one pair. The value of
an active subscriber is the discounted expected residual lifetime (DERL, Fader & Hardie 2010) x
price x margin.

Discrete non-contractual setting (``setting: discrete``): purchases can only happen at discrete
occasions (a yearly event, a season); a customer's history is which periods they bought in.
:func:`participation_summary` turns a purchase log into frequency, recency and number of
opportunities per customer for :class:`~cvkit.clv.BetaGeoBetaBinomModel` (Fader, Hardie & Shang
2010).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from cvkit.clv.aggregates import customer_periods, is_log_frame, last_date
from cvkit.clv.models import ShiftedBetaGeometricModel
from cvkit.clv.models.base import CompressedData
from cvkit.exceptions import DataError, Problem

__all__ = ["PERIOD_MONTHS", "subscription_lifetimes", "survivor_table", "fit_cohorts", "cohort_heterogeneity",
           "survival_fit_table", "residual_value", "participation_summary", "SubscriptionAnalysis",
           "analyse_subscriptions", "plot_survival_fit", "analyse_participation"]

PERIOD_MONTHS = {"month": 1, "monthly": 1, "quarter": 3, "quarterly": 3, "year": 12, "yearly": 12, "annual": 12}


def _period_months(billing: pd.Series) -> pd.Series:
    text = billing.astype("str").str.strip().str.lower().replace({"nan": "month", "<na>": "month", "": "month"})
    bad = sorted(set(text) - set(PERIOD_MONTHS))
    if bad:
        raise DataError(Problem("subscriptions", f"billing_period values {bad[:5]} are not known",
                                f"use one of {', '.join(sorted(set(PERIOD_MONTHS)))} (empty = month)",
                                column="billing_period"))
    return text.map(PERIOD_MONTHS).astype(int)


def _whole_months(start: pd.Series, stop: pd.Series) -> pd.Series:
    """Calendar months completed from ``start`` to ``stop`` (a cancellation on the renewal day completes it)."""
    months = (stop.dt.year - start.dt.year) * 12 + (stop.dt.month - start.dt.month)
    return (months - (stop.dt.day < start.dt.day)).clip(lower=0)


def subscription_lifetimes(subscriptions: pd.DataFrame, analysis_date: str | pd.Timestamp, *,
                           cohort: str = "Y") -> pd.DataFrame:
    """Completed billing periods of each subscription, whether it has ended, and its cohort.

    Parameters
    ----------
    subscriptions : DataFrame
        The ``subscriptions`` data set (``customer_id``, ``start_date``, optional ``end_date``,
        ``plan``, ``price``, ``billing_period``).
    analysis_date : date
        End of observation; an end date after it counts as still active.
    cohort : {"Y", "Q", "M"} or a column name, default "Y"
        Start year/quarter/month, or a column of the data (e.g. ``"plan"``) to group by.

    Returns
    -------
    DataFrame, one row per subscription started by ``analysis_date``
        ``customer_id``, ``cohort``, ``period_months``, ``periods`` (whole billing periods
        completed: renewals made), ``observed`` (whole periods between start and the analysis
        date), ``ended`` (bool), ``price`` (NaN when not given).
    """
    end = pd.Timestamp(analysis_date)
    subs = subscriptions[subscriptions["start_date"] <= end].copy()
    months = _period_months(subs["billing_period"] if "billing_period" in subs.columns
                            else pd.Series("month", index=subs.index))
    stop = subs["end_date"] if "end_date" in subs.columns else pd.Series(pd.NaT, index=subs.index)
    ended = stop.notna() & (stop <= end)
    last = stop.where(ended, end)
    span = _whole_months(subs["start_date"], last) // months
    observed = _whole_months(subs["start_date"], pd.Series(end, index=subs.index)) // months
    if cohort in ("Y", "Q", "M"):
        label = subs["start_date"].dt.to_period(cohort).astype("str")
    elif cohort in subs.columns:
        label = subs[cohort].astype("str")
    else:
        raise DataError(Problem("subscriptions", f"cohort {cohort!r} is neither Y, Q, M nor a column",
                                "set analyses.clv.cohort to Y, Q, M or a column such as plan"))
    return pd.DataFrame({"customer_id": subs["customer_id"].to_numpy(), "cohort": label.to_numpy(),
                         "period_months": months.to_numpy(), "periods": span.astype(int).to_numpy(),
                         "observed": observed.astype(int).to_numpy(), "ended": ended.to_numpy(),
                         "price": pd.to_numeric(subs.get("price", pd.Series(np.nan, index=subs.index)),
                                                errors="coerce").to_numpy(float)})


def survivor_table(lifetimes: pd.DataFrame, *, max_periods: int | None = None) -> pd.DataFrame:
    """Survivor counts per cohort: customers still subscribed after 0, 1, 2, ... billing periods.

    Only periods every member of the cohort could have reached by the analysis date are counted
    (the youngest member's age), so a cohort's curve is never pulled down by right-censoring.

    Returns
    -------
    DataFrame, long
        ``cohort``, ``t`` (billing periods since start), ``survivors``, ``share`` (of the cohort).
    """
    rows = []
    for cohort, g in lifetimes.groupby("cohort", sort=True):
        horizon = int(g["observed"].min())
        if max_periods is not None:
            horizon = min(horizon, max_periods)
        alive_until = np.where(g["ended"], g["periods"], np.iinfo(np.int64).max)
        for t in range(horizon + 1):
            # Ended after `periods` paid periods: still there after t periods while periods > t.
            rows.append({"cohort": cohort, "t": t, "survivors": int((alive_until > t).sum())})
    table = pd.DataFrame(rows, columns=["cohort", "t", "survivors"])
    table["share"] = table["survivors"] / table.groupby("cohort")["survivors"].transform("first")
    return table


def _counts(table: pd.DataFrame) -> dict[str, np.ndarray]:
    return {c: g.sort_values("t")["survivors"].to_numpy(float) for c, g in table.groupby("cohort", sort=True)}


def fit_cohorts(table: pd.DataFrame) -> dict[str, ShiftedBetaGeometricModel]:
    """An sBG model per cohort with at least one period observed and at least one cancellation."""
    return {c: ShiftedBetaGeometricModel().fit(s) for c, s in _counts(table).items() if len(s) > 1 and s[-1] < s[0]}


def _pooled(counts: dict[str, np.ndarray]) -> ShiftedBetaGeometricModel:
    """One sBG for every cohort: their survivor rows stacked into one likelihood."""
    t_all, cens, w = [], [], []
    for s in counts.values():
        t = np.arange(1, len(s))
        t_all += [t, t[-1:]]
        cens += [np.zeros(len(t)), np.ones(1)]
        w += [-np.diff(s), s[-1:]]
    model = ShiftedBetaGeometricModel()
    model.survivors_ = np.sum([s[0] for s in counts.values()])
    data = CompressedData({"t": np.concatenate(t_all).astype(float), "censored": np.concatenate(cens)},
                          np.concatenate(w).astype(float), {})
    return model._fit_data(data, None)


def cohort_heterogeneity(table: pd.DataFrame, models: dict[str, ShiftedBetaGeometricModel]) -> dict[str, float]:
    """Do the cohorts retain alike? Likelihood-ratio test of one shared (alpha, beta) against one per cohort.

    Returns
    -------
    dict
        ``lr`` (2 x log-likelihood gain of separate fits), ``df`` (2 x (cohorts - 1)), ``p_value``
        (chi-squared), ``pooled_alpha``, ``pooled_beta``; a small p-value means the cohorts differ
        (e.g. newer customers churn faster), so a single curve would misvalue them.
    """
    counts = {c: s for c, s in _counts(table).items() if c in models}
    if len(counts) < 2:
        return {"lr": np.nan, "df": 0, "p_value": np.nan, "pooled_alpha": np.nan, "pooled_beta": np.nan}
    pooled = _pooled(counts)
    lr = max(2 * (sum(m.log_likelihood_ for m in models.values()) - pooled.log_likelihood_), 0.0)
    df = 2 * (len(counts) - 1)
    return {"lr": float(lr), "df": df, "p_value": float(stats.chi2.sf(lr, df)),
            "pooled_alpha": float(pooled.params_["alpha"]), "pooled_beta": float(pooled.params_["beta"])}


def survival_fit_table(table: pd.DataFrame, models: dict[str, ShiftedBetaGeometricModel],
                       extra_periods: int = 0) -> pd.DataFrame:
    """Actual against fitted survival and retention per cohort (and projected ``extra_periods`` ahead).

    Returns
    -------
    DataFrame
        ``cohort``, ``t``, ``actual_share`` (NaN beyond the data), ``fitted_share``,
        ``actual_retention`` (survivors t / t-1), ``fitted_retention``.
    """
    parts = []
    for cohort, model in models.items():
        g = table[table["cohort"] == cohort].set_index("t")
        t = np.arange(int(g.index.max()) + extra_periods + 1)
        actual = g["share"].reindex(t).to_numpy(float)
        part = pd.DataFrame({"cohort": cohort, "t": t, "actual_share": actual, "fitted_share": model.survival(t)})
        part["actual_retention"] = part["actual_share"] / part["actual_share"].shift(1)
        part["fitted_retention"] = np.r_[np.nan, model.retention_rate(t[1:])]
        parts.append(part)
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        columns=["cohort", "t", "actual_share", "fitted_share", "actual_retention", "fitted_retention"])


def residual_value(lifetimes: pd.DataFrame, models: dict[str, ShiftedBetaGeometricModel], *,
                   annual_discount_rate: float = 0.10, margin: float = 0.30,
                   default_price: float | None = None) -> pd.DataFrame:
    """Discounted expected residual lifetime value of every active subscriber.

    ``value = DERL(d, renewals) x price x margin``: DERL counts the payments still to come, the
    next one undiscounted, given the renewals the customer has already made (long-tenure
    subscribers are more likely to be low-churn types, so they are worth more); ``d`` is the
    annual rate converted to the billing period.

    Returns
    -------
    DataFrame, one row per active subscription of a fitted cohort
        ``customer_id``, ``cohort``, ``periods`` (renewals made), ``derl`` (discounted payments to
        come), ``price``, ``residual_value`` (currency).
    """
    active = lifetimes[~lifetimes["ended"] & lifetimes["cohort"].isin(list(models))].copy()
    d = (1 + annual_discount_rate) ** (active["period_months"] / 12) - 1
    cache: dict[tuple, float] = {}

    def derl(cohort: str, n: int, rate: float) -> float:
        key = (cohort, n, round(rate, 12))
        if key not in cache:
            cache[key] = models[cohort].expected_residual_lifetime(rate, renewals=n)
        return cache[key]

    active["derl"] = [derl(c, int(n), float(r)) for c, n, r in zip(active["cohort"], active["periods"], d)]
    price = active["price"]
    if default_price is not None:
        price = price.fillna(default_price)
    active["residual_value"] = active["derl"] * price * margin
    return active[["customer_id", "cohort", "periods", "derl", "price", "residual_value"]].reset_index(drop=True)


def participation_summary(transactions: Any, *, period: str = "Y", end: str | pd.Timestamp | None = None,
                          backend: Any = None) -> pd.DataFrame:
    """Per-period participation of each customer, in BG/BB form: frequency, recency, opportunities.

    Each period (``"Y"`` year, ``"Q"``, ``"M"``) is one purchase opportunity. A customer's first
    period with a purchase is their trial; ``n_periods`` counts the complete periods after it up
    to ``end``, ``frequency`` those with a purchase and ``recency`` the last of them (0: none).

    ``transactions`` is the log as a DataFrame, or the checked Parquet file / an Ibis table: then
    each customer's first and last period and number of periods bought in are computed on
    ``backend`` (:func:`cvkit.clv.aggregates.customer_periods`; None: embedded DuckDB), and only
    those per-customer rows come into memory.

    Returns
    -------
    DataFrame, one row per customer with at least one opportunity after the first purchase
        ``customer_id``, ``cohort`` (first period), ``frequency``, ``recency``, ``n_periods``.
    """
    end = pd.Timestamp(end) if end is not None else last_date(transactions, backend)
    last_complete = (end + pd.Timedelta(days=1)).to_period(period) - 1
    if not is_log_frame(transactions):
        return _participation_on_engine(transactions, period, last_complete, backend)
    per = transactions["date"].dt.to_period(period)
    frame = pd.DataFrame({"customer_id": transactions["customer_id"], "p": per})
    frame = frame[frame["p"] <= last_complete].drop_duplicates()
    first = frame.groupby("customer_id")["p"].min()
    frame["k"] = (frame["p"] - frame["customer_id"].map(first)).map(lambda off: off.n).astype(int)
    out = pd.DataFrame({"cohort": first.astype("str")})
    out["n_periods"] = (last_complete - first).map(lambda off: off.n).astype(int)
    repeats = frame[frame["k"] > 0].groupby("customer_id")["k"]
    out["frequency"] = repeats.size().reindex(out.index, fill_value=0).astype(int)
    out["recency"] = repeats.max().reindex(out.index, fill_value=0).astype(int)
    out = out[out["n_periods"] > 0].reset_index(names="customer_id")
    return out[["customer_id", "cohort", "frequency", "recency", "n_periods"]]


def _participation_on_engine(transactions: Any, period: str, last_complete: pd.Period, backend: Any) -> pd.DataFrame:
    """:func:`participation_summary` from one row per customer computed on the engine."""
    per = customer_periods(transactions, period, (last_complete + 1).start_time, backend)
    # Period ordinals count periods: differences are numbers of periods, without a per-row Python call.
    first = pd.PeriodIndex(per["first"], freq=last_complete.freq)
    last = pd.PeriodIndex(per["last"], freq=last_complete.freq)
    out = pd.DataFrame({"customer_id": per["customer_id"], "cohort": first.astype("str"),
                        "frequency": (per["periods"] - 1).astype(int),
                        "recency": (last.asi8 - first.asi8).astype(int),
                        "n_periods": (last_complete.ordinal - first.asi8).astype(int)})
    return out[out["n_periods"] > 0].reset_index(drop=True)


@dataclass
class SubscriptionAnalysis:
    """Everything the contractual section of notebook 04 shows.

    Attributes
    ----------
    cohort_basis : str
        What the cohorts are (``plan``, or start ``Y``/``Q``/``M``).
    lifetimes : DataFrame
        :func:`subscription_lifetimes`.
    survivors : DataFrame
        :func:`survivor_table`.
    models : dict
        Cohort -> fitted :class:`~cvkit.clv.ShiftedBetaGeometricModel`.
    parameters : DataFrame
        Per cohort: ``subscribers``, ``periods_observed``, ``sbg_alpha``, ``sbg_beta`` with standard
        errors (``_se``), ``mean_churn`` (alpha / (alpha + beta), first-period churn),
        ``median_lifetime`` (periods until half a new cohort has left) and ``discounted_lifetime``
        (DEL: discounted expected payments of a new subscriber).
    heterogeneity : dict
        :func:`cohort_heterogeneity`.
    fit : DataFrame
        :func:`survival_fit_table`, projected ``extra_periods`` ahead.
    values : DataFrame
        :func:`residual_value` per active subscriber.
    by_cohort : DataFrame
        ``cohort``, ``active``, ``residual_value`` (total), ``per_active`` (currency).
    """

    cohort_basis: str
    lifetimes: pd.DataFrame
    survivors: pd.DataFrame
    models: dict
    parameters: pd.DataFrame
    heterogeneity: dict
    fit: pd.DataFrame
    values: pd.DataFrame
    by_cohort: pd.DataFrame

    @property
    def total(self) -> float:
        """Residual value of all active subscribers (currency)."""
        return float(self.values["residual_value"].sum())


def _cohort_basis(subscriptions: pd.DataFrame, cohort: str) -> str:
    if cohort != "auto":
        return cohort
    plans = subscriptions["plan"].dropna().nunique() if "plan" in subscriptions.columns else 0
    return "plan" if 2 <= plans <= 12 else "Y"


def _median_lifetime(model: ShiftedBetaGeometricModel, limit: int = 1000) -> float:
    s = model.survival(np.arange(limit + 1))
    below = np.flatnonzero(s <= 0.5)
    return float(below[0]) if len(below) else float("inf")


def analyse_subscriptions(subscriptions: pd.DataFrame, analysis_date: str | pd.Timestamp, *, cohort: str = "auto",
                          annual_discount_rate: float = 0.10, margin: float = 0.30,
                          extra_periods: int = 5) -> SubscriptionAnalysis:
    """The contractual path: cohorts, sBG per cohort, heterogeneity test, actual vs fitted, residual value.

    Parameters
    ----------
    subscriptions : DataFrame
        The ``subscriptions`` data set.
    cohort : str, default "auto"
        ``"auto"``: by ``plan`` when there are 2-12 plans, else by start year; or ``Y``/``Q``/``M``
        or a column name.
    annual_discount_rate, margin : float
        Discounting of future payments and the margin share of the price.
    extra_periods : int
        Billing periods projected beyond the data in the fit table.

    Raises
    ------
    cvkit.exceptions.FitError
        When no cohort has a cancellation to learn churn from.
    """
    from cvkit.exceptions import FitError

    basis = _cohort_basis(subscriptions, cohort)
    lifetimes = subscription_lifetimes(subscriptions, analysis_date, cohort=basis)
    survivors = survivor_table(lifetimes)
    models = fit_cohorts(survivors)
    if not models:
        raise FitError("subscriptions: no cohort has a full billing period observed with a cancellation, so churn "
                       "cannot be estimated; give a longer history or cohorts by year (subscription_cohort: Y)")
    d = (1 + annual_discount_rate) ** (lifetimes["period_months"].median() / 12) - 1
    rows = []
    for c, m in models.items():
        est = m.summary()
        rows.append({"cohort": c, "subscribers": int(m.survivors_[0]), "periods_observed": len(m.survivors_) - 1,
                     "sbg_alpha": m.params_["alpha"], "sbg_alpha_se": est.loc["alpha", "se"],
                     "sbg_beta": m.params_["beta"], "sbg_beta_se": est.loc["beta", "se"],
                     "mean_churn": m.params_["alpha"] / m.params_.sum(), "median_lifetime": _median_lifetime(m),
                     "discounted_lifetime": m.expected_discounted_lifetime(d)})
    values = residual_value(lifetimes, models, annual_discount_rate=annual_discount_rate, margin=margin)
    by_cohort = values.groupby("cohort").agg(active=("customer_id", "size"), residual_value=("residual_value", "sum"))
    by_cohort["per_active"] = by_cohort["residual_value"] / by_cohort["active"]
    return SubscriptionAnalysis(cohort_basis=basis, lifetimes=lifetimes, survivors=survivors, models=models,
                                parameters=pd.DataFrame(rows), heterogeneity=cohort_heterogeneity(survivors, models),
                                fit=survival_fit_table(survivors, models, extra_periods), values=values,
                                by_cohort=by_cohort.reset_index())


def plot_survival_fit(fit: pd.DataFrame, *, what: str = "share", ax=None):
    """Actual (dots) against fitted and projected (lines) survival or retention per cohort; returns the Axes."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6.5, 4))
    for i, (cohort, g) in enumerate(fit.groupby("cohort", sort=True)):
        color = f"C{i}"
        ax.plot(g["t"], g[f"fitted_{what}"], color=color, label=f"{cohort} (sBG)")
        ax.scatter(g["t"], g[f"actual_{what}"], color=color, s=18)
    ax.set_xlabel("billing periods since the start")
    ax.set_ylabel("share still subscribed" if what == "share" else "renewal rate")
    ax.legend(frameon=False, fontsize="small")
    return ax


def analyse_participation(transactions: Any, *, period: str = "Y", end: str | pd.Timestamp | None = None,
                          horizon_periods: int = 5, backend: Any = None):
    """The discrete-time path: per-period participation, a BG/BB fit, P(alive) and expected purchases.

    ``transactions`` and ``backend`` as in :func:`participation_summary` (a file or Ibis table is
    aggregated on the engine).

    Returns
    -------
    (summary, model, table)
        :func:`participation_summary`, the fitted :class:`~cvkit.clv.BetaGeoBetaBinomModel` and a
        table by (frequency, recency, n_periods) pattern with ``customers``, ``p_alive`` and
        ``expected_purchases`` over the next ``horizon_periods`` opportunities.
    """
    from cvkit.clv.models import BetaGeoBetaBinomModel

    summary = participation_summary(transactions, period=period, end=end, backend=backend)
    patterns = summary.groupby(["frequency", "recency", "n_periods"]).size().rename("weight").reset_index()
    model = BetaGeoBetaBinomModel().fit(patterns)
    table = patterns.rename(columns={"weight": "customers"})
    table["p_alive"] = model.prob_alive(patterns)
    table["expected_purchases"] = model.predict_purchases(horizon_periods, patterns)
    return summary, model, table
