"""Charts of conjoint results in the house style (call ``cvkit.plot.set_theme()`` first).

Every function takes ``ax=None`` (a new figure is made) and returns the Axes.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from cvkit.plot import ACCENT, CLIENT_COLOR, COMPETITOR_COLORS, currency_axis
from cvkit.present import words
from cvkit.plot.axes import axes_or_new

__all__ = ["plot_partworths", "plot_importances", "plot_wtp", "plot_partworth_distributions", "plot_trace",
           "plot_shares", "plot_price_curve"]


def _ax(ax, size=(8.0, 4.5)):
    ax = axes_or_new(ax, size)
    return ax


def plot_partworths(table: pd.DataFrame, attribute: str | None = None, ax=None):
    """Part-worth profile: one line per attribute with interval bars.

    Parameters
    ----------
    table : DataFrame
        Output of :func:`cvkit.choice.partworth_table` (``attribute``, ``level``,
        ``estimate``, ``lower``, ``upper``).
    attribute : str, optional
        Only this attribute; default all but ``none``, side by side.
    """
    t = table[table["attribute"] != "none"]
    if attribute is not None:
        t = t[t["attribute"] == attribute]
    ax = _ax(ax, (max(6.0, 0.7 * len(t) + 2), 4.5))
    x0 = 0
    ticks, labels, centres, names = [], [], [], []
    for a, g in t.groupby("attribute", sort=False):
        xs = np.arange(x0, x0 + len(g))
        ax.errorbar(xs, g["estimate"], yerr=np.clip([g["estimate"] - g["lower"], g["upper"] - g["estimate"]], 0, None),
                    color=ACCENT, marker="o", capsize=3, lw=2)
        centres.append(float(xs.mean()))
        names.append(_wrap(words(a), max(8, 4 * len(g) + 2)))
        ticks += list(xs)
        labels += [_wrap(str(v).replace("_", " "), 11) for v in g["level"]]
        x0 += len(g) + 1
    # Attribute names as the tick labels of a top axis: the title is then placed above them, however
    # many lines a long name wraps to (text drawn at a fixed height ran into the title).
    top = ax.secondary_xaxis("top")
    top.set_xticks(centres, names, fontweight="bold", fontsize=9)
    top.tick_params(length=0)
    top.spines["top"].set_visible(False)
    ax.axhline(0, color="0.6", lw=1)
    ax.set_xticks(ticks, labels, rotation=30, ha="right", fontsize=9)
    ax.set_ylabel("part-worth (utility)")
    return ax


def plot_importances(summary: pd.DataFrame, ax=None):
    """Horizontal bars of mean attribute importance (%) with the respondent 10-90% range.

    ``summary`` is :func:`cvkit.choice.importance_summary`.
    """
    s = summary.sort_values("importance")
    s = s.assign(attribute=s["attribute"].map(words))  # the client's words for the attribute codes
    ax = _ax(ax, (7.0, 0.6 * len(s) + 1.5))
    ax.barh(s["attribute"], s["importance"], color=ACCENT)
    spread = np.clip([s["importance"] - s["p10"], s["p90"] - s["importance"]], 0, None)
    ax.errorbar(s["importance"], s["attribute"], xerr=spread,
                fmt="none", ecolor="0.35", capsize=3, lw=1)
    for y, v in enumerate(s["importance"]):
        ax.text(v + 1, y, f"{v:.0f}%", va="center", ha="left")
    ax.set_xlabel("importance (% of utility range; bars: 10th-90th percentile of respondents)")
    ax.set_xlim(0, max(100.0, float(s["p90"].max()) + 5))
    return ax


def plot_wtp(table: pd.DataFrame, currency: str = "EUR", ax=None, unit: str | None = None):
    """Willingness to pay per upgrade with its interval (``table`` from :func:`cvkit.choice.wtp`).

    ``unit`` is what one unit of the price attribute is (e.g. ``"cents/kWh"``); when it is not the
    currency itself the ticks are plain numbers and the axis label names the unit.
    """
    t = table.dropna(subset=["wtp"]).copy()
    t["label"] = t["attribute"].map(words) + ": " + t["from_level"].astype(str) + " → " + t["to_level"].astype(str)
    t = t.sort_values("wtp")
    ax = _ax(ax, (8.0, 0.5 * len(t) + 1.5))
    colors = [CLIENT_COLOR if v > 0 else COMPETITOR_COLORS[0] for v in t["wtp"]]
    ax.barh(t["label"], t["wtp"], color=colors)
    ax.errorbar(t["wtp"], t["label"], xerr=np.clip([t["wtp"] - t["lower"], t["upper"] - t["wtp"]], 0, None), fmt="none",
                ecolor="0.2", capsize=3, lw=1)
    ax.axvline(0, color="0.5", lw=1)
    if unit is None or unit == currency:
        currency_axis(ax, currency, axis="x")
        ax.set_xlabel(f"willingness to pay ({currency} per unit of the price attribute)")
    else:
        ax.set_xlabel(f"willingness to pay ({unit})")
    return ax


def plot_partworth_distributions(values: pd.DataFrame, columns: Sequence[str] | None = None, ax=None):
    """Distribution of respondent-level part-worths (one box per level).

    ``values`` are respondent part-worths, e.g. zero-centred diffs.
    """
    cols = list(columns) if columns is not None else [c for c in values.columns if c != "none"]
    ax = _ax(ax, (max(6.0, 0.55 * len(cols) + 2), 4.5))
    ax.boxplot([values[c].to_numpy() for c in cols], orientation="vertical", showfliers=False, patch_artist=True,
               boxprops={"facecolor": ACCENT, "alpha": 0.6}, medianprops={"color": "black"})
    ax.set_xticks(np.arange(1, len(cols) + 1), cols, rotation=60, ha="right")
    ax.axhline(0, color="0.6", lw=1)
    ax.set_ylabel("respondent part-worth")
    return ax


def plot_trace(draws: np.ndarray, names: Sequence[str], ax=None, max_params: int = 6):
    """Trace plot of population-mean draws, one line per chain and parameter (first ``max_params``).

    ``draws`` has shape (chains, kept, K), e.g. ``HierarchicalBayesMNL.b_draws_``.
    """
    ax = _ax(ax, (9.0, 4.5))
    C, D, K = draws.shape
    for k in range(min(K, max_params)):
        for c in range(C):
            ax.plot(draws[c, :, k], lw=0.6, alpha=0.8, color=f"C{k % 7}", label=names[k] if c == 0 else None)
    ax.set_xlabel("kept draw (after burn-in)")
    ax.set_ylabel("population mean part-worth")
    ax.legend(ncol=3, fontsize="small", loc="upper left", bbox_to_anchor=(0, -0.15))
    return ax


def plot_shares(shares: pd.Series | pd.DataFrame, client_products: Sequence[str] = (), ax=None):
    """Bars of predicted shares (Series) or grouped bars per scenario (DataFrame columns)."""
    ax = _ax(ax)
    if isinstance(shares, pd.Series):
        colors = [CLIENT_COLOR if p in client_products else ("0.75" if p == "None" else COMPETITOR_COLORS[i % 6])
                  for i, p in enumerate(shares.index)]
        ax.bar(np.arange(len(shares)), 100 * shares.to_numpy(), color=colors)
        ax.set_xticks(np.arange(len(shares)), [_wrap(p) for p in shares.index.astype(str)])
        for i, v in enumerate(shares.to_numpy()):
            ax.text(i, 100 * v + 0.5, f"{100 * v:.1f}%", ha="center", va="bottom", fontsize=10)
        ax.set_ylim(0, 100 * float(np.nanmax(shares.to_numpy())) * 1.15 + 1)  # room for the value labels
    else:
        s = shares.drop(columns=[c for c in ["change"] if c in shares.columns])
        width = 0.8 / s.shape[1]
        for j, col in enumerate(s.columns):
            ax.bar(np.arange(len(s)) + j * width, 100 * s[col].to_numpy(), width=width, label=str(col),
                   color=[ACCENT, CLIENT_COLOR, *COMPETITOR_COLORS][j % 8])
        ax.set_xticks(np.arange(len(s)) + 0.4 - width / 2, [_wrap(p) for p in s.index.astype(str)])
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    ax.set_ylabel("share of preference (%)")
    return ax


def plot_price_curve(curve: pd.DataFrame, currency: str = "EUR", ax=None):
    """Share (left axis) and revenue per buyer (right axis) against price (``Simulator.price_curve``).

    Each axis is titled with its measure and unit in its series' colour, and one legend below the
    chart names both lines, so the two scales cannot be confused.
    """
    ax = _ax(ax)
    share, = ax.plot(curve["price"], 100 * curve["share"], color=CLIENT_COLOR, lw=2,
                     label="share of preference (%, left axis)")
    ax.set_ylabel("share of preference (%)", color=CLIENT_COLOR)
    currency_axis(ax, currency, axis="x")
    ax.set_xlabel(f"price ({currency})")
    ax2 = ax.twinx()
    revenue, = ax2.plot(curve["price"], curve["revenue"], color=ACCENT, lw=2, ls="--",
                        label=f"revenue per customer in the market ({currency}, right axis)")
    currency_axis(ax2, currency, decimals=2)
    ax2.set_ylabel(f"revenue per customer ({currency})", color=ACCENT)
    ax2.grid(False)
    ax.legend(handles=[share, revenue], loc="upper left", bbox_to_anchor=(0, -0.18), ncol=1, frameon=False)
    return ax


def _wrap(label: str, width: int = 12) -> str:
    """A category name on up to a few short lines, so neighbouring tick labels never collide."""
    import textwrap

    return "\n".join(textwrap.wrap(label, width)) or label
