"""Charts of the campaign response analysis (seaborn-style: ``ax=None``, return the Axes)."""

from __future__ import annotations

import matplotlib.axes
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from cvkit.plot import ACCENT, CLIENT_COLOR, COMPETITOR_COLORS

__all__ = ["plot_lift", "plot_qini", "plot_uplift_deciles"]


def _ax(ax: matplotlib.axes.Axes | None, size: tuple[float, float]) -> matplotlib.axes.Axes:
    if ax is None:
        _, ax = plt.subplots(figsize=size)
    return ax


def plot_lift(table: pd.DataFrame, label: str | list[str] = "campaign_id", *,
              ax: matplotlib.axes.Axes | None = None) -> matplotlib.axes.Axes:
    """Absolute lift (percentage points) per row of a lift table, with its interval; 0 marked."""
    labels = table[label].astype(str).agg(" / ".join, axis=1) if isinstance(label, list) else table[label].astype(str)
    ax = _ax(ax, (7, 0.45 * len(table) + 1.2))
    y = np.arange(len(table))[::-1]
    lift = table["lift_pp"].to_numpy(float)
    err = np.vstack([lift - table["lift_pp_low"].to_numpy(float), table["lift_pp_high"].to_numpy(float) - lift])
    colors = [CLIENT_COLOR if lo > 0 else (COMPETITOR_COLORS[1] if hi < 0 else "grey")
              for lo, hi in zip(table["lift_pp_low"], table["lift_pp_high"])]
    ax.errorbar(lift, y, xerr=err, fmt="none", ecolor="grey", capsize=3)
    ax.scatter(lift, y, color=colors, zorder=3)
    ax.axvline(0, color="black", lw=0.8)
    ax.set_yticks(y, labels)
    ax.set_xlabel("lift in response rate (percentage points), 95% interval")
    return ax


def plot_qini(curve: pd.DataFrame, *, ax: matplotlib.axes.Axes | None = None, label: str = "uplift model") -> matplotlib.axes.Axes:
    """Qini curve (incremental responders per customer against share targeted) and the random line."""
    ax = _ax(ax, (5.5, 4))
    ax.plot(100 * curve["share_targeted"], 100 * curve["qini"], color=CLIENT_COLOR, label=label)
    ax.plot(100 * curve["share_targeted"], 100 * curve["random"], color="grey", ls="--", label="random targeting")
    ax.set_xlabel("customers targeted, best-ranked first (%)")
    ax.set_ylabel("incremental responders (% of customers)")
    ax.legend(frameon=False)
    return ax


def plot_uplift_deciles(deciles: pd.DataFrame, *, ax: matplotlib.axes.Axes | None = None) -> matplotlib.axes.Axes:
    """Observed lift (with interval) by group of predicted uplift, best group first."""
    ax = _ax(ax, (6, 3.5))
    x = deciles["group"].to_numpy()
    obs = deciles["observed_pp"].to_numpy(float)
    err = np.vstack([obs - deciles["observed_pp_low"].to_numpy(float), deciles["observed_pp_high"].to_numpy(float) - obs])
    ax.bar(x, obs, color=CLIENT_COLOR, alpha=0.8, label="observed lift")
    ax.errorbar(x, obs, yerr=err, fmt="none", ecolor="grey", capsize=2)
    ax.plot(x, deciles["predicted_pp"], color=ACCENT, marker="o", label="predicted (out of fold)")
    ax.axhline(0, color="black", lw=0.8)
    ax.set_xticks(x)
    ax.set_xlabel("group of predicted uplift (1 = highest)")
    ax.set_ylabel("lift (percentage points)")
    ax.legend(frameon=False)
    return ax
