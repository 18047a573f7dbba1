"""What each segment is worth: CLV, NPS, willingness to pay, and target attractiveness.

Needs-based segments are defined on survey respondents; value lives in other
tables. Respondents are linked to customers through the survey's
``customer_id`` column and to the CLV analysis's ``customers.csv`` on that id.
Respondents whose customer is missing from the CLV table (not in the
transaction log) are *flagged*, never silently dropped: their share is
reported because it biases value-by-segment when it differs by segment.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

__all__ = ["wtp_from_partworths", "segment_value", "attractiveness_table"]


def _price_points(columns: list[str], price_col: str) -> dict[str, float]:
    """``{"fee.29": 29.0, ...}``: columns holding the price utility at design price points."""
    out = {}
    for c in columns:
        if c.startswith(price_col + "."):
            try:
                out[c] = float(c[len(price_col) + 1:])
            except ValueError:
                continue
    return out


def wtp_from_partworths(partworths: pd.DataFrame, *, price_col: str = "fee",
                        reference: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Willingness to pay per respondent for each attribute level, in currency.

    WTP of a level = (part-worth of the level - part-worth of the attribute's
    reference level) / (- price coefficient per currency unit). Only
    respondents with a negative price coefficient get a WTP (a zero or
    positive coefficient makes the ratio meaningless; those rows are NaN).
    The ratio does not depend on the utility scale, so raw utilities and
    zero-centred diffs give the same WTP.

    Parameters
    ----------
    partworths : DataFrame
        One row per respondent, columns ``<attribute>.<level>`` plus the price
        either as one linear coefficient column ``price_col`` (utility per
        currency unit) or as its utilities at the design's price points
        (``fee.29``, ``fee.49``, ...; the coefficient is then the least-squares
        slope over the points, exact for a linear price).
    price_col : str
    reference : mapping, optional
        Attribute -> reference level; default the first level listed.

    Returns
    -------
    DataFrame
        Same index, one column ``wtp_<attribute>.<level>`` per non-reference level.
    """
    points = _price_points(list(partworths.columns), price_col)
    if price_col in partworths.columns:
        beta = partworths[price_col].astype(float)
    elif len(points) >= 2:
        x = np.array(list(points.values()))
        xc = x - x.mean()
        U = partworths[list(points)].to_numpy(dtype=float)
        beta = pd.Series(U @ xc / (xc @ xc), index=partworths.index)
    else:
        raise ValueError(f"no price coefficient column '{price_col}' (or '{price_col}.<price>' columns) among the "
                         f"part-worths ({list(partworths.columns)[:8]}...); fix: pass price_col= naming the linear "
                         "price (fee) attribute")
    denom = (-beta).where(beta < 0)
    levels: dict[str, list[str]] = {}
    for c in partworths.columns:
        if "." in c and c not in points:
            a, lv = c.split(".", 1)
            levels.setdefault(a, []).append(lv)
    out = {}
    for a, lvls in levels.items():
        ref = (reference or {}).get(a, lvls[0])
        for lv in lvls:
            if lv != ref:
                out[f"wtp_{a}.{lv}"] = (partworths[f"{a}.{lv}"] - partworths[f"{a}.{ref}"]) / denom
    return pd.DataFrame(out, index=partworths.index)


def segment_value(segments: pd.Series, *, link: pd.Series | None = None, clv: pd.DataFrame | None = None,
                  clv_col: str = "clv", nps: pd.Series | None = None, wtp: pd.DataFrame | None = None,
                  min_base: int = 30) -> pd.DataFrame:
    """Value indicators per segment.

    Parameters
    ----------
    segments : Series
        Segment per respondent (index = respondent id).
    link : Series, optional
        Customer id per respondent (index = respondent id), e.g. from the survey.
    clv : DataFrame, optional
        CLV table with ``customer_id`` and ``clv_col`` (currency per customer).
    clv_col : str
    nps : Series, optional
        0-10 likelihood-to-recommend of the client brand per respondent.
    wtp : DataFrame, optional
        WTP columns per respondent (see :func:`wtp_from_partworths`); the
        segment *median* is reported (individual ratios have long tails).
    min_base : int
        Segments with fewer answers than this get a ``low base`` flag.

    Returns
    -------
    DataFrame
        One row per segment plus ``total``: ``respondents``, ``share``, and
        when given ``linked_customers``, ``missing_from_clv`` (respondents whose
        customer is not in the CLV table), ``clv_mean``, ``clv_total_sample``,
        ``value_share``, ``nps``, ``nps_n``, ``wtp_*`` medians, ``flags``.
    """
    seg = segments.dropna()
    labels = sorted(seg.unique(), key=lambda v: (str(type(v)), v))
    groups = {**{s: seg.index[seg == s] for s in labels}, "total": seg.index}
    out = pd.DataFrame(index=pd.Index([*labels, "total"], name="segment", dtype=object))
    out["respondents"] = [len(groups[s]) for s in out.index]
    out["share"] = out["respondents"] / len(seg)
    flags = {s: [] for s in out.index}
    if clv is not None:
        _add_clv(out, flags, groups, seg, link, clv, clv_col)
    if nps is not None:
        _add_nps(out, flags, groups, seg, nps, min_base)
    if wtp is not None:
        w = wtp.reindex(seg.index)
        for c in wtp.columns:
            out[f"{c}_median"] = [float(w.loc[groups[s], c].median()) for s in out.index]
        out["wtp_n"] = [int(w.loc[groups[s]].notna().any(axis=1).sum()) for s in out.index]
    out["flags"] = ["; ".join(flags[s]) for s in out.index]
    return out.reset_index()


