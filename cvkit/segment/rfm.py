"""Behavioural segments from the transaction log: RFM scores, cells and named segments.

Recency, frequency and monetary value come from :func:`cvkit.clv.summarize`
(the one per-customer summary of cvkit, computed by DuckDB/Ibis, so logs of
millions of customers are fine); this module only scores and names them.

Definitions (per customer, at the observation end)
--------------------------------------------------
* ``recency`` - time since the last purchase, in ``time_unit`` (days by
  default): ``T - recency`` of the CLV summary. Lower is better.
* ``frequency`` - number of purchase occasions (distinct purchase days,
  ``n_periods`` of the CLV summary; the CLV ``frequency`` counts repeat
  purchases only).
* ``monetary`` - total spend in the window (``total_amount``, currency), or the
  mean spend per purchase occasion with ``monetary="average"``.

Scores and ties
---------------
Each measure is scored 1-5 (quintiles, 5 = best: most recent, most frequent,
highest spend) from its rank ``r`` among the ``n`` customers:
``score = max(1, ceil(5 * (r - 1) / (n - 1)))``, which is exactly
``pd.qcut(ranks, 5, labels=[1, 2, 3, 4, 5])`` of the tutorials, computed in
integers so bin edges never suffer from floating point.

* ``ties="first"`` (default): tied customers are ranked in ``customer_id``
  order (stable, independent of the file's row order), so every score holds
  a fifth of the customers, as with ``rank(method="first")``; two customers
  with the same behaviour can get neighbouring scores.
* ``ties="average"``: a block of tied customers shares the score of its middle
  rank, so identical behaviour always gets an identical score; scores then
  hold unequal shares (and one can be empty when a value covers > 20%).

Named segments
--------------
A rule table (``templates/rfm_segments.csv``, editable per client) lists
anchored regular expressions matched against the score string of the fields
in ``match_on`` (``"RF"`` -> e.g. ``"53"``, ``"RFM"`` -> ``"534"``); the first
matching rule wins. The table is checked so that every one of the 125 R x F x
M cells maps to exactly one segment. The default table is the R x F map that
tutorials copy (:data:`TUTORIAL_RF_MAP`), rule for rule, with one rule placed
before it: cell ``11`` (least recent and least frequent fifth) is *Lost*, which
the tutorial map folds into *hibernating*; ``12``, ``21`` and ``22`` stay
Hibernating. Use ``rules_from_mapping(TUTORIAL_RF_MAP)`` to get the tutorial
map unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from itertools import product
from pathlib import Path
from typing import Any, Literal

import matplotlib.axes
import numpy as np
import pandas as pd

from cvkit.resources import templates_dir
from cvkit.plot.axes import axes_or_new

__all__ = ["TUTORIAL_RF_MAP", "load_rfm_rules", "rules_from_mapping", "rfm_cell_map", "rfm_scores",
           "assign_rfm_segments", "rfm_segments", "rfm_segment_summary", "plot_rfm_grid", "quantile_scores"]

#: The R x F segment map copied by countless RFM tutorials (keys are regular
#: expressions on the two-digit "RF" string, applied in this order, first match wins).
TUTORIAL_RF_MAP: dict[str, str] = {
    r"[1-2][1-2]": "hibernating",
    r"[1-2][3-4]": "at risk",
    r"[1-2]5": "can't loose",
    r"3[1-2]": "about to sleep",
    r"33": "need attention",
    r"[3-4][4-5]": "loyal customers",
    r"41": "promising",
    r"51": "new customers",
    r"[4-5][2-3]": "potential loyalists",
    r"5[4-5]": "champions",
}

_RULE_COLUMNS = ("priority", "match_on", "pattern", "segment")
_N_BINS = 5


def rules_from_mapping(mapping: Mapping[str, str], match_on: str = "RF") -> pd.DataFrame:
    """Rule table from an ordered ``{pattern: segment}`` mapping (first match wins).

    Parameters
    ----------
    mapping : mapping of str to str
        Regular expression -> segment name, in priority order.
    match_on : str
        Score letters the patterns are matched against, e.g. "RF" or "RFM".

    Returns
    -------
    DataFrame
        Columns ``priority``, ``match_on``, ``pattern``, ``segment``,
        ``description``, ``action``; validated like :func:`load_rfm_rules`.
    """
    rules = pd.DataFrame({"priority": range(1, len(mapping) + 1), "match_on": match_on,
                          "pattern": list(mapping), "segment": list(mapping.values()),
                          "description": "", "action": ""})
    return _validate_rules(rules, "the mapping")


def load_rfm_rules(path: str | Path | None = None) -> pd.DataFrame:
    """Read and check an RFM rule table.

    Parameters
    ----------
    path : str or Path, optional
        CSV with columns ``priority`` (int, lower = tried first), ``match_on``
        (letters from R, F, M), ``pattern`` (regular expression, anchored at
        both ends when matched), ``segment`` and optionally ``description``
        and ``action``. Default: ``templates/rfm_segments.csv``.

    Returns
    -------
    DataFrame
        The rules sorted by priority.

    Raises
    ------
    ValueError
        If a column is missing, a pattern is not a valid regular expression,
        ``match_on`` has other letters, priorities repeat, or some R x F x M
        cell matches no rule (the message lists the cells).
    """
    path = Path(path) if path else templates_dir() / "rfm_segments.csv"
    if not path.is_file():
        raise FileNotFoundError(f"RFM rule file {str(path)!r} does not exist; fix: give the path of a CSV "
                                "like templates/rfm_segments.csv, or leave the parameter empty for the default")
    rules = pd.read_csv(path, dtype={"pattern": str, "match_on": str, "segment": str}, keep_default_na=False)
    return _validate_rules(rules, str(path))


def _validate_rules(rules: pd.DataFrame, where: str) -> pd.DataFrame:
    missing = [c for c in _RULE_COLUMNS if c not in rules.columns]
    if missing:
        raise ValueError(f"{where}: the RFM rule table lacks column(s) {missing}; fix: use the columns "
                         f"{list(_RULE_COLUMNS)} (+ description, action) as in templates/rfm_segments.csv")
    rules = rules.copy()
    for c in ("description", "action"):
        if c not in rules.columns:
            rules[c] = ""
    if rules["priority"].duplicated().any():
        raise ValueError(f"{where}: priorities {sorted(rules.loc[rules['priority'].duplicated(), 'priority'])} "
                         "repeat; fix: give every rule its own priority (first match wins)")
    rules["pattern"] = rules["pattern"].astype(str).str.strip()
    rules["match_on"] = rules["match_on"].astype(str).str.strip().str.upper()
    for i, r in rules.iterrows():
        if not r["match_on"] or set(r["match_on"]) - set("RFM"):
            raise ValueError(f"{where}, rule {r['priority']}: match_on={r['match_on']!r} must be letters from "
                             "R, F, M (e.g. 'RF' or 'RFM')")
        try:
            re.compile(r["pattern"])
        except re.error as exc:
            raise ValueError(f"{where}, rule {r['priority']}: pattern {r['pattern']!r} is not a valid regular "
                             f"expression ({exc}); fix: e.g. '[4-5][2-3]'") from exc
        if not str(r["segment"]).strip():
            raise ValueError(f"{where}, rule {r['priority']}: the segment name is empty")
    rules = rules.sort_values("priority", kind="stable").reset_index(drop=True)
    cells = rfm_cell_map(rules, _checked=True)
    unmatched = cells[cells["segment"].isna()]
    if len(unmatched):
        rf = sorted(set(unmatched["r"].astype(str) + unmatched["f"].astype(str)))
        raise ValueError(f"{where}: {len(unmatched)} of the 125 R x F x M cells match no rule (R x F cells "
                         f"{', '.join(rf[:12])}{' ...' if len(rf) > 12 else ''}); fix: add rules so that every "
                         "cell is covered, e.g. a last catch-all rule with pattern '.*'")
    return rules


def rfm_cell_map(rules: pd.DataFrame, *, _checked: bool = False) -> pd.DataFrame:
    """The segment of every R x F x M cell under a rule table.

    Parameters
    ----------
    rules : DataFrame
        From :func:`load_rfm_rules` or :func:`rules_from_mapping`.

    Returns
    -------
    DataFrame, shape (125, 6)
        ``r``, ``f``, ``m`` (1-5), ``cell`` ("RFM" digits), ``segment`` and
        ``rule`` (priority of the first matching rule; NaN if none matches).
    """
    if not _checked:
        rules = _validate_rules(rules, "the rule table")
    compiled = [(r["priority"], r["match_on"], re.compile(r["pattern"]), r["segment"])
                for _, r in rules.iterrows()]
    rows = []
    for r, f, m in product(range(1, 6), repeat=3):
        digits = {"R": str(r), "F": str(f), "M": str(m)}
        seg, prio = None, np.nan
        for p, on, rx, name in compiled:
            if rx.fullmatch("".join(digits[c] for c in on)):
                seg, prio = name, p
                break
        rows.append({"r": r, "f": f, "m": m, "cell": f"{r}{f}{m}", "segment": seg, "rule": prio})
    return pd.DataFrame(rows)


def quantile_scores(values: np.ndarray, keys: np.ndarray | None = None, *, n_bins: int = _N_BINS,
                    ties: Literal["first", "average"] = "first") -> np.ndarray:
    """Quantile scores ``1..n_bins`` (``n_bins`` = best = largest value).

    Parameters
    ----------
    values : ndarray, shape (n,)
        Larger is better (negate recency before calling).
    keys : ndarray, shape (n,), optional
        Tie-breaking order for ``ties="first"`` (customer ids); default row order.
    n_bins : int
    ties : {"first", "average"}
        See the module docstring.

    Returns
    -------
    ndarray of int64, shape (n,)
    """
    values = np.asarray(values, dtype=float)
    n = len(values)
    if n < n_bins:
        raise ValueError(f"quantile scores need at least {n_bins} customers, got {n}; fix: score a larger "
                         "customer base or use fewer bins")
    if np.isnan(values).any():
        raise ValueError(f"{int(np.isnan(values).sum())} values to score are missing; fix: drop or fill them first")
    q = n_bins
    if ties == "first":
        order = np.lexsort((np.arange(n) if keys is None else np.asarray(keys), values))
        rank = np.empty(n, dtype=np.int64)
        rank[order] = np.arange(1, n + 1)
        score = (q * (rank - 1) + (n - 2)) // (n - 1)  # integer ceil(q (r-1) / (n-1))
    elif ties == "average":
        order = np.argsort(values, kind="stable")
        sv = values[order]
        starts = np.r_[0, np.flatnonzero(np.diff(sv) != 0) + 1]
        ends = np.r_[starts[1:], n]
        # twice the average rank of each tied block: first + last rank (1-based)
        twice = np.repeat(starts + 1 + ends, ends - starts)
        s = np.empty(n, dtype=np.int64)
        s[order] = twice
        score = (q * (s - 2) + 2 * (n - 1) - 1) // (2 * (n - 1))  # integer ceil(q (s/2 - 1) / (n-1))
    else:
        raise ValueError(f"ties={ties!r} is not known; use 'first' or 'average'")
    return np.maximum(score, 1).astype(np.int64)


def rfm_scores(summary: pd.DataFrame, *, monetary: Literal["total", "average"] = "total",
               ties: Literal["first", "average"] = "first") -> pd.DataFrame:
    """Recency, frequency and monetary measures and their 1-5 scores.

    Parameters
    ----------
    summary : DataFrame
        Output of :func:`cvkit.clv.summarize` (columns ``customer_id``,
        ``recency``, ``T``, ``n_periods``, ``total_amount``).
    monetary : {"total", "average"}
        Total spend, or mean spend per purchase occasion.
    ties : {"first", "average"}
        Tie handling (see the module docstring).

    Returns
    -------
    DataFrame
        One row per customer: ``customer_id``, ``recency`` (time since the last
        purchase, in the summary's time unit), ``frequency`` (purchase
        occasions), ``monetary`` (currency), ``r_score``, ``f_score``,
        ``m_score`` (1-5), ``rf_cell`` (e.g. "53") and ``rfm_cell`` (e.g. "534").
    """
    need = ["customer_id", "recency", "T", "n_periods", "total_amount"]
    missing = [c for c in need if c not in summary.columns]
    if missing:
        raise ValueError(f"the summary lacks {missing}; fix: pass the output of cvkit.clv.summarize(...)")
    s = summary.sort_values("customer_id", kind="stable").reset_index(drop=True)
    out = pd.DataFrame({"customer_id": s["customer_id"].astype(str)})
    out["recency"] = (s["T"] - s["recency"]).to_numpy(dtype=float)
    out["frequency"] = s["n_periods"].to_numpy(dtype=np.int64)
    if monetary not in ("total", "average"):
        raise ValueError(f"monetary={monetary!r} is not known; use 'total' or 'average'")
    tot = s["total_amount"].to_numpy(dtype=float)
    out["monetary"] = tot if monetary == "total" else tot / out["frequency"].to_numpy()
    keys = np.arange(len(out))  # rows are sorted by customer_id: ties broken in id order
    out["r_score"] = quantile_scores(-out["recency"].to_numpy(), keys, ties=ties)
    out["f_score"] = quantile_scores(out["frequency"].to_numpy(), keys, ties=ties)
    out["m_score"] = quantile_scores(out["monetary"].to_numpy(), keys, ties=ties)
    out["rf_cell"] = out["r_score"].astype(str) + out["f_score"].astype(str)
    out["rfm_cell"] = out["rf_cell"] + out["m_score"].astype(str)
    return out


def assign_rfm_segments(scores: pd.DataFrame, rules: pd.DataFrame | None = None) -> pd.DataFrame:
    """Name the segment of every customer from its R, F, M scores.

    Parameters
    ----------
    scores : DataFrame
        With ``r_score``, ``f_score``, ``m_score`` (1-5), e.g. from :func:`rfm_scores`.
    rules : DataFrame, optional
        Rule table; default :func:`load_rfm_rules` ().

    Returns
    -------
    DataFrame
        ``scores`` plus ``segment`` and ``rule`` (priority of the rule applied).
    """
    rules = load_rfm_rules() if rules is None else rules
    cells = rfm_cell_map(rules)
    code = ((scores["r_score"].to_numpy() - 1) * 25 + (scores["f_score"].to_numpy() - 1) * 5
            + (scores["m_score"].to_numpy() - 1))
    if code.min() < 0 or code.max() > 124:
        raise ValueError("scores must be whole numbers 1-5; fix: compute them with rfm_scores(...)")
    out = scores.copy()
    out["segment"] = cells["segment"].to_numpy()[code]
    out["rule"] = cells["rule"].to_numpy()[code].astype(np.int64)
    order = list(dict.fromkeys(rules["segment"]))
    out["segment"] = pd.Categorical(out["segment"], categories=order)
    return out


def rfm_segments(transactions: Any, *, rules: pd.DataFrame | str | Path | None = None,
                 customer_col: str = "customer_id", date_col: str = "date", amount_col: str = "amount",
                 observation_end: Any = None, time_unit: str = "D", monetary: Literal["total", "average"] = "total",
                 ties: Literal["first", "average"] = "first", backend: Any = None,
                 validate: bool = True) -> pd.DataFrame:
    """RFM scores and named segments straight from a transaction log.

    Parameters
    ----------
    transactions : DataFrame, CSV/Parquet path or glob, DuckDB relation or Ibis table
        Anything :func:`cvkit.clv.summarize` accepts (it does the aggregation).
    rules : DataFrame, path or None
        Rule table or path to a rule CSV; default ``templates/rfm_segments.csv``.
    customer_col, date_col, amount_col, observation_end, time_unit, backend
        Passed to :func:`cvkit.clv.summarize`.
    monetary, ties
        See :func:`rfm_scores`.
    validate : bool
        Let :func:`cvkit.clv.summarize` check the log first (missing ids, dates,
        amounts; dates after ``observation_end``) and raise a
        :class:`cvkit.data.DataError` listing every problem. One extra pass over
        the log; switch off only for a log that intake has already checked.

    Returns
    -------
    DataFrame
        One row per customer, see :func:`rfm_scores` and :func:`assign_rfm_segments`.
    """
    from cvkit.clv import summarize

    if not isinstance(rules, pd.DataFrame):
        rules = load_rfm_rules(rules)
    summary = summarize(transactions, customer_col=customer_col, date_col=date_col, amount_col=amount_col,
                        observation_end=observation_end, time_unit=time_unit, backend=backend, validate=validate)
    return assign_rfm_segments(rfm_scores(summary, monetary=monetary, ties=ties), rules)


def rfm_segment_summary(rfm: pd.DataFrame, rules: pd.DataFrame | None = None) -> pd.DataFrame:
    """Customers, value and behaviour per named segment.

    Parameters
    ----------
    rfm : DataFrame
        Output of :func:`rfm_segments` / :func:`assign_rfm_segments`.
    rules : DataFrame, optional
        Adds each segment's ``description`` and ``action``.

    Returns
    -------
    DataFrame
        One row per segment (rule order, empty segments kept with 0
        customers): ``segment``, ``customers``, ``share`` (of customers),
        ``recency_mean``, ``frequency_mean``, ``monetary_mean``,
        ``monetary_total`` and ``value_share`` (of total monetary).
    """
    g = rfm.groupby("segment", observed=False)
    out = pd.DataFrame({
        "customers": g.size(),
        "recency_mean": g["recency"].mean(),
        "frequency_mean": g["frequency"].mean(),
        "monetary_mean": g["monetary"].mean(),
        "monetary_total": g["monetary"].sum(),
    })
    out.insert(1, "share", out["customers"] / out["customers"].sum())
    out["value_share"] = out["monetary_total"] / out["monetary_total"].sum()
    out = out.reset_index()
    out["segment"] = out["segment"].astype(str)
    if rules is not None:
        info = rules.drop_duplicates("segment").set_index("segment")[["description", "action"]]
        out = out.join(info, on="segment")
    return out


def plot_rfm_grid(rfm: pd.DataFrame, ax: matplotlib.axes.Axes | None = None) -> matplotlib.axes.Axes:
    """Recency x frequency score grid: share of customers per cell, labelled with the segment.

    Parameters
    ----------
    rfm : DataFrame
        Output of :func:`rfm_segments`.
    ax : Axes, optional

    Returns
    -------
    Axes
    """
    ax = axes_or_new(ax, (8, 5.5))
    share = (pd.crosstab(rfm["f_score"], rfm["r_score"]).reindex(index=range(5, 0, -1), columns=range(1, 6),
                                                                  fill_value=0) / len(rfm))
    seg = rfm.groupby(["f_score", "r_score"], observed=True)["segment"].agg(
        lambda s: s.astype(str).value_counts().index[0])
    ax.imshow(share.to_numpy(), cmap="Blues", aspect="auto")
    for i, f in enumerate(share.index):
        for j, r in enumerate(share.columns):
            name = seg.get((f, r), "")
            v = share.loc[f, r]
            ax.text(j, i, f"{name}\n{v:.1%}", ha="center", va="center", fontsize=7,
                    color="white" if v > share.to_numpy().max() * 0.6 else "black")
    ax.set_xticks(range(5), [str(c) for c in share.columns])
    ax.set_yticks(range(5), [str(c) for c in share.index])
    ax.set_xlabel("recency score (5 = bought most recently)")
    ax.set_ylabel("frequency score (5 = most purchases)")
    ax.set_title("RFM grid: share of customers and segment per cell")
    ax.grid(False)
    return ax
