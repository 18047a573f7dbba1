"""MaxDiff results for the deliverable: fitting in one call, the score chart, needs for segmentation."""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from cvkit.maxdiff.analysis import MaxDiffHB, MaxDiffLogit

__all__ = ["fit_maxdiff", "plot_scores", "needs_from_scores"]


def fit_maxdiff(df: pd.DataFrame, *, method: str = "hb", iterations: int = 2000, chains: int = 2, seed: int = 0,
                level: float = 0.95) -> MaxDiffHB | MaxDiffLogit:
    """Fit the MaxDiff scores: ``"hb"`` (individual scores, intervals over respondents) or ``"logit"``
    (aggregate, intervals from the estimates' sampling distribution)."""
    if method == "hb":
        return MaxDiffHB(iterations=iterations, chains=chains, seed=seed, level=level).fit(df)
    if method == "logit":
        return MaxDiffLogit(level=level).fit(df)
    raise ValueError(f"MaxDiff method {method!r} is unknown. Fix: use 'hb' or 'logit'.")


def plot_scores(table: pd.DataFrame, *, labels: Mapping[str, str] | None = None, top: int | None = None,
                highlight: int = 5, ax=None):
    """Horizontal bars of probability scores (sum 100) with their intervals, most important on top.

    Parameters
    ----------
    table : DataFrame
        ``item``, ``score``, ``lower``, ``upper`` (e.g. :meth:`MaxDiffHB.scores`).
    labels : dict, optional
        Item -> human label.
    top : int, optional
        Only the ``top`` items.
    highlight : int
        The first ``highlight`` bars in the accent colour.
    ax : Axes, optional

    Returns
    -------
    Axes
    """
    t = table.sort_values("score", ascending=False).head(top) if top else table.sort_values("score", ascending=False)
    if ax is None:
        _, ax = plt.subplots(figsize=(8, max(3.0, 0.28 * len(t) + 1)))
    names = [labels.get(i, i) if labels else i for i in t["item"]]
    y = np.arange(len(t))[::-1]
    colors = ["C0" if r < highlight else "0.65" for r in range(len(t))]
    ax.barh(y, t["score"], color=colors)
    ax.errorbar(t["score"], y, xerr=[t["score"] - t["lower"], t["upper"] - t["score"]], fmt="none",
                ecolor="0.2", elinewidth=1, capsize=2)
    ax.axvline(100 / len(table), color="0.4", ls=":", lw=1)
    ax.set_yticks(y, names)
    ax.set_xlabel("MaxDiff score (probability scale, all items sum to 100)")
    return ax


def needs_from_scores(scores: pd.DataFrame, prefix: str = "imp_") -> pd.DataFrame:
    """Respondent MaxDiff scores as a needs table for segmentation.

    Each respondent's scores are divided by her largest and scaled to 0-10, so
    the columns ``<prefix><item>`` read like the needs survey's importance
    ratings, without their scale-use bias (everyone's top item is 10).

    Parameters
    ----------
    scores : DataFrame (N, k)
        Probability scores per respondent (``MaxDiffHB.scores_``), index respondent_id.

    Returns
    -------
    DataFrame
        ``respondent_id`` plus one column per item.
    """
    S = scores.to_numpy(float)
    out = pd.DataFrame(10 * S / S.max(axis=1, keepdims=True), columns=[f"{prefix}{c}" for c in scores.columns])
    out.insert(0, "respondent_id", scores.index.astype(str))
    return out
