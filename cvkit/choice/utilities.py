"""Respondent-level utilities and what analysts read from them.

:class:`Utilities` is the common currency of the results steps: one row per
respondent, one column per ``<attribute>.<level>`` (the *level basis*: the
utility of each level; for a linear price, ``beta * price`` at the design's
price points), interaction cells and ``none``. Every estimator returns one
(``model.utilities()``) and :meth:`Utilities.from_export` reads the Sawtooth
HB export shape, so importances, WTP and the simulator work the same way on
cvkit's estimates and on another tool's.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from cvkit.choice.spec import ChoiceSpec, as_spec, iter_level_names, level_key
from cvkit.exceptions import ChoiceWarning, DataError, Problem

__all__ = ["Utilities", "zero_centered_diffs", "importances", "importance_summary", "partworth_table", "wtp",
           "price_slope"]


class Utilities:
    """Respondent-level part-worths in the level basis.

    Parameters
    ----------
    spec : ChoiceSpec
    values : DataFrame, shape (N, L)
        Index ``respondent_id``; columns :attr:`ChoiceSpec.level_columns`;
        raw logit-scale utilities.
    mean, cov : ndarray, optional
        Population mean (L,) and its covariance (L, L) (aggregate MNL: the
        estimates and their delta-method covariance).
    draws : ndarray, shape (D, L), optional
        Posterior draws of the population mean (HB).
    respondent_draws : ndarray, shape (R, N, L), optional
        Posterior draws of each respondent's part-worths (HB).
    weights : ndarray, shape (N,), optional
        Respondent weights for population summaries and the simulator.
    source : str
        ``"mnl"``, ``"hb"``, ``"latent_class"`` or ``"import"``.
    """

    def __init__(self, spec: ChoiceSpec, values: pd.DataFrame, *, mean: np.ndarray | None = None,
                 cov: np.ndarray | None = None, draws: np.ndarray | None = None,
                 respondent_draws: np.ndarray | None = None, weights: np.ndarray | None = None,
                 source: str = ""):
        self.spec = spec
        self.values = values
        self.mean = mean
        self.cov = cov
        self.draws = draws
        self.respondent_draws = respondent_draws
        self.weights = None if weights is None else np.asarray(weights, float)
        self.source = source

    @property
    def respondent_ids(self) -> np.ndarray:
        return self.values.index.to_numpy()

    def __len__(self) -> int:
        return len(self.values)

    def population_mean(self) -> np.ndarray:
        """Population mean part-worths (L,): the model's mean, else the (weighted) respondent mean."""
        if self.draws is not None:
            return self.draws.mean(axis=0)
        if self.mean is not None:
            return np.asarray(self.mean)
        return np.average(self.values.to_numpy(), axis=0, weights=self.weights)

    def population_cov(self) -> np.ndarray:
        """Covariance (L, L) of the population mean estimate (posterior, delta-method or sampling)."""
        if self.draws is not None:
            return np.cov(self.draws.T)
        if self.cov is not None:
            return np.asarray(self.cov)
        v = self.values.to_numpy()
        return np.cov(v.T) / len(v)

    # ------------------------------------------------------------------ import
    @classmethod
    def from_export(cls, df: pd.DataFrame, spec: ChoiceSpec | Mapping, *, name: str = "utilities",
                    **spec_options: Any) -> "Utilities":
        """Read respondent utilities exported by another tool (Sawtooth HB export shape).

        Parameters
        ----------
        df : DataFrame
            ``respondent_id`` plus one column per ``<attribute>.<level>``
            (every level of every attribute, including each price point) and an
            optional ``none``. Extra columns such as ``RLH`` are ignored.
        spec : ChoiceSpec or dict
            The attribute definitions the columns must match.
        name : str
            File name for messages.

        Raises
        ------
        cvkit.data.DataError
            When columns are missing or name unknown attributes/levels, or
            values are not numeric.
        """
        spec = as_spec(spec, **spec_options)
        if "respondent_id" not in df.columns:
            raise DataError(Problem(name, f"no respondent_id column (found {list(df.columns)[:8]}).",
                                    "name the respondent column respondent_id (or map it in engagement.yaml)."))
        expected = [c for c in spec.level_columns if c != "none"]
        attr_cols = [c for c in df.columns if "." in str(c)]
        missing = [c for c in expected if c not in df.columns]
        unknown = [c for c in attr_cols if c not in expected]
        problems = []
        if missing:
            problems.append(Problem(name, f"column(s) {missing} required by the attribute definitions are "
                                    "missing.", "export one column per attribute level named "
                                    "<attribute>.<level> (e.g. 'fee.29'), or correct the attribute definitions "
                                    "to the levels of the file."))
        if unknown:
            problems.append(Problem(name, f"column(s) {unknown} name attribute levels that are not in the "
                                    f"attribute definitions {spec.level_columns}.",
                                    "rename them to match the definitions (check spelling and case) or add the "
                                    "levels to the definitions."))
        if spec.none and "none" not in df.columns:
            problems.append(Problem(name, "the attribute definitions include a none option but the file has no "
                                    "`none` column.", "export the None utility as `none`, or set none = False."))
        if problems:
            raise DataError(problems)
        values = df[expected + (["none"] if spec.none else [])].apply(pd.to_numeric, errors="coerce")
        bad = values.isna().any(axis=1)
        if bad.any():
            raise DataError(Problem(name, "some utilities are empty or not numbers.",
                                    "fill in every level's utility for every respondent.",
                                    rows=(np.flatnonzero(bad.to_numpy()) + 1).tolist(), n_rows=int(bad.sum())))
        values.index = pd.Index(df["respondent_id"].astype(str), name="respondent_id")
        return cls(spec, values, source="import")

    # ------------------------------------------------------------------ summaries
    def zero_centered_diffs(self) -> pd.DataFrame:
        """See :func:`zero_centered_diffs`."""
        return zero_centered_diffs(self)

    def importances(self) -> pd.DataFrame:
        """See :func:`importances`."""
        return importances(self)

    def partworth_table(self, level: float = 0.95) -> pd.DataFrame:
        """See :func:`partworth_table`."""
        return partworth_table(self, level)

    def wtp(self, **kwargs: Any) -> pd.DataFrame:
        """See :func:`wtp`."""
        return wtp(self, **kwargs)


