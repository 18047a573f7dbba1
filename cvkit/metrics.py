"""Customer value formulas in one documented place.

Loyalty and satisfaction scores with honest uncertainty (NPS with its
trinomial standard error, CSAT top-box shares), group tables with minimum-base
flags, the value formulas of customer-value management (value difference,
value ratio, economic value estimation) and the simple retention / CLV
formulas used by the CLV notebook.

Conventions
-----------
* NPS is in **points** (-100 .. 100); shares are fractions (0 .. 1).
* Scores outside their scale raise :class:`ValueError` naming the bad values
  and where they are; missing scores are dropped and counted (``n_missing``).
* Respondent weights are supported everywhere a share is computed; standard
  errors then use Kish's effective sample size ``(sum w)^2 / sum w^2``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

__all__ = [
    "NPSResult", "NPSDifference", "CSATResult", "EVEResult",
    "nps", "nps_difference", "csat", "by_group",
    "value_difference", "value_ratio", "economic_value",
    "retention_rate", "churn_rate", "simple_clv", "clv_to_cac", "holm_adjust",
    "paired_difference", "brand_pairs", "brand_pair_difference",
]

ArrayLike = Any  # numbers, sequences, numpy arrays or pandas Series


# --------------------------------------------------------------------------- helpers

def _clean_scores(scores: ArrayLike, weights: ArrayLike | None, lo: float, hi: float, what: str,
                  integer: bool = True) -> tuple[np.ndarray, np.ndarray, int]:
    """Validated scores and weights with missing scores dropped; also the number dropped."""
    try:  # fast path: already numeric (pandas nullable NA becomes NaN)
        x = pd.Series(scores).to_numpy(dtype=float, na_value=np.nan).ravel() if isinstance(scores, pd.Series) \
            else np.asarray(scores, dtype=float).ravel()
    except (TypeError, ValueError):
        raw = pd.Series(np.asarray(scores, dtype=object).ravel())
        num = pd.to_numeric(raw, errors="coerce")
        blank = raw.isna() | raw.astype(str).str.strip().isin(["", "nan", "NaN", "None", "<NA>"])
        not_numeric = num.isna() & ~blank
        if not_numeric.any():
            bad = raw[not_numeric].unique()[:5]
            raise ValueError(f"{what}: non-numeric scores {list(bad)} at positions "
                             f"{np.flatnonzero(not_numeric.to_numpy())[:5].tolist()}; fix: recode them to "
                             f"numbers on the {lo:g}-{hi:g} scale or to missing") from None
        x = num.to_numpy(dtype=float)
    if weights is None:
        w = np.ones_like(x)
    else:
        w = np.asarray(weights, dtype=float).ravel()
        if w.shape != x.shape:
            raise ValueError(f"{what}: {w.size} weights for {x.size} scores; fix: give one weight per score")
        if np.any(~np.isfinite(w)) or np.any(w < 0):
            pos = np.flatnonzero(~np.isfinite(w) | (w < 0))[:5]
            raise ValueError(f"{what}: weights must be finite and >= 0 (bad at positions {pos.tolist()}); "
                             f"fix: clean the weight column")
    missing = np.isnan(x)
    x, w = x[~missing], w[~missing]
    out = (x < lo) | (x > hi) | (integer & (np.round(x) != x))
    if out.any():
        bad = np.unique(x[out])[:5]
        raise ValueError(f"{what}: scores {bad.tolist()} are outside the {lo:g}-{hi:g} scale "
                         f"({int(out.sum())} values{', whole numbers expected' if integer else ''}); "
                         f"fix: check the coding of the question (e.g. 1-11 exported instead of 0-10) "
                         f"and recode or set the bad values to missing")
    return x, w, int(missing.sum())


def _kish(w: np.ndarray) -> float:
    """Kish's effective sample size of a set of weights."""
    sw2 = float(np.sum(w ** 2))
    return float(np.sum(w)) ** 2 / sw2 if sw2 > 0 else 0.0


def _z(level: float) -> float:
    if not 0 < level < 1:
        raise ValueError(f"confidence level {level} must be between 0 and 1, e.g. 0.95")
    return float(stats.norm.ppf(0.5 + level / 2))


# --------------------------------------------------------------------------- NPS

