"""Choosing the number of segments honestly: fit, separation, stability and size side by side.

No single statistic picks k. :func:`choose_k` computes, for every algorithm
and k, the criteria analysts use and puts them in one table:

* ``bic`` - Bayesian information criterion of the Gaussian mixture (lower
  is better; not defined for k-means or Ward, left empty);
* ``silhouette`` - how much closer respondents are to their own segment
  than to the next one (-1..1, higher is better);
* ``calinski_harabasz`` - between / within dispersion ratio (higher is better);
* ``stability`` - mean adjusted Rand index between the full-sample solution
  and solutions refitted on bootstrap resamples (each resample's model
  assigns every respondent), 1 = perfectly reproducible; 0.8 or more is
  usually read as stable;
* ``smallest_share`` - share of respondents in the smallest segment, against
  the minimum segment size a client can act on.

The recommendation keeps the k where every segment is large enough and
stability reaches the threshold, then takes the best mean rank over the
criteria (smaller k wins ties: parsimony). The reason is stated in words.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import matplotlib.axes
import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from sklearn.metrics import adjusted_rand_score, calinski_harabasz_score, silhouette_score

from cvkit._threads import single_threaded
from cvkit.segment.models import SegmentModel
from cvkit.plot.axes import axes_or_new

__all__ = ["KSelection", "choose_k", "bootstrap_stability"]


def bootstrap_stability(X: np.ndarray, k: int, algorithm: str = "kmeans", *, n_boot: int = 50,
                        reference: np.ndarray | None = None, n_init: int = 3, covariance: str = "diag",
                        seed: int = 0, n_jobs: int = 1) -> np.ndarray:
    """Adjusted Rand index between a reference solution and bootstrap refits.

    Parameters
    ----------
    X : ndarray, shape (n, p)
    k : int
    algorithm : {"kmeans", "gmm", "ward"}
    n_boot : int
        Bootstrap resamples (drawn with replacement, size n).
    reference : ndarray of int, shape (n,), optional
        Labels to compare with; default a full-sample fit with 10 starts.
    n_init : int
        Starts per bootstrap refit (the reference already uses more). With a
        single start an occasional local optimum shows up as instability that
        belongs to the optimiser, not to the data; three starts make that rare.
    seed : int
    n_jobs : int
        Parallel workers (joblib).

    Returns
    -------
    ndarray, shape (n_boot,)
        ARI per resample.
    """
    X = np.asarray(X, dtype=float)
    if reference is None:
        reference = SegmentModel(k, algorithm, n_init=10, covariance=covariance, seed=seed).fit(X).labels_
    seeds = _boot_seeds(seed, k, algorithm, n_boot)
    jobs = (delayed(_one_boot)(X, k, algorithm, n_init, covariance, int(s)) for s in seeds)
    labels = Parallel(n_jobs=n_jobs)(jobs)
    return np.array([adjusted_rand_score(reference, lab) for lab in labels])


def _boot_seeds(seed: int, k: int, algorithm: str, n_boot: int) -> np.ndarray:
    """Seeds of the bootstrap resamples of one algorithm x k (shared by choose_k and bootstrap_stability)."""
    return np.random.SeedSequence([seed, int(k), sum(map(ord, algorithm))]).generate_state(n_boot)


def _one_boot(X: np.ndarray, k: int, algorithm: str, n_init: int, covariance: str, s: int) -> np.ndarray:
    with single_threaded():
        return _boot_fit(X, k, algorithm, n_init, covariance, s)


def _boot_fit(X: np.ndarray, k: int, algorithm: str, n_init: int, covariance: str, s: int) -> np.ndarray:
    rng = np.random.default_rng(s)
    idx = rng.integers(0, X.shape[0], X.shape[0])
    if len(np.unique(idx)) < k:  # pragma: no cover - only with tiny data
        return np.zeros(X.shape[0], dtype=np.int64)
    m = SegmentModel(k, algorithm, n_init=n_init, covariance=covariance, seed=s % (2**31)).fit(X[idx])
    return m.predict(X)


@dataclass
class KSelection:
    """Result of :func:`choose_k`.

    Attributes
    ----------
    table : DataFrame
        One row per algorithm x k with ``algorithm``, ``k``, ``bic``,
        ``silhouette``, ``calinski_harabasz``, ``stability``,
        ``stability_sd``, ``smallest_share``, ``size_ok``, ``stable``,
        ``admissible``, ``mean_rank``, ``note``.
    recommended_k : int
        The k to use (the analyst's override if one was given).
    algorithm : str
        Algorithm the recommendation refers to.
    reason : str
        The recommendation in words.
    """

    table: pd.DataFrame
    recommended_k: int
    algorithm: str
    reason: str

    def plot(self, ax: matplotlib.axes.Axes | None = None) -> matplotlib.axes.Axes:
        """Criteria against k, each scaled to 0..1 (1 = best), recommended k marked.

        Parameters
        ----------
        ax : Axes, optional

        Returns
        -------
        Axes
        """
        return plot_k_selection(self, ax=ax)


def _rank_score(table: pd.DataFrame) -> pd.Series:
    ranks = []
    for col, higher in (("silhouette", True), ("calinski_harabasz", True), ("stability", True), ("bic", False)):
        s = table[col]
        if s.notna().any():
            ranks.append(s.rank(ascending=not higher, method="min"))
    return pd.concat(ranks, axis=1).mean(axis=1)


def choose_k(X: np.ndarray, k_range: Sequence[int] = range(2, 9), *, algorithms: Sequence[str] = ("kmeans", "gmm"),
             n_boot: int = 50, min_share: float = 0.05, stability_threshold: float = 0.8,
             n_init: int = 10, covariance: str = "diag", silhouette_sample: int = 2000,
             fixed_k: int | None = None, primary: str | None = None, seed: int = 0,
             n_jobs: int = 1, max_rows: int | None = 5000) -> KSelection:
    """Compare k = 2..8 (or any range) on fit, separation, stability and segment size.

    Parameters
    ----------
    X : ndarray, shape (n, p)
        Preprocessed inputs.
    k_range : sequence of int
        Candidate numbers of segments. Values that are infeasible (k < 2, or
        fewer than 10 respondents per segment) are kept in the table, flagged
        in ``note`` and never recommended.
    algorithms : sequence of str
        From ``("kmeans", "gmm", "ward")``.
    n_boot : int
        Bootstrap resamples for stability (0 to skip; stability is then NaN
        and not used).
    min_share : float
        Minimum segment size as a share of respondents (e.g. 0.05 = 5%).
    stability_threshold : float
        Mean ARI needed to call a solution stable.
    n_init : int
        Starts of each full-sample fit.
    covariance : str
        GMM covariance structure ("diag" = latent profile analysis, "full").
    silhouette_sample : int
        Respondents sampled (with the seed) for the silhouette; its cost grows
        with n squared.
    fixed_k : int, optional
        The analyst's choice; recorded as the recommendation with the
        criteria still shown.
    primary : str, optional
        Algorithm whose rows drive the recommendation (default the first).
    seed : int
    n_jobs : int
        Parallel worker processes for the bootstrap refits (joblib; results
        do not depend on it).
    max_rows : int or None
        Above this many respondents k is compared on a random sample of this
        size (drawn with the seed), which bounds the run time of the
        bootstrap refits; the reason says so. ``None`` uses every row.

    Returns
    -------
    KSelection
    """
    X = np.asarray(X, dtype=float)
    n = X.shape[0]
    sampled = max_rows is not None and n > max_rows
    if sampled:
        X = X[np.sort(np.random.default_rng(seed).choice(n, size=max_rows, replace=False))]
    with single_threaded():
        result = _choose_k(X, k_range, algorithms, n_boot, min_share, stability_threshold,
                           n_init, covariance, silhouette_sample, fixed_k, primary, seed, n_jobs)
    if sampled:
        result.reason += (f" k was compared on a random sample of {max_rows:,} of the {n:,} respondents (seed "
                          f"{seed}) to bound the run time; the final segmentation uses all of them.")
    return result


def _choose_k(X, k_range, algorithms, n_boot, min_share, stability_threshold, n_init, covariance,
              silhouette_sample, fixed_k, primary, seed, n_jobs) -> KSelection:
    n = X.shape[0]
    primary = primary or algorithms[0]
    if primary not in algorithms:
        raise ValueError(f"primary={primary!r} is not among algorithms {list(algorithms)}")
    rows = _criteria(X, k_range, algorithms, n_init, covariance, silhouette_sample, seed)
    if n_boot > 0:
        _add_stability(rows, X, n_boot, covariance, seed, n_jobs)
    table = _admissibility(rows, algorithms, n_boot, min_share, stability_threshold)
    prim = table[table["algorithm"] == primary]
    if fixed_k is not None:
        return KSelection(table, int(fixed_k), primary,
                          _fixed_k_reason(prim, fixed_k, n_boot, min_share, stability_threshold))
    return _recommend(table, prim, k_range, n, n_boot, min_share, stability_threshold, primary)


def _criteria(X, k_range, algorithms, n_init, covariance, silhouette_sample, seed) -> list[dict]:
    """One row per algorithm x k: BIC, silhouette, Calinski-Harabasz, smallest share (or why it failed)."""
    n = X.shape[0]
    rows = []
    for alg in algorithms:
        for k in k_range:
            row = {"algorithm": alg, "k": int(k), "bic": np.nan, "silhouette": np.nan,
                   "calinski_harabasz": np.nan, "stability": np.nan, "stability_sd": np.nan,
                   "smallest_share": np.nan, "note": ""}
            if k < 2 or n < 10 * k:
                row["note"] = (f"infeasible: k must be >= 2 and n >= 10k ({n} respondents allow k <= {n // 10})")
                rows.append(row)
                continue
            try:
                m = SegmentModel(int(k), alg, n_init=n_init, covariance=covariance, seed=seed).fit(X)
            except ValueError as exc:
                row["note"] = f"failed: {exc}"
                rows.append(row)
                continue
            row["bic"] = m.bic_
            with single_threaded():
                row["silhouette"] = float(silhouette_score(X, m.labels_, sample_size=min(silhouette_sample, n),
                                                           random_state=seed))
                row["calinski_harabasz"] = float(calinski_harabasz_score(X, m.labels_))
            row["smallest_share"] = float(m.sizes_.min() / n)
            row["_reference"] = m.labels_
            rows.append(row)
    return rows


def _add_stability(rows: list[dict], X, n_boot, covariance, seed, n_jobs) -> None:
    """Bootstrap stability (mean and sd of the adjusted Rand index with the full-data fit) into ``rows``."""
    # One pool of refits over every algorithm x k (same seeds as bootstrap_stability), so two
    # workers stay busy until the end instead of waiting at the end of each k.
    todo = [(i, r["algorithm"], r["k"], int(s)) for i, r in enumerate(rows) if "_reference" in r
            for s in _boot_seeds(seed, r["k"], r["algorithm"], n_boot)]
    todo.sort(key=lambda t: (-t[2], t[1] != "gmm"))  # long fits first
    labels = Parallel(n_jobs=n_jobs)(delayed(_one_boot)(X, k, alg, 3, covariance, s) for _, alg, k, s in todo)
    aris: dict[int, list[float]] = {}
    for (i, *_), lab in zip(todo, labels):
        aris.setdefault(i, []).append(adjusted_rand_score(rows[i]["_reference"], lab))
    for i, values in aris.items():
        a = np.array(values)
        rows[i]["stability"] = float(a.mean())
        rows[i]["stability_sd"] = float(a.std(ddof=1)) if len(a) > 1 else 0.0


def _admissibility(rows: list[dict], algorithms, n_boot, min_share, stability_threshold) -> pd.DataFrame:
    """The comparison table with the size and stability checks and the mean rank per algorithm."""
    for r in rows:
        r.pop("_reference", None)
    table = pd.DataFrame(rows)
    table["size_ok"] = table["smallest_share"] >= min_share
    table["stable"] = table["stability"] >= stability_threshold if n_boot > 0 else True
    table["admissible"] = table["size_ok"] & table["stable"] & table["note"].eq("")
    table["mean_rank"] = np.nan
    for alg in algorithms:
        sel = (table["algorithm"] == alg) & table["note"].eq("")
        if sel.any():
            table.loc[sel, "mean_rank"] = _rank_score(table.loc[sel])
    return table


def _fixed_k_reason(prim: pd.DataFrame, fixed_k, n_boot, min_share, stability_threshold) -> str:
    """Why the analyst's k is used, with a warning when it fails a check."""
    if fixed_k not in set(prim["k"]) or prim.loc[prim["k"] == fixed_k, "note"].iloc[0] != "":
        note = "" if fixed_k in set(prim["k"]) else " (it was not among the compared k)"
        reason = f"k = {fixed_k} was set by the analyst{note}."
    else:
        r = prim[prim["k"] == fixed_k].iloc[0]
        flags = []
        if not r["size_ok"]:
            flags.append(f"its smallest segment holds {r['smallest_share']:.1%} < {min_share:.0%}")
        if n_boot > 0 and not r["stable"]:
            flags.append(f"stability {r['stability']:.2f} < {stability_threshold:.2f}")
        reason = f"k = {fixed_k} was set by the analyst" + (
            " (warning: " + "; ".join(flags) + ")." if flags else "; it meets the size and stability checks.")
    return reason


def _recommend(table, prim, k_range, n, n_boot, min_share, stability_threshold, primary) -> KSelection:
    """The best admissible k by mean rank, else the most stable usable k (exploratory)."""
    ok = prim[prim["admissible"]]
    if ok.empty:
        usable = prim[prim["note"].eq("")]
        if usable.empty:
            raise ValueError(f"no k in {list(k_range)} can be estimated from {n} respondents; fix: use k <= {n // 10} "
                             "or more respondents")
        best = usable.sort_values(["stability", "k"], ascending=[False, True]).iloc[0]
        reason = (f"no k met both checks (every segment >= {min_share:.0%} and stability >= "
                  f"{stability_threshold:.2f}); k = {int(best['k'])} is the most stable ({best['stability']:.2f}). "
                  "Treat the segmentation as exploratory.")
        return KSelection(table, int(best["k"]), primary, reason)
    best = ok.sort_values(["mean_rank", "k"], ascending=[True, True]).iloc[0]
    k = int(best["k"])
    parts = [f"silhouette {best['silhouette']:.2f}", f"Calinski-Harabasz {best['calinski_harabasz']:.0f}"]
    if np.isfinite(best["bic"]):
        parts.append(f"BIC {best['bic']:.0f}")
    if n_boot > 0:
        parts.append(f"bootstrap stability {best['stability']:.2f}")
    reason = (f"k = {k} ({primary}): the best average rank over the criteria ({', '.join(parts)}) among the "
              f"{len(ok)} k whose segments all hold >= {min_share:.0%} of respondents"
              + (f" and whose stability is >= {stability_threshold:.2f}" if n_boot > 0 else "")
              + f"; smallest segment {best['smallest_share']:.1%}.")
    return KSelection(table, k, primary, reason)


def plot_k_selection(selection: KSelection, ax: matplotlib.axes.Axes | None = None) -> matplotlib.axes.Axes:
    """Each criterion of :func:`choose_k` against k, scaled to 0..1 (1 = best).

    Parameters
    ----------
    selection : KSelection
    ax : Axes, optional

    Returns
    -------
    Axes
    """
    ax = axes_or_new(ax, (8, 4.5))
    t = selection.table
    styles = {"kmeans": "-", "gmm": "--", "ward": ":"}
    colors = {"silhouette": "#1F6E8C", "calinski_harabasz": "#5B6770", "stability": "#C8102E", "bic": "#8FA3B0"}
    for alg, g in t.groupby("algorithm", sort=False):
        g = g.sort_values("k")
        for col, higher in (("silhouette", True), ("calinski_harabasz", True), ("stability", True), ("bic", False)):
            s = g[col]
            if s.notna().sum() < 2:
                continue
            lo, hi = s.min(), s.max()
            scaled = (s - lo) / (hi - lo) if hi > lo else s * 0 + 1
            if not higher:
                scaled = 1 - scaled
            ax.plot(g["k"], scaled, styles.get(str(alg), "-"), marker="o", color=colors[col],
                    label=f"{col.replace('_', '-')} ({alg})")
    ax.axvline(selection.recommended_k, color="black", lw=1, alpha=0.5)
    ax.set_xlabel("number of segments k")
    ax.set_ylabel("criterion, scaled (1 = best)")
    ax.set_title(f"Choosing k: recommended k = {selection.recommended_k}")
    ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return ax
