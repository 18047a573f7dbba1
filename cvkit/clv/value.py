"""Customer value from fitted models: per-customer CLV table, value tiers, uncertainty on totals.

Lifetime value per customer = realised value (margin on what they already
spent) + expected value (discounted margin on what the models expect them to
spend over the horizon). The simple textbook formulas (retention rate, simple
CLV, CLV-to-CAC) live in :mod:`cvkit.metrics`.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pandas as pd

from cvkit.clv.models import GammaGammaModel, PurchaseModel
from cvkit.exceptions import FitError

__all__ = ["decile_table", "expected_spend", "customer_value_table", "interim_horizons", "INTERIM_HORIZONS", "clv_interval", "simulate_future_value", "value_concentration", "lorenz_curve",
           "VALUE_TIERS", "attach_segment", "NOT_RECORDED", "NOT_IN_FILE"]

#: Tier labels by CLV rank: the top 20%, the next 30% and the bottom half.
VALUE_TIERS = ("top 20%", "next 30%", "bottom 50%")


def expected_spend(summary: pd.DataFrame, spend_model: GammaGammaModel | None = None) -> np.ndarray:
    """Expected value of each customer's next purchase (currency).

    With a fitted Gamma-Gamma model, its conditional expectation (the
    customer's own mean shrunk towards the population mean); without one, the
    mean value of all purchases in the summary (total amount / transactions).

    Returns
    -------
    ndarray, shape (n,)
    """
    if spend_model is not None:
        return spend_model.conditional_expected_average_value(summary["frequency"], summary["monetary_value"])
    if "total_amount" not in summary.columns:
        raise KeyError("without a spend model the summary needs 'total_amount' and 'n_transactions' to "
                       "compute the mean purchase value")
    mean = summary["total_amount"].sum() / max(summary["n_transactions"].sum(), 1)
    return np.full(len(summary), float(mean))


#: Shorter horizons (months) reported beside the engagement's own, for the near-term view.
INTERIM_HORIZONS = (3, 6)


def interim_horizons(horizon_months: float) -> tuple[int, ...]:
    """The :data:`INTERIM_HORIZONS` shorter than ``horizon_months`` (none for a 3-month horizon or less).

    A value over a longer period than the engagement's horizon would extrapolate beyond what the
    engagement chose to claim.
    """
    return tuple(h for h in INTERIM_HORIZONS if h < horizon_months)


def customer_value_table(
    summary: pd.DataFrame,
    purchase_model: PurchaseModel,
    spend_model: GammaGammaModel | None = None,
    *,
    horizon_months: float = 12.0,
    annual_discount_rate: float = 0.10,
    margin: float = 1.0,
    extra_horizons: Sequence[float] | None = None,
) -> pd.DataFrame:
    """One row per customer: activity, expected purchases, CLV, realised and lifetime value, tier.

    Parameters
    ----------
    summary : pandas.DataFrame
        :func:`cvkit.clv.summarize` output (``customer_id``, ``frequency``,
        ``recency``, ``T``, ``monetary_value``, ``total_amount``).
    purchase_model : PurchaseModel
        Fitted BG/NBD, MBG/NBD or Pareto/NBD model.
    spend_model : GammaGammaModel, optional
        Fitted spend model; default the mean purchase value.
    horizon_months : float
        Horizon of ``expected_purchases`` and ``clv`` (calendar months).
    annual_discount_rate : float
        Annual discount rate (0.10 = 10% a year).
    margin : float
        Profit margin on revenue, 0-1.
    extra_horizons : sequence of float, optional
        Further horizons (months) reported as ``clv_<h>m`` columns; default
        :func:`interim_horizons` (3 and 6 months where shorter than the horizon).

    Returns
    -------
    pandas.DataFrame
        Columns ``customer_id``, ``frequency``, ``recency``, ``T``,
        ``monetary_value``, ``p_alive`` (0-1), ``expected_purchases`` (over
        the horizon), ``expected_spend`` (currency per purchase), ``clv``
        (discounted margin over the horizon, currency), ``clv_<h>m``,
        ``realised_value`` (margin x amount already spent), ``lifetime_value``
        (realised + clv), ``clv_decile`` (1 = most valuable tenth) and
        ``value_tier`` (:data:`VALUE_TIERS`). Sorted as ``summary``.
    """
    if not 0 < margin <= 1:
        raise ValueError(f"margin={margin} must be a share of revenue in (0, 1], e.g. 0.3 for 30%")
    spend = expected_spend(summary, spend_model)
    H = float(purchase_model.months_to_units(horizon_months))
    out = pd.DataFrame({
        "customer_id": summary["customer_id"].astype(str).to_numpy(),
        "frequency": summary["frequency"].to_numpy(),
        "recency": summary["recency"].to_numpy(),
        "T": summary["T"].to_numpy(),
        "monetary_value": summary["monetary_value"].to_numpy(),
    })
    out["p_alive"] = purchase_model.prob_alive(summary)
    out["expected_purchases"] = purchase_model.predict_purchases(H, summary)
    out["expected_spend"] = spend
    kw = dict(monetary_value=spend, annual_discount_rate=annual_discount_rate, margin=margin)
    out["clv"] = purchase_model.expected_clv(summary, horizon_months=horizon_months, **kw)
    _check_finite(out, purchase_model)
    for h in interim_horizons(horizon_months) if extra_horizons is None else extra_horizons:
        out[f"clv_{h:g}m"] = purchase_model.expected_clv(summary, horizon_months=h, **kw)
    if "total_amount" in summary.columns:
        out["realised_value"] = margin * summary["total_amount"].to_numpy()
    else:
        out["realised_value"] = margin * summary["monetary_value"].to_numpy() * summary["frequency"].to_numpy()
    out["lifetime_value"] = out["realised_value"] + out["clv"]
    out["clv_decile"], out["value_tier"] = _tiers(out["clv"].to_numpy())
    return out


def _check_finite(values: pd.DataFrame, model: PurchaseModel) -> None:
    """Stop with the reason when a degenerate fit gives no number (rather than a NaN on every page)."""
    bad = int((~np.isfinite(values[["p_alive", "expected_purchases", "clv"]].to_numpy(dtype=float))).any(axis=1).sum())
    if bad:
        raise FitError(f"the {model._model_name} fit gives no finite value for {bad:,} of {len(values):,} customers: its "
                       f"parameters ({model._format_params()}) are at the edge of what the model can express, which usually means "
                       "the log shows no customer stopping. Fix: set analyses.clv.clv_model: auto (the comparison "
                       "prefers a fit that forecasts the holdout) or pareto_nbd, and check the log for test "
                       "accounts or a date column that is not the purchase date.")


def _tiers(values: np.ndarray) -> tuple[np.ndarray, pd.Categorical]:
    """Deciles (1 = top) and tiers by rank; ties broken by position so sizes are exact."""
    n = len(values)
    order = np.argsort(-values, kind="stable")
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n)
    share = (rank + 0.5) / max(n, 1)
    decile = np.minimum((share * 10).astype(np.int64) + 1, 10)
    tier = np.where(share < 0.2, VALUE_TIERS[0], np.where(share < 0.5, VALUE_TIERS[1], VALUE_TIERS[2]))
    return decile, pd.Categorical(tier, categories=list(VALUE_TIERS), ordered=True)


def value_concentration(values: Any, top_share: float = 0.2) -> float:
    """Share of total value held by the most valuable ``top_share`` of customers (0-1)."""
    v = np.sort(np.asarray(values, dtype=float))[::-1]
    total = v.sum()
    if total <= 0:
        raise ValueError("total value is not positive, so shares of it are undefined")
    k = int(np.ceil(top_share * len(v)))
    return float(v[:k].sum() / total)


def lorenz_curve(values: Any) -> pd.DataFrame:
    """Cumulative share of value against cumulative share of customers, most valuable first.

    Returns
    -------
    pandas.DataFrame
        ``customer_share`` and ``value_share`` (0-1), starting at (0, 0).
    """
    v = np.sort(np.asarray(values, dtype=float))[::-1]
    cum = np.concatenate([[0.0], np.cumsum(v)]) / v.sum()
    return pd.DataFrame({"customer_share": np.arange(len(v) + 1) / len(v), "value_share": cum})


def clv_interval(
    summary: pd.DataFrame,
    purchase_model: PurchaseModel,
    spend_model: GammaGammaModel | None = None,
    *,
    groups: Any = None,
    horizon_months: float = 12.0,
    annual_discount_rate: float = 0.10,
    margin: float = 1.0,
    n_draws: int = 200,
    level: float = 0.90,
    seed: int | None = None,
    include_total: bool = True,
    process_variance: bool = False,
) -> pd.DataFrame:
    """CLV totals (overall, per segment or per customer) with parametric-bootstrap intervals.

    Parameter vectors of both models are drawn from the asymptotic normal
    distribution of their log-parameters (observed information), the CLV of
    every customer is recomputed for each draw and summed per group; the
    interval is the central ``level`` range of the draws. By default it
    reflects estimation uncertainty in the model parameters only: an interval
    for the *expected* value, which is what matters for totals over many
    customers (the purchase-to-purchase randomness of individual customers
    largely averages out in sums).

    With ``process_variance=True`` each draw instead simulates what the
    customers actually do over the horizon (:func:`simulate_future_value`):
    whether each is still active, their purchase rate, when they buy, when
    they drop out (Poisson/NBD purchase process) and, with a spend model,
    what each purchase is worth (Gamma spend). The interval is then a
    prediction interval for the realised discounted value, which is what a
    customer-level (or small-segment) interval needs: pass
    ``groups=summary["customer_id"]``.

    Parameters
    ----------
    summary, purchase_model, spend_model, horizon_months, annual_discount_rate, margin
        As in :func:`customer_value_table`.
    groups : array-like, shape (n,), or column name, optional
        Segment of each customer; default one group ``"all"``.
    n_draws : int
        Bootstrap draws.
    level : float
        Interval coverage, e.g. 0.90.
    seed : int, optional
        Random seed.
    include_total : bool
        With ``groups``, add a ``"total"`` row computed from the same draws
        (the interval of a sum is not the sum of the intervals).
    process_variance : bool
        Add the purchase-process (and spend) randomness to the parameter
        uncertainty: prediction intervals for realised value.

    Returns
    -------
    pandas.DataFrame
        One row per group: ``group``, ``customers``, ``clv`` (point
        estimate: the expected value, currency), ``se`` (standard deviation
        of the draws), ``lower`` and ``upper`` (currency).
    """
    if n_draws < 20:
        raise ValueError("n_draws must be at least 20 for a usable interval")
    if isinstance(groups, str):
        groups = summary[groups]
    g = pd.Series("all" if groups is None else np.asarray(groups).astype(str), index=range(len(summary)))
    codes, labels = pd.factorize(g, sort=True)
    kw = dict(horizon_months=horizon_months, annual_discount_rate=annual_discount_rate, margin=margin)
    rows = _distinct_rows(summary, codes, spend_model, exact=process_variance)
    histories = _Histories(rows)
    point = _group_totals(histories, purchase_model, spend_model, len(labels), kw)
    rng = np.random.default_rng(seed)
    draws = list(_model_draws(purchase_model, spend_model, n_draws, rng))
    sims = _draw_totals(histories, draws, len(labels), kw, rng if process_variance else None)
    return _interval_table(sims, point, labels, np.bincount(codes, minlength=len(labels)),
                           groups is not None and include_total, level)


def _draw_totals(histories: "_Histories", draws: list, n_groups: int, kw: dict,
                 rng: np.random.Generator | None) -> np.ndarray:
    """Group totals for each parameter draw, shape (n_draws, n_groups); simulated futures with ``rng``."""
    if rng is not None:
        sims = np.empty((len(draws), n_groups))
        for i, (pm, sm) in enumerate(draws):  # one random stream: in order
            value = simulate_future_value(histories.compact, pm, sm, rng=rng, **kw)
            sims[i] = np.bincount(histories.groups, weights=value, minlength=n_groups)
        return sims

    def exact(subset: list) -> np.ndarray:
        return np.vstack(_map_draws(lambda d: _group_totals(histories, *d, n_groups, kw), subset,
                                    len(histories.compact)))

    if len(histories.rfm) < SURROGATE_HISTORIES or len(draws) <= SURROGATE_FIT + SURROGATE_CHECK:
        return exact(draws)
    return _surrogate_totals(draws, exact)


#: Above this many distinct customer histories, most bootstrap draws are priced by a linear surrogate
#: (:func:`_surrogate_totals`) when it reproduces exactly priced draws.
SURROGATE_HISTORIES = 200_000
#: Draws priced exactly to fit the surrogate, and further ones priced exactly to check it.
SURROGATE_FIT, SURROGATE_CHECK = 16, 8
#: The surrogate is used only if it misses every check draw by less than this share of the draws' spread.
SURROGATE_TOLERANCE = 0.02


def _surrogate_totals(draws: list, exact) -> np.ndarray:
    """Group totals of every draw from a linear fit in the log-parameters, checked against exact draws.

    With many customers the parameters vary little between draws, so each group's total is linear in
    the log-parameters to high accuracy: the first ``SURROGATE_FIT`` draws are priced exactly and a
    least-squares plane fitted through them; the next ``SURROGATE_CHECK`` are priced exactly and
    compared with the plane. When every check is within ``SURROGATE_TOLERANCE`` of the draws' spread,
    the remaining draws take the plane's value (exact ones keep theirs); otherwise every draw is
    priced exactly. A Pareto/NBD draw for two million customers costs ~35 s in some parameter regions
    (its hypergeometric functions), so 200 exact draws would take hours.
    """
    k = SURROGATE_FIT + SURROGATE_CHECK
    X = np.column_stack([np.ones(len(draws)), _log_parameters(draws)])
    priced = exact(draws[:k])
    coef, *_ = np.linalg.lstsq(X[:SURROGATE_FIT], priced[:SURROGATE_FIT], rcond=None)
    miss = np.abs(X[SURROGATE_FIT:k] @ coef - priced[SURROGATE_FIT:k])
    spread = priced.std(axis=0, ddof=1)
    if np.all(miss <= SURROGATE_TOLERANCE * np.where(spread > 0, spread, np.inf)):
        return np.vstack([priced, X[k:] @ coef])
    return np.vstack([priced, exact(draws[k:])])


def _log_parameters(draws: list) -> np.ndarray:
    """Log of each draw's purchase (and spend) model parameters, shape (n_draws, k)."""
    rows = []
    for pm, sm in draws:
        params = pm.params_.to_numpy() if sm is None else np.concatenate([pm.params_, sm.params_])
        rows.append(np.log(params))
    return np.asarray(rows)


def _interval_table(sims: np.ndarray, point: np.ndarray, labels: Any, sizes: np.ndarray, add_total: bool,
                    level: float) -> pd.DataFrame:
    """Point, SE and central ``level`` range per group from draws of shape (n_draws, n_groups)."""
    names = [str(x) for x in labels]
    if add_total:  # from the same draws: the interval of a sum is not the sum of the intervals
        sims = np.column_stack([sims, sims.sum(axis=1)])
        point = np.append(point, point.sum())
        names.append("total")
        sizes = np.append(sizes, sizes.sum())
    lo, hi = np.quantile(sims, [(1 - level) / 2, (1 + level) / 2], axis=0)
    return pd.DataFrame({"group": names, "customers": sizes, "clv": point, "se": sims.std(axis=0, ddof=1),
                         "lower": lo, "upper": hi})


def _distinct_rows(summary: pd.DataFrame, codes: np.ndarray, spend_model: GammaGammaModel | None,
                   exact: bool) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """The (frequency, recency, T, monetary_value) rows to evaluate, their group codes and counts.

    Customers with identical histories in the same group have identical expected CLV in every draw,
    so for expected values each distinct (group, x, t_x, T, m) is evaluated once and weighted by its
    count; simulated futures differ customer by customer (``exact``), so every row is kept.
    """
    from cvkit.clv.models.base import compress_rows
    cols = (summary["frequency"], summary["recency"], summary["T"], summary["monetary_value"])
    if exact:
        gc, x, t_x, T, m = (np.asarray(c) for c in (codes, *cols))
        counts = np.ones(len(summary))
    else:
        (gc, x, t_x, T, m), counts, _ = compress_rows(codes, *cols)
    compact = pd.DataFrame({"frequency": x, "recency": t_x, "T": T, "monetary_value": m})
    if spend_model is None:
        compact["total_amount"] = summary["total_amount"].sum() / max(summary["n_transactions"].sum(), 1)
        compact["n_transactions"] = 1
    return compact, gc.astype(np.int64), counts


class _Histories:
    """The rows to value, with each model quantity's distinct inputs found once for all draws.

    A customer's expected CLV is margin x expected spend (a function of x and m) x discounted expected
    purchases (of x, t_x and T). The purchase part is the costly one (Pareto/NBD's hypergeometric
    functions) and many rows share (x, t_x, T) while differing in m or group, so each draw evaluates it
    once per distinct (x, t_x, T).
    """

    def __init__(self, rows: tuple[pd.DataFrame, np.ndarray, np.ndarray]):
        from cvkit.clv.models.base import compress_rows
        self.compact, self.groups, self.counts = rows
        (x, t_x, T), _, self.history = compress_rows(*(self.compact[c] for c in ("frequency", "recency", "T")))
        self.rfm = pd.DataFrame({"frequency": x, "recency": t_x, "T": T})


def _group_totals(rows: _Histories, pm: PurchaseModel, sm: GammaGammaModel | None, n_groups: int,
                  kw: dict) -> np.ndarray:
    """Expected CLV summed per group (currency), shape (n_groups,)."""
    per_history = pm.expected_clv(rows.rfm, horizon_months=kw["horizon_months"],
                                  annual_discount_rate=kw["annual_discount_rate"])  # margin 1, spend 1
    clv = kw["margin"] * expected_spend(rows.compact, sm) * per_history[rows.history]
    return np.bincount(rows.groups, weights=clv * rows.counts, minlength=n_groups)


#: Above this many rows to value, the bootstrap draws are shared between threads (NumPy and SciPy
#: release the GIL in their array functions); below it, threads cost more than they save.
THREADED_ROWS = 100_000


def _map_draws(func, draws: list, n_rows: int) -> list[np.ndarray]:
    """``[func(d) for d in draws]``, on up to 4 threads for large bases (same result, draws in order)."""

    workers = min(4, os.cpu_count() or 1) if n_rows >= THREADED_ROWS else 1
    if workers == 1:
        return [func(d) for d in draws]
    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(func, draws))