def _add_clv(out: pd.DataFrame, flags: dict, groups: dict, seg: pd.Series, link: pd.Series | None,
             clv: pd.DataFrame, clv_col: str) -> None:
    """Linked customers, customers missing from the CLV table, mean and total CLV, value share, per segment."""
    if link is None:
        raise ValueError("a CLV table was given without the respondent -> customer link; fix: pass link= "
                         "(the survey's customer_id per respondent_id)")
    if "customer_id" not in clv.columns or clv_col not in clv.columns:
        raise ValueError(f"the CLV table needs columns 'customer_id' and '{clv_col}'; it has "
                         f"{list(clv.columns)[:10]}")
    value = clv.assign(customer_id=clv["customer_id"].astype(str)).drop_duplicates("customer_id") \
        .set_index("customer_id")[clv_col].astype(float)
    cust = link.reindex(seg.index).astype("string")
    v = cust.map(value)
    linked, missing, mean, total = [], [], [], []
    for s in out.index:
        c = cust.loc[groups[s]]
        vv = v.loc[groups[s]]
        linked.append(int(c.notna().sum()))
        missing.append(int((c.notna() & vv.isna()).sum()))
        mean.append(float(vv.mean()) if vv.notna().any() else np.nan)
        total.append(float(vv.sum()))
        if missing[-1]:
            flags[s].append(f"{missing[-1]} respondents' customers are not in the transaction log / CLV table")
    out["linked_customers"] = linked
    out["missing_from_clv"] = missing
    out["clv_mean"] = mean
    out["clv_total_sample"] = total
    out["value_share"] = out["clv_total_sample"] / out.loc["total", "clv_total_sample"]


def _add_nps(out: pd.DataFrame, flags: dict, groups: dict, seg: pd.Series, nps: pd.Series, min_base: int) -> None:
    """NPS of the client brand and its base per segment (low bases flagged)."""
    from cvkit.metrics import nps as nps_fn

    score = pd.to_numeric(nps.reindex(seg.index), errors="coerce")
    vals, ns = [], []
    for s in out.index:
        x = score.loc[groups[s]].dropna()
        ns.append(int(len(x)))
        vals.append(float(nps_fn(x.to_numpy()).nps) if len(x) else np.nan)
        if len(x) < min_base:
            flags[s].append(f"low base for NPS (n = {len(x)} < {min_base})")
    out["nps"] = vals
    out["nps_n"] = ns


def attractiveness_table(value: pd.DataFrame, *, wtp_col: str | None = None,
                         weights: Mapping[str, float] | None = None) -> pd.DataFrame:
    """Target-attractiveness of each segment: size, value, share of value, NPS, WTP.

    Each available criterion is scaled 0..1 over the segments (1 = most
    attractive) and averaged with ``weights`` into ``attractiveness``
    (equal weights by default); ``rank`` 1 = most attractive. The score is a
    conversation starter, not a decision: the table shows every input.

    Parameters
    ----------
    value : DataFrame
        Output of :func:`segment_value`.
    wtp_col : str, optional
        Column of ``value`` holding the headline WTP (e.g. a ``wtp_*_median``).
    weights : mapping, optional
        Criterion -> weight, criteria ``share``, ``clv_mean``, ``value_share``,
        ``nps``, ``wtp``.

    Returns
    -------
    DataFrame
        One row per segment (no total): the criteria, ``attractiveness`` (0..1), ``rank``.
    """
    t = value[value["segment"] != "total"].copy()
    crit = {"share": "share", "clv_mean": "clv_mean", "value_share": "value_share", "nps": "nps"}
    if wtp_col:
        if wtp_col not in t.columns:
            raise ValueError(f"wtp_col={wtp_col!r} is not a column of the value table")
        crit["wtp"] = wtp_col
    cols = ["segment", "respondents", *[c for c in crit.values() if c in t.columns]]
    out = t[cols].copy()
    if wtp_col:
        out = out.rename(columns={wtp_col: "wtp"})
    weights = dict(weights or {})
    score = np.zeros(len(out))
    wsum = 0.0
    for name in crit:
        if name not in out.columns or out[name].isna().all():
            continue
        x = out[name].astype(float)
        rng = x.max() - x.min()
        scaled = (x - x.min()) / rng if rng > 0 else x * 0 + 0.5
        w = float(weights.get(name, 1.0))
        score += w * scaled.fillna(0.0).to_numpy()
        wsum += w
    out["attractiveness"] = score / wsum if wsum else np.nan
    out["rank"] = out["attractiveness"].rank(ascending=False, method="min").astype(int)
    return out.reset_index(drop=True)