def _ranges(values: np.ndarray, spec: ChoiceSpec) -> np.ndarray:
    sl = spec.attribute_level_slices()
    return np.column_stack([np.ptp(values[:, s], axis=1) for s in sl.values()])


def zero_centered_diffs(u: Utilities) -> pd.DataFrame:
    """Sawtooth-style zero-centred diffs per respondent.

    Each respondent's part-worths are centred within each attribute, then all
    (``none`` included) are multiplied by one factor so the attribute ranges
    sum to ``100 x number of attributes``. ``none`` is shifted by the same
    centring as the attributes, so relative utilities (and first choices) are
    unchanged. A linear price appears as its values at the design's price points.

    Returns
    -------
    DataFrame, shape (N, L)
        Index ``respondent_id``; interaction cells are dropped.
    """
    spec = u.spec
    sl = spec.attribute_level_slices()
    v = u.values.to_numpy().copy()
    shift = np.zeros(len(v))
    for s in sl.values():
        m = v[:, s].mean(axis=1)
        v[:, s] -= m[:, None]
        shift += m
    cols = [c for a in sl for c in spec.level_columns[sl[a]]]
    n_lv = sum(s.stop - s.start for s in sl.values())
    total = _ranges(v, spec).sum(axis=1)
    factor = np.where(total > 0, 100.0 * len(sl) / np.where(total > 0, total, 1), 0.0)
    out = pd.DataFrame(v[:, :n_lv] * factor[:, None], index=u.values.index, columns=cols)
    if spec.none:
        out["none"] = (u.values["none"].to_numpy() - shift) * factor
    return out


def importances(u: Utilities) -> pd.DataFrame:
    """Attribute importance per respondent: range of the attribute's part-worths / sum of ranges.

    Returns
    -------
    DataFrame, shape (N, A)
        Percentages (rows sum to 100), index ``respondent_id``. Average the rows
        (``.mean()``) for the usual importance chart: per respondent first, then
        averaged, as Sawtooth does.
    """
    r = _ranges(u.values.to_numpy(), u.spec)
    tot = r.sum(axis=1, keepdims=True)
    return pd.DataFrame(100 * r / np.where(tot > 0, tot, 1), index=u.values.index,
                        columns=list(u.spec.attribute_level_slices()))


