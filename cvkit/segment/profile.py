"""Profiling segments: sizes, means and indices, significance with effect sizes, cross-tabs.

Every variable is compared segment by segment against *the rest of the
sample* (not the total, which contains the segment itself):

* numeric variables - Welch's t-test (unequal variances) and Hedges' g
  (standardised mean difference, small-sample corrected; 0.2 small, 0.5
  medium, 0.8 large);
* categorical variables - chi-square test of the 2 x L table segment-vs-rest
  by level, with Cramér's V as effect size, and per level the share in the
  segment against the total.

With dozens of variables and several segments, some "significant" differences
appear by chance; p-values are therefore adjusted over the whole profile
(Holm by default, which controls the family-wise error; ``"fdr_bh"`` for
Benjamini-Hochberg's false discovery rate).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import matplotlib.axes
import numpy as np
import pandas as pd
from scipy import stats

from cvkit.plot.axes import axes_or_new

__all__ = ["SegmentProfile", "profile_segments", "adjust_pvalues", "crosstab", "plot_profile_heatmap",
           "pretty_name"]


def adjust_pvalues(p: Sequence[float] | np.ndarray, method: str = "holm") -> np.ndarray:
    """Multiple-testing adjusted p-values (NaN entries are left out and kept NaN).

    Parameters
    ----------
    p : array-like, shape (m,)
    method : {"holm", "fdr_bh", "none"}

    Returns
    -------
    ndarray, shape (m,)
    """
    p = np.asarray(p, dtype=float)
    out = np.full_like(p, np.nan)
    ok = ~np.isnan(p)
    q = p[ok]
    if q.size == 0:
        return out
    if method == "holm":
        order = np.argsort(q, kind="stable")
        m = q.size
        adj = np.maximum.accumulate((m - np.arange(m)) * q[order])
        res = np.empty_like(q)
        res[order] = np.minimum(adj, 1.0)
    elif method == "fdr_bh":
        res = stats.false_discovery_control(q, method="bh")
    elif method == "none":
        res = q
    else:
        raise ValueError(f"correction={method!r} is not known; use 'holm', 'fdr_bh' or 'none'")
    out[ok] = res
    return out


def pretty_name(var: str) -> str:
    """Readable label for tables and charts.

    ``imp_saves_time`` -> ``Saves time (importance)``; ``extras.streaming`` -> ``streaming (extras)``;
    codes the engagement labels (``labels: {car: Auto}``) in its words: ``car.x`` -> ``x (Auto)``.
    """
    try:
        from cvkit.resources import load_elements

        names = dict(zip(load_elements()["element"], load_elements()["name"]))
    except (FileNotFoundError, KeyError):  # pragma: no cover - templates always ship with cvkit
        names = {}
    if var.startswith("imp_") and var[4:] in names:
        return f"{names[var[4:]]} (importance)"
    if var in names:
        return names[var]
    if "." in var:  # conjoint part-worth "<attribute>.<level>", in the engagement's words where it has them
        from cvkit.present.glossary import words

        attribute, level = var.split(".", 1)
        level = words(level) if words(level) != level else level.replace("_", " ")
        attribute = words(attribute) if words(attribute) != attribute else attribute.replace("_", " ")
        return f"{level} ({attribute})"
    return var.replace("_", " ")


@dataclass
class SegmentProfile:
    """Result of :func:`profile_segments`.

    Attributes
    ----------
    sizes : DataFrame
        ``segment``, ``n``, ``share``.
    means : DataFrame
        Rows = numeric variables, columns = segments and ``total``.
    index : DataFrame
        ``100 * segment mean / total mean`` (100 = average); NaN for variables
        that take negative values or average 0, where a ratio means nothing
        (read the difference in ``tests`` instead).
    tests : DataFrame
        One row per numeric variable x segment: ``variable``, ``segment``,
        ``mean``, ``mean_rest``, ``difference``, ``index``, ``t``, ``p``,
        ``p_adj``, ``hedges_g``, ``significant``, ``note``.
    categorical : DataFrame
        One row per categorical variable x level x segment: ``variable``,
        ``level``, ``segment``, ``share``, ``share_total``, ``index``,
        ``chi2``, ``p``, ``p_adj``, ``cramers_v``, ``significant``, ``note``
        (test columns repeat over the levels of a variable).
    flags : list of str
        Variables that could not be tested, and why.
    correction : str
    alpha : float
    """

    sizes: pd.DataFrame
    means: pd.DataFrame
    index: pd.DataFrame
    tests: pd.DataFrame
    categorical: pd.DataFrame
    flags: list[str] = field(default_factory=list)
    correction: str = "holm"
    alpha: float = 0.05

    def distinguishing(self, segment: int | str, n: int = 5, direction: str = "high") -> pd.DataFrame:
        """The ``n`` numeric variables that set a segment apart most (significant only).

        Parameters
        ----------
        segment : segment label
        n : int
        direction : {"high", "low"}
            Over- or under-represented against the rest.
        """
        t = self.tests[(self.tests["segment"] == segment) & self.tests["significant"]]
        t = t[t["hedges_g"] > 0] if direction == "high" else t[t["hedges_g"] < 0]
        return t.reindex(t["hedges_g"].abs().sort_values(ascending=False).index).head(n)

    def summary_table(self) -> pd.DataFrame:
        """Wide table for the deliverable: per variable, segment means, total and index."""
        wide = self.means.copy()
        for c in self.index.columns:
            wide[f"index_{c}"] = self.index[c].round(0)
        wide.index.name = "variable"
        return wide.reset_index()


def _hedges_g(a: np.ndarray, b: np.ndarray) -> float:
    na, nb = len(a), len(b)
    sp = np.sqrt(((na - 1) * a.var(ddof=1) + (nb - 1) * b.var(ddof=1)) / (na + nb - 2))
    if sp == 0:
        return 0.0
    j = 1 - 3 / (4 * (na + nb) - 9)  # small-sample correction
    return float(j * (a.mean() - b.mean()) / sp)


def profile_segments(data: pd.DataFrame, segments: pd.Series, *, numeric: Sequence[str] | None = None,
                     categorical: Sequence[str] = (), correction: str = "holm",
                     alpha: float = 0.05) -> SegmentProfile:
    """Describe every segment against the rest, with tests corrected for multiplicity.

    Parameters
    ----------
    data : DataFrame
        One row per respondent/customer, index aligned with ``segments``.
    segments : Series
        Segment label per row (rows with a missing label are ignored).
    numeric : sequence of str, optional
        Numeric variables; default every numeric column of ``data``.
    categorical : sequence of str
        Categorical variables (demographics, channel, ...).
    correction : {"holm", "fdr_bh", "none"}
    alpha : float
        Significance level applied to the adjusted p-values.

    Returns
    -------
    SegmentProfile
    """
    seg = segments.reindex(data.index)
    if seg.isna().all():
        raise ValueError("no row of the profiling data has a segment; fix: check that data and segments share "
                         "the same index (respondent_id or customer_id)")
    keep = seg.notna()
    data, seg = data.loc[keep], seg.loc[keep]
    labels = sorted(seg.unique(), key=lambda v: (str(type(v)), v))
    if numeric is None:
        numeric = [c for c in data.columns if pd.api.types.is_numeric_dtype(data[c]) and c not in categorical]
    missing = [c for c in [*numeric, *categorical] if c not in data.columns]
    if missing:
        raise ValueError(f"profiling variables {missing} are not in the data; fix: check the names "
                         f"(available: {list(data.columns)[:10]}...)")
    n = len(seg)
    sizes = pd.DataFrame({"segment": labels, "n": [int((seg == s).sum()) for s in labels]})
    sizes["share"] = sizes["n"] / n
    flags: list[str] = []
    tests, means_df, index = _numeric_tests(data, seg, labels, numeric, flags)
    cat = _categorical_tests(data, seg, labels, categorical, flags)
    tests, cat = _adjusted(tests, cat, correction, alpha)
    return SegmentProfile(sizes, means_df, index, tests, cat, flags, correction, alpha)


def _numeric_tests(data: pd.DataFrame, seg: pd.Series, labels: list, numeric: Sequence[str],
                   flags: list[str]) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Welch t-test and Hedges' g of every numeric variable, segment vs rest; means and index (total = 100)."""
    rows = []
    means = {}
    for v in numeric:
        x = pd.to_numeric(data[v], errors="coerce")
        means[v] = {**{s: x[seg == s].mean() for s in labels}, "total": x.mean()}
        uniq = x.dropna().nunique()
        note = ""
        if uniq <= 1:
            note = "only one value: cannot distinguish segments"
            flags.append(f"{v}: {note}")
        for s in labels:
            a, b = x[seg == s].dropna().to_numpy(), x[seg != s].dropna().to_numpy()
            t_stat = p = g = np.nan
            nt = note
            if not nt and (len(a) < 2 or len(b) < 2):
                nt = "fewer than 2 answers in the segment or the rest"
            if not nt:
                if a.var() == 0 and b.var() == 0:
                    nt = "no variation within groups"
                else:
                    res = stats.ttest_ind(a, b, equal_var=False)
                    t_stat, p, g = float(res.statistic), float(res.pvalue), _hedges_g(a, b)
            rows.append({"variable": v, "segment": s, "mean": a.mean() if len(a) else np.nan,
                         "mean_rest": b.mean() if len(b) else np.nan, "t": t_stat, "p": p, "hedges_g": g,
                         "note": nt})
    tests = pd.DataFrame(rows, columns=["variable", "segment", "mean", "mean_rest", "t", "p", "hedges_g", "note"])
    means_df = pd.DataFrame(means).T.reindex(columns=[*labels, "total"])
    index = pd.DataFrame(np.nan, index=means_df.index, columns=labels)
    for v in numeric:
        x = pd.to_numeric(data[v], errors="coerce")
        tot = means_df.loc[v, "total"]
        if x.min() >= 0 and tot > 0:
            index.loc[v] = 100 * means_df.loc[v, labels].to_numpy(dtype=float) / tot
    tests["difference"] = tests["mean"] - tests["mean_rest"]
    tests["index"] = [index.loc[v, s] if v in index.index else np.nan for v, s in zip(tests["variable"],
                                                                                       tests["segment"])]
    return tests, means_df, index