@dataclass(frozen=True)
class NPSResult:
    """Net Promoter Score with its uncertainty.

    Attributes
    ----------
    nps : float
        Share of promoters (9-10) minus share of detractors (0-6), in points (-100..100).
    promoters, passives, detractors : float
        Weighted shares (0..1) of scores 9-10, 7-8 and 0-6.
    n : int
        Number of non-missing scores.
    n_effective : float
        Kish effective sample size (equals ``n`` without weights).
    n_missing : int
        Scores dropped because they were missing.
    se : float
        Standard error of the NPS in points, from the trinomial variance
        ``(p + d - (p - d)^2) / n``.
    ci_low, ci_high : float
        Confidence interval in points (clipped to -100..100).
    level : float
        Confidence level of the interval.
    method : str
        ``"wald"`` or ``"adjusted"`` (see :func:`nps`).
    flag : str
        Empty when the interval is trustworthy; otherwise why it is not.
    """

    nps: float
    promoters: float
    passives: float
    detractors: float
    n: int
    n_effective: float
    n_missing: int
    se: float
    ci_low: float
    ci_high: float
    level: float
    method: str
    flag: str = ""

    def as_dict(self) -> dict[str, Any]:
        """Fields as a plain dict (for tables and results files)."""
        return asdict(self)

    def __str__(self) -> str:
        return (f"NPS {self.nps:+.1f} ({self.level:.0%} CI {self.ci_low:+.1f} to {self.ci_high:+.1f}; "
                f"n = {self.n})" + (f" [{self.flag}]" if self.flag else ""))


def nps(scores: ArrayLike, weights: ArrayLike | None = None, *, level: float = 0.95,
        method: str = "wald", min_n: int = 30) -> NPSResult:
    """Net Promoter Score with a confidence interval from the trinomial variance.

    Parameters
    ----------
    scores : array-like, shape (n,)
        Likelihood-to-recommend answers on the 0-10 scale (whole numbers);
        missing values are dropped and counted.
    weights : array-like, shape (n,), optional
        Respondent weights (>= 0). Shares are weighted; the standard error uses
        Kish's effective sample size.
    level : float, default 0.95
        Confidence level.
    method : {"wald", "adjusted"}
        ``"wald"``: NPS +- z * SE with ``SE^2 = (p + d - (p - d)^2) / n`` (p, d
        promoter and detractor shares). ``"adjusted"``: the same after adding one
        pseudo-respondent to each of the three groups, which keeps the interval
        from collapsing to zero width when every respondent is in one group
        (small samples, all promoters).
    min_n : int, default 30
        Below this many respondents the result is flagged as a low base.

    Returns
    -------
    NPSResult

    Raises
    ------
    ValueError
        Scores outside 0-10 or not whole numbers; no non-missing score.

    Examples
    --------
    >>> r = nps([10, 9, 8, 7, 6, 0, 10, 9])
    >>> round(r.nps, 1)
    25.0
    """
    if method not in ("wald", "adjusted"):
        raise ValueError(f"method={method!r} is unknown; fix: use 'wald' or 'adjusted'")
    x, w, n_missing = _clean_scores(scores, weights, 0, 10, "NPS scores")
    if x.size == 0 or w.sum() == 0:
        raise ValueError("NPS scores: no non-missing score (or all weights zero); fix: check that the "
                         "likelihood-to-recommend column is filled for this group")
    sw = w.sum()
    p = float(w[x >= 9].sum() / sw)
    d = float(w[x <= 6].sum() / sw)
    neutral = max(0.0, 1.0 - p - d)
    n_eff = _kish(w)
    if method == "adjusted":
        pa, da, ne = (p * n_eff + 1) / (n_eff + 3), (d * n_eff + 1) / (n_eff + 3), n_eff + 3
    else:
        pa, da, ne = p, d, n_eff
    var = max(pa + da - (pa - da) ** 2, 0.0) / ne
    se = 100.0 * np.sqrt(var)
    centre = 100.0 * (pa - da)
    z = _z(level)
    flags = []
    if x.size < min_n:
        flags.append(f"low base: n = {x.size} < {min_n}")
    if se == 0:
        flags.append("all respondents in one group (e.g. all promoters): the Wald interval has zero "
                     "width; use method='adjusted'")
    return NPSResult(nps=100.0 * (p - d), promoters=p, passives=neutral, detractors=d, n=int(x.size),
                     n_effective=n_eff, n_missing=n_missing, se=float(se),
                     ci_low=float(max(-100.0, centre - z * se)), ci_high=float(min(100.0, centre + z * se)),
                     level=level, method=method, flag="; ".join(flags))


@dataclass(frozen=True)
class NPSDifference:
    """Difference between two independent NPS values (a - b), in points.

    Attributes
    ----------
    difference, se : float
        NPS(a) - NPS(b) and its standard error, in points.
    z, p_value : float
        Two-sided z-test of no difference (``p_value`` = 1 when both SEs are 0
        and the NPS are equal, 0 when they differ).
    ci_low, ci_high : float
        Confidence interval of the difference, in points.
    level : float
    a, b : NPSResult
    """

    difference: float
    se: float
    z: float
    p_value: float
    ci_low: float
    ci_high: float
    level: float
    a: NPSResult = field(repr=False)
    b: NPSResult = field(repr=False)

    @property
    def significant(self) -> bool:
        """True when the interval excludes zero at the chosen level."""
        return self.p_value < 1 - self.level


