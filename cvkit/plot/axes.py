"""The one Axes set-up every plotting function shares (seaborn's ``ax=None`` convention)."""

from __future__ import annotations

import matplotlib.axes
import matplotlib.pyplot as plt

__all__ = ["axes_or_new"]


def axes_or_new(ax: matplotlib.axes.Axes | None = None,
                figsize: tuple[float, float] = (7, 4)) -> matplotlib.axes.Axes:
    """``ax`` itself, or the Axes of a new figure of ``figsize`` inches when ``ax`` is None."""
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax
