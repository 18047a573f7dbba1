"""Importance-performance matrix, competitive gaps, value map, EVE waterfall, the "so what" table,
and the survey base and NPS charts."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.axes
import numpy as np
import pandas as pd

from cvkit.data.errors import DataError, Problem
from cvkit.drivers.kda import KeyDriverAnalysis, check_ratings
from cvkit.metrics import EVEResult
from cvkit.plot.axes import axes_or_new

__all__ = ["QUADRANTS", "importance_performance", "plot_importance_performance", "gap_table",
           "plot_gaps", "value_map", "plot_value_map", "plot_eve", "action_table", "survey_base", "plot_nps"]

# (importance high?, performance high?) -> quadrant label and the action it implies.
QUADRANTS = {
    (True, False): ("concentrate here", "fix"),
    (True, True): ("keep up the good work", "defend"),
    (False, False): ("low priority", "monitor"),
    (False, True): ("possible overkill", "stop over-investing"),
}


def _cut(values: pd.Series, cut: str | float) -> float:
    if isinstance(cut, str):
        if cut not in ("mean", "median"):
            raise ValueError(f"cut-off {cut!r} is unknown; fix: use 'mean', 'median' or a number")
        return float(values.mean() if cut == "mean" else values.median())
    return float(cut)


def importance_performance(kda: KeyDriverAnalysis | pd.Series, scores: pd.DataFrame, client: str,
                           competitor: str | None = None, *, performance: str = "mean",
                           importance_cut: str | float = "mean", performance_cut: str | float = "mean",
                           labels: dict[str, str] | None = None) -> pd.DataFrame:
    """Derived importance against the client's performance, with quadrants.

    Parameters
    ----------
    kda : KeyDriverAnalysis or Series
        Fitted driver analysis (its Shapley shares in % of R^2 are the importance),
        or a Series of importances indexed by driver (any unit).
    scores : DataFrame
        Long performance table with ``brand``, ``element`` and the ``performance``
        column, e.g. from :func:`~cvkit.drivers.element_scores`.
    client : str
    competitor : str, optional
        Brand to compare with (adds ``competitor_performance`` and ``gap``).
    performance : {"mean", "share_high"}
        Performance measure taken from ``scores``.
    importance_cut, performance_cut : "mean", "median" or float
        Where the quadrant lines are: the mean or median over the drivers, or a
        fixed value (importance in the same unit as the importances, i.e. % of
        R^2 for a fitted analysis; performance in the scale's unit).
    labels : dict, optional
        Display names for drivers.

    Returns
    -------
    DataFrame
        One row per driver sorted by importance: ``driver``, ``label``, ``importance``,
        ``performance``, [``competitor_performance``, ``gap``], ``quadrant``, ``action``
        (fix / defend / monitor / stop over-investing), ``sign``. ``attrs`` holds the
        cut-offs used (``importance_cut``, ``performance_cut``).
    """
    if isinstance(kda, KeyDriverAnalysis):
        kda._check_fitted()
        imp = kda.importance_["shapley_pct"]
        sign = kda.importance_["sign"]
    else:
        imp = pd.Series(kda, dtype=float)
        sign = pd.Series(1, index=imp.index)
    if performance not in scores.columns:
        raise KeyError(f"scores has no column {performance!r}; fix: use 'mean' or 'share_high'")
    brands = set(scores["brand"])
    for b in [client] + ([competitor] if competitor else []):
        if b not in brands:
            raise ValueError(f"brand {b!r} is not in the scores (brands: {sorted(brands)}); fix: check the "
                             f"client/competitor name")
    perf = scores.pivot_table(index="element", columns="brand", values=performance)
    missing = [d for d in imp.index if d not in perf.index]
    if missing:
        raise ValueError(f"drivers {missing} have no performance score; fix: score the same columns you "
                         f"analysed")
    out = pd.DataFrame({"driver": imp.index, "importance": imp.to_numpy(),
                        "performance": perf.loc[imp.index, client].to_numpy()})
    out.insert(1, "label", [(labels or {}).get(d, d) for d in imp.index])
    if competitor:
        out["competitor_performance"] = perf.loc[imp.index, competitor].to_numpy()
        out["gap"] = out["performance"] - out["competitor_performance"]
    ic, pc = _cut(out["importance"], importance_cut), _cut(out["performance"], performance_cut)
    quad = [QUADRANTS[(i >= ic, p >= pc)] for i, p in zip(out["importance"], out["performance"])]
    out["quadrant"] = [q[0] for q in quad]
    out["action"] = [q[1] for q in quad]
    out["sign"] = sign.loc[imp.index].to_numpy()
    out = out.sort_values("importance", ascending=False).reset_index(drop=True)
    out.attrs.update(importance_cut=ic, performance_cut=pc, client=client, competitor=competitor,
                     performance=performance)
    return out


def plot_importance_performance(table: pd.DataFrame, ax: matplotlib.axes.Axes | None = None, *,
                                label_top: int = 12) -> matplotlib.axes.Axes:
    """Scatter of importance (y) against performance (x) with quadrant lines and names.

    With a competitor in ``table`` each driver also gets an arrow from the
    competitor's performance to the client's, so the reader sees where the
    client leads (arrow pointing right) or trails.

    Parameters
    ----------
    table : DataFrame
        Output of :func:`importance_performance`.
    ax : Axes, optional
    label_top : int
        Name only the most important drivers (the rest stay unlabelled dots).

    Returns
    -------
    Axes
    """
    from cvkit.plot import CLIENT_COLOR, COMPETITOR_COLORS
    ax = axes_or_new(ax, (9, 6))
    ic, pc = table.attrs.get("importance_cut"), table.attrs.get("performance_cut")
    has_comp = "competitor_performance" in table
    if has_comp:
        for _, r in table.iterrows():
            ax.annotate("", xy=(r["performance"], r["importance"]),
                        xytext=(r["competitor_performance"], r["importance"]),
                        arrowprops=dict(arrowstyle="->", color="0.6", lw=0.8))
        ax.scatter(table["competitor_performance"], table["importance"], s=18, color=COMPETITOR_COLORS[0],
                   alpha=0.6, label=table.attrs.get("competitor") or "competitor", zorder=2)
    ax.scatter(table["performance"], table["importance"], s=45, color=CLIENT_COLOR, zorder=3,
               label=table.attrs.get("client") or "client")
    texts = [ax.text(r["performance"], r["importance"], r["label"], fontsize=9, zorder=4)
             for _, r in table.head(label_top).iterrows()]
    if ic is not None:
        ax.axhline(ic, color="0.4", lw=1, ls="--")
    if pc is not None:
        ax.axvline(pc, color="0.4", lw=1, ls="--")
    xs = np.concatenate([table["performance"], table.get("competitor_performance", table["performance"])])
    x_lo, x_hi = float(np.nanmin(xs)), float(np.nanmax(xs))
    pad = 0.08 * (x_hi - x_lo or 1)
    ax.set_xlim(x_lo - pad, x_hi + pad)
    # Head- and foot-room with no data in it: the quadrant names sit there, never on a dot.
    y_top = float(table["importance"].max())
    ax.set_ylim(-0.1 * y_top, y_top * 1.14)
    corners = {"concentrate here": (0.01, 0.99, "left"), "keep up the good work": (0.99, 0.99, "right"),
               "low priority": (0.01, 0.01, "left"), "possible overkill": (0.99, 0.01, "right")}
    for name, (x, y, ha) in corners.items():
        ax.text(x, y, name, transform=ax.transAxes, ha=ha, va="top" if y > 0.5 else "bottom", fontsize=9,
                color="0.35", style="italic")
    perf = table.attrs.get("performance", "mean")
    ax.set_xlabel("performance: " + ("mean rating (0-10)" if perf == "mean" else "share rating 8+"))
    ax.set_ylabel("derived importance (% of R²)")
    ax.set_title("Importance vs performance")
    if has_comp:  # outside the data
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    _repel(ax, texts)
    return ax


def _repel(ax: matplotlib.axes.Axes, texts: list) -> None:
    """Move point labels apart (adjustText) so no two names overlap; a thin line joins a moved name to its dot."""
    if not texts:
        return
    from adjustText import adjust_text

    adjust_text(texts, ax=ax, expand=(1.15, 1.4), arrowprops=dict(arrowstyle="-", color="0.5", lw=0.5),
                min_arrow_len=8)


def gap_table(scores: pd.DataFrame, client: str, competitors: Sequence[str] | None = None, *,
              value: str = "mean") -> pd.DataFrame:
    """Client minus competitor score per element.

    Parameters
    ----------
    scores : DataFrame
        Long table from :func:`~cvkit.drivers.element_scores`.
    client : str
    competitors : sequence of str, optional
        Default: every other brand.
    value : {"mean", "share_high"}

    Returns
    -------
    DataFrame
        Index ``element``; columns ``name``, ``client`` (client's score), one gap column
        per competitor (client - competitor, score units) and ``gap_to_best`` (client minus the best
        competitor on that element).
    """
    perf = scores.pivot_table(index="element", columns="brand", values=value)
    if client not in perf.columns:
        raise ValueError(f"client {client!r} is not in the scores (brands: {list(perf.columns)})")
    comps = [b for b in perf.columns if b != client] if competitors is None else list(competitors)
    unknown = [c for c in comps if c not in perf.columns]
    if unknown:
        raise ValueError(f"competitors {unknown} are not in the scores (brands: {list(perf.columns)})")
    out = pd.DataFrame({"client": perf[client]})
    for c in comps:
        out[c] = perf[client] - perf[c]
    out["gap_to_best"] = perf[client] - perf[comps].max(axis=1)
    names = scores.drop_duplicates("element").set_index("element")
    order = names["order"] if "order" in names else pd.Series(range(len(names)), index=names.index)
    out.insert(0, "name", names["name"] if "name" in names else out.index)
    return out.loc[order.sort_values().index.intersection(out.index)]


def plot_gaps(gaps: pd.DataFrame, competitor: str | None = None, ax: matplotlib.axes.Axes | None = None, *,
              order: Sequence[str] | None = None, top: int | None = None) -> matplotlib.axes.Axes:
    """Diverging bars of the client's gap per element (to one competitor or to the best).

    Parameters
    ----------
    gaps : DataFrame
        Output of :func:`gap_table`.
    competitor : str, optional
        Gap column to draw; default ``gap_to_best``.
    ax : Axes, optional
    order : sequence of str, optional
        Element order (e.g. by importance); default the table's order.
    top : int, optional
        Show only the first ``top`` elements of that order.

    Returns
    -------
    Axes
    """
    from cvkit.plot import CLIENT_COLOR, COMPETITOR_COLORS
    col = competitor or "gap_to_best"
    if col not in gaps:
        raise ValueError(f"no gap column {col!r} (columns: {list(gaps.columns)})")
    g = gaps.loc[list(order)] if order is not None else gaps
    if top:
        g = g.head(top)
    ax = axes_or_new(ax, (8, 0.3 * len(g) + 1.2))
    y = np.arange(len(g))[::-1]
    colours = [CLIENT_COLOR if v >= 0 else COMPETITOR_COLORS[0] for v in g[col]]
    ax.barh(y, g[col], color=colours)
    ax.axvline(0, color="black", lw=0.8)
    ax.set_yticks(y, g["name"])
    who = competitor or "the best competitor on each element"
    ax.set_xlabel(f"client minus {who} (rating points)")
    ax.set_title(f"Where the client leads and trails {competitor or 'the best competitor'}")
    return ax


def value_map(df: pd.DataFrame, brand_col: str = "brand", quality: str = "perceived_quality",
              price: str = "perceived_price", *, client: str | None = None, reference: str = "competitors",
              min_n: int = 30, scale: tuple[float, float] = (0, 10)) -> pd.DataFrame:
    """Perceived quality and perceived price per brand, relative to competitors.

    Parameters
    ----------
    df : DataFrame
        Survey, one row per respondent x brand.
    brand_col, quality, price : str
        Column names; ``price`` is the perceived price rating (10 = very expensive).
    client : str, optional
        Needed for ``reference="competitors"``.
    reference : {"competitors", "market"}
        What "relative" is relative to: the average of the competitors' brand
        means (excluding the client), or of all brands' means. The same reference
        is used for every brand, so brands are comparable.
    min_n : int, default 30
        Brands with fewer ratings are flagged (``low_base``).
    scale : (low, high)
        Allowed range of both ratings.

    Returns
    -------
    DataFrame
        One row per brand: ``brand``, ``n``, ``quality``, ``price`` (mean ratings), their standard errors,
        ``rel_quality`` and ``rel_price`` (ratio to the reference, 1 = average),
        ``value_gap`` (``rel_quality - rel_price``: above 0 the brand sits above the
        fair-value line, i.e. gives more quality than its price position implies),
        ``low_base``.
    """
    problems = check_ratings(df, [quality, price], scale)
    if brand_col not in df.columns:
        problems.append(Problem("survey", f"brand column {brand_col!r} is not in the data.", "pass brand_col="))
    if problems:
        raise DataError(problems)
    if reference not in ("competitors", "market"):
        raise ValueError(f"reference={reference!r}; fix: use 'competitors' or 'market'")
    g = df.groupby(df[brand_col].astype(str))
    out = pd.DataFrame({
        "n": g[[quality, price]].count().min(axis=1),
        "quality": g[quality].mean(), "price": g[price].mean(),
        "quality_se": g[quality].sem(), "price_se": g[price].sem(),
    })
    out.index.name = "brand"
    if reference == "competitors":
        if client is None or client not in out.index:
            raise ValueError(f"reference='competitors' needs the client brand (got {client!r}; brands: "
                             f"{list(out.index)})")
        ref = out.drop(index=client)
    else:
        ref = out
    if ref.empty:
        raise ValueError("no competitor brand to compare with; fix: use reference='market'")
    out["rel_quality"] = out["quality"] / ref["quality"].mean()
    out["rel_price"] = out["price"] / ref["price"].mean()
    out["value_gap"] = out["rel_quality"] - out["rel_price"]
    out["low_base"] = out["n"] < min_n
    out.attrs["reference"] = reference
    return out.reset_index()


def plot_value_map(table: pd.DataFrame, client: str, ax: matplotlib.axes.Axes | None = None
                   ) -> matplotlib.axes.Axes:
    """Value map: relative perceived quality against relative perceived price, with the fair-value line.

    Brands above the diagonal offer more perceived quality than their price
    perception implies (better value); below it, worse value.

    Parameters
    ----------
    table : DataFrame
        Output of :func:`value_map`.
    client : str
    ax : Axes, optional

    Returns
    -------
    Axes
    """
    from cvkit.plot import brand_palette
    ax = axes_or_new(ax, (6.5, 6))
    pal = brand_palette(table["brand"], client)
    lo = float(min(table["rel_price"].min(), table["rel_quality"].min())) - 0.08
    hi = float(max(table["rel_price"].max(), table["rel_quality"].max())) + 0.08
    ax.plot([lo, hi], [lo, hi], color="0.4", ls="--", lw=1)
    ax.text(hi, hi, "fair-value line", ha="right", va="bottom", fontsize=8, color="0.35", rotation=45,
            rotation_mode="anchor", transform_rotates_text=True)
    ax.fill_between([lo, hi], [lo, hi], [hi, hi], color="0.93", zorder=0)
    ax.text(lo + 0.01, hi - 0.01, "better value", va="top", fontsize=9, color="0.35", style="italic")
    ax.text(hi - 0.01, lo + 0.01, "worse value", ha="right", va="bottom", fontsize=9, color="0.35",
            style="italic")
    ref_q = (table["quality"] / table["rel_quality"]).iloc[0]
    ref_p = (table["price"] / table["rel_price"]).iloc[0]
    for _, r in table.iterrows():
        xe, ye = 1.96 * r["price_se"] / ref_p, 1.96 * r["quality_se"] / ref_q
        ax.errorbar(r["rel_price"], r["rel_quality"], xerr=xe, yerr=ye, fmt="o", ms=10, color=pal[r["brand"]],
                    capsize=2)
        ax.annotate(r["brand"] + (" (low base)" if r.get("low_base", False) else ""),
                    (r["rel_price"], r["rel_quality"]), xytext=(8, -12), textcoords="offset points",
                    color=pal[r["brand"]], fontweight="bold" if r["brand"] == client else "normal")
    ax.set_xlim(lo, hi)
    ax.set_ylim(lo, hi)
    ax.set_aspect("equal")
    ref = "competitors' average" if table.attrs.get("reference", "competitors") == "competitors" else "market average"
    ax.set_xlabel(f"perceived price relative to {ref} (1 = average; right = more expensive)")
    ax.set_ylabel(f"perceived quality relative to {ref}")
    ax.set_title("Value map")
    return ax


def plot_eve(eve: EVEResult, currency: str = "EUR", ax: matplotlib.axes.Axes | None = None, *,
             price: float | None = None) -> matplotlib.axes.Axes:
    """Waterfall of an economic value estimation: reference value, differentiation items, price ceiling.

    Parameters
    ----------
    eve : EVEResult
        From :func:`cvkit.metrics.economic_value`.
    currency : str
        ISO code for the axis labels.
    ax : Axes, optional
    price : float, optional
        The offer's actual (or planned) price, drawn as a line for comparison.

    Returns
    -------
    Axes
    """
    from cvkit.plot import ACCENT, CLIENT_COLOR, COMPETITOR_COLORS, currency_axis, format_currency
    t = eve.table()
    ax = axes_or_new(ax, (max(6, 1.4 * len(t)), 4.5))
    running = 0.0
    for i, r in t.iterrows():
        if r["kind"] in ("reference", "total"):
            bottom, height = 0.0, r["value"]
            running = r["value"]
            colour = COMPETITOR_COLORS[0] if r["kind"] == "reference" else CLIENT_COLOR
        else:
            bottom = running if r["value"] >= 0 else running + r["value"]
            height = abs(r["value"])
            running += r["value"]
            colour = ACCENT if r["value"] >= 0 else COMPETITOR_COLORS[1]
        ax.bar(i, height, bottom=bottom, color=colour, width=0.65)
        ax.text(i, bottom + height, format_currency(r["value"], currency), ha="center", va="bottom", fontsize=9)
    if price is not None:
        ax.axhline(price, color="black", ls="--", lw=1)
        # The label sits in the margin right of the bars, never on one.
        ax.set_xlim(-0.5, len(t) - 0.5)
        ax.annotate(f"price\n{format_currency(price, currency)}", xy=(1.0, price), xycoords=("axes fraction", "data"),
                    xytext=(4, 0), textcoords="offset points", ha="left", va="center", fontsize=9)
    ax.set_xticks(range(len(t)), ["\n".join(_wrap(s)) for s in t["item"]], fontsize=9)
    ax.set_ylabel(f"value per customer ({currency})")
    currency_axis(ax, currency)
    ax.set_title("Economic value to the customer (value-based price ceiling)")
    return ax


def _wrap(s: str, width: int = 16) -> list[str]:
    import textwrap
    return textwrap.wrap(str(s), width)


def action_table(ipa: pd.DataFrame, *, top: int = 5) -> pd.DataFrame:
    """The "so what": elements to fix, to defend, and to stop over-investing in.

    Parameters
    ----------
    ipa : DataFrame
        Output of :func:`importance_performance`.
    top : int
        At most this many elements per action.

    Returns
    -------
    DataFrame
        Columns ``action`` (fix / defend / stop over-investing), ``driver``, ``label``,
        ``importance``, ``performance``, [``gap``], ``why``. Fix items are ordered by
        how far they sit from both quadrant lines (in standard deviations), so the
        clearest cases come first: important and weak for fix, important and strong
        for defend, strong and unimportant for stop over-investing.
    """
    rows = []
    has_gap = "gap" in ipa
    comp = ipa.attrs.get("competitor")
    # Distance from the quadrant lines in standard units: the clearest cases come first.
    ic = ipa.attrs.get("importance_cut", ipa["importance"].mean())
    pc = ipa.attrs.get("performance_cut", ipa["performance"].mean())
    zi = (ipa["importance"] - ic) / (ipa["importance"].std() or 1)
    zp = (ipa["performance"] - pc) / (ipa["performance"].std() or 1)
    clarity = {"fix": zi - zp, "defend": zi + zp, "stop over-investing": zp - zi}
    for action in ("fix", "defend", "stop over-investing"):
        sub = ipa.assign(_c=clarity[action])
        sub = sub[sub["action"] == action].sort_values("_c", ascending=False).head(top)
        for _, r in sub.iterrows():
            gap = f"; {r['gap']:+.1f} vs {comp}" if has_gap and comp else ""
            why = {
                "fix": f"important ({r['importance']:.1f}% of R²) but below-par performance ({r['performance']:.1f}){gap}",
                "defend": f"important ({r['importance']:.1f}% of R²) and strong ({r['performance']:.1f}){gap}",
                "stop over-investing": f"strong ({r['performance']:.1f}) but little effect on the outcome "
                                       f"({r['importance']:.1f}% of R²){gap}",
            }[action]
            row = {"action": action, "driver": r["driver"], "label": r["label"], "importance": r["importance"],
                   "performance": r["performance"]}
            if has_gap:
                row["gap"] = r["gap"]
            row["why"] = why
            rows.append(row)
    cols = ["action", "driver", "label", "importance", "performance"] + (["gap"] if has_gap else []) + ["why"]
    return pd.DataFrame(rows, columns=cols)


def survey_base(df: pd.DataFrame, brand_col: str = "brand", *, min_base: int = 100,
                respondent_col: str = "respondent_id",
                columns: Sequence[str] = ("nps", "satisfaction", "overall_value", "perceived_quality",
                                          "perceived_price")) -> pd.DataFrame:
    """Who answered: respondents per brand and the share of blank answers to each core question.

    Parameters
    ----------
    df : DataFrame
        Survey, one row per respondent x brand.
    brand_col, respondent_col : str
    min_base : int
        Brands rated by fewer respondents are flagged ``below_min_base``.
    columns : sequence of str
        Questions whose blanks are counted (those absent from ``df`` are skipped).

    Returns
    -------
    DataFrame
        One row per brand: ``brand``, ``respondents``, ``missing_<question>`` (share 0..1
        of that brand's rows left blank), ``below_min_base``.
    """
    for c in (brand_col, respondent_col):
        if c not in df.columns:
            raise DataError(Problem("survey", f"column {c!r} is not in the data.", "pass the right column name"))
    brand = df[brand_col].astype(str)
    out = df.groupby(brand).agg(respondents=(respondent_col, "nunique"))
    for c in columns:
        if c in df.columns:
            out[f"missing_{c}"] = df[c].isna().groupby(brand).mean()
    out["below_min_base"] = out["respondents"] < min_base
    out.index.name = "brand"
    return out.reset_index()


def plot_nps(table: pd.DataFrame, client: str, ax: matplotlib.axes.Axes | None = None, *,
             brand_col: str = "brand") -> matplotlib.axes.Axes:
    """NPS per brand as bars with their confidence intervals, the client in the client colour.

    Parameters
    ----------
    table : DataFrame
        Output of :func:`cvkit.metrics.by_group` with ``metric="nps"`` (columns ``value``,
        ``ci_low``, ``ci_high``); suppressed groups (NaN) are left out and named in the title.
    client : str
    ax : Axes, optional
    brand_col : str
        Group column of ``table``.

    Returns
    -------
    Axes
    """
    from cvkit.plot import brand_palette
    ax = axes_or_new(ax, (7, 0.5 * len(table) + 1.6))
    palette = brand_palette(table[brand_col].astype(str), client)
    shown = table.dropna(subset=["value"]).sort_values("value")
    hidden = [str(b) for b in table.loc[table["value"].isna(), brand_col]]
    names = shown[brand_col].astype(str)
    ax.barh(names, shown["value"], color=[palette[b] for b in names])
    ax.errorbar(shown["value"], names, xerr=[shown["value"] - shown["ci_low"], shown["ci_high"] - shown["value"]],
                fmt="none", ecolor="black", capsize=3)
    ax.axvline(0, color="black", lw=0.8)
    ax.set_xlabel("NPS (points), with confidence interval")
    ax.set_title("Net Promoter Score by brand" + (f" (not shown, base too small: {', '.join(hidden)})"
                                                  if hidden else ""))
    return ax