def importance_summary(u: Utilities, level: float = 0.95) -> pd.DataFrame:
    """Mean importance per attribute with the spread across respondents.

    Returns
    -------
    DataFrame
        ``attribute``, ``importance`` (mean %, weighted by respondent weights),
        ``lower``/``upper`` (normal interval of that mean), ``p10``/``p90``
        (respondent spread), sorted by importance.
    """
    imp = importances(u)
    w = np.ones(len(imp)) if u.weights is None else u.weights
    mean = np.average(imp.to_numpy(), axis=0, weights=w)
    se = imp.std(ddof=1).to_numpy() / np.sqrt(len(imp)) if len(imp) > 1 else np.zeros(len(mean))
    q = stats.norm.ppf(0.5 + level / 2)
    out = pd.DataFrame({"attribute": imp.columns, "importance": mean, "lower": mean - q * se,
                        "upper": mean + q * se, "p10": imp.quantile(0.10).to_numpy(),
                        "p90": imp.quantile(0.90).to_numpy()})
    return out.sort_values("importance", ascending=False, ignore_index=True)


def partworth_table(u: Utilities, level: float = 0.95) -> pd.DataFrame:
    """Population part-worths per level with intervals and the respondent spread.

    Intervals are posterior quantiles (HB), normal intervals from the
    covariance (MNL, delta method), or normal intervals of the respondent mean
    (imported utilities).

    Returns
    -------
    DataFrame
        ``attribute``, ``level``, ``column``, ``estimate``, ``lower``, ``upper``,
        ``respondent_sd``.
    """
    spec = u.spec
    cols = spec.level_columns
    mean = u.population_mean()
    if u.draws is not None:
        lo, hi = np.quantile(u.draws, [0.5 - level / 2, 0.5 + level / 2], axis=0)
    else:
        se = np.sqrt(np.clip(np.diag(u.population_cov()), 0, None))
        q = stats.norm.ppf(0.5 + level / 2)
        lo, hi = mean - q * se, mean + q * se
    sd = u.values.std(ddof=1).to_numpy() if len(u) > 1 else np.zeros(len(cols))
    rows = []
    names = {c: (a, x) for a, x, c in iter_level_names(spec)}
    for i, c in enumerate(cols):
        a, x = names.get(c, (c.split(".")[0] if c != "none" else "none", c))
        rows.append({"attribute": a, "level": x if c != "none" else "none", "column": c, "estimate": mean[i],
                     "lower": lo[i], "upper": hi[i], "respondent_sd": sd[i]})
    return pd.DataFrame(rows)


def price_slope(spec: ChoiceSpec, level_values: np.ndarray) -> np.ndarray:
    """Utility per currency unit of the price attribute, from level-basis values (..., L).

    For a linear price this is its coefficient; for a piecewise price the
    average slope over the price range (last minus first point over the range).
    """
    if spec.price is None:
        raise ValueError("no price attribute in the attribute definitions. Fix: set price='<attribute>' to "
                         "compute willingness to pay.")
    s = spec.attribute_level_slices()[spec.price]
    prices = np.asarray(spec.levels(spec.price), float)
    if len(prices) < 2:
        raise ValueError(f"price attribute {spec.price!r} needs at least two price points to compute WTP. "
                         "Fix: list the design's price points as its levels.")
    order = np.argsort(prices)
    v = np.asarray(level_values)[..., s][..., order]
    return (v[..., -1] - v[..., 0]) / (prices[order][-1] - prices[order][0])