def _categorical_tests(data: pd.DataFrame, seg: pd.Series, labels: list, categorical: Sequence[str],
                       flags: list[str]) -> pd.DataFrame:
    """Chi-square and Cramer's V of every categorical variable, segment vs rest; shares and index per level."""
    crow = []
    for v in categorical:
        col = data[v].astype("string")
        levels = sorted(col.dropna().unique())
        note = ""
        if len(levels) <= 1:
            note = "only one value: cannot distinguish segments"
            flags.append(f"{v}: {note}")
        total_share = col.value_counts(normalize=True)
        for s in labels:
            chi2 = p = cv = np.nan
            if not note:
                tab = pd.crosstab(seg == s, col).reindex(index=[True, False], columns=levels, fill_value=0)
                tab = tab.loc[:, tab.sum(axis=0) > 0]
                if tab.shape[1] > 1 and (tab.sum(axis=1) > 0).all():
                    res = stats.chi2_contingency(tab.to_numpy(), correction=False)
                    chi2, p = float(res.statistic), float(res.pvalue)
                    cv = float(np.sqrt(chi2 / tab.to_numpy().sum()))  # 2 x L table: min(r, c) - 1 = 1
            seg_share = col[seg == s].value_counts(normalize=True)
            for lv in levels:
                st = float(total_share.get(lv, 0.0))
                ss = float(seg_share.get(lv, 0.0))
                crow.append({"variable": v, "level": lv, "segment": s, "share": ss, "share_total": st,
                             "index": 100 * ss / st if st > 0 else np.nan, "chi2": chi2, "p": p,
                             "cramers_v": cv, "note": note})
    cat = pd.DataFrame(crow, columns=["variable", "level", "segment", "share", "share_total", "index", "chi2", "p",
                                      "cramers_v", "note"])
    return cat


