"""Segmentation charts that do not belong to one step: dendrogram and segment sizes."""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib.axes
import numpy as np
from scipy.cluster.hierarchy import dendrogram

from cvkit.plot import ACCENT
from cvkit.plot.axes import axes_or_new

__all__ = ["plot_dendrogram", "plot_segment_sizes"]


def plot_dendrogram(linkage_matrix: np.ndarray, k: int | None = None, *, truncate: int = 30,
                    ax: matplotlib.axes.Axes | None = None) -> matplotlib.axes.Axes:
    """Ward dendrogram (truncated to the last ``truncate`` merges), with the cut for ``k`` segments.

    Parameters
    ----------
    linkage_matrix : ndarray, shape (n - 1, 4)
        SciPy linkage (``SegmentModel(..., algorithm="ward").linkage_``).
    k : int, optional
        Draw the cut height that gives ``k`` segments.
    truncate : int
        Leaves shown (merges below are collapsed; labels give their sizes).
    ax : Axes, optional

    Returns
    -------
    Axes
        Long vertical jumps before a merge mean well separated groups.
    """
    ax = axes_or_new(ax, (8, 4.5))
    dendrogram(linkage_matrix, truncate_mode="lastp", p=truncate, ax=ax, color_threshold=0,
               above_threshold_color="#5B6770", no_labels=False, leaf_font_size=7)
    if k is not None and 2 <= k <= len(linkage_matrix):
        heights = np.sort(linkage_matrix[:, 2])
        cut = (heights[-k] + heights[-k + 1]) / 2 if k > 1 else heights[-1]
        ax.axhline(cut, color="#C8102E", ls="--", lw=1, label=f"cut for k = {k}")
        ax.legend(loc="upper right")
    ax.set_ylabel("Ward merge distance")
    ax.set_xlabel("respondents (group sizes in brackets)")
    ax.set_title("Ward hierarchical clustering")
    return ax


def plot_segment_sizes(sizes: Mapping | "np.ndarray", names: Mapping | None = None,
                       ax: matplotlib.axes.Axes | None = None, min_share: float | None = None) -> matplotlib.axes.Axes:
    """Horizontal bars of segment shares (%), with the minimum-size line.

    Parameters
    ----------
    sizes : mapping segment -> count
    names : mapping segment -> display name, optional
    ax : Axes, optional
    min_share : float, optional
        Minimum actionable share (0..1), drawn as a vertical line.

    Returns
    -------
    Axes
    """
    ax = axes_or_new(ax, (7, 0.5 * len(sizes) + 1.5))
    keys = list(sizes)
    counts = np.array([sizes[k] for k in keys], dtype=float)
    share = counts / counts.sum()
    labels = [f"{k}: {names[k]}" if names and k in names else str(k) for k in keys]
    ax.barh(labels[::-1], 100 * share[::-1], color=ACCENT)
    for i, v in enumerate(share[::-1]):
        ax.text(100 * v + 0.5, i, f"{v:.0%}", va="center")
    if min_share:
        ax.axvline(100 * min_share, color="#C8102E", ls="--", lw=1, label=f"minimum size {min_share:.0%}")
        ax.legend(loc="lower right")
    ax.set_xlabel("share of respondents (%)")
    ax.set_title("Segment sizes")
    return ax
