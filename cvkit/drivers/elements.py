"""Elements of value: scoring per brand, high-score counts against NPS, the pyramid chart.

Bain & Company's elements of value arrange 30 things customers value in a
pyramid: 14 functional, 10 emotional, 5 life-changing and 1 social-impact
element. A brand "scores high" on an element when at least half of its
customers rate it 8 or more on 0-10; Bain reports that brands high on four or
more elements had about three times the NPS of brands high on only one. The
catalogue lives in ``templates/elements_of_value.csv`` (see
:func:`cvkit.resources.load_elements`).
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

import matplotlib.axes
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.colors import Normalize
from matplotlib.patches import Rectangle

from cvkit.data.errors import DataError, Problem
from cvkit.drivers.kda import check_ratings
from cvkit.metrics import nps as _nps
from cvkit.resources import load_elements
from cvkit.plot.axes import axes_or_new

__all__ = ["LEVELS", "LEVEL_NAMES", "element_scores", "high_score_counts", "high_scores_vs_nps",
           "plot_pyramid", "plot_high_scores_vs_nps", "element_labels"]

LEVELS = ("functional", "emotional", "life_changing", "social_impact")
LEVEL_NAMES = {"functional": "Functional", "emotional": "Emotional", "life_changing": "Life changing",
               "social_impact": "Social impact"}


def element_labels() -> dict[str, str]:
    """Element slug -> display name (e.g. ``"saves_time" -> "Saves time"``)."""
    el = load_elements()
    return dict(zip(el["element"], el["name"]))


def element_scores(df: pd.DataFrame, brand_col: str = "brand", elements: Sequence[str] | None = None, *,
                   high_from: float = 8, high_share: float = 0.5, scale: tuple[float, float] = (0, 10),
                   weights: str | None = None, min_n: int = 30) -> pd.DataFrame:
    """Score every element for every brand: mean rating, share rating high, high-score flag.

    Parameters
    ----------
    df : DataFrame
        Survey responses, one row per respondent x brand, with one 0-10 column
        per element (named by its slug).
    brand_col : str, default "brand"
    elements : sequence of str, optional
        Element columns to score; default every catalogue element present in ``df``.
        Columns not in the catalogue are scored too (level ``"other"``).
    high_from : float, default 8
        A rating at or above this counts as high.
    high_share : float, default 0.5
        An element is a "high score" for a brand when the share of high ratings
        is at least this.
    scale : (low, high), default (0, 10)
        Allowed rating range (values outside raise :class:`DataError`).
    weights : str, optional
        Respondent weight column.
    min_n : int, default 30
        Brands with fewer ratings of an element are flagged ``low_base`` and never
        counted as high scores.

    Returns
    -------
    DataFrame
        Long table, one row per brand x element: ``brand``, ``element``, ``name``,
        ``level``, ``order``, ``n`` (non-missing ratings), ``mean`` (scale units),
        ``share_high`` (0..1), ``high`` (bool), ``low_base`` (bool).
    """
    cat = load_elements()
    if elements is None:
        elements = [e for e in cat["element"] if e in df.columns]
        if not elements:
            raise DataError(Problem("survey", "none of the 30 element columns (e.g. 'saves_time') is in "
                                    "the data.", "name the element columns by their slugs (see "
                                    "templates/elements_of_value.csv) or pass elements=[...]"))
    elements = list(elements)
    problems = check_ratings(df, elements, scale)
    if brand_col not in df.columns:
        problems.insert(0, Problem("survey", f"brand column {brand_col!r} is not in the data.",
                                   "pass brand_col= the column naming the brand rated"))
    if problems:
        raise DataError(problems)
    if not 0 < high_share <= 1:
        raise ValueError(f"high_share={high_share} must be in (0, 1], e.g. 0.5")
    X = df[elements].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    w = np.ones(len(df)) if weights is None else df[weights].to_numpy(dtype=float)
    brands = df[brand_col].astype(str).to_numpy()
    rows = []
    for b in sorted(set(brands)):
        sel = brands == b
        Xb, wb = X[sel], w[sel]
        obs = ~np.isnan(Xb)
        W = obs * wb[:, None]
        sw = W.sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.where(obs, Xb, 0).T @ wb / sw
            share = ((np.where(obs, Xb, -np.inf) >= high_from) * W).sum(axis=0) / sw
        n = obs.sum(axis=0)
        rows.append(pd.DataFrame({"brand": b, "element": elements, "n": n, "mean": mean, "share_high": share}))
    out = pd.concat(rows, ignore_index=True)
    meta = cat.set_index("element")[["name", "level", "order"]]
    out["name"] = out["element"].map(meta["name"]).fillna(out["element"])
    out["level"] = out["element"].map(meta["level"].astype(str)).fillna("other")
    out["order"] = out["element"].map(meta["order"]).fillna(99).astype(int)
    out["low_base"] = out["n"] < min_n
    out["high"] = (out["share_high"] >= high_share) & ~out["low_base"]
    return out[["brand", "element", "name", "level", "order", "n", "mean", "share_high", "high", "low_base"]]


def high_score_counts(scores: pd.DataFrame) -> pd.DataFrame:
    """Number of high-scoring elements per brand, in total and by pyramid level.

    Parameters
    ----------
    scores : DataFrame
        Output of :func:`element_scores`.

    Returns
    -------
    DataFrame
        One row per brand: ``brand``, ``n_high`` and one ``n_high_<level>`` column per level.
    """
    t = scores.pivot_table(index="brand", columns="level", values="high", aggfunc="sum", observed=True)
    t = t.reindex(columns=[lv for lv in LEVELS if lv in t.columns]).fillna(0).astype(int)
    t.columns = [f"n_high_{c}" for c in t.columns]
    t.insert(0, "n_high", t.sum(axis=1))
    return t.reset_index()


def high_scores_vs_nps(df: pd.DataFrame, scores: pd.DataFrame, brand_col: str = "brand", nps_col: str = "nps",
                       *, level: float = 0.95) -> pd.DataFrame:
    """High-score counts next to each brand's NPS (with interval), to check Bain's relation.

    Parameters
    ----------
    df : DataFrame
        Survey responses (for NPS).
    scores : DataFrame
        Output of :func:`element_scores` on the same data.
    brand_col, nps_col : str
    level : float
        Confidence level of the NPS interval.

    Returns
    -------
    DataFrame
        One row per brand, sorted by ``n_high``: ``brand``, ``n_high``, ``nps``, ``nps_low``,
        ``nps_high``, ``n``. The attribute ``attrs["spearman"]`` holds the rank correlation
        of ``n_high`` and NPS across brands (NaN with fewer than 3 brands or no variation),
        a descriptive figure only: with a handful of brands it is not a test.
    """
    counts = high_score_counts(scores)
    rows = []
    for b, g in df.groupby(df[brand_col].astype(str), sort=True):
        r = _nps(g[nps_col], level=level)
        rows.append({"brand": b, "nps": r.nps, "nps_low": r.ci_low, "nps_high": r.ci_high, "n": r.n})
    out = counts[["brand", "n_high"]].merge(pd.DataFrame(rows), on="brand", how="left")
    out = out.sort_values(["n_high", "nps"]).reset_index(drop=True)
    rho = np.nan
    if len(out) >= 3 and out["n_high"].nunique() > 1 and out["nps"].nunique() > 1:
        from scipy.stats import spearmanr
        rho = float(spearmanr(out["n_high"], out["nps"]).statistic)
    out.attrs["spearman"] = rho
    return out


def plot_high_scores_vs_nps(table: pd.DataFrame, client: str, ax: matplotlib.axes.Axes | None = None
                            ) -> matplotlib.axes.Axes:
    """Scatter of NPS (with interval) against the number of high-scoring elements, one point per brand.

    Parameters
    ----------
    table : DataFrame
        Output of :func:`high_scores_vs_nps`.
    client : str
        Client brand (drawn in the client colour).
    ax : Axes, optional

    Returns
    -------
    Axes
    """
    from cvkit.plot import brand_palette
    ax = axes_or_new(ax, (7, 4.5))
    pal = brand_palette(table["brand"], client)
    for _, r in table.iterrows():
        ax.errorbar(r["n_high"], r["nps"], yerr=[[r["nps"] - r["nps_low"]], [r["nps_high"] - r["nps"]]],
                    fmt="o", color=pal[r["brand"]], ms=9, capsize=3)
        ax.annotate(r["brand"], (r["n_high"], r["nps"]), xytext=(8, 4), textcoords="offset points",
                    color=pal[r["brand"]], fontweight="bold" if r["brand"] == client else "normal")
    ax.set_xlabel("number of elements scored high (share 8+ at or above threshold)")
    ax.set_ylabel("NPS (points)")
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.set_title("More elements scored high, higher NPS?")
    return ax


def _tile_label(name: str, width: int = 10) -> str:
    """An element's name in lines of at most ``width`` characters (a long word split with a hyphen)."""
    words = []
    for word in str(name).replace("/", "/ ").split():
        while len(word) > width + 1:
            words.append(word[:width - 2] + "-")
            word = word[width - 2:]
        words.append(word)
    return "\n".join(textwrap.wrap(" ".join(words), width, break_long_words=False, break_on_hyphens=False))