def _model_draws(purchase_model: PurchaseModel, spend_model: GammaGammaModel | None, n_draws: int,
                 rng: np.random.Generator):
    """Yield (purchase model, spend model) pairs carrying parameter draws from their estimates' distribution."""
    p_draws = _parameter_draws(purchase_model, n_draws, int(rng.integers(2**31)))
    s_draws = _finite_spend_draws(spend_model, n_draws, rng) if spend_model is not None else [None] * n_draws
    for i in range(n_draws):
        sm = spend_model._with_params(s_draws[i]) if spend_model is not None else None
        yield purchase_model._with_params(p_draws[i]), sm


#: Customers per bootstrap refit (an m-out-of-n bootstrap above it): refitting a Pareto/NBD to two
#: million customers takes ~40 s, 200 refits hours; 50,000 customers pin 3-4 parameters down closely enough
#: for the spread to be rescaled (:meth:`LikelihoodModel.bootstrap_parameters`).
BOOTSTRAP_CUSTOMERS = 50_000


def _parameter_draws(model: Any, n_draws: int, seed: int) -> np.ndarray:
    """Draws from the estimates' asymptotic normal; a customer bootstrap when the fit gives no covariance.

    A fit whose observed information is not positive definite (``converged_`` False, ``cov_`` NaN)
    still has estimates worth valuing customers with; its uncertainty then comes from refits on
    resampled customers rather than from a curvature that does not exist.
    """
    if np.all(np.isfinite(model.cov_.to_numpy())):
        return model.sample_parameters(n_draws, seed=seed)
    return model.bootstrap_parameters(n_draws, seed=seed, max_customers=BOOTSTRAP_CUSTOMERS)