def nps_difference(a: ArrayLike | NPSResult, b: ArrayLike | NPSResult, *, level: float = 0.95,
                   weights_a: ArrayLike | None = None, weights_b: ArrayLike | None = None) -> NPSDifference:
    """Test the difference between the NPS of two independent groups.

    Uses the z-test with trinomial variances: ``SE^2 = SE_a^2 + SE_b^2``.
    The groups must be different respondents (e.g. two brands' customers, two
    waves); for the same respondents rating two brands the test is
    conservative if their answers are positively correlated.

    Parameters
    ----------
    a, b : array-like of 0-10 scores, or NPSResult
    level : float, default 0.95
    weights_a, weights_b : array-like, optional
        Respondent weights when raw scores are given.

    Returns
    -------
    NPSDifference
    """
    ra = a if isinstance(a, NPSResult) else nps(a, weights_a, level=level)
    rb = b if isinstance(b, NPSResult) else nps(b, weights_b, level=level)
    diff = ra.nps - rb.nps
    se = float(np.hypot(ra.se, rb.se))
    z = _z(level)
    if se > 0:
        zstat = diff / se
        p_value = float(2 * stats.norm.sf(abs(zstat)))
    else:  # both groups unanimous: the difference is known exactly
        zstat = 0.0 if diff == 0 else float(np.sign(diff) * np.inf)
        p_value = 1.0 if diff == 0 else 0.0
    return NPSDifference(difference=diff, se=se, z=zstat, p_value=p_value, ci_low=diff - z * se,
                         ci_high=diff + z * se, level=level, a=ra, b=rb)


# --------------------------------------------------------------------------- CSAT

@dataclass(frozen=True)
class CSATResult:
    """Customer satisfaction summary.

    Attributes
    ----------
    csat : float
        Headline CSAT: share (0..1) in the top-2 box (on 1-10, the share of 7-10).
    top_box, top2_box : float
        Shares (0..1) at or above ``top_box_from`` and ``top2_box_from``.
    mean : float
        Mean score on the original scale.
    se : float
        Standard error of ``csat`` (binomial, effective n).
    ci_low, ci_high : float
        Wilson interval of ``csat``.
    n, n_missing : int
    n_effective : float
    top_box_from, top2_box_from : float
        The box thresholds used.
    scale : tuple of float
    flag : str
    """

    csat: float
    top_box: float
    top2_box: float
    mean: float
    se: float
    ci_low: float
    ci_high: float
    n: int
    n_effective: float
    n_missing: int
    top_box_from: float
    top2_box_from: float
    scale: tuple[float, float]
    level: float
    flag: str = ""

    def as_dict(self) -> dict[str, Any]:
        """Fields as a plain dict."""
        return asdict(self)


def default_boxes(scale: tuple[float, float]) -> tuple[float, float]:
    """Default (top box, top-2 box) lower thresholds for a rating scale.

    On 10- and 11-point scales the top box is the top two points (9-10) and the
    top-2 box the top four (7-10, the seed methodology's "satisfied"); on
    shorter scales (e.g. 1-5, 1-7) they are the top one and two points.
    """
    lo, hi = scale
    if hi - lo >= 8:
        return hi - 1, hi - 3
    return hi, hi - 1