def _warn_price(slope: float, se: float | None, spec: ChoiceSpec) -> None:
    if slope >= 0:
        warnings.warn(f"the price coefficient of {spec.price!r} is not negative ({slope:.4g} per unit): higher "
                      "prices look attractive, so willingness to pay is meaningless (shown as NaN). Fix: check the "
                      "price coding and data (a price shown as a quality signal, or reversed levels); use a "
                      "piecewise price or constrain it.", ChoiceWarning, stacklevel=3)
    elif se is not None and abs(slope) < 2 * se:
        warnings.warn(f"the price coefficient of {spec.price!r} ({slope:.4g} per unit) is not significantly "
                      "different from zero, so willingness-to-pay ratios are unstable (huge and wide). Fix: read "
                      "WTP from simulations, widen the price range in the next design, or report importances "
                      "instead.", ChoiceWarning, stacklevel=3)


def wtp(u: Utilities, *, level: float = 0.95, upgrades: Sequence[tuple[str, Any, Any]] | None = None
        ) -> pd.DataFrame:
    """Willingness to pay as the ratio of utility differences to the price coefficient.

    For every non-price attribute, WTP of each level relative to the
    attribute's first (reference) level, plus any extra ``upgrades``
    ``(attribute, from_level, to_level)``; in currency units of the price
    attribute. Intervals: posterior quantiles of the ratio over population
    draws (HB), the delta method (MNL) or the delta method on the respondent
    mean (imported utilities).

    Returns
    -------
    DataFrame
        ``attribute``, ``from_level``, ``to_level``, ``utility_diff``, ``wtp``,
        ``lower``, ``upper``.

    Warns
    -----
    ChoiceWarning
        When the price coefficient is not negative or not distinguishable from 0.
    """
    spec = u.spec
    cols = spec.level_columns
    pos = {c: i for i, c in enumerate(cols)}
    pairs = []
    for a in spec.attributes:
        if a == spec.price:
            continue
        lv = spec.levels(a)
        pairs += [(a, lv[0], x) for x in lv[1:]]
    pairs += list(upgrades or [])
    mean = u.population_mean()
    slope = float(price_slope(spec, mean))
    # gradient of the slope w.r.t. the level values (linear map)
    grad_slope = np.zeros(len(cols))
    prices = np.asarray(spec.levels(spec.price), float)
    s = spec.attribute_level_slices()[spec.price]
    lo_i, hi_i = s.start + int(np.argmin(prices)), s.start + int(np.argmax(prices))
    grad_slope[hi_i] += 1 / (prices.max() - prices.min())
    grad_slope[lo_i] -= 1 / (prices.max() - prices.min())
    cov = None if u.draws is not None else u.population_cov()
    se_slope = float(np.sqrt(grad_slope @ cov @ grad_slope)) if cov is not None else float(
        np.std(price_slope(spec, u.draws), ddof=1))
    _warn_price(slope, se_slope, spec)
    q = stats.norm.ppf(0.5 + level / 2)
    rows = []
    for a, x0, x1 in pairs:
        c0, c1 = f"{a}.{level_key(x0)}", f"{a}.{level_key(x1)}"
        for c in (c0, c1):
            if c not in pos:
                raise ValueError(f"upgrade ({a!r}, {x0!r}, {x1!r}): level column {c!r} is not in the attribute "
                                 f"definitions. Fix: use levels from {spec.levels(a) if a in spec.attributes else []}.")
        d = mean[pos[c1]] - mean[pos[c0]]
        if slope >= 0:
            w_, lo, hi = np.nan, np.nan, np.nan
        elif u.draws is not None:
            dd = u.draws[:, pos[c1]] - u.draws[:, pos[c0]]
            sl = price_slope(spec, u.draws)
            ratio = np.where(sl < 0, -dd / np.where(sl < 0, sl, -1), np.nan)
            w_ = -d / slope
            lo, hi = np.nanquantile(ratio, [0.5 - level / 2, 0.5 + level / 2])
        else:
            g_d = np.zeros(len(cols))
            g_d[pos[c1]], g_d[pos[c0]] = 1.0, -1.0
            w_ = -d / slope
            grad = -g_d / slope + d * grad_slope / slope ** 2
            se = float(np.sqrt(max(grad @ cov @ grad, 0.0)))
            lo, hi = w_ - q * se, w_ + q * se
        rows.append({"attribute": a, "from_level": x0, "to_level": x1, "utility_diff": d, "wtp": w_,
                     "lower": lo, "upper": hi})
    return pd.DataFrame(rows)