def _adjusted(tests: pd.DataFrame, cat: pd.DataFrame, correction: str, alpha: float
              ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Multiplicity-adjusted p-values over one family (numeric tests and one chi-square per variable x segment)."""
    # One family: every numeric test plus one chi-square per categorical variable x segment.
    cat_first = ~cat.duplicated(["variable", "segment"])
    p_all = np.r_[tests["p"].to_numpy(dtype=float), cat.loc[cat_first, "p"].to_numpy(dtype=float)]
    p_adj = adjust_pvalues(p_all, correction)
    tests["p_adj"] = p_adj[:len(tests)]
    adj_cat = pd.Series(p_adj[len(tests):], index=cat.index[cat_first])
    cat["p_adj"] = adj_cat.reindex(cat.index).groupby([cat["variable"], cat["segment"]]).transform("first") \
        if len(cat) else pd.Series(dtype=float)
    tests["significant"] = tests["p_adj"] < alpha
    cat["significant"] = cat["p_adj"] < alpha
    tests = tests[["variable", "segment", "mean", "mean_rest", "difference", "index", "t", "p", "p_adj",
                   "hedges_g", "significant", "note"]]
    cat = cat[["variable", "level", "segment", "share", "share_total", "index", "chi2", "p", "p_adj", "cramers_v",
               "significant", "note"]]
    return tests, cat


def crosstab(data: pd.DataFrame, segments: pd.Series, column: str) -> pd.DataFrame:
    """Column percentages of ``column`` by segment, with the total and an index.

    Parameters
    ----------
    data : DataFrame
    segments : Series aligned with ``data``
    column : str

    Returns
    -------
    DataFrame
        Rows = levels; columns = ``segment <s>`` shares (0..1), ``total`` and
        ``index <s>`` (100 = same share as the total).
    """
    seg = segments.reindex(data.index)
    tab = pd.crosstab(data[column].astype("string"), seg, normalize="columns")
    tab.columns = [f"segment {c}" for c in tab.columns]
    total = data.loc[seg.notna(), column].astype("string").value_counts(normalize=True)
    tab["total"] = total.reindex(tab.index).to_numpy()
    for c in [c for c in tab.columns if c.startswith("segment ")]:
        tab[f"index {c.split(' ', 1)[1]}"] = 100 * tab[c] / tab["total"]
    tab.index.name = column
    return tab


def plot_profile_heatmap(profile: SegmentProfile, top: int = 20, ax: matplotlib.axes.Axes | None = None,
                         labels: dict | None = None) -> matplotlib.axes.Axes:
    """Heatmap of the most distinguishing numeric variables (Hedges' g by segment).

    Variables are ranked by their largest absolute effect size over segments;
    cells show g, with ``*`` where the adjusted p-value is below alpha.

    Parameters
    ----------
    profile : SegmentProfile
    top : int
        Number of variables shown.
    ax : Axes, optional
    labels : dict, optional
        Segment label -> display name for the columns.

    Returns
    -------
    Axes
    """
    import seaborn as sns

    t = profile.tests.dropna(subset=["hedges_g"])
    g = t.pivot(index="variable", columns="segment", values="hedges_g")
    sig = t.pivot(index="variable", columns="segment", values="significant").reindex_like(g)
    order = g.abs().max(axis=1).sort_values(ascending=False).index[:top]
    g, sig = g.loc[order], sig.loc[order].fillna(False).astype(bool)
    annot = g.round(1).astype(str) + np.where(sig, "*", "")
    ax = axes_or_new(ax, (1.6 + 1.2 * g.shape[1], 0.32 * len(g) + 1.5))
    lim = max(float(np.nanmax(np.abs(g.to_numpy()))), 0.5)
    # Symmetric limits put g = 0 at white (seaborn's center= triggers a matplotlib deprecation).
    sns.heatmap(g, annot=annot.to_numpy(), fmt="", cmap="RdBu_r", vmin=-lim, vmax=lim, ax=ax,
                cbar_kws={"label": "Hedges' g vs rest of sample"})
    ax.set_yticks(np.arange(len(g)) + 0.5, [pretty_name(v) for v in g.index], rotation=0)
    ax.set_xticklabels([str((labels or {}).get(c, c)) for c in g.columns], rotation=0)
    ax.set_xlabel("segment")
    ax.set_ylabel("")
    ax.set_title("What sets each segment apart (* = significant after correction)")
    return ax