def csat(scores: ArrayLike, scale: tuple[float, float] = (1, 10), top_box: float | None = None,
         top2_box: float | None = None, weights: ArrayLike | None = None, *, level: float = 0.95,
         min_n: int = 30) -> CSATResult:
    """Satisfaction as top-box shares and mean.

    Parameters
    ----------
    scores : array-like, shape (n,)
        Satisfaction ratings on ``scale`` (whole numbers).
    scale : (low, high), default (1, 10)
        The rating scale.
    top_box, top2_box : float, optional
        Lowest score counted in the top box and in the top-2 box. Defaults from
        :func:`default_boxes`: on 1-10, top box 9-10 and top-2 box 7-10.
    weights : array-like, optional
        Respondent weights.
    level : float, default 0.95
    min_n : int, default 30
        Results from fewer respondents are flagged.

    Returns
    -------
    CSATResult
    """
    lo, hi = scale
    if not lo < hi:
        raise ValueError(f"scale={scale} must be (low, high) with low < high, e.g. (1, 10)")
    d_top, d_top2 = default_boxes(scale)
    top_box = d_top if top_box is None else top_box
    top2_box = d_top2 if top2_box is None else top2_box
    if not lo <= top2_box <= top_box <= hi:
        raise ValueError(f"box thresholds top2_box={top2_box}, top_box={top_box} must satisfy "
                         f"{lo} <= top2_box <= top_box <= {hi}")
    x, w, n_missing = _clean_scores(scores, weights, lo, hi, "satisfaction scores")
    if x.size == 0 or w.sum() == 0:
        raise ValueError("satisfaction scores: no non-missing score; fix: check the satisfaction column "
                         "is filled for this group")
    sw = w.sum()
    t1 = float(w[x >= top_box].sum() / sw)
    t2 = float(w[x >= top2_box].sum() / sw)
    n_eff = _kish(w)
    se = float(np.sqrt(t2 * (1 - t2) / n_eff))
    z = _z(level)
    # Wilson interval: stays inside 0..1 and keeps its width when everyone is satisfied.
    denom = 1 + z ** 2 / n_eff
    centre = (t2 + z ** 2 / (2 * n_eff)) / denom
    half = z * np.sqrt(t2 * (1 - t2) / n_eff + z ** 2 / (4 * n_eff ** 2)) / denom
    flag = f"low base: n = {x.size} < {min_n}" if x.size < min_n else ""
    return CSATResult(csat=t2, top_box=t1, top2_box=t2, mean=float(np.average(x, weights=w)), se=se,
                      ci_low=float(max(0.0, centre - half)), ci_high=float(min(1.0, centre + half)),
                      n=int(x.size), n_effective=n_eff, n_missing=n_missing, top_box_from=top_box,
                      top2_box_from=top2_box, scale=(lo, hi), level=level, flag=flag)


# --------------------------------------------------------------------------- group tables

def _group_estimate(row: dict[str, Any], scores: pd.Series, w: pd.Series | None, metric: str, *, min_n: int,
                    scale: tuple[float, float], top_box: float | None, top2_box: float | None, level: float,
                    label: str) -> str:
    """One group's NPS, CSAT or mean with its interval, written into ``row``; returns the base flag."""
    if metric == "nps":
        r = nps(scores, w, level=level, min_n=min_n)
        row.update(value=r.nps, se=r.se, ci_low=r.ci_low, ci_high=r.ci_high, promoters=r.promoters,
                   passives=r.passives, detractors=r.detractors)
        return r.flag
    if metric == "csat":
        c = csat(scores, scale, top_box, top2_box, w, level=level, min_n=min_n)
        row.update(value=c.csat, se=c.se, ci_low=c.ci_low, ci_high=c.ci_high, top_box=c.top_box, mean=c.mean)
        return c.flag
    x, ww, _ = _clean_scores(scores, w, scale[0], scale[1], label, integer=False)
    m = float(np.average(x, weights=ww))
    n_eff = _kish(ww)
    sd = float(np.sqrt(np.average((x - m) ** 2, weights=ww) * x.size / max(x.size - 1, 1)))
    se = sd / np.sqrt(n_eff)
    t = float(stats.t.ppf(0.5 + level / 2, max(n_eff - 1, 1)))
    row.update(value=m, se=se, ci_low=m - t * se, ci_high=m + t * se)
    return f"low base: n = {x.size} < {min_n}" if x.size < min_n else ""