def _pyramid_rows(meta: pd.DataFrame, levels: list[str]) -> list[tuple[str, list[str], bool]]:
    """Rows of tiles, bottom up: ``(level, elements, whether the level's name goes on this row)``.

    A level wider than 10 tiles (the 14 functional elements) takes two rows, so each tile is wide
    enough for its name at 9 pt when the chart is shown at page width.
    """
    rows: list[tuple[str, list[str], bool]] = []
    for lv in levels:
        els = list(meta[meta["level"] == lv].sort_values("order").index)
        half = (len(els) + 1) // 2 if len(els) > 10 else len(els)
        parts = [els[half:], els[:half]] if half < len(els) else [els]
        rows += [(lv, part, i == len(parts) - 1) for i, part in enumerate(parts)]
    return rows


def _draw_tile(ax: matplotlib.axes.Axes, xy: tuple[float, float], size: tuple[float, float], name: str,
               v: float, *, colour: tuple, is_high: bool, pct: bool, gap: float | None,
               gap_threshold: float) -> None:
    """One element's tile at ``xy`` (lower left, data units): name, score and, on the client's, the gap."""
    (x, y), (tile_w, tile_h) = xy, size
    ax.add_patch(Rectangle((x, y), tile_w * 0.96, tile_h * 0.94,
                           facecolor=colour, edgecolor="black" if is_high else "white",
                           linewidth=2.0 if is_high else 0.5))
    lum = 0.299 * colour[0] + 0.587 * colour[1] + 0.114 * colour[2]
    txt_c = "white" if lum < 0.5 else "black"  # readable on dark and light tiles
    score = f"{v:.0f}{'%' if pct else ''}" if pct else f"{v:.1f}"
    cx = x + tile_w * 0.48
    ax.text(cx, y + tile_h * 0.70, _tile_label(name, 10), ha="center", va="center",
            fontsize=9, color=txt_c, linespacing=0.95)
    ax.text(cx, y + tile_h * 0.32, score, ha="center", va="center", fontsize=10,
            color=txt_c, fontweight="bold")
    if gap is not None:
        ax.text(cx, y + tile_h * 0.11, f"{gap:+.0f}" if pct else f"{gap:+.1f}", ha="center",
                va="center", fontsize=9, color=txt_c, fontweight="bold" if abs(gap) >= gap_threshold else "normal")