def _finite_spend_draws(spend_model: GammaGammaModel, n_draws: int, rng: np.random.Generator) -> np.ndarray:
    """``n_draws`` Gamma-Gamma parameter draws with a finite mean spend (q > 1).

    A draw with q <= 1 has an infinite expected spend; with few repeat buyers the normal approximation
    puts a little mass there. Those draws are set aside (the interval is conditional on a finite mean,
    the only case in which CLV exists); the model is refused only when most draws fall there.
    """
    q = list(spend_model._param_names).index("q")
    kept: list[np.ndarray] = []
    for _ in range(5):  # at least 20% of the draws must be usable
        batch = _parameter_draws(spend_model, n_draws, int(rng.integers(2**31)))
        kept.extend(batch[batch[:, q] > 1])
        if len(kept) >= n_draws:
            return np.asarray(kept[:n_draws])
    raise FitError("most bootstrap draws of the Gamma-Gamma model have q <= 1 (infinite mean spend): the spend "
                   "model is too uncertain for intervals. Fix: fit it on more repeat buyers, or report CLV "
                   "without intervals")


def simulate_future_value(
    summary: pd.DataFrame,
    purchase_model: PurchaseModel,
    spend_model: GammaGammaModel | None = None,
    *,
    horizon_months: float = 12.0,
    annual_discount_rate: float = 0.10,
    margin: float = 1.0,
    rng: np.random.Generator | int | None = None,
) -> np.ndarray:
    """One simulated future per customer: the discounted margin they actually bring over the horizon.

    Each customer is drawn active or not from P(alive); an active customer's
    latent purchase rate (and dropout) is drawn from their posterior given
    their history (:meth:`BetaGeoModel._draw_posterior`); purchases then
    arrive as a Poisson process until the customer drops out or the horizon
    ends. With a spend model each purchase is worth a Gamma(p, nu) draw, nu
    from the customer's posterior; without one, the mean purchase value.
    Averaged over many draws this equals ``expected_clv`` (same continuous
    discounting); its spread is the process variance of one customer.

    Returns
    -------
    ndarray, shape (n,)
        Discounted margin per customer (currency) in this draw.
    """
    rng = np.random.default_rng(rng)
    x = summary["frequency"].to_numpy(dtype=float)
    H = float(purchase_model.months_to_units(horizon_months))
    delta = np.log1p(annual_discount_rate) / float(purchase_model.months_to_units(12.0))
    alive, lam, p_drop, life = purchase_model._draw_posterior(x, summary["recency"].to_numpy(dtype=float),
                                                             summary["T"].to_numpy(dtype=float), rng)
    if spend_model is not None:
        nu = spend_model._draw_purchase_scale(x, summary["monetary_value"].to_numpy(dtype=float), rng)
        shape = float(spend_model.params_["p"])
    else:
        mean_spend = expected_spend(summary)
    end = np.minimum(life, H)
    value = np.zeros(len(x))
    clock = np.zeros(len(x))
    active = np.flatnonzero(alive & (lam > 0))
    while len(active):  # purchase by purchase over the customers still active inside the horizon
        clock[active] += rng.exponential(1.0, len(active)) / lam[active]
        active = active[clock[active] <= end[active]]
        spend = (rng.gamma(shape, 1.0 / nu[active]) if spend_model is not None else mean_spend[active])
        value[active] += np.exp(-delta * clock[active]) * spend
        active = active[rng.random(len(active)) >= p_drop[active]]
    return margin * value