def by_group(df: pd.DataFrame, group_col: str | Sequence[str], score_col: str = "nps", metric: str = "nps",
             *, min_n: int = 30, weight_col: str | None = None, scale: tuple[float, float] = (1, 10),
             top_box: float | None = None, top2_box: float | None = None, level: float = 0.95,
             suppress: bool = True) -> pd.DataFrame:
    """NPS, CSAT or mean by brand, segment or wave, with sample sizes and base flags.

    Parameters
    ----------
    df : DataFrame
        One row per response (e.g. respondent x brand).
    group_col : str or list of str
        Column(s) defining the groups.
    score_col : str, default "nps"
        Column with the scores.
    metric : {"nps", "csat", "mean"}
        ``"nps"`` (points, 0-10 scale), ``"csat"`` (top-2-box share on ``scale``)
        or ``"mean"`` (mean score on ``scale`` with a t-based interval).
    min_n : int, default 30
        Minimum base. Smaller groups are flagged and, with ``suppress=True``,
        their estimates are blanked (NaN) so nobody reads noise as a finding;
        the ``flag`` column always says why.
    weight_col : str, optional
        Respondent weight column.
    scale, top_box, top2_box
        Passed to :func:`csat` (``scale`` also validates ``"mean"``).
    level : float, default 0.95
    suppress : bool, default True

    Returns
    -------
    DataFrame
        One row per group: the group column(s), ``n``, ``n_missing``, ``value``
        (NPS points, CSAT share or mean), ``se``, ``ci_low``, ``ci_high``, and for NPS
        ``promoters``/``passives``/``detractors``, for CSAT ``top_box``/``mean``;
        ``suppressed`` (bool) and ``flag`` (text, empty when fine).
    """
    groups = [group_col] if isinstance(group_col, str) else list(group_col)
    needed = [*groups, score_col] + ([weight_col] if weight_col else [])
    missing_cols = [c for c in needed if c not in df.columns]
    if missing_cols:
        raise KeyError(f"by_group: column(s) {missing_cols} not in the data (columns: {list(df.columns)}); "
                       f"fix: pass the right column names")
    if metric not in ("nps", "csat", "mean"):
        raise ValueError(f"metric={metric!r} is unknown; fix: use 'nps', 'csat' or 'mean'")
    rows = []
    for key, g in df.groupby(groups, sort=True, observed=True, dropna=False):
        key = key if isinstance(key, tuple) else (key,)
        row: dict[str, Any] = dict(zip(groups, key))
        w = g[weight_col] if weight_col else None
        n_valid = int(g[score_col].notna().sum())
        row["n"], row["n_missing"] = n_valid, int(len(g) - n_valid)
        flag = ""
        if n_valid == 0:
            row.update(value=np.nan, se=np.nan, ci_low=np.nan, ci_high=np.nan)
            row["suppressed"], flag = True, "no valid score"
        else:
            flag = _group_estimate(row, g[score_col], w, metric, min_n=min_n, scale=scale, top_box=top_box,
                                   top2_box=top2_box, level=level, label=f"{score_col} scores")
            row["suppressed"] = bool(suppress and n_valid < min_n)
        if row["suppressed"] and n_valid > 0:
            for k in ("value", "se", "ci_low", "ci_high", "promoters", "passives", "detractors", "top_box",
                      "mean"):
                if k in row:
                    row[k] = np.nan
            flag = f"suppressed: n = {n_valid} < minimum base {min_n}"
        row["flag"] = flag
        rows.append(row)
    out = pd.DataFrame(rows)
    front = [*groups, "n", "n_missing", "value", "se", "ci_low", "ci_high"]
    return out[front + [c for c in out.columns if c not in front]]


# --------------------------------------------------------------------------- value formulas

def _arr(x: ArrayLike, name: str) -> np.ndarray:
    a = np.asarray(x, dtype=float)
    if np.any(~np.isfinite(a)):
        raise ValueError(f"{name} contains missing or infinite values; fix: fill or drop them first")
    return a


def _out(a: np.ndarray) -> float | np.ndarray:
    return float(a) if a.ndim == 0 else a


def value_difference(benefits: ArrayLike, costs: ArrayLike) -> float | np.ndarray:
    """Customer value as benefits minus costs (same currency); vectorised.

    Parameters
    ----------
    benefits, costs : float or array-like (broadcastable)
        Perceived benefits and total costs to the customer, in currency.

    Returns
    -------
    float or ndarray
        ``benefits - costs`` in currency; positive means the offer creates value.
    """
    return _out(_arr(benefits, "benefits") - _arr(costs, "costs"))


def value_ratio(benefits: ArrayLike, costs: ArrayLike) -> float | np.ndarray:
    """Customer value as benefits divided by costs; vectorised.

    Returns
    -------
    float or ndarray
        ``benefits / costs`` (unitless); above 1 the customer gets more than they pay.

    Raises
    ------
    ValueError
        If any cost is zero or negative (the ratio is undefined).
    """
    b, c = _arr(benefits, "benefits"), _arr(costs, "costs")
    if np.any(c <= 0):
        raise ValueError("value_ratio: costs must be > 0 (a zero cost makes the ratio infinite); "
                         "fix: use value_difference for free offers")
    return _out(b / c)


@dataclass(frozen=True)
class EVEResult:
    """Economic value estimation (EVE): the value-based price ceiling.

    Attributes
    ----------
    reference_value : float
        Price of the customer's next best alternative (currency).
    positive_differentiation : float
        Total value of what the offer does better (currency).
    negative_differentiation : float
        Total value of what it does worse (currency, >= 0, subtracted).
    differentiation_value : float
        ``positive - negative``.
    economic_value : float
        ``reference + positive - negative``: the most a fully informed,
        rational customer would pay.
    components : dict
        Named differentiation items (positive added, negative subtracted).
    """

    reference_value: float
    positive_differentiation: float
    negative_differentiation: float
    differentiation_value: float
    economic_value: float
    components: dict[str, float]

    def table(self) -> pd.DataFrame:
        """Waterfall rows: reference, each component, total (columns ``item``, ``value``, ``kind``)."""
        rows = [("Reference value (next best alternative)", self.reference_value, "reference")]
        rows += [(k, v, "positive" if v >= 0 else "negative") for k, v in self.components.items()]
        rows.append(("Economic value (price ceiling)", self.economic_value, "total"))
        return pd.DataFrame(rows, columns=["item", "value", "kind"])