def plot_pyramid(scores: pd.DataFrame, client: str, competitor: str | None = None,
                 ax: matplotlib.axes.Axes | None = None, *, value: str = "share_high",
                 gap_threshold: float | None = None, cmap: str = "rocket_r") -> matplotlib.axes.Axes:
    """The elements-of-value pyramid: client beside a competitor, tiles coloured by score.

    Each level of the pyramid is a row of tiles (functional at the bottom,
    social impact at the top). Tile colour is the brand's score; the client's
    tiles also show the gap to the competitor, in bold when it reaches
    ``gap_threshold``. High-score elements get a thick outline.

    Parameters
    ----------
    scores : DataFrame
        Output of :func:`element_scores` (needs the catalogue's 30 elements for a full pyramid).
    client : str
    competitor : str, optional
        Brand drawn beside the client; without it only the client's pyramid is drawn.
    ax : Axes, optional
    value : {"share_high", "mean"}
        Score shown: share rating 8+ (as %) or mean rating.
    gap_threshold : float, optional
        Gaps at least this large (percentage points for ``share_high``, rating points
        for ``mean``) are shown in bold; default 10 points or 0.5 rating points.
    cmap : str
        Sequential colour map (shared by both pyramids so colours compare).

    Returns
    -------
    Axes
    """
    import seaborn as sns
    if value not in ("share_high", "mean"):
        raise ValueError(f"value={value!r}; fix: use 'share_high' or 'mean'")
    brands = set(scores["brand"])
    for b in [client] + ([competitor] if competitor else []):
        if b not in brands:
            raise ValueError(f"brand {b!r} is not in the scores (brands: {sorted(brands)})")
    pct = value == "share_high"
    factor = 100.0 if pct else 1.0
    gap_threshold = (10.0 if pct else 0.5) if gap_threshold is None else gap_threshold
    panel = [client] + ([competitor] if competitor else [])
    sub = scores[scores["brand"].isin(panel)]
    vals = sub.pivot_table(index="element", columns="brand", values=value) * factor
    high = sub.pivot_table(index="element", columns="brand", values="high", aggfunc="max")
    meta = sub.drop_duplicates("element").set_index("element")
    norm = Normalize(vmin=float(np.nanmin(vals.to_numpy())), vmax=float(np.nanmax(vals.to_numpy())))
    colormap = sns.color_palette(cmap, as_cmap=True)
    levels = [lv for lv in LEVELS if lv in set(meta["level"])]
    rows = _pyramid_rows(meta, levels)
    widest = max(len(els) for _, els, _ in rows)
    tile_w, tile_h, gap_y = 1.0, 1.35, 0.7
    block = len(rows) * tile_h + gap_y  # one brand's pyramid, stacked vertically
    ax = axes_or_new(ax, (11, 4.6 * len(panel) + 0.6))
    for p_i, brand in enumerate(panel):
        y0 = (len(panel) - 1 - p_i) * block  # the client on top
        for row, (lv, els, named) in enumerate(rows):
            start = (widest - len(els)) * tile_w / 2
            y = y0 + row * tile_h
            for i, e in enumerate(els):
                v = vals.loc[e, brand]
                gap = (v - vals.loc[e, competitor] if competitor and brand == client
                       and np.isfinite(vals.loc[e, competitor]) else None)
                _draw_tile(ax, (start + i * tile_w, y), (tile_w, tile_h), meta.loc[e, "name"], v,
                           colour=colormap(norm(v)) if np.isfinite(v) else (0.9, 0.9, 0.9, 1),
                           is_high=bool(high.loc[e, brand]) if e in high.index else False, pct=pct,
                           gap=gap, gap_threshold=gap_threshold)
            if named:
                two_rows = sum(r[0] == lv for r in rows) > 1  # the name sits between its two rows
                ax.text(-0.2, y if two_rows else y + tile_h / 2, LEVEL_NAMES.get(lv, lv),
                        ha="right", va="center", fontsize=10, color="0.3")
        ax.text(widest * tile_w / 2, y0 + len(rows) * tile_h + 0.08, brand, ha="center", va="bottom",
                fontsize=12, fontweight="bold")
    ax.set_xlim(-1.9, widest * tile_w + 0.1)
    ax.set_ylim(-0.2, len(panel) * block - gap_y + 0.5)
    ax.set_axis_off()
    _pyramid_legend(ax, norm, colormap, pct, client, competitor)
    return ax


def _pyramid_legend(ax: matplotlib.axes.Axes, norm: Normalize, colormap: matplotlib.colors.Colormap, pct: bool, client: str,
                    competitor: str | None) -> None:
    """The colour bar and the title saying what the colours and the small figures mean."""
    sm = plt.cm.ScalarMappable(norm=norm, cmap=colormap)
    cb = ax.figure.colorbar(sm, ax=ax, fraction=0.02, pad=0.01)
    cb.set_label("share rating 8+ (%)" if pct else "mean rating (0-10)")
    what = "share of customers rating 8+" if pct else "mean rating"
    vs = f"; small figures on {client}'s tiles: gap to {competitor}" if competitor else ""
    ax.set_title(f"Elements of value: {what}\n(outlined = high score{vs})")