#: Label of customers whose segment cell is blank in the customers file.
NOT_RECORDED = "not recorded"
#: Label of customers of the log that the customers file does not list.
NOT_IN_FILE = "not in customers file"


def attach_segment(values: pd.DataFrame, customers: pd.DataFrame, column: str) -> tuple[pd.DataFrame, list[str]]:
    """Join a customers column (and acquisition cost) to the customer value table, labelling the gaps.

    Customers of the log absent from the customers file and customers whose cell is blank are
    different facts, so they get different labels (:data:`NOT_IN_FILE`, :data:`NOT_RECORDED`)
    instead of one "unknown"; a categorical column (as Parquet stores labels) is read as text.

    Parameters
    ----------
    values : DataFrame
        One row per customer with ``customer_id`` (the CLV table).
    customers : DataFrame
        The customers file, one row per customer.
    column : str
        The customers column to break value down by.

    Returns
    -------
    (DataFrame, list of str)
        ``values`` with ``column`` (text, gaps labelled) and ``acquisition_cost`` (float, NaN when
        not given), and one sentence per kind of gap found (empty when there is none).

    Raises
    ------
    ValueError
        When ``column`` is not a column of ``customers``.
    """
    if column not in customers.columns:
        raise ValueError(f"segment_column = {column!r} is not a column of the customers file "
                         f"(columns: {', '.join(map(str, customers.columns))}). Fix: set it to one of them or to ''.")
    side = pd.DataFrame({"customer_id": customers["customer_id"].astype(str),
                         column: customers[column].astype("string"),
                         "acquisition_cost": (pd.to_numeric(customers["acquisition_cost"], errors="coerce")
                                              if "acquisition_cost" in customers.columns else np.nan)})
    joined = values.merge(side, on="customer_id", how="left", indicator=True)
    absent = joined["_merge"].eq("left_only")
    blank = ~absent & joined[column].isna()
    joined[column] = joined[column].mask(absent, NOT_IN_FILE).fillna(NOT_RECORDED).astype(str)
    notes = []
    if absent.any():
        notes.append(f"{int(absent.sum()):,} customers of the log are not in the customers file: "
                     f"shown as '{NOT_IN_FILE}'.")
    if blank.any():
        notes.append(f"{int(blank.sum()):,} customers have no {column.replace('_', ' ')} recorded: "
                     f"shown as '{NOT_RECORDED}'.")
    return joined.drop(columns="_merge"), notes


def decile_table(values: pd.DataFrame) -> pd.DataFrame:
    """Customers, mean P(alive) and purchases, and total CLV per CLV decile, with each decile's share.

    Parameters
    ----------
    values : DataFrame
        :func:`customer_value_table` (``clv_decile``, ``customer_id``, ``p_alive``,
        ``expected_purchases``, ``clv``, ``lifetime_value``).

    Returns
    -------
    DataFrame
        Index ``clv_decile``; columns ``customers``, ``p_alive``, ``expected_purchases`` (means),
        ``clv``, ``lifetime_value`` (sums, currency), ``clv_share``.
    """
    deciles = values.groupby("clv_decile").agg(
        customers=("customer_id", "size"), p_alive=("p_alive", "mean"),
        expected_purchases=("expected_purchases", "mean"), clv=("clv", "sum"),
        lifetime_value=("lifetime_value", "sum"))
    deciles["clv_share"] = deciles["clv"] / deciles["clv"].sum()
    return deciles