def _total(x: float | Mapping[str, float], name: str, sign: float) -> tuple[float, dict[str, float]]:
    if isinstance(x, Mapping):
        comps = {str(k): float(v) for k, v in x.items()}
    else:
        comps = {name: float(x)} if float(x) != 0 else {}
    for k, v in comps.items():
        if not np.isfinite(v) or v < 0:
            raise ValueError(f"economic_value: {name} item {k!r} = {v} must be a finite amount >= 0 "
                             f"(negative differentiation is given as a positive amount and subtracted)")
    return float(sum(comps.values())), {k: sign * v for k, v in comps.items()}


def economic_value(reference_value: float, positive_differentiation: float | Mapping[str, float],
                   negative_differentiation: float | Mapping[str, float] = 0) -> EVEResult:
    """Economic value to the customer: reference value plus differentiation value.

    Parameters
    ----------
    reference_value : float
        Price of the next best alternative, in currency (>= 0).
    positive_differentiation : float or mapping name -> amount
        Value of the offer's advantages over the alternative (>= 0 each).
    negative_differentiation : float or mapping name -> amount, default 0
        Value of its disadvantages, as positive amounts (subtracted).

    Returns
    -------
    EVEResult

    Examples
    --------
    The seed methodology's example: reference $300 and differentiation $650.

    >>> economic_value(300, 650).economic_value
    950.0
    """
    ref = float(reference_value)
    if not np.isfinite(ref) or ref < 0:
        raise ValueError(f"economic_value: reference_value = {reference_value} must be a finite amount >= 0")
    pos, pc = _total(positive_differentiation, "positive differentiation", 1.0)
    neg, nc = _total(negative_differentiation, "negative differentiation", -1.0)
    return EVEResult(reference_value=ref, positive_differentiation=pos, negative_differentiation=neg,
                     differentiation_value=pos - neg, economic_value=ref + pos - neg,
                     components={**pc, **nc})


# --------------------------------------------------------------------------- retention and CLV

def retention_rate(end: float, new: float, start: float) -> float:
    """Customer retention rate over a period: ``(E - N) / S``.

    Parameters
    ----------
    end : float or array-like
        Customers at the end of the period (E).
    new : float or array-like
        Customers acquired during the period (N).
    start : float or array-like
        Customers at the start of the period (S, > 0).

    Returns
    -------
    float or ndarray
        Share (0..1) of the starting customers still customers at the end.

    Raises
    ------
    ValueError
        ``start <= 0``, or counts giving a rate outside 0..1 (e.g. more new
        customers than customers at the end).
    """
    e, n, s = _arr(end, "end"), _arr(new, "new"), _arr(start, "start")
    if np.any(s <= 0):
        raise ValueError("retention_rate: start (customers at the start of the period) must be > 0")
    r = (e - n) / s
    if np.any(r < 0) or np.any(r > 1):
        raise ValueError(f"retention_rate: (end - new) / start = {np.round(r, 4).tolist()} is outside 0..1; "
                         f"fix: check the counts (end must be >= new, and end - new <= start)")
    return _out(r)


def churn_rate(end: float, new: float, start: float) -> float:
    """Churn rate over a period: ``1 - retention_rate(end, new, start)``."""
    return _out(1.0 - np.asarray(retention_rate(end, new, start)))


def simple_clv(margin: float, retention: float, discount_rate: float) -> float:
    """Customer lifetime value with constant margin and retention: ``m r / (1 + d - r)``.

    The margin is earned at the end of each period the customer is retained
    (the first one after one period), so CLV = sum_t m r^t / (1 + d)^t.

    Parameters
    ----------
    margin : float or array-like
        Margin per customer per period, in currency.
    retention : float or array-like
        Retention rate per period, 0 <= r < 1.
    discount_rate : float or array-like
        Discount rate per period, > -1 (e.g. 0.10).

    Returns
    -------
    float or ndarray
        CLV in currency.

    Examples
    --------
    >>> round(simple_clv(100, 0.8, 0.1), 2)
    266.67
    """
    m, r, d = _arr(margin, "margin"), _arr(retention, "retention"), _arr(discount_rate, "discount_rate")
    if np.any(r < 0) or np.any(r >= 1):
        raise ValueError("simple_clv: retention must be in [0, 1) (at r = 1 the customer never leaves and "
                         "the CLV has no finite value)")
    if np.any(d <= -1):
        raise ValueError("simple_clv: discount_rate must be > -1 (e.g. 0.10 for 10% per period)")
    return _out(m * r / (1 + d - r))


def clv_to_cac(clv: float, acquisition_cost: float) -> float:
    """Ratio of customer lifetime value to customer acquisition cost (unitless).

    A common rule of thumb is that a healthy business has CLV:CAC of 3 or more.

    Raises
    ------
    ValueError
        If the acquisition cost is not > 0.
    """
    c, a = _arr(clv, "clv"), _arr(acquisition_cost, "acquisition_cost")
    if np.any(a <= 0):
        raise ValueError("clv_to_cac: acquisition_cost must be > 0; fix: exclude customers with no "
                         "recorded acquisition cost")
    return _out(c / a)


def holm_adjust(p_values: ArrayLike) -> np.ndarray:
    """Holm's step-down adjusted p-values (family-wise error control for several tests read together).

    Parameters
    ----------
    p_values : array-like of float, shape (m,)
        Unadjusted p-values; NaN entries are ignored (and stay NaN).

    Returns
    -------
    ndarray, shape (m,)
        Adjusted p-values: reject where adjusted < alpha. Equal to statsmodels'
        ``multipletests(p, method="holm")[1]``.
    """
    p = np.asarray(p_values, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = np.flatnonzero(~np.isnan(p))
    m = len(ok)
    if m == 0:
        return out
    order = ok[np.argsort(p[ok], kind="stable")]
    stepped = np.maximum.accumulate((m - np.arange(m)) * p[order])
    out[order] = np.minimum(stepped, 1.0)
    return out


# --------------------------------------------------------------------------- paired brand comparisons

_SCORE = {
    "nps": (lambda x: np.where(x >= 9, 100.0, np.where(x <= 6, -100.0, 0.0)), (0, 10)),
    "csat": (lambda x: np.where(x >= 7, 100.0, 0.0), (1, 10)),  # top-2 box of 1-10 (7-10), in %
}


def paired_difference(a: ArrayLike, b: ArrayLike, *, metric: str = "nps", level: float = 0.95) -> NPSDifference:
    """Difference of two brands' NPS (or CSAT) when the same respondents rated both.

    ``a`` and ``b`` are aligned by respondent (position ``i`` is the same person; missing where
    the respondent did not rate that brand). Each brand's score uses all its raters; the variance
    of the difference subtracts the covariance of the respondents who rated both (the paired
    trinomial variance): ``Var = V_a + V_b - 2 n_ab cov_ab / (n_a n_b)`` with ``V = var(s) / n``
    and ``s`` the per-respondent score (+100 promoter, 0 passive, -100 detractor). Ratings of
    several brands by one person are positively correlated (a generous rater is generous to
    all), so the independent-samples test (:func:`nps_difference`) is too wide and misses real
    differences.

    Parameters
    ----------
    a, b : array-like, shape (n_respondents,)
    metric : {"nps", "csat"}
        ``"csat"``: top-2-box share of a 1-10 satisfaction scale (7-10), in %.
    level : float

    Returns
    -------
    NPSDifference
        ``difference`` (points) with ``se``, ``z``, ``p_value`` and interval; ``a``/``b`` are the
        two brands' own :func:`nps` results for NPS (``None`` for CSAT).
    """
    if metric not in _SCORE:
        raise ValueError(f"metric={metric!r} is unknown; fix: use 'nps' or 'csat'")
    score, (lo, hi) = _SCORE[metric]
    xa, _, _ = _clean_scores(pd.Series(np.asarray(a, dtype=float)), None, lo, hi, f"{metric} scores")
    xb, _, _ = _clean_scores(pd.Series(np.asarray(b, dtype=float)), None, lo, hi, f"{metric} scores")
    diff, se = _paired_stats(score(np.asarray(a, float)), score(np.asarray(b, float)),
                             ~np.isnan(np.asarray(a, float)), ~np.isnan(np.asarray(b, float)))
    z = _z(level)
    zstat = diff / se if se > 0 else (0.0 if diff == 0 else float(np.sign(diff) * np.inf))
    p_value = float(2 * stats.norm.sf(abs(zstat))) if se > 0 else (1.0 if diff == 0 else 0.0)
    ra = nps(xa, level=level) if metric == "nps" else None
    rb = nps(xb, level=level) if metric == "nps" else None
    return NPSDifference(difference=float(diff), se=float(se), z=float(zstat), p_value=p_value,
                         ci_low=float(diff - z * se), ci_high=float(diff + z * se), level=level, a=ra, b=rb)


def _paired_stats(sa: np.ndarray, sb: np.ndarray, ha: np.ndarray, hb: np.ndarray) -> tuple:
    """Difference of means and its SE; ``s*`` scores and ``h*`` rated-masks, shape (..., n) (vectorised)."""
    na, nb, both = ha.sum(-1), hb.sum(-1), ha & hb
    nab = both.sum(-1)
    sa, sb = np.where(ha, sa, 0.0), np.where(hb, sb, 0.0)
    ma, mb = sa.sum(-1) / na, sb.sum(-1) / nb
    va = ((sa - ma[..., None]) ** 2 * ha).sum(-1) / (na - 1) / na
    vb = ((sb - mb[..., None]) ** 2 * hb).sum(-1) / (nb - 1) / nb
    with np.errstate(invalid="ignore", divide="ignore"):
        ca = np.where(both, sa, 0.0).sum(-1) / nab
        cb = np.where(both, sb, 0.0).sum(-1) / nab
        cov = np.where(nab > 1, ((sa - ca[..., None]) * (sb - cb[..., None]) * both).sum(-1) / (nab - 1), 0.0)
    var = va + vb - 2 * nab * cov / (na * nb)
    return ma - mb, np.sqrt(np.maximum(var, 0.0))


def brand_pair_difference(df: pd.DataFrame, brand_a: str, brand_b: str, *, brand_col: str = "brand",
                          score_col: str = "nps", respondent_col: str = "respondent_id", metric: str = "nps",
                          level: float = 0.95) -> NPSDifference:
    """``brand_a`` minus ``brand_b`` from a survey (one row per respondent x brand), paired test.

    :func:`paired_difference` on the two brands' scores aligned by respondent; the row of
    :func:`brand_pairs` for one pair, without the multiple-comparison adjustment (one planned
    comparison, e.g. the client against its main competitor).
    """
    wide = df.pivot_table(index=respondent_col, columns=brand_col, values=score_col, aggfunc="first",
                          observed=True)
    missing = [b for b in (brand_a, brand_b) if b not in wide.columns]
    if missing:
        raise ValueError(f"brand(s) {missing} have no {score_col} ratings in the survey; brands rated: "
                         f"{', '.join(map(str, wide.columns))}")
    return paired_difference(wide[brand_a].to_numpy(float), wide[brand_b].to_numpy(float), metric=metric,
                             level=level)


def brand_pairs(df: pd.DataFrame, *, brand_col: str = "brand", score_col: str = "nps",
                respondent_col: str = "respondent_id", metric: str = "nps", level: float = 0.95,
                alpha: float = 0.05) -> pd.DataFrame:
    """Every pair of brands compared with the paired test, Holm-adjusted across the pairs.

    Parameters
    ----------
    df : DataFrame
        One row per respondent x brand rated (the survey).
    metric : {"nps", "csat"}
    alpha : float
        Family-wise error rate of ``significant`` over all pairs shown together.

    Returns
    -------
    DataFrame, one row per pair (brand_a < brand_b in the brands' order of appearance)
        ``brand_a``, ``brand_b``, ``n_a``, ``n_b``, ``n_both`` (respondents who rated both),
        ``difference`` (a minus b, points), ``se``, ``ci_low``, ``ci_high`` (unadjusted ``level``
        interval), ``p_value``, ``p_adjusted`` (Holm) and ``significant``.
    """
    wide = df.pivot_table(index=respondent_col, columns=brand_col, values=score_col, aggfunc="first",
                          observed=True)
    brands = [b for b in pd.unique(df[brand_col]) if b in wide.columns]
    rows = []
    for i, ba in enumerate(brands):
        for bb in brands[i + 1:]:
            a, b = wide[ba].to_numpy(float), wide[bb].to_numpy(float)
            r = paired_difference(a, b, metric=metric, level=level)
            rows.append({"brand_a": ba, "brand_b": bb, "n_a": int((~np.isnan(a)).sum()),
                         "n_b": int((~np.isnan(b)).sum()), "n_both": int((~np.isnan(a) & ~np.isnan(b)).sum()),
                         "difference": r.difference, "se": r.se, "ci_low": r.ci_low, "ci_high": r.ci_high,
                         "p_value": r.p_value})
    out = pd.DataFrame(rows, columns=["brand_a", "brand_b", "n_a", "n_b", "n_both", "difference", "se", "ci_low",
                                      "ci_high", "p_value"])
    out["p_adjusted"] = holm_adjust(out["p_value"].to_numpy())
    out["significant"] = out["p_adjusted"] < alpha
    return out
